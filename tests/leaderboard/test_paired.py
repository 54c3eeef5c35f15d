"""The leaderboard's tie rule is a paired test on the runs' kept predictions: "worse",
"no evidence of a difference", or "not tested" with the reason (no predictions, other splits,
predictions that do not match the eval file, a linked file); never interval overlap."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest

from fmbench.evaluation.protocols import Predictions
from fmbench.evaluation.scoring import score_one
from fmbench.leaderboard import build
from fmbench.leaderboard.export import render_csv, render_json
from fmbench.leaderboard.paired import DIFFERENT, NO_EVIDENCE, NOT_TESTED
from fmbench.leaderboard.render_html import render_html
from fmbench.leaderboard.render_md import render_markdown
from fmbench.leaderboard.synthetic import synthetic_eval, write_synthetic
from fmbench.plugin_system.registry import build_registry
from fmbench.plugin_system.specs import MetricSpec
from fmbench.results.eval_file import with_digest
from fmbench.results.predictions import save_predictions

N = 300


@pytest.fixture(scope="module")
def registry():
    return build_registry(external=False)


def predictions(score: np.ndarray, y: np.ndarray, folds: np.ndarray) -> Predictions:
    proba = np.column_stack([1 - score, score])
    return Predictions(indices=np.arange(len(y)), y_true=y, fold=folds, proba=proba,
                       labels=proba.argmax(axis=1))  # fmt: skip


def write_run(
    folder: Path, registry, model: str, pred: Predictions, *, keep=True, value=None
) -> Path:
    """A run folder as `fmbench run` leaves it: eval.yaml naming its predictions' hash and,
    if ``keep``, predictions.npz beside it."""
    folder.mkdir(parents=True)
    hashes = save_predictions(folder / "predictions.npz", {"BM-TOY-CLASS": (pred, None)})
    if not keep:
        (folder / "predictions.npz").unlink()
    if value is None:
        value = score_one(registry.get(MetricSpec, "AUROC"), pred)
    doc = synthetic_eval(model, value)
    doc["benchmarks"][0]["predictions_sha256"] = hashes["BM-TOY-CLASS"]
    write_synthetic(folder / "eval.yaml", with_digest(doc))
    return folder


@pytest.fixture(scope="module")
def board(tmp_path_factory, registry):
    root = tmp_path_factory.mktemp("paired")
    rng = np.random.default_rng(7)
    y = rng.integers(0, 2, N)
    folds = np.arange(N) % 5
    signal = (2 * y - 1).astype(float)

    def scores(strength: float, noise_seed: int) -> np.ndarray:
        noise = np.random.default_rng(noise_seed).normal(size=N)
        return 1 / (1 + np.exp(-(strength * signal + noise)))

    best = scores(2.0, 1)
    write_run(root / "a", registry, "model-a", predictions(best, y, folds))
    # almost the same predictions: no evidence of a difference from model-a
    write_run(root / "b", registry, "model-b", predictions(best * 0.999, y, folds))
    write_run(root / "c", registry, "model-c", predictions(scores(0.5, 3), y, folds))  # worse
    # between c and the next ones, on other folds: not tested against c
    write_run(
        root / "d", registry, "model-d", predictions(scores(0.45, 4), y, rng.permutation(folds))
    )
    write_run(root / "e", registry, "model-e", predictions(scores(0.3, 5), y, folds), keep=False)
    return build([str(root)], registry)


def test_each_row_is_tested_against_the_row_above(board) -> None:
    rows = board.boards[0].rows
    assert [r.entry.model_id for r in rows] == ["model-a", "model-b", "model-c", "model-d",
                                                "model-e"]  # fmt: skip
    versus = [r.versus_above for r in rows]
    assert versus[0] is None
    assert versus[1].verdict == NO_EVIDENCE and versus[1].p_holm > 0.05
    assert versus[2].verdict == DIFFERENT and versus[2].p_holm <= 0.05
    assert versus[2].difference < -0.2
    assert versus[2].p_holm == pytest.approx(min(1.0, 2 * versus[2].p_value), abs=1e-6)  # Holm
    assert versus[3].verdict == NOT_TESTED and versus[3].reason == "the runs used different splits"
    assert versus[4].text() == "not tested: no predictions.npz beside the eval file"


def test_pages_and_exports_show_the_test_and_the_runs(board) -> None:
    page = render_markdown(board)
    assert "| 3 | 3 | worse (Holm p = " in page
    assert "| no evidence of a difference (Holm p = " in page
    assert "not tested: the runs used different splits" in page
    assert re.search(r"\| model-c \| \*\*0\.\d{4}\*\* \| 1 \|", page)  # Runs: one each
    html = render_html(board)
    assert "worse (Holm p = " in html
    data = json.loads(render_json(board))
    rows = data["boards"][0]["rows"]
    assert rows[0]["versus_above"] is None
    assert rows[2]["versus_above"]["verdict"] == "worse"
    assert rows[2]["versus_above"]["test"].startswith("paired bootstrap of the primary metric")
    assert rows[3]["versus_above"]["test"] is None
    table = list(csv.DictReader(io.StringIO(render_csv(board))))
    assert table[2]["versus_above"].startswith("worse") and table[2]["n_runs"] == "1"


def test_predictions_that_do_not_match_or_are_links_are_not_used(tmp_path, registry) -> None:
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, N)
    folds = np.arange(N) % 5
    good = predictions(np.clip(y * 0.6 + rng.random(N) * 0.4, 0, 1), y, folds)
    write_run(tmp_path / "a", registry, "model-a", good)
    b = write_run(tmp_path / "b", registry, "model-b",
                  predictions(np.clip(y * 0.3 + rng.random(N) * 0.7, 0, 1), y, folds))  # fmt: skip
    # predictions that do not match the eval file beside them: the file is rejected
    # (fmbench.results.integrity), so they never reach the paired test
    save_predictions(b / "predictions.npz", {"BM-TOY-CLASS": (good, None)})  # swapped
    built = build([str(tmp_path)], registry)
    assert [r.entry.model_id for r in built.boards[0].rows] == ["model-a"]
    (reason,) = [r for rejected in built.rejected for r in rejected.reasons]
    assert "do not match predictions_sha256" in reason
    (b / "predictions.npz").unlink()
    (b / "predictions.npz").write_bytes(b"not a zip file")
    built = build([str(tmp_path)], registry)
    (reason,) = [r for rejected in built.rejected for r in rejected.reasons]
    assert "predictions.npz beside it cannot be read" in reason
    # a link is not followed: the row stays, untested
    (b / "predictions.npz").unlink()
    (b / "predictions.npz").symlink_to(tmp_path / "a" / "predictions.npz")
    row = build([str(tmp_path)], registry).boards[0].rows[1]
    assert row.versus_above.text() == "not tested: no predictions.npz beside the eval file"


def test_without_a_registry_nothing_is_tested(board, tmp_path) -> None:
    rows = board.boards[0].rows
    folder = rows[0].entry.source.path.parent.parent
    bare = build([str(folder)], registry=None).boards[0].rows
    assert bare[1].versus_above.text() == "not tested: metric AUROC is not installed"


def test_predictions_of_inconsistent_lengths_do_not_break_the_build(tmp_path, registry) -> None:
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, N)
    folds = np.arange(N) % 5
    write_run(tmp_path / "a", registry, "model-a", predictions(rng.random(N), y, folds))
    bad = predictions(rng.random(N), y, folds)
    bad.proba = bad.proba[:10]  # a hand-made file: 10 rows of probabilities for 300 samples
    write_run(tmp_path / "b", registry, "model-b", bad, value=0.1)
    rows = build([str(tmp_path)], registry).boards[0].rows
    assert [r.entry.model_id for r in rows] == ["model-a", "model-b"]
    assert rows[1].versus_above.text() == (
        "not tested: predictions.npz beside the eval file holds arrays of different lengths"
    )
