"""From accepted eval files to ranked boards: one per benchmark (id and version).

The rules (also printed on every page, see :data:`RULES`):

* **What is ranked**: each completed benchmark record of an accepted eval file, run on the
  benchmark's own dataset (a run on another dataset, ``run --dataset``, is listed, not
  ranked). The score is
  the benchmark's declared primary metric (from its installed definition; for a benchmark no
  installed plugin knows, the primary metric its records name), in the metric's declared
  direction (from the installed metric; else the record's ``primary_metric.direction``).
* **One row per model**: a model (its ``model_ids.candidate``, compared case-insensitively)
  with several runs on one benchmark shows its *latest* run (``run_metadata.started_at``,
  else ``run_metadata.date``; then the eval id, then the file digest), not its best: the best
  of k runs is biased upwards, the more so the more runs a model has. Each row says how many
  runs its model has and the range of their primary values; the other runs are kept in
  ``leaderboard.json`` (``other_runs``, latest first).
* **Order** (ties broken in this order): the primary value (best first); then the narrower
  confidence interval (none counts as infinitely wide); then the model id (case-insensitive,
  then exact); then the eval file's content digest. So the order never depends on the file
  system.
* **Rank range**: with intervals ``[lo, hi]`` (a row without one counts as the point
  ``[value, value]``), a row's best possible rank is 1 + the number of rows whose interval is
  entirely better than its own, and its worst possible rank is the number of rows minus the
  number whose interval is entirely worse.
* **Against the row above** (the tie rule): a paired test, never interval overlap; see
  :mod:`fmbench.leaderboard.paired`. "worse" when the Holm-adjusted paired bootstrap rejects
  equality, "no evidence of a difference" when it does not, and "not tested" with the reason
  when the per-sample predictions of both runs are not at hand (submitted eval files carry
  none) or the runs used different splits.

Example:
    >>> sort_key(0.9, (0.8, 1.0), "m", "d" * 64, "higher") < sort_key(0.7, None, "a", "e" * 64, "higher")
    True
"""

from __future__ import annotations

import bisect
import datetime
import functools
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from fmbench.leaderboard.collect import Collected, EvalFile, Rejected
from fmbench.leaderboard.paired import Versus, versus_above
from fmbench.leaderboard.robustness_sets import is_legacy_gate_zero, probe_set, set_labels
from fmbench.plugin_system.registry import Registry
from fmbench.plugin_system.specs import BenchmarkSpec, DatasetSpec, MetricSpec

__all__ = [
    "REFERENCE_CLASSES",
    "RULES",
    "Board",
    "Entry",
    "Leaderboard",
    "Row",
    "build_leaderboard",
    "entries_of",
    "entries_summary",
    "sort_key",
]

#: Model classes that fmbench ships as chance-level references: always marked as baselines.
#: (``fmbench.dummy_model`` is where fmbench 0.1.0 kept them; eval files of that version say so.)
REFERENCE_CLASSES = frozenset(
    f"{module}.{name}"
    for module in ("fmbench.models.dummy", "fmbench.dummy_model")
    for name in ("DummyClassifier", "DummyRegressor")
)

RULES: tuple[str, ...] = (
    "Ranked by the benchmark's declared primary metric, in its declared direction "
    "(higher or lower is better). A run on another dataset than the benchmark's own is "
    "listed under the table, not ranked.",
    "A model with several runs on a benchmark shows its latest run (start time, else date), "
    "not its best: the best of several runs is biased upwards. The Runs column gives the "
    "number of runs and the range of their primary values; the others are kept in "
    "leaderboard.json (other_runs). Models are compared by id, case-insensitively.",
    "Ties are broken by: the narrower confidence interval (none counts as infinitely wide), "
    "then the model id, then the eval file's content digest.",
    "Rank range: best possible rank = 1 + rows whose interval is entirely better; worst "
    "possible rank = rows - rows whose interval is entirely worse (a row without an interval "
    "counts as its point value). It describes the intervals; it is not a test.",
    "vs. row above: a paired bootstrap test of the primary metric against the row above, on "
    "the same test samples and folds, from the predictions.npz kept beside both eval files "
    "(two-sided, Holm-adjusted over the board's tested pairs, alpha 0.05): 'worse' or 'no "
    "evidence of a difference'. Without both runs' predictions (submitted eval files carry "
    "none), or on different splits, it says 'not tested' and why; overlapping intervals are "
    "never read as a tie.",
    "Baselines (models flagged baseline, and fmbench's own chance-level reference models) are "
    "ranked like any model and marked as baselines.",
)


def _num(value: Any) -> float | None:
    """A finite float, or None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        out = float(value)
    except OverflowError:
        return None
    return out if math.isfinite(out) else None


def _text(value: Any, limit: int = 200) -> str | None:
    return None if value is None else str(value)[:limit]


def sort_key(
    value: float, interval: tuple[float, float] | None, model_id: str, digest: str, direction: str
) -> tuple[float, float, str, str, str]:
    """The ranking order (smaller sorts first): see the module docstring."""
    width = interval[1] - interval[0] if interval is not None else math.inf
    return (
        -value if direction == "higher" else value,
        width,
        model_id.casefold(),
        model_id,
        digest,
    )


@attrs.define(kw_only=True)
class Entry:
    """One benchmark record of one accepted eval file."""

    source: EvalFile
    benchmark_id: str
    benchmark_version: str
    model_id: str
    baseline: str | None  # why it is a baseline, or None
    primary: str
    direction: str
    value: float | None
    interval: tuple[float, float] | None
    interval_method: str | None
    metrics: dict[str, float | None]
    undefined: dict[str, str]
    worst_group: dict[str, Any] | None
    robustness: dict[str, Any]
    robustness_set: str | None
    ms_per_sample: float | None
    peak_memory_mb: float | None
    date: str | None
    fmbench_version: str | None
    eval_id: str
    started_at: str | None = None
    predictions_sha256: str | None = None
    unranked: str | None = None

    @property
    def digest(self) -> str:
        return self.source.digest

    @property
    def key(self) -> tuple[float, float, str, str, str]:
        assert self.value is not None
        return sort_key(self.value, self.interval, self.model_id, self.digest, self.direction)

    def span(self) -> tuple[float, float]:
        assert self.value is not None
        return self.interval if self.interval is not None else (self.value, self.value)

    @property
    def recency(self) -> tuple[str, str, str, str]:
        """Sorts runs from the earliest to the latest (see the module docstring)."""
        return (self.started_at or "", self.date or "", self.eval_id, self.digest)


@attrs.define(kw_only=True)
class Row:
    """A model's row: its latest run, and its other runs (latest first)."""

    entry: Entry
    rank: int
    rank_range: tuple[int, int]
    other_runs: list[Entry] = attrs.field(factory=list)
    versus_above: Versus | None = None  # None on the first row

    @property
    def n_runs(self) -> int:
        return 1 + len(self.other_runs)

    @property
    def value_range(self) -> tuple[float, float] | None:
        """The lowest and highest primary value over the model's runs (None for one run)."""
        if not self.other_runs:
            return None
        values = [e.value for e in (self.entry, *self.other_runs) if e.value is not None]
        return (min(values), max(values))


@attrs.define(kw_only=True)
class Board:
    """The ranking of one benchmark version."""

    benchmark_id: str
    benchmark_version: str
    title: str
    domain: str
    modality: str
    input_modality: str | None
    known: bool
    primary: str
    direction: str
    rows: list[Row] = attrs.field(factory=list)
    unranked: list[Entry] = attrs.field(factory=list)

    @property
    def robustness_sets(self) -> dict[str, str]:
        """A letter for each distinct robustness probe set (``A``: the one most rows use);
        robustness scores compare only within one set
        (:mod:`fmbench.leaderboard.robustness_sets`)."""
        entries = [e for row in self.rows for e in (row.entry, *row.other_runs)]
        return set_labels([e.robustness_set for e in [*entries, *self.unranked]])

    @property
    def metric_names(self) -> list[str]:
        """The primary metric first, then every other metric any row reports, sorted."""
        names = {n for row in self.rows for n in row.entry.metrics}
        return [self.primary, *sorted(names - {self.primary})]


@attrs.define(kw_only=True)
class Leaderboard:
    boards: list[Board]
    rejected: list[Rejected]
    n_files: int

    @property
    def groups(self) -> list[tuple[str, str]]:
        """(domain, modality) pairs, sorted; ``other`` last."""
        pairs = {(b.domain, b.modality) for b in self.boards}
        return sorted(pairs, key=lambda p: (p[0] == "other", p[0].casefold(), p[0], p[1]))


# --- reading one record ------------------------------------------------------------------


def _interval_method_text(method: Any, metric: str | None = None) -> str | None:
    """A readable line for the interval method of ``metric`` (the primary metric), e.g.
    '95% percentile bootstrap over subject_ids, 1000 resamples' or '95% newcombe score over
    samples'."""
    if isinstance(method, str):
        return _text(method)
    if not isinstance(method, Mapping):
        return None
    confidence = _num(method.get("confidence"))
    level = f"{confidence * 100:g}% " if confidence is not None else ""
    unit = method.get("unit") or "sample"
    resamples = method.get("n_resamples")
    methods = method.get("methods")
    name = method.get("method", "interval")
    if isinstance(methods, Mapping) and metric is not None and metric in methods:
        name = methods[metric]
    text = f"{level}{name} over {unit}s"
    resampled = name in ("percentile bootstrap", "half-sampling") or not isinstance(
        methods, Mapping
    )
    if isinstance(resamples, int) and resampled:
        text += f", {resamples} resamples"
    return _text(text)


def _utc(value: Any) -> str | None:
    """An ISO 8601 time in UTC (so that times compare as text), or the text as given."""
    text = _text(value, 40)
    if text is None:
        return None
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.tzinfo is None:
        return text
    return moment.astimezone(datetime.timezone.utc).isoformat()


def _baseline(doc: Mapping[str, Any]) -> str | None:
    model = doc.get("model")
    if not isinstance(model, Mapping):
        return None
    if model.get("baseline") is True:
        return "baseline"
    if model.get("class") in REFERENCE_CLASSES:
        return "chance-level reference"
    return None


def _interval(record: Mapping[str, Any], name: str) -> tuple[float, float] | None:
    intervals = record.get("intervals")
    pair = intervals.get(name) if isinstance(intervals, Mapping) else None
    if not isinstance(pair, list) or len(pair) != 2:
        return None
    lo, hi = _num(pair[0]), _num(pair[1])
    if lo is None or hi is None or lo > hi:
        return None
    return (lo, hi)


def worst_group(record: Mapping[str, Any], metric: str, direction: str) -> dict[str, Any] | None:
    """The stratum (column=group) with the worst value of ``metric``, or None.

    Suppressed groups and undefined values are left out; ties go to the first column and
    group in sorted order.
    """
    stratified = record.get("stratified")
    if not isinstance(stratified, Mapping):
        return None
    best: tuple[float, str, str] | None = None
    found: dict[str, Any] | None = None
    for column in sorted(stratified, key=str):
        groups = stratified[column]
        if not isinstance(groups, Mapping):
            continue
        for group in sorted(groups, key=str):
            values = groups[group]
            if not isinstance(values, Mapping) or values.get("suppressed") is True:
                continue
            value = _num(values.get(metric))
            if value is None:
                continue
            key = (value if direction == "higher" else -value, str(column), str(group))
            if best is None or key < best:
                best = key
                found = {
                    "column": _text(column),
                    "group": _text(group),
                    "value": value,
                    "N": values.get("N") if isinstance(values.get("N"), int) else None,
                }
    return found


def _robustness_block(doc: Mapping[str, Any], benchmark_id: str | None) -> Mapping[str, Any] | None:
    """The robustness block of one benchmark (or the only block, as ``run-robustness``
    writes under ``robustness_testing``), or None."""
    blocks = doc.get("robustness")
    if not isinstance(blocks, Mapping) or not blocks:
        return None
    block = blocks.get(benchmark_id) if benchmark_id is not None else None
    if block is None and len(blocks) == 1:
        block = next(iter(blocks.values()))
    return block if isinstance(block, Mapping) else None


def robustness_summary(doc: Mapping[str, Any], benchmark_id: str | None = None) -> dict[str, Any]:
    """``{"score": float|None, "probes": {probe: rAUC}}`` for one benchmark of an eval file.

    Reads the robustness block of that benchmark (``robustness.<benchmark_id>``, or the only
    block, as ``run-robustness`` writes under ``robustness_testing``): its ``robustness_score``
    and, per probe, the chance-relative performance rAUC (``performance.relative_rAUC``), the
    number the score averages (see docs/robustness.md). When the block says so, also
    ``reason`` (why the score is null), ``failed_probes`` and ``signal_p`` (the signal test's
    p-value). Which scores may be compared: :mod:`fmbench.leaderboard.robustness_sets`.
    """
    out: dict[str, Any] = {"score": None, "probes": {}}
    block = _robustness_block(doc, benchmark_id)
    if block is None:
        return out
    out["score"] = _num(block.get("robustness_score"))
    if is_legacy_gate_zero(block, out["score"], block.get("robustness_score_reason")):
        out["score"] = None
    probes: dict[str, float] = {}
    for name, result in sorted((block.get("probes") or {}).items(), key=lambda kv: str(kv[0])):
        performance = result.get("performance") if isinstance(result, Mapping) else None
        value = _num(performance.get("relative_rAUC")) if isinstance(performance, Mapping) else None
        if isinstance(performance, Mapping) and is_legacy_gate_zero(
            block, value, performance.get("relative_note")
        ):
            value = None
        if value is not None:
            probes[str(name)[:100]] = value
    out["probes"] = probes
    if block.get("robustness_score_reason"):
        out["reason"] = _text(block["robustness_score_reason"], 300)
    failed = block.get("failed_probes")
    if isinstance(failed, list) and failed:
        out["failed_probes"] = [str(name)[:100] for name in failed[:50]]
    gate = block.get("signal_test")
    if isinstance(gate, Mapping) and _num(gate.get("p_value")) is not None:
        out["signal_p"] = _num(gate.get("p_value"))
    return out


def robustness_set(doc: Mapping[str, Any], benchmark_id: str | None = None) -> str | None:
    """The probes, levels and axis one benchmark's robustness score is over (or None)."""
    block = _robustness_block(doc, benchmark_id)
    return None if block is None else probe_set(block)


def _resources(
    doc: Mapping[str, Any], record: Mapping[str, Any]
) -> tuple[float | None, float | None]:
    res = record.get("resources")
    res = res if isinstance(res, Mapping) else {}
    top = doc.get("resources")
    top = top if isinstance(top, Mapping) else {}
    per_s = _num(res.get("samples_per_s"))
    ms = _num(round(1000.0 / per_s, 4)) if per_s is not None and per_s > 0 else None
    peak = _num(res.get("peak_rss_mb"))
    if peak is None:
        peak = _num(top.get("peak_rss_mb"))
    return ms, (peak if peak is None or peak >= 0 else None)


def entries_of(source: EvalFile, doc: Mapping[str, Any], registry: Registry | None) -> list[Entry]:
    """The leaderboard entries of one accepted eval file (one per completed benchmark)."""
    meta = doc.get("run_metadata") or {}
    provenance = doc.get("provenance") or {}
    out = []
    for record in doc.get("benchmarks") or []:
        if record.get("status") != "Completed":
            continue
        robustness = robustness_summary(doc, record.get("benchmark_id"))
        bid = str(record["benchmark_id"])
        declared = record.get("primary_metric") or {}
        primary, direction = str(declared.get("name")), str(declared.get("direction"))
        if registry is not None and registry.has(BenchmarkSpec, bid):
            primary = registry.get(BenchmarkSpec, bid).metrics.primary
        if registry is not None and registry.has(MetricSpec, primary):
            direction = registry.get(MetricSpec, primary).direction
        metrics_raw = record.get("metrics") or {}
        metrics = {str(k)[:100]: _num(v) for k, v in sorted(metrics_raw.items(), key=str)}
        undefined_raw = record.get("metrics_undefined") or {}
        undefined = {str(k)[:100]: str(v)[:300] for k, v in sorted(undefined_raw.items(), key=str)}
        value = metrics.get(primary)
        entry = Entry(
            source=source,
            benchmark_id=bid,
            benchmark_version=str(record.get("benchmark_version")),
            model_id=str(doc["model_ids"]["candidate"]),
            baseline=_baseline(doc),
            primary=primary,
            direction=direction,
            value=value,
            interval=_interval(record, primary),
            interval_method=_interval_method_text(record.get("interval_method"), primary),
            metrics=metrics,
            undefined=undefined,
            worst_group=worst_group(record, primary, direction),
            robustness=robustness,
            robustness_set=robustness_set(doc, record.get("benchmark_id")),
            ms_per_sample=_resources(doc, record)[0],
            peak_memory_mb=_resources(doc, record)[1],
            date=_text(meta.get("date")),
            fmbench_version=_text(provenance.get("fmbench_version")),
            eval_id=str(doc["eval_id"]),
            started_at=_utc(meta.get("started_at")),
            predictions_sha256=_text(record.get("predictions_sha256"), 64),
        )
        if value is None:
            reason = undefined.get(primary) or "not reported"
            entry.unranked = f"primary metric {primary} is undefined: {reason}"
        elif registry is not None and registry.has(BenchmarkSpec, bid):
            expected = registry.get(BenchmarkSpec, bid).dataset
            if record.get("dataset_id") != expected:
                entry.unranked = (
                    f"run on dataset {str(record.get('dataset_id'))[:100]}, not the benchmark's "
                    f"dataset {expected}"
                )
        out.append(entry)
    return out


# --- ranking -----------------------------------------------------------------------------


def rank_rows(chosen: Sequence[Entry], direction: str) -> list[Row]:
    """Order and rank ranges of the chosen run of each model.

    Interval ``a`` is entirely better than ``b`` when ``a.lo > b.hi`` (higher is better) or
    ``a.hi < b.lo`` (lower is better). Both counts per row come from binary searches in the
    sorted lower and upper bounds, so a board of n rows takes O(n log n), not O(n**2).
    """
    ordered = sorted(chosen, key=lambda e: e.key)
    spans = [e.span() for e in ordered]
    n = len(ordered)
    lows = sorted(lo for lo, _ in spans)
    highs = sorted(hi for _, hi in spans)
    rows = []
    for i, entry in enumerate(ordered):
        lo, hi = spans[i]
        above = n - bisect.bisect_right(lows, hi)  # rows whose lower bound exceeds my upper
        below = bisect.bisect_left(highs, lo)  # rows whose upper bound is under my lower
        better, worse = (above, below) if direction == "higher" else (below, above)
        rows.append(Row(entry=entry, rank=i + 1, rank_range=(1 + better, n - worse)))
    return rows


def _board_info(
    bid: str, version: str, entries: list[Entry], registry: Registry | None
) -> dict[str, Any]:
    if registry is not None and registry.has(BenchmarkSpec, bid):
        spec = registry.get(BenchmarkSpec, bid)
        modality = "other"
        if registry.has(DatasetSpec, spec.dataset):
            modality = registry.get(DatasetSpec, spec.dataset).modality
        return {
            "title": spec.title or spec.summary,
            "domain": spec.health_domain or "other",
            "modality": modality,
            "input_modality": spec.input_modality,
            "known": True,
        }
    return {
        "title": "not known to the installed plugins",
        "domain": "other",
        "modality": "other",
        "input_modality": None,
        "known": False,
    }


def _declared(entries: list[Entry]) -> tuple[str, str]:
    """The (primary, direction) most entries use; ties go to the first in sorted order."""
    counts: dict[tuple[str, str], int] = {}
    for e in entries:
        counts[(e.primary, e.direction)] = counts.get((e.primary, e.direction), 0) + 1
    return min(counts, key=lambda k: (-counts[k], k))


def entries_summary(registry: Registry | None) -> Callable[[EvalFile, Mapping[str, Any]], Any]:
    """The ``summarize`` for :func:`~fmbench.leaderboard.collect.collect_evals` that keeps
    only the entries :func:`build_leaderboard` needs, not the documents."""
    return functools.partial(entries_of, registry=registry)


def build_leaderboard(collected: Collected, registry: Registry | None) -> Leaderboard:
    """Rank every accepted eval file; see the module docstring for the rules."""
    by_board: dict[tuple[str, str], list[Entry]] = {}
    for source in collected.accepted:
        if source.doc is not None:
            entries = entries_of(source, source.doc, registry)
        else:  # collected with summarize=entries_summary(registry)
            entries = source.summary
        for entry in entries:
            by_board.setdefault((entry.benchmark_id, entry.benchmark_version), []).append(entry)
    boards = []
    for (bid, version), entries in sorted(by_board.items()):
        primary, direction = _declared(entries)
        board = Board(
            benchmark_id=bid,
            benchmark_version=version,
            primary=primary,
            direction=direction,
            **_board_info(bid, version, entries, registry),
        )
        rankable: dict[str, list[Entry]] = {}
        for entry in entries:
            if entry.unranked is None and (entry.primary, entry.direction) != (primary, direction):
                entry.unranked = (
                    f"ranks by {entry.primary} ({entry.direction}); this board uses "
                    f"{primary} ({direction})"
                )
            if entry.unranked is not None:
                board.unranked.append(entry)
            else:
                rankable.setdefault(entry.model_id.casefold(), []).append(entry)
        latest = []
        others: dict[int, list[Entry]] = {}
        for runs in rankable.values():
            runs.sort(key=lambda e: e.recency, reverse=True)
            latest.append(runs[0])
            others[id(runs[0])] = runs[1:]
        board.rows = rank_rows(latest, direction)
        for row in board.rows:
            row.other_runs = others[id(row.entry)]
        for row, versus in zip(board.rows, versus_above(board.rows, registry), strict=True):
            row.versus_above = versus
        board.unranked.sort(key=lambda e: (e.model_id.casefold(), e.model_id, e.digest))
        boards.append(board)
    boards.sort(
        key=lambda b: (
            b.domain == "other",
            b.domain.casefold(),
            b.domain,
            b.modality,
            b.benchmark_id,
            b.benchmark_version,
        )
    )
    return Leaderboard(
        boards=boards,
        rejected=list(collected.rejected),
        n_files=len(collected.accepted) + len(collected.rejected),
    )
