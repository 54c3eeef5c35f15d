"""EEG recipes: BENDR (DN3's Deep1010 mapping, min-max scaling, To1020, 256 Hz) and LaBraM
(200 Hz, 0.1 mV, patches of 200 samples, standard_1020 positions).

The expected values are worked out by hand in the tests from DN3's and LaBraM's code (cited
in the recipes' docstrings); nearest-neighbour resampling is checked against torch's own
``interpolate``. The full paths run stand-ins with the models' input signatures through the
``torch_module`` adapter on a small EEG benchmark written in the test.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from fmbench.adapters.recipes.base import RecipeContext, build_recipe
from fmbench.adapters.recipes.eeg import (
    BENDRRecipe,
    LaBraMRecipe,
    bendr_inputs,
    labram_patches,
    microvolts_per_unit,
    nearest_resize,
)
from fmbench.adapters.recipes.eeg_channels import (
    BENDR_CHANNELS,
    DEEP_1010_CHANNELS,
    deep1010_name,
    labram_index,
)
from fmbench.errors import ConfigError, DataError
from fmbench.plugin_system.specs import SuiteSpec

STANDINS = Path(__file__).parent / "standins"
#: 19 channels with today's names (as the PhysioNet motor-imagery set and most caps use)
CHANNELS = [
    "Fp1", "Fp2", "F7", "F3", "Fz", "F4", "F8", "T7", "C3", "Cz", "C4", "T8",
    "P7", "P3", "Pz", "P4", "P8", "O1", "O2",
]  # fmt: skip


def _ctx() -> RecipeContext:
    return RecipeContext(source="m.yaml", adapter="torch_module")


# --- BENDR -------------------------------------------------------------------------------


def test_deep1010_layout_and_names() -> None:
    assert len(DEEP_1010_CHANNELS) == 90
    assert DEEP_1010_CHANNELS[77:84] == ("VEOGL", "VEOGR", "HEOGL", "HEOGR", "A1", "A2", "REF")
    assert len(BENDR_CHANNELS) == 19 and BENDR_CHANNELS[7:12] == ("T7", "C3", "CZ", "C4", "T8")
    assert deep1010_name("EEG T3-REF") == "T3"  # TUH labels
    assert deep1010_name("Fp1.") == "FP1"  # PhysioNet labels
    assert deep1010_name("EOG") is None and deep1010_name("A1") is None


def test_bendr_scaling_by_hand() -> None:
    # Fp1 = [1, 3], Cz = [-1, 5], at 256 Hz: the Deep1010 EEG block's range is -1..5 (it holds
    # zeros for the 75 empty positions too), so x -> 2 * ((x + 1) / 6 - 0.5)
    x = np.array([[[1.0, 3.0], [-1.0, 5.0]]])
    out = bendr_inputs(x, ["Fp1", "Cz"], 256.0)
    assert out.shape == (1, 20, 2)
    np.testing.assert_allclose(out[0, 0], [-1 / 3, 1 / 3])  # FP1 is BENDR's channel 0
    np.testing.assert_allclose(out[0, 9], [-1.0, 1.0])  # CZ is channel 9
    assert not out[0, [i for i in range(19) if i not in (0, 9)]].any()
    assert not out[0, 19].any()  # no data_range: the relative amplitude is 0, as in DN3
    # all-positive data: 0 is still in the range (empty positions), so min = 0, max = 4
    positive = bendr_inputs(np.array([[[1.0, 3.0], [2.0, 4.0]]]), ["Fp1", "Cz"], 256.0)
    np.testing.assert_allclose(positive[0, 0], [-0.5, 0.5])
    # the relative amplitude: (max - min) / (data_max - data_min) = 6 / 20 -> 2 * (0.3 - 0.5)
    ranged = bendr_inputs(x, ["Fp1", "Cz"], 256.0, data_range=(-10.0, 10.0))
    np.testing.assert_allclose(ranged[0, 19], [-0.4, -0.4])
    capped = bendr_inputs(x, ["Fp1", "Cz"], 256.0, data_range=(0.0, 1.0))
    np.testing.assert_allclose(capped[0, 19], [1.0, 1.0])


def test_bendr_channel_placement() -> None:
    x = np.array([[[0.0, 2.0], [2.0, 4.0], [9.0, 9.0], [5.0, -5.0]]])
    # two labels of one position are averaged; T3 (old name) is not BENDR's T7
    out = bendr_inputs(x, ["Fp1", "FP1.", "T3", "ECG"], 256.0)
    # FP1 = mean of the two = [1, 3]; the block (FP1, T3 and zeros) spans 0..9
    np.testing.assert_allclose(out[0, 0], 2 * (np.array([1.0, 3.0]) / 9 - 0.5))
    assert not out[0, 7].any()  # T7 has no data: 0
    with pytest.raises(DataError, match="none of the channels"):
        bendr_inputs(x, ["ECG", "EOG", "T3", "A1"], 256.0)


def test_nearest_resize_matches_torch_interpolate() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    for n_in, n_out in ((320, 512), (500, 512), (1536, 1536), (7, 3), (333, 256)):
        x = rng.normal(size=(2, 3, n_in)).astype(np.float32)
        expected = torch.nn.functional.interpolate(torch.from_numpy(x), n_out, mode="nearest")
        np.testing.assert_array_equal(nearest_resize(x, n_out), expected.numpy())


def test_bendr_sampling_rates() -> None:
    rng = np.random.default_rng(1)
    # 512 Hz: every 2nd sample (DN3 decimates by 2), then nothing to interpolate
    x512 = rng.normal(size=(1, 2, 1024))
    out = bendr_inputs(x512, ["Cz", "Pz"], 512.0)
    assert out.shape == (1, 20, 512)
    direct = bendr_inputs(x512[..., ::2], ["Cz", "Pz"], 256.0)
    np.testing.assert_allclose(out, direct)
    # 160 Hz, 2 s: nearest-neighbour to 512 samples (DN3's TemporalInterpolation)
    x160 = rng.normal(size=(3, 2, 320))
    up = bendr_inputs(x160, ["Cz", "Pz"], 160.0)
    assert up.shape == (3, 20, 512)
    native = bendr_inputs(x160, ["Cz", "Pz"], 256.0)  # the same scaling, no resampling
    np.testing.assert_allclose(up, nearest_resize(native, 512))


def test_bendr_recipe_reads_the_dataset_facts() -> None:
    recipe = build_recipe({"recipe": "bendr", "data_range": [-100, 100]}, _ctx())
    assert isinstance(recipe, BENDRRecipe) and recipe.data_range == (-100.0, 100.0)
    x = np.random.default_rng(2).normal(size=(2, 19, 320))
    out = recipe(x, {"ch_names": CHANNELS, "sampling_freq": 160.0})
    assert out.arrays["x"].shape == (2, 20, 512) and out.arrays["x"].dtype == np.float32
    with pytest.raises(DataError, match="ch_names"):
        recipe(x, {"sampling_freq": 160.0})
    with pytest.raises(DataError, match="sampling_freq"):
        recipe(x, {"ch_names": CHANNELS})
    with pytest.raises(ConfigError, match=r"data_range: expected \[low, high\]"):
        build_recipe({"recipe": "bendr", "data_range": [5, 1]}, _ctx())


# --- LaBraM ------------------------------------------------------------------------------


def test_labram_positions() -> None:
    # standard_1020: FP1 is entry 0, CZ 41, O2 82, T3 88 (counted in LaBraM's utils.py)
    assert [labram_index(c) for c in ("Fp1", "cz", "EEG O2-REF", "T3", "EOG")] == [
        0, 41, 82, 88, None,
    ]  # fmt: skip
    recipe = LaBraMRecipe()
    rows, positions = recipe.channels(["Fp1", "Cz", "O2"])
    assert rows == [0, 1, 2] and positions == [1, 42, 83]
    with pytest.raises(DataError, match="EOG.*drop_unknown_channels"):
        recipe.channels(["Fp1", "EOG"])
    assert LaBraMRecipe(drop_unknown_channels=True).channels(["EOG", "Cz"]) == ([1], [42])
    with pytest.raises(DataError, match="beyond LaBraM's position embedding"):
        recipe.channels(["Fp1", "P4-O2"])  # entry 135 of the list: no position for it


def test_labram_patches_units_and_rate() -> None:
    # 200 Hz, uV: patches of 200 samples, divided by 100 (0.1 mV)
    x = np.arange(2 * 400, dtype=float).reshape(1, 2, 400)
    out = labram_patches(x, 200.0)
    assert out.shape == (1, 2, 2, 200)
    np.testing.assert_allclose(out[0, 1, 1], x[0, 1, 200:] / 100)
    # 160 Hz, 2 s of a 10 Hz sine of 50 uV -> 400 samples at 200 Hz, still 10 Hz, 0.5 units
    t = np.arange(320) / 160.0
    sine = 50 * np.sin(2 * np.pi * 10 * t)
    resampled = labram_patches(sine[None, None, :], 160.0).reshape(-1)
    assert resampled.size == 400
    spectrum = np.abs(np.fft.rfft(resampled))
    assert np.argmax(spectrum) == 20  # 10 Hz in 2 s
    assert abs(np.abs(resampled[50:350]).max() - 0.5) < 0.02
    with pytest.raises(DataError, match="1 to 16"):
        labram_patches(np.zeros((1, 1, 17 * 200)), 200.0)
    with pytest.raises(DataError, match="1 to 16"):
        labram_patches(np.zeros((1, 1, 150)), 200.0)
    assert microvolts_per_unit("V") == 1e6 and microvolts_per_unit("uV") == 1.0


def test_labram_recipe_units_and_filters() -> None:
    recipe = build_recipe({"recipe": "labram"}, _ctx())
    info = {"ch_names": ["Cz", "Pz"], "sampling_freq": 200.0, "unit": "V"}
    volts = np.full((1, 2, 200), 2e-6)
    out = recipe(volts, info)
    np.testing.assert_allclose(out.arrays["x"], 0.02, rtol=1e-5)  # 2 uV = 0.02 x 0.1 mV
    assert out.constants["input_chans"] == [0, 42, 64]
    with pytest.raises(DataError, match="unit"):
        recipe(volts, {**info, "unit": None})
    notched = build_recipe({"recipe": "labram", "notch": 50, "input_unit": "uV"}, _ctx())
    t = np.arange(800) / 200.0
    x = (np.sin(2 * np.pi * 10 * t) + np.sin(2 * np.pi * 50 * t))[None, None, :] * 100
    filtered = notched(np.repeat(x, 2, axis=1), info).arrays["x"].reshape(2, -1)[0]
    spectrum = np.abs(np.fft.rfft(filtered[200:600]))
    assert spectrum[100] < 0.05 * spectrum[20]  # 50 Hz (bin 100 of 2 s) removed, 10 Hz kept


# --- full paths ---------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _standins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(STANDINS))


def _write_eeg(folder: Path) -> Path:
    """60 windows of 2 s at 160 Hz in uV, 19 channels, 10 subjects; label 1 windows carry a
    stronger posterior 10 Hz rhythm."""
    from fmbench.data.toy_files import write_array_dataset

    rng = np.random.default_rng(0)
    t = np.arange(320) / 160.0
    posterior = np.array([1.0 if c[0] in "PO" else 0.2 for c in CHANNELS])
    X, y = [], []
    for i in range(60):
        label = i % 2
        alpha = (3.0 if label else 1.0) * np.sin(2 * np.pi * 10 * t + rng.uniform(0, 6.3))
        X.append(10 * (rng.normal(size=(19, 320)) + posterior[:, None] * alpha[None, :]))
        y.append(label)
    write_array_dataset(
        folder,
        X=np.asarray(X, dtype=np.float32),
        y=np.asarray(y, dtype=np.int64),
        metadata={"subject_id": [f"s{i % 10}" for i in range(60)]},
        info={
            "modality": "eeg",
            "task": "classification",
            "sampling_freq": 160.0,
            "ch_names": CHANNELS,
            "unit": "uV",
        },
    )
    return folder


def _run_eeg(tmp_path: Path, config: dict[str, Any], name: str) -> Any:
    from fmbench.adapters.tiny import probe_suite_plugin
    from fmbench.models.config import parse_model_config
    from fmbench.plugin_system.registry import build_registry
    from fmbench.running.suite_run import RunOptions, run_suite

    eeg = _write_eeg(tmp_path / "eeg")
    registry = build_registry(
        external=False, extra_modules=(probe_suite_plugin(str(eeg), name=name),)
    )
    return run_suite(
        registry,
        registry.get(SuiteSpec, f"SUITE-{name}"),
        parse_model_config(config, source="<t>"),
        tmp_path / "out",
        RunOptions(progress=False, use_cache=False),
    )


@pytest.mark.usefixtures("torch_one_thread")
def test_bendr_through_torch_module(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    from recipe_standins import save_standin

    config = {
        "model_id": "bendr_standin",
        "type": "torch_module",
        "import_path": "recipe_standins:BENDRStandIn",
        "weights": save_standin("BENDRStandIn", tmp_path / "w"),
        "preprocess": {"recipe": "bendr", "data_range": [-200, 200]},
        "pooling": "flatten",
    }
    result = _run_eeg(tmp_path, config, "BENDR")
    record = result.outcomes[0].record
    assert record["status"] == "Completed", record
    # 512 samples at 256 Hz through a stride-8 convolution of width 9: 63 steps x 6 features
    assert record["protocol_details"]["embedding_dim"] == 6 * 63
    assert result.document.to_dict()["model"]["preprocess"]["channels"][-1] == "scale"


@pytest.mark.usefixtures("torch_one_thread")
def test_labram_through_torch_module(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    from recipe_standins import save_standin

    config = {
        "model_id": "labram_standin",
        "type": "torch_module",
        "import_path": "recipe_standins:LaBraMStandIn",
        "weights": save_standin("LaBraMStandIn", tmp_path / "w"),
        "embed_method": "forward_features",
        "pooling": "none",
        "preprocess": "labram",
    }
    result = _run_eeg(tmp_path, config, "LABRAM")
    record = result.outcomes[0].record
    assert record["status"] == "Completed", record
    assert record["protocol_details"]["embedding_dim"] == 8
    assert result.document.to_dict()["model"]["preprocess"]["unit"] == "0.1 mV"
