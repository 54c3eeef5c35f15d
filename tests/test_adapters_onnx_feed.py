"""The ``onnx`` adapter on graphs with several inputs (``input_feed``) and on graphs that end
in a softmax (``probabilities_output``); the graphs are built here with onnx.helper."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip(
    "onnxruntime", reason="onnxruntime is not installed (pip install 'fmbench[onnx]')"
)
onnx = pytest.importorskip("onnx", reason="onnx is not installed (pip install 'fmbench[onnx]')")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from fmbench.errors import ConfigError, ModelError  # noqa: E402
from fmbench.models.config import parse_model_config  # noqa: E402
from fmbench.models.handle import load_model  # noqa: E402
from fmbench.plugin_system.registry import build_registry  # noqa: E402

RNG = np.random.default_rng(0)
W_IMAGE = RNG.standard_normal((6, 3)).astype(np.float32)
W_SERIES = RNG.standard_normal((4, 3)).astype(np.float32)


def _two_input_graph(path: Path, *, batch: int | str = "n") -> Path:
    """image (n, 6) and series (n, 4) -> logits = image @ W1 + series @ W2, probs = softmax."""
    inputs = [
        helper.make_tensor_value_info("image", TensorProto.FLOAT, [batch, 6]),
        helper.make_tensor_value_info("series", TensorProto.FLOAT, [batch, 4]),
    ]
    outputs = [
        helper.make_tensor_value_info("logits", TensorProto.FLOAT, [batch, 3]),
        helper.make_tensor_value_info("probs", TensorProto.FLOAT, [batch, 3]),
    ]
    nodes = [
        helper.make_node("MatMul", ["image", "w_image"], ["a"]),
        helper.make_node("MatMul", ["series", "w_series"], ["b"]),
        helper.make_node("Add", ["a", "b"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probs"], axis=1),
    ]
    graph = helper.make_graph(
        nodes,
        "two_inputs",
        inputs,
        outputs,
        initializer=[
            numpy_helper.from_array(W_IMAGE, "w_image"),
            numpy_helper.from_array(W_SERIES, "w_series"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


@pytest.fixture(scope="module")
def graph(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _two_input_graph(tmp_path_factory.mktemp("g") / "two.onnx")


@pytest.fixture(scope="module")
def feeds(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A module of feed functions, importable by 'module:function'."""
    folder = tmp_path_factory.mktemp("feeds")
    (folder / "my_feeds.py").write_text(
        textwrap.dedent(
            """
            import numpy as np

            def split(rows):
                return {"image": rows[:, :6], "series": rows[:, 6:]}

            def missing(rows):
                return {"image": rows[:, :6]}

            def doubled(rows):
                both = np.concatenate([rows, rows])
                return {"image": both[:, :6], "series": both[:, 6:]}

            def broken(rows):
                raise RuntimeError("no such column")

            def words(rows):
                return {"image": [["a"] * 6] * len(rows), "series": rows[:, 6:]}

            def from_text(rows):
                values = np.array([[float(v) for v in r.split(",")] for r in rows])
                return {"image": values[:, :6], "series": values[:, 6:]}

            NOT_CALLABLE = 3
            """
        )
    )
    sys.path.insert(0, str(folder))
    yield "my_feeds"
    sys.path.remove(str(folder))
    sys.modules.pop("my_feeds", None)


@pytest.fixture(scope="module")
def registry() -> Any:
    return build_registry(external=False)


def _load(registry: Any, **settings: Any) -> Any:
    config = parse_model_config({"model_id": "ox", "type": "onnx", **settings}, source="<t>")
    return load_model(registry, config)


def _expected_logits(rows: np.ndarray) -> np.ndarray:
    return rows[:, :6].astype(np.float64) @ W_IMAGE + rows[:, 6:].astype(np.float64) @ W_SERIES


def test_input_feed_gives_every_input_and_probabilities_are_used_as_they_are(
    graph: Path, feeds: str, registry: Any
) -> None:
    rows = RNG.standard_normal((23, 10))
    model = _load(
        registry,
        path=str(graph),
        input_feed=f"{feeds}:split",
        probabilities_output="probs",
        batch_size=5,
    )
    logits = _expected_logits(rows)
    softmax = np.exp(logits - logits.max(axis=1, keepdims=True))
    softmax /= softmax.sum(axis=1, keepdims=True)
    proba = model.predict_proba(rows, 3)
    np.testing.assert_allclose(proba, softmax, atol=1e-5)
    # the same graph through logits_output gives the same probabilities
    via_logits = _load(
        registry, path=str(graph), input_feed=f"{feeds}:split", logits_output="logits"
    )
    np.testing.assert_allclose(via_logits.predict_proba(rows, 3), proba, atol=1e-5)
    # a softmax output named as logits would be squashed twice: that is why the key exists
    twice = _load(registry, path=str(graph), input_feed=f"{feeds}:split", logits_output="probs")
    assert np.abs(twice.predict_proba(rows, 3) - proba).max() > 0.05
    described = model.describe()
    assert described["inputs"] == ["image", "series"]
    assert described["input_feed"] == f"{feeds}:split"
    assert described["probabilities_output"] == "probs"
    assert "input_name" not in described


def test_the_feed_receives_the_raw_batch(graph: Path, feeds: str, registry: Any) -> None:
    rows = RNG.standard_normal((5, 10)).round(3)
    text = [",".join(str(v) for v in row) for row in rows]  # e.g. sequences, not numbers
    model = _load(
        registry, path=str(graph), input_feed=f"{feeds}:from_text", logits_output="logits"
    )
    logits = _expected_logits(rows)
    expected = np.exp(logits - logits.max(axis=1, keepdims=True))
    np.testing.assert_allclose(
        model.predict_proba(text, 3), expected / expected.sum(axis=1, keepdims=True), atol=1e-5
    )


def test_a_multi_input_graph_without_a_feed_says_what_to_set(graph: Path, registry: Any) -> None:
    with pytest.raises(ConfigError, match=r"inputs image, series; set input_name, or input_feed"):
        _load(registry, path=str(graph))


def test_bad_feeds_and_outputs_fail_clearly(graph: Path, feeds: str, registry: Any) -> None:
    rows = RNG.standard_normal((4, 10))
    with pytest.raises(ConfigError, match="input_name or input_feed, not both"):
        _load(registry, path=str(graph), input_feed=f"{feeds}:split", input_name="image")
    with pytest.raises(ConfigError, match="preprocess or input_feed, not both"):
        _load(registry, path=str(graph), input_feed=f"{feeds}:split", preprocess=f"{feeds}:split")
    with pytest.raises(ConfigError, match="logits_output or probabilities_output, not both"):
        _load(
            registry,
            path=str(graph),
            logits_output="logits",
            probabilities_output="probs",
            input_feed=f"{feeds}:split",
        )
    with pytest.raises(ConfigError, match=r"probabilities_output: the graph has no 'p' \(it has"):
        _load(registry, path=str(graph), input_feed=f"{feeds}:split", probabilities_output="p")
    with pytest.raises(ModelError, match="has no 'nothing'"):
        _load(registry, path=str(graph), input_feed=f"{feeds}:nothing")
    with pytest.raises(ConfigError, match="input_feed must be 'module:Name'"):
        _load(registry, path=str(graph), input_feed="no_colon")
    with pytest.raises(ConfigError, match="not callable"):
        _load(registry, path=str(graph), input_feed=f"{feeds}:NOT_CALLABLE")
    missing = _load(registry, path=str(graph), input_feed=f"{feeds}:missing")
    with pytest.raises(ModelError, match=r"returned \['image'\]; expected .*image, series"):
        missing.embed(rows)
    broken = _load(registry, path=str(graph), input_feed=f"{feeds}:broken")
    with pytest.raises(ModelError, match="input_feed failed on a batch of 4 rows: no such column"):
        broken.embed(rows)
    words = _load(registry, path=str(graph), input_feed=f"{feeds}:words")
    with pytest.raises(ModelError, match="returned input 'image' that is not a numeric array"):
        words.embed(rows)
    doubled = _load(registry, path=str(graph), input_feed=f"{feeds}:doubled")
    with pytest.raises(ModelError, match=r"\(8, 3\) for a batch of 4 rows"):
        doubled.embed(rows)
    logits = _load(
        registry, path=str(graph), input_feed=f"{feeds}:split", probabilities_output="logits"
    )
    with pytest.raises(ModelError, match="rows must be non-negative and sum to 1"):
        logits.predict_proba(rows, 3)


def test_a_fixed_batch_graph_cannot_take_a_feed(tmp_path: Path, feeds: str, registry: Any) -> None:
    fixed = _two_input_graph(tmp_path / "fixed.onnx", batch=4)
    with pytest.raises(ModelError, match="fixed batch size; input_feed needs"):
        _load(registry, path=str(fixed), input_feed=f"{feeds}:split")
