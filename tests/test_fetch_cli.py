"""`datasets list|fetch|verify`, `download-weights` and `run --fetch`, against a local server."""

from __future__ import annotations

import csv
import hashlib
import importlib
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from fmbench.cli import cli
from fmbench.plugin_system.registry import build_registry
from fmbench.testing_http import LocalFileServer

pytest.importorskip("pooch", reason="fetching needs pooch (pip install 'fmbench-core[fetch]')")

URL = "https://data.example.org/cohort/v1/cohort.tar.gz"

PLUGIN = '''
"""A plugin declaring a public dataset: a tar.gz with a CSV, prepared into an array folder."""
import csv
from pathlib import Path

import numpy as np

import fmbench
from fmbench.data.toy_files import write_array_dataset


def prepare(raw: Path, out: Path) -> None:
    with open(raw / "cohort" / "cohort" / "table.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    features = [k for k in rows[0] if k.startswith("f")]
    X = np.array([[float(r[k]) for k in features] for r in rows], dtype=np.float32)
    y = np.array([int(r["label"]) for r in rows])
    meta = {k: [r[k] for r in rows] for k in ("subject_id", "site")}
    meta["age"] = [float(r["age"]) for r in rows]
    write_array_dataset(out, X=X, y=y, metadata=meta, info={"modality": "fmri"})


@fmbench.hookimpl
def fmbench_datasets():
    yield fmbench.DatasetSpec(
        name="DS-COHORT",
        summary="a public cohort (test declaration)",
        modality="fmri",
        load="fmbench.data.dataset:load_array_folder",
        sources=[{"url": "%(url)s", "hash": "%(sha256)s", "size": %(size)d, "extract": "tar"}],
        prepare="fetchplug:prepare",
        license="CC-BY-4.0",
        citation="Test et al. (2026)",
    )
'''


def write_cohort(folder: Path) -> Path:
    """A tar.gz with table.csv: 120 subjects, 12 features, label from the first ten."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 12))
    y = (X[:, :10].sum(axis=1) > 0).astype(int)
    staging = folder / "staging" / "cohort"
    staging.mkdir(parents=True)
    with open(staging / "table.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["subject_id", "site", "age", "label", *[f"f{i}" for i in range(12)]])
        for i in range(120):
            row = [f"s{i:03d}", f"site{i % 3}", 20 + i % 60, int(y[i]), *X[i].round(6)]
            writer.writerow(row)
    archive = folder / "cohort.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(staging, arcname="cohort")
    return archive


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The archive served on 127.0.0.1, a plugin declaring it, the cache in tmp."""
    archive = write_cohort(tmp_path)
    www = tmp_path / "www"
    target = www / URL.split("://", 1)[1]
    target.parent.mkdir(parents=True)
    target.write_bytes(archive.read_bytes())
    site = tmp_path / "site"
    site.mkdir()
    data = archive.read_bytes()
    (site / "fetchplug.py").write_text(
        PLUGIN % {"url": URL, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    )
    dist = site / "fetchplug-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: fetchplug\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[fmbench]\nfetchplug = fetchplug\n")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("FMBENCH_DATA", str(tmp_path / "cache"))
    monkeypatch.delenv("FMBENCH_OFFLINE", raising=False)
    monkeypatch.chdir(tmp_path)
    module = importlib.import_module("fetchplug")
    registry = build_registry(external=False, extra_modules=[module])
    monkeypatch.setattr(
        "fmbench.plugin_system.registry.get_registry", lambda external=None: registry
    )
    with LocalFileServer(www) as server:
        monkeypatch.setenv("FMBENCH_MIRROR", server.url)
        yield {"tmp": tmp_path, "server": server, "site": site, "cache": tmp_path / "cache"}
    sys.modules.pop("fetchplug", None)


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), obj={}, catch_exceptions=False)


def listing() -> dict[str, dict]:
    result = invoke("datasets", "list", "--json")
    assert result.exit_code == 0, result.output
    return {row["dataset"]: row for row in json.loads(result.output)["datasets"]}


def test_list_fetch_verify(setup):
    rows = listing()
    assert rows["DS-COHORT"]["status"] == "not cached"
    assert rows["DS-COHORT"]["kind"] == "public"
    assert rows["DS-COHORT"]["license"] == "CC-BY-4.0"
    assert rows["DS-TOY-FMRI-CLASS"]["kind"] == "toy"
    assert rows["DS-TOY-FMRI-CLASS"]["status"] == "toy not generated"
    assert "array-folder" not in rows  # format readers are not datasets to fetch

    result = invoke("datasets", "fetch", "DS-COHORT", "--no-progress")
    assert result.exit_code == 0, result.output
    prepared = Path(result.output.split(": ", 1)[1].strip())
    assert (prepared / "X.npy").is_file() and np.load(prepared / "X.npy").shape == (120, 12)
    assert listing()["DS-COHORT"]["status"] == "cached"

    table = invoke("datasets", "list").output
    assert "DS-COHORT" in table and "cached" in table and "CC-BY-4.0" in table

    result = invoke("datasets", "verify")
    assert result.exit_code == 0 and "1 files checked, 0 corrupted" in result.output

    archive = setup["cache"] / "DS-COHORT" / "1" / "downloads" / "cohort.tar.gz"
    archive.write_bytes(archive.read_bytes()[:-10] + b"0123456789")
    assert listing()["DS-COHORT"]["status"] == "corrupted"
    result = invoke("datasets", "verify", "--json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["corrupted"] == 1 and report["files"][0]["state"] == "corrupted"


def test_verify_notices_a_changed_file_with_the_same_size_and_time(setup):
    invoke("datasets", "fetch", "DS-COHORT", "--no-progress")
    archive = setup["cache"] / "DS-COHORT" / "1" / "downloads" / "cohort.tar.gz"
    info = archive.stat()
    data = bytearray(archive.read_bytes())
    data[100] ^= 0xFF
    archive.write_bytes(bytes(data))
    os.utime(archive, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert listing()["DS-COHORT"]["status"] == "cached"  # list trusts the recorded stamp
    assert invoke("datasets", "verify").exit_code == 1  # verify re-hashes


def test_fetch_offline_and_unknown(setup):
    result = CliRunner().invoke(cli, ["datasets", "fetch", "DS-COHORT", "--offline"], obj={})
    assert result.exit_code == 1
    assert "offline" in result.output and URL.split("://")[1] in result.output
    assert setup["server"].requests == []
    result = CliRunner().invoke(cli, ["datasets", "fetch", "DS-TOY-FMRI-CLASS"], obj={})
    assert result.exit_code == 1 and "generate-toy-data" in result.output
    result = CliRunner().invoke(cli, ["datasets", "fetch", "DS-NOPE"], obj={})
    assert result.exit_code == 2 and "unknown dataset" in result.output


def test_run_without_fetch_says_how(setup, model_dir):
    result = CliRunner().invoke(
        cli,
        [
            *("run", "--suite", "SUITE-TOY-CLASS", "--dataset", "DS-COHORT"),
            *("--model", "good.yaml", "--out", "r", "--no-progress"),
        ],
        obj={},
    )
    assert result.exit_code == 1
    assert "fmbench datasets fetch DS-COHORT" in result.output


def test_download_weights_cli(setup):
    payload = b"weights" * 1000
    url = "https://models.example.org/m.safetensors"
    target = setup["server"].root / url.split("://")[1]
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(payload)
    digest = hashlib.sha256(payload).hexdigest()
    config = setup["tmp"] / "model.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "model_id": "m",
                "type": "python_class",
                "weights_url": url,
                "weights_sha256": digest,
            }
        )
    )
    result = invoke("download-weights", "--model", str(config), "--no-progress")
    assert result.exit_code == 0
    path = Path(result.stdout.strip())
    assert path == setup["cache"] / "weights" / digest[:16] / "m.safetensors"
    assert path.read_bytes() == payload
    bad = CliRunner().invoke(cli, ["download-weights", "--url", url], obj={})
    assert bad.exit_code == 2 and "--sha256" in bad.output


def test_run_fetch_end_to_end_in_a_subprocess(setup, model_dir):
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(setup["site"]), str(model_dir)]),
    }
    command = [sys.executable, "-m", "fmbench", "run", "--suite", "SUITE-TOY-CLASS"]
    command += ["--dataset", "DS-COHORT", "--model", "good.yaml", "--out", "res", "--fetch"]
    done = subprocess.run(
        [*command, "--no-progress"], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    evaluation = yaml.safe_load((model_dir / "res" / "eval.yaml").read_text())
    record = evaluation["benchmarks"][0]
    assert record["dataset_id"] == "DS-COHORT" and record["status"] == "Completed"
    assert record["data"]["n_test"] == 120
    # the Good model reads the first ten features, which decide the label here
    assert record["primary_metric"]["value"] > 0.95
    assert [r[0] for r in setup["server"].requests] == [URL.split("://", 1)[1]]
    # a second run uses the cache: no new request
    subprocess.run(
        [*command[:-2], "res2", "--no-progress"], check=True, env=env, capture_output=True
    )
    assert len(setup["server"].requests) == 1


def test_datasets_list_stays_light(tmp_path: Path):
    code = (
        "import sys\nfrom fmbench.cli import main\n"
        "try:\n    main(['datasets', 'list'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('numpy', 'sklearn', 'requests', 'anndata', 'mne') "
        "if m in sys.modules]\nprint('HEAVY', heavy)\n"
    )
    env = {**os.environ, "FMBENCH_DATA": str(tmp_path), "FMBENCH_NO_PLUGINS": "1"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert "HEAVY []" in done.stdout, done.stdout + done.stderr
