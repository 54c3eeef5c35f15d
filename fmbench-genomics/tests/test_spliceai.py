"""SpliceAI-10k rebuilt in PyTorch, checked against the ORIGINAL Keras model's outputs.

How the reference numbers were obtained (``tests/data/spliceai/keras_reference.json``): once,
by hand, with ``tests/data/spliceai/make_reference.py`` in a scratch venv (not a dependency of
fmbench): Python 3.11.7, ``tensorflow-cpu==2.15.1`` (Keras 2.15.0), numpy 1.26.4 and the
``spliceai==1.3.1`` wheel from PyPI installed with ``--no-deps``. For four made-up sequences
(40-134 nt) the script called the package's own ``spliceai.utils.one_hot_encode`` on
``'N'*5000 + seq + 'N'*5000`` and ``keras.models.load_model(spliceai/models/spliceaiK.h5)
.predict`` for K = 1..5 (the SpliceAI README's recipe for a custom sequence), and also
predicted the layer ``cropping1d_1`` (the penultimate layer) through a Keras sub-model. It
stores the probabilities of every position, the mean of the penultimate layer over positions,
the whole penultimate map for one sequence and model 1, the sha256 of each ``.h5`` file, and
Keras' parameter count (698,787). Rerunning it gave identical numbers.

The tests that need the real weights take the hash-checked wheel from ``.cache/model-wheels``
at the repository root (``make model-wheels``; or ``$FMBENCH_MODEL_WHEELS``) through pip
(``PIP_NO_INDEX=1 PIP_FIND_LINKS=...``, no network) and skip, saying so, without it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

torch = pytest.importorskip("torch", reason="torch is not installed (fmbench-genomics[pretrained])")
pytest.importorskip("h5py", reason="h5py is not installed (fmbench-genomics[pretrained])")
pytest.importorskip("safetensors", reason="safetensors is not installed")

from fmbench_genomics.pretrained import spliceai  # noqa: E402
from fmbench_genomics.pretrained.spliceai_input import encode_batch, one_hot  # noqa: E402

from fmbench.data import fetch  # noqa: E402
from fmbench.errors import ModelError  # noqa: E402
from fmbench.models import weights as model_weights  # noqa: E402
from fmbench.models.config import read_model_config  # noqa: E402
from fmbench.models.handle import load_model  # noqa: E402
from fmbench.testing_wheels import local_pip_env  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
REFERENCE = json.loads((HERE / "data" / "spliceai" / "keras_reference.json").read_text())
CONFIGS = {"torch": ROOT / "configs" / "model_spliceai.yaml"}
CONFIGS["onnx"] = ROOT / "configs" / "model_spliceai_onnx.yaml"
WHEEL = "spliceai-1.3.1-py2.py3-none-any.whl"
#: agreement asked of two paths computing the same 32-number embedding (values up to ~100)
EMBEDDING_ATOL = 1e-4


@pytest.fixture(scope="module", autouse=True)
def one_thread() -> Iterator[None]:
    """torch's spinning thread pool only adds contention on a busy 2-core machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# --- without the weights --------------------------------------------------------------------


def test_input_encoding() -> None:
    x = encode_batch(["ACGTN", "acgtRY-u", "G"])
    assert x.shape == (3, 8, 5)
    assert x[0, :4, :4].tolist() == np.eye(4).tolist()
    assert x[0, 4, :4].tolist() == [0, 0, 0, 0]  # N
    assert x[1, :4, :4].tolist() == np.eye(4).tolist()  # lower case
    assert not x[1, 4:, :4].any()  # R, Y, -, u: encoded like N
    assert x[:, :, 4].sum(axis=1).tolist() == [5, 8, 1]  # the mask marks each sequence
    assert not x[2, 1:].any()  # padding: zeros and outside the mask
    np.testing.assert_array_equal(one_hot("GATTACA"), encode_batch(["GATTACA"])[0, :, :4])
    with pytest.raises(ValueError, match="SpliceAI encodes DNA strings; got float"):
        encode_batch([1.5])


def test_architecture_matches_the_keras_parameter_count() -> None:
    model = spliceai.SpliceAI()
    trained = sum(p.numel() for p in model.parameters())
    statistics = sum(b.numel() for n, b in model.named_buffers() if n.endswith(("mean", "var")))
    assert trained + statistics == REFERENCE["count_params"]["spliceai1"] == 698_787
    assert spliceai.CONTEXT == REFERENCE["context"] == 10_000


def _random_model(seed: int = 0) -> Any:
    torch.manual_seed(seed)
    model = spliceai.SpliceAI()
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm1d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
            module.weight.data.uniform_(0.5, 1.5)
            module.bias.data.uniform_(-0.2, 0.2)
    return model.eval()


def _explicit_flanks(model: Any, sequences: list[str]) -> np.ndarray:
    """Penultimate means the plain way: each sequence given with 5,000 N on either side."""
    out = []
    with torch.inference_mode():
        for seq in sequences:
            flank = "N" * (spliceai.CONTEXT // 2)
            x = torch.from_numpy(one_hot(flank + seq + flank))[None]
            out.append(model.features(x)[0].mean(dim=0).numpy())
    return np.stack(out)


def test_the_n_flank_shortcut_computes_the_same_embedding() -> None:
    """embed() skips the constant N flanks; same numbers as the explicit flanks (random weights)."""
    model = _random_model()
    rng = np.random.default_rng(1)
    sequences = ["".join(rng.choice(list("ACGTN"), size=n)) for n in (1, 37, 250)]
    with torch.inference_mode():
        shortcut = model.embed(torch.from_numpy(encode_batch(sequences))).numpy()
    plain = _explicit_flanks(model, sequences)
    scale = np.abs(plain).max()
    assert np.abs(shortcut - plain).max() <= 1e-5 * max(scale, 1.0), (scale, shortcut - plain)


def test_an_embedding_does_not_depend_on_its_batch() -> None:
    model = _random_model(2)
    sequences = ["ACGTTGCA" * 5, "G" * 300, "TATAAAAGGC" * 12]
    with torch.inference_mode():
        together = model.embed(torch.from_numpy(encode_batch(sequences))).numpy()
        alone = np.concatenate(
            [model.embed(torch.from_numpy(encode_batch([s]))).numpy() for s in sequences]
        )
    np.testing.assert_allclose(together, alone, rtol=1e-5, atol=1e-5)


def test_other_files_are_refused(tmp_path: Path) -> None:
    import h5py

    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"not hdf5")
    with pytest.raises(ModelError, match="not a readable HDF5 file"):
        spliceai.read_keras_h5(bad)
    other = tmp_path / "other.h5"
    layers = [
        {"class_name": "InputLayer", "name": "input_1", "config": {}, "inbound_nodes": []},
        {
            "class_name": "Conv1D",
            "name": "conv1d_1",
            "config": {"kernel_size": [3], "dilation_rate": [1], "padding": "valid"},
            "inbound_nodes": [[["input_1", 0, 0, {}]]],
        },
    ]
    with h5py.File(other, "w") as handle:
        handle.attrs["model_config"] = json.dumps({"config": {"layers": layers}})
    with pytest.raises(ModelError, match="not the SpliceAI-10k architecture: layer conv1d_1"):
        spliceai.read_keras_h5(other)


# --- with the published weights ---------------------------------------------------------------


def _wheelhouse() -> Path:
    folder = Path(os.environ.get("FMBENCH_MODEL_WHEELS") or ROOT / ".cache" / "model-wheels")
    if not (folder / WHEEL).is_file():
        pytest.skip(
            f"{WHEEL} not in {folder}: run `make model-wheels` (downloads tests/model-wheels.txt "
            "from PyPI, hash-checked) or set FMBENCH_MODEL_WHEELS"
        )
    return folder


@pytest.fixture(scope="module")
def weights(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Both configs fetched (pip, from the local wheelhouse only) and converted in a tmp cache."""
    house = _wheelhouse()
    pytest.importorskip("onnxruntime", reason="onnxruntime is not installed")
    cache = tmp_path_factory.mktemp("spliceai-cache")
    env = {**local_pip_env(house), "FMBENCH_DATA": str(cache)}
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        patch.delenv("PIP_INDEX_URL", raising=False)
        patch.delenv("FMBENCH_OFFLINE", raising=False)
        paths = {
            kind: model_weights.download_weights(read_model_config(path), progress=False)
            for kind, path in CONFIGS.items()
        }
        settings = read_model_config(CONFIGS["torch"]).settings
        members = {
            k: fetch.fetch_wheel_member(
                settings["weights_wheel"],
                f"spliceai/models/spliceai{k}.h5",
                REFERENCE["member_sha256"][f"spliceai/models/spliceai{k}.h5"],
                cache / "members" / f"spliceai{k}.h5",
                wheel_sha256=settings["weights_wheel_sha256"],
                offline=True,  # the wheel is in the cache now: no pip
                progress=False,
            )
            for k in range(1, 6)
        }
        yield {"paths": paths, "members": members, "env": env, "cache": cache}


def test_the_reference_was_computed_on_the_configured_file() -> None:
    for path in CONFIGS.values():
        settings = read_model_config(path).settings
        assert settings["weights_member"] == "spliceai/models/spliceai1.h5"
        assert REFERENCE["member_sha256"][settings["weights_member"]] == settings["weights_sha256"]


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5])
def test_outputs_match_the_original_keras_model(weights: dict[str, Any], k: int) -> None:
    """Every position's probabilities and the penultimate layer, for all five models."""
    model = spliceai.load_h5(weights["members"][k])
    reference = REFERENCE["models"][f"spliceai{k}"]
    names = list(REFERENCE["sequences"])
    sequences = [REFERENCE["sequences"][n] for n in names]
    longest = max(map(len, sequences))
    flank = "N" * (spliceai.CONTEXT // 2)
    # extra N after a shorter sequence changes nothing (the receptive field is 5,000 each way)
    batch = np.stack([one_hot(flank + s + "N" * (longest - len(s)) + flank) for s in sequences])
    with torch.inference_mode():
        features = model.features(torch.from_numpy(batch))
        proba = torch.softmax(model.head(features.transpose(1, 2)), dim=1).transpose(1, 2)
    worst_proba = worst_features = 0.0
    for row, (name, seq) in enumerate(zip(names, sequences, strict=True)):
        got_proba = proba[row, : len(seq)].numpy()
        got_features = features[row, : len(seq)].numpy()
        worst_proba = max(worst_proba, np.abs(got_proba - reference[name]["proba"]).max())
        mean = got_features.mean(axis=0)
        worst_features = max(
            worst_features, np.abs(mean - reference[name]["penultimate_mean"]).max()
        )
        if "penultimate" in reference[name]:
            full = np.abs(got_features - np.array(reference[name]["penultimate"])).max()
            worst_features = max(worst_features, full)
    # float32 through 16 residual units; the reference is rounded to 8 significant digits
    assert worst_proba <= 1e-5, worst_proba
    assert worst_features <= EMBEDDING_ATOL, worst_features


def _handles(registry: Any, weights: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FMBENCH_DATA", str(weights["cache"]))
        for kind, path in CONFIGS.items():
            yield kind, load_model(registry, read_model_config(path))


def test_both_adapters_give_the_keras_penultimate_mean(
    registry: Any, weights: dict[str, Any]
) -> None:
    """torch_module and onnx, each from its converted file: the embedding the original gives."""
    names = list(REFERENCE["sequences"])
    sequences = np.array([REFERENCE["sequences"][n] for n in names], dtype=object)
    expected = np.array([REFERENCE["models"]["spliceai1"][n]["penultimate_mean"] for n in names])
    for kind, handle in _handles(registry, weights):
        got = handle.embed(sequences)
        assert got.shape == (len(names), spliceai.WIDTH)
        assert np.abs(got - expected).max() <= EMBEDDING_ATOL, kind


def test_torch_and_onnx_embeddings_agree_on_toy_dna(
    registry: Any, weights: dict[str, Any], toy_root: Path
) -> None:
    from fmbench_genomics.sequences import load_fasta

    data = load_fasta(toy_root / "genomics" / "dna_enhancer")
    sequences = data.X[:48]  # 200-500 nt, several batches of 16 with different lengths
    by_kind = {kind: handle.embed(sequences) for kind, handle in _handles(registry, weights)}
    difference = np.abs(by_kind["torch"] - by_kind["onnx"]).max()
    assert difference <= EMBEDDING_ATOL, difference
    assert np.abs(by_kind["torch"]).max() > 1.0  # real, non-trivial embeddings


def test_provenance_credits_the_published_weights(registry: Any, weights: dict[str, Any]) -> None:
    for kind, handle in _handles(registry, weights):
        info = handle.describe()
        source = info["weights_source"]
        assert source["wheel"] == "spliceai==1.3.1"
        assert source["member"] == "spliceai/models/spliceai1.h5"
        assert source["sha256"] == REFERENCE["member_sha256"]["spliceai/models/spliceai1.h5"]
        assert "GPL-3.0" in info["license"] and "non-commercial" in info["license"]
        assert "Cell 176" in info["citation"]
        assert str(weights["cache"]) not in json.dumps(info), kind
    path = weights["paths"]["torch"]
    manifest = json.loads((path.parent / "converted.json").read_text())
    torch_info = dict(_handles(registry, weights))["torch"].describe()
    assert torch_info["weights_sha256"] == manifest["sha256"]
    assert torch_info["n_parameters"] == 698_787 - 2_048  # BatchNorm statistics are buffers


def test_offline_refetch_uses_the_cache(weights: dict[str, Any]) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FMBENCH_DATA", str(weights["cache"]))
        for kind, path in CONFIGS.items():
            config = read_model_config(path)
            again = model_weights.download_weights(config, offline=True, progress=False)
            assert again == weights["paths"][kind]


def test_run_cli_end_to_end(weights: dict[str, Any], tmp_path: Path) -> None:
    """`fmbench run --fetch` in a subprocess: a DNA suite on SpliceAI through the onnx adapter."""
    from fmbench.adapters.tiny import write_dna_folder

    data = write_dna_folder(tmp_path / "dna", n=40)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "fmbench", "run", "--suite", "SUITE-DNA-CLASS"]
    command += ["--dataset", str(data), "--model", str(CONFIGS["onnx"]), "--fetch"]
    command += ["--out", str(out), "--no-progress", "--no-cache"]
    done = subprocess.run(
        command,
        cwd=tmp_path,
        env={**os.environ, **weights["env"], "FMBENCH_OFFLINE": "1"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    document = yaml.safe_load((out / "eval.yaml").read_text())
    assert document["model"]["weights_source"]["converted_by"].endswith(":export_onnx")
    for record in document["benchmarks"]:
        assert record["status"] == "Completed"
        assert record["metrics"]["AUROC"] is not None
