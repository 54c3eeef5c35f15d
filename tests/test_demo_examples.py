"""The committed example eval files (``make example-evals`` regenerates them from the demo):
two models on every benchmark, one of them a model that ignores its input, and nothing
local in them (no absolute paths, no user names)."""

from __future__ import annotations

import getpass
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
EVALS = sorted((ROOT / "evals").glob("*.yaml")) + sorted(
    (ROOT / "docs" / "leaderboards" / "evals").glob("*.yaml")
)
CHANCE_MODELS = {"dummy_classifier", "dummy_embedder"}


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def test_example_evals_hold_no_local_path_or_user_name() -> None:
    assert EVALS
    absolute = re.compile(r"(^|[\s=:'\"])(/(home|root|tmp|work|Users|var)\b|[A-Za-z]:\\)")
    user = getpass.getuser()
    for path in EVALS:
        for text in _strings(yaml.safe_load(path.read_text(encoding="utf-8"))):
            assert not absolute.search(text), f"{path.name}: {text[:120]}"
            if len(user) > 3:
                assert user not in text.split("/"), f"{path.name}: {text[:120]}"


def test_example_evals_rank_a_chance_model_beside_one_that_uses_the_signal() -> None:
    models: dict[str, set[str]] = {}
    for path in sorted((ROOT / "evals").glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert "limit" not in doc["run_metadata"], f"{path.name} is a smoke run"
        for record in doc["benchmarks"]:
            assert record["status"] == "Completed", path.name
            assert record["data"]["kind"] == "synthetic"
            models.setdefault(record["benchmark_id"], set()).add(doc["model_ids"]["candidate"])
    assert len(models) >= 4
    for benchmark, names in models.items():
        assert len(names) >= 2, benchmark
        assert names & CHANCE_MODELS and names - CHANCE_MODELS, (benchmark, names)


def test_the_demo_and_the_example_evals_come_from_one_script() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "bash scripts/demo.sh" in makefile and "bash scripts/example_evals.sh" in makefile
    script = (ROOT / "scripts" / "example_evals.sh").read_text(encoding="utf-8")
    assert "scripts/demo.sh" in script
    page = (ROOT / "docs" / "leaderboards" / "index.md").read_text(encoding="utf-8")
    assert "| synthetic data |" in page
