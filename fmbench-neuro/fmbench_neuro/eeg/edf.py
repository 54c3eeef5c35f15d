"""EEG recordings folders: EDF/BDF (and FIF/BrainVision) files plus ``labels.csv`` -> epochs.

A folder holds ``*.edf`` and/or ``*.bdf`` files (read with ``edfio``), with the optional
``mne`` extra also ``*.fif``/``*.fif.gz`` and BrainVision ``*.vhdr`` files (read with
MNE-Python, see :mod:`fmbench_neuro.eeg.mne_io`; the reader is chosen per file by its suffix,
so formats may be mixed), and ``labels.csv`` with
the columns ``file``, ``subject``, ``label`` and any covariates. Each continuous recording is
cut into windows of ``window_s`` seconds every ``step_s`` seconds; each window is one sample
that carries its recording's label, subject and covariates. The sampling rate and channel
names go into the dataset's ``info`` (probes and models read them from there), and so does
the unit: EDF/BDF data are in the physical unit their header declares (EEG: almost always uV),
FIF/BrainVision data are converted from MNE's volts to uV; ``info["unit"]`` is the unit all
recordings share, and recordings declaring different units are an error.

Dataset options: ``window_s`` (default 2.0), ``step_s`` (default = window_s), ``channels``
(a list of channel labels to keep, in that order; default: all, identical in every file),
``labels`` (the table's file name, default ``labels.csv``).

Example::

    fmbench run --suite SUITE-NEURO-EEG-001 --model model.yaml --dataset my_recordings/
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from fmbench.data.dataset import Dataset
from fmbench.errors import DataError
from fmbench_neuro.eeg.mne_io import MNE_PATTERNS, is_mne_file, read_mne_recording
from fmbench_neuro.eeg.recording import Recording, normalise_unit
from fmbench_neuro.labels import covariate_column, encode_labels, read_labels_table

__all__ = [
    "EDF_PATTERNS",
    "EEG_PATTERNS",
    "Recording",
    "load_edf_folder",
    "read_edf_recording",
    "read_recording",
]

#: File-name patterns of the EDF/BDF recordings (read with edfio).
EDF_PATTERNS = ("*.edf", "*.EDF", "*.bdf", "*.BDF")
#: File-name patterns of every recording this folder reader understands.
EEG_PATTERNS = EDF_PATTERNS + MNE_PATTERNS


def read_recording(path: Path) -> Recording:
    """Read one recording, choosing the reader by the suffix (FIF/BrainVision need ``mne``).

    Raises:
        DataError: naming the file, what is wrong and what to do.
    """
    if is_mne_file(path):
        return read_mne_recording(path)
    return read_edf_recording(path)


def read_edf_recording(path: Path) -> Recording:
    """Read one EDF or BDF file; refuses truncated files and mixed sampling rates.

    Raises:
        DataError: naming the file, what is wrong and what to do.
    """
    import edfio

    reader = edfio.read_bdf if path.suffix.lower() == ".bdf" else edfio.read_edf
    kind = "BDF" if path.suffix.lower() == ".bdf" else "EDF"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            edf = reader(path)
        except Exception as exc:  # edfio raises ValueError/IndexError/... on broken headers
            raise DataError(
                f"{path}: not a readable {kind} file ({type(exc).__name__}: {exc}); the header "
                "may be damaged or the file truncated"
            ) from None
    for warning in caught:
        text = str(warning.message)
        if "data record" in text.lower() or "truncat" in text.lower():
            raise DataError(
                f"{path}: the {kind} file is truncated ({text.strip()}); copy it again from "
                "the source or remove it and its row in labels.csv"
            )
    signals: list[Any] = list(edf.signals)
    if not signals:
        raise DataError(f"{path}: the {kind} file holds no signals (only annotations?)")
    rates = {float(s.sampling_frequency) for s in signals}
    if len(rates) > 1:
        detail = ", ".join(f"{s.label}={s.sampling_frequency:g} Hz" for s in signals[:6])
        raise DataError(
            f"{path}: channels have different sampling rates ({detail}); resample them to one "
            "rate or keep only same-rate channels with the 'channels' dataset option"
        )
    data = np.stack([np.asarray(s.data, dtype=np.float64) for s in signals])
    units = {normalise_unit(str(s.physical_dimension)) for s in signals}
    unit = units.pop() if len(units) == 1 else None
    return Recording(path, data, rates.pop(), [str(s.label).strip() for s in signals], unit)


def _recording_files(folder: Path) -> list[str]:
    names = sorted({p.name for pattern in EEG_PATTERNS for p in folder.glob(pattern)})
    if not names:
        raise DataError(f"{folder}: no recordings found (looked for {', '.join(EEG_PATTERNS)})")
    return names


def _select_channels(
    rec: Recording, channels: Sequence[str] | None, first: Recording
) -> np.ndarray:
    if channels is not None:
        missing = [c for c in channels if c not in rec.ch_names]
        if missing:
            raise DataError(
                f"{rec.path}: has no channel(s) {', '.join(missing)} (it has "
                f"{', '.join(rec.ch_names)}); fix the 'channels' dataset option"
            )
        return rec.data[[rec.ch_names.index(c) for c in channels]]
    if rec.ch_names != first.ch_names:
        raise DataError(
            f"{rec.path}: channels {rec.ch_names} differ from {first.path.name}'s "
            f"{first.ch_names}; pass the 'channels' dataset option to pick common channels"
        )
    return rec.data


def _check_unit(rec: Recording, units: dict[str | None, Path]) -> None:
    """Refuse a recording whose declared unit differs from an earlier one's."""
    units.setdefault(rec.unit, rec.path)
    other = next((u for u in units if u is not None and u != rec.unit), None)
    if rec.unit is not None and other is not None:
        raise DataError(
            f"{rec.path}: data in {rec.unit}, but {units[other].name}'s in {other}; convert "
            "the recordings to one unit"
        )


def load_edf_folder(
    path: str | os.PathLike[str],
    *,
    window_s: float = 2.0,
    step_s: float | None = None,
    channels: Sequence[str] | None = None,
    labels: str = "labels.csv",
    dataset_id: str | None = None,
) -> Dataset:
    """Read a folder of EEG recordings (EDF/BDF, FIF, BrainVision) into labelled windows.

    Example:
        >>> from pathlib import Path
        >>> load_edf_folder(Path("no-such-folder"))
        Traceback (most recent call last):
        ...
        fmbench.errors.DataError: no-such-folder: not a folder of EEG recordings
    """
    folder = Path(path)
    if not folder.is_dir():
        raise DataError(f"{folder}: not a folder of EEG recordings")
    if window_s <= 0 or (step_s is not None and step_s <= 0):
        raise DataError(f"{folder}: window_s and step_s must be positive seconds")
    files = _recording_files(folder)
    table = read_labels_table(folder / labels, files)
    y_files, class_names = encode_labels(table.labels)
    first: Recording | None = None
    windows: list[np.ndarray] = []
    rows: list[tuple[int, float]] = []  # (table row, window start in s)
    units: dict[str | None, Path] = {}  # unit -> first recording in it
    for row, name in enumerate(table.files):
        rec = read_recording(folder / name)
        if first is None:
            first = rec
        elif rec.sfreq != first.sfreq:
            raise DataError(
                f"{rec.path}: sampling rate {rec.sfreq:g} Hz differs from {first.path.name}'s "
                f"{first.sfreq:g} Hz; resample the recordings to one rate"
            )
        _check_unit(rec, units)
        data = _select_channels(rec, channels, first)
        width = round(window_s * rec.sfreq)
        step = round((step_s or window_s) * rec.sfreq)
        n_windows = (data.shape[1] - width) // step + 1 if data.shape[1] >= width else 0
        if n_windows < 1:
            raise DataError(
                f"{rec.path}: the recording lasts {data.shape[1] / rec.sfreq:g} s, shorter than "
                f"one window of {window_s:g} s; use a smaller window_s"
            )
        for w in range(n_windows):
            windows.append(data[:, w * step : w * step + width])
            rows.append((row, w * step / rec.sfreq))
    assert first is not None
    index = np.array([r for r, _ in rows])
    metadata: dict[str, np.ndarray] = {
        "subject_id": np.array(table.subjects, dtype=object)[index],
        "file": np.array(table.files, dtype=object)[index],
        "window_start_s": np.array([s for _, s in rows], dtype=float),
    }
    for column, values in table.covariates.items():
        metadata[column] = covariate_column(values)[index]
    info: dict[str, Any] = {
        "modality": "eeg",
        "task": "classification",
        "sampling_freq": first.sfreq,
        "ch_names": list(channels) if channels is not None else first.ch_names,
        "n_classes": len(class_names),
        "class_names": class_names,
        "window_s": window_s,
        "step_s": step_s or window_s,
        "unit": next(iter(units))
        if len(units) == 1 and None not in units
        else "physical units of the recordings (not declared in every file; usually uV)",
    }
    return Dataset(
        dataset_id=dataset_id or str(folder),
        X=np.stack(windows).astype(np.float32),
        y=y_files[index],
        metadata=metadata,
        info=info,
        source=str(folder),
    )
