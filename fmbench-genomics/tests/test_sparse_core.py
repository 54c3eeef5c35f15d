"""The core's Dataset and ModelHandle with scipy.sparse matrices (added for h5ad input)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from fmbench.data.dataset import Dataset, dataset_sha256, describe_shape, is_sparse, n_rows
from fmbench.models.config import ModelConfig
from fmbench.models.handle import ModelHandle


def sparse_dataset(value: float = 1.0) -> Dataset:
    X = sp.random(20, 8, density=0.3, format="csr", random_state=0)
    X.data[:] = value
    return Dataset(dataset_id="d", X=X, y=np.arange(20) % 2)


def test_sparse_dataset_rows_batches_and_shape() -> None:
    ds = sparse_dataset()
    assert ds.n_samples == 20
    assert n_rows(ds.X) == 20
    assert not ds.is_sequence
    batch = ds.take(np.array([3, 1, 2]))
    assert is_sparse(batch)
    assert batch.shape == (3, 8)
    np.testing.assert_array_equal(batch.toarray(), ds.X.toarray()[[3, 1, 2]])
    sizes = [b.shape[0] for _, b in ds.batches(np.arange(20), 7)]
    assert sizes == [7, 7, 6]
    assert describe_shape(ds) == {"n_samples": 20, "shape": [8], "dtype": "float64", "sparse": True}


def test_sparse_content_hash_is_stable_and_sensitive() -> None:
    assert dataset_sha256(sparse_dataset()) == dataset_sha256(sparse_dataset())
    assert dataset_sha256(sparse_dataset()) != dataset_sha256(sparse_dataset(2.0))


class _Embedder:
    def embed(self, X: object) -> np.ndarray:
        return np.asarray(X.sum(axis=1))  # type: ignore[attr-defined]


def test_model_handle_counts_sparse_batches() -> None:
    handle = ModelHandle(model=_Embedder(), config=ModelConfig(model_id="m", type="t"))
    out = handle.embed(sparse_dataset().X[:5])
    assert out.shape == (5, 1)
    assert handle.samples["embed"] == 5
