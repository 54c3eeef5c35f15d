"""VCF genotypes: a small pure-Python reader and labelled genotype datasets.

:func:`read_vcf` reads plain or gzip-compressed VCF (BGZF is gzip too, so both work) into a
samples x variants matrix of alternate-allele dosages (0, 1, 2; -1 where the genotype is
missing). Multi-allelic sites count any non-reference allele; haploid calls give 0 or 1.

A *genotype dataset* is a VCF plus a sample table (TSV with a ``sample`` column and the label
column, e.g. ``population``): either ``samples.tsv`` beside the VCF or the ``labels`` option.
Samples of the VCF without a row in the table are left out (and counted in ``info``).

Example:
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "x.vcf").write_text(
    ...     "##fileformat=VCFv4.2\\n"
    ...     "#CHROM\\tPOS\\tID\\tREF\\tALT\\tQUAL\\tFILTER\\tINFO\\tFORMAT\\tA\\tB\\n"
    ...     "1\\t100\\trs1\\tA\\tG\\t.\\tPASS\\t.\\tGT\\t0/1\\t1|1\\n")
    >>> g = read_vcf(folder / "x.vcf")
    >>> g.samples, g.dosage.tolist()
    (['A', 'B'], [[1], [2]])
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path
from typing import IO, Any

import attrs
import numpy as np

from fmbench.data.dataset import Dataset, read_table
from fmbench.errors import DataError
from fmbench_genomics._columns import class_order, parse_column

__all__ = ["VCF_PATTERNS", "Genotypes", "load_vcf", "read_vcf"]

#: File names the VCF reader claims.
VCF_PATTERNS = ("*.vcf", "*.vcf.gz", "*.vcf.bgz")

_FIXED = ["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO"]


@attrs.frozen(eq=False)
class Genotypes:
    """What a VCF holds: sample names, variant descriptions, and the dosage matrix."""

    samples: list[str]
    chrom: list[str]
    pos: np.ndarray
    ids: list[str]
    ref: list[str]
    alt: list[str]
    dosage: np.ndarray  # (n_samples, n_variants) int8; -1 = missing

    @property
    def variant_names(self) -> list[str]:
        return [
            i if i != "." else f"{c}:{p}:{r}>{a}"
            for c, p, i, r, a in zip(
                self.chrom, self.pos, self.ids, self.ref, self.alt, strict=True
            )
        ]


def _open(path: Path) -> IO[str]:
    with path.open("rb") as probe:
        magic = probe.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(path, "rt", encoding="utf-8")
    return path.open("r", encoding="utf-8")


def _dosage(gt: str) -> int:
    alleles = gt.replace("|", "/").split("/")
    if any(a in {".", ""} for a in alleles):
        return -1
    return sum(1 for a in alleles if a != "0")


def read_vcf(path: str | os.PathLike[str]) -> Genotypes:
    """Read a VCF's genotypes; errors name the file and line.

    Refused: a file without the ``#CHROM`` header line, data lines with the wrong number of
    fields, a FORMAT without ``GT`` (when there are samples), genotypes that are not
    allele indices (``0/1``, ``1|0``, ``./.``), and non-numeric positions.
    """
    path = Path(path)
    samples: list[str] | None = None
    chrom: list[str] = []
    pos: list[int] = []
    ids: list[str] = []
    ref: list[str] = []
    alt: list[str] = []
    rows: list[list[int]] = []
    try:
        with _open(path) as handle:
            for number, raw in enumerate(handle, start=1):
                line = raw.rstrip("\n\r")
                if not line:
                    continue
                if line.startswith("##"):
                    continue
                if line.startswith("#"):
                    header = line.split("\t")
                    if header[: len(_FIXED)] != _FIXED:
                        raise DataError(
                            f"{path}: line {number}: the header must start with "
                            f"{' '.join(_FIXED)} (tab-separated)"
                        )
                    samples = header[len(_FIXED) + 1 :] if len(header) > len(_FIXED) else []
                    continue
                if samples is None:
                    raise DataError(
                        f"{path}: line {number}: data before the '#CHROM' header line; "
                        "is this a VCF file?"
                    )
                fields = line.split("\t")
                expected = len(_FIXED) + (1 + len(samples) if samples else 0)
                if len(fields) != expected:
                    raise DataError(
                        f"{path}: line {number}: {len(fields)} tab-separated fields, expected "
                        f"{expected} (8 fixed, FORMAT and {len(samples)} samples)"
                    )
                try:
                    position = int(fields[1])
                except ValueError:
                    raise DataError(
                        f"{path}: line {number}: POS {fields[1]!r} is not a number"
                    ) from None
                row: list[int] = []
                if samples:
                    keys = fields[8].split(":")
                    if "GT" not in keys:
                        raise DataError(f"{path}: line {number}: FORMAT {fields[8]!r} has no GT")
                    at = keys.index("GT")
                    for value in fields[9:]:
                        parts = value.split(":")
                        gt = parts[at] if at < len(parts) else "."
                        alleles = gt.replace("|", "/").split("/")
                        if not all(a == "." or a.isdigit() for a in alleles):
                            raise DataError(
                                f"{path}: line {number}: genotype {gt!r} is not allele "
                                "indices like 0/1, 1|0 or ./."
                            )
                        row.append(_dosage(gt))
                chrom.append(fields[0])
                pos.append(position)
                ids.append(fields[2])
                ref.append(fields[3])
                alt.append(fields[4])
                rows.append(row)
    except (OSError, UnicodeDecodeError, EOFError, gzip.BadGzipFile) as exc:
        raise DataError(f"cannot read VCF file {path}: {exc}") from None
    if samples is None:
        raise DataError(f"{path}: no '#CHROM' header line; not a VCF file")
    if not rows:
        raise DataError(f"{path}: the VCF has no variant lines")
    dosage = np.array(rows, dtype=np.int8).reshape(len(rows), len(samples)).T.copy()
    return Genotypes(
        samples=list(samples),
        chrom=chrom,
        pos=np.array(pos, dtype=np.int64),
        ids=ids,
        ref=ref,
        alt=alt,
        dosage=dosage,
    )


def _read_sample_table(path: Path) -> dict[str, dict[str, str]]:
    fields, rows = read_table(path, "\t")
    if "sample" not in fields:
        raise DataError(
            f"{path}: the sample table needs a 'sample' column; found {', '.join(fields) or 'none'}"
        )
    return {row["sample"]: row for row in rows}


def _find_vcf(path: Path) -> Path:
    if path.is_file():
        return path
    if not path.is_dir():
        raise DataError(f"VCF path not found: {path}")
    found = sorted(p for p in path.iterdir() if any(p.match(x) for x in VCF_PATTERNS))
    if len(found) != 1:
        raise DataError(f"{path}: expected exactly one .vcf / .vcf.gz file, found {len(found)}")
    return found[0]


def load_vcf(
    path: str | os.PathLike[str] | None,
    *,
    label_key: str = "population",
    labels: str | None = None,
    min_call_rate: float = 0.0,
    dataset_id: str | None = None,
) -> Dataset:
    """A labelled genotype dataset: one sample per row, one variant per column.

    Args:
        path: the VCF file, or a folder with one VCF (and ``samples.tsv``).
        label_key: the column of the sample table that holds the label.
        labels: the sample table (TSV); default ``samples.tsv`` beside the VCF.
        min_call_rate: drop variants called in fewer than this fraction of samples.
        dataset_id: the id to record (default: the path).
    """
    if path is None:
        raise DataError("the VCF reader needs a file or folder path")
    vcf = _find_vcf(Path(path))
    table_path = Path(labels) if labels else vcf.parent / "samples.tsv"
    if not table_path.is_file():
        raise DataError(
            f"{vcf}: no sample labels; put a samples.tsv (columns sample, {label_key}) beside "
            "it or give the dataset option labels: path/to/table.tsv"
        )
    table = _read_sample_table(table_path)
    if table and label_key not in next(iter(table.values())):
        raise DataError(f"{table_path}: no label column {label_key!r}")
    genotypes = read_vcf(vcf)
    keep = [i for i, s in enumerate(genotypes.samples) if s in table]
    if not keep:
        raise DataError(f"{vcf}: none of its samples is listed in {table_path}")
    X = genotypes.dosage[keep]
    called = (X >= 0).mean(axis=0)
    variants = called >= min_call_rate
    X = X[:, variants]
    names = [genotypes.samples[i] for i in keep]
    texts = [table[s][label_key] for s in names]
    classes = class_order(texts)
    index = {c: i for i, c in enumerate(classes)}
    metadata: dict[str, np.ndarray] = {"sample": np.array(names, dtype=object)}
    extra = [c for c in next(iter(table.values())) if c not in {"sample", label_key}]
    for column in extra:
        metadata[column] = parse_column([table[s][column] for s in names])
    metadata["call_rate"] = (X >= 0).mean(axis=1).astype(float)
    info: dict[str, Any] = {
        "modality": "variant",
        "task": "classification",
        "format": "vcf",
        "n_classes": len(classes),
        "class_names": classes,
        "label_key": label_key,
        "missing_value": -1,
        "n_variants": int(X.shape[1]),
        "samples_without_label": len(genotypes.samples) - len(keep),
        "variant_names": [n for n, v in zip(genotypes.variant_names, variants, strict=True) if v],
    }
    return Dataset(
        dataset_id=dataset_id or str(vcf),
        X=X,
        y=np.array([index[t] for t in texts], dtype=np.int64),
        metadata=metadata,
        info=info,
        source=str(vcf),
    )
