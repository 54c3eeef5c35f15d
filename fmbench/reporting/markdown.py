"""``report.md``: what a researcher reads after a run.

Example:
    >>> from fmbench.reporting.markdown import render_report
    >>> callable(render_report)
    True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from fmbench.io import atomic_write_text
from fmbench.reporting.tables import escape_md, fmt, fmt_interval, markdown_table

__all__ = ["render_report", "write_report"]


def _metric_names(record: Mapping[str, Any]) -> list[str]:
    return list(record.get("metrics", {}))


def _interval_note(record: Mapping[str, Any]) -> list[str]:
    method = record.get("interval_method")
    if not method:
        return []
    unit = method.get("unit")
    what = "samples" if unit == "sample" else f"`{escape_md(unit)}` clusters"
    return [
        f"Intervals: {round(100 * method.get('confidence', 0.95))}% percentile bootstrap over "
        f"{method.get('n_units')} {what}, {method.get('n_resamples')} resamples.",
        "",
    ]


def _gap_lines(gaps: Mapping[str, Any]) -> list[str]:
    if not gaps:
        return []
    parts = [
        f"{escape_md(name)}: worst {escape_md(g['worst_group'])} {fmt(g['worst'], 3)}, "
        f"gap to best ({escape_md(g['best_group'])}) {fmt(g['gap'], 3)}"
        for name, g in gaps.items()
    ]
    return ["Worst group / gap: " + "; ".join(parts) + ".", ""]


def _paradigm_line(record: Mapping[str, Any]) -> list[str]:
    """MOABB's number for a paradigm split: the mean over subject/session units."""
    block = record.get("paradigm_scores")
    if not block:
        return []
    name = record["primary_metric"]["name"]
    interval = (block.get("intervals") or {}).get(name)
    shown = fmt(block["mean"].get(name), 3) + (
        f" [{fmt(interval[0], 3)}, {fmt(interval[1], 3)}]" if interval else ""
    )
    return [
        f"- {block['method']} (MOABB): mean {name} over {block['n_units']} "
        f"{escape_md('/'.join(block['unit']))} units of {block['n_subjects']} subjects: {shown} "
        "(the table below pools all test predictions)"
    ]


def _benchmark_section(
    record: Mapping[str, Any], plot: str | None = None, curve_plot: str | None = None
) -> list[str]:
    out = [
        f"## {escape_md(record['benchmark_id'])} (v{escape_md(record.get('benchmark_version'))})",
        "",
    ]
    if record.get("status") != "Completed":
        out += [f"**Failed:** {escape_md(record.get('error', 'unknown error'))}", ""]
        return out
    split = record.get("split", {})
    out += [
        f"- Dataset: `{escape_md(record.get('dataset_id'))}` "
        f"({record.get('data', {}).get('n_test', '?')} test samples)",
        f"- Task: {record.get('task')}; protocol: `{record.get('protocol')}`; split: "
        f"{split.get('method')}"
        + (
            f", {split.get('n_folds')} folds grouped by `{split.get('group_by')}`"
            if split.get("group_by")
            else (
                f", {split.get('n_folds')} folds"
                if split.get("method") in ("kfold", "within_session", "cross_session")
                else ""
            )
        ),
        f"- Primary metric: **{record['primary_metric']['name']}** "
        f"({record['primary_metric']['direction']} is better)",
        *_paradigm_line(record),
        "",
        "### Overall",
        "",
    ]
    chance = record.get("chance", {})
    undefined = record.get("metrics_undefined", {})
    rows = []
    for name, value in record.get("metrics", {}).items():
        ci = (record.get("intervals") or {}).get(name)
        shown = fmt_interval(value, ci)
        note = escape_md(
            undefined.get(name, "") or (record.get("intervals_undefined") or {}).get(name, "")
        )
        rows.append([escape_md(name), shown, fmt(chance.get(name)), note])
    out += [markdown_table(["Metric", "Value [95% CI]", "Chance level", "Note"], rows), ""]
    out += _interval_note(record)
    if plot:
        out += [
            f"Calibration: reliability diagram [{escape_md(plot)}]({plot}) "
            "(top-label confidence vs accuracy, 15 bins).",
            "",
        ]
    from fmbench.reporting.clinical import clinical_lines

    out += clinical_lines(record, curve_plot)
    stratified = record.get("stratified", {})
    if stratified:
        out += ["### Stratified performance", ""]
        names = _metric_names(record)
        for column, groups in stratified.items():
            out += [f"#### By {escape_md(column)}", ""]
            rows = []
            for group, entry in groups.items():
                if entry.get("suppressed"):
                    rows.append([escape_md(group), *["suppressed"] * len(names), str(entry["N"])])
                else:
                    cis = entry.get("intervals") or {}
                    rows.append(
                        [
                            escape_md(group),
                            *[fmt_interval(entry.get(n), cis.get(n)) for n in names],
                            str(entry["N"]),
                        ]
                    )
            out += [markdown_table(["Group", *names, "N"], rows), ""]
            out += _gap_lines((record.get("stratified_gaps") or {}).get(column, {}))
    skipped = record.get("stratification_skipped", {})
    if skipped:
        out += [
            "Strata not reported: "
            + "; ".join(f"{escape_md(k)}: {escape_md(v)}" for k, v in skipped.items()),
            "",
        ]
    res = record.get("resources", {})
    phases = ", ".join(f"{k} {v:.3f} s" for k, v in res.get("phases_s", {}).items())
    out += [
        "### Resources",
        "",
        f"- Wall time: {fmt(res.get('wall_time_s'), 3)} s ({phases})",
        f"- Throughput: {fmt(res.get('samples_per_s'), 1)} samples/s; inputs given to the model: "
        f"{res.get('model_inputs')}",
        f"- Peak memory (process RSS): {fmt(res.get('peak_rss_mb'), 1)} MiB",
        "",
    ]
    return out


def render_report(
    document: Mapping[str, Any],
    extra_sections: Iterable[str] = (),
    plots: Mapping[str, str] | None = None,
    curve_plots: Mapping[str, str] | None = None,
) -> str:
    """The Markdown text of a run's report, from its ``eval.yaml`` content."""
    meta = document.get("run_metadata", {})
    model = document.get("model", {})
    prov = document.get("provenance", {})
    lines = [
        f"# fmbench report: {escape_md(meta.get('suite_id'))}",
        "",
        f"- Suite: `{escape_md(meta.get('suite_id'))}` v{escape_md(meta.get('suite_version'))}",
        f"- Model (AI Solution): `{escape_md(model.get('model_id'))}` "
        f"(type `{escape_md(model.get('type'))}`{', a baseline' if model.get('baseline') else ''})",
        f"- Eval id: `{escape_md(document.get('eval_id'))}`; status: **{escape_md(document.get('status'))}**",
        f"- Date: {escape_md(meta.get('date'))}; seed {meta.get('seed')}; fmbench {escape_md(meta.get('fmbench_version'))}",
        "",
    ]
    for record in document.get("benchmarks", []):
        bid = record.get("benchmark_id", "")
        lines += _benchmark_section(record, (plots or {}).get(bid), (curve_plots or {}).get(bid))
    lines += list(extra_sections)
    lines += [
        "## Provenance",
        "",
        f"- Python {escape_md(prov.get('python'))} on {escape_md(prov.get('platform'))}; "
        f"numpy {escape_md(prov.get('numpy'))}, scikit-learn {escape_md(prov.get('scikit_learn'))}",
        "- Plugins: "
        + ", ".join(f"{escape_md(k)} {escape_md(v)}" for k, v in prov.get("plugins", {}).items()),
        "- Dataset content SHA-256: "
        + ", ".join(
            f"`{escape_md(k)}` {str(v)[:16]}…" for k, v in prov.get("dataset_sha256", {}).items()
        ),
        f"- eval.yaml digest: `{document.get('digest', {}).get('sha256', '')[:16]}…` "
        "(check it with `fmbench validate eval.yaml`)",
        "",
        "Only `eval.yaml` is meant for submission: it holds metrics, never weights, code or data.",
        "",
    ]
    return "\n".join(lines)


def write_report(result: Any, out_dir: Path) -> list[Path]:
    """The ``markdown`` reporter: write ``report.md``."""
    sections = result.extras.get("report_sections", [])
    from fmbench.reporting.clinical import write_decision_curve_plots
    from fmbench.reporting.plots import write_reliability_plots

    plots = write_reliability_plots(result.document, Path(out_dir))
    curves = write_decision_curve_plots(result.document, Path(out_dir))
    path = Path(out_dir) / "report.md"
    atomic_write_text(path, render_report(result.document, sections, plots, curves))
    return [path, *(Path(out_dir) / p for p in [*plots.values(), *curves.values()])]
