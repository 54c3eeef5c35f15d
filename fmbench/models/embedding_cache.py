"""The embedding cache: frozen-encoder embeddings on disk, content-addressed.

A key is the SHA-256 of everything that determines the embeddings:

- the adapter type and a hash of the model config's settings;
- the model's identity from its ``describe()``: ``weights_sha256`` or a pinned commit
  (``resolved_revision``), plus ``code_sha256``, ``model_config_sha256``,
  ``preprocess_sha256`` (a preprocessing recipe's settings, files and code), device and dtype;
- the model's code: :func:`fmbench.models.code_hash.model_code_sha256`, the source of the model's
  module and of the local modules it imports (the same hash a resumed run compares);
- the dataset's content hash, the sample indices, the dataset options and a hash of its info;
- the fmbench version and every loaded plugin's version.

Change any one of them and the key changes, so a stale entry is never reused. A model that
does not say what its weights are (a ``python_class`` wrapper without ``describe()``) is not
cached at all, and the run says so.

Each entry is ``<key>.npy`` (written atomically, read with ``allow_pickle=False``) beside a JSON
sidecar holding the key's parts, the shape and a hash of the array, checked on every read.

Example:
    >>> import numpy as np, tempfile, pathlib
    >>> cache = EmbeddingCache(root=pathlib.Path(tempfile.mkdtemp()), versions={})
    >>> key = cache.key({"anything": "that determines the embeddings"})
    >>> cache.load(key) is None
    True
    >>> cache.store(key, np.eye(2), {"anything": "..."})
    >>> cache.load(key)
    array([[1., 0.],
           [0., 1.]])
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from fmbench._version import __version__
from fmbench.cache_folder import CACHE_ENV, default_cache_dir
from fmbench.data.toy_files import save_npy
from fmbench.hashing import json_sha256
from fmbench.io import atomic_write_text

if TYPE_CHECKING:
    from fmbench.data.dataset import Dataset
    from fmbench.models.handle import ModelHandle
    from fmbench.plugin_system.registry import Registry

__all__ = [
    "CACHE_ENV",
    "EmbeddingCache",
    "default_cache_dir",
    "model_identity",
    "open_cache",
]

#: Bumped when the layout or the key's recipe changes, so old entries are never misread.
CACHE_FORMAT = 1
#: What a model's ``describe()`` contributes to the key.
IDENTITY_KEYS = (
    "weights_sha256",
    "resolved_revision",
    "revision",
    "code_sha256",
    "preprocess_sha256",
    "model_config_sha256",
    "preprocess_sha256",
    "device",
    "dtype",
)


def model_identity(description: Mapping[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
    """The part of a model's ``describe()`` that pins its weights, or None with the reason."""
    from fmbench.adapters.runtime import is_commit

    pinned = description.get("resolved_revision") or (
        description.get("revision") if is_commit(description.get("revision")) else None
    )
    if not description.get("weights_sha256") and not pinned:
        return None, (
            "the model states no weights_sha256 or pinned commit in describe(), so its "
            "embeddings cannot be keyed safely"
        )
    return {k: description[k] for k in IDENTITY_KEYS if description.get(k) is not None}, None


@attrs.define(kw_only=True)
class EmbeddingCache:
    """A folder of cached embeddings; ``versions`` are fmbench's and the plugins'."""

    root: Path
    versions: Mapping[str, str]

    def key_parts(
        self,
        model: ModelHandle,
        dataset: Dataset,
        indices: np.ndarray,
        dataset_options: Mapping[str, Any],
    ) -> tuple[dict[str, Any] | None, str | None]:
        """Everything that determines the embeddings, or None and why they are not cached."""
        from fmbench.models.code_hash import model_code_sha256

        identity, reason = model_identity(model.describe())
        if identity is None:
            return None, reason
        return {
            "format": CACHE_FORMAT,
            "adapter": model.config.type,
            "settings_sha256": json_sha256(
                {"type": model.config.type, "settings": dict(model.config.settings)}
            ),
            "model": identity,
            "code": model_code_sha256(model),
            "dataset_sha256": dataset.content_sha256,
            "indices_sha256": hashlib.sha256(
                np.ascontiguousarray(indices, dtype=np.int64).tobytes()
            ).hexdigest(),
            "n_samples": len(indices),
            "dataset_options": json.loads(json.dumps(dict(dataset_options), default=str)),
            "dataset_info_sha256": json_sha256(dataset.info),
            "fmbench_version": __version__,
            "plugins": dict(sorted(self.versions.items())),
        }, None

    @staticmethod
    def key(parts: Mapping[str, Any]) -> str:
        """The content address of ``parts``."""
        return json_sha256(parts)

    def _paths(self, key: str) -> tuple[Path, Path]:
        folder = self.root / "embeddings" / key[:2]
        return folder / f"{key}.npy", folder / f"{key}.json"

    def load(self, key: str) -> np.ndarray | None:
        """The cached array, or None when absent or damaged (it is then recomputed)."""
        array_path, sidecar_path = self._paths(key)
        if not (array_path.is_file() and sidecar_path.is_file()):
            return None
        try:
            sidecar = json.loads(sidecar_path.read_text(encoding="utf-8"))
            array = np.load(array_path, allow_pickle=False)
        except (OSError, ValueError):
            return None
        if (
            sidecar.get("key") != key
            or list(array.shape) != sidecar.get("shape")
            or hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()
            != sidecar.get("array_sha256")
        ):
            return None
        return array

    def store(self, key: str, array: np.ndarray, parts: Mapping[str, Any]) -> None:
        """Write the array, then its sidecar (a reader needs both), each atomically."""
        array_path, sidecar_path = self._paths(key)
        save_npy(array_path, array)
        sidecar = {
            "key": key,
            "shape": list(array.shape),
            "dtype": array.dtype.str,
            "array_sha256": hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest(),
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "parts": parts,
        }
        atomic_write_text(sidecar_path, json.dumps(sidecar, indent=2, sort_keys=True, default=str))

    def fetch(
        self,
        model: ModelHandle,
        dataset: Dataset,
        indices: np.ndarray,
        dataset_options: Mapping[str, Any],
        compute: Callable[[], np.ndarray],
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """The embeddings from the cache, or from ``compute()`` (then stored); and a status."""
        parts, reason = self.key_parts(model, dataset, indices, dataset_options)
        if parts is None:
            return compute(), {"status": "off", "reason": reason}
        key = self.key(parts)
        cached = self.load(key)
        if cached is not None:
            return cached, {"status": "hit", "key": key}
        array = compute()
        try:
            self.store(key, array, parts)
        except OSError as exc:  # a full or read-only cache never fails the run
            return array, {"status": "miss", "key": key, "write_error": str(exc)}
        return array, {"status": "miss", "key": key}


def open_cache(
    registry: Registry, *, cache_dir: str | os.PathLike[str] | None, enabled: bool
) -> EmbeddingCache | None:
    """The run's cache (None when ``--no-cache``)."""
    if not enabled:
        return None
    root = Path(cache_dir).expanduser() if cache_dir else default_cache_dir()
    return EmbeddingCache(root=root, versions=registry.plugin_versions())
