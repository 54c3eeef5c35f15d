"""Critical-difference diagram (Demšar 2006) of a many-run comparison, as a PNG.

The models sit on an axis of mean ranks (1 = best, on the left); a thick bar joins models
that the post-hoc test does not tell apart; the bar at the top is the critical difference.
The title says which tests were run, their p-value and alpha, so the picture is not read
without them. Drawn with matplotlib's Agg backend (headless).

Example:
    >>> png = critical_difference_png({"a": 1.2, "b": 2.0, "c": 2.8}, [["a", "b"]], 1.1,
    ...                               title="Friedman p = 0.01")
    >>> png[:4] == b"\\x89PNG"
    True
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from fmbench.io import atomic_write_bytes

if TYPE_CHECKING:
    from fmbench.statistics.compare_many import ManyComparison

__all__ = ["PLOT_NAME", "critical_difference_png", "diagram_title", "write_critical_difference"]

#: The file name used when ``--plot`` names a folder.
PLOT_NAME = "critical_difference.png"
_LABEL_CHARS = 34


def _short(text: str) -> str:
    return text if len(text) <= _LABEL_CHARS else text[: _LABEL_CHARS - 1] + "…"


def critical_difference_png(
    mean_ranks: Mapping[str, float],
    groups: Sequence[Sequence[str]],
    critical_difference: float | None,
    *,
    title: str,
    note: str | None = None,
) -> bytes:
    """The diagram as PNG bytes (the same bytes for the same inputs)."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    ordered = sorted(mean_ranks.items(), key=lambda kv: (kv[1], kv[0]))
    k = max(len(ordered), 2)
    longest = max((len(_short(name)) for name in mean_ranks), default=8) + 7  # " (1.25)"
    label_inches = 0.075 * longest + 0.45  # about 0.075 in per character at 9 pt
    width = 4.5 + 2 * label_inches
    left, right = label_inches / width, 1 - label_inches / width  # the rank axis
    half = math.ceil(len(ordered) / 2)
    axis_y, row = 3.2, 0.55
    group_y = [axis_y + 0.45 + 0.3 * i for i in range(len(groups))]
    first_label = (group_y[-1] if group_y else axis_y) + 0.7
    height_rows = first_label + row * max(half, len(ordered) - half) + 0.4
    fig = Figure(figsize=(width, 0.32 * height_rows + 0.3), dpi=110)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    ax.set_ylim(height_rows, 0)

    def x_of(rank: float) -> float:
        return left + (rank - 1) / (k - 1) * (right - left)

    ax.text(0.5, 0.55, title, ha="center", va="center", fontsize=10, wrap=True)
    if note:
        ax.text(0.5, 1.2, note, ha="center", va="center", fontsize=8, color="#444444")
    if critical_difference is not None:
        end = min(1 + critical_difference, float(k))
        ax.plot([x_of(1), x_of(end)], [2.1, 2.1], color="black", lw=1.5)
        for x in (x_of(1), x_of(end)):
            ax.plot([x, x], [1.95, 2.25], color="black", lw=1.5)
        ax.text((x_of(1) + x_of(end)) / 2, 1.8, f"CD = {critical_difference:.2f}",
                ha="center", va="bottom", fontsize=9)  # fmt: skip
    ax.plot([x_of(1), x_of(k)], [axis_y, axis_y], color="black", lw=1.2)
    for tick in range(1, k + 1):
        ax.plot([x_of(tick), x_of(tick)], [axis_y - 0.18, axis_y], color="black", lw=1)
        ax.text(x_of(tick), axis_y - 0.25, str(tick), ha="center", va="bottom", fontsize=9)
    ax.text(x_of(1) - 0.15 / width, axis_y, "mean rank\n(1 = best)", ha="right", va="center",
            fontsize=8, color="#444444")  # fmt: skip
    for y, members in zip(group_y, groups, strict=True):
        ranks = [mean_ranks[m] for m in members]
        ax.plot([x_of(min(ranks)) - 0.005, x_of(max(ranks)) + 0.005], [y, y], color="#C44E52",
                lw=4, solid_capstyle="round")  # fmt: skip
    for i, (name, rank) in enumerate(ordered):
        on_left = i < half
        y = first_label + row * (i if on_left else len(ordered) - 1 - i)
        x = x_of(rank)
        end = left - 0.2 / width if on_left else right + 0.2 / width
        ax.plot([x, x, end], [axis_y, y, y], color="#333333", lw=1)
        label = f"{_short(name)} ({rank:.2f})" if on_left else f"({rank:.2f}) {_short(name)}"
        ax.text(end + (-0.06 if on_left else 0.06) / width, y, label,
                ha="right" if on_left else "left", va="center", fontsize=9)  # fmt: skip
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def diagram_title(result: ManyComparison) -> tuple[str, str]:
    """The title (the tests and their outcome) and a note (blocks, what the bars mean)."""
    f, p = result.friedman, result.posthoc
    if f.p_value is None:
        title = f"Friedman test not run: {f.reason}"
    else:
        title = (
            f"Friedman p = {f.p_value:.3g} over {f.n_blocks} data sets, alpha = {result.alpha:g}"
        )
    if p.pairs:
        note = (
            "Bars join models the Nemenyi post-hoc does not tell apart (family-wise error "
            f"over {len(p.pairs)} pairs)"
        )
    else:
        note = "No post-hoc test: the bar joins all models (no difference shown)"
    return title, note


def write_critical_difference(result: ManyComparison, path: Path) -> Path:
    """Write the diagram to ``path`` (a ``.png`` file, or a folder: ``critical_difference.png``
    inside it), atomically; the path written."""
    target = path / PLOT_NAME if path.is_dir() else path
    title, note = diagram_title(result)
    png = critical_difference_png(
        result.mean_ranks, result.groups(), result.posthoc.critical_difference,
        title=title, note=note,
    )  # fmt: skip
    atomic_write_bytes(target, png)
    return target
