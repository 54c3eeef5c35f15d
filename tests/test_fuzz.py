"""Property-based tests: no input makes the parsers or the validator crash with a foreign error."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fmbench.errors import FmbenchError
from fmbench.models.config import parse_model_config
from fmbench.plugin_system.definitions import parse_benchmark, parse_suite
from fmbench.plugin_system.registry import build_registry
from fmbench.results.eval_file import read_eval
from fmbench.results.validation import check_eval, validate_file

REGISTRY = build_registry(external=False)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
KEYS = [
    "benchmark_id",
    "name",
    "task",
    "dataset",
    "metrics",
    "split",
    "stratification",
    "probes",
    "suite_id",
    "benchmarks",
    "inputs",
    "version",
    "protocol",
    "data_spec",
    "model_id",
    "type",
    "eval_id",
    "status",
    "digest",
    "schema_version",
    "run_metadata",
    "provenance",
]
documents = st.dictionaries(
    st.one_of(st.sampled_from(KEYS), st.text(max_size=8)), values, max_size=8
)
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(documents)
def test_benchmark_parser_raises_only_its_own_errors(doc):
    with contextlib.suppress(FmbenchError):
        parse_benchmark(doc, source="fuzz.yaml")


@FAST
@given(documents)
def test_suite_parser_raises_only_its_own_errors(doc):
    with contextlib.suppress(FmbenchError):
        parse_suite(doc, source="fuzz.yaml")


@FAST
@given(st.one_of(documents, values))
def test_model_config_parser_raises_only_its_own_errors(doc):
    with contextlib.suppress(FmbenchError):
        parse_model_config(doc, source="fuzz.yaml")


@FAST
@given(documents)
def test_eval_checker_never_crashes(doc):
    findings = check_eval(doc, REGISTRY)
    assert all(f.severity in {"error", "warning", "info"} for f in findings)


@FAST
@given(st.text(max_size=300))
def test_reading_arbitrary_text_as_an_eval_file(text):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "eval.yaml"
        path.write_text(text, encoding="utf-8")
        with contextlib.suppress(FmbenchError):
            read_eval(path)
        report = validate_file(path, REGISTRY)
        assert isinstance(report.ok, bool)


@FAST
@given(documents)
def test_validate_any_yaml_document(doc):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "doc.yaml"
        path.write_text(yaml.safe_dump(doc), encoding="utf-8")
        report = validate_file(path, REGISTRY)
        assert isinstance(report.ok, bool)
