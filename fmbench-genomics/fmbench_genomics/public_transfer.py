"""Cell-type annotation across datasets: train on PBMC 3k, annotate PBMC 68k.

``DS-PBMC3K-TO-68K`` downloads the two files of ``DS-PBMC3K`` and ``DS-PBMC68K`` (same
sources, same published checksums, see :mod:`fmbench_genomics.public`) and joins them into
one ``.h5ad`` with a predefined split: the 3k cells are the training side, the 68k cells the
test side, as in scanpy's "ingest" tutorial, which maps PBMC 3k's labels onto PBMC 68k.

The two label sets differ and are harmonised to six cell types present in both:

=================  ==========================  =============================================
common label       PBMC 3k (``louvain``)       PBMC 68k (``bulk_labels``)
=================  ==========================  =============================================
B cells            B cells                     CD19+ B
NK cells           NK cells                    CD56+ NK
CD14+ Monocytes    CD14+ Monocytes             CD14+ Monocyte
Dendritic cells    Dendritic cells             Dendritic
CD4 T cells        CD4 T cells                 CD4+/CD25 T Reg, CD4+/CD45RO+ Memory,
                                               CD4+/CD45RA+/CD25- Naive T
CD8 T cells        CD8 T cells                 CD8+ Cytotoxic T, CD8+/CD45RA+ Naive Cytotoxic
=================  ==========================  =============================================

Left out, having no counterpart: 3k's ``FCGR3A+ Monocytes`` and ``Megakaryocytes``, 68k's
``CD34+``. A label outside these lists fails the preparation (the upstream file changed).
The 68k labels come from correlating each cell with sorted bulk populations (Zheng et al.
2017), not from clustering: they are noisy, most of all between the CD4 and CD8 subsets,
so the test side's "truth" is itself approximate.

Genes: the log-normalised ``raw`` matrices of both files, restricted to the genes of the 68k
file (765 highly variable genes) that the 3k file also has, in the 68k order. Cells of the
two files were normalised by scanpy in the same way (per-cell total, log1p), but were
sequenced separately; the gap between them is the point of the task.

Example:
    >>> from fmbench_genomics.public_transfer import harmonised_label
    >>> harmonised_label("CD4+/CD45RO+ Memory", "pbmc68k"), harmonised_label("CD34+", "pbmc68k")
    ('CD4 T cells', None)
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fmbench.errors import DataError
from fmbench.plugin_system.specs import DatasetSpec

__all__ = [
    "LEFT_OUT",
    "PBMC3K_LABELS",
    "PBMC68K_LABELS",
    "harmonised_label",
    "prepare_pbmc_transfer",
    "transfer_datasets",
]

#: PBMC 3k ``louvain`` label -> common label.
PBMC3K_LABELS = {
    "B cells": "B cells",
    "NK cells": "NK cells",
    "CD14+ Monocytes": "CD14+ Monocytes",
    "Dendritic cells": "Dendritic cells",
    "CD4 T cells": "CD4 T cells",
    "CD8 T cells": "CD8 T cells",
}
#: PBMC 68k ``bulk_labels`` label -> common label.
PBMC68K_LABELS = {
    "CD19+ B": "B cells",
    "CD56+ NK": "NK cells",
    "CD14+ Monocyte": "CD14+ Monocytes",
    "Dendritic": "Dendritic cells",
    "CD4+/CD25 T Reg": "CD4 T cells",
    "CD4+/CD45RO+ Memory": "CD4 T cells",
    "CD4+/CD45RA+/CD25- Naive T": "CD4 T cells",
    "CD8+ Cytotoxic T": "CD8 T cells",
    "CD8+/CD45RA+ Naive Cytotoxic": "CD8 T cells",
}
#: Labels with no counterpart in the other dataset; their cells are left out.
LEFT_OUT = {
    "pbmc3k": ("FCGR3A+ Monocytes", "Megakaryocytes"),
    "pbmc68k": ("CD34+",),
}
_TABLES = {"pbmc3k": PBMC3K_LABELS, "pbmc68k": PBMC68K_LABELS}


def harmonised_label(label: str, dataset: str) -> str | None:
    """The common label of ``label`` from ``dataset`` (pbmc3k or pbmc68k); None if left out.

    Raises:
        DataError: a label the harmonisation does not know.
    """
    table = _TABLES[dataset]
    if label in table:
        return table[label]
    if label in LEFT_OUT[dataset]:
        return None
    raise DataError(
        f"{dataset}: unknown cell-type label {label!r} (known: "
        f"{', '.join([*table, *LEFT_OUT[dataset]])}); the upstream file changed"
    )


def transfer_datasets() -> Iterator[DatasetSpec]:
    """The cross-dataset annotation declaration (not downloaded)."""
    from fmbench_genomics.public import (
        _10X_CITATION,
        _SCANPY_CITATION,
        PBMC3K_SOURCE,
        PBMC68K_SOURCE,
    )

    yield DatasetSpec(
        name="DS-PBMC3K-TO-68K",
        data_kind="real",
        summary="train on 10x PBMC 3k, annotate PBMC 68k (reduced): 6 harmonised cell types, "
        "shared genes of the log-normalised raw matrices",
        modality="single_cell",
        load="fmbench_genomics.expression:load_h5ad",
        options={"label_key": "cell_type", "split_key": "split"},
        sources=[PBMC3K_SOURCE, PBMC68K_SOURCE],
        prepare="fmbench_genomics.public_transfer:prepare_pbmc_transfer",
        license="CC-BY-4.0 (10x Genomics PBMC 3k); BSD-3-Clause (scanpy), data: 10x Genomics",
        citation=(
            f"10x Genomics, 3k PBMCs from a healthy donor (2016); {_10X_CITATION}; "
            f"{_SCANPY_CITATION}"
        ),
        homepage="https://scanpy.readthedocs.io/en/stable/tutorials/basics/integrating-data-using-ingest.html",
    )


def _read(path: Path, label_key: str) -> Any:
    import anndata

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # old layouts load with notices; data are intact
            adata = anndata.read_h5ad(path)
    except Exception as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"{path}: not a readable .h5ad file ({first})") from None
    if label_key not in adata.obs.columns or adata.raw is None:
        raise DataError(
            f"{path}: needs obs[{label_key!r}] and a raw (log-normalised) matrix; the upstream "
            "file changed"
        )
    return adata


def prepare_pbmc_transfer(raw_dir: Path, out_dir: Path) -> None:
    """The prepare step of ``DS-PBMC3K-TO-68K``: both files -> ``pbmc3k_to_68k.h5ad``."""
    try:
        import anndata
    except ImportError:
        raise DataError(
            "preparing DS-PBMC3K-TO-68K needs anndata; pip install 'fmbench-genomics[h5ad]'"
        ) from None
    import numpy as np
    import pandas as pd
    import scipy.sparse as sp

    from fmbench_genomics.public import PBMC3K_SOURCE, PBMC68K_SOURCE

    train = _read(Path(raw_dir) / PBMC3K_SOURCE.name, "louvain")
    test = _read(Path(raw_dir) / PBMC68K_SOURCE.name, "bulk_labels")
    train_genes = set(map(str, train.raw.var_names))
    genes = [str(g) for g in test.raw.var_names if str(g) in train_genes]
    if len(genes) < test.raw.n_vars // 2:
        raise DataError(
            f"{raw_dir}: only {len(genes)} of the {test.raw.n_vars} PBMC 68k genes are in PBMC "
            "3k; the upstream files changed"
        )
    parts, obs = [], []
    for name, adata, key, side in (
        ("pbmc3k", train, "louvain", "train"),
        ("pbmc68k", test, "bulk_labels", "test"),
    ):
        source_labels = [str(v) for v in adata.obs[key]]
        common = [harmonised_label(label, name) for label in source_labels]
        keep = np.array([c is not None for c in common])
        raw = adata.raw.to_adata()[:, genes]
        parts.append(sp.csr_matrix(raw.X, dtype=np.float32)[keep])
        obs.append(
            pd.DataFrame(
                {
                    "cell_type": [c for c in common if c is not None],
                    "source_label": [s for s, k in zip(source_labels, keep, strict=True) if k],
                    "dataset": name,
                    "split": side,
                },
                index=[f"{name}-{i}" for i in np.asarray(adata.obs_names)[keep]],
            )
        )
    joined = anndata.AnnData(
        X=sp.vstack(parts).tocsr(),
        obs=pd.concat(obs),
        var=pd.DataFrame(index=genes),
    )
    target = Path(out_dir) / "pbmc3k_to_68k.h5ad"
    target.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # anndata's notices about string conversions
        joined.write_h5ad(target, compression="gzip")
