"""CHB-MIT Scalp EEG in BIDS (SzCORE): seizure detection in 10-second windows.

``DS-CHBMIT-SZ``: the CHB-MIT Scalp EEG Database (Children's Hospital Boston; 23 cases of
22 paediatric patients with intractable seizures, 256 Hz) as converted to BIDS by Dan et al.
for the SzCORE framework: one archive ``BIDS_CHB-MIT.zip`` on Zenodo (record 10259996) in
which every recording keeps the 18 channels of the double-banana bipolar montage and its
seizures are listed in ``*_events.tsv`` (BIDS-score columns ``onset``, ``duration``,
``eventType`` (``sz...`` or ``bckg``), ``recordingDuration``). Case chb21 is the second
session of subject 1 there (``sub-01/ses-02``), so grouping by BIDS subject keeps the two
recordings of that child together. The archive's sha256 is the one braindecode publishes
(``braindecode==1.8.1``, ``braindecode/datasets/chb_mit.py``, ``CHB_MIT_dataset_params``).
The archive holds the whole database (tens of gigabytes): it is read in place, never
unpacked.

The prepare step (:func:`prepare_bids_seizure_archive`) cuts each recording into
non-overlapping 10 s windows. A window is ``seizure`` when at least half of it lies inside
an annotated seizure and ``background`` when none of it does; windows in between are left
out. All seizure windows are kept; background windows are drawn at random, per subject, five
for each seizure window of that subject (with a seed derived from the subject id, so the
same archive always gives the same windows). The class balance is therefore set by this
choice, not by the recordings: report AUROC or balanced accuracy, not precision. Channels
are matched to the canonical montage by name (``T3``/``T4``/``T5``/``T6`` read as
``T7``/``T8``/``P7``/``P8``; a ``-0`` suffix of a repeated label is ignored); a recording
lacking one of the 18 channels, or at another sampling rate, is left out and listed in
``info.json`` (``excluded_recordings``). Array folder: ``X.npy`` (windows x 18 x 2560,
float32, uV), ``y.npy`` (0 = background, 1 = seizure), ``metadata.csv`` (``subject_id``,
``session``, ``recording``, ``window_start_s``), ``info.json``.

Example:
    >>> from fmbench_neuro.public_seizure import bipolar_channel_name
    >>> [bipolar_channel_name(c) for c in ("FP1-F7", "T8-P8-0", "EEG T3-T5", "FZ-CZ", "ECG")]
    ['Fp1-F7', 'T8-P8', 'T7-P7', 'Fz-Cz', None]
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import attrs

from fmbench.errors import DataError
from fmbench.plugin_system.specs import DatasetSpec, Source

__all__ = [
    "BACKGROUND_PER_SEIZURE",
    "CHBMIT_BIDS_SOURCE",
    "DOUBLE_BANANA",
    "WINDOW_S",
    "bipolar_channel_name",
    "label_windows",
    "prepare_bids_seizure_archive",
    "prepare_chbmit",
    "seizure_datasets",
]

#: The BIDS CHB-MIT archive; sha256 quoted from braindecode==1.8.1,
#: braindecode/datasets/chb_mit.py (CHB_MIT_dataset_params["hash"]).
CHBMIT_BIDS_SOURCE = Source(
    url="https://zenodo.org/records/10259996/files/BIDS_CHB-MIT.zip",
    hash="078f4e110e40d10fef1a38a892571ad24666c488e8118a01002c9224909256ed",
)

#: The 18 channels of the double-banana bipolar montage, in the order windows keep them.
DOUBLE_BANANA = (
    "Fp1-F7", "F7-T7", "T7-P7", "P7-O1",
    "Fp1-F3", "F3-C3", "C3-P3", "P3-O1",
    "Fz-Cz", "Cz-Pz",
    "Fp2-F4", "F4-C4", "C4-P4", "P4-O2",
    "Fp2-F8", "F8-T8", "T8-P8", "P8-O2",
)  # fmt: skip
#: Window length and step in seconds.
WINDOW_S = 10.0
#: Background windows drawn per seizure window, per subject.
BACKGROUND_PER_SEIZURE = 5

_OLD_NAMES = {"T3": "T7", "T4": "T8", "T5": "P7", "T6": "P8"}
_EDF = re.compile(r"(?:^|/)(sub-[^/]+)/(ses-[^/]+)/eeg/([^/]+)_eeg\.edf$")


def seizure_datasets() -> Iterator[DatasetSpec]:
    """The seizure-detection declaration (not downloaded)."""
    yield DatasetSpec(
        name="DS-CHBMIT-SZ",
        data_kind="real",
        summary="CHB-MIT scalp EEG (BIDS, SzCORE), 23 cases: 10 s windows of the 18-channel "
        "bipolar montage at 256 Hz, seizure vs background (1:5 per subject)",
        modality="eeg",
        task="classification",
        load="fmbench.data.dataset:load_array_folder",
        sources=[CHBMIT_BIDS_SOURCE],
        prepare="fmbench_neuro.public_seizure:prepare_chbmit",
        license="ODC-By-1.0 (CHB-MIT data, PhysioNet); BIDS conversion: see Zenodo 10259996",
        citation=(
            "Shoeb (2009), Application of machine learning to epileptic seizure onset "
            "detection and treatment, PhD thesis, MIT; Guttag (2010), CHB-MIT Scalp EEG "
            "Database (version 1.0.0), PhysioNet, doi:10.13026/C2K01R; Dan et al. (2025), "
            "SzCORE, Epilepsia 66:14-24; Goldberger et al. (2000), PhysioBank, "
            "PhysioToolkit, and PhysioNet, Circulation 101(23):e215-e220"
        ),
        homepage="https://zenodo.org/records/10259996",
    )


def bipolar_channel_name(label: str) -> str | None:
    """The canonical name of a bipolar channel label (``None`` if it is not a pair).

    Upper/lower case follows the 10-10 names (``Fp1``, ``Fz``); the old temporal names
    T3/T4/T5/T6 become T7/T8/P7/P8; a trailing ``-<digits>`` (CHB-MIT's ``T8-P8-0``) and an
    ``EEG`` prefix are dropped.
    """
    text = label.strip().upper()
    text = text.removeprefix("EEG").strip()
    text = re.sub(r"-\d+$", "", text)
    parts = text.split("-")
    if len(parts) != 2 or not all(re.fullmatch(r"[A-Z]+\d*Z?", p) for p in parts):
        return None
    names = []
    for part in parts:
        part = _OLD_NAMES.get(part, part)
        if part.endswith("Z"):
            part = part[:-1] + "z"
        if part.startswith("FP"):
            part = "Fp" + part[2:]
        names.append(part)
    return "-".join(names)


def label_windows(
    seizures: Sequence[tuple[float, float]], duration_s: float, window_s: float = WINDOW_S
) -> list[tuple[float, int]]:
    """``[(start_s, 1 seizure | 0 background), ...]`` of a recording's full windows.

    A window is a seizure window when at least half of it lies inside ``seizures``
    (``(onset_s, end_s)`` intervals), background when none of it does; others are left out.

    Example:
        >>> label_windows([(12.0, 31.0)], duration_s=55.0)  # 30-40 s: 1 s of seizure
        [(0.0, 0), (10.0, 1), (20.0, 1), (40.0, 0)]
    """
    out: list[tuple[float, int]] = []
    for k in range(int(duration_s / window_s + 1e-9)):
        start, end = k * window_s, (k + 1) * window_s
        inside = sum(max(0.0, min(end, b) - max(start, a)) for a, b in seizures)
        if inside >= window_s / 2:
            out.append((start, 1))
        elif inside == 0.0:
            out.append((start, 0))
    return out


@attrs.frozen
class _Recording:
    member: str
    subject: str
    session: str
    stem: str
    windows: tuple[tuple[float, int], ...]
    labels: tuple[str, ...]  # the file's labels of DOUBLE_BANANA, in that order
    rate: float | None
    problem: str | None  # why it is left out, if it is


#: Bytes read from the start of an EDF member to check its header (up to 256 signals).
_HEADER_BYTES = 256 * 257


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "", "n/a") else None
    except ValueError:
        return None


def _read_events(archive: zipfile.ZipFile, member: str) -> tuple[list[tuple[float, float]], float]:
    """Seizure intervals and the recording's duration from a BIDS-score events.tsv."""
    try:
        text = archive.read(member).decode("utf-8-sig")
    except KeyError:
        raise DataError(f"{archive.filename}: {member} is missing (each EDF needs one)") from None
    rows = list(csv.DictReader(io.StringIO(text), delimiter="\t"))
    needed = {"onset", "duration", "eventType", "recordingDuration"}
    if rows and not needed <= set(rows[0]):
        raise DataError(
            f"{archive.filename}: {member} lacks the columns "
            f"{', '.join(sorted(needed - set(rows[0])))} of the BIDS-score events format"
        )
    seizures, duration = [], None
    for row in rows:
        duration = duration or _float(row["recordingDuration"])
        onset, length = _float(row["onset"]), _float(row["duration"])
        if str(row["eventType"]).startswith("sz") and onset is not None and length is not None:
            seizures.append((onset, onset + length))
    if duration is None:
        raise DataError(f"{archive.filename}: {member} gives no recordingDuration")
    return seizures, duration


def _montage(edf: Any) -> tuple[tuple[str, ...], float | None, str | None]:
    """The file's labels of the canonical channels, their rate, and why it is unusable."""
    by_name: dict[str, Any] = {}
    for signal in edf.signals:
        canonical = bipolar_channel_name(str(signal.label))
        if canonical in DOUBLE_BANANA and canonical not in by_name:
            by_name[canonical] = signal
    missing = [c for c in DOUBLE_BANANA if c not in by_name]
    if missing:
        return (), None, f"lacks channel(s) {', '.join(missing)}"
    rates = {float(by_name[c].sampling_frequency) for c in DOUBLE_BANANA}
    if len(rates) > 1:
        return (), None, "its channels have different sampling rates"
    labels = tuple(str(by_name[c].label).strip() for c in DOUBLE_BANANA)
    return labels, rates.pop(), None


def _plan(archive: zipfile.ZipFile) -> list[_Recording]:
    """Every recording with its labelled windows and montage (read from its header only)."""
    from fmbench_neuro.public_common import read_edf_source

    recordings = []
    rate: float | None = None
    for member in sorted(archive.namelist()):
        match = _EDF.search(member)
        if not match:
            continue
        subject, session, stem = match.groups()
        seizures, duration = _read_events(archive, member[: -len("_eeg.edf")] + "_events.tsv")
        with archive.open(member) as handle:
            header = read_edf_source(handle.read(_HEADER_BYTES), Path(member).name)
        labels, file_rate, problem = _montage(header)
        if problem is None:
            rate = rate or file_rate
            if file_rate != rate:
                problem = f"sampled at {file_rate:g} Hz, not {rate:g} Hz"
        windows = tuple(label_windows(seizures, duration))
        recordings.append(
            _Recording(member, subject, session, stem, windows, labels, file_rate, problem)
        )
    if not recordings:
        raise DataError(
            f"{archive.filename}: no BIDS EEG recordings (sub-*/ses-*/eeg/*_eeg.edf) inside"
        )
    return recordings


def _choose_windows(
    recordings: list[_Recording],
) -> list[tuple[_Recording, list[tuple[float, int]]]]:
    """The windows kept per usable recording: every seizure window, and per subject
    BACKGROUND_PER_SEIZURE background windows per seizure window, drawn at random."""
    import numpy as np

    usable = [r for r in recordings if r.problem is None]
    chosen: set[tuple[str, float]] = set()
    for subject in sorted({r.subject for r in usable}):
        mine = [r for r in usable if r.subject == subject]
        seizure = sum(1 for r in mine for _, label in r.windows if label == 1)
        background = [(r.member, s) for r in mine for s, label in r.windows if label == 0]
        n = min(len(background), BACKGROUND_PER_SEIZURE * seizure)
        rng = np.random.default_rng(zlib.crc32(subject.encode()))
        chosen.update(background[int(i)] for i in rng.choice(len(background), n, replace=False))
    kept = []
    for r in usable:
        windows = [(s, k) for s, k in r.windows if k == 1 or (r.member, s) in chosen]
        if windows:
            kept.append((r, windows))
    return kept


def prepare_bids_seizure_archive(archive_path: Path, out_dir: Path) -> None:
    """Windows of a BIDS-score seizure archive (zip) -> array folder (see module docstring)."""
    import numpy as np

    from fmbench_neuro.public_common import EpochWriter, channel_microvolts, read_edf_source

    try:
        archive = zipfile.ZipFile(archive_path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise DataError(f"{archive_path}: not a readable zip archive ({exc})") from None
    with archive:
        recordings = _plan(archive)
        kept = _choose_windows(recordings)
        if not kept:
            raise DataError(f"{archive_path}: no usable recording has a seizure window")
        rate = float(kept[0][0].rate or 0.0)
        width = round(WINDOW_S * rate)
        writer = EpochWriter(
            Path(out_dir),
            n_windows=sum(len(windows) for _, windows in kept),
            window_shape=(len(DOUBLE_BANANA), width),
        )
        y: list[int] = []
        meta: dict[str, list[Any]] = {
            "subject_id": [],
            "session": [],
            "recording": [],
            "window_start_s": [],
        }
        for recording, windows in kept:
            name = Path(recording.member).name
            edf = read_edf_source(archive.read(recording.member), name)
            data = np.stack(
                [channel_microvolts(edf, c, name)[0].astype(np.float32) for c in recording.labels]
            )
            for start, label in windows:
                begin = round(start * rate)
                window = data[:, begin : begin + width]
                if window.shape[1] != width:
                    raise DataError(
                        f"{name}: shorter than its events.tsv says ({data.shape[1]} samples)"
                    )
                writer.write(len(y), window)
                y.append(label)
                meta["subject_id"].append(recording.subject)
                meta["session"].append(recording.session)
                meta["recording"].append(recording.stem)
                meta["window_start_s"].append(start)
    excluded = [{"recording": r.stem, "reason": r.problem} for r in recordings if r.problem]
    writer.close(
        y=y,
        metadata=meta,
        info={
            "modality": "eeg",
            "task": "classification",
            "n_classes": 2,
            "class_names": ["background", "seizure"],
            "class_counts": {"background": y.count(0), "seizure": y.count(1)},
            "sampling_freq": rate,
            "ch_names": list(DOUBLE_BANANA),
            "window_s": WINDOW_S,
            "background_per_seizure": BACKGROUND_PER_SEIZURE,
            "excluded_recordings": excluded,
            "unit": "uV",
            "source": f"{Path(archive_path).name} (BIDS-score seizure annotations)",
        },
    )


def prepare_chbmit(raw_dir: Path, out_dir: Path) -> None:
    """The prepare step of ``DS-CHBMIT-SZ``: the BIDS archive -> 10 s windows."""
    prepare_bids_seizure_archive(Path(raw_dir) / CHBMIT_BIDS_SOURCE.name, out_dir)
