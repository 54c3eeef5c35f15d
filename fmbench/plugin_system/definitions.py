"""Benchmark and suite definitions: YAML files -> validated records, with helpful errors.

Unknown or misspelled keys are errors that name the key and suggest the right one.

Example:
    >>> from fmbench.plugin_system.definitions import parse_suite
    >>> suite = parse_suite(
    ...     {"suite_id": "SUITE-X", "name": "X", "benchmarks": [{"benchmark_id": "BM-X"}]},
    ...     source="<example>",
    ... )
    >>> suite.benchmarks[0].benchmark
    'BM-X'
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import attrs
import cattrs

from fmbench.errors import ConfigError, suggest
from fmbench.hashing import json_sha256
from fmbench.plugin_system.specs import (
    BenchmarkSpec,
    BootstrapSpec,
    ClinicalSpec,
    DataSpecification,
    MetricsDeclaration,
    ModelSpec,
    ProbeEntry,
    SplitSpec,
    Stratification,
    SuiteEntry,
    SuiteSpec,
)
from fmbench.plugin_system.startup_cache import cached

__all__ = [
    "definition_sha256",
    "load_definitions",
    "parse_benchmark",
    "parse_model",
    "parse_suite",
    "read_yaml",
]

_converter = cattrs.Converter(forbid_extra_keys=True)


def safe_load(text: str) -> Any:
    """``yaml.safe_load`` with libyaml's safe loader when available (same result, faster).

    PyYAML is imported here, on first use: a command whose definitions all come from the
    start-up cache (:mod:`fmbench.plugin_system.startup_cache`) never imports it.
    """
    import yaml

    SafeYAMLLoader = safe_yaml_loader()
    return yaml.load(text, Loader=SafeYAMLLoader)  # noqa: S506 - a safe loader


def safe_yaml_loader() -> type:
    """libyaml's safe loader when PyYAML was built with it (several times faster), else the
    pure one."""
    import yaml

    loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return loader


def read_yaml(path: Path | str, *, what: str = "YAML file") -> Any:
    """Read a YAML file with ``yaml.safe_load``; errors name the file and line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{what} not found: {path}") from None
    except IsADirectoryError:
        raise ConfigError(f"{what} {path} is a folder, expected a YAML file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {what} {path}: {exc}") from None
    return load_yaml_text(text, path)


def load_yaml_text(text: str, source: Path | str) -> Any:
    """:func:`safe_load` of a text read from ``source``; a YAML error is a ConfigError that
    names the source, line and column."""
    import yaml

    try:
        return safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{source}:{where}: malformed YAML ({problem})") from None


def definition_sha256(data: Mapping[str, Any]) -> str:
    """Hash of a definition's content (key order and formatting do not matter)."""
    return json_sha256(data)


def _field_names(cls: type) -> list[str]:
    return [f.name for f in attrs.fields(cls)]


def _check_keys(data: Mapping[str, Any], allowed: list[str], where: str) -> None:
    for key in data:
        if key not in allowed:
            raise ConfigError(
                f"{where}: unknown key {key!r}{suggest(str(key), allowed)}; "
                f"allowed keys: {', '.join(allowed)}"
            )


def _require_mapping(data: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        kind = "empty" if data is None else type(data).__name__
        raise ConfigError(f"{where}: expected a mapping of keys to values, got {kind}")
    return data


def _structure(data: Any, cls: type, where: str) -> Any:
    try:
        return _converter.structure(data, cls)
    except Exception as exc:
        messages = (
            cattrs.transform_error(exc)
            if isinstance(exc, cattrs.BaseValidationError)
            else [str(exc)]
        )
        first = messages[0] if messages else str(exc)
        raise ConfigError(f"{where}: {first}") from None


# Keys accepted in YAML (the earlier project's names first) -> record field names.
_BENCHMARK_ALIASES = {"benchmark_id": "name", "name": "title", "description": "summary"}
_BENCHMARK_YAML_KEYS = [
    "benchmark_id", "name", "description", "version", "task", "dataset", "metrics",
    "health_domain", "health_topic", "clinical_relevance", "ai_task", "input_modality",
    "output_type", "protocol", "dataset_options", "split", "data_spec", "stratification",
    "probes", "requirements", "gold_standard", "references", "bootstrap", "clinical",
]  # fmt: skip


def _probe_entries(value: Any, where: str) -> tuple[ProbeEntry, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ConfigError(f"{where}: 'probes' must be a list of probe names or {{name, levels}}")
    entries = []
    for item in value:
        if isinstance(item, str):
            entries.append(ProbeEntry(name=item))
        elif isinstance(item, Mapping):
            _check_keys(item, ["name", "levels"], f"{where}: probes")
            if "name" not in item:
                raise ConfigError(f"{where}: every entry of 'probes' needs a 'name'")
            levels = item.get("levels")
            try:
                parsed = tuple(float(v) for v in levels) if levels is not None else None
            except (TypeError, ValueError):
                raise ConfigError(
                    f"{where}: probe {item['name']!r}: levels must be numbers"
                ) from None
            entries.append(ProbeEntry(name=str(item["name"]), levels=parsed))
        else:
            raise ConfigError(f"{where}: 'probes' entries must be names or mappings")
    return tuple(entries)


def _decision_grid(value: Any, where: str) -> tuple[float, ...]:
    """``true`` (0.01..0.99), ``false``, a list, or ``{thresholds: [...]}`` /
    ``{start, stop, step}``."""
    from fmbench.plugin_system.specs import DEFAULT_DECISION_THRESHOLDS

    if value is True:
        return DEFAULT_DECISION_THRESHOLDS
    if value is False or value is None:
        return ()
    if isinstance(value, list):
        value = {"thresholds": value}
    value = _require_mapping(value, where)
    _check_keys(value, ["thresholds", "start", "stop", "step"], where)
    try:
        if "thresholds" in value:
            return tuple(float(v) for v in value["thresholds"])
        start, stop = float(value.get("start", 0.01)), float(value.get("stop", 0.99))
        step = float(value.get("step", 0.01))
        if step <= 0:
            raise ValueError
        count = round((stop - start) / step) + 1
        return tuple(round(start + i * step, 10) for i in range(count))
    except (TypeError, ValueError):
        raise ConfigError(
            f"{where}: give true, a list of threshold probabilities in (0, 1), "
            "{thresholds: [...]} or {start, stop, step} with step > 0"
        ) from None


def _clinical(value: Any, where: str) -> ClinicalSpec:
    value = dict(_require_mapping(value, where))
    _check_keys(value, _field_names(ClinicalSpec), where)
    if "decision_curve" in value:
        value["decision_curve"] = _decision_grid(value["decision_curve"], f"{where}.decision_curve")
    for key in ("fixed_specificity", "fixed_sensitivity"):
        if isinstance(value.get(key), (int, float)):
            value[key] = [value[key]]
    if "prevalences" in value:
        value["prevalences"] = dict(_require_mapping(value["prevalences"], f"{where}.prevalences"))
    try:
        return ClinicalSpec(**value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: {exc}") from None


def _split(value: Any, where: str) -> SplitSpec:
    """The ``split:`` block: its fields checked together, each mistake one line."""
    value = _require_mapping(value, where)
    _check_keys(value, _field_names(SplitSpec), where)
    try:
        return SplitSpec(**value)
    except (TypeError, ValueError) as exc:
        message = str(exc).removeprefix("split.").removeprefix("SplitSpec.")
        raise ConfigError(f"{where}.{message}") from None


def parse_benchmark(data: Any, *, source: str) -> BenchmarkSpec:
    """Turn one benchmark YAML document into a :class:`BenchmarkSpec`."""
    where = f"benchmark {source}"
    data = _require_mapping(data, where)
    _check_keys(data, _BENCHMARK_YAML_KEYS, where)
    for required in ("benchmark_id", "task", "dataset", "metrics"):
        if required not in data:
            raise ConfigError(f"{where}: missing required key {required!r}")
    fields: dict[str, Any] = {}
    for key, value in data.items():
        fields[_BENCHMARK_ALIASES.get(key, key)] = value
    fields.setdefault("summary", fields.get("title") or fields["name"])
    metrics = _require_mapping(fields.pop("metrics"), f"{where}: metrics")
    _check_keys(metrics, _field_names(MetricsDeclaration), f"{where}: metrics")
    fields["metrics"] = _structure(dict(metrics), MetricsDeclaration, f"{where}: metrics")
    protocol = fields.pop("protocol", "zero_shot")
    if isinstance(protocol, Mapping):
        protocol = dict(protocol)
        if "name" not in protocol:
            raise ConfigError(f"{where}: 'protocol' needs a 'name' (zero_shot, linear_probe, ...)")
        fields["protocol"] = str(protocol.pop("name"))
        fields["protocol_options"] = protocol
    else:
        fields["protocol"] = str(protocol)
    if "split" in fields:
        fields["split"] = _split(fields["split"], f"{where}: split")
    for key, cls in (
        ("data_spec", DataSpecification),
        ("stratification", Stratification),
        ("bootstrap", BootstrapSpec),
    ):
        if key in fields:
            value = _require_mapping(fields[key], f"{where}: {key}")
            _check_keys(value, _field_names(cls), f"{where}: {key}")
            fields[key] = _structure(dict(value), cls, f"{where}: {key}")
    fields["probes"] = _probe_entries(fields.get("probes"), where)
    if "clinical" in fields:
        fields["clinical"] = _clinical(fields["clinical"], f"{where}: clinical")
    fields["version"] = str(fields.get("version", "1.0.0"))
    fields["source_sha256"] = definition_sha256(data)
    try:
        return BenchmarkSpec(**fields)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: {exc}") from None


_SUITE_YAML_KEYS = ["suite_id", "name", "description", "version", "benchmarks", "benchmark_id",
                    "inputs", "probes"]  # fmt: skip


def parse_suite(data: Any, *, source: str) -> SuiteSpec:
    """Turn one suite YAML document into a :class:`SuiteSpec`.

    The earlier project's single-benchmark form (``benchmark_id`` with
    ``inputs: {dataset: {default: ...}}``) is read too.
    """
    where = f"suite {source}"
    data = _require_mapping(data, where)
    _check_keys(data, _SUITE_YAML_KEYS, where)
    if "suite_id" not in data:
        raise ConfigError(f"{where}: missing required key 'suite_id'")
    entries: list[SuiteEntry] = []
    if "benchmark_id" in data:
        dataset = None
        inputs = data.get("inputs")
        if inputs is not None:
            inputs = _require_mapping(inputs, f"{where}: inputs")
            _check_keys(inputs, ["dataset"], f"{where}: inputs")
            ds = _require_mapping(inputs.get("dataset", {}), f"{where}: inputs.dataset")
            _check_keys(ds, ["default"], f"{where}: inputs.dataset")
            dataset = ds.get("default")
        entries.append(SuiteEntry(benchmark=str(data["benchmark_id"]), dataset=dataset))
    for item in data.get("benchmarks") or []:
        if isinstance(item, str):
            entries.append(SuiteEntry(benchmark=item))
            continue
        item = _require_mapping(item, f"{where}: benchmarks")
        _check_keys(item, ["benchmark_id", "dataset"], f"{where}: benchmarks")
        if "benchmark_id" not in item:
            raise ConfigError(f"{where}: every entry of 'benchmarks' needs a 'benchmark_id'")
        entries.append(SuiteEntry(benchmark=str(item["benchmark_id"]), dataset=item.get("dataset")))
    if not entries:
        raise ConfigError(f"{where}: give 'benchmarks' (a list of benchmark ids)")
    try:
        return SuiteSpec(
            name=str(data["suite_id"]),
            title=str(data.get("name", "")),
            summary=str(data.get("description") or data.get("name") or data["suite_id"]),
            version=str(data.get("version", "1.0.0")),
            benchmarks=tuple(entries),
            probes=_probe_entries(data.get("probes"), where),
            source_sha256=definition_sha256(data),
        )
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: {exc}") from None


def parse_model(data: Any, *, source: str) -> ModelSpec:
    """A model config file shipped by a plugin -> :class:`ModelSpec`.

    It is a model config (``model_id``, ``type`` and the adapter's settings) with a
    ``summary`` line for ``fmbench list-models`` and, where weights come with a licence,
    ``license`` and ``citation``.

    Example:
        >>> parse_model({"model_id": "bl", "type": "raw_features", "summary": "inputs as "
        ...              "features"}, source="<doc>").type
        'raw_features'
    """
    data = _require_mapping(data, source)
    for key in ("model_id", "type", "summary"):
        if key not in data:
            raise ConfigError(f"{source}: missing required key {key!r}")
    described = {"model_id", "type", "summary", "license", "citation"}
    try:
        return ModelSpec(
            name=str(data["model_id"]),
            summary=str(data["summary"]),
            type=str(data["type"]),
            settings={k: v for k, v in data.items() if k not in described},
            license=None if data.get("license") is None else str(data["license"]),
            citation=None if data.get("citation") is None else str(data["citation"]),
        )
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{source}: {exc}") from None


def _iter_yaml_files(package: str, folder: str) -> Iterator[tuple[str, str]]:
    root = resources.files(package)
    for part in folder.split("/"):
        root = root / part
    if not root.is_dir():
        return
    for item in sorted(root.iterdir(), key=lambda p: p.name):
        if item.name.endswith((".yaml", ".yml")):
            yield f"{package}/{folder}/{item.name}", item.read_text(encoding="utf-8")


def load_definitions(package: str, kind: str, folder: str | None = None) -> list[Any]:
    """Parse every YAML file in a package-data folder into benchmark, suite or model records.

    Args:
        package: the importable package holding the files, e.g. ``"fmbench_neuro"``.
        kind: ``"benchmarks"``, ``"suites"`` or ``"models"``.
        folder: the folder inside the package (default ``"definitions/<kind>"``).

    Example:
        >>> [s.name for s in load_definitions("fmbench.builtin", "suites")][:1]
        ['SUITE-TOY-CLASS']
    """
    parsers = {"benchmarks": parse_benchmark, "suites": parse_suite, "models": parse_model}
    parse = parsers[kind]
    files = list(_iter_yaml_files(package, folder or f"definitions/{kind}"))
    documents = cached(
        "definitions",
        {"pyyaml": _pyyaml_version(), "files": files},
        lambda: [load_yaml_text(text, source) for source, text in files],
    )
    return [parse(data, source=source) for (source, _), data in zip(files, documents, strict=True)]


@functools.cache
def _pyyaml_version() -> str:
    """The installed PyYAML's version (part of the cache key), read without importing it."""
    from importlib import metadata

    try:
        return metadata.version("PyYAML")
    except metadata.PackageNotFoundError:  # pragma: no cover - PyYAML is a dependency
        return "unknown"


def load_definition_file(path: Path | str) -> BenchmarkSpec | SuiteSpec:
    """Parse a user's benchmark or suite YAML file (``fmbench validate`` and ``--suite FILE``)."""
    data = read_yaml(path, what="definition file")
    data = _require_mapping(data, str(path))
    if "suite_id" in data:
        return parse_suite(data, source=str(path))
    if "benchmark_id" in data:
        return parse_benchmark(data, source=str(path))
    raise ConfigError(f"{path}: neither a suite (suite_id) nor a benchmark (benchmark_id)")
