"""Byte-identical output whatever the order in which files were written or folders given."""

from __future__ import annotations

import random
from pathlib import Path

from click.testing import CliRunner

from fmbench.cli import cli
from fmbench.leaderboard.synthetic import synthetic_eval, write_synthetic


def _docs() -> list[tuple[str, dict]]:
    docs = []
    for i in range(12):
        value = round(0.5 + (i % 5) * 0.05, 4)  # repeated values: ties to break
        interval = (value - 0.03, value + 0.03) if i % 3 else None
        docs.append(
            (f"run{i:02d}", synthetic_eval(f"model-{i % 7}", value, interval=interval, run=i))
        )
    docs.append(
        ("lower", synthetic_eval("m", 2.0, benchmark_id="BM-X", primary="MSE", direction="lower"))
    )
    return docs


def _build(root: Path, order: list[int], folders: list[str]) -> dict[str, bytes]:
    docs = _docs()
    for i in order:  # write in this order: the directory listing order differs
        name, doc = docs[i]
        sub = "evals" if i % 2 else "results/run"
        write_synthetic(root / sub / f"{name}.yaml", doc)
    runner = CliRunner()
    import os

    cwd = os.getcwd()
    os.chdir(root)
    try:
        result = runner.invoke(
            cli, ["build-leaderboard", "--results", *folders, "--out", "site"], obj={}
        )
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0, result.output
    site = root / "site"
    return {
        p.relative_to(site).as_posix(): p.read_bytes()
        for p in sorted(site.rglob("*"))
        if p.is_file()
    }


def test_two_builds_with_shuffled_inputs_are_byte_identical(tmp_path):
    n = len(_docs())
    order_a = list(range(n))
    order_b = order_a[:]
    random.Random(7).shuffle(order_b)
    first = _build(tmp_path / "a", order_a, ["evals", "results"])
    second = _build(tmp_path / "b", order_b, ["results", "evals"])
    assert first.keys() == second.keys()
    assert len(first) > 5  # the pages and the eval files they link to
    for name in first:
        assert first[name] == second[name], name


def test_worker_processes_give_the_same_leaderboard_and_show_progress(tmp_path, monkeypatch):
    import fmbench.leaderboard.collect as collect
    from fmbench.leaderboard import build
    from fmbench.leaderboard.export import render_json
    from fmbench.plugin_system.registry import build_registry

    for name, doc in _docs():
        write_synthetic(tmp_path / "evals" / f"{name}.yaml", doc)
    write_synthetic(tmp_path / "evals" / "copy" / "run00.yaml", dict(_docs()[0][1]))  # duplicate
    (tmp_path / "evals" / "broken.yaml").write_text("eval_id: [unclosed\n")
    monkeypatch.setattr(collect, "PARALLEL_THRESHOLD", 2)  # a pool even for a few files
    registry = build_registry(external=False)
    folders = [str(tmp_path / "evals")]
    one = build(folders, registry, jobs=1)
    two = build(folders, registry, jobs=2)
    assert len(one.rejected) == 2
    assert render_json(one) == render_json(two)

    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["build-leaderboard", "--out", "site"], obj={})
    assert result.exit_code == 0, result.output
    assert "reading eval files: 15/15" in result.output  # not a terminal: a plain line
