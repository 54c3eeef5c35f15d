"""Is an eval file consistent with itself and with the predictions written beside it?

Two checks beyond the digest (which anyone can recompute after an edit, see docs/security.md):

* ``digest.results_sha256`` must be the hash of the content without its timing fields. A
  file whose ``sha256`` was recomputed after an edit but whose ``results_sha256`` was not is
  caught here.
* when ``predictions.npz`` lies next to the eval file (``fmbench run`` writes both into the
  run folder), each completed benchmark's stored predictions must match its
  ``predictions_sha256``, and every metric value is recomputed from them: an AUROC edited
  in ``eval.yaml`` (and the digest re-computed) no longer matches the predictions.

Neither helps against someone who rewrites the predictions too, or submits ``eval.yaml``
alone (predictions are never submitted); that is what signatures are for
(:mod:`fmbench.results.signing`).

Example:
    >>> from fmbench.results.eval_file import with_digest
    >>> doc = with_digest({"eval_id": "e", "benchmarks": []})
    >>> check_results_sha256(doc)
    []
    >>> doc["benchmarks"] = [{"metrics": {"AUROC": 0.99}}]
    >>> [f.message[:44] for f in check_results_sha256(doc)]
    ['digest.results_sha256 does not match the con']
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fmbench.plugin_system.registry import Registry
    from fmbench.results.findings import Finding

__all__ = ["METRIC_TOLERANCE", "check_predictions_beside", "check_results_sha256"]

#: Metric values are written rounded to 6 decimals: a recomputed value may differ by this much.
METRIC_TOLERANCE = 2e-6


def check_results_sha256(doc: Mapping[str, Any]) -> list[Finding]:
    """An error when ``digest.results_sha256`` (if present) does not match the content."""
    from fmbench.results.eval_file import results_sha256
    from fmbench.results.findings import Finding

    digest = doc.get("digest")
    stated = digest.get("results_sha256") if isinstance(digest, Mapping) else None
    if stated is None:
        return []
    if results_sha256(doc) == stated:
        return []
    return [
        Finding(
            "error",
            "digest.results_sha256 does not match the content without its timing fields: the "
            "file was edited after fmbench wrote it (and its sha256 recomputed)",
        )
    ]


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _recomputed(
    bid: str, record: Mapping[str, Any], stored: Any, registry: Registry | None
) -> list[Finding]:
    """Each metric of the record against the value its stored predictions give."""
    from fmbench.errors import MetricUndefined
    from fmbench.evaluation.scoring import score_one
    from fmbench.plugin_system.specs import MetricSpec
    from fmbench.results.findings import Finding

    if registry is None:
        return []
    out: list[Finding] = []
    metrics = record.get("metrics")
    for name, value in sorted((metrics if isinstance(metrics, Mapping) else {}).items()):
        stated = _number(value)
        if stated is None or not isinstance(name, str) or not registry.has(MetricSpec, name):
            continue
        try:
            again: float | None = score_one(registry.get(MetricSpec, name), stored.predictions)
        except MetricUndefined:
            again = None
        except Exception as exc:  # a metric that trips over the stored arrays: say so
            out.append(
                Finding(
                    "warning",
                    f"{bid}: {name} could not be recomputed from predictions.npz "
                    f"({type(exc).__name__})",
                )
            )
            continue
        if again is None or abs(again - stated) > METRIC_TOLERANCE:
            shown = "undefined" if again is None else f"{again:.6g}"
            out.append(
                Finding(
                    "error",
                    f"{bid}: {name} = {stated:.6g}, but the predictions in predictions.npz "
                    f"beside it give {shown}: the value was edited (or the file belongs to "
                    "another run)",
                )
            )
    return out


def check_predictions_beside(
    path: Path | str, doc: Mapping[str, Any], registry: Registry | None
) -> list[Finding]:
    """Errors when ``predictions.npz`` next to the eval file disagrees with it (see above).

    Nothing is checked when there is no such file. The metric values are recomputed only
    with a registry (which knows the metrics).
    """
    from fmbench.errors import FmbenchError
    from fmbench.results.findings import Finding
    from fmbench.results.predictions import PREDICTIONS_FILE

    beside = Path(path).parent / PREDICTIONS_FILE
    if beside.is_symlink() or not beside.is_file():
        return []
    from fmbench.results.predictions import load_predictions

    try:
        stored = load_predictions(beside)
    except FmbenchError as exc:
        return [Finding("error", f"{PREDICTIONS_FILE} beside it cannot be read: {exc}")]
    out: list[Finding] = []
    for record in doc.get("benchmarks") or []:
        if not isinstance(record, Mapping) or record.get("status") != "Completed":
            continue
        bid = str(record.get("benchmark_id"))
        expected = record.get("predictions_sha256")
        found = stored.get(bid)
        if found is None:
            if expected:
                out.append(
                    Finding(
                        "error",
                        f"{bid}: {PREDICTIONS_FILE} beside it holds no predictions of this "
                        "benchmark, but eval.yaml names their sha256 (the file belongs to "
                        "another run)",
                    )
                )
            continue
        if expected and found.sha256 != expected:
            out.append(
                Finding(
                    "error",
                    f"{bid}: the predictions in {PREDICTIONS_FILE} beside it do not match "
                    f"predictions_sha256 ({found.sha256[:12]}... vs {str(expected)[:12]}...): "
                    "one of the two files was changed, or they belong to different runs",
                )
            )
            continue
        out += _recomputed(bid, record, found, registry)
    return out
