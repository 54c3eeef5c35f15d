"""fMRI recipe: BrainLM's windows of parcel time series, scaled per parcel, with coordinates.

Values are worked out by hand from the rules in BrainLM's code (cited in the recipe); the full
path runs a stand-in with BrainLM's forward signature through ``torch_module``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from fmbench.adapters.recipes.base import RecipeContext, build_recipe
from fmbench.adapters.recipes.fmri import BrainLMRecipe, robust_scale, upstream_scale
from fmbench.errors import ConfigError, DataError, ModelError
from fmbench.plugin_system.specs import SuiteSpec

STANDINS = Path(__file__).parent / "standins"


def _coordinates(folder: Path, n: int) -> Path:
    """A coordinates table in BrainLM's A424_Coordinates.dat layout: index, x, y, z."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = [f"{i + 1}\t{10 * i}\t{-5 * i}\t{i % 7}" for i in range(n)]
    path = folder / "A424_Coordinates.dat"
    path.write_text("\n".join(rows) + "\n")
    return path


def _ctx(model_dir: Path | None = None) -> RecipeContext:
    return RecipeContext(source="m.yaml", adapter="torch_module", model_dir=model_dir)


def test_scalings_by_hand() -> None:
    x = np.array([[[1.0, 2.0, 3.0, 4.0, 100.0], [5.0, 5.0, 5.0, 5.0, 5.0]]])
    # parcel 0: median 3, quartiles 2 and 4 -> (x - 3) / 2; the outlier stays an outlier
    # parcel 1: IQR 0 -> only centred
    np.testing.assert_allclose(
        robust_scale(x), [[[-1.0, -0.5, 0.0, 0.5, 48.5], [0.0, 0.0, 0.0, 0.0, 0.0]]]
    )
    # BrainLM's code: x - mean over time - median / IQR (corpus statistics per parcel)
    median, iqr = np.array([4.0, 1.0]), np.array([2.0, 0.5])
    np.testing.assert_allclose(
        upstream_scale(x, median, iqr),
        [[[1 - 22 - 2, 2 - 22 - 2, 3 - 22 - 2, 4 - 22 - 2, 100 - 22 - 2], [-2.0] * 5]],
    )


def test_brainlm_inputs(tmp_path: Path) -> None:
    _coordinates(tmp_path, 3)
    recipe = build_recipe(
        {"recipe": "brainlm", "window": 40, "patch_size": 20, "window_start": 5}, _ctx(tmp_path)
    )
    assert isinstance(recipe, BrainLMRecipe)
    x = np.random.default_rng(0).normal(size=(2, 3, 60))
    out = recipe(x, {})
    signal = out.arrays["signal_vectors"]
    assert signal.shape == (2, 3, 40) and signal.dtype == np.float32
    np.testing.assert_allclose(signal, robust_scale(x[..., 5:45]), rtol=1e-5)
    xyz = out.arrays["xyz_vectors"]
    assert xyz.shape == (2, 3, 3)
    assert xyz[1].tolist() == [[0.0, 0.0, 0.0], [10.0, -5.0, 1.0], [20.0, -10.0, 2.0]]
    noise = out.arrays["noise"]
    assert noise.shape == (2, 3 * 2)
    assert np.all(np.diff(noise, axis=1) > 0)  # argsort(noise) keeps the token order
    assert recipe.describe()["files"].keys() == {"A424_Coordinates.dat"}
    with pytest.raises(DataError, match="3 parcels but the coordinates file 4"):
        build_recipe("brainlm", _ctx(_coordinates(tmp_path / "four", 4).parent))(x, {})
    with pytest.raises(DataError, match="60 time points; the window needs 200"):
        build_recipe("brainlm", _ctx(tmp_path))(x, {})


def test_brainlm_settings_are_checked(tmp_path: Path) -> None:
    _coordinates(tmp_path, 3)
    with pytest.raises(ModelError, match="not a multiple of patch_size"):
        build_recipe({"recipe": "brainlm", "window": 50}, _ctx(tmp_path))
    with pytest.raises(ConfigError, match="parcel_stats: required with scaling: upstream"):
        build_recipe({"recipe": "brainlm", "scaling": "upstream"}, _ctx(tmp_path))
    stats = tmp_path / "stats.txt"
    stats.write_text("0.5 2.0\n1.0 4.0\n0.0 1.0\n")
    recipe = build_recipe(
        {"recipe": "brainlm", "scaling": "upstream", "parcel_stats": str(stats), "window": 20},
        _ctx(tmp_path),
    )
    x = np.ones((1, 3, 20))
    np.testing.assert_allclose(recipe(x, {}).arrays["signal_vectors"][0, :, 0], [-0.25, -0.25, 0])
    with pytest.raises(ConfigError, match="coordinates: required"):
        build_recipe("brainlm", _ctx(tmp_path / "empty"))


@pytest.mark.usefixtures("torch_one_thread")
def test_brainlm_through_torch_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("torch")
    monkeypatch.syspath_prepend(str(STANDINS))
    from recipe_standins import save_standin

    from fmbench.adapters.tiny import probe_suite_plugin
    from fmbench.data.toy_files import write_array_dataset
    from fmbench.models.config import parse_model_config
    from fmbench.plugin_system.registry import build_registry
    from fmbench.running.suite_run import RunOptions, run_suite

    rng = np.random.default_rng(0)
    n, parcels, times = 48, 12, 220
    y = np.arange(n) % 2
    shared = rng.normal(size=(n, 1, times))
    X = rng.normal(size=(n, parcels, times)) + (1.0 + y[:, None, None]) * shared  # coupling
    write_array_dataset(
        tmp_path / "fmri",
        X=X.astype(np.float32),
        y=y,
        metadata={"subject_id": [f"sub{i % 12}" for i in range(n)]},
        info={"modality": "fmri", "task": "classification", "tr_s": 0.735},
    )
    weights = save_standin("BrainLMStandIn", tmp_path / "w")
    _coordinates(tmp_path / "w", parcels)  # beside the weights: found without a path
    config = {
        "model_id": "brainlm_standin",
        "type": "torch_module",
        "import_path": "recipe_standins:BrainLMStandIn",
        "weights": weights,
        "pooling": "cls",
        "preprocess": {"recipe": "brainlm"},
    }
    registry = build_registry(
        external=False, extra_modules=(probe_suite_plugin(str(tmp_path / "fmri"), name="BLM"),)
    )
    result: Any = run_suite(
        registry,
        registry.get(SuiteSpec, "SUITE-BLM"),
        parse_model_config(config, source="<t>"),
        tmp_path / "out",
        RunOptions(progress=False, use_cache=False),
    )
    record = result.outcomes[0].record
    assert record["status"] == "Completed", record
    assert record["protocol_details"]["embedding_dim"] == 8
    assert result.document.to_dict()["model"]["preprocess"]["window"] == 200
