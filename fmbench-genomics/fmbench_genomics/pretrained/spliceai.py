"""SpliceAI-10k as a frozen DNA encoder: the published network rebuilt in PyTorch.

SpliceAI (Jaganathan et al., "Predicting splicing from primary sequence with deep learning",
Cell 176:535-548, 2019) predicts, for each position of a pre-mRNA sequence, whether it is a
splice acceptor, a splice donor or neither, from 5,000 nucleotides of context on each side.
Its five trained models ship as Keras HDF5 files inside the ``spliceai`` wheel on PyPI
(``spliceai/models/spliceai{1..5}.h5``; code GPL-3.0, weights for non-commercial use; neither
is copied into fmbench: a model config names the wheel member and its sha256, and
``fmbench download-weights`` fetches it and converts it here, in the user's cache).

The architecture (SpliceAI-10k, 698,787 parameters), read from each file's ``model_config``
and checked against it by :func:`read_keras_h5`: a 1x1 convolution of the one-hot input to 32
channels; 16 residual units, each BatchNorm-ReLU-Conv-BatchNorm-ReLU-Conv plus the unit's
input, with kernel sizes 11, 11, 21, 41 and dilations 1, 4, 10, 25 (four units each); a 1x1
convolution of the first layer's output and of every fourth unit's output, summed (the skip
connections); the sum cropped by 5,000 positions on each side; a final 1x1 convolution to three
classes with a softmax. BatchNorm uses the stored moving statistics and epsilon 0.001.

Keras pads each dilated convolution with zeros ("same") and crops the result afterwards. Here
each convolution is unpadded and the residual and skip paths are cropped to match, which
computes only the positions that survive the final cropping; every one of them depends on
inputs inside the tensor only (the receptive field is exactly 10,001 = 1 + 2 x 5,000), so the
numbers are those of the Keras model (checked in fmbench-genomics/tests/test_spliceai.py
against outputs of the original code, see tests/data/spliceai/make_reference.py).

**Embedding** (:meth:`SpliceAI.embed`): the penultimate layer, i.e. the cropped sum of the
skip connections (32 channels per position, the input of the final 1x1 convolution: every
per-position prediction is a linear read-out of it), averaged over the positions of the query
sequence. The sequence is flanked by 5,000 ``N`` (zeros) on each side, as SpliceAI's README
does for a custom sequence; the mean runs over the query's own positions only (the mask
channel of :func:`fmbench_genomics.pretrained.spliceai_input.encode_batch`), so it does not
depend on the batch. Mean pooling gives one 32-number vector whatever the sequence length.

Example:
    >>> import torch
    >>> model = SpliceAI().eval()
    >>> sum(p.numel() for p in model.parameters()) + sum(
    ...     b.numel() for n, b in model.named_buffers() if n.endswith(("mean", "var")))
    698787
    >>> with torch.inference_mode():
    ...     model(torch.zeros(1, CONTEXT + 7, 4)).shape, model.embed(torch.zeros(2, 9, 5)).shape
    (torch.Size([1, 7, 3]), torch.Size([2, 32]))
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any, cast

import attrs
import torch
import torch.nn.functional as F
from torch import nn

from fmbench.errors import ModelError

__all__ = [
    "BN_EPSILON",
    "CLASSES",
    "CONTEXT",
    "DILATIONS",
    "KERNELS",
    "WIDTH",
    "KerasSpliceAI",
    "ResidualUnit",
    "SpliceAI",
    "SpliceAIEmbedder",
    "convert_h5",
    "export_onnx",
    "read_keras_h5",
    "state_dict_from_h5",
]

#: Channels of every hidden layer.
WIDTH = 32
#: Kernel size and dilation of the 16 residual units (SpliceAI-10k).
KERNELS = (11,) * 8 + (21,) * 4 + (41,) * 4
DILATIONS = (1,) * 4 + (4,) * 4 + (10,) * 4 + (25,) * 4
#: A skip connection leaves after every fourth residual unit (and after the first layer).
SKIP_EVERY = 4
#: Flanking positions needed on both sides together (the receptive field minus one).
CONTEXT = sum(2 * (k - 1) * d for k, d in zip(KERNELS, DILATIONS, strict=True))
#: BatchNormalization epsilon of the published models.
BN_EPSILON = 1e-3
#: The output classes, in the order of the softmax.
CLASSES = ("neither", "acceptor", "donor")


class ResidualUnit(nn.Module):
    """BatchNorm-ReLU-Conv twice, plus the input cropped to the (unpadded) output's length."""

    def __init__(self, kernel: int, dilation: int) -> None:
        super().__init__()
        self.bn1 = nn.BatchNorm1d(WIDTH, eps=BN_EPSILON)
        self.conv1 = nn.Conv1d(WIDTH, WIDTH, kernel, dilation=dilation)
        self.bn2 = nn.BatchNorm1d(WIDTH, eps=BN_EPSILON)
        self.conv2 = nn.Conv1d(WIDTH, WIDTH, kernel, dilation=dilation)
        #: positions lost on each side
        self.crop = (kernel - 1) * dilation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.relu(self.bn1(x)))
        h = self.conv2(F.relu(self.bn2(h)))
        return h + x[:, :, self.crop : x.shape[2] - self.crop]


class SpliceAI(nn.Module):
    """SpliceAI-10k; inputs are channels-last like the Keras model's.

    - ``forward(onehot)``: ``(n, L + 10000, 4)`` one-hot with its context -> ``(n, L, 3)``
      probabilities (neither, acceptor, donor), as ``keras_model.predict``;
    - ``features(onehot)``: the same input -> ``(n, L, 32)``, the penultimate layer;
    - ``embed(x)``: ``(n, L, 5)`` from ``encode_batch`` (no context) -> ``(n, 32)``.
    """

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv1d(4, WIDTH, 1)
        self.units = nn.ModuleList(
            ResidualUnit(k, d) for k, d in zip(KERNELS, DILATIONS, strict=True)
        )
        n_skips = 1 + len(KERNELS) // SKIP_EVERY
        self.skips = nn.ModuleList(nn.Conv1d(WIDTH, WIDTH, 1) for _ in range(n_skips))
        self.head = nn.Conv1d(WIDTH, len(CLASSES), 1)
        # positions the skip sum loses on each side between two skip connections
        self._skip_crops = [
            sum(
                (k - 1) * d
                for k, d in zip(
                    KERNELS[start : start + SKIP_EVERY],
                    DILATIONS[start : start + SKIP_EVERY],
                    strict=True,
                )
            )
            for start in range(0, len(KERNELS), SKIP_EVERY)
        ]

    def _units(self) -> list[ResidualUnit]:
        return [cast(ResidualUnit, unit) for unit in self.units]

    def _skip_sum(self, onehot_ncl: torch.Tensor) -> torch.Tensor:
        x = self.stem(onehot_ncl)
        skip = self.skips[0](x)
        for index, unit in enumerate(self._units()):
            x = unit(x)
            if (index + 1) % SKIP_EVERY == 0:
                group = (index + 1) // SKIP_EVERY
                crop = self._skip_crops[group - 1]
                skip = skip[:, :, crop : skip.shape[2] - crop] + self.skips[group](x)
        return skip

    def _checked(self, onehot: torch.Tensor) -> torch.Tensor:
        if onehot.ndim != 3 or onehot.shape[2] != 4:
            raise ValueError(
                f"SpliceAI takes (n, length, 4) one-hot input, got {tuple(onehot.shape)}"
            )
        if onehot.shape[1] <= CONTEXT:
            raise ValueError(
                f"SpliceAI input of length {onehot.shape[1]} is not longer than its context "
                f"({CONTEXT}): pad the sequence with {CONTEXT // 2} N on each side"
            )
        return onehot.transpose(1, 2)

    def features(self, onehot: torch.Tensor) -> torch.Tensor:
        """The penultimate layer, ``(n, L, 32)``, for ``(n, L + 10000, 4)`` one-hot input."""
        return self._skip_sum(self._checked(onehot)).transpose(1, 2)

    def forward(self, onehot: torch.Tensor) -> torch.Tensor:
        """Per-position probabilities ``(n, L, 3)``: neither, acceptor, donor."""
        logits = self.head(self._skip_sum(self._checked(onehot)))
        return torch.softmax(logits, dim=1).transpose(1, 2)

    def _n_flanked_skip_sum(self, query: torch.Tensor) -> torch.Tensor:
        """:meth:`_skip_sum` of ``query`` (n, 4, L) flanked by 5,000 ``N`` on each side.

        Same numbers, less work: far enough from the query, the flanks are all ``N``, so
        every layer there holds one constant vector. Each tensor is kept on the query plus a
        margin (on each side) of ``min(r, 5000 - r)`` positions, ``r`` being the layer's
        receptive radius: beyond ``r`` the layer is constant (the margin is padded with that
        constant when a convolution needs more), beyond ``5000 - r`` nothing downstream looks.
        """
        half = CONTEXT // 2

        def margin(radius: int) -> int:
            return min(radius, half - radius)

        def fit(x: torch.Tensor, const: torch.Tensor, have: int, want: int) -> torch.Tensor:
            if want < have:
                return x[:, :, have - want : x.shape[2] - (have - want)]
            if want > have:  # only where have == the radius: the rest is the constant
                side = const.expand(x.shape[0], -1, want - have)
                return torch.cat([side, x, side], dim=2)
            return x

        def constant_conv(conv: nn.Conv1d, const: torch.Tensor) -> torch.Tensor:
            return F.conv1d(const, conv.weight.sum(dim=2, keepdim=True), conv.bias)

        x = self.stem(query)
        const = self.stem(torch.zeros(1, 4, 1, dtype=query.dtype, device=query.device))
        skip, skip_const = self.skips[0](x), self.skips[0](const)
        radius = have = skip_have = 0
        for index, unit in enumerate(self._units()):
            step = unit.crop // 2  # radius added by each of the unit's two convolutions
            a, a_const = F.relu(unit.bn1(x)), F.relu(unit.bn1(const))
            a_have = margin(radius + step)
            a = unit.conv1(fit(a, a_const, have, a_have + step))
            a_const = constant_conv(unit.conv1, a_const)
            b, b_const = F.relu(unit.bn2(a)), F.relu(unit.bn2(a_const))
            radius += 2 * step
            b = unit.conv2(fit(b, b_const, a_have, margin(radius) + step))
            b_const = constant_conv(unit.conv2, b_const)
            x = b + fit(x, const, have, margin(radius))
            const, have = b_const + const, margin(radius)
            if (index + 1) % SKIP_EVERY == 0:
                branch = self.skips[(index + 1) // SKIP_EVERY]
                skip = fit(skip, skip_const, skip_have, have) + branch(x)
                skip_const, skip_have = skip_const + branch(const), have
        return skip

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Mean of the penultimate layer over each query's positions: ``(n, L, 5)`` -> ``(n, 32)``.

        Channels 1-4 of ``x`` are the one-hot sequence, channel 5 marks its positions (see
        :func:`~fmbench_genomics.pretrained.spliceai_input.encode_batch`); the sequence is
        read as flanked by 5,000 ``N`` on each side (:meth:`_n_flanked_skip_sum`).
        """
        mask = x[:, :, 4]
        skip = self._n_flanked_skip_sum(x[:, :, :4].transpose(1, 2))
        total = (skip * mask.unsqueeze(1)).sum(dim=2)
        return total / mask.sum(dim=1, keepdim=True).clamp(min=1.0)


class SpliceAIEmbedder(nn.Module):
    """:meth:`SpliceAI.embed` as ``forward``: the graph that the ONNX export records."""

    def __init__(self, model: SpliceAI) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model.embed(x)


# --- the Keras HDF5 file ------------------------------------------------------------------


@attrs.frozen
class KerasSpliceAI:
    """The layer names of a SpliceAI Keras model, in the order of :class:`SpliceAI`'s modules."""

    stem: str
    units: tuple[tuple[str, str, str, str], ...]  # bn1, conv1, bn2, conv2
    skips: tuple[str, ...]
    head: str
    keras_version: str


def _layer_graph(config: dict[str, Any], path: Path) -> dict[str, dict[str, Any]]:
    layers = {}
    for layer in config.get("config", {}).get("layers", []):
        inbound = [item[0] for node in layer.get("inbound_nodes", []) for item in node]
        layers[layer["name"]] = {
            "class": layer["class_name"],
            "config": layer.get("config", {}),
            "inbound": inbound,
        }
    if not layers:
        raise ModelError(f"{path}: no layers in model_config (not a Keras functional model?)")
    return layers


def _expect(condition: bool, path: Path, what: str) -> None:
    if not condition:
        raise ModelError(f"{path}: not the SpliceAI-10k architecture: {what}")


def read_keras_h5(path: str | Path) -> KerasSpliceAI:
    """Walk the layer graph of a SpliceAI ``.h5`` file and check it is SpliceAI-10k.

    The residual units are found by following the graph from the input (BatchNorm, ReLU,
    Conv1D, BatchNorm, ReLU, Conv1D, Add with the unit's input), not by layer numbers; kernel
    sizes, dilations, paddings, epsilons, skip positions and the cropping are all checked.

    Raises:
        ModelError: the file is not an HDF5 Keras model of this architecture.
    """
    import h5py

    path = Path(path)
    try:
        with h5py.File(path, "r") as handle:
            raw = handle.attrs.get("model_config")
            keras_version = handle.attrs.get("keras_version", b"?")
    except OSError as exc:
        raise ModelError(f"{path}: not a readable HDF5 file ({exc})") from None
    if raw is None:
        raise ModelError(f"{path}: no model_config attribute (not a Keras model file)")
    text = raw.decode() if isinstance(raw, bytes) else str(raw)
    layers = _layer_graph(json.loads(text), path)
    consumers: dict[str, list[str]] = {name: [] for name in layers}
    for name, layer in layers.items():
        for source in layer["inbound"]:
            consumers.setdefault(source, []).append(name)

    def kind(name: str) -> str:
        return str(layers[name]["class"])

    def only(names: list[str], cls: str, where: str) -> str:
        found = [n for n in names if kind(n) == cls]
        _expect(len(found) == 1, path, f"expected one {cls} after {where}, found {found}")
        return found[0]

    def conv(name: str, kernel: int, dilation: int, padding: str) -> None:
        cfg = layers[name]["config"]
        _expect(
            list(cfg.get("kernel_size", [])) == [kernel]
            and list(cfg.get("dilation_rate", [])) == [dilation]
            and cfg.get("padding") == padding
            and cfg.get("filters") in (WIDTH, len(CLASSES))
            and cfg.get("use_bias", True),
            path,
            f"layer {name}: expected Conv1D kernel {kernel}, dilation {dilation}, padding "
            f"{padding}, got {cfg.get('kernel_size')}, {cfg.get('dilation_rate')}, "
            f"{cfg.get('padding')}",
        )

    def batchnorm(name: str) -> None:
        cfg = layers[name]["config"]
        _expect(
            abs(float(cfg.get("epsilon", -1)) - BN_EPSILON) < 1e-12
            and cfg.get("center", True)
            and cfg.get("scale", True),
            path,
            f"layer {name}: BatchNormalization epsilon {cfg.get('epsilon')} (expected 0.001)",
        )

    inputs = [n for n in layers if kind(n) == "InputLayer"]
    _expect(len(inputs) == 1, path, f"one input layer expected, found {inputs}")
    stem = only(consumers[inputs[0]], "Conv1D", "the input")
    conv(stem, 1, 1, "valid")
    units: list[tuple[str, str, str, str]] = []
    skips_at: dict[int, str] = {}
    current = stem
    while True:
        next_layers = consumers.get(current, [])
        for name in next_layers:
            if kind(name) == "Conv1D":
                _expect(len(units) not in skips_at, path, f"two 1x1 convolutions after {current}")
                conv(name, 1, 1, "valid")
                skips_at[len(units)] = name
        norms = [n for n in next_layers if kind(n) == "BatchNormalization"]
        if not norms:
            break
        _expect(len(units) < len(KERNELS), path, "more than 16 residual units")
        kernel, dilation = KERNELS[len(units)], DILATIONS[len(units)]
        chain = [norms[0]]
        for cls in ("Activation", "Conv1D", "BatchNormalization", "Activation", "Conv1D"):
            chain.append(only(consumers[chain[-1]], cls, chain[-1]))
        bn1, act1, conv1, bn2, act2, conv2 = chain
        for name in (bn1, bn2):
            batchnorm(name)
        for name in (act1, act2):
            activation = layers[name]["config"].get("activation")
            _expect(activation == "relu", path, f"layer {name}: activation {activation}")
        conv(conv1, kernel, dilation, "same")
        conv(conv2, kernel, dilation, "same")
        add = only(consumers[conv2], "Add", conv2)
        _expect(
            sorted(layers[add]["inbound"]) == sorted([conv2, current]),
            path,
            f"layer {add}: expected the sum of {conv2} and {current}",
        )
        units.append((bn1, conv1, bn2, conv2))
        current = add
    _expect(len(units) == len(KERNELS), path, f"{len(units)} residual units, expected 16")
    expected_at = list(range(0, len(KERNELS) + 1, SKIP_EVERY))
    _expect(
        sorted(skips_at) == expected_at,
        path,
        f"skip connections after units {sorted(skips_at)}, expected {expected_at}",
    )
    croppings = [n for n in layers if kind(n) == "Cropping1D"]
    _expect(len(croppings) == 1, path, "one Cropping1D layer expected")
    cropping = list(layers[croppings[0]]["config"].get("cropping", []))
    _expect(
        cropping == [CONTEXT // 2, CONTEXT // 2],
        path,
        f"cropping {cropping}, expected [{CONTEXT // 2}, {CONTEXT // 2}]",
    )
    head = only(consumers[croppings[0]], "Conv1D", croppings[0])
    conv(head, 1, 1, "valid")
    _expect(
        layers[head]["config"].get("activation") == "softmax"
        and layers[head]["config"].get("filters") == len(CLASSES),
        path,
        f"layer {head}: expected a 3-class softmax",
    )
    version = keras_version.decode() if isinstance(keras_version, bytes) else str(keras_version)
    return KerasSpliceAI(
        stem=stem,
        units=tuple(units),
        skips=tuple(skips_at[i] for i in expected_at),
        head=head,
        keras_version=version,
    )


def _layer_weights(handle: Any, layer: str, path: Path) -> dict[str, Any]:
    """The arrays of one layer by short name (kernel, bias, gamma, beta, moving_mean...)."""
    import numpy as np

    group = handle["model_weights"][layer] if "model_weights" in handle else handle[layer]
    names = [n.decode() if isinstance(n, bytes) else str(n) for n in group.attrs["weight_names"]]
    out = {}
    for name in names:
        short = name.rsplit("/", 1)[-1].split(":", 1)[0]
        out[short] = np.asarray(group[name], dtype=np.float32)
    if not out:
        raise ModelError(f"{path}: layer {layer} has no weights")
    return out


def state_dict_from_h5(path: str | Path) -> dict[str, torch.Tensor]:
    """The :class:`SpliceAI` state dict from a Keras ``.h5`` file (read with h5py, no pickle).

    Conv1D kernels ``(width, in, out)`` become ``(out, in, width)``; BatchNormalization's
    gamma, beta, moving mean and moving variance become weight, bias, running_mean and
    running_var. The result loads strictly into ``SpliceAI()``.
    """
    import h5py

    path = Path(path)
    layout = read_keras_h5(path)
    state: dict[str, torch.Tensor] = {}

    def put_conv(prefix: str, arrays: dict[str, Any]) -> None:
        state[f"{prefix}.weight"] = torch.from_numpy(arrays["kernel"].transpose(2, 1, 0).copy())
        state[f"{prefix}.bias"] = torch.from_numpy(arrays["bias"])

    def put_bn(prefix: str, arrays: dict[str, Any]) -> None:
        state[f"{prefix}.weight"] = torch.from_numpy(arrays["gamma"])
        state[f"{prefix}.bias"] = torch.from_numpy(arrays["beta"])
        state[f"{prefix}.running_mean"] = torch.from_numpy(arrays["moving_mean"])
        state[f"{prefix}.running_var"] = torch.from_numpy(arrays["moving_variance"])
        state[f"{prefix}.num_batches_tracked"] = torch.tensor(0, dtype=torch.long)

    with h5py.File(path, "r") as handle:
        put_conv("stem", _layer_weights(handle, layout.stem, path))
        for index, (bn1, conv1, bn2, conv2) in enumerate(layout.units):
            put_bn(f"units.{index}.bn1", _layer_weights(handle, bn1, path))
            put_conv(f"units.{index}.conv1", _layer_weights(handle, conv1, path))
            put_bn(f"units.{index}.bn2", _layer_weights(handle, bn2, path))
            put_conv(f"units.{index}.conv2", _layer_weights(handle, conv2, path))
        for index, name in enumerate(layout.skips):
            put_conv(f"skips.{index}", _layer_weights(handle, name, path))
        put_conv("head", _layer_weights(handle, layout.head, path))
    expected = SpliceAI().state_dict()
    wrong = [
        f"{k} {tuple(v.shape)} != {tuple(expected[k].shape)}"
        for k, v in state.items()
        if tuple(v.shape) != tuple(expected[k].shape)
    ]
    if wrong or set(state) != set(expected):
        raise ModelError(f"{path}: weights do not fit SpliceAI-10k: {', '.join(wrong[:3])}")
    return state


def load_h5(path: str | Path) -> SpliceAI:
    """A :class:`SpliceAI` in eval mode with the weights of a Keras ``.h5`` file."""
    model = SpliceAI()
    model.load_state_dict(state_dict_from_h5(path), strict=True)
    return model.eval()


def convert_h5(source: Path, out_dir: Path) -> Path:
    """``weights_convert`` step: the ``.h5`` as ``<stem>.safetensors`` in ``out_dir``."""
    from safetensors.torch import save_file

    target = Path(out_dir) / f"{Path(source).stem}.safetensors"
    save_file(
        state_dict_from_h5(source),
        str(target),
        metadata={"format": "pt", "converted_from": Path(source).name},
    )
    return target


#: Names of the exported graph's input and output.
ONNX_INPUT, ONNX_OUTPUT = "sequence", "embedding"


def export_onnx(source: Path, out_dir: Path) -> Path:
    """``weights_convert`` step: :meth:`SpliceAI.embed` with the ``.h5`` weights as ONNX.

    The graph takes ``sequence`` ``(batch, length, 5)`` float32 (from ``encode_batch``) and
    gives ``embedding`` ``(batch, 32)``; batch and length are dynamic. Exported with torch's
    TorchScript-based exporter (opset 17), which needs no onnxscript.
    """
    target = Path(out_dir) / f"{Path(source).stem}.onnx"
    embedder = SpliceAIEmbedder(load_h5(source)).eval()
    example = torch.zeros(2, 16, 5)
    example[:, :, 4] = 1.0
    with warnings.catch_warnings():
        # torch 2.13 calls this exporter the legacy one; it is chosen on purpose
        warnings.simplefilter("ignore", DeprecationWarning)
        # the crops are slices of dynamic length, which the exporter does not fold
        warnings.filterwarnings("ignore", message="Constant folding", category=UserWarning)
        torch.onnx.export(
            embedder,
            (example,),
            str(target),
            input_names=[ONNX_INPUT],
            output_names=[ONNX_OUTPUT],
            dynamic_axes={ONNX_INPUT: {0: "batch", 1: "length"}, ONNX_OUTPUT: {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )
    return target
