"""Each benchmark end to end on its toy data with its baseline, which must beat chance."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from fmbench.models.config import ModelConfig
from fmbench.models.handle import load_model
from fmbench.plugin_system.registry import Registry
from fmbench.plugin_system.specs import BenchmarkSpec, MetricSpec
from fmbench.running.suite_run import RunOptions, evaluate_benchmark


def run(
    registry: Registry,
    benchmark: str,
    adapter: str,
    root: Path | None,
    protocol: str | None = None,
    **settings: Any,
) -> dict[str, Any]:
    model = load_model(
        registry, ModelConfig(model_id="baseline", type=adapter, settings=settings, source="<test>")
    )
    options = RunOptions(data_root=str(root) if root else None, protocol=protocol, progress=False)
    outcome = evaluate_benchmark(registry, registry.get(BenchmarkSpec, benchmark), model, options)
    assert outcome.ok, outcome.record
    assert model.baseline
    return outcome.record


def test_bm002_celltype_baseline_beats_chance_and_is_stratified(registry, toy_root) -> None:  # type: ignore[no-untyped-def]
    record = run(registry, "BM-002", "genomics_expression_baseline", toy_root)
    assert record["primary_metric"]["name"] == "F1-Score"
    assert record["metrics"]["F1-Score"] > record["chance"]["F1-Score"] + 0.4
    strata = record["stratified"]
    assert set(strata) == {"cell_type_rarity", "library_size", "batch"}
    assert "rare" in strata["cell_type_rarity"]
    assert "1000-2000" in strata["library_size"]


def test_bm002_pca_logreg_fitted_in_training_folds(registry, toy_root) -> None:  # type: ignore[no-untyped-def]
    record = run(registry, "BM-002", "genomics_expression_baseline", toy_root, "fit_predict")
    assert record["protocol"] == "fit_predict"
    assert record["split"]["n_folds"] == 5
    assert record["metrics"]["F1-Score"] > record["chance"]["F1-Score"] + 0.4


def test_embedding_label_conservation_beats_chance(registry, toy_root) -> None:  # type: ignore[no-untyped-def]
    record = run(registry, "BM-SC-EMBED-LABELS", "genomics_expression_baseline", toy_root)
    assert record["metrics"]["ARI"] > 0.05
    assert record["metrics"]["NMI"] > record["chance"]["NMI"] + 0.1
    assert -1 <= record["metrics"]["SilhouetteLabel"] <= 1
    assert set(record["stratified"]["batch"]) == {"batch1", "batch2", "batch3"}
    # metrics that compare cells with each other: half-samples, never duplicated cells
    methods = record["interval_method"]["methods"]
    assert methods["ARI"] == methods["SilhouetteLabel"] == "half-sampling"
    assert methods["NMI"] == "percentile bootstrap"
    for name in ("ARI", "SilhouetteLabel"):
        lo, hi = record["intervals"][name]
        assert lo < record["metrics"][name] < hi


def test_silhouette_and_ari_intervals_are_not_biased_by_duplicated_cells(registry) -> None:  # type: ignore[no-untyped-def]
    """Issue #19 (10): bootstrap resamples repeat cells, which pushes a silhouette up (point
    -0.0019, bootstrap mean +0.0048 in the audit); half-samples hold no repeated cell."""
    from fmbench.evaluation.protocols import Predictions
    from fmbench.statistics.bootstrap import bootstrap_distribution
    from fmbench.statistics.metric_intervals import metric_intervals
    from fmbench.statistics.subsampling import half_sample_weights

    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(3), 100)
    embeddings = rng.normal(size=(300, 4))  # no structure: silhouette near 0
    pred = Predictions(indices=np.arange(300), y_true=labels, fold=np.zeros(300, int),
                       values=embeddings, labels=rng.permutation(labels))  # fmt: skip
    specs = {n: registry.get(MetricSpec, n) for n in ("SilhouetteLabel", "ARI")}
    from fmbench.evaluation.scoring import score_one

    boot = bootstrap_distribution(specs, pred, seed=1, n_resamples=60)
    for name, bias in (("SilhouetteLabel", 0.001), ("ARI", 0.005)):
        point = score_one(specs[name], pred)
        assert np.mean(boot[name]) - point > bias, name  # the bias of duplicated cells
    res = metric_intervals(specs, pred, seed=1, n_resamples=60)
    for name, spec in specs.items():
        point = score_one(spec, pred)
        lo, hi = res[name].interval
        assert res[name].method == "half-sampling"
        assert lo < point < hi
        assert abs((lo + hi) / 2 - point) < 0.25 * (hi - lo)  # about centred on the point
    W = next(half_sample_weights(300, 5, 1))
    assert W.max() == 1.0 and np.all(W.sum(axis=1) == 150)


def test_embedding_batch_mixing_is_measured(registry, toy_root) -> None:  # type: ignore[no-untyped-def]
    record = run(registry, "BM-SC-EMBED-BATCH", "genomics_expression_baseline", toy_root)
    assert 0.0 < record["metrics"]["BatchASW"] < 1.0
    assert record["chance"]["BatchASW"] is None  # a random embedding mixes perfectly
    assert "Megakaryocyte" in record["stratified"]["cell_type"]


def test_batch_asw_tells_mixed_from_separated() -> None:
    from fmbench_genomics.metrics import batch_asw

    rng = np.random.default_rng(0)
    batch = np.repeat([0, 1, 2], 50)
    separated = np.eye(3)[batch] * 10 + rng.normal(0, 0.1, (150, 3))
    mixed = rng.normal(0, 1, (150, 3))
    assert batch_asw(batch, separated) < 0.1 < 0.9 < batch_asw(batch, mixed)


@pytest.mark.parametrize("benchmark", ["BM-DNA-PROMOTER", "BM-DNA-ENHANCER"])
def test_dna_kmer_baseline_beats_chance(registry, toy_root, benchmark) -> None:  # type: ignore[no-untyped-def]
    record = run(registry, benchmark, "genomics_kmer_baseline", toy_root, k=4)
    assert record["split"]["method"] == "predefined"
    assert record["data"]["n_test"] == 200
    assert record["data"]["min_length"] < record["data"]["max_length"]
    assert record["metrics"]["AUROC"] > 0.7
    assert record["metrics"]["F1-Score"] > record["chance"]["F1-Score"] + 0.2


def test_variant_genotype_baseline_beats_chance(registry, toy_root) -> None:  # type: ignore[no-untyped-def]
    record = run(registry, "BM-VARIANT-POPULATION", "genomics_genotype_baseline", toy_root)
    assert record["metrics"]["F1-Score"] > record["chance"]["F1-Score"] + 0.3
    assert record["metrics"]["AUROC"] > 0.75


def test_real_pbmc_pca_baseline_reaches_macro_f1_well_above_chance(  # type: ignore[no-untyped-def]
    registry, real_h5ad, monkeypatch
) -> None:
    monkeypatch.setenv("FMBENCH_REAL_DATA", str(real_h5ad.parent))
    record = run(
        registry, "BM-PBMC68K-CELLTYPE", "genomics_expression_baseline", None, "fit_predict"
    )
    assert record["data"]["sparse"] is True
    assert record["data"]["n_samples"] == 700
    # figure recorded in fmbench-genomics/README.md and docs/performance.md (0.656, chance 0.051)
    f1, chance = record["metrics"]["F1-Score"], record["chance"]["F1-Score"]
    assert f1 > 0.5
    assert f1 > 8 * chance
    assert "rare" in record["stratified"]["cell_type_rarity"]


def test_real_pbmc_missing_file_says_where_to_put_it(registry, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from fmbench.data.locate import load_dataset
    from fmbench.errors import DataError

    monkeypatch.setenv("FMBENCH_REAL_DATA", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataError, match=r"10x_pbmc68k_reduced\.h5ad not found"):
        load_dataset(registry, "DS-PBMC68K-REDUCED")
