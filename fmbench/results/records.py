"""The typed result model: an eval document, its benchmark results, metric values, robustness.

A run builds these records once and turns them into YAML once, when ``eval.yaml`` is written;
reading an ``eval.yaml`` gives the same records back (:func:`fmbench.read_eval`), so
``read_eval(path).to_dict() == result.to_dict()``. The on-disk layout is the one the JSON schema
(``results/schema/eval.schema.json``) describes and earlier tooling reads: a benchmark's
``metrics`` are plain numbers there, with their intervals, chance levels and reasons in sibling
blocks; here they are one :class:`MetricValue` per metric.

The ``resources`` blocks (:class:`~fmbench.results.resources.Resources`) and a benchmark's
``clinical`` block (:class:`~fmbench.results.clinical.ClinicalResult`) are typed blocks
structured and unstructured with cattrs (:mod:`fmbench.results.blocks`). Blocks whose inside
is descriptive rather than read by code (stratified tables, curves, provenance) stay
mappings, and keys a record does not know (a newer schema, a plugin's addition) are kept in
``extra``, so nothing read is lost; ``layout`` remembers where the typed blocks sat among them,
so the written YAML keeps its key order.

The records of this module keep hand-written ``from_dict``/``to_dict``: their on-disk layout
is not one key per field (a benchmark's metric values, intervals, chance levels and reasons
are four sibling blocks folded into one :class:`MetricValue` per metric; ``benchmarks`` is a
list keyed by id here; some keys are written even when null and others only when set),
which a generated cattrs hook would not express more simply.

Example:
    >>> record = BenchmarkResult.from_dict({
    ...     "benchmark_id": "BM-X", "status": "Completed",
    ...     "primary_metric": {"name": "AUROC", "direction": "higher", "value": 0.8},
    ...     "metrics": {"AUROC": 0.8, "ECE": None},
    ...     "metrics_undefined": {"ECE": "needs probabilities"},
    ...     "intervals": {"AUROC": [0.7, 0.9]}, "chance": {"AUROC": 0.5}})
    >>> auroc = record.metrics["AUROC"]
    >>> auroc.value, auroc.ci, auroc.chance
    (0.8, (0.7, 0.9), 0.5)
    >>> record.metrics["ECE"].reason
    'needs probabilities'
    >>> record.status is Status.COMPLETED, record.primary.name
    (True, 'AUROC')
    >>> BenchmarkResult.from_dict(record.to_dict()) == record
    True
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

import attrs

from fmbench.results.clinical import ClinicalResult
from fmbench.results.resources import Resources

__all__ = [
    "BenchmarkResult",
    "BenchmarkResults",
    "EvalDocument",
    "MetricValue",
    "PrimaryMetric",
    "ProbeResult",
    "RobustnessResult",
    "Status",
]


class Status(str, enum.Enum):
    """How far a run, a benchmark or a probe got."""

    COMPLETED = "Completed"
    PARTIAL = "Partial"
    FAILED = "Failed"

    @classmethod
    def combined(cls, statuses: Iterator[Status] | list[Status]) -> Status:
        """The status of a whole made of parts: Completed only if all are, Failed if none is.

        Example:
            >>> Status.combined([Status.COMPLETED, Status.FAILED]).value
            'Partial'
        """
        parts = set(statuses)
        if parts <= {cls.COMPLETED}:
            return cls.COMPLETED
        if parts == {cls.FAILED}:
            return cls.FAILED
        return cls.PARTIAL


def _status(value: Any) -> Status:
    return value if isinstance(value, Status) else Status(str(value))


def _is_pair(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and len(value) == 2


def _interval(value: Any) -> tuple[float, float] | None:
    if value is None:
        return None
    low, high = value
    return (low, high)


@attrs.frozen(kw_only=True)
class MetricValue:
    """One metric of a benchmark: its value, interval and chance level, or why it is null.

    Attributes:
        name: the metric's registered name.
        value: the point estimate, or None when undefined on the data (see ``reason``).
        ci: the confidence interval ``(low, high)``, if one was computed.
        chance: the score of a model that ignores its input, where known.
        reason: why ``value`` is null.
        ci_reason: why there is no interval although there is a value.
    """

    name: str
    value: float | None
    ci: tuple[float, float] | None = attrs.field(default=None, converter=_interval)
    chance: float | None = None
    reason: str | None = None
    ci_reason: str | None = None


@attrs.frozen(kw_only=True)
class PrimaryMetric:
    """The metric that ranks a benchmark, with its direction and value."""

    name: str
    direction: str = "higher"
    value: float | None = None


class _Record:
    """Known fields typed, unknown keys kept in ``extra``; ``to_dict`` in the schema's layout."""

    #: on-disk keys this record reads into its own fields (others go to ``extra``)
    KEYS: ClassVar[tuple[str, ...]] = ()
    #: typed blocks written among the ``extra`` keys, where ``layout`` places them
    BLOCKS: ClassVar[tuple[str, ...]] = ()

    extra: Mapping[str, Any]
    layout: tuple[str, ...]

    @classmethod
    def _split(cls, data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        known = {k: v for k, v in data.items() if k in cls.KEYS}
        extra = {k: v for k, v in data.items() if k not in cls.KEYS}
        return known, extra

    @classmethod
    def _layout(cls, data: Mapping[str, Any]) -> tuple[str, ...]:
        """The order of the keys written after the record's own (extra keys and blocks)."""
        return tuple(k for k in data if k not in cls.KEYS)

    def _tail(self, skip: tuple[str, ...] = ()) -> dict[str, Any]:
        """The extra keys and the typed blocks, in the order they were read (a record built
        in code: the extra keys, then the blocks)."""
        blocks = {
            name: block.to_dict()
            for name in self.BLOCKS
            if (block := getattr(self, name)) is not None
        }
        order = [*self.layout, *self.extra, *blocks]
        out: dict[str, Any] = {}
        for key in order:
            if key in out or key in skip:
                continue
            if key in self.extra:
                out[key] = self.extra[key]
            elif key in blocks:
                out[key] = blocks[key]
        return out


def _block(cls: type[Any], extra: dict[str, Any], key: str) -> Any:
    """Take block ``key`` out of ``extra`` as a typed ``cls`` (a value that is not a
    mapping stays in ``extra``, as written)."""
    value = extra.get(key)
    if not isinstance(value, Mapping):
        return None
    del extra[key]
    return cls.from_dict(value)


def _resources(value: Any) -> Resources | None:
    if value is None or isinstance(value, Resources):
        return value
    return Resources.from_dict(value)


def _put(out: dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        out[key] = value


@attrs.frozen(kw_only=True)
class BenchmarkResult(_Record):
    """One benchmark's result: what ran, its metric values, and the blocks around them."""

    KEYS: ClassVar[tuple[str, ...]] = (
        "benchmark_id", "benchmark_version", "dataset_id", "task", "protocol", "split",
        "status", "error", "primary_metric", "metrics", "metrics_undefined", "chance",
        "intervals", "intervals_undefined",
    )  # fmt: skip
    BLOCKS: ClassVar[tuple[str, ...]] = ("clinical", "resources")

    benchmark_id: str
    status: Status = attrs.field(converter=_status)
    benchmark_version: str | None = None
    dataset_id: str | None = None
    task: str | None = None
    protocol: str | None = None
    split: Mapping[str, Any] | None = None
    error: str | None = None
    primary: PrimaryMetric | None = None
    metrics: Mapping[str, MetricValue] = attrs.field(factory=dict)
    #: the operating points, fixed points, subgroup gaps... (classification benchmarks
    #: that declare them)
    clinical: ClinicalResult | None = None
    #: time, throughput and memory of this benchmark
    resources: Resources | None = attrs.field(default=None, converter=_resources)
    #: the rest of the record as written (interval_method, stratified, data,
    #: protocol_details...), in its order
    extra: Mapping[str, Any] = attrs.field(factory=dict)
    #: the order of the keys after the record's own, as read (places clinical and resources)
    layout: tuple[str, ...] = attrs.field(default=(), eq=False, repr=False)

    @property
    def ok(self) -> bool:
        return self.status is Status.COMPLETED

    def value(self, name: str) -> float | None:
        """A metric's value (None when undefined or not computed)."""
        metric = self.metrics.get(name)
        return None if metric is None else metric.value

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BenchmarkResult:
        known, extra = cls._split(data)
        values = known.get("metrics") or {}
        intervals = known.get("intervals") or {}
        if not all(_is_pair(v) for v in intervals.values()):
            # not the [low, high] layout this version writes: kept as it is
            extra = {"intervals": intervals, **extra}
            intervals = {}
        chance = known.get("chance") or {}
        undefined = known.get("metrics_undefined") or {}
        no_interval = known.get("intervals_undefined") or {}
        names = list(dict.fromkeys([*values, *undefined]))
        metrics = {
            name: MetricValue(
                name=name,
                value=values.get(name),
                ci=intervals.get(name),
                chance=chance.get(name),
                reason=undefined.get(name),
                ci_reason=no_interval.get(name),
            )
            for name in names
        }
        primary = known.get("primary_metric")
        layout = cls._layout(data)
        return cls(
            benchmark_id=str(known["benchmark_id"]),
            status=known["status"],
            benchmark_version=known.get("benchmark_version"),
            dataset_id=known.get("dataset_id"),
            task=known.get("task"),
            protocol=known.get("protocol"),
            split=known.get("split"),
            error=known.get("error"),
            primary=None if primary is None else PrimaryMetric(**primary),
            metrics=metrics,
            clinical=_block(ClinicalResult, extra, "clinical"),
            resources=_block(Resources, extra, "resources"),
            extra=extra,
            layout=layout,
        )

    def to_dict(self) -> dict[str, Any]:
        """The record as ``eval.yaml`` holds it."""
        out: dict[str, Any] = {"benchmark_id": self.benchmark_id}
        _put(out, "benchmark_version", self.benchmark_version)
        _put(out, "dataset_id", self.dataset_id)
        _put(out, "task", self.task)
        _put(out, "protocol", self.protocol)
        _put(out, "split", None if self.split is None else dict(self.split))
        out["status"] = self.status.value
        _put(out, "error", self.error)
        if self.primary is not None:
            out["primary_metric"] = attrs.asdict(self.primary)
        if self.metrics or self.ok:
            out["metrics"] = {n: m.value for n, m in self.metrics.items()}
        undefined = {n: m.reason for n, m in self.metrics.items() if m.reason is not None}
        if undefined:
            out["metrics_undefined"] = undefined
        if self.metrics:
            out["chance"] = {n: m.chance for n, m in self.metrics.items()}
        cis = {n: list(m.ci) for n, m in self.metrics.items() if m.ci is not None}
        if cis:
            out["intervals"] = cis
        no_ci = {n: m.ci_reason for n, m in self.metrics.items() if m.ci_reason is not None}
        if no_ci:
            out["intervals_undefined"] = no_ci
        for key, value in self._tail().items():
            out.setdefault(key, value)
        return out


@attrs.frozen(kw_only=True)
class ProbeResult(_Record):
    """One robustness probe on one benchmark: its curves and chance-relative rAUC."""

    KEYS: ClassVar[tuple[str, ...]] = ("status", "levels", "error")
    BLOCKS: ClassVar[tuple[str, ...]] = ("resources",)

    status: Status = attrs.field(converter=_status)
    levels: tuple[float, ...] = attrs.field(default=(), converter=tuple)
    error: str | None = None
    #: time spent perturbing and in the model, inputs scored and reused
    resources: Resources | None = attrs.field(default=None, converter=_resources)
    #: performance and stability curves, unit... as written
    extra: Mapping[str, Any] = attrs.field(factory=dict)
    layout: tuple[str, ...] = attrs.field(default=(), eq=False, repr=False)

    @property
    def relative_rauc(self) -> float | None:
        """The chance-relative rAUC of the primary metric (None if undefined or failed)."""
        value = (self.extra.get("performance") or {}).get("relative_rAUC")
        return None if value is None else float(value)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ProbeResult:
        known, extra = cls._split(data)
        return cls(
            status=known["status"],
            levels=known.get("levels") or (),
            error=known.get("error"),
            resources=_block(Resources, extra, "resources"),
            extra=extra,
            layout=cls._layout(data),
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status.value, "levels": list(self.levels)}
        _put(out, "error", self.error)
        for key, value in self._tail().items():
            out.setdefault(key, value)
        return out


@attrs.frozen(kw_only=True)
class RobustnessResult(_Record):
    """The robustness probes run on one benchmark and their summary score."""

    KEYS: ClassVar[tuple[str, ...]] = (
        "benchmark_id", "dataset_id", "status", "error", "robustness_score",
        "robustness_score_reason", "probes",
    )  # fmt: skip
    BLOCKS: ClassVar[tuple[str, ...]] = ("resources",)

    status: Status = attrs.field(converter=_status)
    benchmark_id: str | None = None
    dataset_id: str | None = None
    error: str | None = None
    robustness_score: float | None = None
    robustness_score_reason: str | None = None
    probes: Mapping[str, ProbeResult] = attrs.field(factory=dict)
    #: wall time of all the probes
    resources: Resources | None = attrs.field(default=None, converter=_resources)
    #: primary_metric (clean and chance values), definition, n_test, seed...
    extra: Mapping[str, Any] = attrs.field(factory=dict)
    layout: tuple[str, ...] = attrs.field(default=(), eq=False, repr=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RobustnessResult:
        known, extra = cls._split(data)
        return cls(
            status=known["status"],
            benchmark_id=known.get("benchmark_id"),
            dataset_id=known.get("dataset_id"),
            error=known.get("error"),
            robustness_score=known.get("robustness_score"),
            robustness_score_reason=known.get("robustness_score_reason"),
            probes={k: ProbeResult.from_dict(v) for k, v in (known.get("probes") or {}).items()},
            resources=_block(Resources, extra, "resources"),
            extra=extra,
            layout=cls._layout(data),
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        _put(out, "benchmark_id", self.benchmark_id)
        _put(out, "dataset_id", self.dataset_id)
        out["status"] = self.status.value
        _put(out, "error", self.error)
        if "primary_metric" in self.extra:
            out["primary_metric"] = self.extra["primary_metric"]
        if self.error is None or self.robustness_score is not None:
            out["robustness_score"] = self.robustness_score
        _put(out, "robustness_score_reason", self.robustness_score_reason)
        for key, value in self._tail(skip=("primary_metric", "probes")).items():
            out.setdefault(key, value)
        out["probes"] = {name: probe.to_dict() for name, probe in self.probes.items()}
        return out


def _mapping(value: Any) -> dict[str, Any]:
    return dict(value or {})


class BenchmarkResults(Mapping[str, BenchmarkResult]):
    """A run's benchmark results in suite order, looked up by benchmark id.

    A suite may run one benchmark twice (on two datasets): the second is found under
    ``"<id> (<dataset_id>)"``, and :attr:`records` keeps every result in order.

    Example:
        >>> a = BenchmarkResult(benchmark_id="BM-A", status="Completed", dataset_id="d1")
        >>> b = BenchmarkResult(benchmark_id="BM-A", status="Failed", dataset_id="d2")
        >>> list(BenchmarkResults([a, b]))
        ['BM-A', 'BM-A (d2)']
    """

    def __init__(self, records: Any = ()) -> None:
        if isinstance(records, Mapping):
            records = records.values()
        self.records: tuple[BenchmarkResult, ...] = tuple(records)
        self._by_key: dict[str, BenchmarkResult] = {}
        for record in self.records:
            key = record.benchmark_id
            if key in self._by_key:
                key = f"{key} ({record.dataset_id})"
            self._by_key[key] = record

    def __getitem__(self, key: str) -> BenchmarkResult:
        return self._by_key[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_key)

    def __len__(self) -> int:
        return len(self.records)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, BenchmarkResults):
            return self.records == other.records
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"BenchmarkResults({list(self._by_key)})"


@attrs.frozen(kw_only=True)
class EvalDocument(_Record):
    """An ``eval.yaml``: one model on one suite (or one ``run-robustness`` call).

    ``benchmarks`` is keyed by benchmark id (a list on disk); ``metrics`` is the earlier
    project's flat block (the first benchmark's values, plus rAUCs for run-robustness).
    """

    KEYS: ClassVar[tuple[str, ...]] = (
        "schema_version", "eval_id", "benchmark_id", "model_ids", "dataset_id", "run_metadata",
        "metrics", "status", "model", "benchmarks", "robustness", "determinism", "provenance",
        "resources", "digest",
    )  # fmt: skip

    schema_version: str
    eval_id: str
    benchmark_id: str
    status: Status = attrs.field(converter=_status)
    model_ids: Mapping[str, Any] = attrs.field(factory=dict, converter=_mapping)
    dataset_id: str | None = None
    run_metadata: Mapping[str, Any] = attrs.field(factory=dict, converter=_mapping)
    metrics: Mapping[str, Any] = attrs.field(factory=dict, converter=_mapping)
    model: Mapping[str, Any] = attrs.field(factory=dict, converter=_mapping)
    benchmarks: BenchmarkResults = attrs.field(factory=BenchmarkResults, converter=BenchmarkResults)
    robustness: Mapping[str, RobustnessResult] | None = None
    determinism: Mapping[str, Any] | None = None
    provenance: Mapping[str, Any] = attrs.field(factory=dict, converter=_mapping)
    resources: Resources | None = attrs.field(default=None, converter=_resources)
    digest: Mapping[str, Any] | None = None
    extra: Mapping[str, Any] = attrs.field(factory=dict)

    @property
    def model_id(self) -> str:
        return str(self.model_ids.get("candidate", ""))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EvalDocument:
        """The records of an eval document read from YAML (or built as a dict)."""
        known, extra = cls._split(data)
        if not isinstance(known.get("resources", {}), Mapping):  # kept as written
            extra["resources"] = known.pop("resources")
        benchmarks = [BenchmarkResult.from_dict(b) for b in known.get("benchmarks") or []]
        robustness = known.get("robustness")
        return cls(
            schema_version=str(known.get("schema_version", "")),
            eval_id=str(known.get("eval_id", "")),
            benchmark_id=str(known.get("benchmark_id", "")),
            status=known.get("status", Status.FAILED.value),
            model_ids=known.get("model_ids"),
            dataset_id=known.get("dataset_id"),
            run_metadata=known.get("run_metadata"),
            metrics=known.get("metrics"),
            model=known.get("model"),
            benchmarks=BenchmarkResults(benchmarks),
            robustness=None
            if robustness is None
            else {k: RobustnessResult.from_dict(v) for k, v in robustness.items()},
            determinism=known.get("determinism"),
            provenance=known.get("provenance"),
            resources=_block(Resources, known, "resources"),
            digest=known.get("digest"),
            extra=extra,
        )

    def to_dict(self) -> dict[str, Any]:
        """The document as ``eval.yaml`` holds it (the digest included once it is signed)."""
        out: dict[str, Any] = {
            "schema_version": self.schema_version,
            "eval_id": self.eval_id,
            "benchmark_id": self.benchmark_id,
            "model_ids": dict(self.model_ids),
        }
        if self.dataset_id is not None or "dataset_id" not in self.extra:
            out["dataset_id"] = self.dataset_id
        out["run_metadata"] = dict(self.run_metadata)
        out["metrics"] = dict(self.metrics)
        out["status"] = self.status.value
        if self.model:
            out["model"] = dict(self.model)
        out["benchmarks"] = [b.to_dict() for b in self.benchmarks.records]
        if self.robustness is not None:
            out["robustness"] = {k: r.to_dict() for k, r in self.robustness.items()}
        _put(out, "determinism", None if self.determinism is None else dict(self.determinism))
        out["provenance"] = dict(self.provenance)
        if self.resources is not None:
            out["resources"] = self.resources.to_dict()
        for key, value in self.extra.items():
            out.setdefault(key, value)
        _put(out, "digest", None if self.digest is None else dict(self.digest))
        return out
