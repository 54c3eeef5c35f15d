"""DNA sequences: a strict FASTA reader and FASTA folders as labelled datasets.

A labelled FASTA record carries its label (and any other per-sequence facts) as
``key=value`` words on the header line::

    >seq0001 label=enhancer gc=0.41
    ACGTTGCA...
    GGT

A *FASTA folder* holds ``train.fa`` and/or ``test.fa`` (``.fasta``, ``.fna``, optionally
gzipped); like ``train.tsv`` / ``test.tsv`` sequence folders, the two files give a predefined
split. A single FASTA file may mark the split itself with ``split=train|test`` words.
Sequences keep their own lengths: ``X`` is an object array of strings.

Example:
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "x.fa"
    >>> _ = path.write_text(">a label=1\\nACGT\\nAC\\n>b label=0\\nGGA\\n")
    >>> [(r.name, r.sequence, r.fields["label"]) for r in read_fasta(path)]
    [('a', 'ACGTAC', '1'), ('b', 'GGA', '0')]
"""

from __future__ import annotations

import gzip
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import attrs
import numpy as np

from fmbench.data.dataset import Dataset
from fmbench.errors import DataError
from fmbench_genomics._columns import class_order, parse_column

__all__ = [
    "FASTA_PATTERNS",
    "FastaRecord",
    "load_fasta",
    "read_fasta",
    "reverse_complement",
]

#: File names the FASTA reader claims (a file, or a folder holding one).
FASTA_PATTERNS = (
    "*.fa", "*.fasta", "*.fna", "*.fa.gz", "*.fasta.gz", "*.fna.gz",
)  # fmt: skip

#: IUPAC nucleotide codes (upper case) plus the gap; anything else is refused.
_ALPHABET = re.compile(r"^[ACGTURYSWKMBDHVN\-]*$")
_COMPLEMENT = str.maketrans(
    "ACGTURYSWKMBDHVNacgturyswkmbdhvn-", "TGCAAYRSWMKVHDBNtgcaayrswmkvhdbn-"
)


def reverse_complement(sequence: str) -> str:
    """The reverse complement of a DNA sequence (IUPAC codes; case is kept).

    Example:
        >>> reverse_complement("AACGTN")
        'NACGTT'
    """
    return sequence.translate(_COMPLEMENT)[::-1]


@attrs.frozen
class FastaRecord:
    """One FASTA record: its name, ``key=value`` header fields, sequence and header line."""

    name: str
    fields: dict[str, str]
    sequence: str
    line: int


def _open_text(path: Path) -> IO[str]:
    if path.name.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8")
    return path.open("r", encoding="utf-8")


def _parse_header(path: Path, number: int, text: str) -> tuple[str, dict[str, str]]:
    words = text[1:].split()
    if not words:
        raise DataError(f"{path}: line {number}: empty FASTA header (expected '>name ...')")
    fields: dict[str, str] = {}
    for word in words[1:]:
        if "=" in word:
            key, _, value = word.partition("=")
            fields[key] = value
    return words[0], fields


def read_fasta(path: str | os.PathLike[str]) -> Iterator[FastaRecord]:
    """Yield the records of a FASTA file, strictly: errors name the file and line.

    Refused: text before the first header, an empty header, a record without sequence,
    characters that are not IUPAC nucleotide codes, and a file with no records.
    """
    path = Path(path)
    name: str | None = None
    fields: dict[str, str] = {}
    start = 0
    parts: list[str] = []
    count = 0
    try:
        with _open_text(path) as handle:
            for number, raw in enumerate(handle, start=1):
                line = raw.strip()
                if not line or line.startswith(";"):
                    continue
                if line.startswith(">"):
                    if name is not None:
                        if not parts:
                            raise DataError(
                                f"{path}: line {start}: record {name!r} has no sequence"
                            )
                        count += 1
                        yield FastaRecord(name, fields, "".join(parts), start)
                    name, fields = _parse_header(path, number, line)
                    start, parts = number, []
                    continue
                if name is None:
                    raise DataError(
                        f"{path}: line {number}: sequence data before the first '>' header; "
                        "is this a FASTA file?"
                    )
                chunk = line.upper()
                if not _ALPHABET.match(chunk):
                    bad = sorted({c for c in chunk if not _ALPHABET.match(c)})
                    raise DataError(
                        f"{path}: line {number}: characters {''.join(bad)!r} are not DNA "
                        "(IUPAC nucleotide codes ACGTURYSWKMBDHVN and '-')"
                    )
                parts.append(chunk)
    except (OSError, UnicodeDecodeError, EOFError) as exc:
        raise DataError(f"cannot read FASTA file {path}: {exc}") from None
    if name is not None:
        if not parts:
            raise DataError(f"{path}: line {start}: record {name!r} has no sequence")
        count += 1
        yield FastaRecord(name, fields, "".join(parts), start)
    if count == 0:
        raise DataError(f"{path}: no FASTA records (expected lines starting with '>')")


def _fasta_files(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.iterdir() if p.is_file() and any(p.match(x) for x in FASTA_PATTERNS)
    )


def _split_files(path: Path) -> list[tuple[str | None, Path]]:
    if path.is_file():
        return [(None, path)]
    if not path.is_dir():
        raise DataError(f"FASTA path not found: {path}")
    files = _fasta_files(path)
    marked = [(f.name.split(".")[0].lower(), f) for f in files]
    parts: list[tuple[str | None, Path]] = [
        (m, f) for name in ("train", "test") for m, f in marked if m == name
    ]
    if parts:
        return parts
    if len(files) == 1:
        return [(None, files[0])]
    if not files:
        raise DataError(f"{path}: no FASTA file (.fa, .fasta, .fna, optionally .gz) inside")
    raise DataError(
        f"{path}: {len(files)} FASTA files but none named train.* / test.*; name them "
        "train.fa and test.fa, or point --dataset at one file"
    )


def load_fasta(
    path: str | os.PathLike[str] | None,
    *,
    label_key: str = "label",
    dataset_id: str | None = None,
    **options: Any,
) -> Dataset:
    """Read a labelled FASTA file or FASTA folder into a sequence :class:`~fmbench.data.dataset.Dataset`.

    Args:
        path: a FASTA file, or a folder with ``train.fa`` / ``test.fa``.
        label_key: the header word that holds the label (``label=...``).
        dataset_id: the id to record (default: the path).

    Other ``key=value`` header words become metadata columns (numbers where every value is
    one). Labels are mapped to 0..k-1 in sorted order (numbers numerically).
    """
    if path is None:
        raise DataError("the FASTA reader needs a file or folder path")
    if options:
        raise DataError(f"{path}: unknown dataset options {sorted(options)} for FASTA input")
    root = Path(path)
    sequences: list[str] = []
    labels: list[str] = []
    marks: list[str] = []
    names: list[str] = []
    columns: dict[str, list[str]] = {}
    for mark, file in _split_files(root):
        for record in read_fasta(file):
            if label_key not in record.fields:
                raise DataError(
                    f"{file}: line {record.line}: record {record.name!r} has no "
                    f"'{label_key}=...' word in its header (the label)"
                )
            fields = dict(record.fields)
            label = fields.pop(label_key)
            split_mark = mark or fields.pop("split", None)
            if split_mark is not None and split_mark.lower() not in {"train", "test"}:
                raise DataError(
                    f"{file}: line {record.line}: split={split_mark!r}; expected train or test"
                )
            position = len(sequences)
            for key in fields:
                columns.setdefault(key, [""] * position)
            for key, values in columns.items():
                values.append(fields.get(key, ""))
            sequences.append(record.sequence)
            labels.append(label)
            names.append(record.name)
            marks.append((split_mark or "").lower())
    classes = class_order(labels)
    index = {label: i for i, label in enumerate(classes)}
    metadata = {"sequence_id": np.array(names, dtype=object)}
    metadata.update({k: parse_column(v) for k, v in columns.items()})
    metadata["length"] = np.array([len(s) for s in sequences], dtype=float)
    split = None
    if any(marks):
        if not all(marks):
            raise DataError(
                f"{root}: some records say split=train/test and others say nothing; mark all"
            )
        split = np.array(marks, dtype=object)
    return Dataset(
        dataset_id=dataset_id or str(root),
        X=np.array(sequences, dtype=object),
        y=np.array([index[label] for label in labels], dtype=np.int64),
        metadata=metadata,
        info={
            "modality": "dna",
            "task": "classification",
            "n_classes": len(classes),
            "class_names": classes,
            "format": "fasta",
        },
        split=split,
        source=str(root),
    )
