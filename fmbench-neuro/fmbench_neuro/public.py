"""Public EEG data that ``fmbench datasets fetch`` downloads, verifies and prepares.

``DS-EEGBCI-EYES``: the two one-minute baseline runs of the PhysioNet EEG Motor
Movement/Imagery Dataset 1.0.0 (BCI2000; 64 channels, 160 Hz, EDF+) for subjects S001-S010:
run R01 with eyes open, run R02 with eyes closed. Each file is declared with the sha256 that
MNE-Python publishes for it (``mne/data/eegbci_checksums.txt``, the registry that
``mne.datasets.eegbci.load_data`` gives pooch; copied from mne-python commit
fa8f6cef023ecd01975e818ffa972caf583311da). The task: tell eyes closed from eyes open in
2-second windows, with folds grouped by subject (the posterior alpha rhythm rises when the
eyes close).

The prepare step reads every recording with this package's EDF reader
(:func:`fmbench_neuro.eeg.edf.read_recording`), names the channels as MNE's
``eegbci.standardize`` does (``Fc5.`` -> ``FC5``, ``Fp1.`` -> ``Fp1``, ``Cz..`` -> ``Cz``), cuts
non-overlapping 2 s windows and writes an array folder (``X.npy`` windows x channels x
samples in uV, ``y.npy``, ``metadata.csv`` with ``subject_id``, ``run``, ``window_start_s``,
``info.json`` with ``sampling_freq`` and ``ch_names``) that ``fmbench.data.dataset`` reads.

Example:
    >>> from fmbench_neuro.public import public_datasets
    >>> spec = next(public_datasets())
    >>> spec.name, len(spec.sources), spec.sources[0].name
    ('DS-EEGBCI-EYES', 20, 'S001R01.edf')
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from fmbench.errors import DataError
from fmbench.plugin_system.specs import DatasetSpec, Source

__all__ = [
    "EEGBCI_BASE_URL",
    "EEGBCI_EYES_SHA256",
    "EEGBCI_RUN_LABELS",
    "WINDOW_S",
    "eegbci_sources",
    "prepare_eegbci_eyes",
    "public_datasets",
    "standard_channel_name",
]

#: Where PhysioNet serves the EEG Motor Movement/Imagery Dataset, version 1.0.0.
EEGBCI_BASE_URL = "https://physionet.org/files/eegmmidb/1.0.0/"

#: Run -> label: R01 is the eyes-open baseline, R02 the eyes-closed baseline.
EEGBCI_RUN_LABELS = {"R01": "eyes_open", "R02": "eyes_closed"}

#: Window length (and step) in seconds.
WINDOW_S = 2.0

#: sha256 of each file, as published in MNE-Python's ``mne/data/eegbci_checksums.txt``.
EEGBCI_EYES_SHA256: dict[str, str] = {
    "S001/S001R01.edf": "4743b736131a7e147c150e8b37711029b6cda5e356c4b3e8261a03cdcaaf8b0c",
    "S001/S001R02.edf": "31a95e0a880e6c3d89960d9d62c144f24cc4e9f5d7e93c7f864ef61cd49e847e",
    "S002/S002R01.edf": "d542689b31c977838f20b1a2062865b98ecf10a7e9702f56f101000d47f2ec68",
    "S002/S002R02.edf": "666a9299341ece77522df050b1ddd128179a540548d82642ba975a65b4f6d84e",
    "S003/S003R01.edf": "2af68afa8d4f158a7ae7f3903b66f0947925880639b7a8b5b6bb13b0c6c50f96",
    "S003/S003R02.edf": "41044fea497e05650c4b1f4009011b44a50a6cefd55d5afa9e1d1b7988afd6e5",
    "S004/S004R01.edf": "23e9645f492488d2376ac3a606d177043efc6e5fb00281c2d6648e4b06a6ce62",
    "S004/S004R02.edf": "32134f3ce7056fd6487855552636b8f93ea2d67631ef1da6f6474eda6040162f",
    "S005/S005R01.edf": "f84f58d7d96bce1700af8b2c9e333d66e4b2183e34b3ed5634840fff37845af0",
    "S005/S005R02.edf": "bdb498c613cd048a889899282e8f5491c23a76731f3c2be11800362b7bbcb836",
    "S006/S006R01.edf": "bfe32b925fdd469c90ce6913f7409cf85e4492b40d36c77b83511592d6e4c647",
    "S006/S006R02.edf": "f114ee8be3445ff48c78422d4cc7b6b68ab83d79f06cb47634b1710796aeda4f",
    "S007/S007R01.edf": "2ca422c6076860f12bce174799c5d7e85cae46b7b09a8e8519681d0f82168b22",
    "S007/S007R02.edf": "9afdeee151fbbcf9ab5ab3537f8f647f0303d97f506048cfdcc6a99d8da809a7",
    "S008/S008R01.edf": "678e47541d9903c300ba7811554ad1f8bfbe2bff086407cb4ff489d2d0e507bc",
    "S008/S008R02.edf": "dcd82e2a2477c52ca4a3dc784d9c04a55f935f2ed9ff10cfe0ec880d56c60edc",
    "S009/S009R01.edf": "37f117b69060f2c784d74fe973d6af30b3b978f9c7c127324273f5741749bb2e",
    "S009/S009R02.edf": "ca5a6f0a0fc6fe11696d5505c3db2b965136d85c4c0590f7c03af1b527b97242",
    "S010/S010R01.edf": "0d694b503e5ea0f6088a790f09390efb1be2688ad92213f5e82fa2f343cd18c4",
    "S010/S010R02.edf": "d44f5f6c774771bc2b6cdd6d29c7f558e11ad11e6198cf4603f473edd4b2074a",
}

_FILE = re.compile(r"^(S\d{3})(R\d{2})\.edf$")


def eegbci_sources(files: Mapping[str, str], base_url: str = EEGBCI_BASE_URL) -> tuple[Source, ...]:
    """Sources for ``{"S001/S001R01.edf": sha256, ...}`` under ``base_url``."""
    return tuple(Source(url=base_url + path, hash=digest) for path, digest in files.items())


def public_datasets() -> Iterator[DatasetSpec]:
    """The public EEG datasets of fmbench-neuro (declared, not downloaded)."""
    from fmbench_neuro.public_motor import motor_imagery_datasets
    from fmbench_neuro.public_seizure import seizure_datasets
    from fmbench_neuro.public_sleep import sleep_edf_datasets

    yield DatasetSpec(
        name="DS-EEGBCI-EYES",
        summary="PhysioNet EEGBCI baselines R01/R02, subjects 1-10: eyes open vs closed, "
        "64 ch, 160 Hz, 2 s windows",
        modality="eeg",
        task="classification",
        load="fmbench.data.dataset:load_array_folder",
        sources=eegbci_sources(EEGBCI_EYES_SHA256),
        prepare="fmbench_neuro.public:prepare_eegbci_eyes",
        license="ODC-By-1.0 (PhysioNet)",
        citation=(
            "Schalk et al. (2004), BCI2000: a general-purpose brain-computer interface "
            "system, IEEE TBME 51(6):1034-1043; Goldberger et al. (2000), PhysioBank, "
            "PhysioToolkit, and PhysioNet, Circulation 101(23):e215-e220"
        ),
        homepage="https://physionet.org/content/eegmmidb/1.0.0/",
        data_kind="real",
    )
    yield from motor_imagery_datasets()  # public_motor.py
    yield from sleep_edf_datasets()  # public_sleep.py
    yield from seizure_datasets()  # public_seizure.py


def standard_channel_name(label: str) -> str:
    """The 10-05 name of an EEGBCI channel label, as MNE's ``eegbci.standardize`` makes it.

    Example:
        >>> [standard_channel_name(c) for c in ("Fc5.", "Fp1.", "Cz..", "Fpz.", "Iz..")]
        ['FC5', 'Fp1', 'Cz', 'Fpz', 'Iz']
    """
    name = label.strip().strip(".").upper()
    if name.endswith("Z"):
        name = name[:-1] + "z"
    if name.startswith("FP"):
        name = "Fp" + name[2:]
    return name


def _recordings(raw_dir: Path) -> dict[str, dict[str, Path]]:
    found: dict[str, dict[str, Path]] = {}
    for path in sorted(raw_dir.glob("S*R*.edf")):
        match = _FILE.match(path.name)
        if match and match.group(2) in EEGBCI_RUN_LABELS:
            found.setdefault(match.group(1), {})[match.group(2)] = path
    if not found:
        raise DataError(f"{raw_dir}: no EEGBCI baseline recordings (S<nnn>R01.edf, R02.edf)")
    for subject, runs in found.items():
        missing = sorted(set(EEGBCI_RUN_LABELS) - set(runs))
        if missing:
            raise DataError(
                f"{raw_dir}: subject {subject} lacks run(s) {', '.join(missing)}; both "
                "baselines are needed (fetch the dataset again)"
            )
    return found


def prepare_eegbci_eyes(raw_dir: Path, out_dir: Path) -> None:
    """The prepare step of ``DS-EEGBCI-EYES``: EDF baselines -> 2 s windows, array folder."""
    import numpy as np

    from fmbench.data.toy_files import write_array_dataset
    from fmbench_neuro.eeg.edf import read_recording

    classes = list(EEGBCI_RUN_LABELS.values())
    windows: list[Any] = []
    labels: list[int] = []
    meta: dict[str, list[Any]] = {"subject_id": [], "run": [], "window_start_s": []}
    first: tuple[Path, float, list[str]] | None = None
    for subject, runs in _recordings(Path(raw_dir)).items():
        for run in EEGBCI_RUN_LABELS:
            rec = read_recording(runs[run])
            names = [standard_channel_name(c) for c in rec.ch_names]
            if first is None:
                first = (rec.path, rec.sfreq, names)
            elif (rec.sfreq, names) != first[1:]:
                raise DataError(
                    f"{rec.path}: {rec.sfreq:g} Hz with channels {names[:4]}... differs from "
                    f"{first[0].name} ({first[1]:g} Hz, {first[2][:4]}...)"
                )
            width = round(WINDOW_S * rec.sfreq)
            for w in range(rec.data.shape[1] // width):
                windows.append(rec.data[:, w * width : (w + 1) * width])
                labels.append(classes.index(EEGBCI_RUN_LABELS[run]))
                meta["subject_id"].append(subject)
                meta["run"].append(run)
                meta["window_start_s"].append(w * WINDOW_S)
    assert first is not None
    write_array_dataset(
        Path(out_dir),
        X=np.stack(windows).astype(np.float32),
        y=np.array(labels, dtype=np.int64),
        metadata=meta,
        info={
            "modality": "eeg",
            "task": "classification",
            "n_classes": len(classes),
            "class_names": classes,
            "sampling_freq": first[1],
            "ch_names": first[2],
            "window_s": WINDOW_S,
            "unit": "uV (physical units of the EDF files)",
            "source": "PhysioNet eegmmidb 1.0.0, runs R01 (eyes open) and R02 (eyes closed)",
        },
    )
