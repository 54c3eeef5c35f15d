"""The ``huggingface`` adapter on a tiny randomly initialised BERT saved with save_pretrained."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip(
    "torch", reason="torch is not installed (pip install 'fmbench-core[hf]')"
)
pytest.importorskip(
    "transformers", reason="transformers is not installed (pip install 'fmbench-core[hf]')"
)

from fmbench.adapters.tiny import (  # noqa: E402
    probe_suite_plugin,
    save_tiny_bert,
    tiny_bert_config,
    write_dna_folder,
)
from fmbench.errors import ConfigError, ModelError  # noqa: E402
from fmbench.models.config import parse_model_config  # noqa: E402
from fmbench.models.handle import load_model  # noqa: E402
from fmbench.plugin_system.registry import build_registry  # noqa: E402
from fmbench.plugin_system.specs import SuiteSpec  # noqa: E402
from fmbench.running.suite_run import RunOptions, run_suite  # noqa: E402

pytestmark = pytest.mark.usefixtures("torch_one_thread")


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    # Nothing in these tests may reach the network, whatever the code does.
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="module")
def bert(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_bert(tmp_path_factory.mktemp("bert"))


@pytest.fixture(scope="module")
def registry() -> Any:
    return build_registry(external=False)


def _load(registry: Any, **settings: Any) -> Any:
    return load_model(registry, parse_model_config({"model_id": "hf", **settings}, source="<t>"))


def test_dna_sequences_linear_probe_through_run_suite(tmp_path: Path, bert: Path) -> None:
    dna = write_dna_folder(tmp_path / "dna")
    registry = build_registry(
        external=False,
        extra_modules=(probe_suite_plugin(str(dna), name="DNA", split={"method": "predefined"}),),
    )
    config = parse_model_config(
        {"model_id": "tiny_dna_bert", "type": "huggingface", "path": str(bert), "max_length": 48},
        source="<t>",
    )
    options = RunOptions(progress=False, cache_dir=str(tmp_path / "cache"))
    result = run_suite(
        registry, registry.get(SuiteSpec, "SUITE-DNA"), config, tmp_path / "out", options
    )
    record = result.outcomes[0].record
    assert record["status"] == "Completed", record
    assert record["protocol_details"]["embedding_dim"] == 20
    assert 0.0 <= record["metrics"]["AUROC"] <= 1.0
    model = result.document.to_dict()["model"]
    assert model["type"] == "huggingface"
    assert model["source"] == "local folder"
    assert model["weights_sha256"]
    assert model["model_config_sha256"]
    assert model["n_parameters"] > 0
    assert model["max_length"] == 48
    assert result.document.to_dict()["resources"]["model"]["truncated_sequences"] == 0


def test_numeric_inputs_run_the_toy_probe(tmp_path: Path, bert: Path, toy_root: Path) -> None:
    registry = build_registry(
        external=False, extra_modules=(probe_suite_plugin("DS-TOY-FMRI-CLASS", name="HF-NUM"),)
    )
    config = parse_model_config(
        {"model_id": "m", "type": "huggingface", "path": str(bert), "input_shape": [5, 20]},
        source="<t>",
    )
    options = RunOptions(progress=False, data_root=str(toy_root), use_cache=False)
    result = run_suite(
        registry, registry.get(SuiteSpec, "SUITE-HF-NUM"), config, tmp_path / "o", options
    )
    assert result.outcomes[0].record["status"] == "Completed", result.outcomes[0].record


def test_same_weights_through_torch_module_and_huggingface(bert: Path, registry: Any) -> None:
    X = np.random.default_rng(1).normal(size=(30, 100))
    hf = _load(registry, type="huggingface", path=str(bert), input_shape=[5, 20], batch_size=7)
    tm = _load(
        registry,
        type="torch_module",
        import_path="fmbench.adapters.tiny_bert:TinyBertEncoder",
        init_kwargs=tiny_bert_config(),
        weights=str(bert / "model.safetensors"),
    )
    np.testing.assert_allclose(hf.embed(X), tm.embed(X), atol=1e-5)
    assert hf.describe()["n_parameters"] == tm.describe()["n_parameters"]


def test_mean_pooling_ignores_padding(bert: Path, registry: Any) -> None:
    model = _load(registry, type="huggingface", path=str(bert))
    short, long = "ACGTAC", "GGGCCCATATATCCGGA"
    alone = model.embed(np.array([short], dtype=object))
    padded = model.embed(np.array([short, long], dtype=object))
    np.testing.assert_allclose(alone[0], padded[0], atol=1e-5)
    cls = _load(registry, type="huggingface", path=str(bert), pooling="cls")
    assert not np.allclose(cls.embed(np.array([short], dtype=object)), alone)
    first_layer = _load(registry, type="huggingface", path=str(bert), layer=0)
    assert not np.allclose(first_layer.embed(np.array([short], dtype=object)), alone)


def test_truncation_is_counted(bert: Path, registry: Any) -> None:
    model = _load(registry, type="huggingface", path=str(bert), max_length=8)
    out = model.embed(np.array(["ACGT" * 10, "AC"], dtype=object))
    assert out.shape == (2, 20)
    assert model.resources()["truncated_sequences"] == 1


def test_missing_or_partial_weights_fail(tmp_path: Path, bert: Path, registry: Any) -> None:
    empty = tmp_path / "no_weights"
    empty.mkdir()
    (empty / "config.json").write_text((bert / "config.json").read_text())
    with pytest.raises(ModelError, match="holds no weights"):
        _load(registry, type="huggingface", path=str(empty))
    with pytest.raises(ModelError, match="checkpoint folder not found"):
        _load(registry, type="huggingface", path=str(tmp_path / "nowhere"))
    # A checkpoint without the pooler: AutoModel would initialise it at random.
    no_pooler = save_tiny_bert(tmp_path / "no_pooler", pooler=False)
    with pytest.raises(ModelError, match=r"missing weights pooler\.dense\.bias.*allow_missing"):
        _load(registry, type="huggingface", path=str(no_pooler))
    model = _load(registry, type="huggingface", path=str(no_pooler), allow_missing=["pooler.*"])
    assert model.describe()["allowed_missing"] == ["pooler.*"]


def test_mismatched_weights_fail(tmp_path: Path, bert: Path, registry: Any) -> None:
    import json

    other = tmp_path / "other"
    other.mkdir()
    config = json.loads((bert / "config.json").read_text())
    config["intermediate_size"] = 24  # the checkpoint's feed-forward layers are 40 wide
    (other / "config.json").write_text(json.dumps(config))
    (other / "model.safetensors").write_bytes((bert / "model.safetensors").read_bytes())
    with pytest.raises(
        ModelError,
        match=r"does not match the model: shape mismatch encoder\.layer\.0\.intermediate",
    ):
        _load(registry, type="huggingface", path=str(other))


def test_hub_ids_need_a_revision_and_are_never_downloaded_here(registry: Any) -> None:
    with pytest.raises(ConfigError, match="needs revision"):
        _load(registry, type="huggingface", hub_id="acme/dna-model")
    with pytest.raises(ConfigError, match="exactly one of path"):
        _load(registry, type="huggingface")
    with pytest.raises(ModelError, match="cannot load the checkpoint"):
        _load(
            registry,
            type="huggingface",
            hub_id="acme/dna-model-that-is-not-cached",
            revision="0123456789abcdef0123456789abcdef01234567",
            local_files_only=True,
        )


def test_numeric_shape_errors_are_clear(bert: Path, registry: Any) -> None:
    model = _load(registry, type="huggingface", path=str(bert))
    with pytest.raises(ModelError, match=r"set input_shape: \[tokens, 20\]"):
        model.embed(np.zeros((2, 100)))
    model = _load(registry, type="huggingface", path=str(bert), input_shape=[7, 20])
    with pytest.raises(ModelError, match="cannot be reshaped"):
        model.embed(np.zeros((2, 100)))
