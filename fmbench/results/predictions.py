"""Per-sample predictions kept locally (``predictions.npz``), for comparisons between runs.

The file holds, per benchmark, the arrays ``<benchmark>/indices``, ``y_true``, ``fold``,
``units`` (the bootstrap unit of each sample, when there is one) and whichever of ``proba``,
``labels``, ``values`` the protocol produced. It is written atomically, read with
``allow_pickle=False``, and never part of what gets submitted. Each benchmark's content hash
(``predictions_sha256`` in ``eval.yaml``) covers its arrays' dtypes, shapes and bytes, so it is
the same for the same predictions whatever the zip container's timestamps.

Example:
    >>> import numpy as np, tempfile, pathlib
    >>> from fmbench.evaluation.protocols import Predictions
    >>> p = Predictions(indices=np.arange(3), y_true=np.array([0, 1, 0]),
    ...                 fold=np.zeros(3, int), labels=np.array([0, 1, 1]))
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> hashes = save_predictions(folder / "predictions.npz", {"BM-X": (p, None)})
    >>> stored = load_predictions(folder / "predictions.npz")
    >>> stored["BM-X"].predictions.labels.tolist()
    [0, 1, 1]
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from fmbench.errors import ResultsError
from fmbench.evaluation.protocols import Predictions
from fmbench.io import atomic_write_bytes

__all__ = [
    "PREDICTIONS_FILE",
    "StoredPredictions",
    "load_predictions",
    "prediction_arrays",
    "predictions_from_arrays",
    "save_predictions",
    "store_run_predictions",
]

PREDICTIONS_FILE = "predictions.npz"
_FIELDS = ("indices", "y_true", "fold", "proba", "labels", "values", "units")


@attrs.define(kw_only=True, eq=False)
class StoredPredictions:
    """One benchmark's predictions read back, with its bootstrap units (or None)."""

    predictions: Predictions
    units: np.ndarray | None
    sha256: str


def _arrays(predictions: Predictions, units: np.ndarray | None) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for field in _FIELDS:
        value = units if field == "units" else getattr(predictions, field)
        if value is None:
            continue
        array = np.asarray(value)
        if array.dtype == object:
            array = array.astype(str)
        out[field] = np.ascontiguousarray(array)
    return out


def prediction_arrays(predictions: Predictions, units: np.ndarray | None) -> dict[str, np.ndarray]:
    """Predictions (and bootstrap units) as named plain arrays (no objects, no pickles)."""
    return _arrays(predictions, units)


def predictions_from_arrays(
    arrays: Mapping[str, np.ndarray],
) -> tuple[Predictions, np.ndarray | None]:
    """The inverse of :func:`prediction_arrays`."""
    predictions = Predictions(
        indices=arrays["indices"],
        y_true=arrays["y_true"],
        fold=arrays["fold"],
        proba=arrays.get("proba"),
        labels=arrays.get("labels"),
        values=arrays.get("values"),
    )
    return predictions, arrays.get("units")


def content_sha256(arrays: Mapping[str, np.ndarray]) -> str:
    """A hash of named arrays: names, dtypes, shapes and bytes, in name order."""
    digest = hashlib.sha256()
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}|{array.dtype.str}|{array.shape}|".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def save_predictions(
    path: Path, per_benchmark: Mapping[str, tuple[Predictions, np.ndarray | None]]
) -> dict[str, str]:
    """Write every benchmark's predictions into one ``.npz`` atomically; their hashes."""
    everything: dict[str, np.ndarray] = {}
    hashes: dict[str, str] = {}
    for benchmark_id, (predictions, units) in per_benchmark.items():
        arrays = _arrays(predictions, units)
        hashes[benchmark_id] = content_sha256(arrays)
        for field, array in arrays.items():
            everything[f"{benchmark_id}/{field}"] = array
    buffer = io.BytesIO()
    # written by hand rather than np.savez: fixed timestamps make the file reproducible, and
    # allow_pickle=False is enforced for every array whatever the numpy version
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(everything):
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, "w") as handle:
                np.lib.format.write_array(handle, everything[name], allow_pickle=False)
    atomic_write_bytes(path, buffer.getvalue())
    return hashes


def load_predictions(path: Path | str) -> dict[str, StoredPredictions]:
    """Read a ``predictions.npz`` (no pickles): benchmark id -> stored predictions."""
    path = Path(path)
    if not path.is_file():
        raise ResultsError(
            f"{path} not found: per-sample predictions are written by `fmbench run` next to "
            "eval.yaml (runs from before they were kept cannot be compared)"
        )
    grouped: dict[str, dict[str, np.ndarray]] = {}
    try:
        with np.load(path, allow_pickle=False) as data:
            for key in data.files:
                benchmark_id, _, field = key.rpartition("/")
                grouped.setdefault(benchmark_id, {})[field] = data[key]
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise ResultsError(f"{path} is not a readable predictions file: {exc}") from None
    out: dict[str, StoredPredictions] = {}
    for benchmark_id, arrays in grouped.items():
        missing = [f for f in ("indices", "y_true", "fold") if f not in arrays]
        if missing:
            raise ResultsError(f"{path}: benchmark {benchmark_id} lacks {', '.join(missing)}")
        predictions, units = predictions_from_arrays(arrays)
        out[benchmark_id] = StoredPredictions(
            predictions=predictions, units=units, sha256=content_sha256(arrays)
        )
    return out


def store_run_predictions(outcomes: Sequence[Any], out_dir: Path) -> Path | None:
    """Save the completed benchmarks' predictions into ``out_dir/predictions.npz`` and put
    each one's hash into its record (``predictions_sha256``)."""
    kept = {
        o.benchmark.name: (o.predictions, o.units)
        for o in outcomes
        if o.ok and o.predictions is not None
    }
    if not kept:
        return None
    path = Path(out_dir) / PREDICTIONS_FILE
    hashes = save_predictions(path, kept)
    for outcome in outcomes:
        if outcome.benchmark.name in hashes:
            outcome.record["predictions_sha256"] = hashes[outcome.benchmark.name]
    return path
