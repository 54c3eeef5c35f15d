"""The bad-input matrix: every command meets broken input and answers with one clear line.

Each case runs a command through the CLI (as `fmbench` runs it) and checks: a non-zero exit (or,
for inputs that are handled rather than refused, the documented outcome), the expected message,
no traceback, and that nothing already written (an earlier run's results, the toy data) changed.
`docs/reliability.md` shows the counts by category; a test keeps it in step with CASES.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import shutil
from collections import Counter
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from fmbench.cli import cli
from fmbench.leaderboard.synthetic import synthetic_eval, write_synthetic
from fmbench.results.eval_file import with_digest

ROOT = Path(__file__).resolve().parents[1]
DUMMY = str(ROOT / "configs" / "model_dummy_classifier.yaml")

MODELS = """
import time
import numpy as np


class Good:
    def predict_proba(self, X):
        p = 1 / (1 + np.exp(-np.asarray(X).reshape(len(X), -1)[:, :10].sum(axis=1) / 3))
        return np.column_stack([1 - p, p])


class Raises(Good):
    def predict_proba(self, X):
        raise RuntimeError("GPU on fire")


class Hangs(Good):
    def predict_proba(self, X):
        time.sleep(60)


class NaNs(Good):
    def predict_proba(self, X):
        out = np.full((len(X), 2), 0.5)
        out[0] = np.nan
        return out


class Infs(Good):
    def predict_proba(self, X):
        out = np.full((len(X), 2), 0.5)
        out[0, 0] = np.inf
        return out


class WrongShape(Good):
    def predict_proba(self, X):
        return np.full((len(X), 3), 1 / 3)


class WrongLength(Good):
    def predict_proba(self, X):
        return np.full((len(X) + 1, 2), 0.5)


class Mutates(Good):
    def predict_proba(self, X):
        X[:] = 0
        return super().predict_proba(X)


class BadInit:
    def __init__(self):
        raise OSError("weights file is corrupt")


class Exits(Good):
    def predict_proba(self, X):
        import sys

        sys.exit(0)


class SwallowsTimeout(Good):
    def predict_proba(self, X):
        deadline = time.monotonic() + 30  # never reached when the timeout works
        while time.monotonic() < deadline:
            try:
                time.sleep(0.05)
            except Exception:
                continue
        return super().predict_proba(X)


class OneDEmbed:
    def embed(self, X):
        return np.asarray(X).reshape(len(X), -1).sum(axis=1)
"""


class Case(NamedTuple):
    category: str
    args: tuple[str, ...]
    message: str  # a regular expression the output must match
    exit_code: int | None = None  # None: any non-zero


def _arrays(folder: Path, X: np.ndarray, y: np.ndarray, metadata: str | None = None) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / "X.npy", X, allow_pickle=X.dtype == object)
    np.save(folder / "y.npy", y, allow_pickle=False)
    if metadata is not None:
        (folder / "metadata.csv").write_text(metadata)
    return str(folder)


def _run(
    *extra: str, model: str = DUMMY, out: str = "out", suite: str = "SUITE-TOY-CLASS"
) -> tuple[str, ...]:
    return ("run", "--suite", suite, "--model", model, "--out", out, "--no-progress",
            "--n-resamples", "100", *extra)  # fmt: skip


CASES: dict[str, Case] = {
    # malformed and wrong-typed YAML
    "model config: malformed YAML": Case(
        "malformed or wrong-typed YAML", _run(model="malformed.yaml"), r"malformed YAML"
    ),
    "model config: a list": Case(
        "malformed or wrong-typed YAML", _run(model="list.yaml"), r"expected a mapping"
    ),
    "model config: init_kwargs a list": Case(
        "malformed or wrong-typed YAML",
        _run(model="kwargs_list.yaml"),
        r"init_kwargs must be a mapping",
    ),
    "model config: python tag": Case(
        "malformed or wrong-typed YAML", _run(model="tagged.yaml"), r"malformed YAML"
    ),
    "model config: misspelled key": Case(
        "malformed or wrong-typed YAML",
        _run(model="misspelled.yaml"),
        r"unknown key 'weigths'.*did you mean 'weights'",
    ),
    "suite file: malformed YAML": Case(
        "malformed or wrong-typed YAML",
        ("run", "--suite", "broken_suite.yaml", "--model", DUMMY, "--out", "o"),
        r"malformed YAML",
    ),
    "suite file: misspelled key": Case(
        "malformed or wrong-typed YAML",
        ("run", "--suite", "typo_suite.yaml", "--model", DUMMY, "--out", "o"),
        r"unknown key 'benchmarkz'",
    ),
    "benchmark file: metrics wrong type": Case(
        "malformed or wrong-typed YAML",
        ("validate", "bad_benchmark.yaml"),
        r"metrics: expected a mapping",
        1,
    ),
    "eval file: malformed YAML": Case(
        "malformed or wrong-typed YAML", ("validate", "eval_broken.yaml"), r"malformed YAML", 1
    ),
    "eval file: a list": Case(
        "malformed or wrong-typed YAML", ("validate", "eval_list.yaml"), r"must be a mapping", 1
    ),
    "eval file: nested too deep": Case(
        "malformed or wrong-typed YAML", ("validate", "eval_deep.yaml"), r"nest", 1
    ),
    "eval file: too large": Case(
        "malformed or wrong-typed YAML", ("validate", "eval_huge.yaml"), r"limit", 1
    ),
    # issue #21 F1, F4 and "Also": each once ended in an internal error, was read differently
    # from yaml.safe_load, or took 25-30 s
    "eval file: a null key (F1)": Case(
        "malformed or wrong-typed YAML",
        ("validate", "eval_null_key.yaml"),
        r"the key None is not a string",
        1,
    ),
    "eval file: a 5,000-digit hex integer (F1)": Case(
        "malformed or wrong-typed YAML",
        ("validate", "eval_hex_int.yaml"),
        r"more than 4,000 digits",
        1,
    ),
    "eval file: a tab after a colon (F4)": Case(
        "malformed or wrong-typed YAML", ("validate", "eval_tab.yaml"), r"malformed YAML", 1
    ),
    "eval file: 2.4 MB of [[1],[1],...] (Also)": Case(
        "malformed or wrong-typed YAML",
        ("validate", "eval_dense.yaml"),
        r"more than 100000 lines and flow items",
        1,
    ),
    # missing and unreadable files
    "model config missing": Case(
        "missing or unreadable files",
        _run(model="nowhere.yaml"),
        r"model config not found: nowhere.yaml",
    ),
    "model config is a folder": Case(
        "missing or unreadable files", _run(model="a_folder"), r"is a (folder|directory)"
    ),
    "dataset path missing": Case(
        "missing or unreadable files",
        _run("--dataset", "no/such/folder"),
        r"dataset path not found",
    ),
    "robustness data missing": Case(
        "missing or unreadable files",
        ("run-robustness", "--model", DUMMY, "--data", "no/such", "--out", "o"),
        r"not found",
    ),
    "eval file missing": Case(
        "missing or unreadable files", ("validate", "missing_eval.yaml"), r"not found", 1
    ),
    "eval file is a FIFO (F14)": Case(
        "missing or unreadable files",
        ("validate", "eval_fifo.yaml"),
        r"not a regular file \(a FIFO, socket or device\); not read",
        1,
    ),
    "compare: run folder missing": Case(
        "missing or unreadable files", ("compare", "nope_a", "nope_b"), r"nope_a"
    ),
    "model module missing": Case(
        "missing or unreadable files",
        _run(model="nomodule.yaml"),
        r"cannot import module 'nowhere_at_all'",
    ),
    "validate: model module missing": Case(
        "missing or unreadable files",
        ("validate", "nomodule.yaml"),
        r"nomodule.yaml: error: .*cannot import module 'nowhere_at_all'",
        1,
    ),
    "validate: model class missing": Case(
        "unknown ids",
        ("validate", "noclass.yaml"),
        r"module 'matrix_models' defines no 'Godo' \(did you mean 'Good'\?\)",
        1,
    ),
    # wrong shapes and dtypes
    "X is 1-D": Case(
        "wrong shapes or dtypes", _run("--dataset", "data_1d"), r"expected \(n_samples, features"
    ),
    "float labels": Case(
        "wrong shapes or dtypes",
        _run("--dataset", "data_float_y"),
        r"classification task, but dataset data_float_y holds regression targets",
    ),
    "object array (pickle)": Case(
        "wrong shapes or dtypes", _run("--dataset", "data_object"), r"cannot read the arrays"
    ),
    # NaN and infinity
    "NaN in the data": Case(
        "NaN or infinity", _run("--dataset", "data_nan"), r"sample 3 holds NaN or infinite values"
    ),
    "NaN from the model": Case("NaN or infinity", _run(model="nans.yaml"), r"NaN/infinite"),
    "infinity from the model": Case("NaN or infinity", _run(model="infs.yaml"), r"NaN/infinite"),
    # issue #21 F2: re-signed files validate accepted, then the leaderboard crashed on them
    "eval file: interval confidence 1e400 (F2)": Case(
        "NaN or infinity",
        ("validate", "eval_confidence.yaml"),
        r"interval_method.confidence: 1000\d*\.\.\. \(401 characters\) is greater than or equal to the maximum of 1",
        1,
    ),
    "eval file: 5e-324 samples per second (F2)": Case(
        "NaN or infinity",
        ("validate", "eval_samples_per_s.yaml"),
        r"samples_per_s = 5e-324 is too small to give a time per sample",
        1,
    ),
    # empty datasets, single class, labels not matching
    "empty dataset": Case(
        "empty, single-class or mismatched data", _run("--dataset", "data_empty"), r"no samples"
    ),
    "labels not matching samples": Case(
        "empty, single-class or mismatched data",
        _run("--dataset", "data_short_y"),
        r"2 labels for 6 samples",
    ),
    "metadata rows not matching": Case(
        "empty, single-class or mismatched data",
        _run("--dataset", "data_bad_meta"),
        r"metadata column 'site' has 2 rows for 6 samples",
    ),
    "single-class labels (handled: null with a reason)": Case(
        "empty, single-class or mismatched data",
        _run("--dataset", "data_one_class"),
        r"BM-TOY-CLASS: AUROC = null",
        0,
    ),
    # issue #21 F12: these were internal errors (EOFError, IndexError) or went unchecked
    "empty X.npy file (F12)": Case(
        "missing or unreadable files",
        _run("--dataset", "data_empty_file"),
        r"X.npy: the file is empty or cut short; write it again with numpy.save",
    ),
    "cut-short X.npy file (F12)": Case(
        "missing or unreadable files",
        _run("--dataset", "data_cut_short"),
        r"X.npy: (the file is empty or cut short|cannot read the arrays)",
    ),
    "n_classes 1 with labels 0 and 1 (F12)": Case(
        "empty, single-class or mismatched data",
        _run("--dataset", "data_one_declared_class"),
        r"y.npy holds label 1, but .*info.json gives n_classes 1 \(labels must be 0..0\)",
    ),
    "label 7 with n_classes 2 (F12)": Case(
        "empty, single-class or mismatched data",
        _run("--dataset", "data_label_7"),
        r"y.npy holds label 7, but .*info.json gives n_classes 2",
    ),
    "n_classes 10^9 (F12)": Case(
        "empty, single-class or mismatched data",
        _run("--dataset", "data_billion_classes"),
        r"info.json: n_classes 1000000000 is more than fmbench supports",
    ),
    # unknown ids
    "unknown suite": Case(
        "unknown ids",
        ("run", "--suite", "SUITE-TOY-CLAS", "--model", DUMMY, "--out", "o"),
        r"did you mean 'SUITE-TOY-CLASS'",
        2,
    ),
    "unknown benchmark in a suite file": Case(
        "unknown ids",
        ("run", "--suite", "unknown_bm_suite.yaml", "--model", DUMMY, "--out", "o"),
        r"unknown benchmark 'BM-NOPE'",
        2,
    ),
    "unknown dataset id": Case(
        "unknown ids", _run("--dataset", "DS-TOY-FMRI-CLAS"), r"did you mean 'DS-TOY-FMRI-CLASS'"
    ),
    "unknown protocol": Case(
        "unknown ids", _run("--protocol", "zero_shoot"), r"unknown protocol 'zero_shoot'"
    ),
    "unknown adapter type": Case(
        "unknown ids", _run(model="unknown_type.yaml"), r"did you mean 'python_class'", 2
    ),
    "unknown probe": Case(
        "unknown ids",
        (
            "run-robustness",
            "--model",
            DUMMY,
            "--data",
            "DS-TOY-FMRI-CLASS",
            "--out",
            "o",
            "--probes",
            "noize",
        ),
        r"unknown probe 'noize'",
    ),
    "unknown toy dataset": Case(
        "unknown ids",
        ("generate-toy-data", "--output-dir", "td", "--only", "DS-NOPE"),
        r"no toy dataset 'DS-NOPE'",
        2,
    ),
    "unknown dataset to fetch": Case("unknown ids", ("datasets", "fetch", "DS-NOPE"), r"DS-NOPE"),
    # misbehaving models
    "model raises": Case(
        "misbehaving models",
        _run(model="raises.yaml"),
        r"raised in predict_proba\(\): RuntimeError: GPU on fire",
        1,
    ),
    "model hangs (--timeout)": Case(
        "misbehaving models", _run("--timeout", "1", model="hangs.yaml"), r"timed out after 1 s", 1
    ),
    "model returns the wrong shape": Case(
        "misbehaving models", _run(model="wrongshape.yaml"), r"dataset has 2 classes", 1
    ),
    "model returns the wrong length": Case(
        "misbehaving models", _run(model="wronglength.yaml"), r"expected \d+ rows", 1
    ),
    "model mutates its input": Case(
        "misbehaving models", _run(model="mutates.yaml"), r"tried to modify its input", 1
    ),
    "model fails to load": Case(
        "misbehaving models", _run(model="badinit.yaml"), r"weights file is corrupt"
    ),
    "model calls sys.exit(0) (F9)": Case(
        "misbehaving models",
        _run(model="exits.yaml"),
        r"model 'exits' called sys.exit\(0\) in predict_proba\(\); a model must raise",
        1,
    ),
    "model swallows the timeout (F10)": Case(
        "misbehaving models",
        _run("--timeout", "1", model="swallowstimeout.yaml"),
        r"timed out after 1 s",
        1,
    ),
    "model returns a 1-D embedding": Case(
        "misbehaving models",
        _run(model="onedembed.yaml", out="o", suite="SUITE-TOY-PROBE"),
        r"embed\(\) returned shape \(\d+,\) for \d+ inputs; an embedding is one row",
        1,
    ),
    # tampered or unsigned eval files (issue #21 F3)
    "eval file: metric edited, digest recomputed, predictions beside": Case(
        "tampered or unsigned eval files",
        ("validate", "tampered/eval.yaml"),
        r"AUROC = 0.99, but the predictions in predictions.npz beside it give",
        1,
    ),
    "eval file: results_sha256 left stale": Case(
        "tampered or unsigned eval files",
        ("validate", "stale_results.yaml"),
        r"digest.results_sha256 does not match the content",
        1,
    ),
    "eval file: predictions of another run beside it": Case(
        "tampered or unsigned eval files",
        ("validate", "swapped/eval.yaml"),
        r"do not match predictions_sha256",
        1,
    ),
    "validate --verify-signature: not signed": Case(
        "tampered or unsigned eval files",
        (
            "validate",
            "--verify-signature",
            "--allowed-signers",
            "allowed_signers",
            "keep/eval.yaml",
        ),
        r"not signed; the submitter signs it|ssh-keygen not found",
        1,
    ),
    "validate --verify-signature without --allowed-signers": Case(
        "tampered or unsigned eval files",
        ("validate", "--verify-signature", "keep/eval.yaml"),
        r"--verify-signature needs --allowed-signers FILE",
        2,
    ),
    "build-leaderboard --require-signature without --allowed-signers": Case(
        "tampered or unsigned eval files",
        ("build-leaderboard", "--results", "keep", "--out", "site", "--require-signature"),
        r"--require-signature needs --allowed-signers FILE",
        2,
    ),
    "sign: key missing": Case(
        "tampered or unsigned eval files",
        ("sign", "keep/eval.yaml", "--key", "no_such_key"),
        r"SSH key no_such_key not found",
        1,
    ),
    # output folders
    "results already there": Case("existing results", _run(out="keep"), r"already holds results"),
    "--out is a file": Case("existing results", _run(out="a_file.txt"), r"is a file"),
}


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, toy_root: Path) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FMBENCH_TOY_DATA", str(toy_root))
    monkeypatch.setenv("FMBENCH_NO_PLUGINS", "1")
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "matrix_models.py").write_text(MODELS)
    for name in ("Good", "Raises", "Hangs", "NaNs", "Infs", "WrongShape", "WrongLength", "Mutates",
                 "BadInit", "OneDEmbed", "Exits", "SwallowsTimeout"):  # fmt: skip
        (tmp_path / f"{name.lower()}.yaml").write_text(
            f'model_id: {name.lower()}\ntype: python_class\nimport_path: "matrix_models:{name}"\n'
        )
    files = {
        "malformed.yaml": "model_id: [oops\n",
        "list.yaml": "- a\n- b\n",
        "kwargs_list.yaml": 'model_id: m\ntype: python_class\nimport_path: "matrix_models:Good"\ninit_kwargs: [1, 2]\n',
        "tagged.yaml": "model_id: !!python/object/apply:os.system ['true']\ntype: python_class\n",
        "misspelled.yaml": "model_id: m\ntype: torch_module\nweigths: w.pt\n",
        "nomodule.yaml": 'model_id: m\ntype: python_class\nimport_path: "nowhere_at_all:X"\n',
        "noclass.yaml": 'model_id: m\ntype: python_class\nimport_path: "matrix_models:Godo"\n',
        "unknown_type.yaml": "model_id: m\ntype: python_clas\n",
        "broken_suite.yaml": "suite_id: S\nbenchmarks: [a,\n",
        "typo_suite.yaml": "suite_id: S\nbenchmarkz: [BM-TOY-CLASS]\n",
        "unknown_bm_suite.yaml": "suite_id: S\nbenchmarks: [BM-NOPE]\n",
        "bad_benchmark.yaml": "benchmark_id: BM-X\ntask: classification\ndataset: D\nmetrics: 3\n",
        "eval_broken.yaml": "eval_id: [x\n",
        "eval_list.yaml": "- 1\n- 2\n",
        "eval_deep.yaml": "eval_id: x\na: " + "[" * 300 + "]" * 300 + "\n",
        "eval_huge.yaml": "eval_id: x\nnotes: '" + "x" * 6_000_000 + "'\n",
        "eval_null_key.yaml": "eval_id: x\n~: 1\n",
        "eval_hex_int.yaml": "eval_id: x\nhuge: 0x" + "f" * 5000 + "\n",
        "eval_tab.yaml": "eval_id: x\nstatus:\tCompleted\n",
        "eval_dense.yaml": "eval_id: x\na: [" + ",".join(["[1]"] * 600_000) + "]\n",
        "a_file.txt": "not a folder\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "eval_fifo.yaml")
    for name, where, value in (
        ("eval_confidence.yaml", "confidence", 10**400),
        ("eval_samples_per_s.yaml", "samples_per_s", 5e-324),
    ):
        doc = synthetic_eval("m", 0.7)
        record = doc["benchmarks"][0]
        if where == "confidence":
            record["interval_method"] = {"method": "bootstrap", "confidence": value}
        else:
            record["resources"]["samples_per_s"] = value
        write_synthetic(tmp_path / name, with_digest(doc))  # re-signed: the digest verifies
    (tmp_path / "a_folder").mkdir()
    rng = np.random.default_rng(0)
    six = rng.standard_normal((6, 4))
    meta = "subject_id,age,site\n" + "".join(f"s{i},{30 + i},{'AB'[i % 2]}\n" for i in range(6))
    _arrays(tmp_path / "data_1d", rng.standard_normal(6), np.zeros(6, int))
    _arrays(tmp_path / "data_float_y", six, np.array([0.5, 1, 0, 1, 0, 1]))
    _arrays(tmp_path / "data_object", np.array([{"a": 1}] * 6, dtype=object), np.zeros(6, int))
    with_nan = six.copy()
    with_nan[3, 1] = np.nan
    _arrays(tmp_path / "data_nan", with_nan, np.array([0, 1] * 3), meta)
    _arrays(tmp_path / "data_empty", np.zeros((0, 4)), np.zeros(0, int))
    _arrays(tmp_path / "data_short_y", six, np.array([0, 1]))
    _arrays(tmp_path / "data_bad_meta", six, np.array([0, 1] * 3), "site\nA\nB\n")
    _arrays(tmp_path / "data_one_class", six, np.zeros(6, int), meta)
    _arrays(tmp_path / "data_empty_file", six, np.array([0, 1] * 3), meta)
    (tmp_path / "data_empty_file" / "X.npy").write_bytes(b"")
    _arrays(tmp_path / "data_cut_short", six, np.array([0, 1] * 3), meta)
    whole = (tmp_path / "data_cut_short" / "X.npy").read_bytes()
    (tmp_path / "data_cut_short" / "X.npy").write_bytes(whole[: len(whole) - 40])
    for name, labels, n_classes in (
        ("data_one_declared_class", [0, 1] * 3, 1),
        ("data_label_7", [0, 1, 0, 1, 0, 7], 2),
        ("data_billion_classes", [0, 1] * 3, 10**9),
    ):
        _arrays(tmp_path / name, six, np.array(labels), meta)
        (tmp_path / name / "info.json").write_text(json.dumps({"n_classes": n_classes}))
    keep = CliRunner().invoke(cli, _run(out="keep"), obj={})
    assert keep.exit_code == 0, keep.output
    _tampered_copies(tmp_path)
    return tmp_path


def _tampered_copies(root: Path) -> None:
    """Edited copies of the `keep` run (issue #21 F3); `keep` itself stays as it is."""
    from fmbench.results.eval_file import dump_yaml, with_digest
    from fmbench.results.predictions import load_predictions, save_predictions

    (root / "allowed_signers").write_text(
        'alice@example.org namespaces="fmbench-eval" ssh-ed25519 '
        "AAAAC3NzaC1lZDI1NTE5AAAAIAtXaIX82FoucJ+wOxGHUz1y8Ixf23i/5LM1O1EsjOkS\n"
    )
    doc = yaml.safe_load((root / "keep" / "eval.yaml").read_text())
    for name in ("tampered", "swapped"):
        shutil.copytree(root / "keep", root / name)
    edited = copy.deepcopy(doc)
    record = edited["benchmarks"][0]
    record["metrics"]["AUROC"] = record["primary_metric"]["value"] = 0.99
    record["intervals"]["AUROC"] = [0.98, 1.0]
    body = {k: v for k, v in edited.items() if k != "digest"}
    (root / "tampered" / "eval.yaml").write_text(dump_yaml(with_digest(body)))
    stale = copy.deepcopy(edited)
    stale["digest"]["sha256"] = with_digest(body)["digest"]["sha256"]  # results_sha256 kept
    (root / "stale_results.yaml").write_text(dump_yaml(stale))
    stored = load_predictions(root / "swapped" / "predictions.npz")
    bid, one = next(iter(stored.items()))
    one.predictions.proba = one.predictions.proba[::-1].copy()
    save_predictions(root / "swapped" / "predictions.npz", {bid: (one.predictions, one.units)})


def _digest(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input(workspace: Path, toy_root: Path, name: str) -> None:
    case = CASES[name]
    protected = [workspace / "keep/eval.yaml", workspace / "keep/report.md",
                 toy_root / "neuro/fmri_classification/X.npy"]  # fmt: skip
    before = _digest(protected)
    result = CliRunner().invoke(cli, list(case.args), obj={})
    output = result.output
    if case.exit_code is None:
        assert result.exit_code != 0, output
    else:
        assert result.exit_code == case.exit_code, output
    assert re.search(case.message, output), f"{name}: {output!r}"
    assert "Traceback" not in output
    errors = [line for line in output.splitlines() if line.startswith("Error:")]
    assert len(errors) <= 1
    assert all(len(line) < 600 for line in errors)
    assert _digest(protected) == before, "an earlier result or the data changed"


def category_counts() -> Counter[str]:
    return Counter(case.category for case in CASES.values())


def test_reliability_page_lists_the_matrix() -> None:
    page = (ROOT / "docs" / "reliability.md").read_text(encoding="utf-8")
    for category, count in category_counts().items():
        assert f"| {category} | {count} |" in page, (
            f"docs/reliability.md: {category} should be {count}"
        )
    assert f"| **total** | **{len(CASES)}** |" in page
