"""The robustness part of ``report.md``: a table of rAUCs and one PNG plot per probe.

Plots are drawn with matplotlib's Agg backend (headless) into ``plots/<probe>.png`` (or
``plots/<benchmark>/<probe>.png`` when several benchmarks ran probes) and linked from the
report.

Example:
    >>> robustness_sections({}, ".", single=True)
    []
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fmbench.reporting.tables import escape_md, fmt, markdown_table

__all__ = ["plot_probe", "robustness_sections"]

_SAFE = re.compile(r"[^A-Za-z0-9_.\-]")


def _file_name(name: str) -> str:
    return _SAFE.sub("_", name)


def plot_probe(
    probe: str, record: Mapping[str, Any], primary: Mapping[str, Any], path: Path
) -> Path:
    """Draw one probe's performance and stability curves into ``path`` (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure  # not pyplot: no global figure state, a lighter import

    levels = record["levels"]
    # x is the rAUC's own axis (rank-spaced: each step of the grid equally wide), labelled
    # with the levels, so the area the eye sees is the area the score measures
    x = record.get("severity") or list(range(len(levels)))
    fig = Figure(figsize=(9, 3.6), layout="constrained")
    left, right = fig.subplots(1, 2)
    perf = record["performance"]
    values = [float("nan") if v is None else v for v in perf["values"]]
    left.plot(x, values, marker="o", label=perf["metric"])
    if primary.get("clean") is not None:
        left.axhline(primary["clean"], color="tab:green", ls=":", label="clean")
    if primary.get("chance") is not None:
        left.axhline(primary["chance"], color="tab:red", ls="--", label="chance")
    left.set_title(f"{probe}: performance (rAUC rel. {fmt(perf.get('relative_rAUC'), 3)})")
    left.set_ylabel(perf["metric"])
    for key, block in record.get("stability", {}).items():
        shown = [float("nan") if v is None else v for v in block["values"]]
        right.plot(x, shown, marker="o", label=key)
    right.set_ylim(-0.02, 1.02)
    right.set_title(f"{probe}: stability vs clean outputs")
    for ax in (left, right):
        unit = str(record.get("unit") or "severity").split(" (")[0]
        ax.set_xlabel(f"level ({unit})")
        ax.set_xticks(x, [f"{v:g}" for v in levels])
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    return path


def _stability_cell(record: Mapping[str, Any]) -> str:
    parts = []
    for key, block in record.get("stability", {}).items():
        parts.append(f"{key} {fmt(block.get('rAUC'))}")
    return ", ".join(parts) or "n/a"


def _block_section(name: str, block: Mapping[str, Any], out_dir: Path, plot_dir: Path) -> list[str]:
    out = [f"### {escape_md(name)}", ""]
    if block.get("error"):
        return [*out, f"**Failed:** {escape_md(block['error'])}", ""]
    primary = block["primary_metric"]
    score = block.get("robustness_score")
    out += [
        f"- Robustness score: **{fmt(score)}** (mean chance-relative {primary['name']} rAUC "
        "over the declared probes; 1 = no loss at any level, 0 = no margin over chance left; "
        "null = not shown, see the note)",
        f"- Clean {primary['name']}: {fmt(primary.get('clean'))}; chance level: "
        f"{fmt(primary.get('chance'))}; {block.get('n_test')} test samples; seed "
        f"{block.get('seed')}",
    ]
    gate = block.get("signal_test")
    if isinstance(gate, Mapping):
        verdict = "passed" if gate.get("passed") else "not passed"
        out.append(
            f"- Signal test (does the clean {primary['name']} beat chance?): {verdict}, "
            f"label-permutation p = {fmt(gate.get('p_value'))} at alpha {fmt(gate.get('alpha'))}"
            f" ({gate.get('n_permutations')} permutations of "
            f"{escape_md(gate.get('permuted') or 'samples')}, unit "
            f"{escape_md(gate.get('unit') or 'sample')})"
        )
    if block.get("robustness_score_reason"):
        out.append(f"- Note: {escape_md(block['robustness_score_reason'])}")
    out.append("")
    rows = []
    links = []
    for probe, record in block.get("probes", {}).items():
        if record.get("status") != "Completed":
            rows.append(
                [escape_md(probe), "**failed**", "", "", escape_md(record.get("error", ""))]
            )
            continue
        perf = record["performance"]
        rows.append(
            [
                escape_md(probe),
                fmt(perf.get("relative_rAUC")),
                fmt(perf.get("rAUC")),
                _stability_cell(record),
                escape_md(", ".join(f"{v:g}" for v in record["levels"])),
            ]
        )
        path = plot_probe(probe, record, primary, plot_dir / f"{_file_name(probe)}.png")
        links.append(f"![{escape_md(probe)}]({path.relative_to(out_dir).as_posix()})")
    out += [
        markdown_table(
            [
                "Probe",
                f"rAUC (chance-relative {primary['name']})",
                f"rAUC ({primary['name']})",
                "Stability rAUC",
                "Levels",
            ],
            rows,
        ),
        "",
    ]
    for probe, record in block.get("probes", {}).items():
        if record.get("status") != "Completed":
            continue
        perf = record["performance"]
        table_rows = []
        for i, level in enumerate(record["levels"]):
            row = [f"{level:g}", fmt(perf["values"][i])]
            relative = perf.get("relative")
            row.append(fmt(relative[i]) if relative else "n/a")
            for key in record.get("stability", {}):
                row.append(fmt(record["stability"][key]["values"][i]))
            table_rows.append(row)
        out += [
            f"#### {escape_md(probe)}: {escape_md(record.get('summary', ''))}",
            "",
            f"Unit: {escape_md(record.get('unit') or 'severity level')}",
            "",
            markdown_table(
                ["Level", perf["metric"], "Relative", *record.get("stability", {})], table_rows
            ),
            "",
        ]
    if links:
        out += ["Curves (performance left, stability right):", "", *links, ""]
    return out


def robustness_sections(
    blocks: Mapping[str, Any], out_dir: Path | str, *, single: bool
) -> list[str]:
    """Markdown lines for the robustness blocks of a run, writing their plots under ``out_dir``."""
    if not blocks:
        return []
    out_dir = Path(out_dir)
    lines = [
        "## Robustness",
        "",
        "Each probe perturbs the test inputs at increasing severity. *Performance* is the primary "
        "metric at each level; *relative* is (score - chance) / (clean - chance) (below 0: "
        "worse than chance). *Stability* compares the outputs with the clean ones (agreement = "
        "1 - flip rate); a model that ignores its input is perfectly stable, so stability "
        "alone is not robustness. rAUC = trapezoid area over rank-spaced levels (each step of "
        "a grid weighs the same), the chance-relative one clipped to [0, 1]. See "
        "docs/robustness.md.",
        "",
    ]
    for name, block in blocks.items():
        plot_dir = out_dir / "plots" if single else out_dir / "plots" / _file_name(name)
        lines += _block_section(name, block, out_dir, plot_dir)
    return lines
