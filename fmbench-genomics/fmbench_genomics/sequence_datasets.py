"""Sequence folders and FASTA files as labelled DNA datasets, in every layout people use.

:func:`load_sequences` finds the layout (:func:`~fmbench_genomics.sequence_layouts.detect_layout`:
``train.tsv`` / ``test.tsv``, ``train.fa`` / ``test.fa``, ``train_<class>.fa``,
``train/<class>.fa``, Genomic Benchmarks ``train/<class>/*.txt``, or one FASTA file), reads
it, and returns one :class:`~fmbench.data.dataset.Dataset`:

- ``X``: the sequences, upper case, variable lengths (an object array of strings);
- ``y``: class indices 0..k-1; classes are sorted (numbers numerically, then text), the
  names recorded in ``info["class_names"]`` (index i is ``class_names[i]``; the positive
  class of a binary benchmark is the last);
- ``split``: ``train`` / ``test`` marks when the files give them (a predefined split);
- ``metadata``: ``sequence_id``, the other ``key=value`` header words or table columns, and
  ``length`` and ``gc`` computed from the sequences when no column gives them
  (:mod:`fmbench_genomics.sequence_strata`);
- ``info``: ``modality``, ``task``, ``n_classes``, ``class_names``, ``layout``, ``format``,
  ``computed_metadata`` and, for tables, the ``ignored`` entries beside them.

Duplicate sequence ids, an empty class file or folder, characters that are not DNA and a
label word that disagrees with the file's class are one-line errors naming the file.

Example:
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> for split in ("train", "test"):
    ...     (folder / split).mkdir()
    ...     _ = (folder / split / "promoter.fa").write_text(f">{split}-p\\nGGCCGCTA\\n")
    ...     _ = (folder / split / "background.fa").write_text(f">{split}-b\\nATTA\\n")
    >>> ds = load_sequences(folder)
    >>> ds.info["class_names"], ds.y.tolist(), ds.split.tolist()
    (['background', 'promoter'], [0, 1, 0, 1], ['train', 'train', 'test', 'test'])
    >>> ds.metadata["gc"].tolist()
    [0.0, 0.75, 0.0, 0.75]
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from fmbench.data.dataset import Dataset, load_sequence_folder
from fmbench.errors import DataError
from fmbench_genomics._columns import class_order, parse_column
from fmbench_genomics.sequence_layouts import SequenceLayout, SequenceSource, detect_layout
from fmbench_genomics.sequence_strata import add_sequence_strata
from fmbench_genomics.sequences import DNA_ALPHABET, non_dna_characters, read_fasta
from fmbench_genomics.text_sequences import read_text_sequences

__all__ = ["load_sequences"]

_FORMATS = {"fasta": "fasta", "texts": "text files", "table": "tsv"}


@attrs.define
class _Rows:
    """Sequences gathered file by file, with where each id was first seen."""

    sequences: list[str] = attrs.field(factory=list)
    labels: list[str] = attrs.field(factory=list)
    marks: list[str] = attrs.field(factory=list)
    ids: list[str] = attrs.field(factory=list)
    columns: dict[str, list[str]] = attrs.field(factory=dict)
    seen: dict[str, str] = attrs.field(factory=dict)

    def add(
        self, where: str, name: str, sequence: str, label: str, mark: str, fields: dict[str, str]
    ) -> None:
        if name in self.seen:
            raise DataError(
                f"{where}: sequence id {name!r} repeats (first in {self.seen[name]}); "
                "every sequence needs its own id"
            )
        self.seen[name] = where
        position = len(self.sequences)
        for key in fields:
            self.columns.setdefault(key, [""] * position)
        for key, values in self.columns.items():
            values.append(fields.get(key, ""))
        self.sequences.append(sequence)
        self.labels.append(label)
        self.ids.append(name)
        self.marks.append(mark)

    def extend(self, ids: list[str], sequences: list[str], label: str, mark: str) -> None:
        """Many sequences of one class and split, whose ids cannot repeat, without fields."""
        for values in self.columns.values():
            values.extend([""] * len(ids))
        self.sequences += sequences
        self.labels += [label] * len(ids)
        self.ids += ids
        self.marks += [mark] * len(ids)


def load_sequences(
    path: str | os.PathLike[str] | None,
    *,
    label_key: str = "label",
    dataset_id: str | None = None,
    **options: Any,
) -> Dataset:
    """Read a DNA sequence folder or FASTA file in any supported layout (see the module).

    Args:
        path: a FASTA file or a folder in one of the layouts of
            :mod:`fmbench_genomics.sequence_layouts`.
        label_key: the FASTA header word that holds the label when the file name does not.
        dataset_id: the id to record (default: the path).
    """
    if path is None:
        raise DataError("the DNA sequence reader needs a file or folder path")
    if options:
        raise DataError(f"{path}: unknown dataset options {sorted(options)} for DNA sequences")
    root = Path(path)
    layout = detect_layout(root)
    if layout.name == "tables":
        return _from_tables(root, layout, dataset_id)
    rows = _Rows()
    for source in layout.sources:
        if source.kind == "texts":
            _add_texts(rows, source)
        else:
            _add_fasta(rows, source, label_key)
    return _dataset(root, layout, rows, dataset_id)


def _add_fasta(rows: _Rows, source: SequenceSource, label_key: str) -> None:
    for record in read_fasta(source.path):
        where = f"{source.path}: line {record.line}"
        fields = dict(record.fields)
        given = fields.pop(label_key, None)
        if source.label is None and given is None:
            raise DataError(
                f"{where}: record {record.name!r} has no '{label_key}=...' word in its "
                "header (the label)"
            )
        if source.label is not None and given is not None and given != source.label:
            raise DataError(
                f"{where}: record {record.name!r} says {label_key}={given} but the file name "
                f"gives class {source.label!r}; remove the word or move the record"
            )
        said = fields.pop("split", None)
        if said is not None and said.lower() not in {"train", "test"}:
            raise DataError(f"{where}: split={said!r}; expected train or test")
        if said is not None and source.split is not None and said.lower() != source.split:
            raise DataError(
                f"{where}: record {record.name!r} says split={said} inside a "
                f"{source.split} file; remove the word or move the record"
            )
        mark = source.split or (said or "").lower()
        rows.add(where, record.name, record.sequence, source.label or str(given), mark, fields)


def _add_texts(rows: _Rows, source: SequenceSource) -> None:
    found = read_text_sequences(source.path)
    prefix = f"{source.split}/{source.label}/"
    # ids are unique by construction (one file per id in one folder per split and class)
    rows.extend([prefix + stem for stem, _ in found], [seq for _, seq in found],
                str(source.label), str(source.split))  # fmt: skip


def _dataset(root: Path, layout: SequenceLayout, rows: _Rows, dataset_id: str | None) -> Dataset:
    classes = class_order(rows.labels)
    index = {label: i for i, label in enumerate(classes)}
    metadata = {"sequence_id": np.array(rows.ids, dtype=object)}
    metadata.update({k: parse_column(v) for k, v in rows.columns.items()})
    computed = add_sequence_strata(metadata, rows.sequences)
    split = None
    if any(rows.marks):
        if not all(rows.marks):
            raise DataError(
                f"{root}: some records say split=train/test and others say nothing; mark all"
            )
        split = np.array(rows.marks, dtype=object)
    return Dataset(
        dataset_id=dataset_id or str(root),
        X=np.array(rows.sequences, dtype=object),
        y=np.array([index[label] for label in rows.labels], dtype=np.int64),
        metadata=metadata,
        info={
            "modality": "dna",
            "task": "classification",
            "n_classes": len(classes),
            "class_names": classes,
            "layout": layout.name,
            "format": _FORMATS[layout.sources[0].kind],
            "computed_metadata": list(computed),
        },
        split=split,
        source=str(root),
    )


def _from_tables(root: Path, layout: SequenceLayout, dataset_id: str | None) -> Dataset:
    """The tables through the core's table reader, then DNA checks and the strata."""
    dataset = load_sequence_folder(root, dataset_id=dataset_id)
    dataset.info["layout"] = layout.name
    dataset.info["format"] = "tsv"
    if layout.ignored:
        dataset.info["ignored"] = list(layout.ignored)
    if dataset.info.get("modality", "dna") != "dna":
        return dataset  # info.json says these are not DNA: no DNA checks, no GC
    tables = [s.path for s in layout.sources]
    marks = (
        dataset.split
        if dataset.split is not None
        else [tables[0].name.split(".")[0]] * len(dataset.X)
    )
    line_in = {t.name.split(".")[0]: 1 for t in tables}  # the header is line 1
    sequences = []
    for raw, mark in zip(dataset.X, marks, strict=True):
        line_in[str(mark)] += 1
        sequence = str(raw).strip().upper()
        bad = non_dna_characters(sequence)
        if bad or not sequence:
            where = f"{root / f'{mark}.tsv'}: line {line_in[str(mark)]}"
            if not sequence:
                raise DataError(f"{where}: empty sequence")
            raise DataError(f"{where}: characters {bad!r} are not DNA ({DNA_ALPHABET})")
        sequences.append(sequence)
    dataset.X = np.array(sequences, dtype=object)
    computed = add_sequence_strata(dataset.metadata, sequences)
    dataset.info["computed_metadata"] = [*dataset.info.get("computed_metadata", []), *computed]
    return dataset
