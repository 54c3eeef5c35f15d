"""The ``python_class`` model adapter: import a class and instantiate it.

Example config::

    model_id: my_awesome_model
    type: python_class
    import_path: "my_model:MyModelWrapper"
    init_kwargs: {}
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from fmbench.errors import ConfigError, ModelError
from fmbench.plugin_system.hookspecs import hookimpl
from fmbench.plugin_system.specs import ModelAdapterSpec, ModelSpec

if TYPE_CHECKING:  # fmbench.models.handle imports numpy; listing plugins must not
    from fmbench.models.config import ModelConfig


def load_python_class(config: ModelConfig) -> Any:
    """Import ``import_path`` ("module:Class") with the current directory importable."""
    from fmbench.plugin_system.imports import import_object

    init_kwargs = config.settings.get("init_kwargs") or {}
    if not isinstance(init_kwargs, dict):
        raise ConfigError(f"model config {config.source}: init_kwargs must be a mapping")
    import_path = config.settings.get("import_path")
    cls = import_object(import_path, source=config.source)
    class_name = str(import_path).split(":")[-1]
    try:
        return cls(**init_kwargs)
    except TypeError as exc:
        raise ModelError(f"model {class_name}(**init_kwargs) failed: {exc}") from None


def refuse_python_object(config: ModelConfig) -> Any:
    """``type: python_object`` names an object that lived in someone's Python session."""
    raise ConfigError(
        f"model config {config.source}: type python_object is a model object given to "
        "fmbench.evaluate in Python and cannot be loaded from a config; use type: python_class "
        "with import_path: 'module:Class'"
    )


@hookimpl
def fmbench_models() -> list[ModelSpec]:
    """The reference models in ``builtin/definitions/models/``: ``--model dummy_classifier``."""
    from fmbench.plugin_system.definitions import load_definitions

    return load_definitions("fmbench.builtin", "models")


@hookimpl
def fmbench_model_adapters() -> Iterator[ModelAdapterSpec]:
    yield ModelAdapterSpec(
        name="python_class",
        summary="import a class by 'module:Class' and instantiate it with init_kwargs",
        load="fmbench.builtin.adapters:load_python_class",
        config_keys=("import_path", "init_kwargs"),
    )
    yield ModelAdapterSpec(
        name="raw_features",
        summary="baseline: the input features themselves as the embedding (no model)",
        load="fmbench.builtin.adapters:load_raw_features",
        baseline=True,
    )
    yield ModelAdapterSpec(
        name="python_object",
        summary="a model object handed to fmbench.evaluate in Python (not loadable from a file)",
        load="fmbench.builtin.adapters:refuse_python_object",
    )
    yield ModelAdapterSpec(
        name="adapter",
        summary="the earlier project's named adapters; refused with a pointer to the real adapter types",
        load="fmbench.builtin.adapters:refuse_legacy_adapter",
    )


def refuse_legacy_adapter(config: ModelConfig) -> Any:
    """The earlier project's ``type: adapter`` configs pointed at stub models; refuse them."""
    name = config.settings.get("adapter_name", "?")
    raise ConfigError(
        f"model config {config.source}: 'type: adapter' (adapter_name: {name}) is the earlier "
        "project's stub mechanism and is not supported (its adapters ran stub models); use "
        "type: torch_module (an nn.Module class + a weights file), type: huggingface (a local "
        "checkpoint folder or hub id + revision), type: onnx (an exported graph), or type: "
        "python_class (your own wrapper); see `fmbench list-adapters` and the cards in models/"
    )


class RawFeatures:
    """A baseline "encoder" whose embedding is the input itself, flattened; sequences (which
    differ in length) become their 2-mer frequencies.

    A linear probe on it measures what the raw features already give; a foundation model
    should beat it. It has no ``predict``: it only serves the probe protocols (and the plugin
    contract check uses it for benchmarks whose protocol needs embeddings).

    Example:
        >>> import numpy as np
        >>> RawFeatures().embed(np.zeros((2, 3, 4))).shape
        (2, 12)
        >>> RawFeatures().embed(["ACGT", "AAAA"]).shape
        (2, 16)
    """

    def embed(self, X: Any) -> Any:
        import numpy as np

        if isinstance(X, np.ndarray) and X.dtype.kind not in "OUS":
            return np.asarray(X, dtype=np.float64).reshape(len(X), -1)
        if not isinstance(X, (list, tuple, np.ndarray)) or (len(X) and not isinstance(X[0], str)):
            array = np.asarray(X, dtype=np.float64)
            return array.reshape(len(array), -1)
        alphabet = "ACGT"
        index = {a + b: i for i, (a, b) in enumerate((a, b) for a in alphabet for b in alphabet)}
        out = np.zeros((len(X), len(index)))
        for row, sequence in enumerate(X):
            text = str(sequence).upper()
            for start in range(len(text) - 1):
                column = index.get(text[start : start + 2])
                if column is not None:
                    out[row, column] += 1
            total = out[row].sum()
            if total:
                out[row] /= total
        return out


def load_raw_features(config: ModelConfig) -> RawFeatures:
    """The ``raw_features`` baseline adapter (it takes no settings)."""
    return RawFeatures()
