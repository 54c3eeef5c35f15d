"""PNG plots for the report (matplotlib, Agg backend: headless).

Example:
    >>> from pathlib import Path
    >>> import tempfile
    >>> doc = {"benchmarks": [{"benchmark_id": "BM-X", "status": "Completed", "calibration": {
    ...     "lower": [0.6], "upper": [0.6667], "confidence": [0.63], "accuracy": [0.7],
    ...     "count": [10]}}]}
    >>> write_reliability_plots(doc, Path(tempfile.mkdtemp()))
    {'BM-X': 'plots/BM-X_reliability.png'}
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fmbench.io import atomic_write_bytes

__all__ = ["reliability_png", "write_reliability_plots"]


def reliability_png(benchmark_id: str, curve: Mapping[str, Any], ece: float | None) -> bytes:
    """A reliability diagram: accuracy per confidence bin against the diagonal."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4.5, 4.5), dpi=100)
    ax = fig.add_subplot()
    lower, upper = curve["lower"], curve["upper"]
    widths = [u - lo for lo, u in zip(lower, upper, strict=True)]
    ax.bar(lower, curve["accuracy"], width=widths, align="edge", edgecolor="black",
           color="#4C72B0", alpha=0.8, label="accuracy")  # fmt: skip
    ax.plot(curve["confidence"], curve["accuracy"], "o", color="#C44E52", ms=4,
            label="mean confidence")  # fmt: skip
    ax.plot([0, 1], [0, 1], "--", color="grey", label="perfect calibration")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("top-label confidence")
    ax.set_ylabel("accuracy")
    title = f"{benchmark_id}" + (f" (ECE {ece:.3f})" if ece is not None else "")
    ax.set_title(title, fontsize=9)
    ax.legend(loc="upper left", fontsize=7)
    # fixed margins (the ticks are always 0.0-1.0): tight_layout would draw the figure twice
    fig.subplots_adjust(left=0.14, right=0.96, bottom=0.11, top=0.93)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def write_reliability_plots(document: Mapping[str, Any], out_dir: Path) -> dict[str, str]:
    """``plots/<benchmark>_reliability.png`` for each classifier with probabilities; the
    paths relative to ``out_dir``."""
    written: dict[str, str] = {}
    for record in document.get("benchmarks", []):
        curve = record.get("calibration")
        if record.get("status") != "Completed" or not curve or not curve.get("count"):
            continue
        benchmark_id = str(record["benchmark_id"])
        relative = f"plots/{benchmark_id}_reliability.png"
        (out_dir / "plots").mkdir(parents=True, exist_ok=True)
        ece = (record.get("metrics") or {}).get("ECE")
        atomic_write_bytes(out_dir / relative, reliability_png(benchmark_id, curve, ece))
        written[benchmark_id] = relative
    return written
