"""`compare` refuses runs on different splits (issue #19, defect 3), says what the test is
conditional on, and holds its false-positive rate on shared splits (bench/sim_compare.py)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from fmbench.cli import cli
from fmbench.errors import ResultsError
from fmbench.evaluation.protocols import Predictions
from fmbench.results.predictions import StoredPredictions
from fmbench.statistics.compare import (
    CONDITIONAL_ON,
    check_same_samples,
    fold_differences,
    same_partition,
)

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "configs" / "model_raw_features.yaml"


def invoke(*args: str) -> object:
    return CliRunner().invoke(cli, list(args), obj={}, catch_exceptions=True)


def _simulation() -> object:
    spec = importlib.util.spec_from_file_location("sim_compare", ROOT / "bench" / "sim_compare.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def stored(fold: list[int]) -> StoredPredictions:
    n = len(fold)
    proba = np.column_stack([np.linspace(0.1, 0.9, n), np.linspace(0.9, 0.1, n)])
    predictions = Predictions(indices=np.arange(n), y_true=np.arange(n) % 2,
                              fold=np.array(fold), proba=proba)  # fmt: skip
    return StoredPredictions(predictions=predictions, units=None, sha256="")


def test_same_partition_ignores_fold_numbers_but_not_membership() -> None:
    assert same_partition(np.array([0, 0, 1, 1, 2]), np.array([2, 2, 0, 0, 1]))
    assert not same_partition(np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1]))
    assert fold_differences(np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1])) == 2
    # b merges two folds of a: not the same split either
    assert fold_differences(np.array([0, 0, 1, 1]), np.array([0, 0, 0, 0])) == 2
    assert fold_differences(np.zeros(0), np.zeros(0)) == 0


def test_different_folds_are_refused_unless_allowed() -> None:
    a, b = stored([0, 0, 1, 1, 2, 2]), stored([0, 1, 1, 2, 2, 0])
    with pytest.raises(ResultsError, match=r"used different splits \(\d+ of 6 test samples"):
        check_same_samples("BM-X", a, b)
    assert check_same_samples("BM-X", a, b, allow_different_splits=True) is False
    assert check_same_samples("BM-X", a, stored([5, 5, 3, 3, 4, 4])) is True


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("splits")
    toy = root / "toy"
    made = invoke("generate-toy-data", "--output-dir", str(toy), "--only", "DS-TOY-FMRI-CLASS")
    assert made.exit_code == 0, made.output
    out = {}
    for seed in ("42", "7"):
        result = invoke(
            "run", "--suite", "SUITE-TOY-PROBE", "--model", str(RAW), "--out",
            str(root / f"seed{seed}"), "--data-root", str(toy), "--no-progress",
            "--n-resamples", "100", "--seed", seed,
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        out[seed] = root / f"seed{seed}"
    return out


def test_cli_refuses_two_seeds_of_one_model(runs: dict[str, Path]) -> None:
    result = invoke("compare", str(runs["42"]), str(runs["7"]), "--n-resamples", "200")
    assert result.exit_code == 1
    line = result.output.strip()
    assert "BM-TOY-CLASS-PROBE: the runs used different splits" in line
    assert "--allow-different-splits" in line
    assert "Traceback" not in result.output and len(line.splitlines()) == 1


def test_cli_allows_different_splits_and_says_what_the_test_means(runs: dict[str, Path]) -> None:
    args = ("compare", str(runs["42"]), str(runs["7"]), "--allow-different-splits")
    text = invoke(*args, "--n-resamples", "200")
    assert text.exit_code == 0, text.output
    assert "[different splits]" in text.output
    assert "Different splits were allowed: the runs put the test samples in different folds" in (
        text.output
    )
    assert f"Conditional on {CONDITIONAL_ON}." in text.output
    data = json.loads(invoke(*args, "--json", "--n-resamples", "200").output)
    assert data["benchmarks"]["BM-TOY-CLASS-PROBE"]["split"] == "different"
    assert "mix the models with the split" in data["different_splits"]
    assert data["conditional_on"] == CONDITIONAL_ON


def test_same_split_says_it_is_conditional_on_the_fitted_models(runs: dict[str, Path]) -> None:
    data = json.loads(
        invoke("compare", str(runs["42"]), str(runs["42"]), "--json", "--n-resamples", "200").output
    )
    assert data["benchmarks"]["BM-TOY-CLASS-PROBE"]["split"] == "same"
    assert "different_splits" not in data
    assert data["conditional_on"].startswith("the fitted models")


def test_simulated_false_positive_rate_on_shared_folds() -> None:
    """Equal models on shared folds: p < 0.05 in at most 6 % of 1000 seeded repeats (and not
    in none of them: a test that never rejects would pass the bound too)."""
    rates = _simulation().simulate(1000, seeds_scenarios=False)  # type: ignore[attr-defined]
    assert 0.03 <= rates.null_shared_folds <= 0.06


def test_simulated_two_seeds_are_refused() -> None:
    rates = _simulation().simulate(30, n_resamples=300)  # type: ignore[attr-defined]
    assert rates.refused_different_folds == 1.0
    assert rates.same_model_shared_folds == 0.0  # a deterministic probe, the same folds


def test_a_shared_cache_gives_the_same_results_as_none(core_registry) -> None:
    from fmbench.plugin_system.specs import MetricSpec
    from fmbench.statistics.bootstrap import rng_seed
    from fmbench.statistics.compare import paired_difference

    spec = core_registry.get(MetricSpec, "AUROC")
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 80)

    def side(p: np.ndarray) -> StoredPredictions:
        predictions = Predictions(indices=np.arange(80), y_true=y, fold=np.arange(80) % 4,
                                  proba=np.column_stack([1 - p, p]))  # fmt: skip
        return StoredPredictions(predictions=predictions, units=None, sha256="")

    a, stream, cache = side(rng.random(80)), rng_seed(1, "BM-X", "compare"), {}
    for _ in range(5):
        p = rng.random(80)
        # a temporary, freed after the call: the next one may get its id
        cached = paired_difference(spec, a, side(p), seed=stream, n_resamples=200, cache=cache)
        assert cached == paired_difference(spec, a, side(p), seed=stream, n_resamples=200)
