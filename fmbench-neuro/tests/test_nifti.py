"""NIfTI folders: real 4-D files with an atlas -> ROI time series and connectivity; 3-D sMRI."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from fmbench_neuro.connectivity import fisher_z_connectivity, roi_timeseries
from fmbench_neuro.mri.nifti import load_nifti_folder, repetition_time

from fmbench.data.locate import load_dataset
from fmbench.errors import DataError


def block_atlas(shape: tuple[int, int, int], path: Path, affine: np.ndarray) -> np.ndarray:
    import nibabel as nib

    atlas = np.zeros(shape, dtype=np.int16)
    half = [s // 2 for s in shape[:2]]
    atlas[: half[0], : half[1]] = 1
    atlas[half[0] :, : half[1]] = 2
    atlas[: half[0], half[1] :] = 3
    atlas[half[0] :, half[1] :] = 4
    nib.save(nib.Nifti1Image(atlas, affine), str(path))
    return atlas


def fmri_folder(real_data: Path, tmp_path: Path, n_copies: int = 3) -> Path:
    import nibabel as nib

    image = nib.load(str(real_data / "functional.nii"))
    rows = ["file,subject,label,site"]
    for i in range(n_copies):
        shutil.copy(real_data / "functional.nii", tmp_path / f"sub{i}.nii")
        rows.append(f"sub{i}.nii,s{i},{'AD' if i % 2 else 'CN'},A")
    (tmp_path / "labels.csv").write_text("\n".join(rows) + "\n")
    block_atlas(image.shape[:3], tmp_path / "atlas.nii.gz", image.affine)
    return tmp_path


def test_real_fmri_to_connectivity(real_data: Path, tmp_path: Path, registry) -> None:
    import nibabel as nib

    folder = fmri_folder(real_data, tmp_path)
    ds, spec = load_dataset(registry, str(folder))
    assert spec is None
    assert ds.X.shape == (3, 6)  # 4 regions -> 6 pairs
    assert ds.info["modality"] == "fmri"
    assert ds.info["n_rois"] == 4
    assert ds.info["tr_s"] == pytest.approx(2.0)
    assert ds.info["class_names"] == ["AD", "CN"]
    data = np.asarray(nib.load(str(real_data / "functional.nii")).get_fdata())
    atlas = np.asarray(nib.load(str(folder / "atlas.nii.gz")).dataobj)
    series, labels = roi_timeseries(data, atlas)
    assert list(labels) == [1, 2, 3, 4]
    manual = np.corrcoef(series)[np.triu_indices(4, k=1)]
    np.testing.assert_allclose(ds.X[0], np.arctanh(manual), rtol=1e-3)  # float32 images
    np.testing.assert_allclose(series[0], data[atlas == 1].mean(axis=0), rtol=1e-6)


def test_real_fmri_as_timeseries(real_data: Path, tmp_path: Path) -> None:
    ds = load_nifti_folder(fmri_folder(real_data, tmp_path), features="timeseries", n_timepoints=15)
    assert ds.X.shape == (3, 4, 15)


def test_real_example4d_too_short_for_connectivity(real_data: Path, tmp_path: Path) -> None:
    import nibabel as nib

    image = nib.load(str(real_data / "example4d.nii.gz"))
    shutil.copy(real_data / "example4d.nii.gz", tmp_path / "run.nii.gz")
    (tmp_path / "labels.csv").write_text("file,subject,label\nrun.nii.gz,s1,CN\n")
    block_atlas(image.shape[:3], tmp_path / "atlas.nii.gz", image.affine)
    assert repetition_time(image) == pytest.approx(2.0)  # the header stores 2000 ms
    with pytest.raises(DataError, match=r"run\.nii\.gz: 2 time point\(s\); connectivity needs"):
        load_nifti_folder(tmp_path)
    ds = load_nifti_folder(tmp_path, features="timeseries")
    assert ds.X.shape == (1, 4, 2)


def test_wrong_dimensionality_is_named(real_data: Path, tmp_path: Path) -> None:
    import nibabel as nib

    folder = fmri_folder(real_data, tmp_path, n_copies=2)
    image = nib.load(str(folder / "sub1.nii"))
    nib.save(
        nib.Nifti1Image(np.asarray(image.dataobj)[..., 0], image.affine), str(folder / "sub1.nii")
    )
    with pytest.raises(DataError, match=r"sub1\.nii: the image is 3-D .* must be 4-D"):
        load_nifti_folder(folder)
    with pytest.raises(DataError, match=r"sub0\.nii: the image is 4-D .* must be a 3-D volume"):
        load_nifti_folder(folder, kind="smri")


def test_atlas_on_another_grid(real_data: Path, tmp_path: Path) -> None:
    import nibabel as nib

    folder = fmri_folder(real_data, tmp_path, n_copies=2)
    block_atlas((5, 5, 5), folder / "atlas.nii.gz", np.eye(4))
    with pytest.raises(DataError, match=r"sub0\.nii: grid \(17, 21, 3\) differs from the atlas"):
        load_nifti_folder(folder)
    del nib


def test_missing_atlas(real_data: Path, tmp_path: Path) -> None:
    folder = fmri_folder(real_data, tmp_path, n_copies=2)
    (folder / "atlas.nii.gz").unlink()
    with pytest.raises(DataError, match="fMRI needs an atlas"):
        load_nifti_folder(folder)


def test_truncated_nifti_is_named(real_data: Path, tmp_path: Path) -> None:
    folder = fmri_folder(real_data, tmp_path, n_copies=2)
    raw = (folder / "sub1.nii").read_bytes()
    (folder / "sub1.nii").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(DataError, match=r"sub1\.nii"):
        load_nifti_folder(folder)


def test_smri_volumes(tmp_path: Path) -> None:
    import nibabel as nib

    rng = np.random.default_rng(0)
    rows = ["file,subject,label,scanner"]
    for i in range(4):
        vol = rng.random((6, 7, 8)).astype(np.float32)
        nib.save(
            nib.Nifti1Image(vol, np.diag([2.0, 2.0, 2.0, 1.0])), str(tmp_path / f"t1_{i}.nii.gz")
        )
        rows.append(f"t1_{i}.nii.gz,s{i},{i % 2},GE")
    (tmp_path / "labels.csv").write_text("\n".join(rows) + "\n")
    ds = load_nifti_folder(tmp_path)
    assert ds.X.shape == (4, 6, 7, 8)
    assert ds.info["modality"] == "mri"
    assert ds.info["voxel_size_mm"] == [2.0, 2.0, 2.0]
    assert list(ds.y) == [0, 1, 0, 1]
    nib.save(
        nib.Nifti1Image(np.zeros((5, 5, 5), np.float32), np.eye(4)), str(tmp_path / "t1_3.nii.gz")
    )
    with pytest.raises(DataError, match=r"t1_3\.nii\.gz: grid \(5, 5, 5\) differs"):
        load_nifti_folder(tmp_path)


def test_fisher_z_matches_numpy() -> None:
    ts = np.random.default_rng(3).standard_normal((2, 5, 40))
    z = fisher_z_connectivity(ts)
    expected = np.arctanh(np.corrcoef(ts[1])[np.triu_indices(5, k=1)])
    np.testing.assert_allclose(z[1], expected, rtol=1e-10)
