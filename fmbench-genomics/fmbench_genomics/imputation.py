"""Masked-genotype imputation on a real VCF: labels are the genotypes the file itself holds.

``DS-1KG-CHR2-IMPUTE`` is prepared from ``1kg.vcf.gz`` (1000 Genomes pilot release
2010-08-04, chr2:10038-40424, 381 sites x 629 samples, as shipped in the pyvcf3 1.0.4 wheel).
The file carries no population labels, so the task uses what it does carry: the genotype
calls. The labels are derived exactly so:

1. Read every site's alternate-allele dosage (0, 1, 2; -1 where no call) with
   :func:`fmbench_genomics.vcf.read_vcf`.
2. *Candidate* sites: called in every sample and with minor-allele frequency at least
   :data:`MIN_MAF` (62 of the 381 sites), in file (position) order.
3. *Target* sites: every :data:`TARGET_STEP`-th candidate starting at candidate
   :data:`TARGET_START` (15 sites, spread along the region).
4. ``y`` (samples x targets): the called dosages at the target sites. ``X`` (samples x all
   381 sites): the dosages as in the file, with every target site (and any other record at a
   target's position) set to -1, the VCF's "no call": the model sees the VCF as if those
   genotypes had not been called.

A model that keeps linkage (which alleles travel together along the chromosome) in its
sample representation lets a ridge probe predict the masked genotypes; R2 averages, over the
target sites, how much of each site's variance is explained (0 = no better than the allele
frequency). Samples are the unit of the folds; the file holds no pedigree, so relatives, if
any, can fall on both sides.

Example:
    >>> import numpy as np
    >>> dosage = np.array([[0, 1, 2, -1], [1, 1, 0, 0], [2, 0, 1, 1], [0, 2, 1, 0]], np.int8)
    >>> candidate_sites(dosage, min_maf=0.1).tolist()
    [0, 1, 2]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from fmbench.errors import DataError

__all__ = [
    "MIN_MAF",
    "TARGET_START",
    "TARGET_STEP",
    "candidate_sites",
    "imputation_arrays",
    "prepare_1kg_imputation",
]

#: Candidate target sites need at least this minor-allele frequency.
MIN_MAF = 0.05
#: Every TARGET_STEP-th candidate is masked ...
TARGET_STEP = 4
#: ... starting at this candidate.
TARGET_START = 2


def candidate_sites(dosage: np.ndarray, *, min_maf: float = MIN_MAF) -> np.ndarray:
    """Indices of the sites called in every sample with minor-allele frequency >= min_maf."""
    complete = (dosage >= 0).all(axis=0)
    frequency = np.clip(dosage, 0, None).sum(axis=0) / (2.0 * max(len(dosage), 1))
    minor = np.minimum(frequency, 1 - frequency)
    return np.flatnonzero(complete & (minor >= min_maf))


def imputation_arrays(
    dosage: np.ndarray,
    positions: np.ndarray,
    *,
    min_maf: float = MIN_MAF,
    step: int = TARGET_STEP,
    start: int = TARGET_START,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(X, y, targets)``: masked dosages, the true dosages at the targets, their indices.

    Example:
        >>> d = np.array([[0, 1, 2], [1, 1, 0], [2, 0, 1], [0, 2, 1]], np.int8)
        >>> X, y, targets = imputation_arrays(d, np.array([5, 6, 7]), step=2, start=1)
        >>> targets.tolist(), X[:, 1].tolist(), y.ravel().tolist()
        ([1], [-1, -1, -1, -1], [1.0, 1.0, 0.0, 2.0])
    """
    targets = candidate_sites(dosage, min_maf=min_maf)[start::step]
    if len(targets) == 0:
        raise DataError(
            f"no site is called in all {len(dosage)} samples with minor-allele frequency >= "
            f"{min_maf}; nothing to mask"
        )
    X = np.array(dosage, dtype=np.int8, copy=True)
    masked = np.isin(positions, positions[targets])  # other records at a target's position too
    X[:, masked] = -1
    y = np.asarray(dosage[:, targets], dtype=np.float32)
    return X, y, targets


def prepare_1kg_imputation(raw_dir: Path, out_dir: Path) -> None:
    """The prepare step of ``DS-1KG-CHR2-IMPUTE``: ``1kg.vcf.gz`` -> an array folder."""
    from fmbench.data.toy_files import write_array_dataset
    from fmbench_genomics.public import ONEKG_SOURCE
    from fmbench_genomics.vcf import read_vcf

    genotypes = read_vcf(Path(raw_dir) / ONEKG_SOURCE.name)
    X, y, targets = imputation_arrays(genotypes.dosage, genotypes.pos)
    unmasked = X >= 0
    kept_sites = unmasked.any(axis=0)
    names = genotypes.variant_names
    metadata: dict[str, Any] = {
        "sample": genotypes.samples,
        # fraction of the not-masked sites (with any call) that are called in this sample
        "call_rate": np.round(unmasked[:, kept_sites].mean(axis=1), 4).tolist(),
    }
    write_array_dataset(
        Path(out_dir),
        X=X,
        y=y,
        metadata=metadata,
        info={
            "modality": "variant",
            "task": "regression",
            "missing_value": -1,
            "variant_names": names,
            "target_variants": [names[i] for i in targets],
            "target_names": [names[i] for i in targets],
            "n_masked_columns": int((~kept_sites).sum()),
            "min_maf": MIN_MAF,
            "unit": "alternate-allele dosage (0, 1, 2); -1 = no call or masked",
            "source": "1000 Genomes pilot release 2010-08-04, chr2 (pyvcf3 1.0.4 "
            "vcf/test/1kg.vcf.gz)",
        },
    )
