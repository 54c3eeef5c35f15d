"""Model configs: the YAML a user writes, or a model a plugin ships, as a :class:`ModelConfig`.

A model config is YAML::

    model_id: my_awesome_model
    type: python_class                       # or a type another plugin registers
    import_path: "my_model:MyModelWrapper"   # the current directory is importable
    init_kwargs: {}

``--model`` takes such a file, or the name of a model that an installed plugin ships
(``fmbench list-models``), so that a user who installed from wheels needs no file.

Example:
    >>> cfg = parse_model_config(
    ...     {"model_id": "m", "type": "python_class", "import_path": "x:Y"}, source="<doc>")
    >>> cfg.model_id, cfg.type
    ('m', 'python_class')
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from fmbench.errors import ConfigError, suggest
from fmbench.hashing import json_sha256
from fmbench.plugin_system.definitions import read_yaml
from fmbench.plugin_system.specs import ModelSpec

if TYPE_CHECKING:
    from fmbench.plugin_system.registry import Registry

__all__ = [
    "DESCRIPTIVE_KEYS",
    "MODEL_ID_PATTERN",
    "ModelConfig",
    "config_of",
    "parse_model_config",
    "read_model_config",
    "resolve_model_config",
]

#: Keys any model config may carry to describe the model; they are not the adapter's settings.
DESCRIPTIVE_KEYS = ("summary", "license", "citation")

#: What a model_id may be: it names result files.
MODEL_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$")


@attrs.frozen(kw_only=True)
class ModelConfig:
    """A parsed model config: its id, adapter type, and the adapter's own settings."""

    model_id: str
    type: str
    settings: Mapping[str, Any] = attrs.field(factory=dict)
    source: str = ""
    #: the licence and citation of the model's weights (eval.yaml's model block shows them)
    license: str | None = None
    citation: str | None = None

    @property
    def sha256(self) -> str:
        """What the config says (id, type, settings), hashed; no file or object identity."""
        return json_sha256({"model_id": self.model_id, "type": self.type, **dict(self.settings)})


def parse_model_config(data: Any, *, source: str) -> ModelConfig:
    """Validate the common keys of a model config (each adapter checks its own)."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"model config {source}: expected a mapping with model_id and type")
    if "model_id" not in data:
        raise ConfigError(f"model config {source}: missing required key 'model_id'")
    model_id = str(data["model_id"])
    if not MODEL_ID_PATTERN.match(model_id):
        raise ConfigError(
            f"model config {source}: model_id {model_id!r} must be letters, digits, '_', '-' "
            "or '.' (at most 128), since it names result files"
        )
    if "type" not in data:
        raise ConfigError(
            f"model config {source}: missing required key 'type' (e.g. python_class; "
            "see `fmbench list-adapters`)"
        )
    settings = {k: v for k, v in data.items() if k not in {"model_id", "type", *DESCRIPTIVE_KEYS}}
    described = {k: " ".join(str(data[k]).split()) for k in ("license", "citation") if data.get(k)}
    return ModelConfig(
        model_id=model_id, type=str(data["type"]), settings=settings, source=source, **described
    )


def read_model_config(path: str | Path) -> ModelConfig:
    """Read and validate a model config file."""
    return parse_model_config(read_yaml(path, what="model config"), source=str(path))


def config_of(spec: ModelSpec, provider: str = "") -> ModelConfig:
    """The config of a model a plugin ships (``--model NAME`` runs it).

    Example:
        >>> from fmbench.plugin_system.specs import ModelSpec
        >>> spec = ModelSpec(name="bl", summary="s", type="raw_features", license="MIT")
        >>> config_of(spec, "my-plugin").source, config_of(spec).license
        ('<model bl of my-plugin>', 'MIT')
    """
    where = f" of {provider}" if provider else ""
    return ModelConfig(
        model_id=spec.name,
        type=spec.type,
        settings=dict(spec.settings),
        source=f"<model {spec.name}{where}>",
        license=spec.license,
        citation=spec.citation,
    )


def resolve_model_config(registry: Registry, model: str) -> ModelConfig:
    """What ``--model`` names: a model config file, or a model a plugin ships.

    A value that is an existing file is read as a config; otherwise it must be the name of a
    registered model (``fmbench list-models``).

    Example:
        >>> from fmbench.plugin_system.registry import build_registry
        >>> resolve_model_config(build_registry(external=False), "dummy_classifier").type
        'python_class'
    """
    path = Path(model)
    if path.exists():
        return read_model_config(path)  # a folder or an unreadable file gets its own message
    if registry.has(ModelSpec, model):
        return config_of(registry.get(ModelSpec, model), registry.provider(ModelSpec, model))
    if path.suffix in {".yaml", ".yml"} or len(path.parts) > 1:
        raise ConfigError(f"model config not found: {model}")
    names = registry.names(ModelSpec)
    raise ConfigError(
        f"--model {model!r} is neither a model config file nor the name of a model a plugin "
        f"ships{suggest(model, names)} (see `fmbench list-models`)"
    )
