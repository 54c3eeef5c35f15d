"""NIfTI folders: 4-D fMRI + an atlas -> ROI time series -> connectivity; 3-D sMRI volumes.

A folder holds ``*.nii`` / ``*.nii.gz`` images (read with ``nibabel``) and ``labels.csv``
(``file``, ``subject``, ``label`` and covariates). What the images are decides the output:

- **fMRI** (4-D: x, y, z, time): the atlas (a 3-D integer label image in the same space,
  default ``atlas.nii.gz`` in the folder) gives one mean time series per region; with
  ``features="connectivity"`` (default) each subject becomes the upper triangle of its
  Fisher-z correlation matrix; with ``features="timeseries"`` it is (n_rois, n_timepoints)
  (``n_timepoints`` crops every run to a common length).
- **sMRI** (3-D): each volume is one sample (x, y, z); all must have the same grid.

Dataset options: ``kind`` (``auto``, ``fmri``, ``smri``), ``atlas``, ``features``,
``n_timepoints``, ``labels``.

Example::

    fmbench run --suite SUITE-NEURO-CLASS-001 --model model.yaml --dataset my_fmri_folder/
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from fmbench.data.dataset import Dataset
from fmbench.errors import DataError
from fmbench_neuro.connectivity import constant_rois, fisher_z_connectivity, roi_timeseries
from fmbench_neuro.labels import covariate_column, encode_labels, read_labels_table

__all__ = ["NIFTI_PATTERNS", "load_image", "load_nifti_folder", "repetition_time"]

NIFTI_PATTERNS = ("*.nii", "*.nii.gz")
_KINDS = ("auto", "fmri", "smri")
_FEATURES = ("connectivity", "timeseries")


def load_image(path: Path) -> Any:
    """Open a NIfTI image with nibabel; unreadable files give an error naming them."""
    import nibabel as nib

    try:
        image: Any = nib.load(str(path))
        image.shape  # noqa: B018 - touching the header finds broken files early
    except Exception as exc:
        raise DataError(
            f"{path}: not a readable NIfTI image ({type(exc).__name__}: {exc})"
        ) from None
    return image


def _data(image: Any, path: Path) -> np.ndarray:
    try:
        return np.asarray(image.get_fdata(dtype=np.float32))
    except Exception as exc:
        raise DataError(
            f"{path}: the image data cannot be read ({type(exc).__name__}: {exc}); the file "
            "may be truncated"
        ) from None


def repetition_time(image: Any) -> float | None:
    """The TR in seconds from a 4-D header, or None.

    Honours ms/us units; a TR above 100 "seconds" is read as milliseconds, since headers
    that store 2000 with the unit "sec" are common (nibabel's own example4d.nii.gz is one)
    and no fMRI sequence has a TR of minutes.
    """
    zooms = image.header.get_zooms()
    if len(zooms) < 4:
        return None
    _, time_unit = image.header.get_xyzt_units()
    scale = {"msec": 1e-3, "usec": 1e-6}.get(time_unit, 1.0)
    tr = float(zooms[3]) * scale
    return tr / 1000.0 if tr > 100 else tr


def _image_files(folder: Path, exclude: set[str]) -> list[str]:
    names = sorted({p.name for pat in NIFTI_PATTERNS for p in folder.glob(pat)} - exclude)
    if not names:
        raise DataError(f"{folder}: no .nii or .nii.gz images found")
    return names


def _fmri_features(
    path: Path,
    image: Any,
    atlas: np.ndarray,
    atlas_path: Path,
    features: str,
    n_timepoints: int | None,
) -> np.ndarray:
    data = _data(image, path)
    if data.ndim != 4:
        raise DataError(
            f"{path}: the image is {data.ndim}-D with shape {data.shape}; an fMRI run must be "
            "4-D (x, y, z, time)"
        )
    if data.shape[:3] != atlas.shape:
        raise DataError(
            f"{path}: grid {data.shape[:3]} differs from the atlas {atlas_path.name} grid "
            f"{atlas.shape}; resample the atlas into the functional space"
        )
    series, _ = roi_timeseries(data, atlas)
    if n_timepoints is not None:
        if series.shape[1] < n_timepoints:
            raise DataError(
                f"{path}: {series.shape[1]} time points, fewer than n_timepoints={n_timepoints}"
            )
        series = series[:, :n_timepoints]
    if features == "timeseries":
        return series
    if series.shape[1] < 3:
        raise DataError(
            f"{path}: {series.shape[1]} time point(s); connectivity needs at least 3 volumes"
        )
    flat = constant_rois(series)
    if len(flat):
        raise DataError(
            f"{path}: region(s) {', '.join(str(i + 1) for i in flat[:5])} of the atlas have a "
            "constant signal (outside the field of view?), so their correlations are undefined"
        )
    return fisher_z_connectivity(series)


def load_nifti_folder(
    path: str | os.PathLike[str],
    *,
    kind: str = "auto",
    atlas: str = "atlas.nii.gz",
    features: str = "connectivity",
    n_timepoints: int | None = None,
    labels: str = "labels.csv",
    dataset_id: str | None = None,
) -> Dataset:
    """Read a folder of NIfTI images with a labels table (see the module docstring).

    Example:
        >>> load_nifti_folder("no-such-folder")
        Traceback (most recent call last):
        ...
        fmbench.errors.DataError: no-such-folder: not a folder of NIfTI images
    """
    folder = Path(path)
    if not folder.is_dir():
        raise DataError(f"{folder}: not a folder of NIfTI images")
    if kind not in _KINDS:
        raise DataError(f"{folder}: kind must be one of {', '.join(_KINDS)}, got {kind!r}")
    if features not in _FEATURES:
        raise DataError(
            f"{folder}: features must be one of {', '.join(_FEATURES)}, got {features!r}"
        )
    files = _image_files(folder, {atlas})
    table = read_labels_table(folder / labels, files)
    images = [(folder / name, load_image(folder / name)) for name in table.files]
    if kind == "auto":
        kind = "fmri" if len(images[0][1].shape) == 4 else "smri"
    info: dict[str, Any] = {"task": "classification"}
    samples: list[np.ndarray] = []
    if kind == "fmri":
        atlas_path = folder / atlas
        if not atlas_path.is_file():
            raise DataError(
                f"{atlas_path}: fMRI needs an atlas (3-D label image) in the folder; pass its "
                "file name as the 'atlas' dataset option"
            )
        atlas_data = np.asarray(load_image(atlas_path).dataobj)
        if atlas_data.ndim != 3:
            raise DataError(f"{atlas_path}: an atlas must be 3-D, got shape {atlas_data.shape}")
        atlas_labels = np.rint(atlas_data).astype(np.int64)
        regions = np.unique(atlas_labels)
        regions = regions[regions != 0]
        if len(regions) < 2:
            raise DataError(f"{atlas_path}: the atlas labels fewer than 2 regions")
        for file_path, image in images:
            samples.append(
                _fmri_features(file_path, image, atlas_labels, atlas_path, features, n_timepoints)
            )
        if features == "timeseries" and len({s.shape for s in samples}) > 1:
            raise DataError(
                f"{folder}: runs have different lengths ({sorted({s.shape[1] for s in samples})}); "
                "pass n_timepoints to crop them to a common length"
            )
        info.update(
            modality="fmri",
            features=features,
            n_rois=len(regions),
            roi_labels=[int(r) for r in regions],
            atlas=atlas,
            tr_s=repetition_time(images[0][1]),
        )
    else:
        for file_path, image in images:
            data = _data(image, file_path)
            if data.ndim == 4 and data.shape[3] == 1:
                data = data[..., 0]
            if data.ndim != 3:
                raise DataError(
                    f"{file_path}: the image is {data.ndim}-D with shape {data.shape}; a "
                    "structural MRI must be a 3-D volume"
                )
            if samples and data.shape != samples[0].shape:
                raise DataError(
                    f"{file_path}: grid {data.shape} differs from {table.files[0]}'s "
                    f"{samples[0].shape}; register all volumes to one template grid"
                )
            samples.append(data)
        info.update(
            modality="mri", voxel_size_mm=[float(z) for z in images[0][1].header.get_zooms()[:3]]
        )
    y, class_names = encode_labels(table.labels)
    metadata: dict[str, np.ndarray] = {
        "subject_id": np.array(table.subjects, dtype=object),
        "file": np.array(table.files, dtype=object),
    }
    for column, values in table.covariates.items():
        metadata[column] = covariate_column(values)
    info.update(n_classes=len(class_names), class_names=class_names)
    return Dataset(
        dataset_id=dataset_id or str(folder),
        X=np.stack(samples).astype(np.float32),
        y=y,
        metadata=metadata,
        info=info,
        source=str(folder),
    )
