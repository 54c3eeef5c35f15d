"""The robustness engine: probes, random streams, curves, rAUC, honest scores."""

from __future__ import annotations

import subprocess
import sys
import types
from typing import Any

import numpy as np
import pytest

import fmbench
from fmbench.builtin.probe_functions import noise
from fmbench.data.dataset import Dataset
from fmbench.errors import ConfigError, DataError
from fmbench.evaluation.protocols import Predictions
from fmbench.models.config import ModelConfig
from fmbench.models.dummy import DummyClassifier
from fmbench.models.handle import ModelHandle
from fmbench.plugin_system.registry import build_registry
from fmbench.plugin_system.specs import ProbeEntry, ProbeSpec
from fmbench.reporting.robustness import robustness_sections
from fmbench.results.eval_file import strip_timing
from fmbench.robustness.engine import (
    ProbeFailure,
    evaluate_probes,
    parse_levels,
    perturb_batch,
    plan_probes,
    probe_rng,
    rauc,
    relative_curve,
    relative_rauc,
    severity_axis,
)

# --- models and data ------------------------------------------------------------------------


class SignalModel:
    """Uses the signal: P(class 1) rises with the mean of channel 0."""

    def __init__(self) -> None:
        self.proba_calls = 0

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        self.proba_calls += 1
        score = np.asarray(X, dtype=float)[:, 0].reshape(len(X), -1).mean(axis=1)
        p1 = 1.0 / (1.0 + np.exp(-3.0 * score))
        return np.column_stack([1 - p1, p1])


class ConstantModel:
    """Ignores its input: perfectly stable, and useless."""

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return np.tile([0.7, 0.3], (len(X), 1))


def make_dataset(n: int = 120, channels: int = 4, times: int = 32, seed: int = 0) -> Dataset:
    rng = np.random.default_rng(seed)
    y = np.repeat([0, 1], n // 2)
    X = rng.standard_normal((n, channels, times)).astype(np.float32)
    X[:, 0, :] += np.where(y == 1, 0.6, -0.6)[:, None].astype(np.float32)
    return Dataset(
        dataset_id="toy-signal",
        X=X,
        y=y,
        info={"modality": "eeg", "task": "classification", "n_classes": 2},
    )


def handle(model: Any) -> ModelHandle:
    return ModelHandle(model=model, config=ModelConfig(model_id="m", type="python_class"))


def clean_predictions(model: ModelHandle, dataset: Dataset, batch_size: int) -> Predictions:
    indices = np.arange(dataset.n_samples)
    proba = np.concatenate(
        [model.predict_proba(b, 2) for _, b in dataset.batches(indices, batch_size)]
    )
    return Predictions(
        indices=indices,
        y_true=dataset.y,
        fold=np.zeros(len(indices), int),
        proba=proba,
        labels=proba.argmax(axis=1),
    )


def run_engine(
    model: Any,
    probes: list[str],
    *,
    registry: Any = None,
    dataset: Dataset | None = None,
    batch_size: int = 32,
    seed: int = 42,
) -> dict[str, Any]:
    registry = registry or build_registry(external=False)
    dataset = dataset or make_dataset()
    h = model if isinstance(model, ModelHandle) else handle(model)
    plans = plan_probes(registry, [ProbeEntry(name=p) for p in probes], dataset.info)
    return evaluate_probes(
        registry,
        plans,
        dataset=dataset,
        predictions=clean_predictions(h, dataset, batch_size),
        model=h,
        task="classification",
        primary_metric="AUROC",
        seed=seed,
        batch_size=batch_size,
    )


# --- definitions ----------------------------------------------------------------------------


def test_rauc_is_the_trapezoid_over_rank_spaced_levels() -> None:
    assert rauc([0, 0.1, 0.2], [1.0, 1.0, 1.0]) == 1.0
    assert rauc([0, 0.5, 1.0], [1.0, 0.0, 0.0]) == 0.25
    # unequal spacing: every step still weighs the same, t = [0, 0.5, 1]
    assert rauc([0.0, 0.1, 0.5], [1.0, 0.5, 0.0]) == pytest.approx(0.5)
    # decreasing grid (e.g. SNR in dB): first level maps to 0
    assert rauc([40, 20, 0], [1.0, 1.0, 0.0]) == 0.75
    assert rauc([0, 1], [1.0, None]) is None


def test_the_noise_grid_gives_each_10_db_step_the_same_weight() -> None:
    grid = build_registry(external=False).get(ProbeSpec, "noise").levels
    t = severity_axis(grid)
    assert np.allclose(np.diff(t), 1 / (len(grid) - 1))
    # the linear map gave the last step (0.316 -> 1) 68 % of the axis
    linear = (np.asarray(grid) - grid[0]) / (grid[-1] - grid[0])
    assert linear[-1] - linear[-2] > 0.68
    # a monotone re-expression of the levels (RMS ratio -> dB) leaves the rAUC unchanged
    curve = [1.0, 0.9, 0.8, 0.6, 0.3, 0.1]
    db = [200.0 if v == 0 else -20 * np.log10(v) for v in grid]
    assert rauc(grid, curve) == rauc(db, curve)


def test_severity_axis_needs_two_distinct_levels() -> None:
    assert severity_axis([2.0, 4.0, 6.0]).tolist() == [0.0, 0.5, 1.0]
    with pytest.raises(ConfigError):
        severity_axis([1.0, 1.0])


def test_relative_curve_is_chance_relative_and_unclipped() -> None:
    # a point at chance is 0 and one below chance negative: its noise is not turned into credit
    assert relative_curve([0.9, 0.8, 0.5, 0.3], 0.9, 0.5, "higher") == [1.0, 0.75, 0.0, -0.5]
    # lower-is-better (MSE): chance 1.0, clean 0.2
    assert relative_curve([0.2, 0.6, 1.5], 0.2, 1.0, "lower") == [1.0, 0.5, -0.625]
    with pytest.raises(ValueError, match="chance"):
        relative_curve([0.5], 0.5, 0.5, "higher")
    # only the probe's rAUC is clipped to [0, 1]
    assert relative_rauc([0, 1, 2], [1.0, -0.5, -1.0]) == 0.0
    assert relative_rauc([0, 1, 2], [1.0, 1.3, 1.1]) == 1.0
    assert relative_rauc([0, 1, 2], [1.0, 0.2, -0.2]) == pytest.approx(0.3)


# --- probes: contract, SNR, read-only, failures ------------------------------------------------

_ALL_PROBES = build_registry().all(ProbeSpec)
_SHAPES = {
    "eeg": (3, 4, 256),
    "meg": (3, 4, 256),
    "fmri": (3, 10, 50),
    "mri": (2, 6, 6, 6),
}


def _contract_input(spec: fmbench.ProbeSpec) -> tuple[np.ndarray, dict[str, Any]]:
    modality = spec.modalities[0] if spec.modalities else "tabular"
    info: dict[str, Any] = {
        "modality": modality,
        "sampling_freq": 250.0,
        "ch_names": [f"C{i}" for i in range(4)],
        "n_classes": 2,
    }
    rng = np.random.default_rng(1)
    if modality == "dna":
        x = np.array(["ACGTACGTAC", "TTGACCAGTA", "GGGCATTACA"], dtype=object)
    elif modality in _SHAPES:
        x = rng.standard_normal(_SHAPES[modality])
    else:
        x = rng.poisson(3.0, (3, 20)).astype(float)
    return x, info


@pytest.mark.parametrize("spec", _ALL_PROBES, ids=[p.name for p in _ALL_PROBES])
def test_level_zero_is_identity_for_every_registered_probe(spec: fmbench.ProbeSpec) -> None:
    x, info = _contract_input(spec)
    out = perturb_batch(
        fmbench.plugin_system.specs.resolve(spec.perturb),
        spec.name,
        x,
        spec.levels[0],
        probe_rng(0, spec.name, spec.levels[0]),
        info,
        sequence=x.dtype.kind == "O",
    )
    assert out.shape == x.shape
    assert np.array_equal(out, x)
    # and the strongest level changes something (a probe that never perturbs is a stub)
    strong = perturb_batch(
        fmbench.plugin_system.specs.resolve(spec.perturb),
        spec.name,
        x,
        spec.levels[-1],
        probe_rng(0, spec.name, spec.levels[-1]),
        info,
        sequence=x.dtype.kind == "O",
    )
    assert not np.array_equal(strong, x)


@pytest.mark.parametrize("level", [0.01, 0.0316, 0.1, 0.316, 1.0])
@pytest.mark.parametrize("shape", [(40, 8, 2000), (400, 2000)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_noise_reaches_the_target_snr_within_half_a_db(
    level: float, shape: tuple[int, ...], dtype: type
) -> None:
    rng = np.random.default_rng(7)
    x = (rng.standard_normal(shape) * rng.uniform(0.1, 10.0, (*shape[:-1], 1))).astype(dtype)
    out = noise(x, level, np.random.default_rng(3), {})
    assert out.dtype == dtype
    x, out = x.astype(np.float64), out.astype(np.float64)
    target = -20 * np.log10(level)
    signal_power = np.mean(x**2, axis=-1)
    noise_power = np.mean((out - x) ** 2, axis=-1)
    snr = 10 * np.log10(signal_power / noise_power)  # per sample and channel
    assert abs(np.median(snr) - target) < 0.5
    assert np.all(np.abs(snr - target) < 1.5)  # never far off for any channel


def test_probe_gets_a_read_only_input_it_cannot_unlock() -> None:
    def writes(x: np.ndarray, level: float, rng: Any, info: Any) -> np.ndarray:
        x[0] = 0
        return x

    def unlocks(x: np.ndarray, level: float, rng: Any, info: Any) -> np.ndarray:
        x.setflags(write=True)
        return x

    batch = np.ones((2, 3))
    for probe in (writes, unlocks):
        with pytest.raises(ProbeFailure, match=r"raised at level 0\.5"):
            perturb_batch(probe, "bad", batch, 0.5, np.random.default_rng(0), {})
    assert np.all(batch == 1)


def test_wrong_shape_or_nan_is_a_probe_failure() -> None:
    batch = np.ones((2, 3))
    with pytest.raises(ProbeFailure, match="shape"):
        perturb_batch(lambda x, *_: x[:, :2], "cut", batch, 0.1, np.random.default_rng(0), {})
    with pytest.raises(ProbeFailure, match="NaN"):
        perturb_batch(lambda x, *_: x * np.nan, "nan", batch, 0.1, np.random.default_rng(0), {})


def test_probe_rng_is_stable_across_processes_and_independent_per_probe() -> None:
    here = probe_rng(42, "noise", 0.1).integers(0, 2**31, 4).tolist()
    assert here == probe_rng(42, "noise", 0.1).integers(0, 2**31, 4).tolist()
    assert here != probe_rng(42, "noise", 0.316).integers(0, 2**31, 4).tolist()
    assert here != probe_rng(42, "masking", 0.1).integers(0, 2**31, 4).tolist()
    code = (
        "from fmbench.robustness.engine import probe_rng;"
        "print(probe_rng(42, 'noise', 0.1).integers(0, 2**31, 4).tolist())"
    )
    for hashseed in ("1", "2"):
        out = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": hashseed, "PATH": ""},
        )
        assert out.stdout.strip() == str(here)


# --- planning -------------------------------------------------------------------------------


def _test_plugin(**probes: Any) -> types.ModuleType:
    module = types.ModuleType("fmbench_test_probes")

    @fmbench.hookimpl
    def fmbench_probes() -> Any:
        yield from probes.values()

    module.fmbench_probes = fmbench_probes  # type: ignore[attr-defined]
    return module


def _raises(x: np.ndarray, level: float, rng: Any, info: Any) -> np.ndarray:
    if level > 0:
        raise RuntimeError("boom")
    return np.array(x)


def _shrinks(x: np.ndarray, level: float, rng: Any, info: Any) -> np.ndarray:
    return np.array(x) if level == 0 else np.array(x)[:, :1]


def _needs_sfreq(x: np.ndarray, level: float, rng: Any, info: Any) -> np.ndarray:
    return np.array(x) + level * np.sin(info["sampling_freq"])


BAD = _test_plugin(
    raises=fmbench.ProbeSpec(name="raises", summary="raises", levels=(0, 1), perturb=_raises),
    shrinks=fmbench.ProbeSpec(name="shrinks", summary="wrong shape", levels=(0, 1), perturb=_shrinks),
    sfreq=fmbench.ProbeSpec(
        name="sfreq", summary="needs a rate", levels=(0, 1), perturb=_needs_sfreq,
        requires=("sampling_freq",),
    ),
    mri_only=fmbench.ProbeSpec(
        name="mri_only", summary="for MRI", levels=(0, 1), perturb=_raises, modalities=("mri",)
    ),
)  # fmt: skip


def test_unknown_probe_lists_the_available_ones() -> None:
    registry = build_registry(external=False)
    with pytest.raises(
        ConfigError, match=r"unknown probe 'nosie'.*available: dropout, masking, noise"
    ):
        plan_probes(registry, [ProbeEntry(name="nosie")], {"modality": "eeg"})


def test_probe_for_another_modality_is_refused() -> None:
    registry = build_registry(external=False, extra_modules=(BAD,))
    with pytest.raises(ConfigError, match="applies to mri data, but the dataset is eeg"):
        plan_probes(registry, [ProbeEntry(name="mri_only")], {"modality": "eeg"})
    info = {"modality": "eeg", "sampling_freq": 100.0}
    defaults = [p.name for p in plan_probes(registry, None, info)]
    assert "mri_only" not in defaults
    assert "noise" in defaults


def test_missing_fact_is_a_clear_error_never_assumed() -> None:
    registry = build_registry(external=False, extra_modules=(BAD,))
    with pytest.raises(DataError, match=r"needs the dataset's 'sampling_freq'.*--sampling-freq"):
        plan_probes(registry, [ProbeEntry(name="sfreq")], {"modality": "eeg"})
    plans = plan_probes(
        registry, [ProbeEntry(name="sfreq")], {"modality": "eeg", "sampling_freq": 100.0}
    )
    assert plans[0].levels == (0.0, 1.0)


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("noise", "expected PROBE=a,b,c"),
        ("noise=", "expected PROBE=a,b,c"),
        ("noise=0,abc", "must be numbers"),
        ("noise=0.1", "at least two levels"),
        ("noise=0,0.3,0.1", "in order of severity"),
        ("noise=0,0,1", "in order of severity"),
        ("noise=0,inf", "finite"),
    ],
)
def test_bad_levels_are_clear_errors(option: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_levels([option])


def test_levels_given_twice_is_an_error() -> None:
    with pytest.raises(ConfigError, match="given twice"):
        parse_levels(["noise=0,1", "noise=0,2"])
    assert parse_levels(["noise=40,20,0"]) == {"noise": (40.0, 20.0, 0.0)}


# --- the engine -----------------------------------------------------------------------------


def _without_resources(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k != "resources"}


def test_per_probe_results_do_not_depend_on_other_probes_or_order() -> None:
    together = run_engine(SignalModel(), ["noise", "masking", "dropout"])
    reordered = run_engine(SignalModel(), ["dropout", "noise"])
    alone = run_engine(SignalModel(), ["masking"])
    assert _without_resources(together["probes"]["noise"]) == _without_resources(
        reordered["probes"]["noise"]
    )
    assert _without_resources(together["probes"]["dropout"]) == _without_resources(
        reordered["probes"]["dropout"]
    )
    assert _without_resources(together["probes"]["masking"]) == _without_resources(
        alone["probes"]["masking"]
    )
    again = run_engine(SignalModel(), ["noise", "masking", "dropout"])
    assert strip_timing({"robustness": {"x": together}}) == strip_timing(
        {"robustness": {"x": again}}
    )


def test_clean_outputs_are_computed_once_and_reused() -> None:
    model = SignalModel()
    dataset = make_dataset(n=100)
    h = handle(model)
    result = run_engine(h, ["noise", "masking"], dataset=dataset, batch_size=32)
    n_batches = 4  # 100 samples in batches of 32
    clean_calls = n_batches
    # level 0 of each grid leaves the input unchanged: its clean outputs are reused
    perturbed_levels = (6 - 1) + (6 - 1)
    assert model.proba_calls == clean_calls + n_batches * perturbed_levels
    assert h.calls["predict_proba"] == model.proba_calls
    assert result["probes"]["noise"]["resources"]["reused_clean_outputs"] == 100


def test_probes_stream_batches_never_the_whole_dataset() -> None:
    seen: list[tuple[int, ...]] = []

    def spy(x: np.ndarray, level: float, rng: Any, info: Any) -> np.ndarray:
        seen.append(x.shape)
        return np.array(x) + level

    registry = build_registry(
        external=False,
        extra_modules=(
            _test_plugin(
                spy=fmbench.ProbeSpec(name="spy", summary="s", levels=(0, 1), perturb=spy)
            ),
        ),
    )
    run_engine(
        SignalModel(), ["spy"], registry=registry, dataset=make_dataset(n=100), batch_size=16
    )
    assert max(s[0] for s in seen) == 16
    assert sum(s[0] for s in seen) == 2 * 100


def test_constant_model_ranks_below_a_model_that_uses_the_signal() -> None:
    probes = ["noise", "masking", "dropout"]
    signal = run_engine(SignalModel(), probes)
    constant = run_engine(ConstantModel(), probes)
    dummy = run_engine(DummyClassifier(random_seed=123), probes)
    assert signal["primary_metric"]["clean"] > 0.9
    # the signal model degrades gracefully: worse at the strongest noise, never below chance
    curve = signal["probes"]["noise"]["performance"]["values"]
    assert curve[-1] < curve[0]
    assert min(curve) > 0.5
    assert 0.3 < signal["robustness_score"] < 1.0
    assert signal["signal_test"]["passed"] is True
    # no signal: no score at all (null with the reason), never 0 and never a number
    assert constant["robustness_score"] is None
    assert "does not beat chance" in constant["robustness_score_reason"]
    assert constant["signal_test"]["passed"] is False
    assert dummy["robustness_score"] is None
    assert "p = " in dummy["robustness_score_reason"]
    assert dummy["signal_test"]["p_value"] >= dummy["signal_test"]["alpha"]
    for block in (constant, dummy):
        for probe in block["probes"].values():
            assert probe["performance"]["relative_rAUC"] is None
            assert probe["performance"]["relative_note"] == block["robustness_score_reason"]
    # stability alone would have called the constant model perfectly robust
    stability = constant["probes"]["noise"]["stability"]["agreement"]
    assert stability["rAUC"] == 1.0


def test_failing_probes_are_recorded_and_others_still_run() -> None:
    registry = build_registry(external=False, extra_modules=(BAD,))
    result = run_engine(SignalModel(), ["raises", "noise", "shrinks"], registry=registry)
    assert result["status"] == "Partial"
    assert result["failed_probes"] == ["raises", "shrinks"]
    assert result["probes"]["raises"]["status"] == "Failed"
    assert "RuntimeError: boom" in result["probes"]["raises"]["error"]
    assert "shape" in result["probes"]["shrinks"]["error"]
    assert result["probes"]["noise"]["status"] == "Completed"
    # the probe that completed keeps its rAUC; the summary over the declared set is undefined
    assert 0 < result["probes"]["noise"]["performance"]["relative_rAUC"] <= 1
    assert result["robustness_score"] is None
    assert "raises, shrinks failed" in result["robustness_score_reason"]


def test_regression_stability_is_correlation_with_clean_outputs() -> None:
    class Regressor:
        def predict(self, X: np.ndarray) -> np.ndarray:
            return np.asarray(X, dtype=float)[:, 0].mean(axis=1)

    rng = np.random.default_rng(0)
    X = rng.standard_normal((80, 3, 16))
    y = X[:, 0].mean(axis=1) + 0.05 * rng.standard_normal(80)
    dataset = Dataset(dataset_id="reg", X=X, y=y, info={"modality": "eeg", "task": "regression"})
    h = handle(Regressor())
    registry = build_registry(external=False)
    values = h.predict(X)
    clean = Predictions(indices=np.arange(80), y_true=y, fold=np.zeros(80, int), values=values)
    result = evaluate_probes(
        registry,
        plan_probes(registry, [ProbeEntry(name="noise")], dataset.info),
        dataset=dataset,
        predictions=clean,
        model=h,
        task="regression",
        primary_metric="R2",
        seed=1,
        batch_size=32,
    )
    record = result["probes"]["noise"]
    corr = record["stability"]["output_correlation"]["values"]
    assert corr[0] == 1.0
    assert corr[-1] < 0.99
    assert result["primary_metric"]["chance"] == 0.0
    assert 0 < result["robustness_score"] <= 1


def test_declared_probes_run_only_on_zero_shot_benchmarks(tmp_path: Any) -> None:
    from fmbench.plugin_system.specs import (
        BenchmarkSpec,
        MetricsDeclaration,
        SuiteEntry,
        SuiteSpec,
    )
    from fmbench.robustness.engine import declared_entries, run_declared_probes
    from fmbench.running.suite_run import BenchmarkOutcome, RunOptions

    registry = build_registry(external=False)
    dataset = make_dataset(n=40)
    h = handle(SignalModel())

    def benchmark(name: str, protocol: str) -> BenchmarkSpec:
        return BenchmarkSpec(
            name=name, summary=name, task="classification", dataset="x", protocol=protocol,
            metrics=MetricsDeclaration(primary="AUROC"),
            probes=(ProbeEntry(name="masking", levels=(0.0, 0.5)),),
        )  # fmt: skip

    zero, linear = benchmark("BM-A", "zero_shot"), benchmark("BM-B", "linear_probe")
    suite = SuiteSpec(
        name="SUITE-X", summary="x",
        benchmarks=(SuiteEntry(benchmark="BM-A"), SuiteEntry(benchmark="BM-B")),
        probes=(ProbeEntry(name="noise"), ProbeEntry(name="masking")),
    )  # fmt: skip
    outcomes = [
        BenchmarkOutcome(
            benchmark=bm,
            record={"status": "Completed", "protocol": bm.protocol},
            dataset=dataset,
            predictions=clean_predictions(h, dataset, 16),
        )
        for bm in (zero, linear)
    ]
    blocks = run_declared_probes(
        registry,
        suite,
        [(SuiteEntry(benchmark=b.name), b) for b in (zero, linear)],
        h,
        RunOptions(progress=False),
        outcomes,
    )
    # the engine returns data; the Markdown reporter draws the plots and sections from it
    sections = robustness_sections(blocks, tmp_path, single=len(blocks) == 1)
    assert blocks["BM-A"]["status"] == "Completed"
    assert list(blocks["BM-A"]["probes"]) == ["noise", "masking"]
    assert blocks["BM-A"]["probes"]["masking"]["levels"] == [0.0, 0.5]  # the benchmark's grid wins
    assert blocks["BM-B"]["status"] == "Failed"
    assert "robustness probes run only with zero_shot" in blocks["BM-B"]["error"]
    assert (tmp_path / "plots" / "BM-A" / "noise.png").is_file()
    assert any("## Robustness" in line for line in sections)
    assert [e.name for e in declared_entries(suite.probes, ())] == ["noise", "masking"]
