"""DS-EEGBCI-EYES: declaration, cache status, and the real prepare step on served EDF files.

The PhysioNet recordings are not available offline, so small EDF files named and laid out
like them (``physionet.org/files/eegmmidb/1.0.0/S001/S001R01.edf``) are written with edfio,
served from 127.0.0.1 (FMBENCH_MIRROR) under a test-only declaration carrying their sha256,
fetched, prepared by the package's own prepare step and benchmarked.
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
from fmbench_neuro.public import (
    EEGBCI_BASE_URL,
    EEGBCI_EYES_SHA256,
    eegbci_sources,
    prepare_eegbci_eyes,
    public_datasets,
)

import fmbench
from fmbench.cli import cli
from fmbench.errors import DataError
from fmbench.testing_http import LocalFileServer

from .conftest import CONFIGS

pytest.importorskip("pooch", reason="fetching needs pooch (pip install 'fmbench-core[fetch]')")

CONFIG = CONFIGS / "eeg_bandpower.yaml"
CHANNELS = ["Fc5.", "Cz..", "O1..", "Oz.."]
FS = 160.0
SUBJECTS = [f"S{i:03d}" for i in range(1, 7)]
SERVED: dict[str, str] = {}  # path -> sha256 of the files the fixture wrote


def write_run(path: Path, eyes_closed: bool, seed: int, seconds: float = 20.0) -> None:
    """Noise plus a 10 Hz alpha rhythm, strong on the occipital channels when eyes are closed."""
    import edfio

    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * FS)) / FS
    signals = []
    for channel in CHANNELS:
        amplitude = (40.0 if channel.startswith("O") else 10.0) if eyes_closed else 4.0
        phase = rng.uniform(0, 2 * np.pi)
        data = amplitude * np.sin(2 * np.pi * 10.0 * t + phase) + rng.normal(0, 8.0, t.size)
        signals.append(
            edfio.EdfSignal(
                data, FS, label=channel, physical_dimension="uV", physical_range=(-300, 300)
            )
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    edfio.Edf(signals).write(path)


@fmbench.hookimpl
def fmbench_datasets() -> Iterator[fmbench.DatasetSpec]:
    yield fmbench.DatasetSpec(
        name="DS-EEGBCI-EYES-TEST",
        summary="EEGBCI-like baselines written by the test (6 subjects, 4 channels, 20 s)",
        modality="eeg",
        load="fmbench.data.dataset:load_array_folder",
        sources=eegbci_sources(SERVED),
        prepare="fmbench_neuro.public:prepare_eegbci_eyes",
        license="CC0-1.0 (synthetic)",
    )


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    www = tmp_path / "www"
    base = www / EEGBCI_BASE_URL.split("://", 1)[1]
    SERVED.clear()
    for i, subject in enumerate(SUBJECTS):
        for run, closed in (("R01", False), ("R02", True)):
            rel = f"{subject}/{subject}{run}.edf"
            write_run(base / rel, eyes_closed=closed, seed=10 * i + closed)
            SERVED[rel] = hashlib.sha256((base / rel).read_bytes()).hexdigest()
    monkeypatch.setenv("FMBENCH_DATA", str(tmp_path / "cache"))
    monkeypatch.delenv("FMBENCH_OFFLINE", raising=False)
    monkeypatch.chdir(tmp_path)
    with LocalFileServer(www) as server:
        monkeypatch.setenv("FMBENCH_MIRROR", server.url)
        yield {"tmp": tmp_path, "server": server, "cache": tmp_path / "cache", "base": base}


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), obj={})


def listing() -> dict[str, dict[str, Any]]:
    result = invoke("datasets", "list", "--json")
    assert result.exit_code == 0, result.output
    return {row["dataset"]: row for row in json.loads(result.output)["datasets"]}


def test_declaration_uses_mne_published_checksums_for_subjects_1_to_10() -> None:
    spec = next(public_datasets())
    assert spec.name == "DS-EEGBCI-EYES" and spec.license and spec.citation
    assert len(EEGBCI_EYES_SHA256) == 20
    assert sorted({p.split("/")[0] for p in EEGBCI_EYES_SHA256}) == [
        f"S{i:03d}" for i in range(1, 11)
    ]
    assert all(len(h) == 64 and int(h, 16) >= 0 for h in EEGBCI_EYES_SHA256.values())
    assert spec.sources[0].url == "https://physionet.org/files/eegmmidb/1.0.0/S001/S001R01.edf"
    assert spec.sources[0].hash == (
        "sha256:4743b736131a7e147c150e8b37711029b6cda5e356c4b3e8261a03cdcaaf8b0c"
    )
    assert len({s.name for s in spec.sources}) == 20  # file names do not collide in the cache


def test_fetch_prepare_and_benchmark_served_edf_files(
    served: dict[str, Any], register_plugin: Any
) -> None:
    register_plugin(plugin, fmbench_datasets)
    assert listing()["DS-EEGBCI-EYES-TEST"]["status"] == "not cached"
    result = invoke("datasets", "fetch", "DS-EEGBCI-EYES-TEST", "--no-progress")
    assert result.exit_code == 0, result.output
    assert len(served["server"].requests) == 12
    prepared = Path(result.output.strip().split(": ", 1)[1])
    X = np.load(prepared / "X.npy")
    assert X.shape == (6 * 2 * 10, 4, 320) and X.dtype == np.float32
    info = json.loads((prepared / "info.json").read_text())
    assert info["sampling_freq"] == FS and info["ch_names"] == ["FC5", "Cz", "O1", "Oz"]
    assert info["class_names"] == ["eyes_open", "eyes_closed"]
    metadata = (prepared / "metadata.csv").read_text().splitlines()
    assert metadata[0].split(",")[:3] == ["subject_id", "run", "window_start_s"]
    assert metadata[1].startswith("S001,R01,0")
    y = np.load(prepared / "y.npy")
    assert y.tolist() == ([0] * 10 + [1] * 10) * 6
    assert listing()["DS-EEGBCI-EYES-TEST"]["status"] == "cached"

    run = invoke(
        *("run", "--suite", "SUITE-NEURO-EEGBCI", "--dataset", "DS-EEGBCI-EYES-TEST"),
        *("--model", str(CONFIG), "--out", "res", "--no-progress"),
    )
    assert run.exit_code == 0, run.output
    record = yaml.safe_load(Path("res/eval.yaml").read_text())["benchmarks"][0]
    assert record["status"] == "Completed" and record["split"]["n_folds"] == 5
    assert record["metrics"]["AUROC"] > 0.9  # alpha power tells the eye state apart

    edf = served["cache"] / "DS-EEGBCI-EYES-TEST" / "1" / "downloads" / "S003R02.edf"
    edf.write_bytes(edf.read_bytes()[:-100] + bytes(100))
    assert listing()["DS-EEGBCI-EYES-TEST"]["status"] == "corrupted"
    verify = invoke("datasets", "verify", "DS-EEGBCI-EYES-TEST", "--json")
    assert verify.exit_code == 1 and json.loads(verify.output)["corrupted"] == 1


def test_status_of_the_real_declarations_without_their_files(
    served: dict[str, Any], register_plugin: Any
) -> None:
    """not cached -> partly cached (.part) -> corrupted (a wrong file placed by hand)."""
    register_plugin(plugin)
    assert listing()["DS-EEGBCI-EYES"]["status"] == "not cached"
    downloads = served["cache"] / "DS-EEGBCI-EYES" / "1" / "downloads"
    downloads.mkdir(parents=True)
    (downloads / "S001R02.edf.part").write_bytes(b"0" * 1000)
    assert listing()["DS-EEGBCI-EYES"]["status"] == "partly cached"
    (downloads / "S001R01.edf").write_bytes(b"not the PhysioNet file")
    assert listing()["DS-EEGBCI-EYES"]["status"] == "corrupted"
    result = invoke("datasets", "fetch", "DS-EEGBCI-EYES", "--offline")
    assert result.exit_code == 1 and "is corrupted" in result.output
    assert "physionet.org/files/eegmmidb/1.0.0/S001/S001R01.edf" in result.output
    assert served["server"].requests == []


def test_prepare_needs_both_runs_of_each_subject(tmp_path: Path) -> None:
    write_run(tmp_path / "S001R01.edf", eyes_closed=False, seed=0, seconds=4)
    with pytest.raises(DataError, match="S001 lacks run"):
        prepare_eegbci_eyes(tmp_path, tmp_path / "out")
    with pytest.raises(DataError, match="no EEGBCI baseline recordings"):
        prepare_eegbci_eyes(tmp_path / "out", tmp_path / "out2")
