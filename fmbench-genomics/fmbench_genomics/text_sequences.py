"""Folders of one-sequence text files, as Genomic Benchmarks unpacks its datasets.

``genomic_benchmarks`` writes each sequence to its own file, ``<split>/<class>/<id>.txt``,
holding the bases and nothing else. A dataset has tens of thousands of them, so the folder is
listed once with :func:`os.scandir` (no ``stat`` per file), each file is opened relative to
the folder's descriptor and read as bytes in one call, and the alphabet is checked with one
compiled regular expression per sequence.

Example:
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "10.txt").write_text("acgtn")
    >>> _ = (folder / "9.txt").write_text("GGCC\\n")
    >>> read_text_sequences(folder)
    [('9', 'GGCC'), ('10', 'ACGTN')]
"""

from __future__ import annotations

import os
from pathlib import Path

from fmbench.errors import DataError
from fmbench_genomics.sequences import DNA_ALPHABET, non_dna_characters

__all__ = ["read_text_sequences"]

_CHUNK = 1 << 16


def _file_order(name: str) -> tuple[int, int, str]:
    """Numeric ids in numeric order (``9.txt`` before ``10.txt``), then the others by name."""
    stem = name[:-4]
    if stem.isdigit():
        return (0, int(stem), name)
    return (1, 0, name)


def read_text_sequences(folder: str | os.PathLike[str]) -> list[tuple[str, str]]:
    """``(id, sequence)`` of every ``<id>.txt`` file in ``folder``, ids in a fixed order.

    Each file holds one sequence (surrounding whitespace is dropped; it is read in upper
    case). An empty folder, an empty file, a file that is not ``.txt`` and characters that
    are not DNA are one-line errors naming the file.
    """
    root = Path(folder)
    try:
        with os.scandir(root) as entries:
            names = [e.name for e in entries if not e.name.startswith(".")]
    except OSError as exc:
        raise DataError(f"cannot read folder {root}: {exc}") from None
    strays = sorted(n for n in names if not n.endswith(".txt"))
    if strays:
        raise DataError(
            f"{root / strays[0]}: not a .txt file; a class folder holds one sequence per "
            "<id>.txt file and nothing else"
        )
    if not names:
        raise DataError(f"{root}: empty class folder (expected <id>.txt files, one sequence each)")
    names.sort(key=_file_order)
    found: list[tuple[str, str]] = []
    # open each file relative to the folder's descriptor: no path string is built or
    # resolved per file, and one read() gets a whole small file
    folder_fd = os.open(root, os.O_RDONLY)
    try:
        for name in names:
            raw = _read_small_file(root, name, folder_fd)
            try:
                sequence = raw.decode("ascii").strip().upper()
            except UnicodeDecodeError:
                raise DataError(
                    f"{root / name}: not ASCII text; expected the bases of one sequence"
                ) from None
            if not sequence:
                raise DataError(f"{root / name}: empty file; each .txt file holds one sequence")
            bad = non_dna_characters(sequence)
            if bad:
                raise DataError(f"{root / name}: characters {bad!r} are not DNA ({DNA_ALPHABET})")
            found.append((name[:-4], sequence))
    finally:
        os.close(folder_fd)
    return found


def _read_small_file(root: Path, name: str, folder_fd: int) -> bytes:
    try:
        fd = os.open(name, os.O_RDONLY, dir_fd=folder_fd)
    except OSError as exc:
        raise DataError(f"cannot read {root / name}: {exc}") from None
    try:
        chunks = [os.read(fd, _CHUNK)]
        while len(chunks[-1]) == _CHUNK:  # a long sequence: read on to the end
            chunks.append(os.read(fd, _CHUNK))
    except OSError as exc:
        raise DataError(f"cannot read {root / name}: {exc}") from None
    finally:
        os.close(fd)
    return b"".join(chunks)
