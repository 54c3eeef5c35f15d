"""The AI Solution under test: a model loaded through its adapter, in a guarded, batched handle.

A model config (:mod:`fmbench.models.config`) names an adapter ``type``; the object the adapter
returns may have ``predict(X)``, ``predict_proba(X)``, ``embed(X)`` (or ``encode``),
``encode_sequences(list[str])``, ``fit(X, y)`` and ``prepare(info)`` (its capabilities,
:mod:`fmbench.capabilities`, are read once). :class:`ModelHandle` calls it in batches and
checks every output (shape, length, NaN).

Example:
    >>> from fmbench.models.config import parse_model_config
    >>> from fmbench.plugin_system.registry import build_registry
    >>> cfg = parse_model_config({"model_id": "m", "type": "python_class",
    ...     "import_path": "fmbench.models.dummy:DummyClassifier"}, source="<doc>")
    >>> handle = load_model(build_registry(external=False), cfg)
    >>> sorted(p.__name__ for p in handle.capabilities)
    ['Predicts', 'PredictsProba', 'Prepares']
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs
import numpy as np

from fmbench import capabilities as caps
from fmbench.data.dataset import n_rows
from fmbench.errors import ConfigError, FmbenchError, ModelError, suggest
from fmbench.models.config import ModelConfig
from fmbench.plugin_system.registry import Registry
from fmbench.plugin_system.specs import ModelAdapterSpec, resolve

__all__ = ["ModelHandle", "load_model"]


def load_model(registry: Registry, config: ModelConfig) -> ModelHandle:
    """Instantiate the model through the adapter its ``type`` names."""
    adapter = registry.get(ModelAdapterSpec, config.type)
    if adapter.config_keys:
        allowed = list(adapter.config_keys)
        for key in config.settings:
            if key not in allowed:
                raise ConfigError(
                    f"model config {config.source}: unknown key {key!r} for type "
                    f"{config.type!r}{suggest(key, allowed)}; allowed: model_id, type, "
                    f"{', '.join(allowed)}"
                )
    try:
        loader = resolve(adapter.load)
    except ImportError as exc:
        extra = f" (install: pip install {' '.join(adapter.requires)})" if adapter.requires else ""
        raise ModelError(
            f"model adapter {config.type!r} cannot be imported: {exc}{extra}"
        ) from None
    try:
        model = loader(config)
    except FmbenchError:
        raise
    except (Exception, SystemExit) as exc:  # sys.exit() while loading is a failed load too
        raise ModelError(
            f"model {config.model_id!r} ({config.source}) failed to load: "
            f"{type(exc).__name__}: {exc}".splitlines()[0]
        ) from exc
    return ModelHandle(model=model, config=config, baseline=adapter.baseline)


@attrs.define(kw_only=True, eq=False)
class ModelHandle:
    """Calls a model in batches and checks what comes back.

    ``calls`` counts calls per method and ``samples`` the inputs passed, so tests (and the
    report) can show that each distinct input went to the model once.
    """

    model: Any
    config: ModelConfig
    baseline: bool = False
    calls: dict[str, int] = attrs.field(factory=dict)
    samples: dict[str, int] = attrs.field(factory=dict)
    #: what the model offers (:mod:`fmbench.capabilities`), checked once when it is loaded
    capabilities: caps.Capabilities = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self.capabilities = caps.capabilities_of(self.model)

    @property
    def model_id(self) -> str:
        return self.config.model_id

    def has(self, need: type | caps.Group) -> bool:
        """Does the model offer this capability (or one of this group)?"""
        return bool(self.capabilities.intersection(caps.as_group(need)))

    def require(self, needs: Iterable[type | caps.Group], why: str) -> None:
        """Raise a clear error if the model lacks a capability that ``why`` needs."""
        lacking = caps.missing(self.capabilities, needs)
        if lacking:
            raise ModelError(
                f"model {self.model_id!r} ({type(self.model).__name__}) has no "
                f"{caps.describe_group(lacking[0])}, which {why} needs"
            )

    def prepare(self, info: Mapping[str, Any]) -> None:
        """Tell the model the dataset's facts (n_classes, modality, ...) if it asks."""
        if caps.Prepares in self.capabilities:
            self._invoke("prepare", self.model.prepare, dict(info))

    def fit(self, X: Any, y: np.ndarray) -> None:
        self._invoke("fit", self.model.fit, X, y)

    def _invoke(self, name: str, method: Callable[..., Any], *args: Any) -> Any:
        self.calls[name] = self.calls.get(name, 0) + 1
        if args and name != "prepare":
            self.samples[name] = self.samples.get(name, 0) + n_rows(args[0])
        if args and isinstance(args[0], np.ndarray):
            view = args[0].view()
            view.setflags(write=False)  # a model must not change its inputs
            args = (view, *args[1:])
        try:
            return method(*args)
        except FmbenchError:
            raise
        except SystemExit as exc:  # a model ends a benchmark, not fmbench
            raise ModelError(
                f"model {self.model_id!r} called sys.exit({exc.code!r}) in {name}(); a model "
                "must raise an exception instead"
            ) from exc
        except Exception as exc:
            first = str(exc).splitlines()[0] if str(exc) else ""
            if isinstance(exc, ValueError) and "read-only" in first:
                raise ModelError(
                    f"model {self.model_id!r} tried to modify its input in {name}(); a model "
                    "must not change the arrays it is given (copy them first)"
                ) from exc
            raise ModelError(
                f"model {self.model_id!r} raised in {name}(): {type(exc).__name__}: {first}"
            ) from exc

    def _checked(self, name: str, out: Any, n: int, *, ndim: int | None = None) -> np.ndarray:
        try:
            array = np.asarray(out, dtype=float)
        except (TypeError, ValueError):
            raise ModelError(
                f"model {self.model_id!r}: {name}() returned {type(out).__name__}, "
                "expected a numeric array"
            ) from None
        if array.ndim == 0 or array.shape[0] != n:
            raise ModelError(
                f"model {self.model_id!r}: {name}() returned shape {array.shape} for {n} "
                f"inputs; expected {n} rows"
            )
        if ndim is not None and array.ndim != ndim:
            raise ModelError(
                f"model {self.model_id!r}: {name}() returned shape {array.shape}; expected "
                f"{ndim} dimensions"
            )
        if not np.all(np.isfinite(array)):
            bad = int(np.sum(~np.isfinite(array)))
            raise ModelError(
                f"model {self.model_id!r}: {name}() returned {bad} NaN/infinite values"
            )
        return array

    def predict_proba(self, X: Any, n_classes: int) -> np.ndarray:
        out = self._invoke("predict_proba", self.model.predict_proba, X)
        proba = self._checked("predict_proba", out, n_rows(X))
        if proba.ndim == 1 and n_classes == 2:
            proba = np.column_stack([1 - proba, proba])
        if proba.ndim != 2 or proba.shape[1] != n_classes:
            raise ModelError(
                f"model {self.model_id!r}: predict_proba() returned shape {proba.shape}; the "
                f"dataset has {n_classes} classes, so expected ({n_rows(X)}, {n_classes})"
            )
        if np.any(proba < -1e-6) or np.any(np.abs(proba.sum(axis=1) - 1) > 1e-3):
            raise ModelError(
                f"model {self.model_id!r}: predict_proba() rows must be probabilities "
                "(non-negative, summing to 1)"
            )
        return proba

    def predict(self, X: Any) -> np.ndarray:
        out = self._invoke("predict", self.model.predict, X)
        return self._checked("predict", out, n_rows(X))

    def embed(self, X: Any) -> np.ndarray:
        sequences = isinstance(X, list) and caps.EncodesSequences in self.capabilities
        protocol = (
            caps.EncodesSequences
            if sequences
            else next(p for p in caps.EMBEDS if p in self.capabilities)
        )
        name = caps.method_name(protocol)
        out = self._invoke(name, getattr(self.model, name), X)
        n = n_rows(X)
        array = self._checked(name, out, n)
        if array.ndim < 2:  # one number per input: a score or a label, not an embedding
            raise ModelError(
                f"model {self.model_id!r}: {name}() returned shape {array.shape} for {n} "
                f"inputs; an embedding is one row of features per input, shape ({n}, "
                f"n_features) (for a single feature, return it as shape ({n}, 1))"
            )
        return array.reshape(n, -1)  # (n, tokens, d) and other shapes: one row per input

    def describe(self) -> dict[str, Any]:
        """What the report and provenance say about the model (never its weights).

        A model object may add facts through an optional ``describe() -> dict`` (adapters
        give n_parameters, device, dtype, weights_sha256, revision...); the keys above win.
        Declared weights add ``weights_source``, ``license`` and ``citation``
        (:func:`fmbench.models.weights.provenance`).
        """
        info: dict[str, Any] = {
            "model_id": self.model_id,
            "type": self.config.type,
            "class": f"{type(self.model).__module__}.{type(self.model).__qualname__}",
            "baseline": self.baseline,
            "config_sha256": self.config.sha256,
        }
        # the published source of declared weights, their licence and citation (if given)
        from fmbench.models.weights import provenance

        info.update(provenance(self.config.settings))
        for key in ("license", "citation"):
            if getattr(self.config, key):
                info[key] = getattr(self.config, key)
        for key, value in self._optional("describe").items():
            info.setdefault(str(key), value)
        return info

    def resources(self) -> dict[str, Any]:
        """The model's own measures (load and forward time, throughput, peak memory), if any."""
        return self._optional("resources")

    def _optional(self, name: str) -> dict[str, Any]:
        method = getattr(self.model, name, None)
        if not callable(method):
            return {}
        out = method()
        if not isinstance(out, Mapping):
            raise ModelError(
                f"model {self.model_id!r}: {name}() returned {type(out).__name__}, expected a dict"
            )
        # plain YAML/JSON types only (numpy scalars -> numbers, other objects -> text)
        return dict(json.loads(json.dumps(dict(out), default=_plain)))


def _plain(value: Any) -> Any:
    item = getattr(value, "item", None)
    return item() if callable(item) else str(value)
