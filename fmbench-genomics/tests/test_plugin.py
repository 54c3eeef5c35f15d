def test_the_plugin_passes_the_contract_check_with_its_own_baselines(tmp_path):
    import numpy as np

    from fmbench.testing import assert_valid_plugin

    # library_downsampling needs raw counts; the toy single-cell data is normalised
    counts = np.random.default_rng(0).poisson(3, size=(8, 50)).astype(np.float32)
    check = assert_valid_plugin(
        "fmbench-genomics",
        workdir=tmp_path,
        probe_inputs={"library_downsampling": (counts, {"modality": "single_cell"})},
    )
    ran = dict(zip(check.benchmarks, check.models, strict=True))
    assert ran["BM-DNA-PROMOTER"] == "genomics_kmer_baseline-baseline"
    assert ran["BM-VARIANT-POPULATION"] == "genomics_genotype_baseline-baseline"
    assert ran["BM-SC-EMBED-BATCH"] == "genomics_expression_baseline-baseline"
    # benchmarks on public or local real data (not fetched by the contract check)
    assert set(check.not_run) == {
        "BM-PBMC3K-CELLTYPE",
        "BM-PBMC68K-CELLTYPE",
        "BM-1KG-GENOTYPE-IMPUTATION",
        "BM-PBMC3K-TO-68K-CELLTYPE",
    }
    assert check.warnings == []
