"""Per-subject (and per-session) scores of a paradigm split, averaged as MOABB reports them.

A benchmark's ``metrics`` pool every out-of-fold test prediction and score them once. MOABB
scores each subject's session instead and averages those scores: within-session, a session's
score is the mean of its K fold scores; cross-session, the score of the held-out session;
cross-subject, the score of each session of the held-out subject. A benchmark whose split is
one of these paradigms reports both: the pooled ``metrics`` (primary metric, leaderboard) and
a ``paradigm_scores`` block with each unit's score, their mean over units (MOABB's number),
the standard deviation across units, and a percentile bootstrap interval of the mean that
resamples *subjects* (a subject's sessions move together).

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
from fmbench.evaluation.protocols import Predictions
from fmbench.evaluation.splits import metadata_labels
from fmbench.plugin_system.registry import Registry
from fmbench.plugin_system.specs import BenchmarkSpec
from fmbench.statistics.bootstrap import DEFAULT_RESAMPLES, percentile_interval, rng_seed

__all__ = ["MIN_SUBJECTS", "UnitScore", "paradigm_scores", "unit_scores"]

#: Fewer subjects than this give no interval of the mean (a bootstrap of 2-4 clusters is not one).
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


def _interval(
    values: np.ndarray, codes: np.ndarray, n_subjects: int, *, seed: Any, n_resamples: int,
    confidence: float,
) -> tuple[list[float] | None, str | None]:  # fmt: skip
    """Percentile interval of the mean over units, subjects drawn with replacement."""
    defined = np.isfinite(values)
    present = len(np.unique(codes[defined]))
    if present < MIN_SUBJECTS:
        return None, f"{present} subjects with a defined score; an interval needs {MIN_SUBJECTS}"
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, n_subjects, size=(n_resamples, n_subjects))
    counts = np.stack([np.bincount(row, minlength=n_subjects) for row in draws])
    weights = counts[:, codes] * defined  # (resamples, units)
    total = weights.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = (weights @ np.where(defined, values, 0.0)) / total
    means = means[total > 0]
    lo, hi = percentile_interval(means, confidence)
    if lo == hi:
        return None, f"every resample gives {lo:g}: a zero-width interval says nothing"
    return [lo, hi], None


def paradigm_scores(
    registry: Registry,
    benchmark: BenchmarkSpec,
    dataset: Dataset,
    predictions: Predictions,
    names: Sequence[str],
    *,
    seed: int,
    n_resamples: int | None = None,
) -> dict[str, Any]:
    """The ``paradigm_scores`` block of a benchmark record with a paradigm split."""
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
    n_resamples = n_resamples or benchmark.bootstrap.n_resamples or DEFAULT_RESAMPLES
    confidence = benchmark.bootstrap.confidence
    subject_ids = sorted({u.subject for u in units})
    codes = np.array([subject_ids.index(u.subject) for u in units])
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
        intervals[name], reason = _interval(
            values, codes, len(subject_ids),
            seed=rng_seed(seed, benchmark.name, f"paradigm/{name}"),
            n_resamples=n_resamples, confidence=confidence,
        )  # fmt: skip
        if reason:
            interval_reasons[name] = reason
    block: dict[str, Any] = {
        "method": split.method,
        "unit": [split.subjects] + ([split.session_by] if split.session_by else []),
        "unit_score": _UNIT_SCORE[split.method],
        "n_subjects": len(subject_ids),
        "n_units": len(units),
        "mean": mean,
        "std": std,
        "intervals": intervals,
        "interval_method": {
            "method": "percentile bootstrap of the mean over units",
            "unit": split.subjects,
            "n_resamples": n_resamples,
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
