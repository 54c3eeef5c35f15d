"""Per-subject (and per-session) scores of a paradigm split, averaged as MOABB reports them.

A benchmark's ``metrics`` pool every out-of-fold test prediction and score them once. MOABB
scores each subject's session instead and averages those scores: within-session, a session's
score is the mean of its K fold scores; cross-session, the score of the held-out session;
cross-subject, the score of each session of the held-out subject. A benchmark whose split is
one of these paradigms reports both: the pooled ``metrics`` (primary metric, leaderboard) and
a ``paradigm_scores`` block with each unit's score, their mean over units (MOABB's number),
the standard deviation across units, and an interval of the mean that treats *subjects* as
the independent units (a t interval around a cluster-robust standard error: a subject's
sessions count together). A percentile bootstrap over subjects covers too little at the
subject counts of EEG datasets (0.81-0.84 of nominal 0.95 at 5 subjects, 0.89-0.91 at 10);
the t interval holds 0.92-0.96 there (``bench/bench_paradigm_intervals.py``).

A unit whose score is undefined (one class in every fold of it, for AUROC) is left out of
the mean and counted; an interval needs at least :data:`MIN_SUBJECTS` subjects and is
``null`` with a reason when it would have zero width.

Example:
    >>> import numpy as np
    >>> from fmbench.evaluation.protocols import Predictions
    >>> from fmbench.plugin_system.registry import build_registry
    >>> y = np.array([0, 1, 0, 1, 0, 1, 1, 0])
    >>> pred = Predictions(indices=np.arange(8), y_true=y, fold=np.array([0, 0, 1, 1, 2, 2, 3, 3]),
    ...                    labels=np.array([0, 1, 0, 0, 0, 1, 1, 1]))
    >>> units = unit_scores(build_registry(external=False), ["Accuracy"], pred,
    ...                     subjects=np.array(list("aaaabbbb")), sessions=None)
    >>> [(u.subject, u.n_folds, u.scores["Accuracy"]) for u in units]
    [('a', 2, 0.75), ('b', 2, 0.75)]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np

from fmbench.data.dataset import Dataset
from fmbench.evaluation.folds import metadata_labels
from fmbench.evaluation.protocols import Predictions
from fmbench.plugin_system.registry import Registry
from fmbench.plugin_system.specs import BenchmarkSpec, MetricSpec

__all__ = ["MIN_SUBJECTS", "UnitScore", "mean_interval", "paradigm_scores", "unit_scores"]

#: Fewer subjects than this give no interval of the mean (null, with the reason).
MIN_SUBJECTS = 5

_UNIT_SCORE = {
    "within_session": "mean of the session's fold scores",
    "cross_session": "score of the held-out session (trained on the subject's other sessions)",
    "cross_subject": "score of the held-out subject's samples (trained on other subjects)",
}


@attrs.frozen(kw_only=True)
class UnitScore:
    """One subject's (session's) scores: each metric the mean over the folds that tested it."""

    subject: str
    session: str | None
    n: int
    n_folds: int
    scores: dict[str, float | None]
    undefined: dict[str, str]


def unit_scores(
    registry: Registry,
    names: Sequence[str],
    predictions: Predictions,
    *,
    subjects: np.ndarray,
    sessions: np.ndarray | None,
) -> list[UnitScore]:
    """Each (subject, session)'s scores, in order: a metric is scored on every fold's test
    predictions of the unit and averaged over the folds where it is defined (MOABB's rule)."""
    from fmbench.evaluation.scoring import score_metrics

    keys = sessions if sessions is not None else np.full(len(subjects), "", dtype=object)
    out = []
    for subject, session in sorted(set(zip(subjects.tolist(), keys.tolist(), strict=True))):
        mask = (subjects == subject) & (keys == session)
        per_fold: dict[str, list[float]] = {n: [] for n in names}
        reasons: dict[str, str] = {}
        folds = np.unique(predictions.fold[mask])
        for fold in folds.tolist():
            values, undefined = score_metrics(
                registry, names, predictions.subset(mask & (predictions.fold == fold))
            )
            for name in names:
                value = values.get(name)
                if value is None:
                    reasons.setdefault(name, undefined.get(name, "undefined"))
                else:
                    per_fold[name].append(float(value))
        scores: dict[str, float | None] = {
            n: round(float(np.mean(v)), 6) if v else None for n, v in per_fold.items()
        }
        out.append(
            UnitScore(
                subject=str(subject),
                session=None if sessions is None else str(session),
                n=int(mask.sum()),
                n_folds=len(folds),
                scores=scores,
                undefined={n: r for n, r in reasons.items() if scores[n] is None},
            )
        )
    return out


def mean_interval(
    values: np.ndarray,
    subjects: np.ndarray,
    *,
    confidence: float = 0.95,
    bounds: tuple[float, float] | None = None,
) -> tuple[list[float] | None, str | None]:
    """Interval of the mean over units (NaN: undefined, left out), subjects as clusters.

    A t interval with ``G - 1`` degrees of freedom around a cluster-robust standard error
    (``G`` subjects; with one unit per subject it is the usual t interval of a mean), clipped
    to the metric's ``bounds``. ``bench/bench_paradigm_intervals.py`` measures its coverage.
    Returns ``(None, reason)`` below :data:`MIN_SUBJECTS` subjects or at zero width.

    Example:
        >>> v = np.array([0.7, 0.8, 0.9, 0.75, 0.85])
        >>> mean_interval(v, np.array(list("abcde")))
        ([0.701838, 0.898162], None)
    """
    from scipy.special import stdtrit  # scipy.stats.t.ppf, without importing stats

    defined = np.isfinite(values)
    values, subjects = values[defined], np.asarray(subjects)[defined]
    _, codes = np.unique(subjects, return_inverse=True)
    n_subjects = int(codes.max()) + 1 if len(codes) else 0
    if n_subjects < MIN_SUBJECTS:
        return None, f"{n_subjects} subjects with a defined score; an interval needs {MIN_SUBJECTS}"
    mean = float(values.mean())
    residual_sums = np.bincount(codes, weights=values - mean)
    variance = n_subjects / (n_subjects - 1) * float(np.sum(residual_sums**2)) / len(values) ** 2
    if variance <= 0:
        return None, f"every unit scores {mean:g}: a zero-width interval says nothing"
    half = float(stdtrit(n_subjects - 1, 0.5 + confidence / 2)) * variance**0.5
    lo, hi = mean - half, mean + half
    if bounds is not None:
        lo, hi = max(lo, bounds[0]), min(hi, bounds[1])
    return [round(lo, 6), round(hi, 6)], None


def paradigm_scores(
    registry: Registry,
    benchmark: BenchmarkSpec,
    dataset: Dataset,
    predictions: Predictions,
    names: Sequence[str],
) -> dict[str, Any]:
    """The ``paradigm_scores`` block of a benchmark record with a paradigm split (its
    interval is analytic, :func:`mean_interval`: no resampling, no seed)."""
    split = benchmark.split
    if split.subjects is None:
        raise ValueError(f"benchmark {benchmark.name}: a {split.method} split has no subjects")
    all_subjects = metadata_labels(dataset, split.subjects, "subject")
    assert all_subjects is not None
    subjects = all_subjects[predictions.indices]
    sessions = None
    if split.session_by is not None:
        all_sessions = metadata_labels(dataset, split.session_by, "session")
        assert all_sessions is not None
        sessions = all_sessions[predictions.indices]
    units = unit_scores(registry, names, predictions, subjects=subjects, sessions=sessions)
    confidence = benchmark.bootstrap.confidence
    unit_subjects = np.array([u.subject for u in units])
    mean: dict[str, float | None] = {}
    std: dict[str, float | None] = {}
    intervals: dict[str, list[float] | None] = {}
    interval_reasons: dict[str, str] = {}
    undefined: dict[str, str] = {}
    for name in names:
        values = np.array([np.nan if u.scores[name] is None else u.scores[name] for u in units])
        defined = values[np.isfinite(values)]
        missing = [u for u in units if u.scores[name] is None]
        if missing:
            undefined[name] = (
                f"{len(missing)} of {len(units)} units left out: {missing[0].undefined[name]}"
            )
        mean[name] = round(float(defined.mean()), 6) if len(defined) else None
        std[name] = round(float(defined.std(ddof=1)), 6) if len(defined) > 1 else None
        intervals[name], reason = mean_interval(
            values, unit_subjects, confidence=confidence,
            bounds=registry.get(MetricSpec, name).range,
        )  # fmt: skip
        if reason:
            interval_reasons[name] = reason
    block: dict[str, Any] = {
        "method": split.method,
        "unit": [split.subjects] + ([split.session_by] if split.session_by else []),
        "unit_score": _UNIT_SCORE[split.method],
        "n_subjects": len(set(unit_subjects.tolist())),
        "n_units": len(units),
        "mean": mean,
        "std": std,
        "intervals": intervals,
        "interval_method": {
            "method": "t interval of the mean over units, cluster-robust standard error "
            "(subjects as clusters, df = subjects - 1)",
            "unit": split.subjects,
            "confidence": confidence,
        },
    }
    if interval_reasons:
        block["intervals_undefined"] = interval_reasons
    if undefined:
        block["undefined"] = undefined
    block["units"] = [
        {
            "subject": u.subject,
            **({"session": u.session} if u.session is not None else {}),
            "n": u.n,
            "n_folds": u.n_folds,
            "scores": u.scores,
        }
        for u in units
    ]
    return block
