"""FIF and BrainVision recordings (the mne extra): written with MNE and pybv, read back through
fmbench's dataset resolution, windowed; broken files and the missing extra are one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from fmbench_neuro import plugin
from fmbench_neuro.eeg.edf import EEG_PATTERNS, load_edf_folder
from fmbench_neuro.eeg.mne_io import MISSING_EXTRA, read_mne_recording

from fmbench.data.locate import load_dataset
from fmbench.errors import DataError

from .conftest import CONFIGS
from .test_edf import write_labels, write_recording

mne = pytest.importorskip("mne")
pybv = pytest.importorskip("pybv")

CHANNELS = ["Fz", "Cz", "Pz", "O1"]
FS = 128.0


def signal_uv(seconds: float, seed: int, n_channels: int = len(CHANNELS)) -> np.ndarray:
    """Known EEG-like signals in microvolts (about +/-60 uV)."""
    return np.random.default_rng(seed).standard_normal((n_channels, int(seconds * FS))) * 20


def write_fif(path: Path, data_uv: np.ndarray, *, non_eeg: bool = True) -> None:
    """A FIF file of the EEG channels plus an EOG and a stim channel (which the reader drops)."""
    names, types, data = list(CHANNELS), ["eeg"] * len(CHANNELS), data_uv * 1e-6
    if non_eeg:
        names += ["EOG1", "STI 014"]
        types += ["eog", "stim"]
        extra = np.vstack([np.full(data.shape[1], 1e-4), np.zeros(data.shape[1])])
        data = np.vstack([data, extra])
    info = mne.create_info(names, FS, types)
    mne.io.RawArray(data, info, verbose="error").save(path, overwrite=True, verbose="error")


def write_brainvision(folder: Path, stem: str, data_uv: np.ndarray) -> None:
    """``stem.vhdr`` + ``stem.eeg`` + ``stem.vmrk`` (pybv takes volts, stores float32 uV)."""
    pybv.write_brainvision(
        data=data_uv * 1e-6, sfreq=FS, ch_names=CHANNELS, fname_base=stem, folder_out=folder,
        overwrite=True,
    )  # fmt: skip


@pytest.fixture
def fif_folder(tmp_path: Path) -> tuple[Path, dict[str, np.ndarray]]:
    folder = tmp_path / "fif"
    folder.mkdir()
    originals = {}
    for seed, name in enumerate(["a_raw.fif", "b_raw.fif", "c_raw.fif.gz"]):
        originals[name] = signal_uv(10, seed)
        write_fif(folder / name, originals[name])
    write_labels(folder, [("a_raw.fif", "s1", "normal", 30), ("b_raw.fif", "s2", "abnormal", 70),
                          ("c_raw.fif.gz", "s3", "normal", 45)])  # fmt: skip
    return folder, originals


def test_fif_folder_found_by_path_and_read_back(registry, fif_folder) -> None:  # type: ignore[no-untyped-def]
    folder, originals = fif_folder
    ds, spec = load_dataset(registry, str(folder), options={"window_s": 2.0, "step_s": 1.0})
    assert spec is None
    # 10 s recordings, 2 s windows every 1 s -> 9 windows each; EOG and stim channels dropped
    assert ds.X.shape == (27, 4, 256)
    assert ds.info["modality"] == "eeg"
    assert ds.info["sampling_freq"] == FS
    assert ds.info["ch_names"] == CHANNELS
    assert ds.info["unit"] == "uV"
    assert ds.info["class_names"] == ["abnormal", "normal"]
    assert list(ds.y) == [1] * 9 + [0] * 9 + [1] * 9
    assert list(ds.metadata["file"][::9]) == ["a_raw.fif", "b_raw.fif", "c_raw.fif.gz"]
    assert list(ds.metadata["age"][::9]) == [30.0, 70.0, 45.0]
    # FIF stores float32 volts: relative precision about 1e-7, returned in microvolts
    np.testing.assert_allclose(ds.X[1], originals["a_raw.fif"][:, 128:384], rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(ds.X[26], originals["c_raw.fif.gz"][:, 1024:1280], atol=1e-4)


def test_brainvision_folder_read_back(registry, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    originals = {stem: signal_uv(6, seed) for seed, stem in enumerate(["r1", "r2"])}
    for stem, data in originals.items():
        write_brainvision(tmp_path, stem, data)
    write_labels(tmp_path, [("r1.vhdr", "s1", "normal", 30), ("r2.vhdr", "s2", "abnormal", 70)])
    ds, _ = load_dataset(registry, str(tmp_path), options={"window_s": 3.0})
    assert ds.X.shape == (4, 4, 384)
    assert ds.info["ch_names"] == CHANNELS
    assert ds.info["sampling_freq"] == FS
    assert ds.info["unit"] == "uV"
    assert list(ds.y) == [1, 1, 0, 0]
    assert list(ds.metadata["window_start_s"]) == [0.0, 3.0, 0.0, 3.0]
    # BrainVision float32 in uV
    np.testing.assert_allclose(ds.X[3], originals["r2"][:, 384:768], rtol=1e-6, atol=1e-4)


def test_one_folder_mixes_edf_fif_and_brainvision(tmp_path: Path) -> None:
    """Every format comes out in microvolts, so the windows of mixed folders share one scale."""
    edf = write_recording(tmp_path / "a.edf", seconds=4, seed=0)  # uV, as EDF declares
    fif = signal_uv(4, seed=1)
    write_fif(tmp_path / "b_raw.fif", fif)
    bv = signal_uv(4, seed=2)
    write_brainvision(tmp_path, "c", bv)
    write_labels(tmp_path, [("a.edf", "s1", "normal", 30), ("b_raw.fif", "s2", "abnormal", 70),
                            ("c.vhdr", "s3", "normal", 45)])  # fmt: skip
    ds = load_edf_folder(tmp_path, window_s=4.0)
    assert ds.X.shape == (3, 4, 512)
    assert ds.info["unit"] == "uV"
    np.testing.assert_allclose(ds.X[0], edf, atol=0.01)  # EDF 16-bit quantisation
    np.testing.assert_allclose(ds.X[1], fif, atol=1e-4)
    np.testing.assert_allclose(ds.X[2], bv, atol=1e-4)


def test_recordings_in_different_units_are_refused(tmp_path: Path) -> None:
    import edfio

    data = signal_uv(4, seed=0) / 1000  # millivolts
    signals = [
        edfio.EdfSignal(d, FS, label=c, physical_dimension="mV", physical_range=(-0.2, 0.2))
        for d, c in zip(data, CHANNELS, strict=True)
    ]
    edfio.Edf(signals).write(tmp_path / "a.edf")
    write_fif(tmp_path / "b_raw.fif", signal_uv(4, seed=1))
    write_labels(tmp_path, [("a.edf", "s1", "normal", 30), ("b_raw.fif", "s2", "abnormal", 70)])
    with pytest.raises(DataError, match=r"b_raw\.fif: data in uV, but a\.edf's in mV"):
        load_edf_folder(tmp_path)


def test_channel_selection_and_different_montages(fif_folder) -> None:  # type: ignore[no-untyped-def]
    folder, _ = fif_folder
    ds = load_edf_folder(folder, channels=["O1", "Fz"])
    assert ds.info["ch_names"] == ["O1", "Fz"]
    assert ds.X.shape[1] == 2
    with pytest.raises(DataError, match=r"has no channel\(s\) EOG1"):
        load_edf_folder(folder, channels=["Fz", "EOG1"])  # dropped: not an EEG channel


def test_truncated_fif_is_named(fif_folder) -> None:  # type: ignore[no-untyped-def]
    folder, _ = fif_folder
    raw = (folder / "b_raw.fif").read_bytes()
    (folder / "b_raw.fif").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(DataError, match=r"b_raw\.fif: not a readable FIF file .*truncated"):
        load_edf_folder(folder)


def test_garbage_fif_is_named(fif_folder) -> None:  # type: ignore[no-untyped-def]
    folder, _ = fif_folder
    (folder / "a_raw.fif").write_bytes(b"not a fif file at all")
    with pytest.raises(DataError, match=r"a_raw\.fif: not a readable FIF file"):
        load_edf_folder(folder)


def test_truncated_brainvision_data_is_named(tmp_path: Path) -> None:
    write_brainvision(tmp_path, "r1", signal_uv(4, seed=0))
    eeg = tmp_path / "r1.eeg"
    eeg.write_bytes(eeg.read_bytes()[:1001])  # 1001 bytes: not whole samples of 4 x float32
    with pytest.raises(DataError, match=r"r1\.vhdr: the BrainVision data file r1\.eeg is trunc"):
        read_mne_recording(tmp_path / "r1.vhdr")


def test_brainvision_shorter_than_declared_is_named(tmp_path: Path) -> None:
    write_brainvision(tmp_path, "r1", signal_uv(4, seed=0))
    header = tmp_path / "r1.vhdr"
    text = header.read_text(encoding="utf-8")
    header.write_text(text.replace("NumberOfChannels=4", "NumberOfChannels=4\nDataPoints=600"))
    with pytest.raises(DataError, match=r"r1\.eeg is truncated .*not 600 samples"):
        read_mne_recording(header)


def test_brainvision_missing_companion_file(tmp_path: Path) -> None:
    write_brainvision(tmp_path, "r1", signal_uv(4, seed=0))
    (tmp_path / "r1.eeg").unlink()
    with pytest.raises(DataError, match=r"r1\.vhdr: file r1\.eeg not found; keep the \.vhdr"):
        read_mne_recording(tmp_path / "r1.vhdr")


def test_file_without_eeg_channels(tmp_path: Path) -> None:
    info = mne.create_info(["EOG1", "STI 014"], FS, ["eog", "stim"])
    raw = mne.io.RawArray(np.zeros((2, 512)), info, verbose="error")
    raw.save(tmp_path / "x_raw.fif", verbose="error")
    with pytest.raises(DataError, match=r"x_raw\.fif: the FIF file has no EEG channels .*eog"):
        read_mne_recording(tmp_path / "x_raw.fif")


def test_missing_extra_is_one_line(registry, fif_folder, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    folder, _ = fif_folder
    monkeypatch.setitem(sys.modules, "mne", None)  # `import mne` raises ImportError
    with pytest.raises(DataError) as caught:
        load_dataset(registry, str(folder))  # the folder is still recognised as EEG recordings
    message = str(caught.value)
    assert message == f"{folder / 'a_raw.fif'}: {MISSING_EXTRA}"
    assert "pip install 'fmbench-neuro[mne]'" in message
    assert "\n" not in message


def test_plugin_reads_every_pattern_of_the_reader() -> None:
    (spec,) = [s for s in plugin.fmbench_datasets() if s.name == "eeg-edf-folder"]
    assert spec.reads == EEG_PATTERNS


def test_suite_runs_end_to_end_on_fif_and_brainvision(tmp_path: Path) -> None:
    """`fmbench run` in a subprocess on a folder of FIF and BrainVision recordings."""
    folder = tmp_path / "recs"
    folder.mkdir()
    t = np.arange(int(8 * FS)) / FS
    rows = []
    for i in range(12):
        label = "abnormal" if i % 2 else "normal"
        data = signal_uv(8, seed=100 + i) * 0.5
        if label == "abnormal":  # background slowing: strong 2 Hz delta activity
            data += 40 * np.sin(2 * np.pi * 2.0 * t + i)
        if i < 6:
            name = f"rec{i:02d}_raw.fif"
            write_fif(folder / name, data)
        else:
            name = f"rec{i:02d}.vhdr"
            write_brainvision(folder, f"rec{i:02d}", data)
        rows.append((name, f"sub-{i:02d}", label, 20 + 5 * i))
    write_labels(folder, rows)
    out = subprocess.run(
        [sys.executable, "-m", "fmbench", "run", "--suite", "SUITE-NEURO-EEG-001", "--model",
         str(CONFIGS / "eeg_bandpower.yaml"), "--dataset", str(folder), "--out", "r",
         "--no-progress"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    document = yaml.safe_load((tmp_path / "r/eval.yaml").read_text())
    assert document["benchmark_id"] == "BM-EEG-ABNORMAL"
    assert document["status"] == "Completed"
    (block,) = document["benchmarks"]
    assert block["data"]["n_samples"] == 48  # 12 recordings x 4 windows of 2 s
    assert block["data"]["shape"] == [4, 256]
    assert document["metrics"]["AUROC"] > 0.9


def test_missing_vmrk_is_fine_and_missing_file_is_named(tmp_path: Path) -> None:
    data = signal_uv(4, seed=0)
    write_brainvision(tmp_path, "r1", data)
    (tmp_path / "r1.vmrk").unlink()  # markers are not read: the signal is all there
    rec = read_mne_recording(tmp_path / "r1.vhdr")
    assert rec.unit == "uV" and rec.sfreq == FS and rec.ch_names == CHANNELS
    np.testing.assert_allclose(rec.data, data, atol=1e-4)
    with pytest.raises(DataError, match=r"gone_raw\.fif: file not found"):
        read_mne_recording(tmp_path / "gone_raw.fif")
