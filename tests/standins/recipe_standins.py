"""Tiny stand-ins with the input signatures of the model families whose code is not in
``transformers`` (HyenaDNA, scGPT, BENDR, LaBraM, BrainLM), for the ``torch_module`` adapter
tests of the preprocessing recipes. Each checks what it receives the way the real forward
would fail, and uses every input, so a recipe that sends the wrong thing is caught.
"""

from __future__ import annotations

import torch
from torch import nn


class HyenaDNAStandIn(nn.Module):
    """forward(input_ids) -> (n, tokens, dim): a causal running mean of character embeddings
    (HyenaDNA's vocabulary has 12 ids: 7 special tokens, then A C G T N)."""

    def __init__(self, dim: int = 8) -> None:
        super().__init__()
        self.characters = nn.Embedding(12, dim)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        assert input_ids.dtype == torch.int64
        states = self.characters(input_ids).cumsum(dim=1)
        steps = torch.arange(1, input_ids.shape[1] + 1, device=input_ids.device)
        return states / steps[None, :, None]


class ScGPTStandIn(nn.Module):
    """_encode(src, values, src_key_padding_mask) -> (n, tokens, dim), like scGPT's
    ``TransformerModel._encode``: gene embedding + value encoding, padding masked out of a
    mixing step, so the <cls> state depends on every real gene of the cell."""

    def __init__(self, n_tokens: int = 64, dim: int = 8) -> None:
        super().__init__()
        self.genes = nn.Embedding(n_tokens, dim)
        self.value = nn.Linear(1, dim)
        self.mix = nn.Linear(dim, dim)

    def _encode(
        self, src: torch.Tensor, values: torch.Tensor, src_key_padding_mask: torch.Tensor
    ) -> torch.Tensor:
        assert src_key_padding_mask.dtype == torch.bool
        tokens = self.genes(src) + self.value(values.unsqueeze(-1))
        keep = (~src_key_padding_mask).unsqueeze(-1).to(tokens.dtype)
        context = (tokens * keep).sum(dim=1, keepdim=True) / keep.sum(dim=1, keepdim=True)
        return tokens + self.mix(context)


class BENDRStandIn(nn.Module):
    """forward(x) with x (n, 20, samples) -> (n, features, steps), as BENDR's conv encoder."""

    def __init__(self, in_features: int = 20, dim: int = 6) -> None:
        super().__init__()
        self.conv = nn.Conv1d(in_features, dim, kernel_size=9, stride=8)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        assert x.shape[1] == self.conv.in_channels, x.shape
        return self.conv(x)


class LaBraMStandIn(nn.Module):
    """forward_features(x, input_chans) with x (n, channels, patches, 200) -> (n, dim): a patch
    projection plus the position embedding of each channel's ``input_chans`` entry (129
    positions, as LaBraM's ``pos_embed``), averaged over patch tokens."""

    def __init__(self, dim: int = 8, patch_size: int = 200) -> None:
        super().__init__()
        self.patch = nn.Linear(patch_size, dim)
        self.pos_embed = nn.Parameter(torch.randn(1, 128 + 1, dim))
        self.time_embed = nn.Parameter(torch.randn(1, 16, dim))

    def forward_features(
        self, x: torch.Tensor, input_chans: list[int] | None = None
    ) -> torch.Tensor:
        _, channels, patches, _ = x.shape
        assert input_chans is not None and len(input_chans) == channels + 1
        assert input_chans[0] == 0
        tokens = self.patch(x)
        tokens = tokens + self.pos_embed[:, input_chans[1:]].unsqueeze(2)
        tokens = tokens + self.time_embed[:, :patches].unsqueeze(1)
        return tokens.mean(dim=(1, 2))


class BrainLMStandIn(nn.Module):
    """forward(signal_vectors, xyz_vectors, noise) -> (n, 1 + tokens, dim), as BrainLM's
    encoder: patches of ``patch_size`` time points per parcel, plus a projection of each
    parcel's coordinates; tokens ordered by argsort(noise); a CLS token first that averages
    the others."""

    def __init__(self, dim: int = 8, patch_size: int = 20) -> None:
        super().__init__()
        self.patch_size = patch_size
        self.signal = nn.Linear(patch_size, dim)
        self.xyz = nn.Linear(3, dim)

    def forward(
        self, signal_vectors: torch.Tensor, xyz_vectors: torch.Tensor, noise: torch.Tensor
    ) -> torch.Tensor:
        n, parcels, times = signal_vectors.shape
        patches = signal_vectors.reshape(n, parcels, times // self.patch_size, self.patch_size)
        tokens = self.signal(patches) + self.xyz(xyz_vectors).unsqueeze(2)
        tokens = tokens.flatten(1, 2)
        assert noise.shape == tokens.shape[:2], (noise.shape, tokens.shape)
        order = torch.argsort(noise, dim=1)
        tokens = torch.gather(tokens, 1, order.unsqueeze(-1).expand_as(tokens))
        return torch.cat([torch.tanh(tokens.mean(dim=1, keepdim=True)), tokens], dim=1)


def save_standin(name: str, folder, seed: int = 0, **init) -> str:  # type: ignore[no-untyped-def]
    """Build stand-in ``name`` with a seeded initialisation; write its state dict as
    safetensors in ``folder``; return the file's path."""
    from pathlib import Path

    from safetensors.torch import save_file

    torch.manual_seed(seed)
    module = globals()[name](**init).eval()
    path = Path(folder) / f"{name}.safetensors"
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in module.state_dict().items()}, str(path))
    return str(path)
