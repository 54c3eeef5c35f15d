"""``eval.yaml``: building, digests, reading and schema validation.

The digest is a SHA-256 over the canonical JSON of the document without its ``digest``
block; ``fmbench validate`` recomputes it, so an edited metric is caught. ``results_sha256``
leaves out the timing fields too, so two runs with the same inputs and seed share it.

Example:
    >>> doc = {"schema_version": SCHEMA_VERSION, "metrics": {"AUROC": 0.5}}
    >>> signed = with_digest(doc)
    >>> verify_digest(signed)
    True
    >>> signed["metrics"]["AUROC"] = 0.9
    >>> verify_digest(signed)
    False
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import math
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from fmbench.errors import ConfigError
from fmbench.io import atomic_write_text

__all__ = [
    "SCHEMA_VERSION",
    "TIMING_FIELDS",
    "check_nesting",
    "dump_yaml",
    "load_schema",
    "read_eval",
    "schema_errors",
    "strip_timing",
    "verify_digest",
    "with_digest",
    "write_eval",
]

SCHEMA_VERSION = "1.0"

#: Dotted paths of fields that depend on when and how fast a run went ("*" = any key).
TIMING_FIELDS = (
    "eval_id",
    "run_metadata.date",
    "run_metadata.started_at",
    "run_metadata.finished_at",
    "run_metadata.output_dir",
    "run_metadata.execution",
    "provenance.command",
    "resources",
    "benchmarks.*.resources",
    "robustness.*.resources",
    "robustness.*.probes.*.resources",
    "digest.sha256",
)


def _canonical(data: Any) -> bytes:
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=True, default=str
    ).encode("utf-8")


def _drop(doc: Any, parts: list[str]) -> None:
    if not parts:
        return
    head, rest = parts[0], parts[1:]
    if head == "*":
        items = (
            doc if isinstance(doc, list) else list(doc.values()) if isinstance(doc, dict) else []
        )
        for item in items:
            _drop(item, rest)
        return
    if isinstance(doc, dict) and head in doc:
        if rest:
            _drop(doc[head], rest)
        else:
            del doc[head]


def strip_timing(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``doc`` without the timing fields (for comparing two runs)."""
    copied = copy.deepcopy(dict(doc))
    for path in TIMING_FIELDS:
        _drop(copied, path.split("."))
    return copied


def with_digest(doc: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``doc`` with a ``digest`` block added (replacing any old one)."""
    body = {k: v for k, v in doc.items() if k != "digest"}
    full = hashlib.sha256(_canonical(body)).hexdigest()
    reproducible = hashlib.sha256(_canonical(strip_timing(body))).hexdigest()
    return {
        **body,
        "digest": {"algorithm": "sha256", "sha256": full, "results_sha256": reproducible},
    }


def verify_digest(doc: Mapping[str, Any]) -> bool:
    """Does the document's digest match its content?"""
    digest = doc.get("digest")
    if not isinstance(digest, Mapping) or "sha256" not in digest:
        return False
    body = {k: v for k, v in doc.items() if k != "digest"}
    return bool(hashlib.sha256(_canonical(body)).hexdigest() == digest["sha256"])


class _Dumper(yaml.SafeDumper):
    pass


def _float_representer(dumper: yaml.SafeDumper, value: float) -> yaml.Node:
    if math.isnan(value):
        return dumper.represent_scalar("tag:yaml.org,2002:float", ".nan")
    if math.isinf(value):
        return dumper.represent_scalar("tag:yaml.org,2002:float", ".inf" if value > 0 else "-.inf")
    return dumper.represent_scalar("tag:yaml.org,2002:float", repr(float(value)))


_Dumper.add_representer(float, _float_representer)


def dump_yaml(doc: Any) -> str:
    """YAML text with keys in the order given (safe dumper only)."""
    return yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def write_eval(path: Path, doc: Mapping[str, Any]) -> dict[str, Any]:
    """Add the digest and write ``eval.yaml`` atomically; returns what was written."""
    signed = with_digest(doc)
    atomic_write_text(path, dump_yaml(signed))
    return signed


#: Limits for untrusted eval files: nesting depth and the number of values once YAML aliases
#: are expanded (an "alias bomb" is small on disk but huge when walked or hashed).
MAX_DEPTH = 32
MAX_NODES = 1_000_000


def check_nesting(data: Any, *, max_depth: int = MAX_DEPTH, max_nodes: int = MAX_NODES) -> None:
    """Raise ValueError when ``data`` nests deeper than ``max_depth`` or has too many values.

    Iterative, so a hostile document cannot exhaust the Python stack.

    Example:
        >>> check_nesting({"a": [1, {"b": 2}]})
        >>> check_nesting([[[[1]]]], max_depth=3)
        Traceback (most recent call last):
        ...
        ValueError: nested deeper than 3 levels
    """
    stack: list[tuple[Any, int]] = [(data, 0)]
    seen = 0
    while stack:
        item, depth = stack.pop()
        seen += 1
        if seen > max_nodes:
            raise ValueError(f"more than {max_nodes} values (YAML aliases expanded)")
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth >= max_depth:
            raise ValueError(f"nested deeper than {max_depth} levels")
        stack.extend((child, depth + 1) for child in children)


#: The safe loader, in C when PyYAML has libyaml (about 10x faster; the same constructors).
_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_TAG = "tag:yaml.org,2002:"


class _NotPlain(Exception):
    """A node the fast constructor leaves to the standard one (merge keys, other tags)."""


class _FastSafeLoader(_SAFE_LOADER):
    """The safe loader with a fast, iterative constructor for plain data.

    Mappings, sequences, strings, integers, floats, booleans and nulls (all an eval file
    holds) are built without recursion; anchors give shared objects, as in ``safe_load``.
    Anything else (merge keys, timestamps, sets, binary, ...) makes the whole document go
    through the standard safe constructor, so the result always equals ``safe_load``'s.
    """

    #: plain scalar -> resolved tag (the safe resolver's answer depends on the text only)
    _resolved: dict[str, str] = {}  # noqa: RUF012 - a shared memo, on purpose

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if self.yaml_path_resolvers:  # none for the safe loader; kept exact if one is added
            return super().resolve(kind, value, implicit)
        if kind is yaml.ScalarNode:
            if not implicit[0]:
                return self.DEFAULT_SCALAR_TAG
            tag = self._resolved.get(value)
            if tag is None:
                tag = super().resolve(kind, value, implicit)
                if len(self._resolved) < 100_000:
                    self._resolved[value] = tag
            return tag
        return super().resolve(kind, value, implicit)

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        if self.yaml_path_resolvers:
            super().descend_resolver(current_node, current_index)

    def ascend_resolver(self) -> None:
        if self.yaml_path_resolvers:
            super().ascend_resolver()

    def construct_document(self, node: Any) -> Any:
        try:
            return self._construct_plain(node)
        except _NotPlain:
            return super().construct_document(node)

    def _construct_plain(self, root: Any) -> Any:
        scalars = {
            _TAG + "int": self.construct_yaml_int,
            _TAG + "float": self.construct_yaml_float,
            _TAG + "bool": self.construct_yaml_bool,
            _TAG + "null": self.construct_yaml_null,
        }
        made: dict[int, Any] = {}
        todo: list[tuple[Any, Any]] = []

        def make(node: Any) -> Any:
            key = id(node)
            if key in made:
                return made[key]
            tag = node.tag
            if isinstance(node, yaml.ScalarNode):
                if tag == _TAG + "str":
                    obj: Any = node.value
                elif tag in scalars:
                    obj = scalars[tag](node)
                else:
                    raise _NotPlain
            elif isinstance(node, yaml.MappingNode) and tag == _TAG + "map":
                obj = {}
                todo.append((node, obj))
            elif isinstance(node, yaml.SequenceNode) and tag == _TAG + "seq":
                obj = []
                todo.append((node, obj))
            else:
                raise _NotPlain
            made[key] = obj
            return obj

        result = make(root)
        while todo:
            node, obj = todo.pop()
            if isinstance(obj, dict):
                for key_node, value_node in node.value:
                    if key_node.tag == _TAG + "merge":
                        raise _NotPlain
                    key = make(key_node)
                    if isinstance(key, (dict, list)):
                        raise _NotPlain  # the standard constructor reports it
                    obj[key] = make(value_node)
            else:
                obj.extend([make(child) for child in node.value])
        return result


def _load_yaml(path: Path) -> Any:
    """``safe_load`` of a file; errors name the file and line (as ``read_yaml`` does)."""
    try:
        text = path.read_text(encoding="utf-8")
    except IsADirectoryError:
        raise ConfigError(f"eval file {path} is a folder, expected a YAML file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read eval file {path}: {exc}") from None
    try:
        return yaml.load(text, Loader=_FastSafeLoader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{path}:{where}: malformed YAML ({problem})") from None


def read_eval(
    path: Path | str, *, max_bytes: int = 5_000_000, max_depth: int = MAX_DEPTH
) -> dict[str, Any]:
    """Read an eval file as untrusted input: size- and depth-limited, safe loader only."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise ConfigError(f"eval file not found: {path}") from None
    if size > max_bytes:
        raise ConfigError(
            f"{path}: {size} bytes is larger than the {max_bytes}-byte limit for eval files"
        )
    try:
        data = _load_yaml(path)
    except (RecursionError, MemoryError):
        raise ConfigError(f"{path}: nested too deeply to read as an eval file") from None
    except (ValueError, OverflowError) as exc:  # e.g. an integer too long to convert
        raise ConfigError(f"{path}: unreadable value: {str(exc)[:200]}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: an eval file must be a mapping, got {type(data).__name__}")
    try:
        check_nesting(data, max_depth=max_depth)
    except ValueError as exc:
        raise ConfigError(
            f"{path}: {exc}; an eval file is at most {max_depth} levels deep"
        ) from None
    return data


@functools.lru_cache(maxsize=1)
def _cached_schema_text() -> str:
    return (resources.files("fmbench") / "schema" / "eval.schema.json").read_text(encoding="utf-8")


@functools.lru_cache(maxsize=1)
def _validator() -> Any:
    import jsonschema

    return jsonschema.Draft202012Validator(load_schema())


def load_schema() -> dict[str, Any]:
    """The published JSON Schema of ``eval.yaml``."""
    text = _cached_schema_text()
    schema: dict[str, Any] = json.loads(text)
    return schema


@functools.lru_cache(maxsize=1)
def _fast_validator() -> Any:
    """A compiled validator (fastjsonschema), or None when it is not installed.

    The schema uses only keywords that draft-07 and draft 2020-12 read alike (no sibling
    keywords beside ``$ref``), so it is compiled as draft-07, the newest fastjsonschema knows.
    """
    try:
        import fastjsonschema
    except ImportError:
        return None
    schema = copy.deepcopy(load_schema())
    schema["$schema"] = "http://json-schema.org/draft-07/schema#"
    return fastjsonschema.compile(schema)


def schema_errors(doc: Any) -> list[str]:
    """Every schema violation as ``path: message`` (empty when valid).

    A compiled validator answers first (about 15 times faster); only a document it rejects
    goes through jsonschema, for the complete list of messages.
    """
    fast = _fast_validator()
    if fast is not None:
        import fastjsonschema

        try:
            fast(doc)
            return []
        except fastjsonschema.JsonSchemaException as exc:
            first = f"(top level): {str(exc)[:300]}"
        except Exception:  # a document the compiled code cannot walk: ask jsonschema
            first = "(top level): not a valid eval document"
    else:
        first = ""
    validator = _validator()
    errors = sorted(validator.iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])
    out = []
    for error in errors:
        where = ".".join(str(p) for p in error.absolute_path) or "(top level)"
        out.append(f"{where}: {error.message[:300]}")
    if not out and first:
        out.append(first)
    return out
