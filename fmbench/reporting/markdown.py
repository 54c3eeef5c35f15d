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
from fmbench.reporting.escape import md_code
from fmbench.reporting.tables import escape_md, fmt, fmt_interval, markdown_table
from fmbench.results.records import BenchmarkResult, EvalDocument

__all__ = ["render_report", "write_report"]


def _metric_names(record: Mapping[str, Any]) -> list[str]:
    return list(record.get("metrics", {}))


#: How the report names each interval method of ``interval_method.methods``.
_METHOD_TEXT = {
    "clopper-pearson": "Clopper-Pearson",
    "newcombe score": "Newcombe's score interval for the AUC (DeLong-scaled)",
    "mover-clopper-pearson": "MOVER from Clopper-Pearson recalls",
    "percentile bootstrap": "percentile bootstrap",
    "half-sampling": "half-sampling without replacement",
}


def _interval_note(record: Mapping[str, Any]) -> list[str]:
    method = record.get("interval_method")
    if not method:
        return []
    unit = method.get("unit")
    what = "samples" if unit == "sample" else f"{md_code(unit)} clusters"
    level = f"{round(100 * method.get('confidence', 0.95))}%"
    methods = method.get("methods")
    if not isinstance(methods, Mapping):  # an eval.yaml written before methods per metric
        return [
            f"Intervals: {level} {escape_md(method.get('method'))} over "
            f"{method.get('n_units')} {what}, {method.get('n_resamples')} resamples.",
            "",
        ]
    by_method: dict[str, list[str]] = {}
    for name, used in methods.items():
        by_method.setdefault(str(used), []).append(escape_md(name))
    parts = []
    for used, names in by_method.items():
        text = escape_md(_METHOD_TEXT.get(used, used))
        if used in ("percentile bootstrap", "half-sampling"):
            text += f" ({method.get('n_resamples')} resamples)"
        parts.append(f"{text} for {', '.join(names)}")
    clustered = (
        f"; closed forms use the design effect of the {what} and Student's t"
        if method.get("design_effect")
        else ""
    )
    return [
        f"Intervals ({level}, over {method.get('n_units')} {what}): "
        + "; ".join(parts)
        + f"{clustered}. They cover the variation of the test samples given the fitted "
        "model, not retraining; flagged ones (Note) have zero width or too few defined "
        "resamples.",
        "",
    ]


def _degenerate_note(reason: Any) -> str:
    return f"interval not reliable: {reason}" if reason else ""


def _gap_lines(gaps: Mapping[str, Any]) -> list[str]:
    if not gaps:
        return []
    parts = [
        f"{escape_md(name)}: worst {escape_md(g['worst_group'])} {fmt(g['worst'], 3)}, "
        f"gap to best ({escape_md(g['best_group'])}) {fmt(g['gap'], 3)}"
        for name, g in gaps.items()
    ]
    return ["Worst group / gap (descriptive, no test): " + "; ".join(parts) + ".", ""]


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
    result: BenchmarkResult, plot: str | None = None, curve_plot: str | None = None
) -> list[str]:
    record = result.to_dict()  # the descriptive blocks are read as eval.yaml holds them
    out = [
        f"## {escape_md(result.benchmark_id)} (v{escape_md(result.benchmark_version)})",
        "",
    ]
    if not result.ok:
        out += [f"**Failed:** {escape_md(result.error or 'unknown error')}", ""]
        return out
    split = record.get("split", {})
    out += [
        f"- Dataset: {md_code(record.get('dataset_id'))} "
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
        f"- Primary metric: **{escape_md(result.primary.name if result.primary else '')}** "
        f"({result.primary.direction if result.primary else '?'} is better)",
        *_paradigm_line(record),
        "",
        "### Overall",
        "",
    ]
    rows = []
    degenerate = result.extra.get("intervals_degenerate") or {}
    for name, metric in result.metrics.items():
        shown = fmt_interval(metric.value, metric.ci)
        note = escape_md(
            metric.reason or metric.ci_reason or _degenerate_note(degenerate.get(name))
        )
        rows.append([escape_md(name), shown, fmt(metric.chance), note])
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
    document: EvalDocument,
    extra_sections: Iterable[str] = (),
    plots: Mapping[str, str] | None = None,
    curve_plots: Mapping[str, str] | None = None,
) -> str:
    """The Markdown text of a run's report, from its typed eval document."""
    meta = document.run_metadata
    model = document.model
    prov = document.provenance
    if meta.get("command_name") == "run-robustness":
        data = document.benchmarks.records[0].dataset_id
        head = [
            "# fmbench robustness report",
            "",
            f"- Command: run-robustness on {md_code(data)}",
        ]
    else:
        head = [
            f"# fmbench report: {escape_md(meta.get('suite_id'))}",
            "",
            f"- Suite: {md_code(meta.get('suite_id'))} v{escape_md(meta.get('suite_version'))}",
        ]
    lines = [
        *head,
        f"- Model (AI Solution): {md_code(model.get('model_id'))} "
        f"(type {md_code(model.get('type'))}{', a baseline' if model.get('baseline') else ''})",
        f"- Eval id: {md_code(document.eval_id)}; status: **{escape_md(document.status.value)}**",
        f"- Date: {escape_md(meta.get('date'))}; seed {meta.get('seed')}; fmbench {escape_md(meta.get('fmbench_version'))}",
        "",
    ]
    for result in document.benchmarks.records:
        bid = result.benchmark_id
        lines += _benchmark_section(result, (plots or {}).get(bid), (curve_plots or {}).get(bid))
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
            f"{md_code(k)} {str(v)[:16]}…" for k, v in prov.get("dataset_sha256", {}).items()
        ),
        f"- eval.yaml digest: `{(document.digest or {}).get('sha256', '')[:16]}…` "
        "(check it with `fmbench validate eval.yaml`)",
        "",
        "Only `eval.yaml` is meant for submission: it holds metrics, never weights, code or data.",
        "",
    ]
    return "\n".join(lines)


def write_report(result: Any, out_dir: Path) -> list[Path]:
    """The ``markdown`` reporter: write ``report.md`` and the PNG plots it links to."""
    from fmbench.reporting.clinical import write_decision_curve_plots
    from fmbench.reporting.plots import write_reliability_plots
    from fmbench.reporting.robustness import robustness_sections

    document: EvalDocument = result.document
    as_written = document.to_dict()
    plots = write_reliability_plots(as_written, Path(out_dir))
    curves = write_decision_curve_plots(as_written, Path(out_dir))
    blocks = as_written.get("robustness") or {}
    sections = robustness_sections(blocks, Path(out_dir), single=len(blocks) == 1)
    path = Path(out_dir) / "report.md"
    atomic_write_text(path, render_report(document, sections, plots, curves))
    return [path, *(Path(out_dir) / p for p in [*plots.values(), *curves.values()])]
