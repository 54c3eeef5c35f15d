"""The ``onnx`` adapter on the ONNX export of the tiny torch network; agreement with torch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="torch is needed to export the test graph")
pytest.importorskip(
    "onnxruntime", reason="onnxruntime is not installed (pip install 'fmbench-core[onnx]')"
)
pytest.importorskip("onnx", reason="onnx is not installed (pip install 'fmbench-core[onnx]')")

from fmbench.adapters.tiny import probe_suite_plugin  # noqa: E402
from fmbench.capabilities import PredictsProba  # noqa: E402
from fmbench.errors import ConfigError, ModelError  # noqa: E402
from fmbench.models.config import parse_model_config  # noqa: E402
from fmbench.models.handle import load_model  # noqa: E402
from fmbench.plugin_system.registry import build_registry  # noqa: E402
from fmbench.plugin_system.specs import SuiteSpec  # noqa: E402
from fmbench.running.suite_run import RunOptions, run_suite  # noqa: E402

pytestmark = pytest.mark.usefixtures("torch_one_thread")


@pytest.fixture(scope="module")
def registry() -> Any:
    return build_registry(external=False)


def _load(registry: Any, **settings: Any) -> Any:
    return load_model(registry, parse_model_config({"model_id": "ox", **settings}, source="<t>"))


def test_toy_suite_zero_shot_and_probe(
    tmp_path: Path, toy_root: Path, tiny_encoder_weights: dict[str, Path]
) -> None:
    registry = build_registry(
        external=False, extra_modules=(probe_suite_plugin("DS-TOY-FMRI-CLASS", name="ONNX"),)
    )
    config = parse_model_config(
        {
            "model_id": "tiny_onnx",
            "type": "onnx",
            "path": str(tiny_encoder_weights["onnx"]),
            "output_name": "features",
            "logits_output": "logits",
            "batch_size": 64,
        },
        source="<t>",
    )
    options = RunOptions(progress=False, data_root=str(toy_root), cache_dir=str(tmp_path / "c"))
    zero = run_suite(
        registry, registry.get(SuiteSpec, "SUITE-TOY-CLASS"), config, tmp_path / "a", options
    )
    record = zero.outcomes[0].record
    assert record["status"] == "Completed", record
    assert record["metrics"]["AUROC"] > 0.8  # the trained weights, not a stand-in
    model = zero.document.to_dict()["model"]
    assert model["type"] == "onnx"
    assert model["n_parameters"] == 3794
    assert model["providers"] == ["CPUExecutionProvider"]
    probe = run_suite(
        registry, registry.get(SuiteSpec, "SUITE-ONNX"), config, tmp_path / "b", options
    )
    assert probe.outcomes[0].record["status"] == "Completed", probe.outcomes[0].record


def test_onnx_and_torch_give_the_same_outputs(
    tiny_encoder_weights: dict[str, Path], registry: Any, toy_xy: Any
) -> None:
    X = toy_xy[0]
    graph = _load(
        registry,
        type="onnx",
        path=str(tiny_encoder_weights["onnx"]),
        logits_output="logits",
        batch_size=33,
    )
    net = _load(
        registry,
        type="torch_module",
        import_path="fmbench.adapters.tiny:TinyEncoder",
        weights=str(tiny_encoder_weights["safetensors"]),
        logits_method="logits",
        batch_size=50,
    )
    np.testing.assert_allclose(graph.embed(X), net.embed(X), atol=1e-5)
    np.testing.assert_allclose(graph.predict_proba(X, 2), net.predict_proba(X, 2), atol=1e-5)


def test_bad_graphs_and_names_fail_clearly(
    tmp_path: Path, tiny_encoder_weights: dict[str, Path], registry: Any
) -> None:
    with pytest.raises(ModelError, match=r"ONNX file not found: .*missing\.onnx"):
        _load(registry, type="onnx", path=str(tmp_path / "missing.onnx"))
    corrupt = tmp_path / "corrupt.onnx"
    corrupt.write_bytes(b"this is not a protobuf")
    with pytest.raises(ModelError, match=r"corrupt\.onnx: cannot be loaded"):
        _load(registry, type="onnx", path=str(corrupt))
    with pytest.raises(ConfigError, match=r"input_name: the graph has no 'input' \(it has x\)"):
        _load(registry, type="onnx", path=str(tiny_encoder_weights["onnx"]), input_name="input")
    with pytest.raises(ConfigError, match=r"the graph has no 'probs' \(it has features, logits\)"):
        _load(registry, type="onnx", path=str(tiny_encoder_weights["onnx"]), logits_output="probs")
    with pytest.raises(ConfigError, match="path: required"):
        _load(registry, type="onnx")
    model = _load(registry, type="onnx", path=str(tiny_encoder_weights["onnx"]))
    assert not model.has(PredictsProba)
    with pytest.raises(ModelError, match="onnxruntime failed on input"):
        model.embed(np.zeros((3, 7)))


def test_cuda_is_never_a_silent_cpu_run(
    tiny_encoder_weights: dict[str, Path], registry: Any
) -> None:
    import onnxruntime as ort

    if "CUDAExecutionProvider" in ort.get_available_providers():
        pytest.skip("this onnxruntime has a CUDA provider")
    with pytest.raises(ModelError, match="has no CUDA provider"):
        _load(registry, type="onnx", path=str(tiny_encoder_weights["onnx"]), device="cuda")
    assert (
        _load(
            registry, type="onnx", path=str(tiny_encoder_weights["onnx"]), device="auto"
        ).describe()["device"]
        == "cpu"
    )
