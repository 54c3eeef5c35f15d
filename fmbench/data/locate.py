"""Finding a dataset: a registered id, or a path that a registered reader understands.

Example:
    >>> from fmbench.plugin_system.registry import build_registry
    >>> from fmbench.data.locate import find_reader
    >>> import pathlib
    >>> find_reader(build_registry(external=False), pathlib.Path("nowhere.xyz")) is None
    True
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fmbench.data.dataset import Dataset, matches_reader, toy_root
from fmbench.errors import DataError, FmbenchError
from fmbench.plugin_system.registry import Registry
from fmbench.plugin_system.specs import DatasetSpec, resolve

__all__ = ["dataset_path", "find_reader", "load_dataset"]


def find_reader(registry: Registry, path: Path) -> DatasetSpec | None:
    """The first registered reader whose ``reads`` patterns match ``path``."""
    for spec in registry.all(DatasetSpec):
        if spec.reads and matches_reader(path, spec.reads):
            return spec
    return None


def dataset_path(spec: DatasetSpec, root: str | Path | None = None) -> Path | None:
    """Where a registered toy dataset lives (None for datasets that find their own files)."""
    if spec.toy_path is None:
        return None
    return toy_root(root) / spec.toy_path


def load_dataset(
    registry: Registry,
    name_or_path: str,
    *,
    root: str | Path | None = None,
    options: dict[str, Any] | None = None,
) -> tuple[Dataset, DatasetSpec | None]:
    """Load a dataset by registered id or by path; returns it and its spec (if registered)."""
    options = dict(options or {})
    if (
        registry.has(DatasetSpec, name_or_path)
        and not registry.get(DatasetSpec, name_or_path).reads
    ):
        spec: DatasetSpec = registry.get(DatasetSpec, name_or_path)
        path = dataset_path(spec, root)
        if spec.sources:  # a public dataset: from the download cache (never downloads here)
            from fmbench.data.fetch import data_path

            path = data_path(spec)
        if path is not None and not path.exists():
            raise DataError(
                f"dataset {spec.name} not found at {path}; run `fmbench generate-toy-data` "
                f"(or pass --data-root to where it was generated)"
            )
        merged = {**dict(spec.options), **options}
        dataset = _call_loader(spec, path, merged)
        dataset.dataset_id = spec.name
        dataset.info.setdefault("modality", spec.modality)
        return dataset, spec
    path = Path(name_or_path)
    if not path.exists():
        if "/" in name_or_path or "\\" in name_or_path or path.suffix:
            raise DataError(f"dataset path not found: {path}")
        registry.get(DatasetSpec, name_or_path)  # raises with a suggestion
    reader = find_reader(registry, path)
    if reader is None:
        patterns = sorted({p for s in registry.all(DatasetSpec) for p in s.reads})
        raise DataError(
            f"{path}: no installed reader understands it; readable: {', '.join(patterns)} "
            "(an array folder needs X.npy and y.npy)"
        )
    dataset = _call_loader(reader, path, options)
    if dataset.dataset_id in {str(path), str(path.resolve())}:
        # a user's folder is named by its last part: eval.yaml must not show where it lives
        dataset.dataset_id = path.resolve().name
    dataset.info.setdefault(
        "modality", reader.modality if reader.modality != "tabular" else "tabular"
    )
    return dataset, None


def _call_loader(spec: DatasetSpec, path: Path | None, options: dict[str, Any]) -> Dataset:
    try:
        loader = resolve(spec.load)
    except ImportError as exc:
        raise DataError(f"dataset {spec.name}: its reader cannot be imported ({exc})") from None
    try:
        dataset = loader(path, **options)
    except FmbenchError:
        raise
    except TypeError as exc:
        raise DataError(f"dataset {spec.name}: bad dataset options {options} ({exc})") from None
    if not isinstance(dataset, Dataset):
        raise DataError(
            f"dataset {spec.name}: its reader returned {type(dataset).__name__}, not a Dataset"
        )
    return dataset
