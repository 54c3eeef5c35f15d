"""The compiled schema validator and jsonschema agree on valid and invalid documents."""

from __future__ import annotations

import copy

import jsonschema
import pytest

from fmbench.leaderboard.synthetic import synthetic_eval
from fmbench.results.eval_file import load_schema, schema_errors


def _mutations() -> list[dict]:
    base = synthetic_eval("m", 0.7, interval=(0.6, 0.8))
    out = [base]
    for path, value in [
        (("model_ids", "candidate"), "<script>"),
        (("eval_id",), "../x"),
        (("eval_id",), ""),
        (("status",), "Done"),
        (("schema_version",), "2.0"),
        (("run_metadata", "date"), "yesterday"),
        (("run_metadata", "runner"), "other"),
        (("metrics", "AUROC"), "0.7"),
        (("digest", "sha256"), "xyz"),
        (("benchmarks",), []),
        (("provenance",), {"seed": 1}),
    ]:
        doc = copy.deepcopy(base)
        target = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        out.append(doc)
    missing = copy.deepcopy(base)
    del missing["benchmarks"][0]["protocol"]
    out.append(missing)
    failed = copy.deepcopy(base)
    failed["benchmarks"][0] = {"benchmark_id": "B", "status": "Failed"}
    out.append(failed)
    strata = copy.deepcopy(base)
    strata["benchmarks"][0]["stratified"] = {"site": {"A": {"AUROC": 0.5}}}
    out.append(strata)
    return out


@pytest.mark.parametrize("doc", _mutations())
def test_fast_and_reference_validators_agree(doc):
    reference = list(jsonschema.Draft202012Validator(load_schema()).iter_errors(doc))
    assert bool(schema_errors(doc)) == bool(reference)
