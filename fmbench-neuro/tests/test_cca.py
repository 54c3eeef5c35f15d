"""The CCA recipe: finds planted embedding-phenotype coupling, not coupling that is absent."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fmbench_neuro.analysis.cca import (
    canonical_correlations,
    cca_permutation_test,
    embedding_phenotype_cca,
    encode_covariates,
)

from fmbench.errors import DataError

from .conftest import CONFIGS


def test_planted_coupling_is_significant() -> None:
    rng = np.random.default_rng(0)
    n = 300
    age = rng.normal(60, 10, n)
    emb = rng.standard_normal((n, 40))
    emb[:, 3] += (age - 60) / 10  # one embedding dimension tracks age
    cov, names = encode_covariates(
        {"age": age, "site": rng.choice(["A", "B", "C"], n).astype(object)}, ["age", "site"]
    )
    assert names == ["age", "site=B", "site=C"]
    result = cca_permutation_test(emb, cov, covariate_names=names, n_permutations=200, seed=1)
    assert result.correlations[0] > 0.6
    assert result.p_values[0] < 0.01
    assert abs(result.covariate_loadings[0][0]) > 0.9  # the first variate is age
    assert "CC1" in result.summary()


def test_no_coupling_is_rarely_significant() -> None:
    # under the null the first component's p-value is uniform: about 5 % fall below 0.05
    rng = np.random.default_rng(1)
    p_first = [
        cca_permutation_test(rng.standard_normal((120, 30)), rng.standard_normal((120, 3)),
                             n_permutations=49, seed=s).p_values[0]
        for s in range(20)
    ]  # fmt: skip
    assert np.mean(np.array(p_first) < 0.05) <= 0.2
    assert np.median(p_first) > 0.2


def test_same_seed_same_p_values() -> None:
    rng = np.random.default_rng(2)
    emb, cov = rng.standard_normal((60, 8)), rng.standard_normal((60, 2))
    a = cca_permutation_test(emb, cov, n_permutations=50, seed=3, groups=["g1", "g2"] * 30)
    b = cca_permutation_test(emb, cov, n_permutations=50, seed=3, groups=["g1", "g2"] * 30)
    assert a == b


def test_canonical_correlations_of_identical_data() -> None:
    x = np.random.default_rng(4).standard_normal((40, 3))
    np.testing.assert_allclose(canonical_correlations(x, x), 1.0, atol=1e-9)


def test_bad_input_errors() -> None:
    with pytest.raises(DataError, match="same n"):
        cca_permutation_test(np.zeros((20, 3)), np.zeros((19, 2)))
    with pytest.raises(DataError, match="'ethnicity' is not in the metadata"):
        encode_covariates({"age": np.arange(5.0)}, ["ethnicity"])


def test_recipe_on_the_toy_fmri(registry, toy_root: Path) -> None:
    result = embedding_phenotype_cca(
        registry, CONFIGS / "fmri_connectivity.yaml", "DS-NEURO-FMRI-CONNECTIVITY",
        ["diagnosis", "age", "sex"], data_root=str(toy_root), n_permutations=100, group_by="site",
    )  # fmt: skip
    assert result.p_values[0] < 0.05  # diagnosis shapes connectivity in the generator
    top = max(range(len(result.covariates)), key=lambda i: abs(result.covariate_loadings[0][i]))
    assert result.covariates[top].startswith("diagnosis")
