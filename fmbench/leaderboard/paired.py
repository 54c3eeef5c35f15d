"""The leaderboard's tie rule: each row against the row above it, by a paired test.

Two rows are told apart only by a test, never by whether their intervals overlap (two
95 % intervals can overlap while a paired test finds a clear difference, and the overlap
rule has no stated error rate). The test is the paired bootstrap of ``fmbench compare``
(:func:`fmbench.statistics.compare.paired_difference`) on the primary metric, which needs the
per-sample predictions of both runs: the ``predictions.npz`` that ``fmbench run`` keeps beside
``eval.yaml``, matching the record's ``predictions_sha256``, with the same test samples,
labels and folds. Submitted eval files carry no predictions, so their rows are "not tested"
(with the reason), never "tied". The p-values of a board's tested pairs are Holm-adjusted
together (:data:`ALPHA` family-wise).

Example:
    >>> Versus(verdict=NOT_TESTED, reason="no predictions.npz beside the eval file").text()
    'not tested: no predictions.npz beside the eval file'
"""

from __future__ import annotations

import itertools
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from fmbench.errors import MetricUndefined, ResultsError

if TYPE_CHECKING:
    from fmbench.leaderboard.rank import Entry, Row
    from fmbench.plugin_system.registry import Registry

__all__ = [
    "ALPHA",
    "DIFFERENT",
    "NOT_TESTED",
    "NO_EVIDENCE",
    "N_RESAMPLES",
    "TEST_TEXT",
    "Versus",
    "versus_above",
]

ALPHA = 0.05
N_RESAMPLES = 2000
#: Largest uncompressed predictions file read (a zip's declared sizes are checked first).
MAX_PREDICTIONS_BYTES = 2 * 1024**3
DIFFERENT = "worse"
NO_EVIDENCE = "no evidence of a difference"
NOT_TESTED = "not tested"
TEST_TEXT = (
    f"paired bootstrap of the primary metric on the shared test samples ({N_RESAMPLES} "
    f"resamples, two-sided), Holm-adjusted over the board's tested pairs, alpha {ALPHA:g}"
)


@attrs.frozen(kw_only=True)
class Versus:
    """A row against the row above it. ``difference`` is this row minus the row above."""

    verdict: str  # DIFFERENT | NO_EVIDENCE | NOT_TESTED
    p_value: float | None = None
    p_holm: float | None = None
    difference: float | None = None
    reason: str | None = None

    def text(self) -> str:
        """What a page shows, e.g. ``worse (Holm p = 0.003)``."""
        if self.verdict == NOT_TESTED:
            return f"{NOT_TESTED}: {self.reason}"
        return f"{self.verdict} (Holm p = {self.p_holm:.3g})"

    def as_dict(self) -> dict[str, Any]:
        return {**attrs.asdict(self), "test": TEST_TEXT if self.verdict != NOT_TESTED else None}


def _declared_size(path: Path) -> int:
    with zipfile.ZipFile(path) as archive:
        return sum(info.file_size for info in archive.infolist())


def _predictions(entry: Entry, loaded: dict[Path, Any]) -> Any:
    """The entry's stored predictions, or the reason (a str) there are none to use."""
    from fmbench.results.predictions import PREDICTIONS_FILE, load_predictions

    path = entry.source.path.parent / PREDICTIONS_FILE
    if entry.predictions_sha256 is None:
        return "the eval file names no predictions"
    if path.is_symlink() or not path.is_file():
        return "no predictions.npz beside the eval file"
    if path not in loaded:
        try:
            if _declared_size(path) > MAX_PREDICTIONS_BYTES:
                raise ResultsError(f"{path} is larger than {MAX_PREDICTIONS_BYTES} bytes")
            loaded[path] = load_predictions(path)
        except (ResultsError, OSError, zipfile.BadZipFile, ValueError):
            loaded[path] = "predictions.npz beside the eval file is unreadable"
    found = loaded[path]
    if isinstance(found, str):
        return found
    stored = found.get(entry.benchmark_id)
    if stored is None or stored.sha256 != entry.predictions_sha256:
        return "predictions.npz beside the eval file does not match it"
    if not _consistent(stored):
        return "predictions.npz beside the eval file holds arrays of different lengths"
    return stored


def _consistent(stored: Any) -> bool:
    """Every array has one entry per test sample (the file may come from anyone)."""
    p = stored.predictions
    arrays = [p.y_true, p.fold, p.proba, p.labels, p.values, stored.units]
    n = len(p.indices)
    return p.indices.ndim == 1 and all(a is None or (a.ndim >= 1 and len(a) == n) for a in arrays)


def _pair(above: Entry, below: Entry, registry: Registry | None, loaded: dict[Path, Any]) -> Versus:
    from fmbench.plugin_system.specs import MetricSpec

    if registry is None or not registry.has(MetricSpec, below.primary):
        return Versus(verdict=NOT_TESTED, reason=f"metric {below.primary} is not installed")
    first, second = _predictions(above, loaded), _predictions(below, loaded)
    for side in (first, second):
        if isinstance(side, str):
            return Versus(verdict=NOT_TESTED, reason=side)
    from fmbench.statistics.bootstrap import rng_seed
    from fmbench.statistics.compare import check_same_samples, paired_difference

    try:
        if not check_same_samples(below.benchmark_id, first, second, allow_different_splits=True):
            return Versus(verdict=NOT_TESTED, reason="the runs used different splits")
    except ResultsError:
        return Versus(verdict=NOT_TESTED, reason="the runs scored different samples or labels")
    stream = rng_seed(0, f"{below.benchmark_id}|{above.digest}|{below.digest}", "leaderboard")
    try:
        entry = paired_difference(
            registry.get(MetricSpec, below.primary), first, second, seed=stream,
            n_resamples=N_RESAMPLES,
        )  # fmt: skip
    except (ValueError, TypeError, IndexError, MetricUndefined) as exc:  # e.g. wrong dtypes
        return Versus(verdict=NOT_TESTED, reason=f"the predictions cannot be scored ({exc})"[:300])
    if entry.get("p_value") is None:
        return Versus(verdict=NOT_TESTED, reason=str(entry.get("reason")))
    return Versus(verdict=NO_EVIDENCE, p_value=entry["p_value"], difference=entry["difference"])


def versus_above(rows: Sequence[Row], registry: Registry | None) -> list[Versus | None]:
    """For each row of a ranked board, its test against the row above (None for the first)."""
    from fmbench.statistics.rank_tests import holm

    loaded: dict[Path, Any] = {}  # the predictions files of the two rows being compared
    found: list[Versus | None] = [None] if rows else []  # a board may have no ranked row
    for above, below in itertools.pairwise(rows):
        found.append(_pair(above.entry, below.entry, registry, loaded))
        keep = below.entry.source.path.parent
        for path in [p for p in loaded if p.parent != keep]:
            del loaded[path]
    tested = [i for i, v in enumerate(found) if v is not None and v.p_value is not None]
    adjusted = holm([v.p_value for v in found if v is not None and v.p_value is not None])
    for i, p_holm in zip(tested, adjusted, strict=True):
        before = found[i]
        assert before is not None
        verdict = DIFFERENT if p_holm <= ALPHA else NO_EVIDENCE
        found[i] = attrs.evolve(before, verdict=verdict, p_holm=p_holm)
    return found
