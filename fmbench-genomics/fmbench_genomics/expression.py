"""Single-cell expression: AnnData ``.h5ad`` files and toy expression folders as datasets.

Both readers give a cell x gene :class:`~fmbench.data.dataset.Dataset` whose label is a per-cell
column chosen by ``label_key`` (e.g. ``bulk_labels`` or ``cell_type``), with metadata that
the benchmarks stratify by:

- every ``obs`` column (categories as text, numbers as floats);
- ``library_size``: total counts per cell (``obs['n_counts']`` / ``total_counts`` when the
  file has it, else the row sums of a count matrix);
- ``cell_type_rarity``: ``rare`` / ``uncommon`` / ``common`` by the share of the cell's type.

``info['expression_values']`` says what the numbers are: ``counts`` (non-negative integers),
or ``normalized`` (anything else); models and baselines read it in ``prepare(info)``.

Sparse matrices stay sparse (CSR); models then receive CSR batches.

Example:
    >>> from fmbench_genomics.expression import value_kind
    >>> import numpy as np
    >>> value_kind(np.array([[0, 3], [1, 0]])), value_kind(np.array([[0.5, 1.2]]))
    ('counts', 'normalized')
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from fmbench.data.dataset import Dataset, is_sparse, load_array_folder
from fmbench.errors import DataError
from fmbench_genomics._columns import class_order, parse_column, rarity_column

__all__ = ["load_expression_folder", "load_h5ad", "value_kind"]

_DEPTH_COLUMNS = ("n_counts", "total_counts", "nCount_RNA", "library_size")


def value_kind(X: Any) -> str:
    """``counts`` when every stored value is a non-negative integer, else ``normalized``."""
    values = X.data if is_sparse(X) else np.asarray(X)
    if values.size == 0:
        return "counts"
    if values.dtype.kind in "iu":
        return "counts" if values.min() >= 0 else "normalized"
    if values.dtype.kind != "f":
        return "normalized"
    finite = np.isfinite(values).all()
    if finite and values.min() >= 0 and np.all(values == np.round(values)):
        return "counts"
    return "normalized"


def _row_sums(X: Any) -> np.ndarray:
    if is_sparse(X):
        return np.asarray(X.sum(axis=1)).ravel().astype(float)
    return np.asarray(X, dtype=float).sum(axis=1)


def _labelled(
    X: Any,
    labels: np.ndarray,
    metadata: dict[str, np.ndarray],
    *,
    dataset_id: str,
    source: str,
    label_key: str,
    info: dict[str, Any],
    split: np.ndarray | None = None,
) -> Dataset:
    texts = [str(v) for v in labels]
    missing = [i for i, v in enumerate(texts) if v in {"", "nan", "None"}]
    if missing:
        raise DataError(
            f"{source}: {len(missing)} cells have no {label_key!r} value (first: row "
            f"{missing[0]}); drop them or choose another label_key"
        )
    classes = class_order(texts)
    index = {c: i for i, c in enumerate(classes)}
    y = np.array([index[t] for t in texts], dtype=np.int64)
    kind = value_kind(X)
    metadata = dict(metadata)
    if "library_size" not in metadata:
        depth = next((c for c in _DEPTH_COLUMNS if c in metadata), None)
        if depth is not None and metadata[depth].dtype.kind == "f":
            metadata["library_size"] = np.asarray(metadata[depth], dtype=float)
        elif kind == "counts":
            metadata["library_size"] = _row_sums(X)
    metadata["cell_type_rarity"] = rarity_column(y)
    full_info = {
        **info,
        "task": "classification",
        "n_classes": len(classes),
        "class_names": classes,
        "label_key": label_key,
        "expression_values": kind,
        "n_genes": int(X.shape[1]),
    }
    return Dataset(
        dataset_id=dataset_id,
        X=X,
        y=y,
        metadata=metadata,
        info=full_info,
        split=split,
        source=source,
    )


def load_h5ad(
    path: str | os.PathLike[str] | None,
    *,
    label_key: str = "cell_type",
    layer: str | None = None,
    batch_key: str | None = None,
    split_key: str | None = None,
    dense: bool = False,
    dataset_id: str | None = None,
) -> Dataset:
    """Read an AnnData ``.h5ad`` file (old layouts included) into a labelled Dataset.

    Args:
        path: the ``.h5ad`` file, or a folder holding exactly one.
        label_key: the ``obs`` column with the cell labels.
        layer: ``None`` for ``X``, ``"raw"`` for ``raw.X``, or a name in ``layers``.
        batch_key: an ``obs`` column naming the batch; copied to metadata as ``batch``.
        split_key: an ``obs`` column of ``train``/``test`` marks: the dataset's predefined
            split (benchmarks with ``split: {method: predefined}``).
        dense: convert a sparse matrix to a dense array (default: keep it sparse).
        dataset_id: the id to record (default: the path).

    Needs ``anndata`` (``pip install "fmbench-genomics[h5ad]"``).
    """
    if path is None:
        raise DataError("the h5ad reader needs a file path")
    file = Path(path)
    if file.is_dir():
        found = sorted(file.glob("*.h5ad"))
        if len(found) != 1:
            raise DataError(f"{file}: expected exactly one .h5ad file inside, found {len(found)}")
        file = found[0]
    if not file.is_file():
        raise DataError(f"h5ad file not found: {file}")
    try:
        import anndata
    except ImportError:
        raise DataError(
            f"{file}: reading .h5ad needs anndata; install it with "
            "pip install 'fmbench-genomics[h5ad]'"
        ) from None
    try:
        with warnings.catch_warnings():
            # Files written by old AnnData versions load with notices about their layout
            # (missing encoding metadata, adjacency matrices moved to obsp); the data are intact.
            warnings.simplefilter("ignore")
            adata = anndata.read_h5ad(file)
    except Exception as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"{file}: not a readable .h5ad file ({first})") from None
    obs = adata.obs
    if label_key not in obs.columns:
        raise DataError(
            f"{file}: obs has no label column {label_key!r}; columns: "
            f"{', '.join(map(str, obs.columns)) or 'none'} (set dataset option label_key)"
        )
    if layer is None:
        X = adata.X
    elif layer == "raw":
        if adata.raw is None:
            raise DataError(f"{file}: layer 'raw' requested, but the file has no raw matrix")
        X = adata.raw.X
    elif layer in adata.layers:
        X = adata.layers[layer]
    else:
        raise DataError(
            f"{file}: no layer {layer!r}; layers: raw, {', '.join(adata.layers) or '(none)'}"
        )
    if X is None:
        raise DataError(f"{file}: the expression matrix is empty")
    X = (X.toarray() if dense else X.tocsr()) if is_sparse(X) else np.asarray(X)
    metadata: dict[str, np.ndarray] = {}
    for column in obs.columns:
        values = obs[column]
        if values.dtype.kind in "biuf":
            metadata[str(column)] = values.to_numpy(dtype=float)
        else:
            metadata[str(column)] = parse_column([str(v) for v in values.astype(str)])
    if batch_key is not None:
        if batch_key not in obs.columns:
            raise DataError(f"{file}: obs has no batch column {batch_key!r}")
        metadata["batch"] = np.array([str(v) for v in obs[batch_key]], dtype=object)
    metadata["cell_id"] = np.array([str(v) for v in obs.index], dtype=object)
    split = None
    if split_key is not None:
        if split_key not in obs.columns:
            raise DataError(f"{file}: obs has no split column {split_key!r}")
        split = np.array([str(v).lower() for v in obs[split_key]], dtype=object)
        odd = sorted(set(split) - {"train", "test"})
        if odd:
            raise DataError(
                f"{file}: split column {split_key!r} holds {odd[0]!r}; only train and test"
            )
        metadata.pop(split_key, None)
    return _labelled(
        X,
        obs[label_key].astype(str).to_numpy(),
        metadata,
        dataset_id=dataset_id or str(file),
        source=str(file),
        label_key=label_key,
        info={
            "modality": "single_cell",
            "format": "h5ad",
            "layer": layer or "X",
            "gene_names": [str(g) for g in adata.var_names],
        },
        split=split,
    )


def load_expression_folder(
    path: str | os.PathLike[str] | None,
    *,
    label_key: str | None = None,
    dataset_id: str | None = None,
) -> Dataset:
    """Read a toy expression array folder, optionally labelled by a metadata column.

    With ``label_key`` (e.g. ``cell_type`` or ``batch``) the label is that column of
    ``metadata.csv``; without it, ``y.npy``.
    """
    if path is None:
        raise DataError("the expression folder reader needs a folder path")
    base = load_array_folder(path, mmap=False, task="classification")
    metadata = dict(base.metadata)
    if label_key is None:
        names = base.info.get("class_names") or [str(i) for i in range(base.info["n_classes"])]
        labels = np.array([names[int(v)] for v in base.y], dtype=object)
        key = "y.npy"
    else:
        if label_key not in metadata:
            raise DataError(
                f"{Path(path) / 'metadata.csv'}: no label column {label_key!r}; columns: "
                f"{', '.join(sorted(metadata)) or 'none'}"
            )
        labels = metadata[label_key]
        if labels.dtype.kind == "f":
            labels = np.array([f"{v:g}" for v in labels], dtype=object)
        key = label_key
    info = {k: v for k, v in base.info.items() if k not in {"n_classes", "class_names", "task"}}
    info.setdefault("modality", "single_cell")
    return _labelled(
        base.X,
        labels,
        metadata,
        dataset_id=dataset_id or str(path),
        source=str(path),
        label_key=key,
        info=info,
        split=base.split,
    )
