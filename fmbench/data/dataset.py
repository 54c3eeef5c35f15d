"""Datasets: the in-memory (or memory-mapped) form every benchmark works on, and the two
folder layouts people already have (array folders and sequence folders).

An *array folder* holds ``X.npy`` (n_samples, ...), ``y.npy`` (n_samples,) and optionally
``metadata.csv`` (one row per sample) and ``info.json`` / ``manifest.json`` (facts such as
``sampling_freq``, ``ch_names``, ``modality``). ``X.npy`` is memory-mapped, so a dataset larger
than memory is read batch by batch.

A *sequence folder* holds ``train.tsv`` and/or ``test.tsv`` with a sequence column
(``seq``/``sequence``) and a ``label`` column; the files give a predefined split. (With
fmbench-genomics installed, its ``dna-sequences`` reader also reads FASTA and per-class
layouts, and reads these tables through this function.)

Example:
    >>> import numpy as np, tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> np.save(folder / "X.npy", np.zeros((4, 3)))
    >>> np.save(folder / "y.npy", np.array([0, 1, 0, 1]))
    >>> ds = load_array_folder(folder)
    >>> ds.n_samples, ds.info["n_classes"]
    (4, 2)
"""

from __future__ import annotations

import csv
import fnmatch
import hashlib
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from fmbench.errors import DataError

__all__ = [
    "DEFAULT_TOY_ROOT",
    "Dataset",
    "dataset_sha256",
    "is_sparse",
    "load_array_folder",
    "load_sequence_folder",
    "n_rows",
    "read_metadata_csv",
    "read_table",
    "toy_root",
]

#: Where toy datasets live unless ``--data-root`` or ``FMBENCH_TOY_DATA`` says otherwise.
DEFAULT_TOY_ROOT = "toy_data"


def toy_root(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The toy-data root: the argument, ``$FMBENCH_TOY_DATA``, or ``./toy_data``."""
    return Path(explicit or os.environ.get("FMBENCH_TOY_DATA") or DEFAULT_TOY_ROOT)


def is_sparse(X: Any) -> bool:
    """True for a scipy.sparse matrix or array (checked without importing scipy)."""
    return callable(getattr(X, "tocsr", None)) and hasattr(X, "nnz")


def n_rows(X: Any) -> int:
    """Number of samples in ``X``: an array, a list, or a scipy.sparse matrix.

    Example:
        >>> n_rows([[1, 2], [3, 4], [5, 6]])
        3
    """
    if is_sparse(X):
        return int(X.shape[0])
    return len(X)


@attrs.define(kw_only=True, eq=False)
class Dataset:
    """A dataset as benchmarks use it.

    Attributes:
        dataset_id: the registered id, or the folder path for a user's own folder.
        X: inputs, (n_samples, ...) numeric (possibly memory-mapped), or a sequence of
            strings for sequence data (one per sample).
        y: targets, (n_samples,) integer class indices for classification, floats (or
            (n_samples, k)) for regression.
        metadata: per-sample columns (subject, site, age, ...), each of length n_samples.
        info: facts about the data: ``modality``, ``sampling_freq``, ``ch_names``,
            ``class_names``, ``n_classes``...; probes and models receive it.
        split: optional per-sample ``"train"``/``"test"`` marks of a predefined split.
        source: where it was read from.
        content_sha256: hash of the content, for provenance (computed lazily).
    """

    dataset_id: str
    X: Any
    y: np.ndarray
    metadata: dict[str, np.ndarray] = attrs.field(factory=dict)
    info: dict[str, Any] = attrs.field(factory=dict)
    split: np.ndarray | None = None
    source: str = ""
    _sha256: str | None = None

    def __attrs_post_init__(self) -> None:
        n = n_rows(self.X)
        if len(self.y) != n:
            raise DataError(
                f"{self.source or self.dataset_id}: {len(self.y)} labels for {n} samples; "
                "y must have one entry per sample"
            )
        for column, values in self.metadata.items():
            if len(values) != n:
                raise DataError(
                    f"{self.source or self.dataset_id}: metadata column {column!r} has "
                    f"{len(values)} rows for {n} samples"
                )
        if n == 0:
            raise DataError(f"{self.source or self.dataset_id}: the dataset has no samples")
        if self.split is not None and len(self.split) != n:
            raise DataError(f"{self.source or self.dataset_id}: split marks do not match samples")

    @property
    def n_samples(self) -> int:
        return n_rows(self.X)

    @property
    def is_sequence(self) -> bool:
        """True when ``X`` holds strings (DNA and other sequences)."""
        if is_sparse(self.X):
            return False
        return not isinstance(self.X, np.ndarray) or self.X.dtype.kind in {"U", "S", "O"}

    @property
    def content_sha256(self) -> str:
        if self._sha256 is None:
            self._sha256 = dataset_sha256(self)
        return self._sha256

    def batches(self, indices: np.ndarray, batch_size: int) -> Iterator[tuple[np.ndarray, Any]]:
        """Yield ``(batch_indices, X[batch_indices])`` in order, one batch in memory at a time."""
        for start in range(0, len(indices), batch_size):
            chunk = indices[start : start + batch_size]
            batch = self.take(chunk)
            _check_finite(batch, chunk, self.source or self.dataset_id)
            yield chunk, batch

    def take(self, indices: np.ndarray) -> Any:
        """Rows of ``X`` at ``indices`` (an array, a sparse CSR matrix, or a list of strings)."""
        if is_sparse(self.X):
            return self.X.tocsr()[np.asarray(indices, dtype=np.int64)]
        if isinstance(self.X, np.ndarray):
            if len(indices) and np.all(np.diff(indices) == 1):
                return read_rows(self.X, int(indices[0]), int(indices[-1]) + 1)
            rows = np.asarray(self.X[indices])
            _release_pages(self.X)
            return rows
        return [self.X[int(i)] for i in indices]


def read_rows(X: np.ndarray, start: int, stop: int) -> np.ndarray:
    """Rows ``start:stop`` of ``X`` as a new in-memory array.

    For a memory-mapped ``.npy`` the rows are read from the file (not through the mapping), so
    streaming over a dataset larger than memory does not leave its pages resident in this
    process: peak memory stays near one batch.
    """
    filename = getattr(X, "filename", None)
    offset = getattr(X, "offset", None)
    if isinstance(X, np.memmap) and filename and offset is not None and X.flags.c_contiguous:
        row_items = int(np.prod(X.shape[1:], dtype=np.int64))
        count = (stop - start) * row_items
        with open(filename, "rb") as handle:
            handle.seek(int(offset) + start * row_items * X.dtype.itemsize)
            flat = np.fromfile(handle, dtype=X.dtype, count=count)
        return flat.reshape((stop - start, *X.shape[1:]))
    return np.array(X[start:stop])


def _release_pages(X: np.ndarray) -> None:
    """Tell the kernel this process no longer needs the mapped pages it touched."""
    mapping = getattr(X, "_mmap", None)
    if mapping is not None and hasattr(mapping, "madvise"):
        import contextlib
        import mmap

        with contextlib.suppress(OSError, ValueError):  # unsupported: the pages are just kept
            mapping.madvise(mmap.MADV_DONTNEED)


def _check_finite(batch: Any, chunk: np.ndarray, where: str) -> None:
    """NaN or infinity in the inputs is a data error, found batch by batch (no extra pass)."""
    if isinstance(batch, np.ndarray) and batch.dtype.kind in "fc":
        finite = np.isfinite(batch.reshape(len(batch), -1)).all(axis=1)
        if not finite.all():
            row = int(chunk[int(np.argmin(finite))])
            raise DataError(
                f"{where}: sample {row} holds NaN or infinite values; clean or impute the data "
                "(fmbench never feeds non-finite inputs to a model)"
            )


def dataset_sha256(dataset: Dataset, chunk_rows: int | None = None) -> str:
    """SHA-256 over inputs, targets, metadata and split, read in chunks (memory-bounded).

    By default a chunk holds about 16 MB of rows, whatever the size of one row. Object arrays
    (sequences, string labels) are hashed by their items' text, never by their bytes, which
    are memory addresses.
    """
    digest = hashlib.sha256()
    X = dataset.X
    if is_sparse(X):
        csr = X.tocsr()
        digest.update(f"sparse{csr.dtype.str}{csr.shape}".encode())
        for part in (csr.indptr, csr.indices, csr.data):
            digest.update(np.ascontiguousarray(part).tobytes())
    elif isinstance(X, np.ndarray) and X.dtype.kind != "O":
        if chunk_rows is None:
            row_bytes = max(1, X.dtype.itemsize * int(np.prod(X.shape[1:], dtype=np.int64)))
            chunk_rows = max(1, (16 << 20) // row_bytes)
        digest.update(f"{X.dtype.str}{X.shape}".encode())
        for start in range(0, len(X), chunk_rows):
            rows = read_rows(X, start, min(len(X), start + chunk_rows))
            digest.update(np.ascontiguousarray(rows).tobytes())
    else:  # sequences: a list, or an object array (whose bytes would be memory addresses)
        for item in X:
            digest.update(str(item).encode("utf-8"))
            digest.update(b"\n")
    y = np.asarray(dataset.y)
    digest.update(f"{y.dtype.str}{y.shape}".encode())
    if y.dtype.kind == "O":
        digest.update("\x1f".join(map(str, y.ravel())).encode("utf-8"))
    else:
        digest.update(np.ascontiguousarray(y).tobytes())
    for column in sorted(dataset.metadata):
        digest.update(column.encode())
        digest.update("\x1f".join(map(str, dataset.metadata[column])).encode())
    if dataset.split is not None:
        digest.update("\x1f".join(map(str, dataset.split)).encode())
    return digest.hexdigest()


def _parse_column(values: list[str]) -> np.ndarray:
    """Numbers become a float array when every non-empty cell is a number, else strings."""
    numeric = []
    for value in values:
        if value.strip() == "":
            numeric.append(np.nan)
            continue
        try:
            numeric.append(float(value))
        except ValueError:
            return np.array(values, dtype=object)
    return np.array(numeric, dtype=float)


def read_metadata_csv(path: Path, *, delimiter: str = ",") -> dict[str, np.ndarray]:
    """Read a per-sample table into columns (numbers as floats, others as strings)."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle, delimiter=delimiter)
            header = next(reader, None)
            rows = list(reader)
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read {path}: {exc}") from None
    if not header:
        raise DataError(f"{path}: the table is empty; expected a header row")
    for number, row in enumerate(rows, start=2):
        if len(row) != len(header):
            raise DataError(
                f"{path}: line {number} has {len(row)} fields, the header has {len(header)}"
            )
    return {name: _parse_column([row[i] for row in rows]) for i, name in enumerate(header)}


def _read_info(folder: Path) -> dict[str, Any]:
    info: dict[str, Any] = {}
    for name in ("info.json",):
        path = folder / name
        if path.is_file():
            try:
                loaded = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError) as exc:
                raise DataError(f"{path}: not valid JSON ({exc})") from None
            if not isinstance(loaded, dict):
                raise DataError(f"{path}: expected a JSON object")
            info.update(loaded)
    return info


def _label_info(y: np.ndarray, info: dict[str, Any], task: str, folder: Path) -> dict[str, Any]:
    if task == "classification":
        from fmbench.data.label_checks import check_classes

        n_classes = check_classes(
            y, info, info_file=str(folder / "info.json"), labels_file=str(folder / "y.npy")
        )
        info["n_classes"] = n_classes
        info.setdefault("class_names", [str(c) for c in range(n_classes)])
    return info


def _load_array(path: Path, mmap_mode: Any) -> np.ndarray:
    """One ``.npy`` file; an empty, cut-short or unreadable file is a DataError naming it."""
    try:
        array: np.ndarray = np.load(path, mmap_mode=mmap_mode, allow_pickle=False)
    except EOFError:
        raise DataError(
            f"{path}: the file is empty or cut short; write it again with numpy.save"
        ) from None
    except (ValueError, OSError) as exc:
        raise DataError(f"{path}: cannot read the arrays ({exc})") from None
    return array


def load_array_folder(
    path: str | os.PathLike[str],
    *,
    dataset_id: str | None = None,
    task: str | None = None,
    mmap: bool = True,
    **options: Any,
) -> Dataset:
    """Read an array folder (``X.npy``, ``y.npy``, optional ``metadata.csv``, ``info.json``).

    ``X.npy`` is memory-mapped (``mmap=False`` reads it whole). Pickled object arrays are
    refused: nothing from a data folder is ever unpickled.
    """
    folder = Path(path)
    if options:
        raise DataError(f"{folder}: unknown dataset options {sorted(options)} for an array folder")
    for required in ("X.npy", "y.npy"):
        if not (folder / required).is_file():
            raise DataError(
                f"{folder}: missing {required}; an array folder needs X.npy and y.npy "
                "(run `fmbench generate-toy-data` for the toy datasets)"
            )
    X = _load_array(folder / "X.npy", mmap_mode="r" if mmap else None)
    y = _load_array(folder / "y.npy", mmap_mode=None)
    if X.ndim < 2:
        raise DataError(
            f"{folder / 'X.npy'}: expected (n_samples, features...), got shape {X.shape}"
        )
    info = _read_info(folder)
    task = task or info.get("task") or ("classification" if y.dtype.kind in "iub" else "regression")
    if task == "classification":
        if y.dtype.kind not in "iub":
            if y.dtype.kind == "f" and np.all(np.isfinite(y)) and np.all(y == np.round(y)):
                y = y.astype(np.int64)
            else:
                raise DataError(
                    f"{folder / 'y.npy'}: classification labels must be integers 0..k-1, "
                    f"got dtype {y.dtype}"
                )
        if y.ndim != 1:
            raise DataError(f"{folder / 'y.npy'}: classification labels must be 1-D, got {y.shape}")
        if len(y) and y.min() < 0:
            raise DataError(f"{folder / 'y.npy'}: class labels must be 0..k-1, found {y.min()}")
    metadata: dict[str, np.ndarray] = {}
    if (folder / "metadata.csv").is_file():
        metadata = read_metadata_csv(folder / "metadata.csv")
    split = None
    if "split" in metadata:
        split = np.array([str(v) for v in metadata.pop("split")], dtype=object)
    info.setdefault("task", task)
    info = _label_info(y, info, task, folder)
    return Dataset(
        dataset_id=dataset_id or str(folder),
        X=X,
        y=y,
        metadata=metadata,
        info=info,
        split=split,
        source=str(folder),
    )


_SEQUENCE_COLUMNS = ("seq", "sequence", "sequences")


def read_table(path: Path, delimiter: str = ",") -> tuple[list[str], list[dict[str, str]]]:
    """The header and rows of a CSV/TSV file; an unreadable file is a DataError naming it.

    Example:
        >>> read_table(Path("no-such.tsv"), "\\t")
        Traceback (most recent call last):
        ...
        fmbench.errors.DataError: cannot read no-such.tsv: [Errno 2] No such file or directory: 'no-such.tsv'
    """
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle, delimiter=delimiter)
            fields = list(reader.fieldnames or [])
            rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DataError(f"cannot read {path}: {exc}") from None
    return fields, rows


def _read_sequence_table(path: Path) -> tuple[list[str], list[str], dict[str, list[str]]]:
    fields, rows = read_table(path, "\t")
    seq_col = next((c for c in fields if c.lower() in _SEQUENCE_COLUMNS), None)
    if seq_col is None or "label" not in fields:
        raise DataError(
            f"{path}: a sequence table needs a 'seq' (or 'sequence') column and a 'label' "
            f"column; found {', '.join(fields) or 'no header'}"
        )
    sequences = [row[seq_col] or "" for row in rows]
    labels = [row["label"] for row in rows]
    extra = {c: [row[c] for row in rows] for c in fields if c not in {seq_col, "label"}}
    return sequences, labels, extra


def load_sequence_folder(
    path: str | os.PathLike[str], *, dataset_id: str | None = None, **options: Any
) -> Dataset:
    """Read ``train.tsv`` / ``test.tsv`` sequence tables (variable lengths are fine).

    Columns other than the sequence and ``label`` become metadata; a ``length`` column is
    computed from the sequences when the tables have none (``info["computed_metadata"]``).
    """
    folder = Path(path)
    if options:
        raise DataError(
            f"{folder}: unknown dataset options {sorted(options)} for a sequence folder"
        )
    parts = [(name, folder / f"{name}.tsv") for name in ("train", "test")]
    parts = [(name, p) for name, p in parts if p.is_file()]
    if not parts:
        raise DataError(f"{folder}: no train.tsv or test.tsv found")
    sequences: list[str] = []
    labels: list[str] = []
    marks: list[str] = []
    extra: dict[str, list[str]] = {}
    for name, table in parts:
        seqs, labs, cols = _read_sequence_table(table)
        sequences += seqs
        labels += labs
        marks += [name] * len(seqs)
        for column, values in cols.items():
            extra.setdefault(column, [""] * (len(sequences) - len(seqs)))
            extra[column] += values
    classes = sorted(
        set(labels),
        key=lambda v: (not v.lstrip("-").isdigit(), int(v) if v.lstrip("-").isdigit() else 0, v),
    )
    index = {label: i for i, label in enumerate(classes)}
    info = _read_info(folder)
    info.setdefault("modality", "dna")
    info.setdefault("task", "classification")
    info.setdefault("n_classes", len(classes))
    info.setdefault("class_names", classes)
    metadata = {c: _parse_column(v) for c, v in extra.items()}
    if "length" not in metadata:  # the length stratum, from the sequences themselves
        metadata["length"] = np.array([len(s) for s in sequences], dtype=float)
        info["computed_metadata"] = ["length"]
    return Dataset(
        dataset_id=dataset_id or str(folder),
        X=np.array(sequences, dtype=object),
        y=np.array([index[label] for label in labels], dtype=np.int64),
        metadata=metadata,
        info=info,
        split=np.array(marks, dtype=object) if len(parts) > 1 else None,
        source=str(folder),
    )


def matches_reader(path: Path, patterns: Sequence[str]) -> bool:
    """Does ``path`` (a file, or a folder holding such a file) match a reader's patterns?

    A pattern with a ``/`` (``train/*/*.txt``) is matched inside a folder, down to the
    first hit only, so a folder of many files is not listed whole.
    """
    if not patterns:
        return False
    if path.is_dir():
        try:
            names = [child.name for child in path.iterdir()]
        except OSError:
            return False
        if any(fnmatch.fnmatch(n, p) for n in names for p in patterns if "/" not in p):
            return True
        return any(next(path.glob(p), None) is not None for p in patterns if "/" in p)
    return any(fnmatch.fnmatch(path.name, p) for p in patterns if "/" not in p)


def describe_shape(dataset: Dataset) -> Mapping[str, Any]:
    """A short, YAML-friendly description of a dataset's size."""
    if is_sparse(dataset.X):
        return {
            "n_samples": dataset.n_samples,
            "shape": [int(s) for s in dataset.X.shape[1:]],
            "dtype": str(dataset.X.dtype),
            "sparse": True,
        }
    if isinstance(dataset.X, np.ndarray) and dataset.X.dtype.kind not in "OUS":
        return {
            "n_samples": dataset.n_samples,
            "shape": list(dataset.X.shape[1:]),
            "dtype": str(dataset.X.dtype),
        }
    lengths = [len(s) for s in dataset.X]
    return {
        "n_samples": dataset.n_samples,
        "min_length": int(min(lengths)),
        "max_length": int(max(lengths)),
    }
