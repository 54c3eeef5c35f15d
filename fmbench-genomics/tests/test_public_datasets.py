"""The declared public datasets, fetched from a local server (FMBENCH_MIRROR), end to end.

The real PBMC 68k file is served from 127.0.0.1 under its public URL's host and path; it goes
through `fmbench datasets fetch` (checksum), the prepare step and `fmbench run --suite` with
the PCA + logistic regression baseline. No network is used.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from fmbench_genomics import plugin
from fmbench_genomics.public import PBMC3K_SOURCE, PBMC68K_SOURCE, public_datasets

from fmbench.cli import cli
from fmbench.testing_http import LocalFileServer

pytest.importorskip("pooch", reason="fetching needs pooch (pip install 'fmbench-core[fetch]')")
pytest.importorskip("anndata", reason="the PBMC files are h5ad (pip install anndata)")

CONFIG = (
    Path(__file__).resolve().parents[1]
    / "fmbench_genomics"
    / "definitions"
    / "models"
    / "expression.yaml"
)
URL_PATH = PBMC68K_SOURCE.url.split("://", 1)[1]


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), obj={})


def listing() -> dict[str, dict[str, Any]]:
    result = invoke("datasets", "list", "--json")
    assert result.exit_code == 0, result.output
    return {row["dataset"]: row for row in json.loads(result.output)["datasets"]}


@pytest.fixture
def served(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, real_h5ad: Path
) -> Iterator[dict[str, Any]]:
    """The real PBMC 68k file at its public path on a local server; the cache in tmp."""
    pbmc = real_h5ad
    www = tmp_path / "www"
    (www / URL_PATH).parent.mkdir(parents=True)
    shutil.copy(pbmc, www / URL_PATH)
    monkeypatch.setenv("FMBENCH_DATA", str(tmp_path / "cache"))
    monkeypatch.delenv("FMBENCH_OFFLINE", raising=False)
    monkeypatch.chdir(tmp_path)
    with LocalFileServer(www) as server:
        monkeypatch.setenv("FMBENCH_MIRROR", server.url)
        yield {"tmp": tmp_path, "server": server, "cache": tmp_path / "cache"}


def test_declarations_name_real_sources_licences_and_citations() -> None:
    specs = {spec.name: spec for spec in public_datasets()}
    for spec in specs.values():
        assert spec.license and spec.citation and spec.homepage and spec.prepare
        for source in spec.sources:
            assert source.url.startswith("https://")
            assert source.hash.startswith("sha256:") and len(source.hash) == 7 + 64
    assert specs["DS-PBMC3K"].sources == (PBMC3K_SOURCE,)
    assert PBMC3K_SOURCE.name == "pbmc3k_processed.h5ad"  # the name scanpy's registry uses
    assert specs["DS-PBMC68K"].sources[0].size == 1772368


def test_fetch_verify_list_and_run_the_real_pbmc_file(
    served: dict[str, Any], register_plugin: Any
) -> None:
    register_plugin(plugin)
    rows = listing()
    assert rows["DS-PBMC68K"]["status"] == "not cached"
    assert rows["DS-PBMC68K"]["kind"] == "public" and rows["DS-PBMC68K"]["size_bytes"] == 1772368
    assert rows["DS-PBMC3K"]["status"] == "not cached"
    assert rows["DS-PBMC3K"]["license"].startswith("CC-BY-4.0")

    result = invoke("datasets", "fetch", "DS-PBMC68K", "--no-progress")
    assert result.exit_code == 0, result.output
    prepared = Path(result.output.strip().split(": ", 1)[1])
    assert (prepared / "pbmc68k_reduced.h5ad").is_file()
    assert served["server"].requests[-1][0] == URL_PATH
    assert listing()["DS-PBMC68K"]["status"] == "cached"
    assert listing()["DS-PBMC3K"]["status"] == "not cached"
    verify = invoke("datasets", "verify", "DS-PBMC68K")
    assert verify.exit_code == 0 and "1 files checked, 0 corrupted" in verify.output

    result = invoke(
        *("run", "--suite", "SUITE-GEN-PBMC68K-PUBLIC", "--model", str(CONFIG)),
        *("--out", "res", "--protocol", "fit_predict", "--no-progress"),
    )
    assert result.exit_code == 0, result.output
    record = yaml.safe_load(Path("res/eval.yaml").read_text())["benchmarks"][0]
    assert record["dataset_id"] == "DS-PBMC68K" and record["status"] == "Completed"
    assert record["data"]["n_samples"] == 700 and record["data"]["sparse"] is True
    f1, chance = record["metrics"]["F1-Score"], record["chance"]["F1-Score"]
    assert f1 > 0.5 and f1 > 8 * chance  # measured 0.656 against chance 0.051
    requests = len(served["server"].requests)

    cached = served["cache"] / "DS-PBMC68K" / "1" / "downloads" / PBMC68K_SOURCE.name
    data = bytearray(cached.read_bytes())
    data[5000] ^= 0xFF
    cached.write_bytes(bytes(data))
    assert listing()["DS-PBMC68K"]["status"] == "corrupted"
    assert invoke("datasets", "verify", "DS-PBMC68K").exit_code == 1
    rerun = invoke(
        *("run", "--suite", "SUITE-GEN-PBMC68K-PUBLIC", "--model", str(CONFIG)),
        *("--out", "res2", "--no-progress"),
    )
    record = yaml.safe_load(Path("res2/eval.yaml").read_text())["benchmarks"][0]
    assert record["status"] != "Completed"
    assert "corrupted" in json.dumps(record) and "fmbench datasets fetch DS-PBMC68K" in str(record)
    assert rerun.exit_code != 0 or record["status"] != "Completed"
    assert len(served["server"].requests) == requests  # a run never downloads by itself

    again = invoke("datasets", "fetch", "DS-PBMC68K", "--no-progress")
    assert again.exit_code == 0, again.output
    assert listing()["DS-PBMC68K"]["status"] == "cached"


def test_a_changed_upstream_file_is_refused(served: dict[str, Any], register_plugin: Any) -> None:
    register_plugin(plugin)
    served_file = served["server"].root / URL_PATH
    served_file.write_bytes(served_file.read_bytes() + b"appended upstream")
    result = invoke("datasets", "fetch", "DS-PBMC68K", "--no-progress")
    assert result.exit_code == 1
    assert "checksum mismatch" in result.output and PBMC68K_SOURCE.hash in result.output
    assert not (served["cache"] / "DS-PBMC68K" / "1" / "downloads" / PBMC68K_SOURCE.name).exists()
    assert listing()["DS-PBMC68K"]["status"] == "not cached"


def test_offline_fetch_says_where_to_put_the_file_by_hand(
    served: dict[str, Any], register_plugin: Any
) -> None:
    register_plugin(plugin)
    result = invoke("datasets", "fetch", "DS-PBMC3K", "--offline")
    assert result.exit_code == 1
    target = served["cache"] / "DS-PBMC3K" / "1" / "downloads" / "pbmc3k_processed.h5ad"
    assert str(target) in result.output and "exampledata.scverse.org/scanpy/pbmc3k.h5ad" in (
        result.output
    )
    assert served["server"].requests == []


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


def test_run_fetch_end_to_end_in_a_subprocess(served: dict[str, Any]) -> None:
    """`fmbench run --fetch` in a fresh process: installed plugins, mirror, cache, run."""
    env = {**os.environ, "FMBENCH_MIRROR": served["server"].url}
    command = [sys.executable, "-m", "fmbench", "run", "--suite", "SUITE-GEN-PBMC68K-PUBLIC"]
    command += ["--model", str(CONFIG), "--out", "res", "--fetch", "--protocol", "fit_predict"]
    done = subprocess.run(
        [*command, "--no-progress"], capture_output=True, text=True, env=env, timeout=300
    )
    if "unknown suite" in done.stderr + done.stdout:
        pytest.skip("fmbench-genomics is not installed (entry point missing)")
    assert done.returncode == 0, done.stderr
    record = yaml.safe_load((served["tmp"] / "res" / "eval.yaml").read_text())["benchmarks"][0]
    assert record["status"] == "Completed" and record["metrics"]["F1-Score"] > 0.5
    assert [r[0] for r in served["server"].requests] == [URL_PATH]
