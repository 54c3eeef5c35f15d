"""DS-EEGBCI-MI: declaration, and the real prepare step on served imagery runs.

Small EDF+ files named and laid out like the PhysioNet imagery runs
(``physionet.org/files/eegmmidb/1.0.0/S001/S001R04.edf``) are written with edfio: four
channels with EEGBCI's labels, T0/T1/T2 cue annotations, and a 10 Hz mu rhythm that
weakens over the motor cortex opposite the imagined hand (C4 for the left hand, C3 for
the right). They are served from 127.0.0.1 under a test-only declaration carrying their
sha256, fetched, prepared by the package's prepare step and benchmarked with the band-power
baseline on SUITE-NEURO-EEGBCI-MI (cross-subject folds).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from fmbench_neuro import plugin
from fmbench_neuro.public import EEGBCI_BASE_URL, eegbci_sources
from fmbench_neuro.public_motor import (
    EEGBCI_MI_SHA256,
    motor_imagery_datasets,
    prepare_eegbci_motor_imagery,
)

import fmbench
from fmbench.cli import cli
from fmbench.errors import DataError
from fmbench.testing_http import LocalFileServer

from .conftest import CONFIGS

pytest.importorskip("pooch", reason="fetching needs pooch (pip install 'fmbench[fetch]')")

CONFIG = CONFIGS / "eeg_bandpower.yaml"
CHANNELS = ["Fc5.", "C3..", "Cz..", "C4.."]
SUBJECTS = [f"S{i:03d}" for i in range(1, 7)]
RUNS = ("R04", "R08", "R12")
SERVED: dict[str, str] = {}  # path -> sha256 of the files the fixture wrote
#: Cues of each run: (onset s, text); the last T2 starts 1 s before the end (left out).
CUES = [(8.0 * k, "T0") for k in range(7)] + [
    (8.0 * k + 4.0, "T1" if k % 2 == 0 else "T2") for k in range(7)
]


def write_run(path: Path, seed: int, fs: float = 160.0, seconds: float = 60.0) -> None:
    """Noise, plus a mu rhythm that drops over the hemisphere opposite the imagined fist."""
    import edfio

    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * fs)) / fs
    gain = rng.uniform(0.7, 1.4)  # subjects differ in mu amplitude
    data = rng.normal(0.0, 6.0, (len(CHANNELS), t.size))
    mu = {c: gain * 20.0 * np.ones(t.size) for c in ("C3..", "C4..")}
    cues = [*sorted(CUES), (seconds - 1.0, "T2")]
    for onset, text in cues:
        span = slice(int(onset * fs), int(min(onset + 4.0, seconds) * fs))
        if text == "T1":
            mu["C4.."][span] *= 0.3
        elif text == "T2":
            mu["C3.."][span] *= 0.3
    for channel, envelope in mu.items():
        phase = rng.uniform(0, 2 * np.pi)
        data[CHANNELS.index(channel)] += envelope * np.sin(2 * np.pi * 10.0 * t + phase)
    signals = [
        edfio.EdfSignal(data[i], fs, label=c, physical_dimension="uV", physical_range=(-400, 400))
        for i, c in enumerate(CHANNELS)
    ]
    annotations = [edfio.EdfAnnotation(onset, 4.1, text) for onset, text in cues]
    path.parent.mkdir(parents=True, exist_ok=True)
    edfio.Edf(signals, annotations=annotations).write(path)


@fmbench.hookimpl
def fmbench_datasets() -> Iterator[fmbench.DatasetSpec]:
    yield fmbench.DatasetSpec(
        name="DS-EEGBCI-MI-TEST",
        summary="EEGBCI-like imagery runs written by the test (6 subjects, 4 channels, 60 s)",
        modality="eeg",
        load="fmbench.data.dataset:load_array_folder",
        sources=eegbci_sources(SERVED),
        prepare="fmbench_neuro.public_motor:prepare_eegbci_motor_imagery",
        license="CC0-1.0 (synthetic)",
    )


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    www = tmp_path / "www"
    base = www / EEGBCI_BASE_URL.split("://", 1)[1]
    SERVED.clear()
    for i, subject in enumerate(SUBJECTS):
        for j, run in enumerate(RUNS):
            rel = f"{subject}/{subject}{run}.edf"
            odd_rate = subject == "S006" and run == "R12"  # as MOABB notes for S088
            write_run(base / rel, seed=10 * i + j, fs=128.0 if odd_rate else 160.0)
            SERVED[rel] = hashlib.sha256((base / rel).read_bytes()).hexdigest()
    monkeypatch.setenv("FMBENCH_DATA", str(tmp_path / "cache"))
    monkeypatch.delenv("FMBENCH_OFFLINE", raising=False)
    monkeypatch.chdir(tmp_path)
    with LocalFileServer(www) as server:
        monkeypatch.setenv("FMBENCH_MIRROR", server.url)
        yield {"tmp": tmp_path, "server": server, "cache": tmp_path / "cache"}


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), obj={})


def test_declaration_covers_the_imagery_runs_of_108_subjects() -> None:
    spec = next(motor_imagery_datasets())
    assert spec.name == "DS-EEGBCI-MI" and spec.license and spec.citation and spec.prepare
    subjects = sorted({path.split("/")[0] for path in EEGBCI_MI_SHA256})
    assert len(subjects) == 108 and "S088" not in subjects and subjects[-1] == "S109"
    assert {path[-7:-4] for path in EEGBCI_MI_SHA256} == set(RUNS)
    assert spec.sources[0].url == EEGBCI_BASE_URL + "S001/S001R04.edf"
    assert len({s.name for s in spec.sources}) == 324  # no collision in the flat cache


def test_declared_sha256_are_the_ones_in_mne_registry() -> None:
    mne = pytest.importorskip("mne")
    registry = Path(mne.__file__).parent / "data" / "eegbci_checksums.txt"
    published = dict(line.split() for line in registry.read_text().splitlines())
    assert {path: published[path] for path in EEGBCI_MI_SHA256} == EEGBCI_MI_SHA256


def test_fetch_prepare_and_decode_served_imagery_runs(
    served: dict[str, Any], register_plugin: Any
) -> None:
    register_plugin(plugin, fmbench_datasets)
    result = invoke("datasets", "fetch", "DS-EEGBCI-MI-TEST", "--no-progress")
    assert result.exit_code == 0, result.output
    assert len(served["server"].requests) == 18
    prepared = Path(result.output.strip().split(": ", 1)[1])
    info = json.loads((prepared / "info.json").read_text())
    assert info["class_names"] == ["left_hand", "right_hand"]
    assert info["ch_names"] == ["FC5", "C3", "Cz", "C4"] and info["sampling_freq"] == 160.0
    assert info["excluded_runs"] == [
        {"file": "S006R12.edf", "reason": "sampled at 128 Hz, not 160 Hz"}
    ]
    X, y = np.load(prepared / "X.npy"), np.load(prepared / "y.npy")
    assert X.shape == (17 * 7, 4, 480) and X.dtype == np.float32  # the late T2 is left out
    assert y.tolist()[:7] == [0, 1, 0, 1, 0, 1, 0]
    rows = (prepared / "metadata.csv").read_text().splitlines()
    assert rows[0] == "subject_id,run,onset_s" and rows[1] == "S001,R04,4"
    # the first trial (left hand) has less mu power over C4 than over C3
    power = (X[0] ** 2).mean(axis=-1)
    assert power[3] < 0.5 * power[1]

    run = invoke(
        *("run", "--suite", "SUITE-NEURO-EEGBCI-MI", "--dataset", "DS-EEGBCI-MI-TEST"),
        *("--model", str(CONFIG), "--out", "res", "--no-progress"),
    )
    assert run.exit_code == 0, run.output
    record = yaml.safe_load(Path("res/eval.yaml").read_text())["benchmarks"][0]
    assert record["status"] == "Completed" and record["split"]["n_folds"] == 5
    assert record["metrics"]["AUROC"] > 0.9  # lateralised mu power tells the hands apart
    check_paradigms(yaml.safe_load(Path("res/eval.yaml").read_text()), prepared)


def check_paradigms(document: dict[str, Any], prepared: Path) -> None:
    """The suite's three MOABB paradigms on the served files: cross-subject (5 folds of
    subjects), within-session (5 folds inside each subject's one session) and cross-run."""
    from fmbench.data.dataset import load_array_folder
    from fmbench.evaluation.splits import make_folds
    from fmbench.plugin_system.specs import BenchmarkSpec

    records = {r["benchmark_id"]: r for r in document["benchmarks"]}
    assert list(records) == ["BM-EEGBCI-MI", "BM-EEGBCI-MI-WITHIN", "BM-EEGBCI-MI-CROSSRUN"]
    assert all(r["status"] == "Completed" for r in records.values()), records
    trials = dict.fromkeys(SUBJECTS, 21) | {"S006": 14}  # S006R12 (128 Hz) is left out

    cross = records["BM-EEGBCI-MI"]
    assert (
        cross["split"]["method"] == "cross_subject" and cross["split"]["group_by"] == "subject_id"
    )
    block = cross["paradigm_scores"]
    assert block["unit"] == ["subject_id"] and block["n_subjects"] == 6
    assert {u["subject"]: u["n"] for u in block["units"]} == trials
    assert all(u["n_folds"] == 1 for u in block["units"])  # each subject tested by one model

    within = records["BM-EEGBCI-MI-WITHIN"]
    assert within["split"]["method"] == "within_session" and within["split"]["n_folds"] == 30
    assert within["interval_method"]["unit"] == "subject_id"  # subjects resampled
    block = within["paradigm_scores"]
    assert block["unit"] == ["subject_id"] and block["n_units"] == 6
    assert {u["subject"]: u["n"] for u in block["units"]} == trials
    assert all(u["n_folds"] == 5 for u in block["units"])  # MOABB: mean of 5 fold scores
    assert block["mean"]["AUROC"] > 0.8  # a probe calibrated on the subject's own trials
    lo, hi = block["intervals"]["AUROC"]
    assert lo <= block["mean"]["AUROC"] <= hi

    crossrun = records["BM-EEGBCI-MI-CROSSRUN"]
    assert crossrun["split"]["method"] == "cross_session" and crossrun["split"]["n_folds"] == 17
    block = crossrun["paradigm_scores"]
    assert block["unit"] == ["subject_id", "run"] and block["n_units"] == 17
    assert all(u["n"] == 7 and u["n_folds"] == 1 for u in block["units"])

    # the folds themselves: a within-session fold never leaves its subject, a cross-subject
    # fold never shares one
    dataset = load_array_folder(prepared)
    subjects = np.asarray(dataset.metadata["subject_id"]).astype(str)
    from fmbench_neuro.plugin import fmbench_benchmarks

    specs: dict[str, BenchmarkSpec] = {bm.name: bm for bm in fmbench_benchmarks()}
    for fold in make_folds(dataset, specs["BM-EEGBCI-MI-WITHIN"].split, seed=42):
        assert len(set(subjects[np.concatenate([fold.train, fold.test])])) == 1
    for fold in make_folds(dataset, specs["BM-EEGBCI-MI"].split, seed=42):
        assert not set(subjects[fold.train]) & set(subjects[fold.test])


def test_prepare_refuses_runs_without_cues_and_folders_without_runs(tmp_path: Path) -> None:
    import edfio

    signal = edfio.EdfSignal(np.zeros(160 * 4), 160.0, label="C3..", physical_range=(-1, 1))
    edfio.Edf([signal]).write(tmp_path / "S001R04.edf")
    with pytest.raises(DataError, match="S001R04.edf: no T1/T2 cue annotations"):
        prepare_eegbci_motor_imagery(tmp_path, tmp_path / "out")
    with pytest.raises(DataError, match="no EEGBCI imagery runs"):
        prepare_eegbci_motor_imagery(tmp_path / "out", tmp_path / "out2")
