"""The report's clinical section and decision-curve plot, from a record's ``clinical`` block.

Example:
    >>> lines = clinical_lines({"clinical": {"threshold": 0.5, "positive_class": 1,
    ...     "operating_point": {"sensitivity": {"value": 0.8, "interval": [0.7, 0.9]}}}})
    >>> lines[0]
    '### Clinical operating points'
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fmbench.io import atomic_write_bytes
from fmbench.reporting.tables import escape_md, fmt_interval, markdown_table

__all__ = ["clinical_lines", "decision_curve_png", "write_decision_curve_plots"]

_RATE_NAMES = {"sensitivity": "Sensitivity", "specificity": "Specificity", "ppv": "PPV",
               "npv": "NPV"}  # fmt: skip


def _cell(entry: Any) -> str:
    if not isinstance(entry, Mapping):
        return "n/a"
    if entry.get("value") is None:
        return "n/a" + (f" ({escape_md(entry['reason'])})" if entry.get("reason") else "")
    return fmt_interval(entry["value"], entry.get("interval"))


def _rates_row(label: str, block: Mapping[str, Any]) -> list[str]:
    return [label, *(_cell(block.get(rate)) for rate in _RATE_NAMES)]


def clinical_lines(record: Mapping[str, Any], plot: str | None = None) -> list[str]:
    """Markdown lines of one benchmark's clinical section (empty without a ``clinical`` block)."""
    block = record.get("clinical")
    if not block:
        return []
    out = ["### Clinical operating points", ""]
    if block.get("status") == "undefined":
        return [*out, f"Not reported: {escape_md(block.get('reason'))}.", ""]
    c = block.get("positive_class")
    method = block.get("training_predictions")
    how = f" ({escape_md(method)})" if method else ""
    out += [
        f"Positive class {c}: a sample is called positive when P(class {c}) >= the threshold. "
        f"Thresholds chosen from data are chosen on each fold's training predictions only{how}. "
        "Intervals: Clopper-Pearson for rates at a fixed threshold (with the design effect of the "
        "resampling units when samples are clustered); percentile bootstrap for points read "
        "off the test ROC curve, macro averages, prevalence-adjusted values and the decision "
        "curve.",
        "",
    ]
    rows = [_rates_row(f"declared threshold {block.get('threshold')}", block["operating_point"])]
    youden = block.get("youden") or {}
    if youden.get("thresholds"):
        shown = ", ".join(f"{t:.3f}" for t in youden["thresholds"] if t is not None)
        rows.append(_rates_row(f"Youden threshold (per fold: {shown})", youden))
    out += [markdown_table(["Operating point", *_RATE_NAMES.values()], rows), ""]
    if youden.get("value", 1) is None and youden.get("reason") != "youden not requested":
        out += [f"Youden threshold: n/a ({escape_md(youden.get('reason'))}).", ""]
    out += _fixed_point_lines(block)
    out += _prevalence_lines(block)
    out += _per_class_lines(block)
    if plot:
        out += [
            f"Decision curve: net benefit of the model against treat-all and treat-none "
            f"[{escape_md(plot)}]({plot}) (table in eval.yaml).",
            "",
        ]
    out += _gap_lines(block.get("subgroup_gaps") or {}, block.get("subgroup_gap_test"))
    return out


def _fixed_point_lines(block: Mapping[str, Any]) -> list[str]:
    rows = []
    for key, fixed, other in (("fixed_specificity", "specificity", "sensitivity"),
                              ("fixed_sensitivity", "sensitivity", "specificity")):  # fmt: skip
        for target, point in (block.get(key) or {}).items():
            trained = point.get("training_threshold") or {}
            rows.append([
                f"{fixed} >= {target}",
                f"{other} {_cell(point.get(other))}",
                (f"sensitivity {_cell(trained.get('sensitivity'))}, "
                 f"specificity {_cell(trained.get('specificity'))}")
                if trained.get("thresholds") else _cell(trained),
            ])  # fmt: skip
    if not rows:
        return []
    return [
        markdown_table(
            ["Fixed point", "Read off the test ROC curve", "Threshold chosen on training data"],
            rows,
        ),
        "",
    ]


def _prevalence_lines(block: Mapping[str, Any]) -> list[str]:
    settings = block.get("prevalence") or {}
    if not settings:
        return []
    rows = [
        [escape_md(name), f"{s['prevalence']:g}", _cell(s.get("ppv")), _cell(s.get("npv"))]
        for name, s in settings.items()
    ]
    return [
        "PPV and NPV at the declared threshold, recomputed for the declared prevalences "
        "(Bayes' rule from sensitivity and specificity):",
        "",
        markdown_table(["Setting", "Prevalence", "PPV", "NPV"], rows),
        "",
    ]


def _per_class_lines(block: Mapping[str, Any]) -> list[str]:
    per_class = block.get("per_class") or {}
    if not per_class:
        return []
    rows = [_rates_row(f"class {escape_md(c)} vs rest", e) for c, e in per_class.items()]
    rows.append(_rates_row("macro average", block.get("macro") or {}))
    return [markdown_table(["One-vs-rest", *_RATE_NAMES.values()], rows), ""]


def _p_text(test: Any) -> str:
    if not isinstance(test, Mapping) or test.get("p_value") is None:
        reason = test.get("reason") if isinstance(test, Mapping) else None
        return f"n/a ({escape_md(reason)})" if reason else "n/a"
    held = test.get("p_holm", test["p_value"])
    return f"{test['p_value']:.3g} (Holm {held:.3g})"


def _gap_lines(gaps: Mapping[str, Any], meaning: Mapping[str, Any] | None = None) -> list[str]:
    rows = []
    for column, per_rate in gaps.items():
        for rate, entry in per_rate.items():
            if "gap" not in entry:
                rows.append([escape_md(column), rate, _cell(entry), "", "", ""])
                continue
            flag = "**yes**" if entry.get("flagged") else "no"
            gap = entry["gap"].get("value") if isinstance(entry["gap"], Mapping) else None
            rows.append([
                escape_md(column), rate, "n/a" if gap is None else f"{gap:.3f}",
                f"{escape_md(entry['best_group'])} {entry['best']:.3f} vs "
                f"{escape_md(entry['worst_group'])} {entry['worst']:.3f}",
                _p_text(entry.get("test")), flag,
            ])  # fmt: skip
    if not rows:
        return []
    alpha = (meaning or {}).get("alpha", 0.05)
    correction = escape_md((meaning or {}).get("correction", "Holm over the block's tests"))
    return [
        "Subgroup gaps at the declared threshold (equalised odds). The gap is the observed "
        "range, highest minus lowest group (picked on the data, so larger with more groups); "
        "**flagged** when a chi-square test rejects equal rates across all the column's groups "
        f"(p < {alpha:g} after {correction}; Rao-Scott corrected when samples are clustered):",
        "",
        markdown_table(["Column", "Rate", "Gap", "Groups", "p (equal rates)", "Flagged"], rows),
        "",
    ]


def decision_curve_png(benchmark_id: str, curve: Mapping[str, Any]) -> bytes:
    """Net benefit against threshold probability: the model (with its interval band), treat
    all, treat none."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    def values(key: str) -> list[float]:
        return [float("nan") if v is None else v for v in curve[key]]

    pt = curve["thresholds"]
    model = values("net_benefit")
    fig = Figure(figsize=(5.5, 4.0), dpi=100)
    ax = fig.add_subplot()
    ax.fill_between(pt, values("net_benefit_low"), values("net_benefit_high"),
                    color="#4C72B0", alpha=0.2, label="model, 95% interval")  # fmt: skip
    ax.plot(pt, model, color="#4C72B0", label="model")
    ax.plot(pt, values("treat_all"), color="#C44E52", linestyle="--", label="treat all")
    ax.plot(pt, curve["treat_none"], color="grey", linestyle=":", label="treat none")
    top = max([v for v in model if v == v] + [curve.get("prevalence", 0.0), 0.01])
    ax.set_ylim(-0.05 * top - 0.01, top * 1.1 + 0.01)
    ax.set_xlim(min(pt), max(pt))
    ax.set_xlabel("threshold probability")
    ax.set_ylabel("net benefit")
    ax.set_title(f"{benchmark_id}: decision curve", fontsize=9)
    ax.legend(loc="upper right", fontsize=7)
    # fixed margins, room for tick labels like -0.025: tight_layout would draw it twice
    fig.subplots_adjust(left=0.16, right=0.97, bottom=0.12, top=0.93)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def write_decision_curve_plots(document: Mapping[str, Any], out_dir: Path) -> dict[str, str]:
    """``plots/<benchmark>_decision_curve.png`` for each record with a decision curve; the paths
    relative to ``out_dir``."""
    written: dict[str, str] = {}
    for record in document.get("benchmarks", []):
        curve = (record.get("clinical") or {}).get("decision_curve")
        if record.get("status") != "Completed" or not curve or len(curve["thresholds"]) < 2:
            continue
        benchmark_id = str(record["benchmark_id"])
        relative = f"plots/{benchmark_id}_decision_curve.png"
        (out_dir / "plots").mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(out_dir / relative, decision_curve_png(benchmark_id, curve))
        written[benchmark_id] = relative
    return written
