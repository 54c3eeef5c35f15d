"""Checks of eval files and definition files, graded by severity (error, warning, info).

Example:
    >>> Finding("error", "digest does not match").severity
    'error'
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from fmbench.errors import FmbenchError
from fmbench.registry import Registry
from fmbench.results import read_eval, schema_errors, verify_digest

__all__ = ["FileReport", "Finding", "check_eval", "validate_file"]


@attrs.frozen
class Finding:
    severity: str  # error | warning | info
    message: str


@attrs.define
class FileReport:
    path: str
    kind: str = "unknown"
    findings: list[Finding] = attrs.field(factory=list)

    @property
    def ok(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "kind": self.kind,
            "ok": self.ok,
            "findings": [attrs.asdict(f) for f in self.findings],
        }


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def check_eval(doc: Mapping[str, Any], registry: Registry | None) -> list[Finding]:
    """Schema, digest, known benchmarks and versions, values in range, chance comparisons."""
    findings = [Finding("error", f"schema: {m}") for m in schema_errors(doc)]
    if findings:
        return findings
    if not verify_digest(doc):
        findings.append(
            Finding(
                "error",
                "digest does not match the content: the file was edited after fmbench wrote it",
            )
        )
    for record in doc.get("benchmarks", []):
        bid = record.get("benchmark_id")
        if registry is not None and registry.has("benchmark", bid):
            spec = registry.get("benchmark", bid)
            if record.get("benchmark_version") != spec.version:
                findings.append(
                    Finding(
                        "error",
                        f"{bid}: benchmark version {record.get('benchmark_version')} does not "
                        f"match the installed definition {spec.version}",
                    )
                )
        elif registry is not None:
            findings.append(
                Finding("warning", f"{bid}: benchmark not known to the installed plugins")
            )
        if record.get("status") != "Completed":
            findings.append(
                Finding(
                    "warning", f"{bid}: status {record.get('status')}: {record.get('error', '')}"
                )
            )
            continue
        for name, value in (record.get("metrics") or {}).items():
            number = _number(value)
            if value is not None and number is None:
                findings.append(Finding("error", f"{bid}: metric {name} is not a number"))
                continue
            if number is None:
                if name not in (record.get("metrics_undefined") or {}):
                    findings.append(
                        Finding("error", f"{bid}: metric {name} is null without a reason")
                    )
                continue
            if not math.isfinite(number):
                findings.append(Finding("error", f"{bid}: metric {name} is {number}"))
                continue
            if registry is not None and registry.has("metric", name):
                spec = registry.get("metric", name)
                if spec.range is not None:
                    lo, hi = spec.range
                    if not lo - 1e-9 <= number <= hi + 1e-9:
                        findings.append(
                            Finding(
                                "error",
                                f"{bid}: {name} = {number} is outside "
                                f"its possible range [{lo}, {hi}]",
                            )
                        )
                        continue
                chance = _number((record.get("chance") or {}).get(name))
                if chance is not None:
                    worse = number < chance if spec.direction == "higher" else number > chance
                    if worse:
                        findings.append(
                            Finding(
                                "warning",
                                f"{bid}: {name} = {number:.4f} is worse than chance ({chance:.4f})",
                            )
                        )
        if "intervals" not in record:
            findings.append(Finding("info", f"{bid}: no confidence intervals"))
    return findings


def validate_file(path: Path, registry: Registry | None) -> FileReport:
    """Validate one file of any kind fmbench reads."""
    report = FileReport(path=str(path))
    try:
        doc = read_eval(path)
    except FmbenchError as exc:
        report.findings.append(Finding("error", str(exc)))
        return report
    try:
        if "eval_id" in doc or "schema_version" in doc:
            report.kind = "eval"
            report.findings += check_eval(doc, registry)
        elif "suite_id" in doc or "benchmark_id" in doc:
            from fmbench.definitions import load_definition_file

            spec = load_definition_file(path)
            report.kind = "suite" if "suite_id" in doc else "benchmark"
            if registry is not None and report.kind == "suite":
                for entry in spec.benchmarks:  # type: ignore[union-attr]
                    registry.get("benchmark", entry.benchmark)
        elif "model_id" in doc:
            from fmbench.models import read_model_config

            report.kind = "model config"
            config = read_model_config(path)
            if registry is not None:
                registry.get("model_adapter", config.type)
        else:
            report.findings.append(
                Finding(
                    "error",
                    "not an eval file, suite, benchmark or model "
                    "config (no eval_id, suite_id, benchmark_id or model_id)",
                )
            )
    except FmbenchError as exc:
        report.findings.append(Finding("error", str(exc)))
    return report
