"""The embedding cache: any change to what determines embeddings misses; a hit skips the model."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from fmbench.data.dataset import Dataset
from fmbench.evaluation.protocols import EvalContext
from fmbench.evaluation.splits import Fold
from fmbench.models import embedding_cache as cache_module
from fmbench.models.config import ModelConfig
from fmbench.models.embedding_cache import EmbeddingCache, default_cache_dir, open_cache
from fmbench.models.handle import ModelHandle
from fmbench.plugin_system.registry import build_registry
from fmbench.plugin_system.specs import BenchmarkSpec, MetricsDeclaration

COMMIT = "0123456789abcdef0123456789abcdef01234567"


class Encoder:
    """A stand-in frozen encoder that says what its weights are."""

    def __init__(self, **describe: Any) -> None:
        self.facts = {"weights_sha256": "w" * 64, "device": "cpu", "dtype": "float32", **describe}

    def embed(self, X: np.ndarray) -> np.ndarray:
        return np.tanh(np.asarray(X, dtype=float)[:, :4] * 0.5)

    def describe(self) -> dict[str, Any]:
        return {k: v for k, v in self.facts.items() if v is not None}


def _dataset(X: np.ndarray | None = None, **info: Any) -> Dataset:
    X = np.arange(40, dtype=float).reshape(10, 4) if X is None else X
    return Dataset(
        dataset_id="DS-CACHE",
        X=X,
        y=np.array([0, 1] * (len(X) // 2)),
        info={"n_classes": 2, **info},
    )


def _handle(model: Any, **settings: Any) -> ModelHandle:
    config = ModelConfig(
        model_id="enc", type="torch_module", settings={"weights": "w.pt", **settings}
    )
    return ModelHandle(model=model, config=config)


def _context(
    handle: ModelHandle, dataset: Dataset, cache: EmbeddingCache | None, **options: Any
) -> EvalContext:
    benchmark = BenchmarkSpec(
        name="BM-CACHE",
        summary="cache test",
        task="classification",
        dataset="DS-CACHE",
        metrics=MetricsDeclaration(primary="AUROC"),
        protocol="linear_probe",
        dataset_options=options,
    )
    everything = np.arange(dataset.n_samples)
    return EvalContext(
        benchmark=benchmark,
        dataset=dataset,
        model=handle,
        folds=[Fold(train=everything, test=everything)],
        seed=0,
        batch_size=4,
        cache=cache,
    )


@pytest.fixture
def cache(tmp_path: Path) -> EmbeddingCache:
    return EmbeddingCache(root=tmp_path / "cache", versions={"fmbench.builtin": "0.1.0"})


def test_a_hit_returns_identical_arrays_without_calling_the_model(cache: EmbeddingCache) -> None:
    first = _context(_handle(Encoder()), _dataset(), cache)
    computed = first.embeddings()
    assert first.cache_status is not None
    assert first.cache_status["status"] == "miss"
    assert first.model.calls == {"embed": 3}  # 10 samples in batches of 4
    second_handle = _handle(Encoder())
    second = _context(second_handle, _dataset(), cache)
    cached = second.embeddings()
    assert second.cache_status is not None
    assert second.cache_status["status"] == "hit"
    assert second_handle.calls == {}
    assert cached.dtype == computed.dtype
    assert np.array_equal(cached, computed)
    assert second.phases.get("embed") is None
    assert "embed_cache" in second.phases


# Each variant changes exactly one part of what determines the embeddings.
VARIANTS: dict[str, Callable[[], tuple[ModelHandle, Dataset, dict[str, Any]]]] = {
    "adapter settings": lambda: (_handle(Encoder(), pooling="cls"), _dataset(), {}),
    "weights hash": lambda: (_handle(Encoder(weights_sha256="v" * 64)), _dataset(), {}),
    "pinned revision": lambda: (_handle(Encoder(resolved_revision=COMMIT)), _dataset(), {}),
    "model code": lambda: (_handle(Encoder(code_sha256="c" * 64)), _dataset(), {}),
    "model config": lambda: (_handle(Encoder(model_config_sha256="m" * 64)), _dataset(), {}),
    "device": lambda: (_handle(Encoder(device="cuda:0")), _dataset(), {}),
    "dtype": lambda: (_handle(Encoder(dtype="bfloat16")), _dataset(), {}),
    "dataset content": lambda: (
        _handle(Encoder()),
        _dataset(np.arange(40, dtype=float).reshape(10, 4) + np.eye(10, 4)),
        {},
    ),
    "dataset info": lambda: (_handle(Encoder()), _dataset(sampling_freq=256), {}),
    "dataset options": lambda: (_handle(Encoder()), _dataset(), {"bandpass": [1, 40]}),
}


@pytest.mark.parametrize("part", sorted(VARIANTS))
def test_changing_any_one_part_of_the_key_misses(cache: EmbeddingCache, part: str) -> None:
    _context(_handle(Encoder()), _dataset(), cache).embeddings()
    handle, dataset, options = VARIANTS[part]()
    ctx = _context(handle, dataset, cache, **options)
    ctx.embeddings()
    assert ctx.cache_status is not None, part
    assert ctx.cache_status["status"] == "miss", part
    assert handle.calls.get("embed", 0) > 0


def test_versions_and_indices_are_part_of_the_key(
    cache: EmbeddingCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    handle, dataset = _handle(Encoder()), _dataset()
    everything = np.arange(10)
    base, _ = cache.key_parts(handle, dataset, everything, {})
    assert base is not None
    fewer, _ = cache.key_parts(handle, dataset, everything[:-1], {})
    reordered, _ = cache.key_parts(handle, dataset, everything[::-1], {})
    other_plugins = EmbeddingCache(root=cache.root, versions={"fmbench.builtin": "0.2.0"})
    plugins, _ = other_plugins.key_parts(handle, dataset, everything, {})
    monkeypatch.setattr(cache_module, "__version__", "9.9.9")
    newer, _ = cache.key_parts(handle, dataset, everything, {})
    keys = {cache.key(p) for p in (base, fewer, reordered, plugins, newer) if p is not None}
    assert len(keys) == 5


def test_models_that_do_not_state_their_weights_are_not_cached(cache: EmbeddingCache) -> None:
    class Anonymous:
        def embed(self, X: np.ndarray) -> np.ndarray:
            return np.asarray(X, dtype=float)

    for model in (Anonymous(), Encoder(weights_sha256=None, revision="main")):
        handle = _handle(model)
        ctx = _context(handle, _dataset(), cache)
        ctx.embeddings()
        assert ctx.cache_status is not None
        assert ctx.cache_status["status"] == "off"
        assert "weights_sha256" in ctx.cache_status["reason"]
    assert not cache.root.exists()
    pinned = _context(_handle(Encoder(weights_sha256=None, revision=COMMIT)), _dataset(), cache)
    pinned.embeddings()
    assert pinned.cache_status is not None
    assert pinned.cache_status["status"] == "miss"


def test_damaged_entries_are_recomputed(cache: EmbeddingCache) -> None:
    first = _context(_handle(Encoder()), _dataset(), cache)
    expected = first.embeddings()
    (entry,) = cache.root.rglob("*.npy")
    np.save(entry, np.zeros((10, 4)))  # same shape, wrong content: the sidecar hash catches it
    again = _context(_handle(Encoder()), _dataset(), cache)
    np.testing.assert_array_equal(again.embeddings(), expected)
    assert again.cache_status is not None
    assert again.cache_status["status"] == "miss"
    entry.write_bytes(b"garbage")
    third = _context(_handle(Encoder()), _dataset(), cache)
    np.testing.assert_array_equal(third.embeddings(), expected)


def test_an_unwritable_cache_does_not_fail_the_run(tmp_path: Path) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    broken = EmbeddingCache(root=blocker, versions={})
    ctx = _context(_handle(Encoder()), _dataset(), broken)
    assert ctx.embeddings().shape == (10, 4)
    assert ctx.cache_status is not None
    assert ctx.cache_status["status"] == "miss"
    assert "write_error" in ctx.cache_status


def test_cache_folder_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FMBENCH_CACHE", str(tmp_path / "env_cache"))
    assert default_cache_dir() == tmp_path / "env_cache"
    monkeypatch.delenv("FMBENCH_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    if default_cache_dir().parent == tmp_path / "xdg":
        assert default_cache_dir() == tmp_path / "xdg" / "fmbench"
    registry = build_registry(external=False)
    assert open_cache(registry, cache_dir=None, enabled=False) is None
    opened = open_cache(registry, cache_dir=str(tmp_path / "explicit"), enabled=True)
    assert opened is not None
    assert opened.root == tmp_path / "explicit"
    assert opened.versions == registry.plugin_versions()
