"""The ``torch_module`` adapter on a tiny network trained and saved in the test."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

torch = pytest.importorskip(
    "torch", reason="torch is not installed (pip install 'fmbench-core[torch]')"
)
pytest.importorskip("safetensors", reason="safetensors is not installed")

from click.testing import CliRunner  # noqa: E402

from fmbench.adapters.tiny import probe_suite_plugin, save_tiny_encoder  # noqa: E402
from fmbench.capabilities import PredictsProba  # noqa: E402
from fmbench.errors import ConfigError, ModelError  # noqa: E402
from fmbench.models.config import parse_model_config  # noqa: E402
from fmbench.models.handle import load_model  # noqa: E402
from fmbench.plugin_system.registry import build_registry  # noqa: E402
from fmbench.plugin_system.specs import SuiteSpec  # noqa: E402
from fmbench.running.suite_run import RunOptions, run_suite  # noqa: E402

ENCODER = "fmbench.adapters.tiny:TinyEncoder"


pytestmark = pytest.mark.usefixtures("torch_one_thread")


@pytest.fixture(scope="module")
def registry() -> Any:
    return build_registry(external=False)


def _load(registry: Any, **settings: Any) -> Any:
    return load_model(registry, parse_model_config({"model_id": "tiny", **settings}, source="<t>"))


def _config(path: Path, **settings: Any) -> Path:
    path.write_text(yaml.safe_dump({"model_id": "tiny_torch", **settings}), encoding="utf-8")
    return path


def _options(toy_root: Path, cache: Path | None = None, **kw: Any) -> RunOptions:
    return RunOptions(
        data_root=str(toy_root),
        progress=False,
        cache_dir=str(cache) if cache else None,
        use_cache=cache is not None,
        **kw,
    )


def test_toy_suite_zero_shot_uses_the_trained_weights(
    tmp_path: Path, toy_root: Path, tiny_encoder_weights: dict[str, Path], registry: Any
) -> None:
    config = parse_model_config(
        {
            "model_id": "tiny_torch",
            "type": "torch_module",
            "import_path": ENCODER,
            "weights": str(tiny_encoder_weights["safetensors"]),
            "head": "head",
            "batch_size": 16,
        },
        source="<t>",
    )
    suite = registry.get(SuiteSpec, "SUITE-TOY-CLASS")
    result = run_suite(registry, suite, config, tmp_path / "out", _options(toy_root))
    record = result.outcomes[0].record
    assert record["status"] == "Completed", record
    # The net was trained on this data; random weights would score near 0.5.
    assert record["metrics"]["AUROC"] > 0.8
    model = result.document.to_dict()["model"]
    assert (
        model["weights_sha256"]
        == hashlib.sha256(tiny_encoder_weights["safetensors"].read_bytes()).hexdigest()
    )
    from fmbench.adapters.tiny import TinyEncoder

    assert model["n_parameters"] == sum(p.numel() for p in TinyEncoder().parameters()) == 3794
    assert model["device"] == "cpu"
    assert model["dtype"] == "float32"
    assert model["type"] == "torch_module"
    measures = result.document.to_dict()["resources"]["model"]
    assert measures["samples"] == 200
    assert measures["samples_per_s"] > 0
    assert measures["peak_rss_mb"] > 0


def test_torch_save_file_loads_with_weights_only_and_agrees(
    tiny_encoder_weights: dict[str, Path], registry: Any, toy_xy: Any
) -> None:
    X, _ = toy_xy
    a = _load(
        registry,
        type="torch_module",
        import_path=ENCODER,
        weights=str(tiny_encoder_weights["safetensors"]),
        head="head",
    )
    b = _load(
        registry,
        type="torch_module",
        import_path=ENCODER,
        weights=str(tiny_encoder_weights["torch"]),
        logits_method="logits",
    )
    np.testing.assert_allclose(a.embed(X), b.embed(X), atol=1e-6)
    np.testing.assert_allclose(a.predict_proba(X, 2), b.predict_proba(X, 2), atol=1e-6)
    assert b.describe()["weights_format"] == "torch"


def test_linear_probe_benchmark_through_run_suite(
    tmp_path: Path, toy_root: Path, tiny_encoder_weights: dict[str, Path]
) -> None:
    registry = build_registry(
        external=False, extra_modules=(probe_suite_plugin("DS-TOY-FMRI-CLASS", name="T-PROBE"),)
    )
    config = parse_model_config(
        {
            "model_id": "enc",
            "type": "torch_module",
            "import_path": ENCODER,
            "weights": str(tiny_encoder_weights["torch"]),
        },
        source="<t>",
    )
    cache = tmp_path / "cache"
    suite = registry.get(SuiteSpec, "SUITE-T-PROBE")
    first = run_suite(registry, suite, config, tmp_path / "a", _options(toy_root, cache))
    record = first.outcomes[0].record
    assert record["status"] == "Completed", record
    assert record["protocol"] == "linear_probe"
    assert record["protocol_details"]["embedding_dim"] == 16
    assert record["resources"]["embedding_cache"]["status"] == "miss"
    assert first.model.samples["embed"] == 200
    second = run_suite(registry, suite, config, tmp_path / "b", _options(toy_root, cache))
    assert second.outcomes[0].record["resources"]["embedding_cache"]["status"] == "hit"
    assert "embed" not in second.model.calls  # the model was not called for embeddings
    assert second.outcomes[0].record["metrics"] == record["metrics"]


def test_missing_weights_file_fails_the_run(tmp_path: Path, toy_root: Path, registry: Any) -> None:
    config = parse_model_config(
        {
            "model_id": "m",
            "type": "torch_module",
            "import_path": ENCODER,
            "weights": str(tmp_path / "nope.safetensors"),
        },
        source="<t>",
    )
    with pytest.raises(ModelError, match=r"weights file not found: .*nope\.safetensors"):
        run_suite(
            registry,
            registry.get(SuiteSpec, "SUITE-TOY-CLASS"),
            config,
            tmp_path / "o",
            _options(toy_root),
        )


def test_weights_are_required(registry: Any) -> None:
    with pytest.raises(ConfigError, match="never runs a model with random weights"):
        _load(registry, type="torch_module", import_path=ENCODER)


def test_mismatched_weights_name_the_file_and_keys(
    tmp_path: Path, tiny_encoder_weights: dict[str, Path], registry: Any
) -> None:
    with pytest.raises(
        ModelError,
        match=r"tiny_encoder\.safetensors does not match TinyEncoder: shape mismatch encoder\.2\.bias",
    ):
        _load(
            registry,
            type="torch_module",
            import_path=ENCODER,
            init_kwargs={"dim": 8},
            weights=str(tiny_encoder_weights["safetensors"]),
        )
    state = torch.load(tiny_encoder_weights["torch"], weights_only=True)
    del state["head.bias"]
    state["extra.weight"] = torch.zeros(2)
    broken = tmp_path / "broken.pt"
    torch.save(state, broken)
    with pytest.raises(ModelError) as info:
        _load(registry, type="torch_module", import_path=ENCODER, weights=str(broken))
    message = str(info.value)
    assert "broken.pt" in message
    assert "missing keys head.bias" in message
    assert "unexpected keys extra.weight" in message


def test_pickled_modules_are_refused(tmp_path: Path, registry: Any) -> None:
    from fmbench.adapters.tiny import TinyEncoder

    whole = tmp_path / "whole_module.pt"
    torch.save(TinyEncoder(), whole)  # pickles the class: never unpickled from a file
    with pytest.raises(
        ModelError, match=r"whole_module\.pt: cannot be read with torch\.load\(weights_only=True\)"
    ):
        _load(registry, type="torch_module", import_path=ENCODER, weights=str(whole))


def test_checkpoint_key_and_prefix(
    tmp_path: Path, tiny_encoder_weights: dict[str, Path], registry: Any, toy_xy: Any
) -> None:
    state = torch.load(tiny_encoder_weights["torch"], weights_only=True)
    checkpoint = tmp_path / "ckpt.pt"
    torch.save({"epoch": 3, "state_dict": {f"module.{k}": v for k, v in state.items()}}, checkpoint)
    with pytest.raises(ModelError, match="set state_dict_key"):
        _load(registry, type="torch_module", import_path=ENCODER, weights=str(checkpoint))
    model = _load(
        registry,
        type="torch_module",
        import_path=ENCODER,
        weights=str(checkpoint),
        state_dict_key="state_dict",
        strip_prefix="module.",
    )
    reference = _load(
        registry,
        type="torch_module",
        import_path=ENCODER,
        weights=str(tiny_encoder_weights["torch"]),
    )
    np.testing.assert_array_equal(model.embed(toy_xy[0][:10]), reference.embed(toy_xy[0][:10]))


def test_pooling_choices(tmp_path: Path, registry: Any, toy_xy: Any) -> None:
    X = toy_xy[0][:12]
    paths = save_tiny_encoder(tmp_path, tokens=4)
    common = {
        "type": "torch_module",
        "import_path": ENCODER,
        "init_kwargs": {"tokens": 4},
        "weights": str(paths["safetensors"]),
    }
    mean = _load(registry, pooling="mean", **common).embed(X)
    cls = _load(registry, pooling="cls", **common).embed(X)
    flat = _load(registry, pooling="flatten", **common).embed(X)
    assert mean.shape == cls.shape == (12, 16)
    assert flat.shape == (12, 64)
    np.testing.assert_allclose(cls, flat[:, :16], atol=1e-6)
    np.testing.assert_allclose(mean, flat.reshape(12, 4, 16).mean(axis=1), atol=1e-6)
    with pytest.raises(ModelError, match="pooling is none"):
        _load(registry, pooling="none", **common).embed(X)


def test_devices_and_precision(
    tiny_encoder_weights: dict[str, Path], registry: Any, toy_xy: Any
) -> None:
    X = toy_xy[0][:20]
    common = {
        "type": "torch_module",
        "import_path": ENCODER,
        "weights": str(tiny_encoder_weights["safetensors"]),
    }
    reference = _load(registry, **common).embed(X)
    auto = _load(registry, device="auto", **common)
    assert auto.describe()["device"] == ("cuda" if torch.cuda.is_available() else "cpu")
    half = _load(registry, dtype="bfloat16", **common)
    assert half.describe()["dtype"] == "bfloat16"
    np.testing.assert_allclose(half.embed(X), reference, atol=0.1)
    with pytest.raises(ConfigError, match="device 'tpu'"):
        _load(registry, device="tpu", **common)
    with pytest.raises(ConfigError, match="dtype: expected one of float32, float16, bfloat16"):
        _load(registry, dtype="int8", **common)
    if not torch.cuda.is_available():
        with pytest.raises(ModelError, match="torch sees no CUDA GPU"):
            _load(registry, device="cuda:1", **common)


def test_bad_configs(tiny_encoder_weights: dict[str, Path], registry: Any) -> None:
    with pytest.raises(ConfigError, match="did you mean 'weights'"):
        _load(registry, type="torch_module", import_path=ENCODER, weight="x.pt")
    with pytest.raises(ConfigError, match=r"not a torch\.nn\.Module"):
        _load(
            registry,
            type="torch_module",
            import_path="fmbench.models.dummy:DummyClassifier",
            weights=str(tiny_encoder_weights["torch"]),
        )
    with pytest.raises(ConfigError, match="has no submodule 'classifier'"):
        _load(
            registry,
            type="torch_module",
            import_path=ENCODER,
            weights=str(tiny_encoder_weights["torch"]),
            head="classifier",
        )
    model = _load(
        registry,
        type="torch_module",
        import_path=ENCODER,
        weights=str(tiny_encoder_weights["torch"]),
    )
    assert not model.has(PredictsProba)  # no head configured: no probabilities offered
    with pytest.raises(ModelError, match="torch_module takes numeric arrays"):
        model.embed(np.array(["ACGT", "GGCC"], dtype=object))


def test_relative_weights_path_is_read_from_the_config_folder(
    tmp_path: Path,
    tiny_encoder_weights: dict[str, Path],
    registry: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = tmp_path / "cfg"
    folder.mkdir()
    (folder / "w.safetensors").write_bytes(tiny_encoder_weights["safetensors"].read_bytes())
    path = _config(
        folder / "model.yaml", type="torch_module", import_path=ENCODER, weights="w.safetensors"
    )
    monkeypatch.chdir(tmp_path)
    from fmbench.models.config import read_model_config

    model = load_model(registry, read_model_config(path))
    assert model.describe()["weights_file"] == "w.safetensors"


def test_cli_run_with_cache_options(
    tmp_path: Path,
    toy_root: Path,
    tiny_encoder_weights: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from fmbench.cli import cli

    monkeypatch.chdir(tmp_path)
    config = _config(
        tmp_path / "m.yaml",
        type="torch_module",
        import_path=ENCODER,
        weights=str(tiny_encoder_weights["safetensors"]),
        head="head",
    )
    runner = CliRunner()
    args = [
        "run",
        "--suite",
        "SUITE-TOY-CLASS",
        "--model",
        str(config),
        "--data-root",
        str(toy_root),
        "--no-progress",
    ]
    result = runner.invoke(cli, [*args, "--out", "a", "--cache-dir", "cache"], obj={})
    assert result.exit_code == 0, result.output
    assert "AUROC" in result.output
    result = runner.invoke(cli, [*args, "--out", "b", "--no-cache"], obj={})
    assert result.exit_code == 0, result.output
    document = yaml.safe_load((tmp_path / "b" / "eval.yaml").read_text())
    assert document["model"]["weights_sha256"]
    assert document["resources"]["model"]["samples"] == 200


def test_end_to_end_subprocess_and_light_listing(
    tmp_path: Path, toy_root: Path, tiny_encoder_weights: dict[str, Path]
) -> None:
    config = _config(
        tmp_path / "m.yaml",
        type="torch_module",
        import_path=ENCODER,
        weights=str(tiny_encoder_weights["safetensors"]),
        head="head",
    )
    env = {**os.environ, "FMBENCH_CACHE": str(tmp_path / "cache"), "OMP_NUM_THREADS": "1"}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "fmbench",
            "run",
            "--suite",
            "SUITE-TOY-CLASS",
            "--model",
            str(config),
            "--out",
            str(tmp_path / "out"),
            "--data-root",
            str(toy_root),
            "--no-progress",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "out" / "eval.yaml").is_file()
    check = (
        "import sys\n"
        "from fmbench.cli import cli\n"
        "cli.main(['plugins', 'list'], standalone_mode=False, obj={})\n"
        "print(json.dumps(sorted(m for m in ('torch', 'transformers', 'onnxruntime', 'onnx', 'safetensors') if m in sys.modules)))\n"
    )
    listing = subprocess.run(
        [sys.executable, "-c", "import json\n" + check],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert listing.returncode == 0, listing.stderr
    assert "torch_module" in listing.stdout
    assert "huggingface" in listing.stdout
    assert json.loads(listing.stdout.strip().splitlines()[-1]) == []


def test_weights_from_the_download_cache(
    tiny_encoder_weights: dict[str, Path],
    registry: Any,
    toy_xy: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """weights_url + weights_sha256: loaded from where `fmbench download-weights` puts them."""
    import hashlib
    import shutil

    from fmbench.errors import ModelError
    from fmbench.models.weights import cached_weights_path

    monkeypatch.setenv("FMBENCH_DATA", str(tmp_path / "cache"))
    source = tiny_encoder_weights["safetensors"]
    settings = {
        "type": "torch_module",
        "import_path": ENCODER,
        "weights_url": "https://example.org/models/encoder.safetensors",
        "weights_sha256": hashlib.sha256(source.read_bytes()).hexdigest(),
        "head": "head",
    }
    with pytest.raises(ModelError, match="run `fmbench download-weights"):
        _load(registry, **settings)
    target = cached_weights_path({"model_id": "tiny", **settings})
    target.parent.mkdir(parents=True)
    shutil.copyfile(source, target)
    X, _ = toy_xy
    cached = _load(registry, **settings)
    local = _load(
        registry, type="torch_module", import_path=ENCODER, weights=str(source), head="head"
    )
    np.testing.assert_allclose(cached.embed(X), local.embed(X), atol=1e-6)
