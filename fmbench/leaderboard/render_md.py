"""``index.md``: the leaderboard as a Markdown page for the documentation site.

Example:
    >>> from fmbench.leaderboard.rank import Leaderboard
    >>> render_markdown(Leaderboard(boards=[], rejected=[], n_files=0)).splitlines()[0]
    '# Leaderboard'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fmbench._version import __version__
from fmbench.leaderboard.export import eval_link
from fmbench.leaderboard.rank import RULES, Board, Entry, Leaderboard, Row
from fmbench.reporting.escape import md, num

__all__ = ["render_markdown", "render_rejected", "robustness_legend", "robustness_text"]


def _interval(entry: Entry) -> str:
    if entry.interval is None:
        return ""
    lo, hi = entry.interval
    return f" [{num(lo)}, {num(hi)}]"


def _model_cell(row: Row) -> str:
    entry = row.entry
    text = md(entry.model_id)
    if entry.baseline:
        text += f" *({md(entry.baseline)})*"
    if entry.source.signed_by:
        text += f" (signed by {md(entry.source.signed_by)})"
    return text


def runs_text(row: Row) -> str:
    """``1``, or ``3 (latest shown; 0.8123–0.8644)``: how the row was chosen."""
    spread = row.value_range
    if spread is None:
        return "1"
    return f"{row.n_runs} (latest shown; {num(spread[0])}–{num(spread[1])})"


def versus_text(row: Row) -> str:
    """The row's test against the row above (``–`` for the first row); plain text."""
    return "–" if row.versus_above is None else row.versus_above.text()


def worst_text(entry: Entry, escape: Callable[[Any], str]) -> str:
    """``site=SiteC: 0.71, N=51`` (or ``–``), strings escaped for the target format."""
    group = entry.worst_group
    if not group:
        return "–"
    n = f", N={group['N']}" if group.get("N") is not None else ""
    return f"{escape(group['column'])}={escape(group['group'])}: {num(group['value'])}{n}"


def column_titles(board: Board, escape: Callable[[Any], str]) -> list[str]:
    """The columns of a board's table, metric names escaped with ``escape`` (both pages)."""
    others = [escape(n) for n in board.metric_names if n != board.primary]
    return [
        "Rank",
        "Rank range",
        "vs. row above",
        "Model",
        f"{escape(board.primary)} [CI]",
        "Runs",
        *others,
        f"Worst group ({escape(board.primary)})",
        "Robustness (rAUC)",
        "ms / sample",
        "Peak MiB",
        "Date",
        "fmbench",
        "Eval file",
    ]


def _worst(entry: Entry) -> str:
    return worst_text(entry, md)


def robustness_text(entry: Entry, escape: bool = True, label: str | None = None) -> str:
    """``A: score 0.81 (p 0.005); noise 0.90, dropout 0.70`` (or ``–``).

    ``label`` names the entry's probe set (:attr:`Board.robustness_sets`); a null score says
    why in a few words (a failed probe, or the signal test's p-value).
    """
    rob = entry.robustness
    esc: Callable[[Any], str] = md if escape else str
    parts = []
    p = rob.get("signal_p")
    if rob.get("score") is not None:
        parts.append(f"score {num(rob['score'])}" + (f" (p {num(p, 3)})" if p is not None else ""))
    elif rob.get("failed_probes"):
        parts.append(f"score null ({esc(', '.join(rob['failed_probes']))} failed)")
    elif rob.get("reason"):
        why = f"no evidence of signal, p {num(p, 3)}" if p is not None else "why: in its eval file"
        parts.append(f"score null ({why})")
    probes = ", ".join(f"{esc(k)} {num(v)}" for k, v in rob.get("probes", {}).items())
    if probes:
        parts.append(probes)
    text = "; ".join(parts) or "–"
    return f"{label}: {text}" if label and parts else text


def robustness_legend(board: Board) -> list[tuple[str, str]]:
    """``(letter, probe set)`` per set of a board, e.g. ``("A", "noise (0, 0.1, 1); rank axis")``."""
    return [(label, value) for value, label in board.robustness_sets.items()]


def _board(board: Board) -> list[str]:
    arrow = "higher" if board.direction == "higher" else "lower"
    lines = [
        f"### {md(board.benchmark_id)} v{md(board.benchmark_version)}",
        "",
    ]
    facts = f"{md(board.title)}. Ranked by **{md(board.primary)}** ({arrow} is better)"
    if board.input_modality:
        facts += f"; input: {md(board.input_modality)}"
    lines += [facts + ".", ""]
    if not board.known:
        lines += [
            '!!! warning "Benchmark not known to the installed plugins"',
            "    Its definition (modality, declared primary metric, version) could not be "
            "checked; the rows below rank by the primary metric the eval files name.",
            "",
        ]
    others = [n for n in board.metric_names if n != board.primary]
    sets = board.robustness_sets
    header = column_titles(board, md)
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "|".join("---:" if i < 2 else "---" for i in range(len(header))) + "|")
    for row in board.rows:
        e = row.entry
        lo, hi = row.rank_range
        cells = [
            str(row.rank),
            f"{lo}–{hi}" if lo != hi else str(lo),
            md(versus_text(row), 400),
            _model_cell(row),
            f"**{num(e.value)}**{_interval(e)}",
            runs_text(row),
        ]
        cells += [num(e.metrics.get(n)) if n in e.metrics else "–" for n in others]
        cells += [
            _worst(e),
            robustness_text(e, label=sets.get(e.robustness_set or "")),
            num(e.ms_per_sample),
            num(e.peak_memory_mb, 1),
            md(e.date or "–"),
            md(e.fmbench_version or "–"),
            f"[{md(e.eval_id, 80)}]({eval_link(e)})",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    methods = sorted({r.entry.interval_method for r in board.rows if r.entry.interval_method})
    if methods:
        lines += [f"Intervals: {', '.join(md(m) for m in methods)}.", ""]
    elif board.rows:
        lines += [
            "No row reports a confidence interval; rank ranges reflect point values only.",
            "",
        ]
    if sets:
        lines += [
            "Robustness probe sets (a score is comparable only with scores of the same set): "
            + "; ".join(
                f"**{label}** = {md(value, 2000)}" for label, value in robustness_legend(board)
            )
            + ".",
            "",
        ]
    if board.unranked:
        lines += ["Not ranked:", ""]
        for entry in board.unranked:
            lines.append(
                f"- {md(entry.model_id)} ([{md(entry.eval_id, 80)}]({eval_link(entry)})): "
                f"{md(entry.unranked or '')}"
            )
        lines.append("")
    return lines


def render_markdown(board: Leaderboard) -> str:
    """The whole page; byte-identical for the same inputs."""
    n_rows = sum(len(b.rows) for b in board.boards)
    lines = [
        "# Leaderboard",
        "",
        f"Generated by `fmbench build-leaderboard` (fmbench {md(__version__)}) from "
        f"{board.n_files} file(s): {len(board.boards)} benchmark(s), {n_rows} ranked row(s), "
        f"{len(board.rejected)} file(s) not used (listed at the end). Do not edit this page by "
        "hand; rebuild it.",
        "",
        "## How rows are ranked",
        "",
    ]
    lines += [f"- {rule}" for rule in RULES]
    lines += [
        "- Columns: *Worst group* is the stratum (metadata column = group) with the worst "
        "primary value; *Robustness* shows the run's probe set (letter, listed under the table), "
        "robustness score (with its signal test's p-value; null when not shown) and per-probe "
        "chance-relative rAUCs: compare scores only within one set; "
        "*ms / sample* is model time per test sample; *Peak MiB* the run's peak resident memory.",
        "",
    ]
    for domain, modality in board.groups:
        lines += [f"## {md(domain)} · {md(modality)}", ""]
        for b in board.boards:
            if (b.domain, b.modality) == (domain, modality):
                lines += _board(b)
    if not board.boards:
        lines += ["No eval files were accepted yet.", ""]
    lines += ["## Files not used", ""]
    lines += render_rejected(board, heading=False).splitlines()
    return "\n".join(lines).rstrip("\n") + "\n"


def render_rejected(board: Leaderboard, *, heading: bool = True) -> str:
    """``rejected.md``: each file not on the leaderboard, and why."""
    lines = ["# Files not on the leaderboard", ""] if heading else []
    if not board.rejected:
        lines += ["None.", ""]
    for item in board.rejected:
        lines.append(f"- {md(item.display)} ({item.kind}):")
        for reason in item.reasons[:20]:
            lines.append(f"    - {md(reason, 500)}")
        if len(item.reasons) > 20:
            lines.append(f"    - ... and {len(item.reasons) - 20} more")
    lines.append("")
    return "\n".join(lines)
