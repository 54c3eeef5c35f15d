"""DS-SLEEPEDF-20: declaration, and the real prepare step on served PSG + hypnogram files.

The Sleep-EDF recordings are not available offline. Small files in their format are
written with edfio: a PSG with the two 100 Hz EEG channels named as in Sleep-EDF plus 1 Hz
channels (the real files mix rates), and an annotation-only EDF+ hypnogram scored in 30 s
steps with the R&K texts ("Sleep stage 4", "Sleep stage ?", ...). They are served from
127.0.0.1 at the PhysioNet paths (FMBENCH_MIRROR) under a test-only declaration carrying
their SHA1, fetched, prepared by the package's prepare step and benchmarked with the
band-power baseline on BM-SLEEPEDF-STAGING as declared, except for 4 subject-grouped folds
instead of 20 (8 subjects here; today's linear probe takes about 10 s per fold).
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from fmbench_neuro import plugin
from fmbench_neuro.public_sleep import (
    SLEEP_EDF_20_SHA1,
    SLEEP_EDF_BASE_URL,
    prepare_sleep_edf,
    sleep_edf_datasets,
    sleep_edf_sources,
)

import fmbench
from fmbench.cli import cli
from fmbench.errors import DataError
from fmbench.plugin_system.specs import BenchmarkSpec, SuiteEntry
from fmbench.testing_http import LocalFileServer

from .conftest import CONFIGS

pytest.importorskip("pooch", reason="fetching needs pooch (pip install 'fmbench[fetch]')")

CONFIG = CONFIGS / "eeg_bandpower.yaml"
FS = 100
START = datetime.time(22, 15, 0)
DATE = datetime.date(1989, 4, 24)
#: A short night: (annotation text, minutes). 6 W, 4 N1, 10 N2, 8 N3, 8 REM, 4 W epochs.
NIGHT = [
    ("Sleep stage W", 3),
    ("Sleep stage 1", 2),
    ("Sleep stage 2", 5),
    ("Sleep stage 3", 2),
    ("Sleep stage 4", 2),
    ("Sleep stage R", 4),
    ("Movement time", 0.5),
    ("Sleep stage W", 2),
    ("Sleep stage ?", 1.5),
]
#: Stage -> (frequency Hz, amplitude uV) pairs of its rhythms.
RHYTHMS = {
    "W": [(20.0, 15.0), (10.0, 10.0)],
    "1": [(6.0, 20.0)],
    "2": [(12.5, 25.0)],
    "3": [(1.5, 80.0)],
    "4": [(1.5, 90.0)],
    "R": [(6.0, 12.0), (20.0, 12.0)],
    "?": [],
    "Movement time": [(25.0, 40.0)],
}
SUBJECTS = 8
SERVED: dict[str, str] = {}  # file name -> SHA1 of the files the fixture wrote


def stage_key(text: str) -> str:
    return "Movement time" if text == "Movement time" else text.rsplit(" ", 1)[1]


def write_night(
    folder: Path,
    recording: str,
    night: list[tuple[str, float]],
    seed: int,
    hypnogram_start: datetime.time = START,
    hypnogram_date: datetime.date | None = DATE,
) -> None:
    """``<recording>E0-PSG.edf`` and ``<recording>EC-Hypnogram.edf`` for ``night``.

    The hypnogram starts at ``hypnogram_start`` (its annotations shifted to stay on the
    PSG's clock); ``hypnogram_date=None`` writes an anonymised date.
    """
    import edfio

    rng = np.random.default_rng(seed)
    seconds = round(sum(minutes for _, minutes in night) * 60)
    t = np.arange(seconds * FS) / FS
    eeg = rng.normal(0.0, 5.0, (2, t.size))
    annotations, onset = [], 0.0
    for text, minutes in night:
        span = slice(round(onset * FS), round((onset + minutes * 60) * FS))
        for frequency, amplitude in RHYTHMS[stage_key(text)]:
            for channel in range(2):
                phase = rng.uniform(0, 2 * np.pi)
                eeg[channel, span] += amplitude * np.sin(2 * np.pi * frequency * t[span] + phase)
        annotations.append(edfio.EdfAnnotation(onset, minutes * 60, text))
        onset += minutes * 60
    signals = [
        edfio.EdfSignal(eeg[0], FS, label="EEG Fpz-Cz", physical_dimension="uV",
                        physical_range=(-300, 300)),
        edfio.EdfSignal(eeg[1], FS, label="EEG Pz-Oz", physical_dimension="uV",
                        physical_range=(-300, 300)),
        edfio.EdfSignal(rng.normal(0, 1, seconds), 1, label="Resp oro-nasal",
                        physical_range=(-10, 10)),
        edfio.EdfSignal(rng.normal(0, 1, seconds), 1, label="EMG submental",
                        physical_dimension="uV", physical_range=(-10, 10)),
    ]  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    recording_field = edfio.Recording(startdate=DATE)
    psg = edfio.Edf(signals, recording=recording_field, data_record_duration=30, starttime=START)
    psg.write(folder / f"{recording}E0-PSG.edf")
    hypnogram = edfio.Edf([], recording=recording_field, annotations=annotations, starttime=START)
    hypnogram.write(folder / f"{recording}EC-Hypnogram.edf")


@fmbench.hookimpl
def fmbench_datasets() -> Iterator[fmbench.DatasetSpec]:
    yield fmbench.DatasetSpec(
        name="DS-SLEEPEDF-TEST",
        summary="Sleep-EDF-like nights written by the test (8 subjects, 22 min each)",
        modality="eeg",
        load="fmbench.data.dataset:load_array_folder",
        sources=sleep_edf_sources(SERVED),
        prepare="fmbench_neuro.public_sleep:prepare_sleep_edf",
        license="CC0-1.0 (synthetic)",
    )


@fmbench.hookimpl
def fmbench_benchmarks() -> Iterator[fmbench.BenchmarkSpec]:
    from fmbench.plugin_system.registry import build_registry

    real = build_registry(external=True).get(BenchmarkSpec, "BM-SLEEPEDF-STAGING")
    assert real.split.folds == 20 and real.split.group_by == "subject_id"
    yield attrs.evolve(
        real, name="BM-SLEEPEDF-STAGING-TEST", split=attrs.evolve(real.split, folds=4)
    )


@fmbench.hookimpl
def fmbench_suites() -> Iterator[fmbench.SuiteSpec]:
    entry = SuiteEntry(benchmark="BM-SLEEPEDF-STAGING-TEST", dataset="DS-SLEEPEDF-TEST")
    yield fmbench.SuiteSpec(name="SUITE-SLEEP-TEST", summary="the test", benchmarks=(entry,))


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    www = tmp_path / "www"
    base = www / SLEEP_EDF_BASE_URL.split("://", 1)[1]
    SERVED.clear()
    for subject in range(SUBJECTS):
        write_night(base, f"SC4{subject:02d}1", NIGHT, seed=subject)
    write_night(base, "SC4002", NIGHT, seed=99)  # subject 00's second night
    for path in sorted(base.iterdir()):
        SERVED[path.name] = hashlib.sha1(path.read_bytes()).hexdigest()  # noqa: S324 (as published)
    monkeypatch.setenv("FMBENCH_DATA", str(tmp_path / "cache"))
    monkeypatch.delenv("FMBENCH_OFFLINE", raising=False)
    monkeypatch.chdir(tmp_path)
    with LocalFileServer(www) as server:
        monkeypatch.setenv("FMBENCH_MIRROR", server.url)
        yield {"tmp": tmp_path, "server": server, "cache": tmp_path / "cache"}


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), obj={})


def test_declaration_is_sleep_edf_20_with_mne_published_sha1() -> None:
    spec = next(sleep_edf_datasets())
    assert spec.name == "DS-SLEEPEDF-20" and spec.license and spec.citation and spec.prepare
    assert len(spec.sources) == 78
    psg = sorted(name[:6] for name in SLEEP_EDF_20_SHA1 if name.endswith("PSG.edf"))
    hyp = sorted(name[:6] for name in SLEEP_EDF_20_SHA1 if name.endswith("Hypnogram.edf"))
    assert psg == hyp and len(psg) == 39  # 39 nights: subject 13 has one
    assert sorted({name[3:5] for name in psg}) == [f"{i:02d}" for i in range(20)]
    first = spec.sources[0]
    assert first.url == SLEEP_EDF_BASE_URL + "SC4001E0-PSG.edf"
    assert first.hash == "sha1:adabd3b01fc7bb75c523a974f38ee3ae4e57b40f"
    assert first.mirrors == (
        "https://physionet.org/physiobank/database/sleep-edfx/sleep-cassette/SC4001E0-PSG.edf",
    )


def test_declared_sha1_are_the_ones_in_mne_registry() -> None:
    """Each SHA1 is the one in the installed MNE's SHA1SUMS (the cited source)."""
    mne = pytest.importorskip("mne")
    sums = Path(mne.__file__).parent / "datasets" / "sleep_physionet" / "SHA1SUMS"
    published = dict(reversed(line.split()) for line in sums.read_text().splitlines())
    assert {name: published[name] for name in SLEEP_EDF_20_SHA1} == SLEEP_EDF_20_SHA1


def test_fetch_prepare_and_stage_served_nights(
    served: dict[str, Any], register_plugin: Any
) -> None:
    register_plugin(plugin, fmbench_datasets, fmbench_benchmarks, fmbench_suites)
    result = invoke("datasets", "fetch", "DS-SLEEPEDF-TEST", "--no-progress")
    assert result.exit_code == 0, result.output
    assert len(served["server"].requests) == 2 * (SUBJECTS + 1)
    prepared = Path(result.output.strip().split(": ", 1)[1])
    info = json.loads((prepared / "info.json").read_text())
    assert info["class_names"] == ["W", "N1", "N2", "N3", "REM"]
    assert info["ch_names"] == ["Fpz-Cz", "Pz-Oz"] and info["sampling_freq"] == 100.0
    nights = SUBJECTS + 1
    assert info["left_out_epochs"] == {"Movement time": nights, "Sleep stage ?": 3 * nights}
    X, y = np.load(prepared / "X.npy"), np.load(prepared / "y.npy")
    assert X.shape == (nights * 40, 2, 3000) and X.dtype == np.float32
    night = [0] * 6 + [1] * 4 + [2] * 10 + [3] * 8 + [4] * 8 + [0] * 4
    assert y.tolist() == night * nights  # stages 3 and 4 both N3; unknown epochs left out
    counts = {"W": 10, "N1": 4, "N2": 10, "N3": 8, "REM": 8}
    assert info["class_counts"] == {stage: n * nights for stage, n in counts.items()}
    rows = (prepared / "metadata.csv").read_text().splitlines()
    assert rows[0] == "subject_id,night,recording,epoch_start_s"
    assert rows[1] == "SC400,1,SC4001,0" and rows[41] == "SC400,2,SC4002,0"
    assert rows[-1] == "SC407,1,SC4071,1200"  # the last W epoch (after 30 s of movement time)
    # the first N3 epoch of the first night is delta-dominated, as written
    spectrum = np.abs(np.fft.rfft(X[20, 0])) ** 2
    assert np.argmax(spectrum[1:]) + 1 == round(1.5 * 30)

    run = invoke(
        *("run", "--suite", "SUITE-SLEEP-TEST"),
        *("--model", str(CONFIG), "--out", "res", "--no-progress"),
    )
    assert run.exit_code == 0, run.output
    record = yaml.safe_load(Path("res/eval.yaml").read_text())["benchmarks"][0]
    assert record["status"] == "Completed" and record["split"]["n_folds"] == 4
    assert record["metrics"]["F1-Score"] > 0.8  # band power separates the written rhythms


def test_prepare_keeps_thirty_minutes_of_wake_around_the_night(tmp_path: Path) -> None:
    write_night(tmp_path, "SC4051", [("Sleep stage W", 40), *NIGHT[1:6], ("Sleep stage W", 35)], 1)
    prepare_sleep_edf(tmp_path, tmp_path / "out")
    y = np.load(tmp_path / "out" / "y.npy")
    assert y.tolist() == [0] * 60 + [1] * 4 + [2] * 10 + [3] * 8 + [4] * 8 + [0] * 60
    starts = (tmp_path / "out" / "metadata.csv").read_text().splitlines()[1:]
    assert starts[0].endswith(",600") and starts[-1].endswith(f",{(40 + 15 + 30) * 60 - 30}")


def test_a_hypnogram_starting_later_is_aligned_by_its_start_time(tmp_path: Path) -> None:
    """The hypnogram starts 90 s after the PSG, with an anonymised date: same epochs."""
    write_night(tmp_path / "a", "SC4001", NIGHT, seed=3)
    write_night(tmp_path / "b", "SC4001", NIGHT, seed=3, hypnogram_start=datetime.time(22, 16, 30),
                hypnogram_date=None)  # fmt: skip
    for folder in ("a", "b"):
        prepare_sleep_edf(tmp_path / folder, tmp_path / folder / "out")
    for name in ("X.npy", "y.npy", "metadata.csv"):
        a, b = (tmp_path / f / "out" / name for f in ("a", "b"))
        assert a.read_bytes() == b.read_bytes(), name


def test_prepare_needs_both_files_of_each_night(tmp_path: Path) -> None:
    write_night(tmp_path, "SC4001", NIGHT[:3], seed=0)
    (tmp_path / "SC4001EC-Hypnogram.edf").unlink()
    with pytest.raises(DataError, match="SC4001 has no hypnogram"):
        prepare_sleep_edf(tmp_path, tmp_path / "out")
    with pytest.raises(DataError, match="no Sleep-EDF recordings"):
        prepare_sleep_edf(tmp_path / "out", tmp_path / "out2")


def test_a_hypnogram_without_sleep_is_refused_by_name(tmp_path: Path) -> None:
    write_night(tmp_path, "SC4001", [("Sleep stage W", 3), ("Sleep stage ?", 1)], seed=0)
    with pytest.raises(DataError, match="SC4001EC-Hypnogram.edf: the hypnogram scores no sleep"):
        prepare_sleep_edf(tmp_path, tmp_path / "out")
