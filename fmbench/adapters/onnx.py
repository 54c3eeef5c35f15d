"""The ``onnx`` adapter: an exported graph run through onnxruntime.

Example config::

    model_id: my_encoder_onnx
    type: onnx
    path: exported/encoder.onnx     # external data files beside it are hashed too
    # or, instead of path: published weights converted to ONNX once in the cache, e.g.
    # weights_wheel: spliceai==1.3.1, weights_member: ..., weights_sha256: ...,
    # weights_convert: "my_package.export:to_onnx"    (see fmbench.models.weights)
    preprocess: "my_package.inputs:encode"  # optional: raw batch (e.g. strings) -> array
    input_name: x                   # default: the graph's only input
    output_name: features           # default: the graph's first output
    logits_output: logits           # optional: an output of class logits -> predict_proba
    pooling: mean                   # for (n, tokens, dim) outputs: mean | cls | flatten | none
    batch_size: 64
    device: cpu                     # cpu | cuda | cuda:N | auto

A device that onnxruntime cannot give (say CUDA without its provider) is an error: onnxruntime
would otherwise fall back to the CPU without a word.

Example:
    >>> from fmbench.adapters.onnx import CONFIG_KEYS
    >>> "input_name" in CONFIG_KEYS
    True
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from fmbench.adapters.config_keys import ONNX_KEYS
from fmbench.adapters.runtime import (
    DEVICE_HELP,
    POOLINGS,
    ResourceMeter,
    Settings,
    pool,
    require_modules,
    sha256_files,
    sub_batches,
)
from fmbench.errors import ConfigError, ModelError
from fmbench.models.config import ModelConfig

__all__ = ["CONFIG_KEYS", "OnnxClassifier", "OnnxModel", "load_onnx"]

CONFIG_KEYS = ONNX_KEYS

_ONNX_DTYPES = {
    "tensor(float)": np.float32,
    "tensor(double)": np.float64,
    "tensor(float16)": np.float16,
    "tensor(int64)": np.int64,
    "tensor(int32)": np.int32,
}


def _providers(device: str, source: str) -> tuple[list[Any], str]:
    import onnxruntime as ort

    available = ort.get_available_providers()
    spec = device.strip().lower()
    if spec == "auto":
        spec = "cuda" if "CUDAExecutionProvider" in available else "cpu"
    if spec == "cpu":
        return ["CPUExecutionProvider"], "cpu"
    if spec == "cuda" or spec.startswith("cuda:"):
        if "CUDAExecutionProvider" not in available:
            raise ModelError(
                f"model config {source}: device {spec}: this onnxruntime has no CUDA provider "
                f"(available: {', '.join(available)}); install onnxruntime-gpu or use device: cpu"
            )
        index = spec.split(":", 1)[1] if ":" in spec else "0"
        if not index.isdigit():
            raise ConfigError(f"model config {source}: device {spec!r}: expected {DEVICE_HELP}")
        return [("CUDAExecutionProvider", {"device_id": int(index)})], spec
    raise ConfigError(
        f"model config {source}: device {spec!r}: the onnx adapter takes cpu, cuda, cuda:N or auto"
    )


def _graph_facts(path: Path) -> dict[str, Any]:
    """Opset, parameter count and external data files, read without loading tensor data."""
    import onnx

    proto = onnx.load(str(path), load_external_data=False)
    external: set[str] = set()
    n_parameters = 0
    for tensor in proto.graph.initializer:
        n_parameters += int(np.prod(tensor.dims)) if len(tensor.dims) else 1
        if tensor.data_location == onnx.TensorProto.EXTERNAL:
            external.update(e.value for e in tensor.external_data if e.key == "location")
    return {
        "opset": max(
            (o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")), default=None
        ),
        "producer": f"{proto.producer_name} {proto.producer_version}".strip() or None,
        "n_parameters": n_parameters,
        "external": sorted(external),
    }


class OnnxModel:
    """An onnxruntime session: ``embed(X)`` in sub-batches."""

    def __init__(
        self,
        session: Any,
        *,
        model_id: str,
        input_name: str,
        output_name: str,
        input_dtype: Any,
        static_batch: int | None,
        batch_size: int,
        pooling: str,
        meter: ResourceMeter,
        description: dict[str, Any],
        preprocess: Any = None,
    ) -> None:
        self.session = session
        self.preprocess = preprocess
        self.model_id = model_id
        self.input_name = input_name
        self.output_name = output_name
        self.input_dtype = input_dtype
        self.static_batch = static_batch
        self.batch_size = static_batch or batch_size
        self.pooling = pooling
        self.meter = meter
        self._description = description

    def _where(self, what: str) -> str:
        return f"model {self.model_id!r} (onnx) {what}"

    def _outputs(self, X: Any, name: str) -> list[np.ndarray]:
        if self.preprocess is None and (
            isinstance(X, list) or (isinstance(X, np.ndarray) and X.dtype.kind in "OUS")
        ):
            raise ModelError(
                f"{self._where('embed')}: got sequences (strings); the onnx adapter takes "
                "numeric arrays: set preprocess: 'module:function' (raw batch -> array)"
            )
        array = X if self.preprocess is not None else np.asarray(X, dtype=self.input_dtype)
        parts = []
        for rows in sub_batches(len(array), self.batch_size):
            if self.preprocess is not None:  # per sub-batch: memory bounded by the batch
                batch = np.asarray(self.preprocess(array[rows]), dtype=self.input_dtype)
            else:
                batch = array[rows]
            n = len(batch)
            if self.static_batch and n < self.static_batch:  # the graph has a fixed batch size
                padding = np.zeros((self.static_batch - n, *batch.shape[1:]), batch.dtype)
                batch = np.concatenate([batch, padding])
            with self.meter.timed(n):
                try:
                    (out,) = self.session.run([name], {self.input_name: batch})
                except Exception as exc:
                    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                    raise ModelError(
                        f"{self._where('run')}: onnxruntime failed on input {batch.shape}: {first}"
                    ) from None
            parts.append(np.asarray(out)[:n])
        return parts

    def embed(self, X: Any) -> np.ndarray:
        """Pooled graph outputs, one vector per input row."""
        where = self._where(f"output {self.output_name!r}")
        parts = [pool(o, self.pooling, where=where) for o in self._outputs(X, self.output_name)]
        return np.concatenate(parts).astype(np.float64)

    def describe(self) -> dict[str, Any]:
        return {**self._description, "batch_size": self.batch_size}

    def resources(self) -> dict[str, Any]:
        return self.meter.report()


class OnnxClassifier(OnnxModel):
    """An onnx graph with a logits output: also ``predict_proba(X)``."""

    def __init__(self, *args: Any, logits_output: str, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.logits_output = logits_output

    def predict_proba(self, X: Any) -> np.ndarray:
        """Softmax of the logits output (one logit column: sigmoid, two columns)."""
        logits = np.concatenate(self._outputs(X, self.logits_output)).astype(np.float64)
        if logits.ndim != 2:
            raise ModelError(
                f"{self._where('predict_proba')}: {self.logits_output!r} has shape "
                f"{logits.shape}; expected (n, n_classes)"
            )
        if logits.shape[1] == 1:
            p = 1.0 / (1.0 + np.exp(-logits))
            return np.column_stack([1 - p[:, 0], p[:, 0]])
        shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
        return shifted / shifted.sum(axis=1, keepdims=True)


def load_onnx(config: ModelConfig) -> OnnxModel:
    """Open an inference session on the asked device; check input and output names."""
    require_modules(("onnxruntime", "onnx"), extra="onnx", adapter="onnx")
    import onnxruntime as ort

    started = time.perf_counter()
    settings = Settings(config.settings, source=config.source, adapter="onnx")
    path = settings.path("path", kind="ONNX file")
    if path is None and (
        config.settings.get("weights_url") or config.settings.get("weights_wheel")
    ):
        from fmbench.models.weights import weights_file

        path = weights_file(
            {"model_id": config.model_id, **dict(config.settings)},
            command=f"fmbench download-weights --model {config.source}",
        )
    if path is None:
        raise ConfigError(
            f"model config {config.source}: path: required (an exported .onnx file), or "
            "declared weights (weights_url or weights_wheel, with weights_convert to ONNX)"
        )
    preprocess_path = settings.string("preprocess")
    preprocess = None
    if preprocess_path is not None:
        from fmbench.plugin_system.imports import import_object

        preprocess = import_object(preprocess_path, source=config.source, key="preprocess")
        if not callable(preprocess):
            raise ConfigError(
                f"model config {config.source}: preprocess {preprocess_path!r} is not callable"
            )
    providers, device = _providers(settings.string("device", "cpu") or "cpu", config.source)
    pooling = settings.choice("pooling", POOLINGS, "mean") or "mean"
    batch_size = settings.integer("batch_size", 32)
    try:
        facts = _graph_facts(path)
        options = ort.SessionOptions()
        options.log_severity_level = 3
        session = ort.InferenceSession(str(path), sess_options=options, providers=providers)
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(f"ONNX file {path}: cannot be loaded ({first})") from None
    wanted = providers[0] if isinstance(providers[0], str) else providers[0][0]
    if wanted not in session.get_providers():
        raise ModelError(
            f"model config {config.source}: onnxruntime did not start {wanted} (it runs "
            f"{', '.join(session.get_providers())}); refusing to fall back"
        )
    inputs = {i.name: i for i in session.get_inputs()}
    outputs = [o.name for o in session.get_outputs()]
    input_name = settings.string("input_name")
    if input_name is None:
        if len(inputs) != 1:
            raise ConfigError(
                f"model config {config.source}: the graph has inputs {', '.join(inputs)}; set "
                "input_name"
            )
        input_name = next(iter(inputs))
    output_name = settings.string("output_name", outputs[0]) or outputs[0]
    logits_output = settings.string("logits_output")
    for key, name, names in (
        ("input_name", input_name, list(inputs)),
        ("output_name", output_name, outputs),
        ("logits_output", logits_output, outputs),
    ):
        if name is not None and name not in names:
            raise ConfigError(
                f"model config {config.source}: {key}: the graph has no {name!r} (it has "
                f"{', '.join(names)})"
            )
    graph_input = inputs[input_name]
    input_dtype = _ONNX_DTYPES.get(graph_input.type)
    if input_dtype is None:
        raise ModelError(
            f"ONNX file {path}: input {input_name!r} has unsupported type {graph_input.type}"
        )
    first_dim = graph_input.shape[0] if graph_input.shape else None
    static_batch = first_dim if isinstance(first_dim, int) and first_dim > 0 else None
    files = [path, *(path.parent / name for name in facts["external"])]
    missing = [f for f in files if not f.is_file()]
    if missing:
        raise ModelError(f"ONNX file {path}: external data {missing[0]} is missing")
    description = {
        "graph_file": path.name,
        "weights_sha256": sha256_files(files, path.parent),
        "n_parameters": facts["n_parameters"],
        "opset": facts["opset"],
        "producer": facts["producer"],
        "input_name": input_name,
        "output_name": output_name,
        "pooling": pooling,
        "device": device,
        "dtype": np.dtype(input_dtype).name,
        "providers": session.get_providers(),
        "onnxruntime_version": ort.__version__,
    }
    if preprocess is not None:
        from fmbench.adapters.runtime import source_sha256

        description["preprocess"] = preprocess_path
        description["preprocess_sha256"] = source_sha256(preprocess)
    kwargs: dict[str, Any] = {
        "model_id": config.model_id,
        "input_name": input_name,
        "output_name": output_name,
        "input_dtype": input_dtype,
        "static_batch": static_batch,
        "batch_size": batch_size,
        "pooling": pooling,
        "meter": ResourceMeter(device="cpu"),
        "description": description,
        "preprocess": preprocess,
    }
    model: OnnxModel
    if logits_output is not None:
        description["logits_output"] = logits_output
        model = OnnxClassifier(session, logits_output=logits_output, **kwargs)
    else:
        model = OnnxModel(session, **kwargs)
    model.meter.load_s = time.perf_counter() - started
    return model
