"""Checks of eval files and definition files, graded by severity (error, warning, info).

Example:
    >>> Finding("error", "digest does not match").severity
    'error'
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from fmbench.errors import FmbenchError
from fmbench.plugin_system.registry import Registry
from fmbench.plugin_system.specs import BenchmarkSpec, MetricSpec, ModelAdapterSpec, SuiteSpec
from fmbench.results.eval_file import read_eval, schema_errors, verify_digest
from fmbench.results.findings import Finding
from fmbench.results.privacy import is_local_path

if TYPE_CHECKING:
    from fmbench.results.signing import SignatureCheck

__all__ = [
    "FileReport",
    "Finding",
    "check_eval",
    "findings_of_signature",
    "signature_findings",
    "validate_file",
]


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
    """A YAML number as a float (None for anything else; too-large integers become inf)."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def _range_finding(bid: str, name: str, number: float, spec: Any) -> Finding | None:
    """Error beyond the possible range; warning at the best possible value (a perfect score)."""
    if spec.range is None:
        return None
    lo, hi = spec.range
    best = hi if spec.direction == "higher" else lo
    if not lo - 1e-9 <= number <= hi + 1e-9:
        beyond_best = number > hi if spec.direction == "higher" else number < lo
        what = "better than possible" if beyond_best else "worse than possible"
        return Finding(
            "error", f"{bid}: {name} = {number} is {what}: outside its range [{lo}, {hi}]"
        )
    if math.isfinite(best) and abs(number - best) <= 1e-12:
        return Finding(
            "warning",
            f"{bid}: {name} = {number} is the best possible value; check for leakage "
            "between training and test data",
        )
    return None


def _check_suite(doc: Mapping[str, Any], registry: Registry) -> list[Finding]:
    meta = doc.get("run_metadata") or {}
    suite_id, version = meta.get("suite_id"), meta.get("suite_version")
    if not isinstance(suite_id, str) or not registry.has(SuiteSpec, suite_id):
        return []
    spec = registry.get(SuiteSpec, suite_id)
    if version is not None and version != spec.version:
        return [
            Finding(
                "error",
                f"suite {suite_id}: version {version} does not match the installed "
                f"definition {spec.version}",
            )
        ]
    return []


def _check_primary(bid: str, record: Mapping[str, Any], registry: Registry | None) -> list[Finding]:
    primary = record.get("primary_metric") or {}
    name, value = primary.get("name"), primary.get("value")
    out: list[Finding] = []
    metrics = record.get("metrics") or {}
    if name not in metrics:
        out.append(Finding("error", f"{bid}: primary metric {name} is missing from metrics"))
    elif metrics[name] != value:
        out.append(
            Finding(
                "error",
                f"{bid}: primary metric {name} = {value} differs from metrics.{name} = "
                f"{metrics[name]}",
            )
        )
    if registry is not None and registry.has(BenchmarkSpec, bid):
        declared = registry.get(BenchmarkSpec, bid).metrics.primary
        if name != declared:
            out.append(
                Finding(
                    "error",
                    f"{bid}: primary metric is {name}, but the benchmark declares {declared}",
                )
            )
    if registry is not None and isinstance(name, str) and registry.has(MetricSpec, name):
        direction = registry.get(MetricSpec, name).direction
        if primary.get("direction") != direction:
            out.append(
                Finding(
                    "error",
                    f"{bid}: {name} direction {primary.get('direction')!r} is wrong: "
                    f"{direction} is better",
                )
            )
    return out


def _check_intervals(bid: str, record: Mapping[str, Any]) -> list[Finding]:
    intervals = record.get("intervals")
    if not isinstance(intervals, Mapping):
        return [Finding("error", f"{bid}: intervals must be a mapping metric -> [lo, hi]")]
    out: list[Finding] = []
    metrics = record.get("metrics") or {}
    for name, pair in intervals.items():
        if pair is None:
            continue
        bounds = [_number(v) for v in pair] if isinstance(pair, list) else []
        if len(bounds) != 2 or any(b is None or not math.isfinite(b) for b in bounds):
            out.append(Finding("error", f"{bid}: interval of {name} is not [lo, hi]: {pair}"))
            continue
        lo, hi = bounds
        value = _number(metrics.get(name))
        if lo > hi or (value is not None and not lo - 1e-9 <= value <= hi + 1e-9):  # type: ignore[operator]
            out.append(
                Finding("error", f"{bid}: interval of {name} [{lo}, {hi}] does not hold {value}")
            )
    return out


#: keys of a stratum entry that are not metric values
_GROUP_KEYS = frozenset(
    {
        "N",
        "suppressed",
        "reason",
        "undefined",
        "intervals",
        "intervals_undefined",
        "intervals_degenerate",
    }
)


def _check_stratified(
    bid: str, record: Mapping[str, Any], registry: Registry | None
) -> list[Finding]:
    out: list[Finding] = []
    for column, groups in sorted((record.get("stratified") or {}).items()):
        for group, values in sorted(groups.items()):
            for name, value in sorted(values.items()):
                if name in _GROUP_KEYS or value is None:
                    continue
                number = _number(value)
                if number is None or not math.isfinite(number):
                    out.append(
                        Finding("error", f"{bid}: {column}={group}: {name} is not a finite number")
                    )
                    continue
                if registry is not None and registry.has(MetricSpec, name):
                    finding = _range_finding(bid, name, number, registry.get(MetricSpec, name))
                    if finding is not None and finding.severity == "error":
                        out.append(Finding("error", f"{column}={group}: {finding.message}"))
    return out


def _check_resources(where: str, resources: Any) -> list[Finding]:
    """Resource figures are finite, non-negative numbers; a throughput gives a finite time per
    sample (``resources.samples_per_s: 5e-324`` would be an infinite ms/sample)."""
    if not isinstance(resources, Mapping):
        return []
    out: list[Finding] = []
    for name, value in resources.items():
        number = _number(value)
        if number is None:
            continue
        problem = None
        if not math.isfinite(number) or number < 0:
            problem = "is not a finite, non-negative number"
        elif name == "samples_per_s" and number and not math.isfinite(1000.0 / number):
            problem = "is too small to give a time per sample"
        if problem is not None:
            out.append(Finding("error", f"{where}resources.{name} = {str(value)[:40]} {problem}"))
    return out


def _check_interval_method(bid: str, method: Any) -> list[Finding]:
    if not isinstance(method, Mapping) or "confidence" not in method:
        return []
    confidence = _number(method.get("confidence"))
    if confidence is None or not 0 < confidence < 1:
        return [
            Finding(
                "error",
                f"{bid}: interval_method.confidence = {str(method.get('confidence'))[:40]} is "
                "not a level between 0 and 1",
            )
        ]
    return []


def _local_paths(value: Any, where: str) -> Iterator[tuple[str, str]]:
    """(field, word) for each word of a string in ``value`` that looks like a local path."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _local_paths(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _local_paths(item, f"{where}.{i}")
    elif isinstance(value, str):
        for word in value.split():
            word = word.strip("'\"()[]{},;:")
            if len(word) > 1 and is_local_path(word):
                yield where, word


#: Where a local path could start in a JSON text: ``/x``, ``~``, ``C:\\`` or ``../`` after a
#: quote, a space or an opening bracket (a prefilter: the words are then checked one by one).
_PATH_START = re.compile(r"""(?:^|[\s"'(\[{,=])(?:/[\w.~-]|~|[A-Za-z]:[\\/]|\.\.[\\/])""")


def _check_local_paths(doc: Mapping[str, Any]) -> list[Finding]:
    """A file meant to be shared that names a local path (absolute, ``~`` or ``..``) shows
    where it was made: warn, naming the fields (what this fmbench writes names none)."""
    body = {k: v for k, v in doc.items() if k != "digest"}
    if not _PATH_START.search(json.dumps(body, default=str)):  # the usual case, in one pass
        return []
    found = list(_local_paths(body, ""))
    if not found:
        return []
    fields = ", ".join(dict.fromkeys(field for field, _ in found[:3]))
    more = f" and {len(found) - 3} more" if len(found) > 3 else ""
    return [
        Finding(
            "warning",
            f"local path {found[0][1][:60]!r} in {fields}{more}: a shared eval file should "
            "name files by their name only (a run with this fmbench writes none)",
        )
    ]


def check_eval(
    doc: Mapping[str, Any],
    registry: Registry | None,
    *,
    digest_verified: bool = False,
    local_paths: bool = True,
) -> list[Finding]:
    """Schema, digest, known benchmarks and versions, values in range, chance comparisons.

    ``digest_verified``: the reader already checked the digest against this document
    (:func:`fmbench.results.eval_file.read_eval_verified`), so it is not hashed again.
    ``local_paths``: warn about local paths in the file (for its submitter; the leaderboard,
    which shows no such warning, skips it).
    """
    findings = [Finding("error", f"schema: {m}") for m in schema_errors(doc)]
    if findings:
        return findings
    if not digest_verified and not verify_digest(doc):
        findings.append(
            Finding(
                "error",
                "digest does not match the content: the file was edited after fmbench wrote it",
            )
        )
    else:
        from fmbench.results.integrity import check_results_sha256

        findings += check_results_sha256(doc)
    limit = (doc.get("run_metadata") or {}).get("limit")
    if limit is not None:
        findings.append(
            Finding(
                "error",
                f"a smoke run (fmbench run --limit {limit}: at most {limit} samples per "
                "benchmark) is not a submission: its metrics are not comparable with full "
                "runs; run again without --limit",
            )
        )
    if registry is not None:
        findings += _check_suite(doc, registry)
    if local_paths:
        findings += _check_local_paths(doc)
    findings += _check_resources("", doc.get("resources"))
    for record in doc.get("benchmarks", []):
        bid = record.get("benchmark_id")
        findings += _check_resources(f"{bid}: ", record.get("resources"))
        findings += _check_interval_method(bid, record.get("interval_method"))
        if registry is not None and registry.has(BenchmarkSpec, bid):
            spec = registry.get(BenchmarkSpec, bid)
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
            if registry is not None and registry.has(MetricSpec, name):
                metric = registry.get(MetricSpec, name)
                finding = _range_finding(bid, name, number, metric)
                if finding is not None:
                    findings.append(finding)
                    if finding.severity == "error":
                        continue
                chance = _number((record.get("chance") or {}).get(name))
                if chance is not None:
                    worse = number < chance if metric.direction == "higher" else number > chance
                    if worse:
                        findings.append(
                            Finding(
                                "warning",
                                f"{bid}: {name} = {number:.4f} is worse than chance ({chance:.4f})",
                            )
                        )
        findings += _check_primary(bid, record, registry)
        findings += _check_stratified(bid, record, registry)
        if "intervals" not in record:
            findings.append(Finding("info", f"{bid}: no confidence intervals"))
        else:
            findings += _check_intervals(bid, record)
    return findings


def signature_findings(
    doc: Mapping[str, Any], allowed_signers: Path | None, *, required: bool = False
) -> list[Finding]:
    """What the eval file's signature says (see :mod:`fmbench.results.signing`).

    Without ``allowed_signers`` a signature is only noted; with it, a signature that does not
    match the content is an error and a valid one names its signer. ``required``: an unsigned
    file, or one signed by a key the file does not list, is an error.
    """
    from fmbench.results.signing import has_signature, verify_signature

    if allowed_signers is None:
        if required:
            raise ValueError("a required signature needs an allowed-signers file")
        if has_signature(doc):
            return [
                Finding(
                    "info",
                    "signed (not verified: pass --allowed-signers FILE to check who signed it)",
                )
            ]
        return []
    return findings_of_signature(verify_signature(doc, allowed_signers), required=required)


def findings_of_signature(check: SignatureCheck, *, required: bool = False) -> list[Finding]:
    """The findings of a verified signature: an error for one that does not match the
    content; for an unsigned file or an unlisted key, an error when ``required``."""
    if check.status == "valid":
        return [Finding("info", f"signed by {check.signed_by}")]
    if check.status == "invalid":
        return [Finding("error", f"signature does not verify: {check.reason}")]
    severity = "error" if required else "warning"
    if check.status == "unknown_key":
        return [Finding(severity, f"signature not trusted: {check.reason}")]
    if required:
        return [
            Finding(
                "error",
                "not signed; the submitter signs it with `fmbench sign eval.yaml --key "
                "~/.ssh/id_ed25519`",
            )
        ]
    return [Finding("info", "not signed")]


def validate_file(
    path: Path,
    registry: Registry | None,
    *,
    allowed_signers: Path | None = None,
    require_signature: bool = False,
) -> FileReport:
    """Validate one file of any kind fmbench reads.

    An eval file is also checked against ``predictions.npz`` beside it, when there is one
    (:mod:`fmbench.results.integrity`), and its signature against ``allowed_signers``
    (:func:`signature_findings`).
    """
    report = FileReport(path=str(path))
    try:
        doc = read_eval(path)
    except FmbenchError as exc:
        report.findings.append(Finding("error", str(exc)))
        return report
    try:
        if "eval_id" in doc or "schema_version" in doc:
            report.kind = "eval"
            found = check_eval(doc, registry)
            report.findings += found
            if not any(f.message.startswith("schema: ") for f in found):
                from fmbench.results.integrity import check_predictions_beside

                report.findings += check_predictions_beside(path, doc, registry)
                report.findings += signature_findings(
                    doc, allowed_signers, required=require_signature
                )
        elif "suite_id" in doc or "benchmark_id" in doc:
            from fmbench.plugin_system.definitions import load_definition_file

            spec = load_definition_file(path)
            report.kind = "suite" if "suite_id" in doc else "benchmark"
            if registry is not None and report.kind == "suite":
                for entry in spec.benchmarks:  # type: ignore[union-attr]
                    registry.get(BenchmarkSpec, entry.benchmark)
        elif "model_id" in doc:
            from fmbench.models.config import read_model_config

            report.kind = "model config"
            config = read_model_config(path)
            if registry is not None:
                registry.get(ModelAdapterSpec, config.type)
            if "import_path" in config.settings:
                from fmbench.models.import_check import import_path_problem

                problem = import_path_problem(config.settings["import_path"], source=str(path))
                if problem is not None:
                    report.findings.append(Finding("error", problem))
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
