"""The declared public datasets, fetched, verified, prepared and run with no network.

``DS-PBMC68K`` is a member of the scanpy 1.11.5 wheel: with the real wheel (``make
wheel-data``; the ``data_wheels`` fixture points pip at that folder with ``PIP_NO_INDEX=1``)
it goes through `fmbench datasets fetch` (pip, member and wheel checksums), the prepare step
and `fmbench run --suite` with the PCA + logistic regression baseline, in process and in a
subprocess. Without the wheels those tests skip; the real file from ``shared/data/real``
placed in the cache by hand still runs the offline path, and a forged wheel of the same name
and version is refused by pip's hash check.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from fmbench_genomics import plugin
from fmbench_genomics.public import PBMC3K_SOURCE, PBMC68K_SOURCE, public_datasets

from fmbench.cli import cli
from fmbench.data import fetch
from fmbench.testing_wheels import local_pip_env, write_wheel

from .conftest import CONFIGS

pytest.importorskip("anndata", reason="the PBMC files are h5ad (pip install anndata)")

CONFIG = CONFIGS / "expression.yaml"
DOWNLOADS = Path("DS-PBMC68K") / "1" / "downloads"


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), obj={})


def listing() -> dict[str, dict[str, Any]]:
    result = invoke("datasets", "list", "--json")
    assert result.exit_code == 0, result.output
    return {row["dataset"]: row for row in json.loads(result.output)["datasets"]}


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The fmbench cache in tmp, the test in tmp; pip must not run unless a test allows it."""
    monkeypatch.setenv("FMBENCH_DATA", str(tmp_path / "cache"))
    monkeypatch.delenv("FMBENCH_OFFLINE", raising=False)
    monkeypatch.delenv("FMBENCH_MIRROR", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path / "cache"


def no_pip(*args: object, **kwargs: object) -> None:
    raise AssertionError("pip must not run here")


def test_declarations_name_real_sources_licences_and_citations() -> None:
    specs = {spec.name: spec for spec in public_datasets()}
    for spec in specs.values():
        assert spec.license and spec.citation and spec.homepage and spec.prepare
        assert spec.data_kind == "real"
        for source in spec.sources:
            if source.wheel is not None:
                assert source.wheel_sha256 is not None and source.member is not None
            else:
                assert source.url is not None and source.url.startswith("https://")
            assert source.hash.startswith("sha256:") and len(source.hash) == 7 + 64
    assert specs["DS-PBMC3K"].sources == (PBMC3K_SOURCE,)
    assert PBMC3K_SOURCE.name == "pbmc3k_processed.h5ad"  # the name scanpy's registry uses
    assert specs["DS-PBMC68K"].sources == (PBMC68K_SOURCE,)
    assert PBMC68K_SOURCE.wheel == "scanpy==1.11.5" and PBMC68K_SOURCE.size == 1772368
    assert PBMC68K_SOURCE.name == "10x_pbmc68k_reduced.h5ad"


def run_pbmc_suite(out: str, *extra: str) -> dict[str, Any]:
    result = invoke(
        *("run", "--suite", "SUITE-GEN-PBMC68K-PUBLIC", "--model", str(CONFIG)),
        *("--out", out, "--no-progress", *extra),
    )
    record: dict[str, Any] = yaml.safe_load(Path(out, "eval.yaml").read_text())["benchmarks"][0]
    record["exit_code"] = result.exit_code
    return record


def test_fetch_verify_list_and_run_the_real_pbmc_wheel(
    data_wheels: Any, register_plugin: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_wheels("scanpy==1.11.5")
    monkeypatch.chdir(tmp_path)
    register_plugin(plugin)
    rows = listing()
    assert rows["DS-PBMC68K"]["status"] == "not cached"
    assert rows["DS-PBMC68K"]["kind"] == "public" and rows["DS-PBMC68K"]["size_bytes"] == 1772368
    assert rows["DS-PBMC3K"]["license"].startswith("CC-BY-4.0")

    result = invoke("datasets", "fetch", "DS-PBMC68K", "--no-progress")
    assert result.exit_code == 0, result.output
    prepared = Path(result.output.strip().split(": ", 1)[1])
    assert (prepared / "pbmc68k_reduced.h5ad").is_file()
    cache = Path(os.environ["FMBENCH_DATA"])
    assert [p.name for p in (cache / "wheels" / "scanpy-1.11.5").glob("*.whl")] == [
        "scanpy-1.11.5-py3-none-any.whl"
    ]
    assert listing()["DS-PBMC68K"]["status"] == "cached"
    verify = invoke("datasets", "verify", "DS-PBMC68K")
    assert verify.exit_code == 0 and "1 files checked, 0 corrupted" in verify.output

    monkeypatch.setattr(fetch, "download_wheel", no_pip)  # a run never downloads
    record = run_pbmc_suite("res", "--protocol", "fit_predict")
    assert record["exit_code"] == 0
    assert record["dataset_id"] == "DS-PBMC68K" and record["status"] == "Completed"
    assert record["data"]["n_samples"] == 700 and record["data"]["sparse"] is True
    f1, chance = record["metrics"]["F1-Score"], record["chance"]["F1-Score"]
    assert f1 > 0.5 and f1 > 8 * chance  # measured 0.656 against chance 0.051


def test_a_file_placed_by_hand_is_verified_prepared_and_run_offline(
    cache: Path, register_plugin: Any, real_h5ad: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real file from shared/data/real put where the cache expects it: no pip at all."""
    register_plugin(plugin)
    monkeypatch.setattr(fetch, "download_wheel", no_pip)
    offline = invoke("datasets", "fetch", "DS-PBMC68K", "--offline")
    assert offline.exit_code == 1 and "offline:" in offline.output
    assert "scanpy==1.11.5" in offline.output and "PIP_FIND_LINKS" in offline.output
    assert str(cache / DOWNLOADS / PBMC68K_SOURCE.name) in offline.output

    (cache / DOWNLOADS).mkdir(parents=True)
    shutil.copy(real_h5ad, cache / DOWNLOADS / PBMC68K_SOURCE.name)
    result = invoke("datasets", "fetch", "DS-PBMC68K", "--offline", "--no-progress")
    assert result.exit_code == 0, result.output
    assert listing()["DS-PBMC68K"]["status"] == "cached"
    record = run_pbmc_suite("res", "--protocol", "fit_predict")
    assert record["status"] == "Completed" and record["metrics"]["F1-Score"] > 0.5

    cached = cache / DOWNLOADS / PBMC68K_SOURCE.name
    data = bytearray(cached.read_bytes())
    data[5000] ^= 0xFF
    cached.write_bytes(bytes(data))
    assert listing()["DS-PBMC68K"]["status"] == "corrupted"
    assert invoke("datasets", "verify", "DS-PBMC68K").exit_code == 1
    record = run_pbmc_suite("res2")
    assert record["status"] != "Completed"
    assert "corrupted" in json.dumps(record) and "fmbench datasets fetch DS-PBMC68K" in str(record)


def test_a_forged_wheel_of_the_same_release_is_refused(
    cache: Path, register_plugin: Any, real_h5ad: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wheel named scanpy 1.11.5 that is not PyPI's file: pip's --require-hashes stops it."""
    register_plugin(plugin)
    house = cache.parent / "forged"
    write_wheel(house, "scanpy", "1.11.5", {PBMC68K_SOURCE.member: real_h5ad.read_bytes()})
    for key, value in local_pip_env(house).items():
        monkeypatch.setenv(key, value)
    result = invoke("datasets", "fetch", "DS-PBMC68K", "--no-progress")
    assert result.exit_code == 1
    assert "pip download scanpy==1.11.5` failed" in result.output
    assert "HASHES" in result.output.upper()
    assert not (cache / DOWNLOADS / PBMC68K_SOURCE.name).exists()
    assert listing()["DS-PBMC68K"]["status"] == "not cached"


def test_offline_fetch_says_where_to_put_the_file_by_hand(
    cache: Path, register_plugin: Any
) -> None:
    register_plugin(plugin)
    result = invoke("datasets", "fetch", "DS-PBMC3K", "--offline")
    assert result.exit_code == 1
    target = cache / "DS-PBMC3K" / "1" / "downloads" / "pbmc3k_processed.h5ad"
    assert str(target) in result.output and "exampledata.scverse.org/scanpy/pbmc3k.h5ad" in (
        result.output
    )


def test_prepare_pbmc3k_keeps_louvain_and_raw_and_drops_fitted_embeddings(
    tmp_path: Path,
) -> None:
    """The real PBMC 3k file is not available offline: a file of its layout stands in."""
    anndata = pytest.importorskip("anndata")
    import numpy as np
    import pandas as pd
    import scipy.sparse as sp
    from fmbench_genomics.expression import load_h5ad
    from fmbench_genomics.public import prepare_pbmc3k

    rng = np.random.default_rng(0)
    n_cells, n_genes = 60, 30
    counts = sp.random(n_cells, n_genes, density=0.3, random_state=0, format="csr") * 20
    logn = counts.copy()
    logn.data = np.log1p(logn.data).astype(np.float32)
    obs = pd.DataFrame(
        {
            "n_genes": rng.integers(200, 900, n_cells),
            "percent_mito": rng.random(n_cells),
            "n_counts": rng.integers(800, 5000, n_cells).astype(np.float32),
            "louvain": pd.Categorical(rng.choice(["CD4 T cells", "B cells", "NK cells"], n_cells)),
        },
        index=[f"cell{i}" for i in range(n_cells)],
    )
    var = pd.DataFrame(index=[f"gene{j}" for j in range(n_genes)])
    full = anndata.AnnData(X=logn.copy(), obs=obs, var=var)
    full.raw = full
    scaled = anndata.AnnData(X=rng.normal(size=(n_cells, 10)).astype(np.float32), obs=obs)
    scaled.raw = full.raw.to_adata()
    scaled.obsm["X_pca"] = rng.normal(size=(n_cells, 5))
    scaled.uns["louvain_colors"] = np.array(["#1f77b4", "#ff7f0e", "#279e68"])
    raw_dir = tmp_path / "downloads"
    raw_dir.mkdir()
    scaled.write_h5ad(raw_dir / PBMC3K_SOURCE.name)

    prepare_pbmc3k(raw_dir, tmp_path / "prepared")
    out = anndata.read_h5ad(tmp_path / "prepared" / "pbmc3k.h5ad")
    assert len(out.obsm) == 0 and len(out.uns) == 0
    assert out.raw is not None and out.raw.shape == (n_cells, n_genes)
    dataset = load_h5ad(tmp_path / "prepared", label_key="louvain", layer="raw")
    assert dataset.X.shape == (n_cells, n_genes)
    assert sorted(dataset.info["class_names"]) == ["B cells", "CD4 T cells", "NK cells"]
    np.testing.assert_allclose(dataset.X.toarray(), logn.toarray(), rtol=1e-6)


def test_prepare_refuses_a_file_without_the_label_column(tmp_path: Path) -> None:
    anndata = pytest.importorskip("anndata")
    import numpy as np
    from fmbench_genomics.public import prepare_pbmc3k

    from fmbench.errors import DataError

    (tmp_path / "raw").mkdir()
    anndata.AnnData(X=np.ones((3, 2), dtype=np.float32)).write_h5ad(
        tmp_path / "raw" / PBMC3K_SOURCE.name
    )
    with pytest.raises(DataError, match="no label column 'louvain'"):
        prepare_pbmc3k(tmp_path / "raw", tmp_path / "out")


def test_run_fetch_end_to_end_in_a_subprocess(
    data_wheels: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`fmbench run --fetch` in a fresh process: installed plugins, pip on the wheel folder."""
    data_wheels("scanpy==1.11.5")
    monkeypatch.chdir(tmp_path)
    command = [sys.executable, "-m", "fmbench", "run", "--suite", "SUITE-GEN-PBMC68K-PUBLIC"]
    command += ["--model", str(CONFIG), "--out", "res", "--fetch", "--protocol", "fit_predict"]
    done = subprocess.run(
        [*command, "--no-progress"],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=300,
    )
    if "unknown suite" in done.stderr + done.stdout:
        pytest.skip("fmbench-genomics is not installed (entry point missing)")
    assert done.returncode == 0, done.stderr
    record = yaml.safe_load((tmp_path / "res" / "eval.yaml").read_text())["benchmarks"][0]
    assert record["status"] == "Completed" and record["metrics"]["F1-Score"] > 0.5
    cache = Path(os.environ["FMBENCH_DATA"])
    assert (cache / DOWNLOADS / PBMC68K_SOURCE.name).is_file()
