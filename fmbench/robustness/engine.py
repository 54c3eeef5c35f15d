"""Robustness: probes x severity levels over batches, performance and stability curves, rAUC.

For one dataset, one model and a list of probes, the engine

1. takes the model's *clean* outputs once (from the benchmark's own predictions) and reuses
   them for every probe;
2. for each probe and each level of its grid, perturbs the test samples batch by batch
   (:meth:`fmbench.data.dataset.Dataset.batches`, never the whole dataset in memory), calls the model
   on each perturbed batch, and scores the outputs;
3. draws two curves per probe: *performance* (the primary metric at each level) and
   *stability* (agreement of predictions with the clean ones), and their rAUCs.

**rAUC** (:func:`rauc`), defined once here and in ``docs/robustness.md``: the levels are placed
on a rank-spaced severity axis ``t_i = i / k`` in [0, 1] (:func:`severity_axis`: every step of
the grid weighs the same, whatever unit the levels are written in) and the curve is
integrated with the trapezoid rule, ``numpy.trapezoid(values, t)``. A flat curve at 1 gives 1.

**Chance-relative performance** (:func:`relative_curve`): each performance point becomes
``(score - chance) / (clean - chance)`` (signs flipped for lower-is-better metrics), where
``chance`` is the metric's declared chance level and ``clean`` the score on unperturbed data;
its rAUC is clipped to [0, 1] (:func:`relative_rauc`). A model whose clean score is not shown
to beat chance by a label-permutation test that respects the benchmark's resampling unit
(:mod:`fmbench.robustness.signal_gate`) has no robustness score: ``null`` with the test's
p-value and reason. So a constant model, which never changes its outputs, cannot look robust.
The summary ``robustness_score`` is the mean chance-relative rAUC over the declared probes;
``null`` with the reason when any of them failed or is undefined.

Random streams: each (probe, level) draws from its own generator,
``SeedSequence(seed, spawn_key=(word64(scope), word64(probe), word64(level)))`` (:func:`fmbench.hashing.word64`)
(:func:`probe_rng`), so a probe's result never depends on which other probes run, or in what
order.

Example:
    >>> rauc([0.0, 0.5, 1.0], [1.0, 1.0, 1.0])
    1.0
    >>> rauc([40, 20, 0], [1.0, 0.5, 0.0])   # any monotone grid; first level -> t = 0
    0.5
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from fmbench.data.dataset import Dataset
from fmbench.debugging import show_traceback, traceback_text
from fmbench.errors import ConfigError, DataError, FmbenchError, MetricUndefined, suggest
from fmbench.evaluation.protocols import Predictions
from fmbench.evaluation.scoring import chance_level, score_one
from fmbench.hashing import word64
from fmbench.models.handle import ModelHandle
from fmbench.plugin_system.blame import failure_message, provider_plugin
from fmbench.plugin_system.registry import Registry
from fmbench.plugin_system.specs import (
    BenchmarkSpec,
    MetricSpec,
    ProbeEntry,
    ProbeSpec,
    SuiteEntry,
    SuiteSpec,
    resolve,
)
from fmbench.results.privacy import public_text
from fmbench.robustness.signal_gate import N_PERMUTATIONS, SIGNAL_ALPHA, SignalTest, signal_test
from fmbench.statistics.intervals import bootstrap_unit, sample_units

if TYPE_CHECKING:  # the runner imports this module; its types are only named here
    from fmbench.running.suite_run import BenchmarkOutcome, RunOptions

__all__ = [
    "N_PERMUTATIONS",
    "SEVERITY_AXIS",
    "SIGNAL_ALPHA",
    "ProbeFailure",
    "ProbePlan",
    "evaluate_probes",
    "parse_levels",
    "perturb_batch",
    "plan_probes",
    "probe_rng",
    "rauc",
    "relative_curve",
    "relative_rauc",
    "run_declared_probes",
    "severity_axis",
    "signal_test",
]

#: How levels are placed on the rAUC axis (recorded in each block as ``severity_axis``).
SEVERITY_AXIS = "rank"
#: Sequence modalities: their samples are strings, so only probes naming them apply by default.
SEQUENCE_MODALITIES = ("dna",)


class ProbeFailure(FmbenchError):
    """A probe raised, or returned something that is not a valid perturbation of its input."""


# --- definitions: severity axis, rAUC, chance-relative curve -------------------------------


def severity_axis(levels: Sequence[float]) -> np.ndarray:
    """The levels' positions on the rAUC axis: rank-spaced, ``t_i = i / k`` for ``k + 1`` levels.

    Every step of a probe's grid gets the same width, whatever unit its levels are written in:
    the noise grid's 10-dB steps (RMS ratio 0.01, 0.0316, 0.1, 0.316, 1) are equally wide, as
    they would be had the grid been written in dB. A linear map of the levels would give its
    last step (0.316 to 1) 68 % of the axis. Scores are comparable only on the same grid.

    Example:
        >>> severity_axis([0.0, 0.1, 0.5]).tolist()
        [0.0, 0.5, 1.0]
    """
    values = np.asarray(levels, dtype=float)
    if len(values) < 2 or len(np.unique(values)) != len(values):
        raise ConfigError(f"a severity grid needs at least two distinct levels, got {list(levels)}")
    return np.arange(len(values), dtype=float) / (len(values) - 1)


def rauc(levels: Sequence[float], values: Sequence[float | None]) -> float | None:
    """Area under a robustness curve over the normalised severity axis (trapezoid rule).

    Returns None when any point is undefined (None or not finite): an area with holes would
    not be comparable.

    Example:
        >>> rauc([0, 0.1, 0.2], [1.0, 0.5, 0.0])
        0.5
    """
    if any(v is None or not math.isfinite(float(v)) for v in values):
        return None
    t = severity_axis(levels)
    return float(round(float(np.trapezoid(np.asarray(values, dtype=float), t)), 6))


def relative_curve(
    scores: Sequence[float | None], clean: float, chance: float, direction: str
) -> list[float | None]:
    """Scores as a fraction of the clean model's margin over chance (1 = clean, 0 = chance).

    Points are not clipped: a point at chance level is 0 *on average*, where clipping it at
    0 would turn its noise into credit (and clipping at 1 would take a robust model's noise
    away). Only a probe's rAUC is clipped to [0, 1] (:func:`relative_rauc`).

    Example:
        >>> relative_curve([0.9, 0.7, 0.5, 0.4], clean=0.9, chance=0.5, direction="higher")
        [1.0, 0.5, 0.0, -0.25]
    """
    sign = 1.0 if direction == "higher" else -1.0
    margin = sign * (clean - chance)
    if margin <= 0:
        raise ValueError("the clean score does not beat chance")
    return [
        None if score is None else float(round(sign * (score - chance) / margin, 6))
        for score in scores
    ]


def relative_rauc(levels: Sequence[float], relative: Sequence[float | None]) -> float | None:
    """The rAUC of a chance-relative curve, clipped to [0, 1] (None when a point is undefined).

    Example:
        >>> relative_rauc([0, 1, 2], [1.0, -0.5, -1.0])   # worse than chance: 0, not negative
        0.0
        >>> relative_rauc([0, 1, 2], [1.0, 1.2, 0.9])
        1.0
    """
    area = rauc(levels, relative)
    return None if area is None else min(max(area, 0.0), 1.0)


def probe_rng(seed: int, probe: str, level: float, scope: str = "") -> np.random.Generator:
    """The random stream of one (probe, level), independent of every other probe.

    Example:
        >>> a = probe_rng(42, "noise", 0.1).random()
        >>> b = probe_rng(42, "noise", 0.1).random()
        >>> a == b, a == probe_rng(42, "masking", 0.1).random()
        (True, False)
    """
    key = (word64(scope), word64(probe), word64(level))
    return np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=key))


# --- planning: which probes, which levels, checked before the model is called ---------------


@attrs.frozen(kw_only=True)
class ProbePlan:
    """A probe to run and the grid it runs on."""

    spec: ProbeSpec
    levels: tuple[float, ...]

    @property
    def name(self) -> str:
        return self.spec.name


def check_levels(name: str, levels: Sequence[float], where: str) -> tuple[float, ...]:
    """A valid severity grid: at least two finite, distinct, monotone values."""
    values = tuple(float(v) for v in levels)
    if len(values) < 2:
        raise ConfigError(f"{where}: probe {name!r} needs at least two levels, got {list(values)}")
    if not all(math.isfinite(v) for v in values):
        raise ConfigError(f"{where}: probe {name!r} levels must be finite, got {list(values)}")
    steps = np.diff(values)
    if not (np.all(steps > 0) or np.all(steps < 0)):
        raise ConfigError(
            f"{where}: probe {name!r} levels must be distinct and in order of severity "
            f"(increasing or decreasing), got {list(values)}"
        )
    return values


def parse_levels(items: Sequence[str]) -> dict[str, tuple[float, ...]]:
    """``--levels PROBE=a,b,c`` options into grids, with one-line errors.

    Example:
        >>> parse_levels(["noise=0,0.1,1"])
        {'noise': (0.0, 0.1, 1.0)}
    """
    grids: dict[str, tuple[float, ...]] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name or not text.strip():
            raise ConfigError(
                f"--levels {item!r}: expected PROBE=a,b,c (e.g. --levels noise=0,0.1,0.3)"
            )
        if name in grids:
            raise ConfigError(f"--levels: probe {name!r} is given twice")
        try:
            values = [float(v) for v in text.split(",") if v.strip()]
        except ValueError:
            raise ConfigError(
                f"--levels {item!r}: levels must be numbers separated by commas"
            ) from None
        grids[name] = check_levels(name, values, "--levels")
    return grids


def _applies(spec: ProbeSpec, modality: str) -> bool:
    if spec.modalities:
        return modality in spec.modalities
    return modality not in SEQUENCE_MODALITIES


def plan_probes(
    registry: Registry,
    entries: Sequence[ProbeEntry] | None,
    info: Mapping[str, Any],
    *,
    dataset_label: str = "the dataset",
    where: str = "--probes",
) -> list[ProbePlan]:
    """Check the requested probes against the registry and the dataset's facts.

    ``entries`` None means every registered probe that applies to the dataset's modality.
    Raises a one-line error for an unknown probe (listing the available ones), a probe for
    another modality, or a probe that needs a fact (``requires``) the dataset lacks.
    """
    modality = str(info.get("modality") or "tabular")
    available = registry.names(ProbeSpec)
    if entries is None:
        # the default selection: probes for this modality whose required facts the data give
        # (a probe asked for by name still fails loudly when a fact is missing)
        entries = [
            ProbeEntry(name=s.name)
            for s in registry.all(ProbeSpec)
            if _applies(s, modality) and all(info.get(f) is not None for f in s.requires)
        ]
        if not entries:
            raise ConfigError(
                f"no registered probe applies to {modality} data; available: "
                f"{', '.join(available) or 'none'} (see `fmbench list-probes`)"
            )
    plans: list[ProbePlan] = []
    seen: set[str] = set()
    for entry in entries:
        if entry.name in seen:
            raise ConfigError(f"{where}: probe {entry.name!r} is listed twice")
        seen.add(entry.name)
        if not registry.has(ProbeSpec, entry.name):
            raise ConfigError(
                f"{where}: unknown probe {entry.name!r}{suggest(entry.name, available)}"
                f"{registry.unloaded_note()}; available: {', '.join(available) or 'none'} "
                "(see `fmbench list-probes`)"
            )
        spec: ProbeSpec = registry.get(ProbeSpec, entry.name)
        if spec.modalities and modality not in spec.modalities:
            raise ConfigError(
                f"{where}: probe {spec.name!r} applies to {', '.join(spec.modalities)} data, "
                f"but {dataset_label} is {modality} (its info 'modality'); choose probes from "
                "`fmbench list-probes`"
            )
        for fact in spec.requires:
            if info.get(fact) is None:
                fix = (
                    "pass --sampling-freq or add sampling_freq to its info.json"
                    if fact == "sampling_freq"
                    else f"add {fact!r} to its info.json"
                )
                raise DataError(
                    f"probe {spec.name!r} needs the dataset's {fact!r}, which {dataset_label} "
                    f"does not give; {fix} (or leave the probe out with --probes)"
                )
        levels = entry.levels if entry.levels is not None else spec.levels
        plans.append(ProbePlan(spec=spec, levels=check_levels(spec.name, levels, where)))
    return plans


# --- perturbing one batch --------------------------------------------------------------------


def _frozen(batch: Any, sequence: bool) -> np.ndarray:
    """A read-only view of a private copy: a probe can neither write it nor unlock it."""
    copy = np.array(batch, dtype=object) if sequence else np.array(batch, copy=True)
    copy.setflags(write=False)
    view = copy.view()
    return view


def perturb_batch(
    perturb: Callable[..., Any],
    name: str,
    batch: Any,
    level: float,
    rng: np.random.Generator,
    info: Mapping[str, Any],
    *,
    sequence: bool = False,
) -> np.ndarray:
    """Call a probe on a read-only copy of ``batch`` and check what it returns.

    Raises :class:`ProbeFailure` when the probe raises, or returns another shape, a
    non-numeric array, NaN or infinite values (strings, for sequence data).

    Example:
        >>> from fmbench.builtin.probe_functions import noise
        >>> x = np.ones((2, 3, 8))
        >>> perturb_batch(noise, "noise", x, 0.1, np.random.default_rng(0), {}).shape
        (2, 3, 8)
    """
    x = _frozen(batch, sequence)
    try:
        out = perturb(x, level, rng, info)
    except (Exception, SystemExit) as exc:
        first = str(exc).splitlines()[0] if str(exc) else ""
        raise ProbeFailure(
            f"probe {name!r} raised at level {level:g}: {type(exc).__name__}: {first}"
        ) from exc
    if not isinstance(out, np.ndarray):
        try:
            out = np.asarray(out, dtype=object if sequence else None)
        except (TypeError, ValueError):
            raise ProbeFailure(
                f"probe {name!r} returned {type(out).__name__} at level {level:g}; expected an array"
            ) from None
    if out.shape != x.shape:
        raise ProbeFailure(
            f"probe {name!r} returned shape {out.shape} at level {level:g}; the input was "
            f"{x.shape} and a probe must keep the shape"
        )
    if sequence:
        if not all(isinstance(s, str) for s in out):
            raise ProbeFailure(f"probe {name!r} returned non-strings for sequence data")
        return out
    if out.dtype.kind not in "biuf":
        raise ProbeFailure(
            f"probe {name!r} returned dtype {out.dtype} at level {level:g}; expected numbers"
        )
    if out.dtype.kind == "f" and not np.all(np.isfinite(out)):
        bad = int(np.sum(~np.isfinite(out)))
        raise ProbeFailure(f"probe {name!r} returned {bad} NaN/infinite values at level {level:g}")
    return out


# --- the clean reference, model outputs, scores -------------------------------------------


@attrs.define(kw_only=True, eq=False)
class _Outputs:
    proba: np.ndarray | None = None
    labels: np.ndarray | None = None
    values: np.ndarray | None = None


def _model_outputs(
    model: ModelHandle, batch: Any, task: str, use_proba: bool, n_classes: int
) -> _Outputs:
    """The model's outputs on one batch, exactly as the zero_shot protocol takes them."""
    if task == "classification":
        if use_proba:
            proba = model.predict_proba(batch, n_classes)
            return _Outputs(proba=proba, labels=proba.argmax(axis=1))
        out = model.predict(batch).reshape(len(batch), -1)
        return _Outputs(labels=out[:, 0].round().astype(int))
    out = model.predict(batch)
    return _Outputs(values=out.reshape(len(batch), -1))


def _stack(parts: list[_Outputs]) -> _Outputs:
    def cat(name: str) -> np.ndarray | None:
        arrays = [getattr(p, name) for p in parts]
        return None if arrays[0] is None else np.concatenate(arrays)

    return _Outputs(proba=cat("proba"), labels=cat("labels"), values=cat("values"))


def _slice(outputs: _Outputs, start: int, stop: int) -> _Outputs:
    def cut(a: np.ndarray | None) -> np.ndarray | None:
        return None if a is None else a[start:stop]

    return _Outputs(
        proba=cut(outputs.proba), labels=cut(outputs.labels), values=cut(outputs.values)
    )


def _clean_outputs(predictions: Predictions, task: str) -> _Outputs:
    values = predictions.values
    if task == "regression" and values is not None:
        values = np.asarray(values, dtype=float).reshape(len(predictions.indices), -1)
    return _Outputs(proba=predictions.proba, labels=predictions.labels, values=values)


def _as_predictions(clean: Predictions, outputs: _Outputs) -> Predictions:
    values = outputs.values
    if values is not None and clean.values is not None:
        values = values.reshape(np.asarray(clean.values).shape)
    return Predictions(
        indices=clean.indices,
        y_true=clean.y_true,
        fold=clean.fold,
        proba=outputs.proba,
        labels=outputs.labels,
        values=values,
        notes=clean.notes,
    )


def _stability(clean: _Outputs, perturbed: _Outputs) -> dict[str, float | None]:
    """Agreement of perturbed with clean outputs (1 is identical)."""
    out: dict[str, float | None] = {}
    if clean.labels is not None and perturbed.labels is not None:
        out["agreement"] = float(round(float(np.mean(clean.labels == perturbed.labels)), 6))
    if clean.proba is not None and perturbed.proba is not None:
        tv = 0.5 * np.abs(clean.proba - perturbed.proba).sum(axis=1)
        out["proba_similarity"] = float(round(float(np.mean(1.0 - tv)), 6))
    if clean.values is not None and perturbed.values is not None:
        a, b = clean.values.ravel(), perturbed.values.ravel()
        if np.array_equal(a, b):
            out["output_correlation"] = 1.0
        elif len(a) < 3 or np.std(a) == 0 or np.std(b) == 0:
            out["output_correlation"] = None
        else:
            out["output_correlation"] = float(round(float(np.corrcoef(a, b)[0, 1]), 6))
    return out


_STABILITY_NOTES = {
    "agreement": "1 - flip rate of predicted labels versus the clean predictions",
    "proba_similarity": "mean 1 - total-variation distance of probabilities to the clean ones",
    "output_correlation": "Pearson correlation of outputs with the clean outputs",
}


# --- running probes on one dataset ----------------------------------------------------------


def _input_bytes(batch: Any) -> int:
    if isinstance(batch, np.ndarray) and batch.dtype.kind != "O":
        return int(batch.nbytes)
    return int(sum(len(s) for s in batch))


def _run_probe(
    plan: ProbePlan,
    *,
    dataset: Dataset,
    clean_pred: Predictions,
    clean: _Outputs,
    model: ModelHandle,
    task: str,
    use_proba: bool,
    n_classes: int,
    primary: MetricSpec,
    info: Mapping[str, Any],
    seed: int,
    scope: str,
    batch_size: int,
    advance: Callable[[int], None],
) -> dict[str, Any]:
    spec = plan.spec
    perturb = resolve(spec.perturb)
    sequence = dataset.is_sequence
    indices = clean_pred.indices
    perf: list[float | None] = []
    undefined: dict[str, str] = {}
    stability: dict[str, list[float | None]] = {}
    perturb_s = model_s = 0.0
    n_bytes = reused = model_inputs = 0
    for level in plan.levels:
        rng = probe_rng(seed, spec.name, level, scope)
        parts: list[_Outputs] = []
        start = 0
        for _chunk, batch in dataset.batches(indices, batch_size):
            t0 = time.perf_counter()
            out = perturb_batch(perturb, spec.name, batch, level, rng, info, sequence=sequence)
            perturb_s += time.perf_counter() - t0
            n_bytes += _input_bytes(batch)
            stop = start + len(batch)
            if np.array_equal(out, np.asarray(batch, dtype=object if sequence else None)):
                parts.append(_slice(clean, start, stop))  # same input: the clean outputs
                reused += len(batch)
            else:
                t0 = time.perf_counter()
                model_batch = list(out) if sequence else out
                parts.append(_model_outputs(model, model_batch, task, use_proba, n_classes))
                model_s += time.perf_counter() - t0
                model_inputs += len(batch)
            start = stop
        outputs = _stack(parts)
        try:
            perf.append(score_one(primary, _as_predictions(clean_pred, outputs)))
        except MetricUndefined as exc:
            perf.append(None)
            undefined[f"{level:g}"] = str(exc)
        for key, value in _stability(clean, outputs).items():
            stability.setdefault(key, []).append(value)
        advance(1)
    stability_block: dict[str, Any] = {}
    for key, values in stability.items():
        stability_block[key] = {
            "values": values,
            "rAUC": rauc(plan.levels, values),
            "definition": _STABILITY_NOTES[key],
        }
    record: dict[str, Any] = {
        "status": "Completed",
        "summary": spec.summary,
        "unit": spec.unit,
        "levels": list(plan.levels),
        "severity": [float(round(v, 6)) for v in severity_axis(plan.levels)],
        "performance": {
            "metric": primary.name,
            "values": perf,
            "rAUC": rauc(plan.levels, perf),
        },
        "stability": stability_block,
        "resources": {
            "perturb_s": round(perturb_s, 4),
            "model_s": round(model_s, 4),
            "perturb_mb_per_s": round(n_bytes / 1e6 / perturb_s, 1) if perturb_s > 0 else None,
            "model_inputs": model_inputs,
            "reused_clean_outputs": reused,
        },
    }
    if undefined:
        record["performance"]["undefined"] = undefined
    return record


def evaluate_probes(
    registry: Registry,
    plans: Sequence[ProbePlan],
    *,
    dataset: Dataset,
    predictions: Predictions,
    model: ModelHandle,
    task: str,
    primary_metric: str,
    seed: int,
    batch_size: int,
    scope: str = "",
    progress: bool = False,
    label: str = "robustness",
    units: np.ndarray | None = None,
    unit_name: str | None = None,
) -> dict[str, Any]:
    """Run every planned probe on the test samples of ``predictions``; return the block.

    ``predictions`` are the model's clean outputs (from the zero_shot protocol); they are
    reused for every probe. A probe that fails is recorded with its error and the others
    still run; the block's ``status`` is then ``Partial`` (or ``Failed`` if none ran), and
    its ``robustness_score`` null. ``units`` (each test sample's resampling unit, named
    ``unit_name``) make the signal gate permute clusters, not samples.

    Example (see ``docs/robustness.md`` for the fields)::

        block = evaluate_probes(registry, plans, dataset=ds, predictions=clean, model=handle,
                                task="classification", primary_metric="AUROC", seed=42,
                                batch_size=256)
        block["robustness_score"], block["probes"]["noise"]["performance"]["values"]
    """
    from fmbench.progress import Progress

    started = time.perf_counter()
    primary: MetricSpec = registry.get(MetricSpec, primary_metric)
    clean = _clean_outputs(predictions, task)
    use_proba = clean.proba is not None
    n_classes = int(dataset.info.get("n_classes", 0))
    if use_proba:
        n_classes = int(clean.proba.shape[1])  # type: ignore[union-attr]
    info = MappingProxyType(dict(dataset.info))
    clean_pred = _as_predictions(predictions, clean)
    try:
        clean_score: float | None = score_one(primary, clean_pred)
    except MetricUndefined:
        clean_score = None
    chance = chance_level(primary, predictions.y_true)
    gate = signal_test(
        primary, clean_pred, clean_score, chance, seed, units=units, unit_name=unit_name
    )
    probes: dict[str, Any] = {}
    total = sum(len(p.levels) for p in plans)
    with Progress(total, label, enabled=progress) as bar:
        for plan in plans:
            t0 = time.perf_counter()
            done_before = bar.done
            try:
                record = _run_probe(
                    plan,
                    dataset=dataset,
                    clean_pred=clean_pred,
                    clean=clean,
                    model=model,
                    task=task,
                    use_proba=use_proba,
                    n_classes=n_classes,
                    primary=primary,
                    info=info,
                    seed=seed,
                    scope=scope,
                    batch_size=batch_size,
                    advance=bar.advance,
                )
            except (Exception, SystemExit) as exc:  # recorded; the other probes still run
                # one line naming the plugin the error came from; the traceback with --debug
                suspect = (
                    provider_plugin(registry, ProbeSpec, plan.name)
                    if isinstance(exc, ProbeFailure)
                    else None
                )
                message = failure_message(exc, registry, suspect=suspect)
                show_traceback(f"probe {plan.name} ({message})", traceback_text(exc))
                record = {
                    "status": "Failed",
                    "levels": list(plan.levels),
                    "error": public_text(message),
                }
                bar.advance(len(plan.levels) - (bar.done - done_before))
            else:
                _add_relative(record, clean_score, chance, primary, gate)
                record["resources"]["wall_time_s"] = round(time.perf_counter() - t0, 4)
            probes[plan.name] = record
    return _summary(
        probes,
        primary=primary,
        clean_score=clean_score,
        chance=chance,
        gate=gate,
        n_test=len(predictions.indices),
        seed=seed,
        batch_size=batch_size,
        wall=time.perf_counter() - started,
    )


def _add_relative(
    record: dict[str, Any],
    clean_score: float | None,
    chance: float | None,
    primary: MetricSpec,
    gate: SignalTest,
) -> None:
    perf = record["performance"]
    if not gate.passed:
        perf["relative"] = None
        perf["relative_rAUC"] = None
        perf["relative_note"] = gate.reason or "no signal"
        return
    assert clean_score is not None
    assert chance is not None
    relative = relative_curve(perf["values"], clean_score, chance, primary.direction)
    perf["relative"] = relative
    perf["relative_rAUC"] = relative_rauc(record["levels"], relative)
    if perf["relative_rAUC"] is None:
        perf["relative_note"] = "undefined at some level (see performance.undefined)"


#: What ``robustness_score`` is, written into every block.
DEFINITION = (
    "robustness_score = mean over the declared probes of the chance-relative performance rAUC "
    "(null when a probe failed, a rAUC is undefined, or the clean score is not shown to beat "
    "chance: see signal_test); chance-relative point = (score - chance) / (clean - chance), "
    "not clipped; rAUC = numpy.trapezoid over rank-spaced levels t_i = i/k, clipped to [0, 1]"
)


def _summary(
    probes: dict[str, Any],
    *,
    primary: MetricSpec,
    clean_score: float | None,
    chance: float | None,
    gate: SignalTest,
    n_test: int,
    seed: int,
    batch_size: int,
    wall: float,
) -> dict[str, Any]:
    done = [p for p in probes.values() if p["status"] == "Completed"]
    failed = [name for name, p in probes.items() if p["status"] != "Completed"]
    status = "Completed" if not failed else ("Failed" if not done else "Partial")
    scores = [p["performance"]["relative_rAUC"] for p in done]
    reasons: list[str] = []
    if failed:
        # a mean over the probes that happened to complete would compare a model that crashes
        # under a perturbation with models scored on every probe (see docs/robustness.md)
        reasons.append(
            f"probe{'s' if len(failed) > 1 else ''} {', '.join(failed)} failed, so the score "
            f"over the declared probes ({', '.join(probes)}) is undefined"
        )
    if not gate.passed:
        reasons.append(gate.reason or "no signal")
    elif done and any(s is None for s in scores):
        undefined = [
            name
            for name, p in probes.items()
            if p["status"] == "Completed" and p["performance"]["relative_rAUC"] is None
        ]
        reasons.append(f"the chance-relative rAUC of {', '.join(undefined)} is undefined")
    score: float | None = None
    if not reasons:
        score = float(round(float(np.mean(scores)), 6))
    block: dict[str, Any] = {
        "status": status,
        "primary_metric": {
            "name": primary.name,
            "direction": primary.direction,
            "clean": clean_score,
            "chance": chance,
        },
        "robustness_score": score,
    }
    if reasons:
        block["robustness_score_reason"] = "; ".join(reasons)
    if failed:
        block["failed_probes"] = failed
    block.update(
        {
            "signal_test": gate.to_dict(),
            "severity_axis": SEVERITY_AXIS,
            "definition": DEFINITION,
            "n_test": n_test,
            "seed": seed,
            "batch_size": batch_size,
            "probes": probes,
            "resources": {"wall_time_s": round(wall, 4)},
        }
    )
    return block


# --- suites that declare probes -----------------------------------------------------------


def declared_entries(
    suite_probes: Sequence[ProbeEntry], bm_probes: Sequence[ProbeEntry]
) -> list[ProbeEntry]:
    """A suite's probes apply to each of its benchmarks; a benchmark's own grid wins."""
    merged: dict[str, ProbeEntry] = {e.name: e for e in suite_probes}
    for entry in bm_probes:
        merged[entry.name] = entry
    return list(merged.values())


def run_declared_probes(
    registry: Registry,
    suite: SuiteSpec,
    benchmarks: Sequence[tuple[SuiteEntry, BenchmarkSpec]],
    model: ModelHandle,
    options: RunOptions,
    outcomes: Sequence[BenchmarkOutcome],
) -> dict[str, dict[str, Any]]:
    """Run the probes a suite (or its benchmarks) declares, per benchmark; return the blocks.

    Probes run on each benchmark's test samples with the ``zero_shot`` protocol's clean
    predictions reused. A benchmark with another protocol (linear_probe, knn_probe) has its
    probes recorded as failed with the reason: re-fitting probe estimators under perturbation
    is not supported. The result is data (``eval.yaml``'s ``robustness`` block); the Markdown
    reporter draws the plots and tables from it.
    """
    blocks: dict[str, Any] = {}
    for (_entry, benchmark), outcome in zip(benchmarks, outcomes, strict=True):
        entries = declared_entries(suite.probes, benchmark.probes)
        if not entries:
            continue
        name = benchmark.name
        if not outcome.ok or outcome.dataset is None or outcome.predictions is None:
            blocks[name] = {
                "status": "Failed",
                "error": f"benchmark {name} failed, so its probes did not run",
                "probes": {},
            }
            continue
        protocol = outcome.record.get("protocol")
        dataset = outcome.dataset
        try:
            if protocol != "zero_shot":
                raise ConfigError(
                    f"benchmark {name} uses the {protocol} protocol; robustness probes run only "
                    "with zero_shot (the model's own predictions), so declare probes on a "
                    "zero_shot benchmark"
                )
            plans = plan_probes(
                registry,
                entries,
                dataset.info,
                dataset_label=f"dataset {dataset.dataset_id}",
                where=f"suite {suite.name}, benchmark {name}",
            )
            model.prepare({**dataset.info, "task": benchmark.task, "benchmark_id": name})
            units = sample_units(benchmark, dataset, outcome.predictions.indices)
            block = evaluate_probes(
                registry,
                plans,
                dataset=dataset,
                predictions=outcome.predictions,
                model=model,
                task=benchmark.task,
                primary_metric=benchmark.metrics.primary,
                seed=options.seed,
                batch_size=options.batch_size,
                scope=name,
                progress=options.progress,
                label=f"robustness {name}",
                units=units,
                unit_name=bootstrap_unit(benchmark),
            )
        except FmbenchError as exc:
            message = public_text(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
            blocks[name] = {"status": "Failed", "error": message, "probes": {}}
            continue
        blocks[name] = {"benchmark_id": name, "dataset_id": dataset.dataset_id, **block}
    return blocks


def robustness_failed(blocks: Mapping[str, Any]) -> bool:
    """Did any probe (or a whole robustness block) fail?"""
    return any(b.get("status") != "Completed" for b in blocks.values())
