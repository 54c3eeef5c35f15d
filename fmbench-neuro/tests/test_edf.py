"""EDF/BDF recordings folders: written with edfio, read back, windowed; bad input is named."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fmbench_neuro.eeg.edf import load_edf_folder

from fmbench.data.locate import load_dataset
from fmbench.errors import DataError

CHANNELS = ["Fz", "Cz", "Pz", "O1"]


def write_recording(
    path: Path,
    seconds: float,
    fs: float = 128.0,
    channels: list[str] = CHANNELS,
    seed: int = 0,
    rates: list[float] | None = None,
) -> np.ndarray:
    import edfio

    rng = np.random.default_rng(seed)
    rates = rates or [fs] * len(channels)
    data = [rng.standard_normal(int(seconds * r)) * 20 for r in rates]
    cls = edfio.BdfSignal if path.suffix == ".bdf" else edfio.EdfSignal
    container = edfio.Bdf if path.suffix == ".bdf" else edfio.Edf
    signals = [
        cls(d, r, label=c, physical_dimension="uV", physical_range=(-200.0, 200.0))
        for d, r, c in zip(data, rates, channels, strict=True)
    ]
    container(signals).write(path)
    return np.stack(data) if len(set(rates)) == 1 else np.array([])


def write_labels(folder: Path, rows: list[tuple[str, str, str, int]]) -> None:
    lines = ["file,subject,label,age"] + [f"{f},{s},{lab},{a}" for f, s, lab, a in rows]
    (folder / "labels.csv").write_text("\n".join(lines) + "\n")


@pytest.fixture
def recordings(tmp_path: Path) -> Path:
    originals = {}
    for i, (name, _label) in enumerate(
        [("a.edf", "normal"), ("b.edf", "abnormal"), ("c.bdf", "normal")]
    ):
        originals[name] = write_recording(tmp_path / name, seconds=10, seed=i)
    write_labels(tmp_path, [("a.edf", "s1", "normal", 30), ("b.edf", "s2", "abnormal", 70),
                            ("c.bdf", "s3", "normal", 45)])  # fmt: skip
    np.save(tmp_path.parent / "originals_a.npy", originals["a.edf"])
    return tmp_path


def test_round_trip_and_windowing(recordings: Path) -> None:
    ds = load_edf_folder(recordings, window_s=2.0, step_s=1.0)
    # 10 s recordings, 2 s windows every 1 s -> 9 windows each
    assert ds.X.shape == (27, 4, 256)
    assert ds.info["sampling_freq"] == 128.0
    assert ds.info["ch_names"] == CHANNELS
    assert ds.info["class_names"] == ["abnormal", "normal"]
    assert list(ds.y[:9]) == [1] * 9
    assert list(ds.y[9:18]) == [0] * 9
    assert set(ds.metadata["subject_id"]) == {"s1", "s2", "s3"}
    assert ds.metadata["age"].dtype.kind == "f"
    original = np.load(recordings.parent / "originals_a.npy")
    # EDF stores 16-bit integers over +/-200 uV: a quantisation step of about 0.006 uV
    np.testing.assert_allclose(ds.X[1], original[:, 128:384], atol=0.01)


def test_reader_found_by_path(registry, recordings: Path) -> None:
    ds, spec = load_dataset(registry, str(recordings), options={"window_s": 5.0})
    assert spec is None
    assert ds.X.shape == (6, 4, 640)
    assert ds.info["modality"] == "eeg"


def test_channel_selection(recordings: Path) -> None:
    ds = load_edf_folder(recordings, channels=["O1", "Fz"])
    assert ds.info["ch_names"] == ["O1", "Fz"]
    assert ds.X.shape[1] == 2


def test_truncated_edf_is_named(recordings: Path) -> None:
    raw = (recordings / "b.edf").read_bytes()
    (recordings / "b.edf").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(DataError, match=r"b\.edf.*truncated"):
        load_edf_folder(recordings)


def test_broken_header_is_named(recordings: Path) -> None:
    (recordings / "a.edf").write_bytes((recordings / "a.edf").read_bytes()[:100])
    with pytest.raises(DataError, match=r"a\.edf: not a readable EDF"):
        load_edf_folder(recordings)


def test_labels_not_matching_files(recordings: Path) -> None:
    write_labels(recordings, [("a.edf", "s1", "normal", 30), ("b.edf", "s2", "abnormal", 70),
                              ("missing.edf", "s4", "normal", 50)])  # fmt: skip
    with pytest.raises(DataError, match=r"labels\.csv: lists file\(s\) not in .*missing\.edf"):
        load_edf_folder(recordings)
    write_labels(recordings, [("a.edf", "s1", "normal", 30), ("b.edf", "s2", "abnormal", 70)])
    with pytest.raises(DataError, match=r"no row for recording\(s\) c\.bdf"):
        load_edf_folder(recordings)


def test_missing_labels_table(recordings: Path) -> None:
    (recordings / "labels.csv").unlink()
    with pytest.raises(DataError, match=r"labels\.csv: no labels table"):
        load_edf_folder(recordings)


def test_inconsistent_sampling_rates(recordings: Path) -> None:
    write_recording(recordings / "c.bdf", seconds=10, fs=256.0)
    with pytest.raises(
        DataError, match=r"c\.bdf: sampling rate 256 Hz differs from a\.edf's 128 Hz"
    ):
        load_edf_folder(recordings)


def test_mixed_rates_inside_one_file(recordings: Path) -> None:
    write_recording(recordings / "a.edf", seconds=10, rates=[128.0, 128.0, 256.0, 128.0])
    with pytest.raises(DataError, match=r"a\.edf: channels have different sampling rates"):
        load_edf_folder(recordings)


def test_recording_shorter_than_a_window(recordings: Path) -> None:
    with pytest.raises(DataError, match=r"lasts 10 s, shorter than one window of 20 s"):
        load_edf_folder(recordings, window_s=20.0)


def test_different_channels_need_the_option(recordings: Path) -> None:
    write_recording(recordings / "b.edf", seconds=10, channels=["Fz", "Cz", "Pz", "O2"])
    with pytest.raises(DataError, match=r"b\.edf: channels .* differ"):
        load_edf_folder(recordings)
    ds = load_edf_folder(recordings, channels=["Fz", "Cz", "Pz"])
    assert ds.X.shape[1] == 3
