"""DS-CHBMIT-SZ: declaration, and the real prepare step on a served BIDS archive.

The BIDS CHB-MIT archive is tens of gigabytes and not available offline. A small zip in its
layout (``<top>/sub-XX/ses-YY/eeg/sub-XX_ses-YY_task-szMonitoring_run-NN_eeg.edf`` with a
BIDS-score ``_events.tsv`` beside each) is written with edfio and served from 127.0.0.1 at
the Zenodo path under a test-only declaration carrying its sha256. Channel labels are
CHB-MIT's own (``FP1-F7``, ``T8-P8-0``), in one recording the old temporal names
(``T3-T5``), and one recording lacks a channel. Seizures are a 3 Hz high-amplitude rhythm.
It is fetched, prepared by the package's prepare step (reading the zip in place) and
benchmarked with the band-power baseline on SUITE-NEURO-SEIZURE (cross-patient folds).
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from fmbench_neuro import plugin
from fmbench_neuro.public_seizure import (
    CHBMIT_BIDS_SOURCE,
    DOUBLE_BANANA,
    prepare_bids_seizure_archive,
    seizure_datasets,
)

import fmbench
from fmbench.cli import cli
from fmbench.errors import DataError
from fmbench.testing_http import LocalFileServer

from .conftest import CONFIGS

pytest.importorskip("pooch", reason="fetching needs pooch (pip install 'fmbench[fetch]')")

CONFIG = CONFIGS / "eeg_bandpower.yaml"
FS = 256
#: CHB-MIT's labels of the montage (upper case, T7/P7 names, a repeated T8-P8 numbered).
CHB_LABELS = [c.upper() for c in DOUBLE_BANANA]
CHB_LABELS[CHB_LABELS.index("T8-P8")] = "T8-P8-0"
#: The labels epilepsy2bids writes for files it re-referenced (old temporal names).
OLD_LABELS = [
    c.replace("T7", "T3").replace("P7", "T5").replace("T8", "T4").replace("P8", "T6")
    for c in DOUBLE_BANANA
]
SERVED: dict[str, str] = {}


def edf_bytes(
    seconds: int, seizure: tuple[float, float] | None, labels: list[str], seed: int
) -> bytes:
    import edfio

    rng = np.random.default_rng(seed)
    t = np.arange(seconds * FS) / FS
    data = rng.normal(0.0, 10.0, (len(labels), t.size))
    data += 15.0 * np.sin(2 * np.pi * 10.0 * t)  # background alpha
    if seizure is not None:
        span = slice(int(seizure[0] * FS), int(seizure[1] * FS))
        data[:, span] += 150.0 * np.sin(2 * np.pi * 3.0 * t[span])
    signals = [
        edfio.EdfSignal(data[i], FS, label=label, physical_dimension="uV",
                        physical_range=(-1000, 1000))
        for i, label in enumerate(labels)
    ]  # fmt: skip
    buffer = io.BytesIO()
    edfio.Edf(signals).write(buffer)
    return buffer.getvalue()


def events_tsv(seconds: int, seizure: tuple[float, float] | None) -> str:
    header = "onset\tduration\teventType\tconfidence\tchannels\tdateTime\trecordingDuration\n"
    start, length, kind = (0.0, seconds, "bckg") if seizure is None else (
        seizure[0], seizure[1] - seizure[0], "sz")  # fmt: skip
    return (
        header
        + f"{start:.2f}\t{length:.2f}\t{kind}\tn/a\tn/a\t2076-11-06 11:42:54\t{seconds:.2f}\n"
    )


#: (subject, session, run, seconds, seizure, labels) of the archive's recordings.
RECORDINGS = [
    *[(f"{s:02d}", "01", "00", 60, (20.0, 42.0), CHB_LABELS) for s in range(1, 6)],
    *[(f"{s:02d}", "01", "01", 120, None, CHB_LABELS) for s in range(1, 5)],
    ("05", "01", "01", 120, None, [c for c in CHB_LABELS if c != "CZ-PZ"]),
    ("01", "02", "00", 60, (20.0, 42.0), OLD_LABELS),  # chb21: subject 1's second session
]


def write_archive(path: Path) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("BIDS_CHB-MIT/dataset_description.json", '{"Name": "test"}')
        for i, (subject, session, run, seconds, seizure, labels) in enumerate(RECORDINGS):
            stem = f"sub-{subject}_ses-{session}_task-szMonitoring_run-{run}"
            folder = f"BIDS_CHB-MIT/sub-{subject}/ses-{session}/eeg/"
            archive.writestr(folder + stem + "_eeg.edf", edf_bytes(seconds, seizure, labels, i))
            archive.writestr(folder + stem + "_events.tsv", events_tsv(seconds, seizure))


@fmbench.hookimpl
def fmbench_datasets() -> Iterator[fmbench.DatasetSpec]:
    yield fmbench.DatasetSpec(
        name="DS-CHBMIT-SZ-TEST",
        summary="a BIDS seizure archive written by the test (5 subjects, 11 recordings)",
        modality="eeg",
        load="fmbench.data.dataset:load_array_folder",
        sources=[fmbench.Source(url=CHBMIT_BIDS_SOURCE.url, hash=SERVED["zip"])],
        prepare="fmbench_neuro.public_seizure:prepare_chbmit",
        license="CC0-1.0 (synthetic)",
    )


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    www = tmp_path / "www"
    target = www / CHBMIT_BIDS_SOURCE.url.split("://", 1)[1]
    target.parent.mkdir(parents=True)
    write_archive(target)
    SERVED["zip"] = hashlib.sha256(target.read_bytes()).hexdigest()
    monkeypatch.setenv("FMBENCH_DATA", str(tmp_path / "cache"))
    monkeypatch.delenv("FMBENCH_OFFLINE", raising=False)
    monkeypatch.chdir(tmp_path)
    with LocalFileServer(www) as server:
        monkeypatch.setenv("FMBENCH_MIRROR", server.url)
        yield {"tmp": tmp_path, "server": server, "cache": tmp_path / "cache"}


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), obj={})


def test_declaration_uses_braindecode_published_sha256() -> None:
    spec = next(seizure_datasets())
    assert spec.name == "DS-CHBMIT-SZ" and spec.license and spec.citation and spec.prepare
    assert spec.sources == (CHBMIT_BIDS_SOURCE,)
    assert CHBMIT_BIDS_SOURCE.url == "https://zenodo.org/records/10259996/files/BIDS_CHB-MIT.zip"
    assert CHBMIT_BIDS_SOURCE.hash == (
        "sha256:078f4e110e40d10fef1a38a892571ad24666c488e8118a01002c9224909256ed"
    )
    assert CHBMIT_BIDS_SOURCE.extract is None  # read in place, never unpacked


def test_fetch_prepare_and_detect_served_seizures(
    served: dict[str, Any], register_plugin: Any
) -> None:
    register_plugin(plugin, fmbench_datasets)
    result = invoke("datasets", "fetch", "DS-CHBMIT-SZ-TEST", "--no-progress")
    assert result.exit_code == 0, result.output
    prepared = Path(result.output.strip().split(": ", 1)[1])
    info = json.loads((prepared / "info.json").read_text())
    assert info["ch_names"] == list(DOUBLE_BANANA) and info["sampling_freq"] == 256.0
    assert info["excluded_recordings"] == [
        {"recording": "sub-05_ses-01_task-szMonitoring_run-01", "reason": "lacks channel(s) Cz-Pz"}
    ]
    X, y = np.load(prepared / "X.npy"), np.load(prepared / "y.npy")
    assert X.shape[1:] == (18, 2560) and X.dtype == np.float32
    rows = [r.split(",") for r in (prepared / "metadata.csv").read_text().splitlines()]
    assert rows[0] == ["subject_id", "session", "recording", "window_start_s"]
    seizure = [(r[0], r[1], r[3]) for r, label in zip(rows[1:], y, strict=True) if label == 1]
    # windows 20-30 and 30-40 s lie inside the 20-42 s seizures; 40-50 (2 s of it) is left out
    expected = [(f"sub-{s:02d}", "ses-01", start) for s in range(1, 6) for start in ("20", "30")]
    assert sorted(seizure) == sorted(
        [*expected, ("sub-01", "ses-02", "20"), ("sub-01", "ses-02", "30")]
    )
    subjects = np.array([r[0] for r in rows[1:]])
    background = {
        s: int(((subjects == s) & (y == 0)).sum()) for s in ("sub-01", "sub-02", "sub-05")
    }
    # five background windows per seizure window and subject, from the usable recordings:
    # sub-01 has 4 seizure windows but only 18 background windows (3 + 12 + 3); sub-02 has
    # 2 and 15; sub-05's background recording lacks Cz-Pz, leaving the 3 windows of run-00
    assert background == {"sub-01": 18, "sub-02": 10, "sub-05": 3}
    assert info["class_counts"] == {"background": 18 + 3 * 10 + 3, "seizure": 12}

    run = invoke(
        *("run", "--suite", "SUITE-NEURO-SEIZURE", "--dataset", "DS-CHBMIT-SZ-TEST"),
        *("--model", str(CONFIG), "--out", "res", "--no-progress"),
    )
    assert run.exit_code == 0, run.output
    record = yaml.safe_load(Path("res/eval.yaml").read_text())["benchmarks"][0]
    assert record["status"] == "Completed" and record["split"]["n_folds"] == 5
    assert record["metrics"]["AUROC"] > 0.9  # delta power of the 3 Hz seizure rhythm


def test_the_same_archive_gives_the_same_windows(tmp_path: Path) -> None:
    write_archive(tmp_path / "a.zip")
    prepare_bids_seizure_archive(tmp_path / "a.zip", tmp_path / "one")
    prepare_bids_seizure_archive(tmp_path / "a.zip", tmp_path / "two")
    for name in ("X.npy", "y.npy", "metadata.csv"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()


def test_archives_without_bids_recordings_are_refused(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "a.zip", "w") as archive:
        archive.writestr("README", "no recordings")
    with pytest.raises(DataError, match="no BIDS EEG recordings"):
        prepare_bids_seizure_archive(tmp_path / "a.zip", tmp_path / "out")
    (tmp_path / "b.zip").write_bytes(b"not a zip")
    with pytest.raises(DataError, match="not a readable zip archive"):
        prepare_bids_seizure_archive(tmp_path / "b.zip", tmp_path / "out")
