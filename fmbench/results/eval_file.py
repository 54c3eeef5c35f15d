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
import os
import stat
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from fmbench.errors import ConfigError
from fmbench.hashing import canonical_json
from fmbench.io import atomic_write_text
from fmbench.results.records import EvalDocument

__all__ = [
    "SCHEMA_VERSION",
    "TIMING_FIELDS",
    "check_nesting",
    "dump_yaml",
    "load_schema",
    "read_document",
    "read_eval",
    "read_eval_verified",
    "results_sha256",
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


def _without(node: Any, paths: list[list[str]]) -> Any:
    """``node`` with the fields at ``paths`` left out ("*" = any key or item); only the
    containers on those paths are copied, everything else is shared with ``node``."""
    if not paths:
        return node
    if isinstance(node, list):
        tails = [rest for head, *rest in paths if head == "*" and rest]
        return [_without(item, tails) for item in node] if tails else node
    if not isinstance(node, dict):
        return node
    heads = {head for head, *_ in paths}
    if "*" not in heads and heads.isdisjoint(node):
        return node
    out = {}
    for key, value in node.items():
        if key not in heads and "*" not in heads:
            out[key] = value
            continue
        matching = [rest for head, *rest in paths if head in ("*", key)]
        if any(not rest for rest in matching):
            continue  # the field itself is left out
        out[key] = _without(value, matching)
    return out


def strip_timing(doc: Mapping[str, Any]) -> dict[str, Any]:
    """``doc`` without the timing fields (for comparing two runs); ``doc`` is not changed,
    and the parts of it that hold no timing field are shared, not copied.

    Example:
        >>> strip_timing({"eval_id": "x", "benchmarks": [{"resources": {}, "metrics": {"A": 1}}]})
        {'benchmarks': [{'metrics': {'A': 1}}]}
    """
    result: dict[str, Any] = _without(dict(doc), [path.split(".") for path in TIMING_FIELDS])
    return result


def results_sha256(doc: Mapping[str, Any]) -> str:
    """The SHA-256 of the document's content without its digest and timing fields: equal for
    two runs with the same inputs and seed (``digest.results_sha256``)."""
    body = {k: v for k, v in doc.items() if k != "digest"}
    return hashlib.sha256(canonical_json(strip_timing(body))).hexdigest()


def with_digest(doc: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``doc`` with a ``digest`` block added (replacing any old one)."""
    body = {k: v for k, v in doc.items() if k != "digest"}
    full = hashlib.sha256(canonical_json(body)).hexdigest()
    reproducible = results_sha256(body)
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
    try:
        canonical = canonical_json(body)
    except (TypeError, ValueError):  # keys that cannot be sorted, integers too long to write
        return False
    return bool(hashlib.sha256(canonical).hexdigest() == digest["sha256"])


class _Dumper(yaml.SafeDumper):
    """The safe dumper, writing a value used twice in full rather than as an anchor/alias."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


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


def write_eval(path: Path, document: EvalDocument) -> EvalDocument:
    """Sign ``document`` (its digest) and write it as ``eval.yaml``, atomically, once.

    Returns the signed document, the same records :func:`read_document` gives back.
    """
    signed = with_digest(document.to_dict())
    atomic_write_text(path, dump_yaml(signed))
    return EvalDocument.from_dict(signed)


def read_document(path: str | Path) -> EvalDocument:
    """Read an ``eval.yaml`` into the typed result model (:mod:`fmbench.results.records`).

    Example::

        doc = read_document("results/run1/eval.yaml")
        doc.benchmarks["BM-TOY-CLASS"].metrics["AUROC"].ci
    """
    return EvalDocument.from_dict(read_eval(Path(path)))


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


#: Lines and flow items (``[``, ``{``, ``,``) an eval file may have, counted before it is
#: parsed: a real one has a few hundred to a few thousand; this keeps the exact reader on a
#: hostile file (``[[1],[1],...]``) to seconds rather than minutes.
MAX_MARKS = 100_000


def _read_text(path: Path, max_bytes: int) -> str:
    """The text of a regular file, at most ``max_bytes`` long; never blocks on a FIFO."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise ConfigError(f"eval file not found: {path}") from None
    except IsADirectoryError:
        raise ConfigError(f"eval file {path} is a folder, expected a YAML file") from None
    except OSError as exc:
        raise ConfigError(f"cannot read eval file {path}: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as handle:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise ConfigError(f"eval file {path} is a folder, expected a YAML file")
        if not stat.S_ISREG(mode):
            raise ConfigError(f"{path} is not a regular file (a FIFO, socket or device); not read")
        try:
            data = handle.read(max_bytes + 1)
        except OSError as exc:
            raise ConfigError(f"cannot read eval file {path}: {exc}") from None
    if len(data) > max_bytes:
        raise ConfigError(f"{path}: larger than the {max_bytes}-byte limit for eval files")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"cannot read eval file {path}: {exc}") from None


def _malformed(path: Path, exc: yaml.YAMLError) -> ConfigError:
    mark = getattr(exc, "problem_mark", None)
    where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return ConfigError(f"{path}:{where}: malformed YAML ({problem})")


def read_eval(
    path: Path | str, *, max_bytes: int = 5_000_000, max_depth: int = MAX_DEPTH
) -> dict[str, Any]:
    """Read an eval file as untrusted input: what ``yaml.safe_load`` gives, within limits.

    Only a regular file is read (a FIFO or device is refused, not waited on), at most
    ``max_bytes`` of it; a text with more than :data:`MAX_NODES` values (aliases expanded),
    more than :data:`MAX_MARKS` lines and flow items, or nesting deeper than ``max_depth`` is
    refused while or before it is parsed; in an eval file (one with ``eval_id`` or
    ``schema_version``) every key must be a string and no integer longer than 4,000 digits. The fast reader (:func:`fmbench.results.yaml_reading.load_fast`) answers when its
    checks pass and the document's digest verifies; otherwise PyYAML's pure-Python safe loader
    reads the text (docs/security.md: why both give the same document).
    """
    return read_eval_verified(path, max_bytes=max_bytes, max_depth=max_depth)[0]


def read_eval_verified(
    path: Path | str, *, max_bytes: int = 5_000_000, max_depth: int = MAX_DEPTH
) -> tuple[dict[str, Any], bool]:
    """:func:`read_eval`, and whether its digest is already known to verify (True when the
    fast reader's document was kept, which needs a verified digest; False: not checked)."""
    # imported here: a run writes eval files and never reads one
    from fmbench.results.yaml_reading import (
        YAMLLimitError,
        check_json_shape,
        load_exact,
        load_fast,
        prescan,
    )

    path = Path(path)
    text = _read_text(path, max_bytes)
    try:
        prescan(text, max_marks=MAX_MARKS)
        data: Any = load_fast(text, max_depth=max_depth)
        verified = data is not None and verify_digest(data)
        if not verified:
            data = load_exact(text, max_values=MAX_NODES, max_depth=max_depth)
    except YAMLLimitError as exc:
        raise ConfigError(
            f"{path}: {exc}; an eval file is at most {max_depth} levels deep"
        ) from None
    except yaml.YAMLError as exc:
        raise _malformed(path, exc) from None
    except (RecursionError, MemoryError):
        raise ConfigError(f"{path}: nested too deeply to read as an eval file") from None
    except (ValueError, OverflowError) as exc:  # e.g. an integer too long to convert
        raise ConfigError(f"{path}: unreadable value: {str(exc)[:200]}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: an eval file must be a mapping, got {type(data).__name__}")
    try:
        # the fast reader's document was checked as it was walked; definition files read
        # here by ``validate`` may have other keys (``{0: control}``), eval files may not
        if not verified and ("eval_id" in data or "schema_version" in data):
            check_json_shape(data)
    except ValueError as exc:
        raise ConfigError(
            f"{path}: {exc}; an eval file has string keys and integers it can write"
        ) from None
    return data, verified


@functools.lru_cache(maxsize=1)
def _cached_schema_text() -> str:
    return (resources.files("fmbench.results") / "schema" / "eval.schema.json").read_text(
        encoding="utf-8"
    )


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


def _short_message(error: Any) -> str:
    """jsonschema's message with the offending value cut short (a 400-digit integer would
    otherwise push the reason out of the line)."""
    message = str(error.message)
    shown = repr(error.instance)
    if len(shown) > 60 and shown in message:
        message = message.replace(shown, f"{shown[:40]}... ({len(shown)} characters)")
    return message[:300]


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
        out.append(f"{where}: {_short_message(error)}")
    if not out and first:
        out.append(first)
    return out
