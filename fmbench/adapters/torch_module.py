"""The ``torch_module`` adapter: a ``torch.nn.Module`` class plus a local weights file.

Example config::

    model_id: my_eeg_encoder
    type: torch_module
    import_path: "my_package.model:Encoder"    # an nn.Module class; cwd is importable
    init_kwargs: {n_channels: 19, dim: 256}
    weights: weights/encoder.safetensors        # or a torch.save(state_dict) .pt file
    # or, instead of weights: a public file fetched once with `fmbench download-weights`
    # weights_url: https://example.org/encoder.safetensors
    # weights_sha256: 3b0c...                   # checked; the run loads the cached copy
    # or a file inside a published wheel, converted once in the cache:
    # weights_wheel: spliceai==1.3.1
    # weights_member: spliceai/models/spliceai1.h5
    # weights_sha256: e1fd...                   # the member's sha256
    # weights_convert: "my_package.convert:h5_to_safetensors"   # (source, out_dir) -> Path
    # license: "..."                            # recorded in eval.yaml, with citation
    preprocess: "my_package.inputs:encode"      # optional: a batch of raw inputs (e.g. DNA
                                                #   strings) -> a numeric array
    pooling: mean                               # mean | cls | flatten | none
    embed_method: forward                       # the method that gives features
    head: classifier                            # optional: a submodule mapping features
                                                #   to logits -> predict_proba
    batch_size: 64
    device: auto                                # cpu | cuda | cuda:1 | mps | auto
    dtype: bfloat16                             # optional: float16 | bfloat16

Weights are read safely (safetensors, or ``torch.load(weights_only=True)``) and loaded
strictly: a missing key, an unexpected key or a shape that differs fails the run and names the
file. Nothing is ever run with random weights under the model's name.

Example:
    >>> from fmbench.adapters.torch_module import CONFIG_KEYS
    >>> "weights" in CONFIG_KEYS
    True
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from fmbench.adapters.config_keys import TORCH_MODULE_KEYS
from fmbench.adapters.runtime import (
    DTYPES,
    POOLINGS,
    ResourceMeter,
    Settings,
    pool,
    require_modules,
    resolve_torch_device,
    sha256_file,
    source_sha256,
    sub_batches,
    torch_dtype,
)
from fmbench.adapters.runtime import writable as _writable
from fmbench.errors import ConfigError, ModelError
from fmbench.imports import import_object
from fmbench.models import ModelConfig

__all__ = [
    "CONFIG_KEYS",
    "TorchModuleClassifier",
    "TorchModuleModel",
    "load_torch_module",
    "read_state_dict",
]

#: The keys a ``torch_module`` config may have (besides model_id and type).
CONFIG_KEYS = TORCH_MODULE_KEYS

_INPUT_DTYPES = ("float32", "float64", "int64")
_SHOWN = 5


def _names(keys: list[str]) -> str:
    more = f" and {len(keys) - _SHOWN} more" if len(keys) > _SHOWN else ""
    return ", ".join(keys[:_SHOWN]) + more


def read_state_dict(
    path: Path, *, key: str | None = None, strip_prefix: str | None = None
) -> dict[str, Any]:
    """Read a state dict from ``.safetensors`` or a ``torch.save`` file, without unpickling code.

    Args:
        path: the weights file.
        key: the entry of a checkpoint dict that holds the state dict (``state_dict``...).
        strip_prefix: a prefix to remove from every key (``module.`` from DataParallel).
    """
    import torch

    if path.suffix == ".safetensors":
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        try:
            loaded: Any = load_file(str(path), device="cpu")
        except (SafetensorError, OSError, ValueError) as exc:
            raise ModelError(
                f"weights file {path}: not a readable safetensors file ({exc})"
            ) from None
    else:
        try:
            loaded = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ModelError(
                f"weights file {path}: cannot be read with torch.load(weights_only=True) "
                f"({first}); save model.state_dict() with torch.save or safetensors"
            ) from None
    if key is not None:
        if not isinstance(loaded, Mapping) or key not in loaded:
            found = _names(sorted(map(str, loaded))) if isinstance(loaded, Mapping) else "none"
            raise ModelError(f"weights file {path}: no entry {key!r} (state_dict_key); has {found}")
        loaded = loaded[key]
    if not isinstance(loaded, Mapping) or not loaded:
        raise ModelError(f"weights file {path}: expected a state dict (name -> tensor)")
    bad = [str(k) for k, v in loaded.items() if not isinstance(v, torch.Tensor)]
    if bad:
        raise ModelError(
            f"weights file {path}: entries {_names(bad)} are not tensors; if the state dict "
            "sits inside a checkpoint, set state_dict_key (e.g. state_dict or model)"
        )
    state = {str(k): v for k, v in loaded.items()}
    if strip_prefix:
        state = {k.removeprefix(strip_prefix): v for k, v in state.items()}
    return state


def load_strict(module: Any, state: Mapping[str, Any], path: Path) -> None:
    """Load ``state`` into ``module``; any missing, unexpected or misshapen key is an error."""
    expected = module.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    misshapen = sorted(
        f"{k} (file {tuple(state[k].shape)}, model {tuple(expected[k].shape)})"
        for k in set(expected) & set(state)
        if tuple(state[k].shape) != tuple(expected[k].shape)
    )
    problems = []
    if missing:
        problems.append(f"missing keys {_names(missing)}")
    if unexpected:
        problems.append(f"unexpected keys {_names(unexpected)}")
    if misshapen:
        problems.append(f"shape mismatch {_names(misshapen)}")
    if problems:
        raise ModelError(
            f"weights file {path} does not match {type(module).__name__}: "
            f"{'; '.join(problems)} (check init_kwargs, state_dict_key and strip_prefix)"
        )
    module.load_state_dict(state, strict=True)


def select_output(output: Any, key: str | int | None, *, where: str) -> Any:
    """The tensor inside a forward output (a tensor, a tuple, a dict or a ModelOutput)."""
    import torch

    if isinstance(output, torch.Tensor):
        return output
    if isinstance(output, Mapping) or hasattr(output, "keys"):
        names = list(output.keys())
        if key is None:
            if "last_hidden_state" in names:
                key = "last_hidden_state"
            elif len(names) == 1:
                key = names[0]
            else:
                raise ModelError(
                    f"{where}: the output is a mapping with {', '.join(map(str, names))}; set "
                    "output_key to the one holding the features"
                )
        if key not in names:
            raise ModelError(f"{where}: output_key {key!r} not in the output ({', '.join(names)})")
        return output[key]
    if isinstance(output, (tuple, list)):
        index = 0 if key is None else key
        if not isinstance(index, int) or not -len(output) <= index < len(output):
            raise ModelError(
                f"{where}: the output is a sequence of {len(output)}; output_key must be an "
                f"index, got {key!r}"
            )
        return output[index]
    raise ModelError(f"{where}: the output is a {type(output).__name__}, not a tensor")


class TorchRunner:
    """Device, precision and metering shared by the torch-based adapters."""

    def __init__(self, settings: Settings, model_id: str) -> None:
        self.settings = settings
        self.model_id = model_id
        self.batch_size = settings.integer("batch_size", 32)
        self.device = resolve_torch_device(
            settings.string("device", "cpu") or "cpu", source=settings.source
        )
        self.dtype_name = settings.choice("dtype", DTYPES, None)
        self.dtype = torch_dtype(self.dtype_name)
        self.meter = ResourceMeter(device=self.device)
        if self.device.startswith("cuda"):
            import torch

            torch.cuda.reset_peak_memory_stats(self.device)

    def where(self, method: str) -> str:
        return f"model {self.model_id!r} ({self.settings.adapter}) {method}"

    def common_description(self, module: Any) -> dict[str, Any]:
        import torch

        return {
            "n_parameters": int(sum(p.numel() for p in module.parameters())),
            "device": self.device,
            "dtype": str(self.dtype).removeprefix("torch."),
            "batch_size": self.batch_size,
            "torch_version": str(torch.__version__),
        }


class TorchModuleModel:
    """A loaded ``torch_module``: ``embed(X)`` in sub-batches under ``inference_mode``."""

    def __init__(
        self,
        module: Any,
        runner: TorchRunner,
        *,
        pooling: str,
        embed_method: str,
        output_key: str | int | None,
        input_dtype: str,
        description: dict[str, Any],
    ) -> None:
        self.module = module
        self.runner = runner
        self.pooling = pooling
        self.embed_method = embed_method
        self.output_key = output_key
        self.input_dtype = input_dtype
        self._description = description
        self.preprocess: Any = None  # a function: batch of raw inputs -> numeric array

    def _tensor(self, X: Any) -> Any:
        import torch

        if self.preprocess is not None:
            X = self.preprocess(X)
        elif isinstance(X, list) or (isinstance(X, np.ndarray) and X.dtype.kind in "OUS"):
            raise ModelError(
                f"{self.runner.where('embed')}: got sequences (strings); torch_module takes "
                "numeric arrays: set preprocess: 'module:function' (raw batch -> array), or "
                "use type: huggingface for tokenised sequences"
            )
        array = np.asarray(X, dtype=self.input_dtype)
        tensor = torch.from_numpy(_writable(array)).to(self.runner.device)
        return tensor.to(self.runner.dtype) if tensor.is_floating_point() else tensor

    def _features(self, batch: Any) -> Any:
        where = self.runner.where(f"{self.embed_method}()")
        output = getattr(self.module, self.embed_method)(batch)
        return pool(select_output(output, self.output_key, where=where), self.pooling, where=where)

    def _run(self, X: Any, head: Any) -> np.ndarray:
        import torch

        parts = []
        with torch.inference_mode():
            for rows in sub_batches(len(X), self.runner.batch_size):
                with self.runner.meter.timed(rows.stop - rows.start):
                    parts.append(head(self._tensor(X[rows])).float().cpu().numpy())
        return np.concatenate(parts).astype(np.float64)

    def embed(self, X: Any) -> np.ndarray:
        """One pooled feature vector per input row."""
        return self._run(X, self._features)

    def describe(self) -> dict[str, Any]:
        return {**self._description, **self.runner.common_description(self.module)}

    def resources(self) -> dict[str, Any]:
        return self.runner.meter.report()


class TorchModuleClassifier(TorchModuleModel):
    """A ``torch_module`` with a classification head: also ``predict_proba(X)``."""

    def __init__(self, *args: Any, head: str | None, logits_method: str | None, **kw: Any):
        super().__init__(*args, **kw)
        self.head_name = head
        self.logits_method = logits_method

    def _logits(self, batch: Any) -> Any:
        if self.head_name is not None:
            return getattr(self.module, self.head_name)(self._features(batch))
        assert self.logits_method is not None
        where = self.runner.where(f"{self.logits_method}()")
        output = getattr(self.module, self.logits_method)(batch)
        return select_output(output, self.output_key, where=where)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Softmax of the head's logits (a single logit column: sigmoid, two columns)."""
        import torch

        def proba(batch: Any) -> Any:
            logits = self._logits(batch).float()
            if logits.ndim != 2:
                raise ModelError(
                    f"{self.runner.where('predict_proba')}: logits have shape "
                    f"{tuple(logits.shape)}; expected (n, n_classes)"
                )
            if logits.shape[1] == 1:
                p = torch.sigmoid(logits)
                return torch.cat([1 - p, p], dim=1)
            return torch.softmax(logits, dim=1)

        return self._run(X, proba)


def _method(module: Any, name: str, key: str, source: str) -> str:
    if not callable(getattr(module, name, None)):
        raise ConfigError(
            f"model config {source}: {key}: {type(module).__name__} has no method {name!r}"
        )
    return name


def _cached_weights(config: ModelConfig) -> Path:
    """The verified download of the declared weights in the cache (converted if asked)."""
    from fmbench.model_weights import weights_file

    path = weights_file(
        {"model_id": config.model_id, **dict(config.settings)},
        command=f"fmbench download-weights --model {config.source}",
    )
    if not path.is_file():
        raise ModelError(f"model {config.model_id!r}: cached weights {path} are not a file")
    return path


def load_torch_module(config: ModelConfig) -> TorchModuleModel:
    """Build the module, load its weights strictly, move it to the device, set eval mode."""
    require_modules(("torch", "safetensors"), extra="torch", adapter="torch_module")
    import torch

    started = time.perf_counter()
    settings = Settings(config.settings, source=config.source, adapter="torch_module")
    import_path = settings.required("import_path", "my_package.model:Encoder")
    weights = settings.path("weights", kind="weights file")
    if weights is None and (
        config.settings.get("weights_url") or config.settings.get("weights_wheel")
    ):
        weights = _cached_weights(config)
    if weights is None:
        raise ConfigError(
            f"model config {config.source}: weights: required (a .safetensors file or a "
            "torch.save(model.state_dict()) file, or weights_url + weights_sha256 fetched with "
            "`fmbench download-weights`); fmbench never runs a model with random weights"
        )
    pooling = settings.choice("pooling", POOLINGS, "mean") or "mean"
    input_dtype = settings.choice("input_dtype", _INPUT_DTYPES, "float32") or "float32"
    output_key = config.settings.get("output_key")
    if output_key is not None and not isinstance(output_key, (str, int)):
        raise ConfigError(f"model config {config.source}: output_key must be a name or an index")
    head = settings.string("head")
    logits_method = settings.string("logits_method")
    if head and logits_method:
        raise ConfigError(
            f"model config {config.source}: give head or logits_method for predict_proba, not both"
        )
    runner = TorchRunner(settings, config.model_id)
    cls = import_object(import_path, source=config.source)
    init_kwargs = settings.mapping("init_kwargs")
    try:
        module = cls(**init_kwargs)
    except TypeError as exc:
        raise ModelError(f"model {import_path}(**init_kwargs) failed: {exc}") from None
    if not isinstance(module, torch.nn.Module):
        raise ConfigError(
            f"model config {config.source}: {import_path} made a {type(module).__name__}, not a "
            "torch.nn.Module; use type: python_class for other objects"
        )
    state = read_state_dict(
        weights,
        key=settings.string("state_dict_key"),
        strip_prefix=settings.string("strip_prefix"),
    )
    load_strict(module, state, weights)
    module.to(device=runner.device, dtype=runner.dtype).eval()
    default_method = "embed" if callable(getattr(module, "embed", None)) else "forward"
    embed_method = _method(
        module,
        settings.string("embed_method", default_method) or default_method,
        "embed_method",
        config.source,
    )
    if head is not None and not isinstance(getattr(module, head, None), torch.nn.Module):
        raise ConfigError(
            f"model config {config.source}: head: {type(module).__name__} has no submodule {head!r}"
        )
    if logits_method is not None:
        _method(module, logits_method, "logits_method", config.source)
    preprocess_path = settings.string("preprocess")
    preprocess = (
        import_object(preprocess_path, source=config.source, key="preprocess")
        if preprocess_path
        else None
    )
    if preprocess is not None and not callable(preprocess):
        raise ConfigError(
            f"model config {config.source}: preprocess {preprocess_path!r} is not callable"
        )
    description = {
        "module_class": import_path,
        "weights_file": weights.name,
        "weights_format": "safetensors" if weights.suffix == ".safetensors" else "torch",
        "weights_sha256": sha256_file(weights),
        "code_sha256": source_sha256(cls),
        "pooling": pooling,
        "embed_method": embed_method,
    }
    if preprocess is not None:
        description["preprocess"] = preprocess_path
        description["preprocess_sha256"] = source_sha256(preprocess)
    kwargs: dict[str, Any] = {
        "pooling": pooling,
        "embed_method": embed_method,
        "output_key": output_key,
        "input_dtype": input_dtype,
        "description": description,
    }
    model: TorchModuleModel
    if head or logits_method:
        description["head"] = head or f"{logits_method}()"
        model = TorchModuleClassifier(
            module, runner, head=head, logits_method=logits_method, **kwargs
        )
    else:
        model = TorchModuleModel(module, runner, **kwargs)
    model.preprocess = preprocess
    runner.meter.load_s = time.perf_counter() - started
    return model
