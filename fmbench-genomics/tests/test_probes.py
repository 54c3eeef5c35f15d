"""Every probe: identity at level 0, input untouched, shape kept, expected amount changed."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from fmbench_genomics import plugin
from fmbench_genomics.probes_dna import indels, reverse_complement, snp_noise
from fmbench_genomics.probes_expression import (
    batch_shift,
    expression_noise,
    gene_dropout,
    library_downsampling,
)
from fmbench_genomics.sequences import reverse_complement as revcomp

from fmbench.errors import DataError

EXPRESSION_PROBES = [gene_dropout, library_downsampling, expression_noise, batch_shift]
DNA_PROBES = [snp_noise, reverse_complement, indels]


def counts(seed: int = 0, shape: tuple[int, int] = (200, 300)) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.negative_binomial(2, 0.3, size=shape).astype(np.int32)


def sequences(n: int = 50, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    items = ["".join(rng.choice(list("ACGT"), size=int(rng.integers(50, 400)))) for _ in range(n)]
    out = np.empty(n, dtype=object)
    out[:] = items
    return out


def test_every_registered_probe_is_tested_here() -> None:
    names = {p.name for p in plugin.fmbench_probes()}
    assert names == {f.__name__ for f in EXPRESSION_PROBES + DNA_PROBES}
    assert not names & {"noise", "masking", "dropout"}  # the core's names stay the core's
    for spec in plugin.fmbench_probes():
        assert spec.levels[0] == 0.0


@pytest.mark.parametrize("probe", EXPRESSION_PROBES)
@pytest.mark.parametrize("sparse", [False, True])
def test_expression_probe_contract(probe: Any, sparse: bool) -> None:
    dense = counts()
    x = sp.csr_matrix(dense) if sparse else dense
    before = dense.copy()
    same = probe(x, 0.0, np.random.default_rng(1), {})
    assert same is not x
    changed = probe(x, 0.5, np.random.default_rng(1), {})
    for out in (same, changed):
        assert out.shape == x.shape
        assert out.dtype == x.dtype
        assert sp.issparse(out) == sparse
    as_dense = (lambda a: a.toarray()) if sparse else (lambda a: a)
    np.testing.assert_array_equal(as_dense(same), before)
    np.testing.assert_array_equal(as_dense(x), before)  # input untouched
    assert not np.array_equal(as_dense(changed), before)
    assert np.all(as_dense(changed)[before == 0] == 0)  # no probe invents expression


@pytest.mark.parametrize("probe", EXPRESSION_PROBES)
def test_expression_probes_are_deterministic_per_rng(probe: Any) -> None:
    x = counts()
    a = probe(x, 0.3, np.random.default_rng(7), {})
    b = probe(x, 0.3, np.random.default_rng(7), {})
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("level", [0.1, 0.3, 0.7])
def test_gene_dropout_zeroes_the_expected_fraction_of_nonzeros(level: float) -> None:
    x = counts()
    out = gene_dropout(x, level, np.random.default_rng(0), {})
    nonzero = x > 0
    fraction = np.mean(out[nonzero] == 0)
    assert abs(fraction - level) < 0.02
    np.testing.assert_array_equal(out[nonzero & (out > 0)], x[nonzero & (out > 0)])


@pytest.mark.parametrize("level", [0.25, 0.5, 0.9])
def test_library_downsampling_removes_the_expected_fraction_of_reads(level: float) -> None:
    x = counts()
    out = library_downsampling(x, level, np.random.default_rng(0), {})
    assert out.dtype == x.dtype
    assert np.all(out <= x)
    assert np.all(out >= 0)
    assert abs(1 - out.sum() / x.sum() - level) < 0.01


def test_library_downsampling_keeps_float_whole_counts_whole() -> None:
    x = counts().astype(np.float32)
    out = library_downsampling(x, 0.5, np.random.default_rng(0), {})
    assert out.dtype == np.float32
    assert np.all(out == np.round(out))


def test_library_downsampling_refuses_normalised_values() -> None:
    x = np.log1p(counts().astype(float))
    with pytest.raises(DataError, match="needs raw integer counts"):
        library_downsampling(x, 0.5, np.random.default_rng(0), {})


def test_expression_noise_scale_matches_level() -> None:
    x = counts().astype(np.float64) + 1.0
    out = expression_noise(x, 0.2, np.random.default_rng(0), {})
    assert abs(np.std(np.log(out / x)) - 0.2) < 0.01
    integer = expression_noise(counts(), 0.2, np.random.default_rng(0), {})
    assert integer.dtype == np.int32


def test_batch_shift_is_one_factor_per_gene_for_every_cell_and_batch() -> None:
    x = counts().astype(np.float64) + 1.0
    first = batch_shift(x[:50], 0.5, np.random.default_rng(1), {})
    second = batch_shift(x[50:], 0.5, np.random.default_rng(2), {})
    ratio = np.vstack([first, second]) / x
    np.testing.assert_allclose(ratio, np.broadcast_to(ratio[0], ratio.shape))
    assert abs(np.std(np.log(ratio[0])) - 0.5) < 0.1
    other_seed = batch_shift(x[:50], 0.5, np.random.default_rng(1), {"seed": 3})
    assert not np.allclose(other_seed, first)


@pytest.mark.parametrize("probe", DNA_PROBES)
@pytest.mark.parametrize("as_list", [False, True])
def test_dna_probe_contract(probe: Any, as_list: bool) -> None:
    seqs = sequences()
    x = list(seqs) if as_list else seqs
    before = list(seqs)
    same = probe(x, 0.0, np.random.default_rng(0), {})
    changed = probe(x, 0.5, np.random.default_rng(0), {})
    for out in (same, changed):
        assert isinstance(out, np.ndarray)
        assert out.dtype == object
        assert len(out) == len(seqs)
        assert out is not x
    assert list(same) == before
    assert list(x) == before
    assert list(changed) != before


@pytest.mark.parametrize("level", [0.01, 0.05, 0.2])
def test_snp_noise_substitutes_the_expected_fraction_of_bases(level: float) -> None:
    seqs = sequences(200)
    out = snp_noise(seqs, level, np.random.default_rng(0), {})
    diff = sum(
        sum(a != b for a, b in zip(s, o, strict=True)) for s, o in zip(seqs, out, strict=True)
    )
    total = sum(len(s) for s in seqs)
    assert abs(diff / total - level) < 0.15 * level + 0.002
    assert all(set(o) <= set("ACGT") for o in out)


def test_snp_noise_leaves_n_alone() -> None:
    out = snp_noise(["NNNNNNNNNN"], 1.0, np.random.default_rng(0), {})
    assert out[0] == "NNNNNNNNNN"


@pytest.mark.parametrize("level", [0.25, 0.5, 1.0])
def test_reverse_complement_flips_the_expected_fraction(level: float) -> None:
    seqs = sequences(400)
    out = reverse_complement(seqs, level, np.random.default_rng(0), {})
    flipped = np.mean([o == revcomp(s) and o != s for s, o in zip(seqs, out, strict=True)])
    untouched = all(o in {s, revcomp(s)} for s, o in zip(seqs, out, strict=True))
    assert untouched
    assert abs(flipped - level) < 0.06


@pytest.mark.parametrize("level", [0.02, 0.1])
def test_indels_change_lengths_at_the_expected_rate(level: float) -> None:
    seqs = sequences(200)
    out = indels(seqs, level, np.random.default_rng(0), {})
    total = sum(len(s) for s in seqs)
    # insertions and deletions each happen at rate level/2, so lengths stay the same on average
    assert abs(sum(len(o) for o in out) - total) / total < 0.02
    assert np.mean([o != s for s, o in zip(seqs, out, strict=True)]) > 0.9
