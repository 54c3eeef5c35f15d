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

A graph with several inputs (say an image, a spectrum and a sequence) takes
``input_feed: "module:function"`` instead of ``input_name``: the function turns a batch of
dataset rows as they are (an array, or a list of strings) into ``{input name: array}`` for
every input of the graph (its own formatting, such as test-time augmentation, included); the
graph must still return one output row per dataset row. A graph that already ends in a softmax names that output
``probabilities_output:`` (rows are checked to be probabilities, and are used as they are)
instead of ``logits_output:``.

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
from fmbench.plugin_system.imports import import_object

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
        input_feed: Any = None,
        input_dtypes: dict[str, Any] | None = None,
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
        self.input_feed = input_feed
        self.input_dtypes = input_dtypes or {}

    def _where(self, what: str) -> str:
        return f"model {self.model_id!r} (onnx) {what}"

    def _outputs(self, X: Any, name: str) -> list[np.ndarray]:
        if (
            self.preprocess is None
            and self.input_feed is None
            and (isinstance(X, list) or (isinstance(X, np.ndarray) and X.dtype.kind in "OUS"))
        ):
            raise ModelError(
                f"{self._where('embed')}: got sequences (strings); the onnx adapter takes "
                "numeric arrays: set preprocess: 'module:function' (raw batch -> array)"
            )
        raw = self.preprocess is not None or self.input_feed is not None
        array = X if raw else np.asarray(X, dtype=self.input_dtype)
        parts = []
        for rows in sub_batches(len(array), self.batch_size):
            if self.preprocess is not None:  # per sub-batch: memory bounded by the batch
                batch = np.asarray(self.preprocess(array[rows]), dtype=self.input_dtype)
            else:
                batch = array[rows]
            n = len(batch)
            if self.input_feed is not None:
                feed = self._fed(batch)
            else:
                if self.static_batch and n < self.static_batch:  # a fixed batch size: pad
                    padding = np.zeros((self.static_batch - n, *batch.shape[1:]), batch.dtype)
                    batch = np.concatenate([batch, padding])
                feed = {self.input_name: batch}
            with self.meter.timed(n):
                try:
                    (out,) = self.session.run([name], feed)
                except Exception as exc:
                    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                    shapes = ", ".join(f"{k} {v.shape}" for k, v in feed.items())
                    raise ModelError(
                        f"{self._where('run')}: onnxruntime failed on input {shapes}: {first}"
                    ) from None
            out = np.asarray(out)
            if self.input_feed is not None and (out.ndim == 0 or len(out) != n):
                raise ModelError(
                    f"{self._where(f'output {name!r}')}: {out.shape} for a batch of {n} rows "
                    "given to input_feed; the graph must return one row per dataset row"
                )
            parts.append(out[:n])
        return parts

    def _fed(self, batch: np.ndarray) -> dict[str, np.ndarray]:
        """The graph's named inputs that ``input_feed`` makes of one batch of rows."""
        where = self._where("input_feed")
        try:
            feed = self.input_feed(batch)
        except Exception as exc:
            raise ModelError(f"{where} failed on a batch of {len(batch)} rows: {exc}") from None
        if not isinstance(feed, dict) or set(feed) != set(self.input_dtypes):
            got = sorted(feed) if isinstance(feed, dict) else type(feed).__name__
            raise ModelError(
                f"{where} returned {got}; expected a dict with every graph input: "
                f"{', '.join(sorted(self.input_dtypes))}"
            )
        arrays = {}
        for key, value in feed.items():
            try:
                arrays[key] = np.ascontiguousarray(value, dtype=self.input_dtypes[key])
            except (TypeError, ValueError) as exc:
                raise ModelError(
                    f"{where} returned input {key!r} that is not a numeric array "
                    f"({np.dtype(self.input_dtypes[key]).name}): {exc}"
                ) from None
        return arrays

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
    """An onnx graph with a logits (or probabilities) output: also ``predict_proba(X)``."""

    def __init__(
        self, *args: Any, logits_output: str, outputs_probabilities: bool = False, **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        self.logits_output = logits_output
        self.outputs_probabilities = outputs_probabilities

    def predict_proba(self, X: Any) -> np.ndarray:
        """Softmax of the logits output (one logit column: sigmoid, two columns); a
        probabilities output as it is, once checked."""
        logits = np.concatenate(self._outputs(X, self.logits_output)).astype(np.float64)
        if logits.ndim != 2:
            raise ModelError(
                f"{self._where('predict_proba')}: {self.logits_output!r} has shape "
                f"{logits.shape}; expected (n, n_classes)"
            )
        if self.outputs_probabilities:
            return self._checked_probabilities(logits)
        if logits.shape[1] == 1:
            p = 1.0 / (1.0 + np.exp(-logits))
            return np.column_stack([1 - p[:, 0], p[:, 0]])
        shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
        return shifted / shifted.sum(axis=1, keepdims=True)

    def _checked_probabilities(self, proba: np.ndarray) -> np.ndarray:
        sums = proba.sum(axis=1)
        if proba.min(initial=0.0) < -1e-6 or not np.allclose(sums, 1.0, atol=1e-3):
            worst = int(np.argmax(np.abs(sums - 1.0)))
            raise ModelError(
                f"{self._where(f'output {self.logits_output!r}')}: probabilities_output rows "
                f"must be non-negative and sum to 1 (row {worst} sums to {sums[worst]:.4g}); "
                "name a logits output with logits_output instead"
            )
        return proba


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
    feed_path = settings.string("input_feed")
    input_name = settings.string("input_name")
    if feed_path is not None and input_name is not None:
        raise ConfigError(f"model config {config.source}: set input_name or input_feed, not both")
    if feed_path is not None and preprocess is not None:
        raise ConfigError(
            f"model config {config.source}: set preprocess or input_feed, not both (the feed "
            "receives the raw batch and may prepare it itself)"
        )
    if input_name is None:
        if len(inputs) != 1 and feed_path is None:
            raise ConfigError(
                f"model config {config.source}: the graph has inputs {', '.join(inputs)}; set "
                "input_name, or input_feed ('module:function' giving every input)"
            )
        input_name = next(iter(inputs))
    output_name = settings.string("output_name", outputs[0]) or outputs[0]
    logits_output = settings.string("logits_output")
    probabilities_output = settings.string("probabilities_output")
    if logits_output is not None and probabilities_output is not None:
        raise ConfigError(
            f"model config {config.source}: set logits_output or probabilities_output, not both"
        )
    for key, name, names in (
        ("input_name", input_name, list(inputs)),
        ("output_name", output_name, outputs),
        ("logits_output", logits_output, outputs),
        ("probabilities_output", probabilities_output, outputs),
    ):
        if name is not None and name not in names:
            raise ConfigError(
                f"model config {config.source}: {key}: the graph has no {name!r} (it has "
                f"{', '.join(names)})"
            )
    input_dtypes = {}
    for name, graph_input in inputs.items():
        input_dtypes[name] = _ONNX_DTYPES.get(graph_input.type)
        if input_dtypes[name] is None and (feed_path is not None or name == input_name):
            raise ModelError(
                f"ONNX file {path}: input {name!r} has unsupported type {graph_input.type}"
            )
    input_dtype = input_dtypes[input_name]
    graph_input = inputs[input_name]
    first_dim = graph_input.shape[0] if graph_input.shape else None
    static_batch = first_dim if isinstance(first_dim, int) and first_dim > 0 else None
    input_feed = None
    if feed_path is not None:
        input_feed = import_object(feed_path, source=config.source, key="input_feed")
        if not callable(input_feed):
            raise ConfigError(f"model config {config.source}: input_feed {feed_path}: not callable")
        fixed = [
            n for n, i in inputs.items() if i.shape and isinstance(i.shape[0], int) and i.shape[0]
        ]
        if fixed:
            raise ModelError(
                f"ONNX file {path}: input {fixed[0]!r} has a fixed batch size; input_feed needs "
                "graphs exported with a dynamic batch axis"
            )
        static_batch = None
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
        **(
            {"inputs": sorted(inputs), "input_feed": feed_path}
            if feed_path is not None
            else {"input_name": input_name}
        ),
        "output_name": output_name,
        "pooling": pooling,
        "device": device,
        "dtype": np.dtype(input_dtype).name,
        "providers": session.get_providers(),
        "onnxruntime_version": ort.__version__,
    }
    if preprocess is not None or input_feed is not None:
        from fmbench.adapters.runtime import source_sha256

        if preprocess is not None:
            description["preprocess"] = preprocess_path
            description["preprocess_sha256"] = source_sha256(preprocess)
        else:
            description["input_feed_sha256"] = source_sha256(input_feed)
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
        "input_feed": input_feed,
        "input_dtypes": input_dtypes if input_feed is not None else None,
    }
    model: OnnxModel
    if logits_output is not None:
        description["logits_output"] = logits_output
        model = OnnxClassifier(session, logits_output=logits_output, **kwargs)
    elif probabilities_output is not None:
        description["probabilities_output"] = probabilities_output
        model = OnnxClassifier(
            session, logits_output=probabilities_output, outputs_probabilities=True, **kwargs
        )
    else:
        model = OnnxModel(session, **kwargs)
    model.meter.load_s = time.perf_counter() - started
    return model
