"""FIF and BrainVision EEG recordings, read with MNE-Python (the optional ``mne`` extra).

:func:`read_mne_recording` reads one ``*.fif`` / ``*.fif.gz`` (MNE's own format) or ``*.vhdr``
(BrainVision header; its ``.eeg`` data file must lie beside it, the ``.vmrk`` marker file is
read if present) file and returns the same :class:`~fmbench_neuro.eeg.recording.Recording` as the EDF/BDF reader.

Design: there is no separate dataset format for these files. The EEG folder loader
(:func:`fmbench_neuro.eeg.edf.load_edf_folder`, format ``eeg-edf-folder``) chooses the reader
of each file by its suffix, so one folder may mix EDF, BDF, FIF and BrainVision recordings
(archives often hold old EDF exports beside newer FIF conversions). Windowing, labels.csv,
channel selection and the sampling-rate checks are the same for every format, and a user does
not have to know a second format id. Without the extra, a folder of FIF files is still
recognised and the run fails with one line saying what to install.

What is read:

- **EEG channels only**, as MNE types them. Every other channel (stim/trigger, EOG, ECG, EMG,
  misc, MEG, ...) is dropped. BrainVision headers carry no channel types: MNE reads them as EEG,
  except channels with a non-voltage unit (misc) and channels named HEOGL, HEOGR or VEOGb
  (EOG, MNE's default), which are dropped. Channels marked
  bad in the file are kept (drop them with the ``channels`` dataset option). Annotations and
  events are not read.
- **Units**: MNE gives volts; the data are returned in **microvolts** (``unit="uV"``), the unit
  EDF/BDF EEG files almost always declare, so folders that mix formats have one scale.
- **Broken files**: unreadable or truncated FIF files, a BrainVision ``.eeg`` file cut in the
  middle of a sample (or shorter than the ``DataPoints`` the header declares), and a missing
  ``.eeg`` file are :class:`~fmbench.errors.DataError` naming the file. A
  BrainVision file cut exactly at a sample boundary, whose header declares no ``DataPoints``,
  cannot be told from a shorter recording. Split FIF recordings (``*_raw-1.fif``) are not
  supported: save each recording in one file.

``mne`` is imported inside the reader only, so listing plugins stays light.

Example:
    >>> from pathlib import Path
    >>> is_mne_file(Path("sub-01_raw.fif.gz")), is_mne_file(Path("rec.edf"))
    (True, False)
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np

from fmbench.errors import DataError
from fmbench_neuro.eeg.recording import Recording

__all__ = ["MISSING_EXTRA", "MNE_PATTERNS", "is_mne_file", "read_mne_recording"]

#: File-name patterns of the recordings read through MNE-Python.
MNE_PATTERNS = ("*.fif", "*.fif.gz", "*.vhdr")

MISSING_EXTRA = "reading FIF/BrainVision needs the optional extra: pip install 'fmbench-neuro[mne]'"

_SUFFIXES = (".fif", ".fif.gz", ".vhdr")
_VOLTS_TO_UV = 1e6
# bytes per value of the BrainVision binary formats
_BV_BYTES = {"INT_16": 2, "UINT_16": 2, "INT_32": 4, "IEEE_FLOAT_32": 4}


def is_mne_file(path: Path) -> bool:
    """Is ``path`` a FIF or BrainVision header file (by its name)?"""
    return path.name.lower().endswith(_SUFFIXES)


def read_mne_recording(path: Path) -> Recording:
    """Read one FIF or BrainVision recording: its EEG channels, in microvolts.

    Raises:
        DataError: the extra is not installed, or the file is broken (naming it and the fix).

    Example:
        >>> read_mne_recording(Path("missing.fif"))
        Traceback (most recent call last):
        ...
        fmbench.errors.DataError: missing.fif: file not found; check the file name in labels.csv
    """
    try:
        import mne
    except ImportError:
        raise DataError(f"{path}: {MISSING_EXTRA}") from None
    if not path.is_file():
        raise DataError(f"{path}: file not found; check the file name in labels.csv")
    brainvision = path.name.lower().endswith(".vhdr")
    kind = "BrainVision" if brainvision else "FIF"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # verbose="error" already silences MNE's own warnings
        try:
            if brainvision:
                raw = mne.io.read_raw_brainvision(path, preload=True, verbose="error")
            else:
                raw = mne.io.read_raw_fif(path, preload=True, verbose="error")
        except FileNotFoundError as exc:  # the BrainVision .eeg file
            missing = Path(exc.filename).name if exc.filename else str(exc)
            raise DataError(
                f"{path}: file {missing} not found; keep the .vhdr, .eeg and .vmrk files of "
                "a recording together, and DataFile= in the .vhdr naming the .eeg file"
            ) from None
        except Exception as exc:  # MNE raises ValueError/KeyError/... on damaged files
            raise DataError(
                f"{path}: not a readable {kind} file ({type(exc).__name__}: {exc}); it may be "
                "damaged or truncated: copy it again from the source or remove it and its row "
                "in labels.csv"
            ) from None
    if brainvision:
        _check_brainvision_length(path, Path(raw.filenames[0]), raw.info["nchan"], raw.n_times)
    types = raw.get_channel_types()
    picks = [i for i, t in enumerate(types) if t == "eeg"]
    if not picks:
        found = ", ".join(sorted(set(types))) or "none"
        raise DataError(
            f"{path}: the {kind} file has no EEG channels (channel types: {found}); fmbench "
            "reads EEG channels only"
        )
    data = np.asarray(raw.get_data(picks=picks), dtype=np.float64) * _VOLTS_TO_UV
    names = [raw.ch_names[i] for i in picks]
    return Recording(path, data, float(raw.info["sfreq"]), names, unit="uV")


def _check_brainvision_length(vhdr: Path, eeg: Path, n_channels: int, n_times: int) -> None:
    """MNE reads a cut ``.eeg`` file as a shorter recording; catch what the header allows."""
    header = vhdr.read_bytes().decode("latin-1")
    if re.search(r"^\s*DataFormat\s*=\s*ASCII", header, re.MULTILINE | re.IGNORECASE):
        return
    match = re.search(r"^\s*BinaryFormat\s*=\s*(\w+)", header, re.MULTILINE)
    width = _BV_BYTES.get(match.group(1).upper() if match else "INT_16")
    if width is None:
        return
    size = eeg.stat().st_size
    points = re.search(r"^\s*DataPoints\s*=\s*(\d+)", header, re.MULTILINE)
    declared = int(points.group(1)) if points else None
    if size % (n_channels * width) or (declared is not None and n_times < declared):
        expected = f"{declared} samples" if declared is not None else "whole samples"
        raise DataError(
            f"{vhdr}: the BrainVision data file {eeg.name} is truncated ({size} bytes, not "
            f"{expected} of {n_channels} channels x {width} bytes); copy it again from the "
            "source or remove the recording and its row in labels.csv"
        )
