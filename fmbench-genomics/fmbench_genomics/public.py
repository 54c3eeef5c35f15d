"""Public single-cell datasets that ``fmbench datasets fetch`` downloads, verifies and prepares.

Each record names its files by URL with the checksum its upstream publishes, so a download
that differs from the published file is refused:

- ``DS-PBMC3K``: 10x Genomics' 3k PBMCs as processed in the scanpy tutorial
  (``pbmc3k_processed.h5ad``), served by scverse; sha256 from scanpy's
  ``src/scanpy/datasets/registry.yaml``. Labels: the 8 Louvain cell types (``louvain``).
- ``DS-PBMC68K``: 10x Genomics' PBMC 68k, reduced to 700 cells x 765 genes, as shipped in
  the scanpy repository at tag 1.11.5; sha256 of the file in the scanpy 1.11.5 wheel.
  Labels: the 10 ``bulk_labels`` cell types. (``DS-PBMC68K-REDUCED`` reads a local copy of
  the same file and never downloads.)

The prepare step rewrites the h5ad in the current AnnData layout with the expression
matrices (``X`` and ``raw``), the per-cell annotations and the gene table only. scanpy's
precomputed PCA, UMAP and neighbour graph (``obsm``, ``obsp``, ``uns``, ``varm``) are
dropped: they were fitted on all cells, test cells included. Benchmarks read ``raw`` (the
log-normalised counts, normalised cell by cell) for the same reason: the scaled ``X`` of
PBMC 3k was standardised with statistics of all cells.

Example:
    >>> from fmbench_genomics.public import public_datasets
    >>> sorted(spec.name for spec in public_datasets())
    ['DS-PBMC3K', 'DS-PBMC3K-TO-68K', 'DS-PBMC68K']
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fmbench.errors import DataError
from fmbench.specs import DatasetSpec, Source

__all__ = [
    "PBMC3K_SOURCE",
    "PBMC68K_SOURCE",
    "prepare_pbmc3k",
    "prepare_pbmc68k",
    "public_datasets",
    "rewrite_h5ad",
]

#: scanpy's ``pbmc3k_processed`` entry (registry.yaml): URL, fallback and sha256 as published.
PBMC3K_SOURCE = Source(
    url="https://exampledata.scverse.org/scanpy/pbmc3k.h5ad",
    hash="0db367b991dd95809732b218539ede489bea99113807f62ebd7ccc970025fe38",
    filename="pbmc3k_processed.h5ad",
    mirrors=(
        "https://raw.githubusercontent.com/chanzuckerberg/cellxgene/main/"
        "example-dataset/pbmc3k.h5ad",
    ),
)

#: The reduced PBMC 68k file of scanpy 1.11.5. Its sha256 is the one the scanpy==1.11.5 wheel
#: publishes for it in its RECORD (``scanpy/datasets/10x_pbmc68k_reduced.h5ad,sha256=5x1B5zfJ
#: QVWbfFfJJDvbPSyInCrf3wDjQirGtGeDZ28,1772368``, urlsafe base64 of the hex digest below).
PBMC68K_SOURCE = Source(
    url="https://raw.githubusercontent.com/scverse/scanpy/1.11.5/src/scanpy/datasets/"
    "10x_pbmc68k_reduced.h5ad",
    hash="e71d41e737c941559b7c57c9243bdb3d2c889c2adfdf00e3422ac6b46783676f",
    size=1772368,
)

_LOAD = "fmbench_genomics.expression:load_h5ad"
_10X_CITATION = (
    "Zheng et al. (2017), Massively parallel digital transcriptional profiling of single "
    "cells, Nat. Commun. 8:14049"
)
_SCANPY_CITATION = "Wolf, Angerer & Theis (2018), SCANPY, Genome Biol. 19:15"


def public_datasets() -> Iterator[DatasetSpec]:
    """The public single-cell datasets of fmbench-genomics (declared, not downloaded)."""
    from fmbench_genomics.public_transfer import transfer_datasets

    yield DatasetSpec(
        name="DS-PBMC3K",
        summary="10x PBMC 3k (scanpy tutorial, processed): 2,638 cells, 8 Louvain cell types",
        modality="single_cell",
        load=_LOAD,
        options={"label_key": "louvain", "layer": "raw"},
        sources=[PBMC3K_SOURCE],
        prepare="fmbench_genomics.public:prepare_pbmc3k",
        license="CC-BY-4.0 (10x Genomics public dataset)",
        citation=f"10x Genomics, 3k PBMCs from a healthy donor (2016); {_SCANPY_CITATION}",
        homepage="https://scanpy.readthedocs.io/en/stable/generated/scanpy.datasets.pbmc3k_processed.html",
    )
    yield DatasetSpec(
        name="DS-PBMC68K",
        summary="10x PBMC 68k reduced (scanpy 1.11.5): 700 cells x 765 genes, 10 cell types",
        modality="single_cell",
        load=_LOAD,
        options={"label_key": "bulk_labels", "layer": "raw"},
        sources=[PBMC68K_SOURCE],
        prepare="fmbench_genomics.public:prepare_pbmc68k",
        license="BSD-3-Clause (scanpy); data: 10x Genomics",
        citation=f"{_10X_CITATION}; {_SCANPY_CITATION}",
        homepage="https://github.com/scverse/scanpy/tree/1.11.5/src/scanpy/datasets",
    )
    yield from transfer_datasets()  # PBMC 3k -> 68k label transfer (public_transfer.py)


def rewrite_h5ad(source: Path, target: Path, *, label_key: str, need_raw: bool = True) -> None:
    """Write ``source`` to ``target`` with matrices, cell annotations and genes only.

    Raises:
        DataError: the file cannot be read, has no ``label_key`` column, or no raw matrix.
    """
    try:
        import anndata
    except ImportError:
        raise DataError(
            f"{source.name}: preparing it needs anndata; pip install 'fmbench-genomics[h5ad]'"
        ) from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # old layouts load with notices; data are intact
            adata = anndata.read_h5ad(source)
    except Exception as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"{source}: not a readable .h5ad file ({first})") from None
    if label_key not in adata.obs.columns:
        raise DataError(
            f"{source}: obs has no label column {label_key!r} (columns: "
            f"{', '.join(map(str, adata.obs.columns))}); the upstream file changed"
        )
    if need_raw and adata.raw is None:
        raise DataError(f"{source}: no raw (log-normalised) matrix; the upstream file changed")
    kept: dict[str, Any] = {"X": adata.X, "obs": adata.obs.copy(), "var": adata.var.copy()}
    slim = anndata.AnnData(**kept)
    if adata.raw is not None:
        slim.raw = adata.raw.to_adata()
    target.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # anndata's notices about string conversions
        slim.write_h5ad(target, compression="gzip")


def prepare_pbmc3k(raw_dir: Path, out_dir: Path) -> None:
    """The prepare step of ``DS-PBMC3K``: ``pbmc3k_processed.h5ad`` -> ``pbmc3k.h5ad``."""
    rewrite_h5ad(
        Path(raw_dir) / PBMC3K_SOURCE.name, Path(out_dir) / "pbmc3k.h5ad", label_key="louvain"
    )


def prepare_pbmc68k(raw_dir: Path, out_dir: Path) -> None:
    """The prepare step of ``DS-PBMC68K``: the reduced file -> ``pbmc68k_reduced.h5ad``."""
    rewrite_h5ad(
        Path(raw_dir) / PBMC68K_SOURCE.name,
        Path(out_dir) / "pbmc68k_reduced.h5ad",
        label_key="bulk_labels",
    )
