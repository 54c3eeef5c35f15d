"""Tiny reference models for testing the adapters end to end (tests and ``bench/`` use them).

Nothing is downloaded: the networks are built here, trained for a moment on the data given (or
left at a seeded random initialisation), and written to a folder in each adapter's format:

- :func:`save_tiny_encoder`: a small MLP encoder with a classification head, as safetensors
  and as ``torch.save`` state dicts, plus an ONNX export with ``features`` and ``logits``;
- :func:`save_tiny_bert`: a 2-layer BERT (``save_pretrained``) with a character WordPiece
  vocabulary of DNA (A, C, G, T, N), usable by the ``huggingface`` adapter on sequences and by
  the ``torch_module`` adapter (:class:`fmbench.adapters.tiny_bert.TinyBertEncoder` loads the
  same ``model.safetensors``).

This module imports torch when imported; only import it where torch is installed.

Example (with torch installed)::

    paths = save_tiny_encoder(tmp_path, X, y)
    config = {"model_id": "tiny", "type": "torch_module",
              "import_path": "fmbench.adapters.tiny:TinyEncoder",
              "init_kwargs": {"n_features": 100}, "weights": str(paths["safetensors"])}
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

__all__ = [
    "DNA_VOCAB",
    "TinyEncoder",
    "export_onnx",
    "save_tiny_bert",
    "save_tiny_encoder",
    "tiny_bert_config",
    "write_dna_folder",
]

#: A character WordPiece vocabulary for DNA (special tokens first, as BERT expects).
DNA_VOCAB = (
    "[PAD]",
    "[UNK]",
    "[CLS]",
    "[SEP]",
    "[MASK]",
    *"ACGTN",
    *(f"##{c}" for c in "ACGTN"),
)


class TinyEncoder(nn.Module):
    """features = MLP(x); logits = head(features). ``tokens`` > 1 gives (n, tokens, dim)."""

    def __init__(self, n_features: int = 100, dim: int = 16, n_classes: int = 2, tokens: int = 1):
        super().__init__()
        self.tokens = tokens
        self.encoder = nn.Sequential(
            nn.Linear(n_features // tokens, 32), nn.GELU(), nn.Linear(32, dim)
        )
        self.head = nn.Linear(dim, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.tokens > 1:
            x = x.reshape(x.shape[0], self.tokens, -1)
        return self.encoder(x)

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        features = self.forward(x)
        return self.head(features.mean(dim=1) if features.ndim == 3 else features)


class _Exported(nn.Module):
    """The encoder with two named outputs, for the ONNX export."""

    def __init__(self, encoder: TinyEncoder) -> None:
        super().__init__()
        self.inner = encoder

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.inner(x), self.inner.logits(x)


def export_onnx(module: nn.Module, path: Path, n_features: int) -> Path:
    """Export with the TorchScript-based exporter (no onnxscript needed, fast), batch dynamic."""
    module.eval()
    with warnings.catch_warnings():
        # torch 2.13 warns that this exporter is the legacy one; it is chosen on purpose.
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            _Exported(module) if isinstance(module, TinyEncoder) else module,
            (torch.zeros(2, n_features),),
            str(path),
            input_names=["x"],
            output_names=["features", "logits"],
            dynamic_axes={"x": {0: "batch"}, "features": {0: "batch"}, "logits": {0: "batch"}},
            dynamo=False,
        )
    return path


def save_tiny_encoder(
    folder: Path,
    X: np.ndarray | None = None,
    y: np.ndarray | None = None,
    *,
    seed: int = 0,
    steps: int = 150,
    dim: int = 16,
    tokens: int = 1,
) -> dict[str, Path]:
    """Build (and, given X and y, train) a :class:`TinyEncoder`; write it in every format.

    Returns:
        Paths by format: ``safetensors``, ``torch`` (a ``torch.save`` state dict), ``onnx``.
    """
    from safetensors.torch import save_file

    torch.manual_seed(seed)
    n_features = 100 if X is None else int(np.prod(X.shape[1:]))
    n_classes = 2 if y is None else int(np.max(y)) + 1
    net = TinyEncoder(n_features=n_features, dim=dim, n_classes=n_classes, tokens=tokens)
    if X is not None and y is not None:
        inputs = torch.from_numpy(np.asarray(X, dtype=np.float32).reshape(len(X), -1))
        targets = torch.from_numpy(np.asarray(y, dtype=np.int64))
        optimiser = torch.optim.Adam(net.parameters(), lr=1e-2)
        for _ in range(steps):
            optimiser.zero_grad()
            loss = nn.functional.cross_entropy(net.logits(inputs), targets)
            loss.backward()
            optimiser.step()
    net.eval()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    state = {k: v.contiguous() for k, v in net.state_dict().items()}
    paths = {
        "safetensors": folder / "tiny_encoder.safetensors",
        "torch": folder / "tiny_encoder.pt",
        "onnx": folder / "tiny_encoder.onnx",
    }
    save_file(state, str(paths["safetensors"]))
    torch.save(state, paths["torch"])
    export_onnx(net, paths["onnx"], n_features)
    return paths


def tiny_bert_config(hidden: int = 20, layers: int = 2) -> dict[str, Any]:
    """Keyword arguments of the BertConfig the tiny BERT uses."""
    return {
        "vocab_size": len(DNA_VOCAB),
        "hidden_size": hidden,
        "num_hidden_layers": layers,
        "num_attention_heads": 2,
        "intermediate_size": 2 * hidden,
        "max_position_embeddings": 64,
        "pad_token_id": 0,
    }


def save_tiny_bert(folder: Path, *, seed: int = 0, hidden: int = 20, pooler: bool = True) -> Path:
    """Write a randomly initialised 2-layer BERT and its DNA tokenizer with save_pretrained."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    torch.manual_seed(seed)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    config = tiny_bert_config(hidden)
    model = BertModel(BertConfig(**config), add_pooling_layer=pooler).eval()
    model.save_pretrained(str(folder))
    vocab = {token: i for i, token in enumerate(DNA_VOCAB)}
    core = Tokenizer(
        models.WordPiece(vocab, unk_token="[UNK]", continuing_subword_prefix="##")  # noqa: S106
    )
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    core.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])],
    )
    # special tokens of a tokenizer (the S106 lint sees "token" and suspects a password)
    special = {"unk": "[UNK]", "pad": "[PAD]", "cls": "[CLS]", "sep": "[SEP]", "mask": "[MASK]"}
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core,
        model_max_length=64,
        **{f"{name}_token": token for name, token in special.items()},
    )
    tokenizer.save_pretrained(str(folder))
    return folder


def write_dna_folder(folder: Path, *, n: int = 120, seed: int = 0) -> Path:
    """A sequence folder (train.tsv / test.tsv): label 1 sequences are GC-rich."""
    rng = np.random.default_rng(seed)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for i in range(n):
        label = i % 2
        p_gc = 0.65 if label else 0.35
        probs = [(1 - p_gc) / 2, p_gc / 2, p_gc / 2, (1 - p_gc) / 2]
        length = int(rng.integers(20, 40))
        rows.append(("".join(rng.choice(list("ACGT"), size=length, p=probs)), label))
    split = int(0.7 * n)
    for name, part in (("train", rows[:split]), ("test", rows[split:])):
        lines = ["sequence\tlabel", *(f"{s}\t{lab}" for s, lab in part)]
        (folder / f"{name}.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "info.json").write_text(json.dumps({"modality": "dna"}), encoding="utf-8")
    return folder


def probe_suite_plugin(
    dataset: str,
    *,
    name: str = "TINY-PROBE",
    protocol: str = "linear_probe",
    split: dict[str, Any] | None = None,
) -> Any:
    """An in-process plugin registering ``BM-<name>`` and ``SUITE-<name>``: one probe benchmark.

    Pass it as ``build_registry(extra_modules=(plugin,))``. ``split`` defaults to 3 folds grouped
    by ``subject_id`` (the toy fMRI set); give ``{"method": "predefined"}`` for sequence folders.
    """
    import types

    from fmbench.plugin_system.hookspecs import hookimpl
    from fmbench.plugin_system.specs import (
        BenchmarkSpec,
        MetricsDeclaration,
        SplitSpec,
        SuiteEntry,
        SuiteSpec,
    )

    split_spec = SplitSpec(**(split or {"method": "kfold", "folds": 3, "group_by": "subject_id"}))
    benchmark = BenchmarkSpec(
        name=f"BM-{name}",
        summary=f"{protocol} on {dataset} (adapter tests)",
        task="classification",
        dataset=dataset,
        protocol=protocol,
        split=split_spec,
        metrics=MetricsDeclaration(primary="AUROC", secondary=("Accuracy",)),
    )
    suite = SuiteSpec(
        name=f"SUITE-{name}",
        summary="adapter tests",
        benchmarks=(SuiteEntry(benchmark=benchmark.name),),
    )
    module = types.ModuleType(f"fmbench_tiny_probe_{name.lower().replace('-', '_')}")

    @hookimpl
    def fmbench_benchmarks() -> list[BenchmarkSpec]:
        return [benchmark]

    @hookimpl
    def fmbench_suites() -> list[SuiteSpec]:
        return [suite]

    module.fmbench_benchmarks = fmbench_benchmarks  # type: ignore[attr-defined]
    module.fmbench_suites = fmbench_suites  # type: ignore[attr-defined]
    return module
