"""ICLabelNet through the ``onnx`` adapter on BM-EEG-ICLABEL: a stand-in graph with ICLabel's
signature built here, and the real network taken from the pinned mne-icalabel wheel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip(
    "onnxruntime", reason="onnxruntime is not installed (pip install 'fmbench[onnx]')"
)
onnx = pytest.importorskip("onnx", reason="onnx is not installed (pip install 'fmbench[onnx]')")

from fmbench_neuro.eeg.iclabel_features import N_FEATURES, split_rows  # noqa: E402
from fmbench_neuro.iclabel import CLASS_NAMES, onnx_input_feed  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from fmbench.data.dataset import load_array_folder  # noqa: E402
from fmbench.models.config import parse_model_config  # noqa: E402
from fmbench.models.handle import load_model  # noqa: E402
from fmbench.plugin_system.specs import SuiteSpec  # noqa: E402
from fmbench.running.suite_run import RunOptions, run_suite  # noqa: E402

from .conftest import CONFIGS  # noqa: E402

ICLABEL_ONNX_SHA256 = "b7dc72bc3fa5960b2843fc6d5ba60add842b0a240c6371598be09b595182c04b"
FEED = "fmbench_neuro.iclabel:onnx_input_feed"
RNG = np.random.default_rng(0)
WEIGHTS = {
    "w_topo": RNG.standard_normal((1024, 7)).astype(np.float32) * 0.05,
    "w_psds": RNG.standard_normal((100, 7)).astype(np.float32) * 0.3,
    "w_autocorr": RNG.standard_normal((100, 7)).astype(np.float32) * 0.3,
}


def _stand_in(path: Path) -> Path:
    """ICLabelNet's signature: topo (4n,1,32,32), psds and autocorr (4n,1,1,100) -> labels
    (n, 7), the softmax of each copy averaged over the four blocks of n copies; a linear map
    with fixed random weights instead of ICLabel's convolutions."""
    tensors = [
        helper.make_tensor_value_info("topo", TensorProto.FLOAT, ["n4", 1, 32, 32]),
        helper.make_tensor_value_info("psds", TensorProto.FLOAT, ["n4", 1, 1, 100]),
        helper.make_tensor_value_info("autocorr", TensorProto.FLOAT, ["n4", 1, 1, 100]),
    ]
    nodes = [
        helper.make_node("Reshape", ["topo", "flat_topo"], ["t"]),
        helper.make_node("Reshape", ["psds", "flat_series"], ["p"]),
        helper.make_node("Reshape", ["autocorr", "flat_series"], ["a"]),
        helper.make_node("MatMul", ["t", "w_topo"], ["lt"]),
        helper.make_node("MatMul", ["p", "w_psds"], ["lp"]),
        helper.make_node("MatMul", ["a", "w_autocorr"], ["la"]),
        helper.make_node("Sum", ["lt", "lp", "la"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["copies"], axis=1),
        helper.make_node("Reshape", ["copies", "blocks"], ["b"]),
        helper.make_node("ReduceMean", ["b"], ["labels"], axes=[0], keepdims=0),
    ]
    constants = [
        numpy_helper.from_array(np.array([-1, 1024], dtype=np.int64), "flat_topo"),
        numpy_helper.from_array(np.array([-1, 100], dtype=np.int64), "flat_series"),
        numpy_helper.from_array(np.array([4, -1, 7], dtype=np.int64), "blocks"),
        *(numpy_helper.from_array(w, name) for name, w in WEIGHTS.items()),
    ]
    output = helper.make_tensor_value_info("labels", TensorProto.FLOAT, ["n", 7])
    graph = helper.make_graph(nodes, "iclabel_stand_in", tensors, [output], initializer=constants)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def _stand_in_reference(rows: np.ndarray) -> np.ndarray:
    feed = onnx_input_feed(rows)
    logits = (
        feed["topo"].reshape(-1, 1024) @ WEIGHTS["w_topo"]
        + feed["psds"].reshape(-1, 100) @ WEIGHTS["w_psds"]
        + feed["autocorr"].reshape(-1, 100) @ WEIGHTS["w_autocorr"]
    ).astype(np.float64)
    copies = np.exp(logits - logits.max(axis=1, keepdims=True))
    copies /= copies.sum(axis=1, keepdims=True)
    return copies.reshape(4, len(rows), 7).mean(axis=0)


def _config(path: Path, model_id: str = "iclabel_stand_in", **extra: Any) -> Any:
    return parse_model_config(
        {
            "model_id": model_id,
            "type": "onnx",
            "path": str(path),
            "input_feed": FEED,
            "probabilities_output": "labels",
            "batch_size": 50,
            **extra,
        },
        source="<t>",
    )


def _run(registry: Any, config: Any, toy_root: Path, out: Path) -> Any:
    options = RunOptions(progress=False, data_root=str(toy_root), cache_dir=str(out / "cache"))
    return run_suite(registry, registry.get(SuiteSpec, "SUITE-NEURO-ICLABEL"), config, out, options)


def test_feed_copies_the_components_as_iclabel_does() -> None:
    rows = RNG.standard_normal((3, N_FEATURES)).astype(np.float32)
    topo = split_rows(rows).topo
    feed = onnx_input_feed(rows)
    np.testing.assert_array_equal(feed["topo"][3:6, 0], -topo)
    np.testing.assert_array_equal(feed["topo"][6:9, 0], topo[:, :, ::-1])
    np.testing.assert_array_equal(feed["topo"][9:12, 0], -topo[:, :, ::-1])
    np.testing.assert_array_equal(feed["psds"][9:12, 0, 0], rows[:, 1024:1124])
    assert CLASS_NAMES == (
        "brain",
        "muscle",
        "eye",
        "heart",
        "line_noise",
        "channel_noise",
        "other",
    )


def test_stand_in_graph_end_to_end(tmp_path: Path, toy_root: Path, registry: Any) -> None:
    graph = _stand_in(tmp_path / "stand_in.onnx")
    model = load_model(registry, _config(graph))
    rows = load_array_folder(toy_root / "neuro" / "eeg_iclabel").X[:37]
    np.testing.assert_allclose(model.predict_proba(rows, 7), _stand_in_reference(rows), atol=1e-5)
    result = _run(registry, _config(graph), toy_root, tmp_path / "run")
    record = result.outcomes[0].record
    assert record["status"] == "Completed", record
    assert set(record["metrics"]) >= {"BalancedAccuracy", "F1-Score", "AUROC", "Accuracy"}
    described = result.document.to_dict()["model"]
    assert described["inputs"] == ["autocorr", "psds", "topo"]
    assert described["input_feed"] == FEED and described["probabilities_output"] == "labels"


# --- the real ICLabelNet, from the pinned mne-icalabel wheel -------------------------------


@pytest.fixture(scope="module")
def iclabel_config(icalabel_wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The committed config (definitions/models/iclabel.yaml), its weights fetched by
    ``download_weights`` with pip pointed at the pinned wheel's folder only (no network) into a
    temporary cache, which stays set while the module's tests load the model."""
    from fmbench.models.config import read_model_config
    from fmbench.models.weights import download_weights
    from fmbench.testing_wheels import local_pip_env

    config = read_model_config(CONFIGS / "iclabel.yaml")
    cache = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as patch:
        for key, value in {
            **local_pip_env(icalabel_wheel.parent),
            "FMBENCH_DATA": str(cache),
        }.items():
            patch.setenv(key, value)
        fetched = download_weights(config, offline=False, progress=False)
        assert fetched.name == "ICLabelNet.onnx"
        assert fetched.is_file() and str(cache) in str(fetched)
        yield config


def test_adapter_gives_mne_icalabels_own_probabilities(
    iclabel_config: Any, mne_icalabel: Any, toy_root: Path, registry: Any
) -> None:
    """The adapter with the feed equals mne-icalabel's run_iclabel (onnx backend) on the same
    features, and ICLabelNet.pt (torch, weights_only) agrees with ICLabelNet.onnx."""
    from mne_icalabel.iclabel.network import run_iclabel

    rows = load_array_folder(toy_root / "neuro" / "eeg_iclabel").X[:40]
    features = split_rows(rows)
    as_mne = (
        features.topo.transpose(1, 2, 0)[:, :, None, :],
        features.psd.T[None, :, None, :],
        features.autocorr.T[None, :, None, :],
    )
    model = load_model(registry, iclabel_config)
    ours = model.predict_proba(rows, 7)
    np.testing.assert_allclose(ours, run_iclabel(*as_mne, backend="onnx"), atol=1e-6)
    pytest.importorskip("torch", reason="torch is not installed: the .pt comparison is skipped")
    np.testing.assert_allclose(ours, run_iclabel(*as_mne, backend="torch"), atol=1e-5)


def test_iclabel_zero_shot_on_the_benchmark(
    iclabel_config: Any, tmp_path: Path, toy_root: Path, registry: Any
) -> None:
    result = _run(registry, iclabel_config, toy_root, tmp_path / "run")
    record = result.outcomes[0].record
    assert record["status"] == "Completed", record
    described = result.document.to_dict()["model"]
    assert described["n_parameters"] == 2_903_817  # unique tensors of the graph
    assert described["producer"] == "pytorch 1.13.0"
    assert described["license"].startswith("BSD-3-Clause")
    assert "NeuroImage 198:181-197" in described["citation"]
    assert described["weights_source"]["wheel"] == "mne-icalabel==0.10.0"
    assert described["weights_source"]["sha256"] == ICLABEL_ONNX_SHA256
    chance = record["chance"]["BalancedAccuracy"]
    assert chance == pytest.approx(1 / 7, abs=1e-6)  # seven classes present
    assert record["intervals"]["BalancedAccuracy"][0] > chance  # the 95 % interval excludes it
