"""Finding the small real files that some benchmarks run on.

A dataset registered without a toy folder (``DS-PBMC68K-REDUCED``) finds its file here:
``$FMBENCH_REAL_DATA``, then ``shared/data/real`` in the current folder or any folder above
it. The file is never downloaded.

Example:
    >>> import os
    >>> os.environ["FMBENCH_REAL_DATA"] = "/nowhere"
    >>> find_real_file("no-such-file.h5ad") is None
    True
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from fmbench.data.dataset import Dataset
from fmbench.errors import DataError

__all__ = ["REAL_DATA_ENV", "find_real_file", "load_pbmc68k_reduced", "real_data_dirs"]

#: Environment variable naming the folder of real test files.
REAL_DATA_ENV = "FMBENCH_REAL_DATA"

PBMC68K_FILE = "10x_pbmc68k_reduced.h5ad"


def real_data_dirs(start: Path | None = None) -> list[Path]:
    """Where real files are looked for, in order."""
    found: list[Path] = []
    env = os.environ.get(REAL_DATA_ENV)
    if env:
        found.append(Path(env))
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "shared" / "data" / "real"
        if candidate.is_dir() and candidate not in found:
            found.append(candidate)
    return found


def find_real_file(name: str, start: Path | None = None) -> Path | None:
    """The first ``name`` found in :func:`real_data_dirs`, or None."""
    for folder in real_data_dirs(start):
        if (folder / name).is_file():
            return folder / name
    return None


def load_pbmc68k_reduced(path: str | os.PathLike[str] | None, **options: Any) -> Dataset:
    """Load the real 10x PBMC 68k (reduced) file: 700 cells x 765 genes, 10 cell types."""
    from fmbench_genomics.expression import load_h5ad

    file = Path(path) if path is not None else find_real_file(PBMC68K_FILE)
    if file is None:
        raise DataError(
            f"dataset DS-PBMC68K-REDUCED: {PBMC68K_FILE} not found; put it in a folder named "
            f"by ${REAL_DATA_ENV} (or shared/data/real above the current folder), or run on "
            "your own copy with --dataset path/to/file.h5ad"
        )
    return load_h5ad(file, **options)
