"""Shared fixtures of the core tests."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from fmbench.plugin_system.registry import Registry, build_registry


@pytest.fixture(scope="session")
def core_registry() -> Registry:
    """Only fmbench's built-in plugins, so core tests do not depend on what else is installed."""
    return build_registry(external=False)


@pytest.fixture(scope="session")
def toy_root(tmp_path_factory: pytest.TempPathFactory, core_registry: Registry) -> Path:
    """The core's toy datasets, generated once per test session."""
    from fmbench.data.generate_toy import generate_all

    root = tmp_path_factory.mktemp("toy") / "toy_data"
    list(generate_all(core_registry, root, seed=42))
    return root


@pytest.fixture(scope="session")
def toy_xy(toy_root: Path) -> tuple[Any, Any]:
    """Inputs and labels of the core toy dataset, read whole."""
    import numpy as np

    folder = toy_root / "neuro" / "fmri_classification"
    return np.load(folder / "X.npy"), np.load(folder / "y.npy")


@pytest.fixture(scope="session")
def tiny_encoder_weights(tmp_path_factory: pytest.TempPathFactory, toy_xy: Any) -> dict[str, Path]:
    """A tiny torch encoder trained on the toy data, saved as safetensors and torch files."""
    pytest.importorskip(
        "torch", reason="torch is not installed (pip install 'fmbench-core[torch]')"
    )
    from fmbench.adapters.tiny import save_tiny_encoder

    return save_tiny_encoder(tmp_path_factory.mktemp("weights"), *toy_xy)


@pytest.fixture(scope="module")
def torch_one_thread() -> Any:
    """Tiny nets on a busy 2-core machine: torch's thread pool only adds contention."""
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


MODEL_SOURCE = '''
import numpy as np


class Good:
    """Uses the signal: a fixed linear read-out of the first 10 features."""

    def predict_proba(self, X):
        score = np.asarray(X)[:, :10].sum(axis=1)
        p = 1 / (1 + np.exp(-score / 3))
        return np.column_stack([1 - p, p])

    def predict(self, X):
        return self.predict_proba(X).argmax(axis=1)


class Raises:
    def predict_proba(self, X):
        raise RuntimeError("GPU on fire")


class ReturnsNaN:
    def predict_proba(self, X):
        out = np.full((len(X), 2), 0.5)
        out[0, 0] = np.nan
        return out


class WrongShape:
    def predict_proba(self, X):
        return np.full((len(X), 3), 1 / 3)


class WrongLength:
    def predict_proba(self, X):
        return np.full((len(X) - 1, 2), 0.5)


class OnlyPredict:
    def predict(self, X):
        return (np.asarray(X)[:, :10].sum(axis=1) > 0).astype(int)


class NoMethods:
    pass


class BadInit:
    def __init__(self):
        raise ValueError("checkpoint missing")
'''


@pytest.fixture
def model_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory holding `test_models.py` and a config per model class."""
    (tmp_path / "test_models_mod.py").write_text(MODEL_SOURCE)
    for name in (
        "Good",
        "Raises",
        "ReturnsNaN",
        "WrongShape",
        "WrongLength",
        "OnlyPredict",
        "NoMethods",
        "BadInit",
    ):
        (tmp_path / f"{name.lower()}.yaml").write_text(
            f'model_id: {name.lower()}\ntype: python_class\nimport_path: "test_models_mod:{name}"\n'
        )
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def default_sigint() -> None:
    """``preexec_fn`` for a subprocess that a test sends Ctrl-C: SIGINT as a user's shell
    delivers it. A test run started in the background (CI scripts, ``cmd &``) passes SIGINT on
    ignored, and Python then never raises KeyboardInterrupt."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


PLUGINS_LIST_SCRIPT = (
    "import json, sys\n"
    "from fmbench.cli import cli\n"
    "cli.main(['plugins', 'list'], standalone_mode=False, obj={})\n"
    "print('MODULES=' + json.dumps(sorted(sys.modules)))\n"
)


def plugins_list_in_subprocess(cwd: Path, env: dict[str, str]) -> tuple[str, set[str]]:
    """``fmbench plugins list`` in a fresh interpreter: what it printed, and the top-level
    packages it imported."""
    done = subprocess.run(
        [sys.executable, "-c", PLUGINS_LIST_SCRIPT],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    printed, _, modules = done.stdout.partition("MODULES=")
    return printed, {m.split(".")[0] for m in json.loads(modules)}
