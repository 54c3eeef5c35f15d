"""The typed resources and clinical blocks: exact round trip, nothing lost, schema agreement."""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Any

import pytest
import yaml

from fmbench.results.blocks import Block
from fmbench.results.clinical import (
    ClinicalRates,
    ClinicalResult,
    ClinicalValue,
    DecisionCurve,
    FixedPoint,
    GapTest,
    PrevalencePoint,
    SubgroupGap,
    SubgroupGapTest,
)
from fmbench.results.eval_file import dump_yaml, load_schema
from fmbench.results.records import BenchmarkResult, EvalDocument, ProbeResult, RobustnessResult
from fmbench.results.resources import ModelResources, Resources

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = sorted([*ROOT.glob("evals/*.yaml"), *ROOT.glob("docs/leaderboards/evals/*.yaml")])


def test_there_are_committed_evals_with_clinical_and_robustness_blocks() -> None:
    texts = [p.read_text() for p in COMMITTED]
    assert len(texts) >= 10
    assert any("\n  clinical:\n" in t for t in texts)
    assert any("\nrobustness:\n" in t for t in texts)


@pytest.mark.parametrize("path", COMMITTED, ids=lambda p: p.name[:40])
def test_committed_evals_round_trip_to_the_same_text(path: Path) -> None:
    text = path.read_text()
    data = yaml.safe_load(text)
    doc = EvalDocument.from_dict(data)
    assert doc.to_dict() == data
    assert dump_yaml(doc.to_dict()) == text  # key order and explicit nulls kept
    assert doc.resources is not None and doc.resources.wall_time_s is not None
    for record in doc.benchmarks.records:
        assert "resources" not in record.extra and "clinical" not in record.extra
        assert record.resources is not None and not record.resources.extra
        if record.clinical is not None:
            assert not record.clinical.extra
    for block in (doc.robustness or {}).values():
        assert block.resources is not None
        for probe in block.probes.values():
            assert probe.resources is not None and not probe.resources.extra


def test_every_clinical_key_of_the_committed_evals_is_typed() -> None:
    """No part of a written clinical block falls back to ``extra`` (its layout is typed)."""

    def untyped(value: Any, where: str) -> list[str]:
        if isinstance(value, Block):
            found = [f"{where}: {sorted(value.extra)}"] if value.extra else []
            for name in value.field_types():
                found += untyped(getattr(value, name), f"{where}.{name}")
            return found
        if isinstance(value, dict):
            return [x for k, v in value.items() for x in untyped(v, f"{where}.{k}")]
        return []

    seen = 0
    for path in COMMITTED:
        for record in EvalDocument.from_dict(yaml.safe_load(path.read_text())).benchmarks.records:
            if record.clinical is not None:
                seen += 1
                assert untyped(record.clinical, path.name) == []
    assert seen > 0


def test_unknown_keys_and_values_of_another_type_are_kept_as_written() -> None:
    data = {
        "wall_time_s": "fast",  # not a number: kept, not refused (the validator judges)
        "future_counter": 3,
        "samples_per_s": None,
        "model": {"samples": 10, "gpu_name": "x"},
        "phases_s": {"predict": 0.5},
    }
    res = Resources.from_dict(data)
    assert res.wall_time_s is None and res.extra == {"wall_time_s": "fast", "future_counter": 3}
    assert res.model == ModelResources(samples=10, extra={"gpu_name": "x"})
    assert res.phases_s == {"predict": 0.5}
    assert res.to_dict() == data and list(res.to_dict()) == list(data)


def test_numbers_are_not_converted() -> None:
    """An int stays an int and a float a float, so the YAML text does not change."""
    res = Resources.from_dict({"wall_time_s": 2, "model_inputs": 7})
    assert type(res.wall_time_s) is int and res.to_dict() == {"wall_time_s": 2, "model_inputs": 7}
    assert Resources.from_dict({"model_inputs": 7.5}).extra == {"model_inputs": 7.5}
    assert Resources.from_dict({"model_inputs": True}).extra == {"model_inputs": True}


def test_a_block_built_in_code_writes_set_fields_and_required_nulls() -> None:
    assert ClinicalValue(value=None, reason="no positives").to_dict() == {
        "value": None,
        "reason": "no positives",
    }
    rates = ClinicalRates(thresholds=(0.4, None), sensitivity=ClinicalValue(value=0.5))
    assert rates.to_dict() == {"thresholds": [0.4, None], "sensitivity": {"value": 0.5}}
    assert ClinicalRates.from_dict(rates.to_dict()) == rates


def test_records_take_the_blocks_out_of_extra_and_put_them_back_in_place() -> None:
    data = {
        "benchmark_id": "BM-X",
        "status": "Completed",
        "metrics": {"AUROC": 0.8},
        "chance": {"AUROC": 0.5},
        "calibration": {"ECE": 0.1},
        "clinical": {"status": "undefined", "reason": "the model gives no probabilities"},
        "data": {"n_test": 10},
        "resources": {"wall_time_s": 1.0},
        "predictions_sha256": "0" * 64,
    }
    record = BenchmarkResult.from_dict(data)
    assert record.clinical == ClinicalResult(
        status="undefined", reason="the model gives no probabilities"
    )
    assert record.clinical is not None and not record.clinical.defined
    assert record.resources == Resources(wall_time_s=1.0)
    assert list(record.to_dict()) == list(data)
    built = BenchmarkResult(benchmark_id="BM-X", status="Failed", resources={"wall_time_s": 1.0})
    assert built.to_dict()["resources"] == {"wall_time_s": 1.0}
    # a block that is not a mapping is not typed: kept as written
    odd = BenchmarkResult.from_dict({**data, "resources": [1, 2]})
    assert odd.resources is None and odd.extra["resources"] == [1, 2]
    assert odd.to_dict() == {**data, "resources": [1, 2]}


# --- the schema and the records, tested against each other -----------------------------------


def _resolve(schema: dict[str, Any], part: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in part:
        part = schema["$defs"][part["$ref"].rsplit("/", 1)[-1]]
    return part


def _block_classes(cls: type[Block]) -> list[type[Block]]:
    """The block classes a field type names (``X | None``, ``Mapping[str, X]``...)."""
    out: list[type[Block]] = []
    for kind in cls.field_types().values():
        stack = [kind]
        while stack:
            item = stack.pop()
            if isinstance(item, type) and issubclass(item, Block):
                out.append(item)
            stack += list(typing.get_args(item))
    return out


def test_the_schema_describes_every_field_of_the_typed_blocks() -> None:
    """Every typed field of a block is a property of its part of the schema, every property
    the schema lists is typed, and every required one is a field."""
    schema = load_schema()
    defs = schema["$defs"]
    clinical = defs["clinical"]["properties"]
    gap = defs["subgroup_gap"]["properties"]
    parts: dict[type[Block], dict[str, Any]] = {
        Resources: defs["resources"],
        ModelResources: defs["model_resources"],
        ClinicalResult: defs["clinical"],
        ClinicalValue: defs["clinical_value"],
        ClinicalRates: defs["clinical_rates"],
        FixedPoint: defs["clinical_fixed_point"],
        PrevalencePoint: clinical["prevalence"]["additionalProperties"],
        DecisionCurve: clinical["decision_curve"],
        SubgroupGap: defs["subgroup_gap"],
        GapTest: gap["test"],
        SubgroupGapTest: clinical["subgroup_gap_test"],
    }
    # the schema's places of the blocks point at these parts
    assert _resolve(schema, schema["properties"]["resources"]) is defs["resources"]
    for where in ("benchmark", "robustness_block", "probe_result"):
        assert _resolve(schema, defs[where]["properties"]["resources"]) is defs["resources"]
    assert _resolve(schema, defs["benchmark"]["properties"]["clinical"]) is defs["clinical"]
    # every block class reachable from the two top blocks is checked
    reachable = {Resources, ClinicalResult}
    todo = list(reachable)
    while todo:
        for found in _block_classes(todo.pop()):
            if found not in reachable:
                reachable.add(found)
                todo.append(found)
    assert reachable == set(parts)
    for cls, part in parts.items():
        fields = set(cls.field_types())
        properties = set(part["properties"])
        assert fields == properties, (cls.__name__, fields ^ properties)
        assert set(part.get("required", ())) <= fields, cls.__name__
        assert set(cls.ALWAYS) <= set(part.get("required", ())) | {"value"}, cls.__name__


def test_the_records_holding_blocks_name_them_in_the_schema() -> None:
    defs = load_schema()["$defs"]
    assert "resources" in EvalDocument.KEYS
    for record, part in (
        (BenchmarkResult, defs["benchmark"]),
        (RobustnessResult, defs["robustness_block"]),
        (ProbeResult, defs["probe_result"]),
    ):
        assert set(record.BLOCKS) <= set(part["properties"]), record.__name__
