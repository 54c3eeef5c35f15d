"""Comparing three or more runs: exact Friedman and Nemenyi tests over data sets, pairwise
paired comparisons only on shared splits (Holm), the critical-difference diagram; the rank
tests checked against scipy and against their null distribution."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.stats
from click.testing import CliRunner

from fmbench.cli import cli
from fmbench.plugin_system.registry import Registry
from fmbench.statistics.compare_many import cliques, compare_many
from fmbench.statistics.rank_tests import (
    block_ranks,
    friedman_test,
    holm,
    minimum_blocks,
    nemenyi_test,
)
from fmbench.statistics.synthetic_runs import Scored, binary_predictions, write_run

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "configs" / "model_raw_features.yaml"
MODELS = ("strong", "medium", "chance")
SIGNAL = {"strong": 1.6, "medium": 0.8, "chance": 0.0}


def invoke(*args: str) -> object:
    return CliRunner().invoke(cli, list(args), obj={}, catch_exceptions=True)


# --- the rank tests ---------------------------------------------------------------------


def test_block_ranks_follow_the_direction_and_share_ties() -> None:
    scores = np.array([[0.9, 0.7, 0.9], [1.0, 3.0, 2.0]])
    ranks = block_ranks(scores, higher_is_better=[True, False])
    assert ranks.tolist() == [[1.5, 3.0, 1.5], [1.0, 3.0, 2.0]]


def test_friedman_statistic_matches_scipy_with_ties() -> None:
    rng = np.random.default_rng(3)
    scores = rng.integers(0, 4, size=(9, 4)).astype(float)  # many ties
    ranks = block_ranks(scores, higher_is_better=True)
    ours = friedman_test(ranks, alpha=0.05)
    theirs = scipy.stats.friedmanchisquare(*(-scores).T)
    assert ours.statistic == pytest.approx(theirs.statistic, abs=1e-5)
    assert ours.p_value is not None and 0 < ours.p_value <= 1


def test_exact_p_value_of_identical_rankings() -> None:
    ranks = block_ranks(np.array([[3.0, 2.0, 1.0]] * 3), higher_is_better=True)
    result = friedman_test(ranks, alpha=0.05)
    assert result.p_value == pytest.approx(1 / 36, abs=1e-6)  # (3!) ** -(3 - 1)
    assert "exact permutation distribution (36 arrangements)" in (result.method or "")
    assert result.rejects


def test_too_few_blocks_give_null_with_the_reason() -> None:
    ranks = block_ranks(np.array([[3.0, 2.0, 1.0]] * 2), higher_is_better=True)
    result = friedman_test(ranks, alpha=0.05)
    assert result.p_value is None and not result.rejects
    assert "no outcome could be significant" in (result.reason or "")
    assert "at least 3 independent data sets" in (result.reason or "")
    assert minimum_blocks(3, 0.05) == 3 and minimum_blocks(4, 0.05) == 2


def test_friedman_holds_its_level_under_the_null() -> None:
    """Random scores (exchangeable models): p <= 0.05 in about 5 % of 400 data sets."""
    rng = np.random.default_rng(11)
    rejected = 0
    for _ in range(400):
        ranks = block_ranks(rng.normal(size=(6, 3)), higher_is_better=True)
        rejected += friedman_test(ranks, alpha=0.05).rejects
    assert 0.02 <= rejected / 400 <= 0.07


def test_nemenyi_critical_difference_matches_the_studentized_range_for_many_blocks() -> None:
    rng = np.random.default_rng(5)
    ranks = block_ranks(rng.normal(size=(300, 5)), higher_is_better=True)
    result = nemenyi_test(ranks, list("abcde"), alpha=0.05)
    q = scipy.stats.studentized_range.ppf(0.95, 5, np.inf) / np.sqrt(2)
    asymptotic = q * np.sqrt(5 * 6 / (6 * 300))
    assert result.critical_difference == pytest.approx(asymptotic, rel=0.05)
    assert len(result.pairs) == 10
    for pair in result.pairs:
        far = abs(pair.mean_rank_a - pair.mean_rank_b) >= result.critical_difference
        assert pair.different == far


def test_holm_and_cliques() -> None:
    assert holm([0.01, 0.04, 0.03]) == [0.03, 0.06, 0.06]
    assert holm([0.5, 0.001]) == [0.5, 0.002]
    ordered = [("a", 1.0), ("b", 1.6), ("c", 2.2), ("d", 3.9)]
    different = {("a", "c"), ("a", "d"), ("b", "d"), ("c", "d")}
    assert cliques(ordered, different) == [["a", "b"], ["b", "c"]]
    assert cliques(ordered, set()) == [["a", "b", "c", "d"]]


# --- many runs --------------------------------------------------------------------------


def make_runs(root: Path, registry: Registry, *, n_datasets: int = 5) -> list[Path]:
    """Three models of clearly different quality on ``n_datasets`` data sets; data set 0 has
    two benchmarks (one block), BM-EXTRA is missing from one run, and on BM-DS-1 the chance
    model used other folds."""
    rng = np.random.default_rng(0)
    labels = {f"DS-{i}": rng.integers(0, 2, 150) for i in range(n_datasets)}
    out = []
    for model in MODELS:
        scored = [
            Scored(benchmark_id=f"BM-{ds}", dataset_id=ds,
                   predictions=binary_predictions(y, SIGNAL[model], rng,
                   folds=np.arange(150) % 3 if model == "chance" and ds == "DS-1" else None))
            for ds, y in labels.items()
        ]  # fmt: skip
        scored.append(Scored(benchmark_id="BM-DS-0-AGAIN", dataset_id="DS-0",
                             predictions=binary_predictions(labels["DS-0"], SIGNAL[model], rng)))  # fmt: skip
        if model != "medium":
            scored.append(Scored(benchmark_id="BM-EXTRA", dataset_id="DS-X",
                                 predictions=binary_predictions(labels["DS-0"], 1.0, rng)))  # fmt: skip
        out.append(write_run(root / model, registry, model, scored))
    return out


@pytest.fixture(scope="module")
def many_runs(tmp_path_factory: pytest.TempPathFactory, core_registry: Registry) -> list[Path]:
    return make_runs(tmp_path_factory.mktemp("many"), core_registry)


def test_compare_many_blocks_tests_and_pairwise(
    many_runs: list[Path], core_registry: Registry
) -> None:
    result = compare_many(core_registry, many_runs, n_resamples=2000)
    assert [b.dataset_id for b in result.blocks] == [f"DS-{i}" for i in range(5)]
    assert result.blocks[0].benchmarks == ("BM-DS-0", "BM-DS-0-AGAIN")  # one data set, one block
    assert result.left_out == {"BM-EXTRA": "not completed by medium"}
    assert result.mean_ranks == {"strong": 1.0, "medium": 2.0, "chance": 3.0}
    assert result.friedman.rejects
    assert result.friedman.p_value == pytest.approx(1 / 6**4, abs=1e-6)  # exact, 5 blocks
    pairs = {(p.a, p.b): p for p in result.posthoc.pairs}
    assert pairs[("strong", "chance")].different
    assert not pairs[("strong", "medium")].different
    assert result.posthoc.critical_difference is not None
    assert result.groups() == [["strong", "medium"], ["medium", "chance"]]
    # pairwise: BM-DS-1 of the chance model is on other folds: left out for its two pairs
    left = {(e["benchmark_id"], e["run_a"], e["run_b"]) for e in result.pairwise_left_out}
    assert ("BM-DS-1", "strong", "chance") in left and ("BM-DS-1", "medium", "chance") in left
    assert all("different splits" in e["reason"] for e in result.pairwise_left_out)
    tested = {(e["benchmark_id"], e["run_a"], e["run_b"]) for e in result.pairwise}
    assert ("BM-DS-1", "strong", "medium") in tested
    assert ("BM-EXTRA", "strong", "chance") in tested  # both have it
    assert len(result.pairwise) == 6 * 3 + 1 - 2
    by_p = sorted(result.pairwise, key=lambda e: e["p_value"])
    assert by_p[0]["p_holm"] == pytest.approx(min(1.0, len(by_p) * by_p[0]["p_value"]), abs=1e-6)
    data = result.to_dict()
    json.dumps(data)
    assert data["posthoc"]["correction"].startswith("single-step")
    assert data["pairwise"]["correction"] == "Holm over the 17 tests with a p-value"
    assert data["conditional_on"].startswith("the fitted models")


def test_cli_three_models_print_tests_and_write_the_diagram(
    many_runs: list[Path], tmp_path: Path
) -> None:
    result = invoke("compare", *map(str, many_runs), "--plot", str(tmp_path), "--n-resamples",
                    "200")  # fmt: skip
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Blocks: 5 data set(s) (DS-0: BM-DS-0, BM-DS-0-AGAIN; DS-1: BM-DS-1;" in out
    assert "Friedman test: chi2 = 10, p = 0.000772 (exact permutation distribution" in out
    assert "Post-hoc: Nemenyi (range of mean ranks)" in out
    assert "adjusted for all 3 pairs (family-wise error rate 0.05)" in out
    assert "strong vs chance: mean ranks 1.00 / 3.00, adjusted p = " in out
    assert "Holm over 17 tests" in out
    assert "no Holm p can be below" in out  # 200 resamples are too few for 17 tests
    assert "left out BM-DS-1 strong vs chance: benchmark BM-DS-1: the runs used different" in out
    png = tmp_path / "critical_difference.png"
    assert f"Critical-difference diagram: {png}" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    again = invoke("compare", *map(str, many_runs), "--plot", str(png), "--n-resamples", "200")
    assert again.exit_code == 1 and "exists; pass --overwrite" in again.output
    data = json.loads(
        invoke("compare", *map(str, many_runs), "--plot", str(png), "--overwrite", "--json",
               "--n-resamples", "200").output
    )  # fmt: skip
    assert data["plot"] == str(png)
    assert data["friedman"]["p_value"] == pytest.approx(1 / 6**4, abs=1e-6)
    assert data["blocks"]["n_blocks"] == 5


def test_cli_plot_needs_three_runs(many_runs: list[Path], tmp_path: Path) -> None:
    result = invoke("compare", str(many_runs[0]), str(many_runs[1]), "--plot", str(tmp_path))
    assert result.exit_code == 2
    assert "three or more runs" in result.output


def test_few_data_sets_give_no_friedman_p_value(tmp_path: Path, core_registry: Registry) -> None:
    runs = make_runs(tmp_path, core_registry, n_datasets=2)
    result = invoke("compare", *map(str, runs), "--plot", str(tmp_path / "cd.png"))
    assert result.exit_code == 0, result.output
    assert "Friedman test: not run (2 block(s) of 3 models: even identical rankings" in (
        result.output
    )
    assert "Post-hoc: not run (the Friedman test could not be run" in result.output
    assert (tmp_path / "cd.png").read_bytes()[:4] == b"\x89PNG"


def test_subprocess_three_models(many_runs: list[Path], tmp_path: Path) -> None:
    png = tmp_path / "cd.png"
    proc = subprocess.run(
        [sys.executable, "-m", "fmbench", "compare", *map(str, many_runs), "--plot", str(png),
         "--n-resamples", "200"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "Friedman test: chi2 = 10" in proc.stdout
    assert "Post-hoc: Nemenyi" in proc.stdout
    assert png.read_bytes()[:4] == b"\x89PNG"


# --- three real runs on one benchmark ----------------------------------------------------

PLANTED = '''
import numpy as np

class RandomFeatures:
    """Embeddings unrelated to the input: a planted worse model."""
    def embed(self, X):
        rng = np.random.default_rng(abs(hash(np.asarray(X).tobytes())) % 2**32)
        return rng.normal(size=(len(X), 8))

class NoisyFeatures:
    """The raw features with noise added: a model between the two."""
    def embed(self, X):
        X = np.asarray(X, dtype=float).reshape(len(X), -1)
        rng = np.random.default_rng(0)
        return X + rng.normal(scale=2.0, size=X.shape)
'''


def test_three_real_runs_on_one_benchmark(
    tmp_path: Path, toy_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "compare_many_models.py").write_text(PLANTED)  # a name no other test imports
    configs = {"raw": RAW}
    for name, cls in (("random", "RandomFeatures"), ("noisy", "NoisyFeatures")):
        configs[name] = tmp_path / f"{name}.yaml"
        configs[name].write_text(
            f"model_id: {name}\ntype: python_class\nimport_path: 'compare_many_models:{cls}'\n"
        )
    monkeypatch.chdir(tmp_path)
    for name, config in configs.items():
        result = invoke(
            "run", "--suite", "SUITE-TOY-PROBE", "--model", str(config), "--out",
            str(tmp_path / name), "--data-root", str(toy_root), "--no-progress",
            "--n-resamples", "100",
        )  # fmt: skip
        assert result.exit_code == 0, result.output
    result = invoke("compare", *(str(tmp_path / n) for n in configs), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["friedman"]["p_value"] is None
    assert "1 block(s) of 3 models" in data["friedman"]["reason"]
    assert data["posthoc"]["pairs"] == []
    pairwise = data["pairwise"]["comparisons"]
    assert len(pairwise) == 3 and all(e["split"] == "same" for e in pairwise)
    worse = next(
        e for e in pairwise if e["run_b"] == "random" and e["run_a"] == "raw_features_baseline"
    )
    assert worse["difference"] < -0.2 and worse["p_holm"] <= 3 * worse["p_value"] + 1e-9
