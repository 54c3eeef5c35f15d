"""DS-PBMC3K-TO-68K: harmonised labels, the joined file, and a run on served files.

The real PBMC 68k file is served from 127.0.0.1 at its public path. The real PBMC 3k file is
not available offline; a file of its layout (``pbmc3k_processed.h5ad``: scaled ``X``, a
log-normalised ``raw``, ``obs["louvain"]``) stands in, made from the 68k cells themselves,
relabelled with PBMC 3k's vocabulary, jittered, with genes the 68k file lacks and without
some it has. Training on it and testing on the real 68k cells is then easy exactly when the
two sides' labels are harmonised consistently: a wrong mapping costs F1.
"""

from __future__ import annotations

import hashlib
import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from fmbench_genomics import plugin
from fmbench_genomics.public import PBMC3K_SOURCE, PBMC68K_SOURCE
from fmbench_genomics.public_transfer import (
    LEFT_OUT,
    PBMC3K_LABELS,
    PBMC68K_LABELS,
    harmonised_label,
    prepare_pbmc_transfer,
    transfer_datasets,
)

import fmbench
from fmbench.cli import cli
from fmbench.errors import DataError
from fmbench.testing_http import LocalFileServer
from fmbench.testing_wheels import local_pip_env, write_wheel

from .conftest import CONFIGS

pytest.importorskip("pooch", reason="fetching needs pooch (pip install 'fmbench[fetch]')")
anndata = pytest.importorskip("anndata", reason="the PBMC files are h5ad (pip install anndata)")

CONFIG = CONFIGS / "expression.yaml"
#: 68k label -> the PBMC 3k label the stand-in file gives those cells.
AS_3K = {
    "CD19+ B": "B cells",
    "CD56+ NK": "NK cells",
    "CD14+ Monocyte": "CD14+ Monocytes",
    "Dendritic": "Dendritic cells",
    "CD4+/CD25 T Reg": "CD4 T cells",
    "CD4+/CD45RO+ Memory": "CD4 T cells",
    "CD4+/CD45RA+/CD25- Naive T": "CD4 T cells",
    "CD8+ Cytotoxic T": "CD8 T cells",
    "CD8+/CD45RA+ Naive Cytotoxic": "CD8 T cells",
    "CD34+": "Megakaryocytes",  # no counterpart on either side: left out
}
SERVED: dict[str, str] = {}


def read_h5ad(path: Path) -> Any:
    """anndata.read_h5ad without the notices about the 68k file's old layout."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return anndata.read_h5ad(path)


def write_stand_in_3k(real_68k: Path, target: Path) -> None:
    """A pbmc3k_processed-like file built from the 68k cells (see module docstring)."""
    import pandas as pd
    import scipy.sparse as sp

    rng = np.random.default_rng(0)
    source = read_h5ad(real_68k)
    raw = source.raw.to_adata()
    genes = [str(g) for g in raw.var_names]
    kept = genes[15:]  # the first 15 genes of the 68k file are missing from "3k"
    values = np.asarray(raw[:, kept].X.todense() if sp.issparse(raw.X) else raw[:, kept].X)
    values = values * rng.uniform(0.9, 1.1, values.shape)
    extra = rng.poisson(0.3, (values.shape[0], 40)).astype(np.float32)  # genes only "3k" has
    labels = [AS_3K[str(v)] for v in source.obs["bulk_labels"]]
    monocytes = [i for i, label in enumerate(labels) if label == "CD14+ Monocytes"][:20]
    rows = list(range(values.shape[0])) + monocytes
    labels = labels + ["FCGR3A+ Monocytes"] * len(monocytes)
    matrix = np.hstack([extra, values])[rows].astype(np.float32)
    obs = pd.DataFrame(
        {"louvain": pd.Categorical(labels), "n_counts": rng.uniform(800, 5000, len(rows))},
        index=[f"AAAC{i:05d}-1" for i in range(len(rows))],
    )
    var = pd.DataFrame(index=[f"EXTRA{j}" for j in range(40)] + kept)
    full = anndata.AnnData(X=sp.csr_matrix(matrix), obs=obs, var=var)
    scaled = anndata.AnnData(X=rng.normal(size=(len(rows), 30)).astype(np.float32), obs=obs)
    scaled.raw = full
    scaled.obsm["X_pca"] = rng.normal(size=(len(rows), 5))
    target.parent.mkdir(parents=True, exist_ok=True)
    scaled.write_h5ad(target)


@fmbench.hookimpl
def fmbench_datasets() -> Iterator[fmbench.DatasetSpec]:
    spec = next(transfer_datasets())
    stand_in = fmbench.Source(
        url=PBMC3K_SOURCE.url, hash=SERVED["3k"], filename=PBMC3K_SOURCE.filename
    )
    yield fmbench.DatasetSpec(
        name="DS-PBMC-TRANSFER-TEST",
        summary="a PBMC 3k stand-in (from the 68k cells) and the real PBMC 68k file",
        modality="single_cell",
        load=spec.load,
        options=spec.options,
        # the 68k file from a wheel the test writes (not PyPI's file, so no wheel hash)
        sources=[stand_in, attrs.evolve(PBMC68K_SOURCE, wheel_sha256=None)],
        prepare=spec.prepare,
        license="BSD-3-Clause (scanpy); data: 10x Genomics",
    )


@pytest.fixture
def served(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, real_h5ad: Path
) -> Iterator[dict[str, Any]]:
    www = tmp_path / "www"
    assert PBMC3K_SOURCE.url is not None and PBMC68K_SOURCE.member is not None
    (www / PBMC3K_SOURCE.url.split("://", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
    house = tmp_path / "wheels"  # PBMC 68k comes from a wheel (of the test's making)
    write_wheel(house, "scanpy", "1.11.5", {PBMC68K_SOURCE.member: real_h5ad.read_bytes()})
    for key, value in local_pip_env(house).items():
        monkeypatch.setenv(key, value)
    stand_in = www / PBMC3K_SOURCE.url.split("://", 1)[1]
    write_stand_in_3k(real_h5ad, stand_in)
    SERVED["3k"] = hashlib.sha256(stand_in.read_bytes()).hexdigest()
    monkeypatch.setenv("FMBENCH_DATA", str(tmp_path / "cache"))
    monkeypatch.delenv("FMBENCH_OFFLINE", raising=False)
    monkeypatch.chdir(tmp_path)
    with LocalFileServer(www) as server:
        monkeypatch.setenv("FMBENCH_MIRROR", server.url)
        yield {"tmp": tmp_path, "server": server, "real_68k": real_h5ad}


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), obj={})


def test_every_label_of_either_file_is_mapped_or_left_out_on_purpose() -> None:
    assert set(PBMC3K_LABELS.values()) == set(PBMC68K_LABELS.values())
    assert len(set(PBMC3K_LABELS.values())) == 6
    assert harmonised_label("CD8+/CD45RA+ Naive Cytotoxic", "pbmc68k") == "CD8 T cells"
    assert harmonised_label("Megakaryocytes", "pbmc3k") is None
    assert LEFT_OUT["pbmc68k"] == ("CD34+",)
    with pytest.raises(DataError, match="unknown cell-type label 'T cells'"):
        harmonised_label("T cells", "pbmc3k")


def test_declaration_reuses_the_published_pbmc_checksums() -> None:
    spec = next(transfer_datasets())
    assert spec.name == "DS-PBMC3K-TO-68K" and spec.license and spec.citation
    assert spec.sources == (PBMC3K_SOURCE, PBMC68K_SOURCE)
    assert dict(spec.options) == {"label_key": "cell_type", "split_key": "split"}


def test_fetch_prepare_and_transfer_labels_onto_the_real_68k_cells(
    served: dict[str, Any], register_plugin: Any
) -> None:
    from fmbench_genomics.expression import load_h5ad

    register_plugin(plugin, fmbench_datasets)
    result = invoke("datasets", "fetch", "DS-PBMC-TRANSFER-TEST", "--no-progress")
    assert result.exit_code == 0, result.output
    prepared = Path(result.output.strip().split(": ", 1)[1])
    joined = anndata.read_h5ad(prepared / "pbmc3k_to_68k.h5ad")
    real = read_h5ad(served["real_68k"])
    assert list(joined.var_names) == [str(g) for g in real.raw.var_names][15:]
    sides = joined.obs["split"].value_counts().to_dict()
    assert sides == {"train": 700 - 13, "test": 700 - 13}  # CD34+, megakaryocytes, FCGR3A+ out
    test = joined.obs[joined.obs["split"] == "test"]
    assert sorted(set(test["cell_type"])) == sorted(set(PBMC68K_LABELS.values()))
    assert (test["source_label"] == "CD4+/CD45RO+ Memory").sum() == 19
    dataset = load_h5ad(prepared, label_key="cell_type", split_key="split")
    assert dataset.split is not None and "split" not in dataset.metadata
    assert dataset.info["n_classes"] == 6

    run = invoke(
        *("run", "--suite", "SUITE-GEN-PBMC-TRANSFER", "--dataset", "DS-PBMC-TRANSFER-TEST"),
        *("--model", str(CONFIG), "--out", "res", "--no-progress"),
        *("--protocol", "fit_predict"),  # PCA + logistic regression; today's probe takes 75 s
    )
    assert run.exit_code == 0, run.output
    record = yaml.safe_load(Path("res/eval.yaml").read_text())["benchmarks"][0]
    assert record["status"] == "Completed" and record["data"]["n_samples"] == 2 * 687
    assert record["split"]["n_folds"] == 1
    assert record["metrics"]["F1-Score"] > 0.8  # the same cells, consistently relabelled


def test_prepare_refuses_a_file_with_a_label_it_does_not_know(
    tmp_path: Path, real_h5ad: Path
) -> None:
    write_stand_in_3k(real_h5ad, tmp_path / PBMC3K_SOURCE.name)
    shutil.copy(real_h5ad, tmp_path / PBMC68K_SOURCE.name)
    prepare_pbmc_transfer(tmp_path, tmp_path / "ok")
    adata = anndata.read_h5ad(tmp_path / PBMC3K_SOURCE.name)
    adata.obs["louvain"] = adata.obs["louvain"].cat.rename_categories({"NK cells": "NK"})
    adata.write_h5ad(tmp_path / PBMC3K_SOURCE.name)
    with pytest.raises(DataError, match="pbmc3k: unknown cell-type label 'NK'"):
        prepare_pbmc_transfer(tmp_path, tmp_path / "out")


def test_load_h5ad_split_key_errors(tmp_path: Path, real_h5ad: Path) -> None:
    from fmbench_genomics.expression import load_h5ad

    with pytest.raises(DataError, match="obs has no split column 'split'"):
        load_h5ad(real_h5ad, label_key="bulk_labels", split_key="split")
    with pytest.raises(DataError, match="split column 'phase' holds 'g1'"):
        load_h5ad(real_h5ad, label_key="bulk_labels", split_key="phase")
