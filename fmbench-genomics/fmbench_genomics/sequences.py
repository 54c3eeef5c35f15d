"""DNA sequences: the one strict FASTA reader, the DNA alphabet, reverse complements.

A labelled FASTA record carries its label (and any other per-sequence facts) as
``key=value`` words on the header line::

    >seq0001 label=enhancer gc=0.41
    ACGTTGCA...
    GGT

Sequences are read in upper case and must use IUPAC nucleotide codes
(``ACGTURYSWKMBDHVN`` and ``-``). Which files of a folder are read, and how they give the
split and the labels, is :mod:`fmbench_genomics.sequence_layouts`; the dataset is built by
:func:`fmbench_genomics.sequence_datasets.load_sequences` (``load_fasta`` here is the same
reader under its older name).

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

from fmbench.data.dataset import Dataset
from fmbench.errors import DataError
from fmbench_genomics.sequence_layouts import FASTA_SUFFIXES

__all__ = [
    "DNA_ALPHABET",
    "FASTA_PATTERNS",
    "FastaRecord",
    "load_fasta",
    "non_dna_characters",
    "read_fasta",
    "reverse_complement",
]

#: File names the FASTA reader claims (a file, or a folder holding one).
FASTA_PATTERNS = tuple(f"*{suffix}" for suffix in FASTA_SUFFIXES)

#: What a DNA sequence may hold, for error messages.
DNA_ALPHABET = "IUPAC nucleotide codes ACGTURYSWKMBDHVN and '-'"

#: IUPAC nucleotide codes (upper case) plus the gap; anything else is refused.
_ALPHABET = re.compile(r"^[ACGTURYSWKMBDHVN\-]*$")
_DNA_CHARACTERS = frozenset("ACGTURYSWKMBDHVN-")
_COMPLEMENT = str.maketrans(
    "ACGTURYSWKMBDHVNacgturyswkmbdhvn-", "TGCAAYRSWMKVHDBNtgcaayrswmkvhdbn-"
)


def non_dna_characters(sequence: str) -> str:
    """The distinct characters of an upper-case sequence that are not DNA, sorted ('' if none).

    Example:
        >>> non_dna_characters("ACGTN"), non_dna_characters("AC1XT X")
        ('', ' 1X')
    """
    if _ALPHABET.match(sequence):
        return ""
    return "".join(sorted(set(sequence) - _DNA_CHARACTERS))


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
                bad = non_dna_characters(chunk)
                if bad:
                    raise DataError(
                        f"{path}: line {number}: characters {bad!r} are not DNA ({DNA_ALPHABET})"
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


def load_fasta(
    path: str | os.PathLike[str] | None,
    *,
    label_key: str = "label",
    dataset_id: str | None = None,
    **options: Any,
) -> Dataset:
    """Read a labelled FASTA file or a sequence folder into a :class:`~fmbench.data.dataset.Dataset`.

    The same reader as :func:`fmbench_genomics.sequence_datasets.load_sequences` (kept under
    this name for dataset declarations that use it): a FASTA file, ``train.fa`` /
    ``test.fa``, per-class FASTA files and folders, Genomic Benchmarks folders, or
    ``train.tsv`` / ``test.tsv`` tables.
    """
    from fmbench_genomics.sequence_datasets import load_sequences

    return load_sequences(path, label_key=label_key, dataset_id=dataset_id, **options)
