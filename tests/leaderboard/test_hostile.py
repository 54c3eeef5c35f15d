"""Hostile eval files are rejected or escaped; nothing from a file becomes markup or a path."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fmbench.leaderboard import build, write_site
from fmbench.leaderboard.synthetic import synthetic_eval, write_synthetic
from fmbench.plugin_system.registry import build_registry
from fmbench.reporting.escape import md
from fmbench.results.eval_file import dump_yaml, with_digest

SCRIPT = "<script>window.__pwned=1</script>"


@pytest.fixture(scope="module")
def registry():
    return build_registry(external=False)


def _site(tmp_path: Path, registry) -> tuple[dict[str, str], object]:
    board = build([str(tmp_path / "evals")], registry)
    write_site(board, tmp_path / "site")
    texts = {p.name: p.read_text() for p in (tmp_path / "site").iterdir() if p.is_file()}
    return texts, board


def test_script_in_model_id_is_rejected_and_escaped_in_the_list(tmp_path, registry):
    doc = synthetic_eval("ok", 0.7, overrides={"model_ids": {"candidate": SCRIPT}})
    write_synthetic(tmp_path / "evals" / "x.yaml", doc)
    texts, board = _site(tmp_path, registry)
    assert board.rejected[0].kind == "rejected"
    assert "model_ids.candidate" in board.rejected[0].reasons[0]
    for name in ("index.html", "index.md", "rejected.md"):
        assert "<script>window" not in texts[name]
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in texts["index.html"]


def test_free_text_fields_of_an_accepted_file_are_escaped(tmp_path, registry):
    stratified = {f"site{SCRIPT}": {"A|<b>`x`</b>": {"AUROC": 0.4, "N": 10}}}
    other = synthetic_eval("m-other", 0.9, dataset_id=f"[click](javascript:alert(1)) {SCRIPT}")
    write_synthetic(tmp_path / "evals" / "other.yaml", other)  # listed (another dataset)
    doc = synthetic_eval(
        "m-ok",
        0.7,
        stratified=stratified,
        overrides={"provenance": {"fmbench_version": "<img src=x onerror=alert(1)>", "seed": 1}},
    )
    doc["model"]["notes"] = SCRIPT
    write_synthetic(tmp_path / "evals" / "x.yaml", with_digest(doc))
    texts, board = _site(tmp_path, registry)
    assert not board.rejected
    assert board.boards[0].rows
    html_page, md_page = texts["index.html"], texts["index.md"]
    assert "<script>window" not in html_page
    assert "<img" not in html_page
    assert "&lt;img src=x onerror=alert(1)&gt;" in html_page
    assert "<script>window" not in md_page
    assert "<img" not in md_page
    assert "](javascript" not in md_page
    # the worst group name is shown, escaped (pipes cannot break the table)
    assert "A\\|&lt;b&gt;&#96;x&#96;&lt;/b&gt;" in md_page
    assert json.loads(texts["leaderboard.json"])["boards"][0]["rows"][0]["worst_group"][
        "group"
    ].startswith("A|<b>")


def test_path_traversal_ids_are_rejected_and_never_used_as_paths(tmp_path, registry):
    for i, bad in enumerate(("../../etc/passwd", "..", "a/../../b", "/abs")):
        doc = synthetic_eval("m", 0.7, overrides={"eval_id": bad})
        write_synthetic(tmp_path / "evals" / f"t{i}.yaml", doc)
    _texts, board = _site(tmp_path, registry)
    assert len(board.rejected) == 4
    assert not board.boards
    assert sorted(p.name for p in (tmp_path / "site").iterdir()) == [
        "evals",
        "index.html",
        "index.md",
        "leaderboard.csv",
        "leaderboard.json",
        "rejected.md",
    ]
    assert list((tmp_path / "site" / "evals").iterdir()) == []


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (float("nan"), "auroc is nan"),
        (float("inf"), "auroc is inf"),
        (10**400, "auroc is inf"),
        (1e300, "better than possible"),
        (-5.0, "worse than possible"),
    ],
)
def test_nan_inf_and_huge_numbers_are_rejected_even_when_signed(tmp_path, registry, value, reason):
    doc = synthetic_eval("m", 0.7)
    doc["benchmarks"][0]["metrics"]["AUROC"] = value  # an attacker can re-sign the digest
    doc["benchmarks"][0]["primary_metric"]["value"] = value
    write_synthetic(tmp_path / "evals" / "x.yaml", with_digest(doc))
    board = build([str(tmp_path / "evals")], registry)
    assert not board.boards
    assert reason in " ".join(board.rejected[0].reasons).lower()


def test_integer_too_long_to_read_is_rejected(tmp_path, registry):
    (tmp_path / "evals").mkdir()
    (tmp_path / "evals" / "x.yaml").write_text("eval_id: x\nvalue: " + "9" * 5000 + "\n")
    board = build([str(tmp_path / "evals")], registry)
    assert "unreadable value" in board.rejected[0].reasons[0]


def test_deep_nesting_and_alias_bombs_are_rejected(tmp_path, registry):
    folder = tmp_path / "evals"
    folder.mkdir()
    (folder / "deep_flow.yaml").write_text("eval_id: x\nmodel: " + "[" * 5000 + "]" * 5000)
    deep = "eval_id: x\nmodel:\n"
    for level in range(60):
        deep += "  " * (level + 1) + f"k{level}:\n"
    deep += "  " * 61 + "leaf: 1\n"
    (folder / "deep_block.yaml").write_text(deep)
    bomb = ["eval_id: x", "a0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    for i in range(1, 9):
        bomb.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    (folder / "bomb.yaml").write_text("\n".join(bomb) + "\n")
    board = build([str(folder)], registry)
    reasons = {r.display.rsplit("/", 1)[-1]: " ".join(r.reasons) for r in board.rejected}
    assert "more than" in reasons["bomb.yaml"]
    assert "deep" in reasons["deep_block.yaml"]
    assert "deep" in reasons["deep_flow.yaml"]


def test_oversized_file_and_non_mapping_are_rejected(tmp_path, registry):
    folder = tmp_path / "evals"
    folder.mkdir()
    (folder / "big.yaml").write_text("eval_id: x\nnotes: '" + "a" * 5_100_000 + "'\n")
    (folder / "list.yaml").write_text("- 1\n- 2\n")
    (folder / "python.yaml").write_text("eval_id: !!python/object/apply:os.system ['echo hi']\n")
    board = build([str(folder)], registry)
    reasons = {r.display.rsplit("/", 1)[-1]: " ".join(r.reasons) for r in board.rejected}
    assert "limit" in reasons["big.yaml"]
    assert "must be a mapping" in reasons["list.yaml"]
    assert "malformed YAML" in reasons["python.yaml"]


def test_symlinks_are_not_followed(tmp_path, registry):
    folder = tmp_path / "evals"
    folder.mkdir()
    outside = tmp_path / "secret.yaml"
    write_synthetic(outside, synthetic_eval("m", 0.7))
    (folder / "link.yaml").symlink_to(outside)
    board = build([str(folder)], registry)
    assert not board.boards
    assert board.rejected[0].kind == "skipped"


def test_markdown_escape_neutralises_markup():
    assert md("a|b") == "a\\|b"
    assert "<" not in md("<b>")
    assert "[" not in md("[x](y)")
    assert "`" not in md("`x`")
    assert "\n" not in md("line1\nline2")


# --- issue #21 F1, F2, F14 and "Also": one bad file is rejected with its reason, never stops
# the board, never hangs it, and never ends in an internal error -------------------------


def _with_good_file(folder: Path) -> None:
    write_synthetic(folder / "good.yaml", synthetic_eval("good-model", 0.8))


def _reasons(board) -> dict[str, str]:
    return {r.display.rsplit("/", 1)[-1]: " ".join(r.reasons) for r in board.rejected}


def test_non_string_keys_and_unwritable_integers_are_rejected(tmp_path, registry):
    """F1: a null key or a 5,000-digit hex integer ended in "internal error" (json.dumps)."""
    folder = tmp_path / "evals"
    _with_good_file(folder)
    signed = dump_yaml(with_digest(synthetic_eval("m", 0.7)))
    (folder / "null_key.yaml").write_text(signed + "~: 1\n")
    (folder / "hex.yaml").write_text(signed + "huge: 0x" + "f" * 5000 + "\n")
    board = build([str(folder)], registry)
    reasons = _reasons(board)
    assert "the key None is not a string" in reasons["null_key.yaml"]
    assert "more than 4,000 digits" in reasons["hex.yaml"]
    assert [row.entry.model_id for row in board.boards[0].rows] == ["good-model"]


@pytest.mark.parametrize(
    ("where", "value", "reason"),
    [
        ("confidence", 10**400, "interval_method.confidence"),
        ("confidence", math.inf, "interval_method.confidence"),
        ("samples_per_s", 5e-324, "too small to give a time per sample"),
        ("samples_per_s", -1.0, "not a finite, non-negative number"),
    ],
)
def test_a_re_signed_file_with_extreme_values_is_rejected_and_the_board_goes_on(
    tmp_path, registry, where, value, reason
):
    """F2: ``confidence: 1e400`` (OverflowError in the ranking) or ``samples_per_s: 5e-324``
    (an infinite ms/sample the JSON writer refused) stopped the whole build."""
    folder = tmp_path / "evals"
    _with_good_file(folder)
    doc = synthetic_eval("bad-model", 0.9)
    record = doc["benchmarks"][0]
    if where == "confidence":
        record["interval_method"] = {"method": "bootstrap", "confidence": value, "n_resamples": 9}
    else:
        record["resources"]["samples_per_s"] = value
    write_synthetic(folder / "bad.yaml", with_digest(doc))  # re-signed: the digest verifies
    board = build([str(folder)], registry)
    write_site(board, tmp_path / "site")
    assert reason in _reasons(board)["bad.yaml"]
    assert [row.entry.model_id for row in board.boards[0].rows] == ["good-model"]
    json.loads((tmp_path / "site" / "leaderboard.json").read_text())


def test_a_summary_that_fails_rejects_only_its_file(tmp_path):
    from fmbench.leaderboard.collect import collect_evals

    folder = tmp_path / "evals"
    _with_good_file(folder)
    write_synthetic(folder / "other.yaml", synthetic_eval("other", 0.7))

    def summarize(source, doc):
        if doc["model_ids"]["candidate"] == "other":
            raise OverflowError("int too large to convert to float")
        return ["ok"]

    collected = collect_evals([str(folder)], None, jobs=1, summarize=summarize)
    assert [f.display.rsplit("/", 1)[-1] for f in collected.accepted] == ["good.yaml"]
    assert "could not be summarized: OverflowError" in collected.rejected[0].reasons[0]
    infinite = collect_evals([str(folder)], None, jobs=1, summarize=lambda s, d: [math.inf])
    assert not infinite.accepted
    assert "infinite or not a number" in infinite.rejected[0].reasons[0]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_fifo_is_skipped_not_waited_on(tmp_path):
    """F14: a FIFO named x.yaml made ``validate`` and ``build-leaderboard`` hang for ever."""
    folder = tmp_path / "evals"
    _with_good_file(folder)
    os.mkfifo(folder / "x.yaml")
    fmbench = [sys.executable, "-m", "fmbench"]
    built = subprocess.run(
        [*fmbench, "build-leaderboard", "--results", str(folder), "--out", str(tmp_path / "s")],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    rejected = (tmp_path / "s" / "rejected.md").read_text()
    assert "x.yaml" in rejected and "not a regular file (FIFO)" in rejected
    checked = subprocess.run(
        [*fmbench, "validate", str(folder / "x.yaml")],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert checked.returncode == 1
    assert "is not a regular file (a FIFO, socket or device); not read" in checked.stdout
    assert "internal error" not in checked.stdout + checked.stderr


def test_a_dense_file_is_refused_before_it_is_parsed(tmp_path, registry):
    """Also: 2.4 MB of ``[[1],[1],...]`` took 25-30 s before the value limit refused it. The
    reason now names the count of lines and flow items, made before any parsing."""
    folder = tmp_path / "evals"
    _with_good_file(folder)
    (folder / "dense.yaml").write_text("eval_id: x\na: [" + ",".join(["[1]"] * 600_000) + "]\n")
    board = build([str(folder)], registry)
    assert "more than 100000 lines and flow items" in _reasons(board)["dense.yaml"]
    assert board.boards[0].rows
