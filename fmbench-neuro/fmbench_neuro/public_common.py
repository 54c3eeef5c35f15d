"""Shared parts of the prepare steps of the public EEG datasets.

- :func:`read_edf_source`: an EDF/EDF+ file (a path or the bytes of an archive member) read
  with edfio, with a one-line :class:`~fmbench.errors.DataError` naming the file if it is
  not readable.
- :func:`channel_microvolts`: one channel's samples in microvolts, by label.
- :class:`EpochWriter`: writes an array folder (``X.npy``, ``y.npy``, ``metadata.csv``,
  ``info.json``, the layout :func:`fmbench.data.dataset.load_array_folder` reads) window by window
  into a memory-mapped ``X.npy``, so that preparing a large dataset needs memory for one
  recording at a time, not for all windows.

Example:
    >>> import numpy as np, tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> writer = EpochWriter(folder, n_windows=2, window_shape=(1, 3))
    >>> writer.write(0, np.zeros((1, 3)))
    >>> writer.write(1, np.ones((1, 3)))
    >>> writer.close(y=[0, 1], metadata={"subject_id": ["a", "b"]}, info={"task": "classification"})
    >>> np.load(folder / "X.npy").tolist()
    [[[0.0, 0.0, 0.0]], [[1.0, 1.0, 1.0]]]
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from fmbench.errors import DataError
from fmbench.io import atomic_write_text
from fmbench_neuro.eeg.recording import normalise_unit

__all__ = ["MICROVOLTS_PER", "EpochWriter", "channel_microvolts", "read_edf_source"]

#: Factor from a declared physical unit to microvolts.
MICROVOLTS_PER = {"uV": 1.0, "mV": 1e3, "V": 1e6, "nV": 1e-3}


def read_edf_source(source: Path | bytes, name: str) -> Any:
    """An ``edfio.Edf`` of ``source`` (a path, or the bytes of a file inside an archive).

    Data are read lazily from a path. ``name`` is how errors refer to the file.

    Raises:
        DataError: the file is not a readable EDF/EDF+ file.
    """
    import edfio

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # edfio's notes on non-standard header fields
            return edfio.read_edf(source)
    except Exception as exc:  # edfio raises ValueError/IndexError/... on broken headers
        raise DataError(
            f"{name}: not a readable EDF file ({type(exc).__name__}: {exc}); the download "
            "may be damaged (run `fmbench datasets verify`)"
        ) from None


def channel_microvolts(edf: Any, label: str, name: str) -> tuple[np.ndarray, float]:
    """The samples of channel ``label`` of ``edf`` in microvolts, and their sampling rate.

    A channel without a declared unit is taken to be in microvolts (EDF's convention for EEG).

    Raises:
        DataError: no such channel, or a unit that is not a voltage.
    """
    matches = [s for s in edf.signals if str(s.label).strip() == label]
    if len(matches) != 1:
        found = ", ".join(str(s.label).strip() for s in edf.signals)
        problem = "no channel" if not matches else "several channels"
        raise DataError(f"{name}: {problem} labelled {label!r} (channels: {found})")
    signal = matches[0]
    unit = normalise_unit(str(signal.physical_dimension)) or "uV"
    if unit not in MICROVOLTS_PER:
        raise DataError(
            f"{name}: channel {label!r} is in {unit!r}, not a voltage (uV, mV, V expected)"
        )
    data = np.asarray(signal.data, dtype=np.float64) * MICROVOLTS_PER[unit]
    return data, float(signal.sampling_frequency)


class EpochWriter:
    """An array folder written one window at a time (``X.npy`` is memory-mapped).

    ``X.npy`` is float32 of shape ``(n_windows, *window_shape)``; :meth:`close` writes the
    labels (one per window), the metadata table and ``info.json`` (with ``n_samples``,
    ``shape``, ``dtype``).
    """

    def __init__(self, folder: Path, *, n_windows: int, window_shape: tuple[int, ...]) -> None:
        if n_windows <= 0:
            raise DataError(f"{folder}: no windows to write (nothing labelled was found)")
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.shape = (n_windows, *window_shape)
        self._X = np.lib.format.open_memmap(
            self.folder / "X.npy", mode="w+", dtype=np.float32, shape=self.shape
        )

    def write(self, index: int, window: np.ndarray) -> None:
        """Store window number ``index``."""
        self._X[index] = window

    def close(
        self,
        *,
        y: Sequence[int],
        metadata: Mapping[str, Sequence[Any]],
        info: Mapping[str, Any],
    ) -> None:
        """Flush ``X.npy``; write ``y.npy``, ``metadata.csv`` and ``info.json``."""
        from fmbench.data.toy_files import save_npy, write_csv

        self._X.flush()
        del self._X
        labels = np.asarray(y, dtype=np.int64)
        if labels.shape != self.shape[:1]:
            raise DataError(f"{self.folder}: {labels.size} labels for {self.shape[0]} windows")
        save_npy(self.folder / "y.npy", labels)
        write_csv(self.folder / "metadata.csv", metadata)
        full = {**dict(info), "n_samples": self.shape[0], "shape": list(self.shape)}
        full["dtype"] = "float32"
        text = json.dumps(full, indent=2, sort_keys=True) + "\n"
        atomic_write_text(self.folder / "info.json", text)
