"""Which files of a sequence folder hold which split and class: the layouts people use.

A DNA dataset folder is read in exactly one of these layouts (hidden entries are skipped):

============================  ===============================================================
layout                        files
============================  ===============================================================
``tables``                    ``train.tsv`` / ``test.tsv`` (``sequence`` and ``label`` columns)
``fasta-per-split``           ``train.fa`` / ``test.fa``, labels as ``label=...`` header words
``fasta-per-class``           ``train_<class>.fa`` / ``test_<class>.fa``, one file per class
``split-folders-fasta``       ``train/<class>.fa`` / ``test/<class>.fa``
``split-folders-texts``       ``train/<class>/<id>.txt``: one sequence per file (Genomic
                              Benchmarks)
``fasta-file``                a single FASTA file, labels (and ``split=``) in its headers
============================  ===============================================================

FASTA files may end in ``.fa``, ``.fasta`` or ``.fna``, optionally gzipped (``.fa.gz``).

**Tables win**: when ``train.tsv`` or ``test.tsv`` is in the folder, the tables are the
dataset and FASTA files or split folders beside them are not read (they are listed in
``ignored``). It is an error only when those other files would give a split that the tables
lack (``train.tsv`` with ``test_<class>.fa``): fmbench does not join two layouts. Any other
mix (``train.fa`` with ``train_<class>.fa``, root FASTA files beside ``train/``), a split
name other than train and test, and a class present on one side only, are one-line errors
naming the files.

This module only looks at names (it imports nothing heavy); reading is
:func:`fmbench_genomics.sequence_datasets.load_sequences`.

Example:
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> for name in ("train_promoter.fa", "train_other.fa", "test_promoter.fa", "test_other.fa"):
    ...     _ = (folder / name).write_text(">s1\\nACGT\\n")
    >>> layout = detect_layout(folder)
    >>> layout.name, [(s.split, s.label) for s in layout.sources][:2]
    ('fasta-per-class', [('train', 'other'), ('train', 'promoter')])
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import attrs

from fmbench.errors import DataError

__all__ = [
    "FASTA_SUFFIXES",
    "LAYOUTS",
    "READ_PATTERNS",
    "SPLITS",
    "SequenceLayout",
    "SequenceSource",
    "detect_layout",
    "fasta_stem",
]

#: The two splits of a predefined split, in the order their sequences are read.
SPLITS = ("train", "test")

#: File-name endings of FASTA files (lower case; the longest are tried first).
FASTA_SUFFIXES = (".fa.gz", ".fasta.gz", ".fna.gz", ".fa", ".fasta", ".fna")

#: Layout names and what they hold (see the module docstring).
LAYOUTS = {
    "tables": "train.tsv / test.tsv sequence tables",
    "fasta-per-split": "train.fa / test.fa with labels in the headers",
    "fasta-per-class": "train_<class>.fa / test_<class>.fa, one FASTA file per class",
    "split-folders-fasta": "train/<class>.fa / test/<class>.fa",
    "split-folders-texts": "train/<class>/*.txt / test/<class>/*.txt, one sequence per file",
    "fasta-file": "one FASTA file with labels in the headers",
}

_FASTA_PATTERNS = tuple(f"*{suffix}" for suffix in FASTA_SUFFIXES)

#: What the ``dna-sequences`` reader claims: a FASTA file, or a folder holding one of these
#: (``split/name`` patterns look one or two folders down).
READ_PATTERNS = (
    *_FASTA_PATTERNS,
    "train.tsv",
    "test.tsv",
    *(f"{split}/{pattern}" for split in SPLITS for pattern in _FASTA_PATTERNS),
    *(f"{split}/*/*.txt" for split in SPLITS),
)

_HINT = (
    "name them train.fa / test.fa (labels in headers), train_<class>.fa / test_<class>.fa, "
    "or train/<class>.fa / test/<class>.fa"
)


@attrs.frozen(kw_only=True)
class SequenceSource:
    """One file or folder of a layout: what it holds and which split and class it gives.

    ``kind`` is ``fasta`` (a FASTA file), ``texts`` (a folder of one-sequence ``.txt``
    files) or ``table`` (a TSV table). ``label`` is the class named by the file or folder
    name; ``None`` when the labels are inside (header words, a column). ``split`` is
    ``None`` when the file does not say.
    """

    path: Path
    kind: str = attrs.field(validator=attrs.validators.in_(("fasta", "texts", "table")))
    split: str | None = None
    label: str | None = None


@attrs.frozen(kw_only=True)
class SequenceLayout:
    """The layout of a sequence folder: its name (a key of :data:`LAYOUTS`) and sources.

    ``ignored`` names the entries that were found but are not read (FASTA files beside
    ``train.tsv`` / ``test.tsv``).
    """

    name: str = attrs.field(validator=attrs.validators.in_(tuple(LAYOUTS)))
    sources: tuple[SequenceSource, ...]
    ignored: tuple[str, ...] = ()

    @property
    def labels_from_names(self) -> bool:
        """True when class names come from file or folder names."""
        return any(source.label is not None for source in self.sources)


def fasta_stem(name: str) -> str | None:
    """The name of a FASTA file without its FASTA ending; ``None`` for other files.

    Example:
        >>> fasta_stem("train_promoter.fa.gz"), fasta_stem("notes.txt")
        ('train_promoter', None)
    """
    lower = name.lower()
    for suffix in FASTA_SUFFIXES:
        if lower.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return None


def _visible(folder: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as entries:
            found = [e for e in entries if not e.name.startswith(".")]
    except OSError as exc:
        raise DataError(f"cannot read folder {folder}: {exc}") from None
    return sorted(found, key=lambda e: e.name)


def _names(paths: Iterable[Path]) -> str:
    return ", ".join(p.name for p in paths)


def _class_split(stem: str) -> tuple[str, str] | None:
    """``train_promoter`` -> ``('train', 'promoter')``; None without a split prefix."""
    prefix, sep, label = stem.partition("_")
    if sep and label and prefix.lower() in SPLITS:
        return prefix.lower(), label
    return None


def detect_layout(path: str | os.PathLike[str]) -> SequenceLayout:
    """The layout of a FASTA file or sequence folder; a one-line error when there is none.

    Example:
        >>> import tempfile, pathlib
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> for name in ("train.tsv", "test.tsv", "a.fa"):
        ...     _ = (folder / name).write_text("")
        >>> layout = detect_layout(folder)
        >>> layout.name, [s.path.name for s in layout.sources], layout.ignored
        ('tables', ['train.tsv', 'test.tsv'], ('a.fa',))
    """
    root = Path(path)
    if root.is_file():
        if fasta_stem(root.name) is None:
            raise DataError(f"{root}: not a FASTA file (.fa, .fasta, .fna, optionally .gz)")
        return SequenceLayout(name="fasta-file", sources=(SequenceSource(path=root, kind="fasta"),))
    if not root.is_dir():
        raise DataError(f"sequence path not found: {root}")
    entries = _visible(root)
    files = [Path(e.path) for e in entries if e.is_file()]
    folders = [Path(e.path) for e in entries if e.is_dir()]
    fastas = [f for f in files if fasta_stem(f.name) is not None]
    split_folders = [d for d in folders if d.name.lower() in SPLITS]
    tables = [root / f"{s}.tsv" for s in SPLITS if (root / f"{s}.tsv") in files]
    if tables:
        return _tables(root, tables, fastas, split_folders)
    if split_folders:
        return _split_folders(root, split_folders, folders, fastas)
    per_class = [f for f in fastas if _class_split(fasta_stem(f.name) or "") is not None]
    per_split = [f for f in fastas if (fasta_stem(f.name) or "").lower() in SPLITS]
    if per_class and per_split:
        raise DataError(
            f"{root}: mixed layouts: {_names(per_split)} (one file per split) and "
            f"{_names(per_class)} (one file per class); keep one of them in this folder"
        )
    if per_class:
        return _per_class_files(root, fastas)
    if per_split:
        return _per_split_files(root, fastas, per_split)
    if len(fastas) == 1:
        return SequenceLayout(
            name="fasta-file", sources=(SequenceSource(path=fastas[0], kind="fasta"),)
        )
    if not fastas:
        raise DataError(
            f"{root}: no sequences found; expected train.tsv / test.tsv, FASTA files "
            "(.fa, .fasta, .fna, optionally .gz) or train/ and test/ folders"
        )
    raise DataError(
        f"{root}: {len(fastas)} FASTA files ({_names(fastas)}) but none says its split; "
        f"{_HINT}, or point --dataset at one file"
    )


def _split_of(path: Path) -> str | None:
    if path.is_dir():
        return path.name.lower() if path.name.lower() in SPLITS else None
    stem = fasta_stem(path.name) or ""
    if stem.lower() in SPLITS:
        return stem.lower()
    marked = _class_split(stem)
    return marked[0] if marked else None


def _tables(
    root: Path, tables: list[Path], fastas: list[Path], split_folders: list[Path]
) -> SequenceLayout:
    others = [*fastas, *split_folders]
    given = {t.name.split(".")[0] for t in tables}
    conflict = [p for p in others if _split_of(p) not in (None, *given)]
    if conflict:
        missing = sorted({str(_split_of(p)) for p in conflict})
        raise DataError(
            f"{root}: ambiguous: the tables ({_names(tables)}) give the {'/'.join(sorted(given))} split "
            f"but {_names(conflict)} would give the {'/'.join(missing)} split; tables win "
            f"over FASTA in one folder, so add {'/'.join(f'{m}.tsv' for m in missing)} or move "
            "the FASTA files to their own folder"
        )
    sources = tuple(
        SequenceSource(path=t, kind="table", split=t.name.split(".")[0]) for t in tables
    )
    return SequenceLayout(
        name="tables",
        sources=sources,
        ignored=tuple(p.name + ("/" if p.is_dir() else "") for p in others),
    )


def _per_split_files(root: Path, fastas: list[Path], per_split: list[Path]) -> SequenceLayout:
    strays = [f for f in fastas if f not in per_split]
    if strays:
        raise DataError(
            f"{root}: {_names(per_split)} give the split, so {_names(strays)} would not be "
            "read; move them to another folder"
        )
    sources = []
    for split in SPLITS:
        found = [f for f in per_split if (fasta_stem(f.name) or "").lower() == split]
        if len(found) > 1:
            raise DataError(f"{root}: {_names(found)} all give the {split} split; keep one")
        sources += [SequenceSource(path=f, kind="fasta", split=split) for f in found]
    return SequenceLayout(name="fasta-per-split", sources=tuple(sources))


def _per_class_files(root: Path, fastas: list[Path]) -> SequenceLayout:
    sources = []
    for file in fastas:
        stem = fasta_stem(file.name) or ""
        marked = _class_split(stem)
        if marked is None:
            prefix, sep, _ = stem.partition("_")
            if sep:
                raise DataError(
                    f"{file}: unknown split {prefix!r}; per-class files are named "
                    "train_<class>.fa or test_<class>.fa (merge or move the others)"
                )
            raise DataError(
                f"{file}: does not fit the per-class layout train_<class>.fa / "
                "test_<class>.fa of this folder; rename it or move it to another folder"
            )
        sources.append(SequenceSource(path=file, kind="fasta", split=marked[0], label=marked[1]))
    return SequenceLayout(name="fasta-per-class", sources=_checked_classes(root, sources))


def _split_folders(
    root: Path, split_folders: list[Path], folders: list[Path], fastas: list[Path]
) -> SequenceLayout:
    unknown = [d for d in folders if d not in split_folders]
    if unknown:
        raise DataError(
            f"{unknown[0]}: unknown split folder {unknown[0].name!r} beside "
            f"{_names(split_folders)}; only train/ and test/ are read (merge or move it)"
        )
    if fastas:
        raise DataError(
            f"{root}: mixed layouts: FASTA files {_names(fastas)} beside the split folders "
            f"{_names(split_folders)}; keep one layout in this folder"
        )
    kinds: dict[str, Path] = {}
    sources: list[SequenceSource] = []
    for split in SPLITS:
        for folder in split_folders:
            if folder.name.lower() != split:
                continue
            kind, found = _split_folder_sources(folder, split)
            kinds[kind] = folder
            sources += found
    if len(kinds) > 1:
        raise DataError(
            f"{root}: mixed layouts: {kinds['fasta'].name}/ holds <class>.fa files but "
            f"{kinds['texts'].name}/ holds <class>/ folders; use one layout for both splits"
        )
    name = "split-folders-fasta" if "fasta" in kinds else "split-folders-texts"
    return SequenceLayout(name=name, sources=_checked_classes(root, sources))


def _split_folder_sources(folder: Path, split: str) -> tuple[str, list[SequenceSource]]:
    entries = _visible(folder)
    class_files = [Path(e.path) for e in entries if e.is_file() and fasta_stem(e.name)]
    class_folders = [Path(e.path) for e in entries if e.is_dir()]
    strays = [
        Path(e.path) for e in entries if not e.is_dir() and not (e.is_file() and fasta_stem(e.name))
    ]
    if strays:
        raise DataError(
            f"{strays[0]}: not a FASTA file (.fa, .fasta, .fna, optionally .gz) nor a class "
            f"folder; {folder.name}/ holds <class>.fa files or <class>/ folders of .txt files"
        )
    if class_files and class_folders:
        raise DataError(
            f"{folder}: mixed layouts: <class>.fa files ({_names(class_files)}) and class "
            f"folders ({_names(class_folders)}); use one"
        )
    if class_files:
        return "fasta", [
            SequenceSource(path=f, kind="fasta", split=split, label=fasta_stem(f.name))
            for f in class_files
        ]
    if not class_folders:
        raise DataError(
            f"{folder}: empty split folder; put <class>.fa files or <class>/ folders of "
            "one-sequence .txt files in it"
        )
    return "texts", [
        SequenceSource(path=d, kind="texts", split=split, label=d.name) for d in class_folders
    ]


def _checked_classes(root: Path, sources: list[SequenceSource]) -> tuple[SequenceSource, ...]:
    """One source per (split, class); with both splits, the same classes on both sides."""
    seen: dict[tuple[str | None, str | None], Path] = {}
    for source in sources:
        key = (source.split, source.label)
        if key in seen:
            raise DataError(
                f"{root}: {seen[key].name} and {source.path.name} both hold class "
                f"{source.label!r} of the {source.split} split; keep one"
            )
        seen[key] = source.path
    by_split: dict[str, set[str]] = {}
    for split, label in seen:
        by_split.setdefault(str(split), set()).add(str(label))
    if len(by_split) == 2:
        for split, other in (("train", "test"), ("test", "train")):
            for label in sorted(by_split[split] - by_split[other]):
                raise DataError(
                    f"{seen[(split, label)]}: class {label!r} has {split} sequences but no "
                    f"{other} ones; every class needs both splits"
                )
    order = {split: i for i, split in enumerate(SPLITS)}
    return tuple(sorted(sources, key=lambda s: (order[str(s.split)], str(s.label))))
