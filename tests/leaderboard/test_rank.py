"""Ranking rules: direction, latest run per model, tie-breaks, rank ranges, and rows that
cannot be tested against the row above."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fmbench.leaderboard import build
from fmbench.leaderboard.rank import robustness_summary, worst_group
from fmbench.leaderboard.synthetic import synthetic_eval, write_synthetic
from fmbench.plugin_system.registry import build_registry


@pytest.fixture(scope="module")
def registry():
    return build_registry(external=False)


def _write(folder: Path, name: str, doc: dict) -> None:
    write_synthetic(folder / f"{name}.yaml", doc)


def test_higher_is_better_order_and_latest_run_per_model(tmp_path, registry):
    later, earlier = "2025-01-01T12:00:00+00:00", "2025-01-01T09:00:00+00:00"
    _write(tmp_path, "a1", synthetic_eval("model-a", 0.70, run=1, started_at=later))
    _write(tmp_path, "a2", synthetic_eval("Model-A", 0.80, run=2, started_at=earlier))  # other case
    _write(tmp_path, "a3", synthetic_eval("model-a", 0.78, run=3, date="2024-12-31"))
    _write(tmp_path, "b", synthetic_eval("model-b", 0.75))
    board = build([str(tmp_path)], registry)
    (only,) = board.boards
    # the latest run of model-a (0.70), not its best (0.80): it now ranks below model-b
    assert [r.entry.model_id for r in only.rows] == ["model-b", "model-a"]
    assert [r.entry.value for r in only.rows] == [0.75, 0.70]
    assert [e.value for e in only.rows[1].other_runs] == [0.80, 0.78]  # latest first
    assert only.rows[1].n_runs == 3 and only.rows[1].value_range == (0.70, 0.80)
    assert only.rows[0].n_runs == 1 and only.rows[0].value_range is None
    from fmbench.leaderboard.render_md import render_markdown

    assert "| model-a | **0.7000** | 3 (latest shown; 0.7000–0.8000) |" in render_markdown(board)
    assert only.primary == "AUROC"
    assert only.direction == "higher"
    assert only.domain == "Neurology"
    assert only.modality == "fmri"
    assert only.known


def test_the_latest_run_is_found_across_time_zones(tmp_path, registry):
    # 12:00 at +02:00 is 10:00 UTC: earlier than 11:00 UTC, although it sorts later as text
    _write(tmp_path, "a1", synthetic_eval("m", 0.7, run=1, started_at="2025-01-01T12:00:00+02:00"))
    _write(tmp_path, "a2", synthetic_eval("m", 0.6, run=2, started_at="2025-01-01T11:00:00+00:00"))
    (row,) = build([str(tmp_path)], registry).boards[0].rows
    assert row.entry.value == 0.6
    assert row.entry.started_at == "2025-01-01T11:00:00+00:00"


def test_lower_is_better_for_an_unknown_benchmark_uses_the_declared_direction(tmp_path, registry):
    for model, value in (("m1", 3.0), ("m2", 1.0), ("m3", 2.0)):
        doc = synthetic_eval(
            model, value, benchmark_id="BM-ELSEWHERE", primary="MSE", direction="lower"
        )
        _write(tmp_path, model, doc)
    board = build([str(tmp_path)], registry)
    (only,) = board.boards
    assert not only.known
    assert only.domain == "other"
    assert only.modality == "other"
    assert [r.entry.model_id for r in only.rows] == ["m2", "m3", "m1"]


def test_ties_broken_by_interval_width_then_model_id(tmp_path, registry):
    _write(tmp_path, "z", synthetic_eval("zeta", 0.8, interval=(0.7, 0.9)))
    _write(tmp_path, "y", synthetic_eval("ypsilon", 0.8, interval=(0.75, 0.85)))
    _write(tmp_path, "b", synthetic_eval("beta", 0.8))  # no interval: infinitely wide
    _write(tmp_path, "a", synthetic_eval("alpha", 0.8))
    board = build([str(tmp_path)], registry)
    assert [r.entry.model_id for r in board.boards[0].rows] == ["ypsilon", "zeta", "alpha", "beta"]


def test_rank_ranges_follow_intervals_but_overlap_is_no_tie(tmp_path, registry):
    _write(tmp_path, "a", synthetic_eval("a", 0.90, interval=(0.85, 0.95)))
    _write(tmp_path, "b", synthetic_eval("b", 0.86, interval=(0.80, 0.90)))  # overlaps a
    _write(tmp_path, "c", synthetic_eval("c", 0.60, interval=(0.55, 0.65)))  # apart
    rows = build([str(tmp_path)], registry).boards[0].rows
    assert [r.rank_range for r in rows] == [(1, 2), (1, 2), (3, 3)]
    # submitted eval files carry no predictions: no test, whether the intervals overlap or not
    assert rows[0].versus_above is None
    for row in rows[1:]:
        assert row.versus_above.text() == "not tested: the eval file names no predictions"


def test_undefined_primary_is_listed_not_ranked(tmp_path, registry):
    doc = synthetic_eval("m-null", 0.5)
    doc["benchmarks"][0]["metrics"]["AUROC"] = None
    doc["benchmarks"][0]["primary_metric"]["value"] = None
    doc["benchmarks"][0]["metrics_undefined"] = {"AUROC": "only one class present"}
    doc["metrics"]["AUROC"] = None
    from fmbench.results.eval_file import with_digest

    _write(tmp_path, "n", with_digest(doc))
    _write(tmp_path, "ok", synthetic_eval("m-ok", 0.6))
    board = build([str(tmp_path)], registry).boards[0]
    assert [r.entry.model_id for r in board.rows] == ["m-ok"]
    assert "only one class present" in board.unranked[0].unranked


def test_baselines_are_marked(tmp_path, registry):
    _write(tmp_path, "b", synthetic_eval("flagged", 0.6, baseline=True))
    _write(tmp_path, "c", synthetic_eval("plain", 0.7))
    rows = build([str(tmp_path)], registry).boards[0].rows
    assert {r.entry.model_id: r.entry.baseline for r in rows} == {
        "flagged": "baseline",
        "plain": None,
    }


def test_worst_group_skips_suppressed_and_undefined():
    record = {
        "stratified": {
            "site": {
                "A": {"AUROC": 0.7, "N": 20},
                "B": {"AUROC": 0.4, "N": 3, "suppressed": True},
                "C": {"AUROC": None, "N": 9},
            },
            "sex": {"F": {"AUROC": 0.6, "N": 10}},
        }
    }
    assert worst_group(record, "AUROC", "higher") == {
        "column": "sex",
        "group": "F",
        "value": 0.6,
        "N": 10,
    }
    assert worst_group(record, "AUROC", "lower")["group"] == "A"


def test_robustness_summary_reads_the_benchmarks_block():
    def probe(relative):
        return {"status": "Completed", "performance": {"rAUC": 0.99, "relative_rAUC": relative}}

    doc = {
        "robustness": {
            "BM-A": {
                "robustness_score": 0.8,
                "probes": {"noise": probe(0.9), "dropout": probe(0.7)},
            },
            "BM-B": {"robustness_score": 0.1, "probes": {"noise": probe(0.1)}},
        }
    }
    assert robustness_summary(doc, "BM-A") == {
        "score": 0.8,
        "probes": {"dropout": 0.7, "noise": 0.9},
    }
    assert robustness_summary(doc, "BM-B")["score"] == 0.1
    assert robustness_summary(doc, "BM-C") == {"score": None, "probes": {}}
    single = {"robustness": {"robustness_testing": {"robustness_score": 0.0, "probes": {}}}}
    assert robustness_summary(single, "robustness_testing")["score"] == 0.0
    assert robustness_summary({"robustness": "junk"}) == {"score": None, "probes": {}}


def test_json_keeps_other_runs_and_rules(tmp_path, registry):
    from fmbench.leaderboard.export import render_json

    _write(tmp_path, "a1", synthetic_eval("model-a", 0.70, run=1, date="2025-01-02"))
    _write(tmp_path, "a2", synthetic_eval("model-a", 0.80, run=2, date="2025-01-01"))
    data = json.loads(render_json(build([str(tmp_path)], registry)))
    row = data["boards"][0]["rows"][0]
    assert row["value"] == 0.7
    assert [r["value"] for r in row["other_runs"]] == [0.8]
    assert row["value_range"] == [0.7, 0.8]
    assert row["n_runs"] == 2 and row["chosen"] == "latest run"
    assert any("latest run" in rule and "not its best" in rule for rule in data["rules"])
    assert any("overlapping intervals are never read as a tie" in rule for rule in data["rules"])


def test_a_run_on_another_dataset_is_listed_not_ranked(tmp_path, registry):
    _write(tmp_path, "own", synthetic_eval("m-own", 0.6))
    _write(tmp_path, "other", synthetic_eval("m-other", 0.9, dataset_id="my_folder"))
    board = build([str(tmp_path)], registry).boards[0]
    assert [r.entry.model_id for r in board.rows] == ["m-own"]
    assert "run on dataset my_folder" in board.unranked[0].unranked


@pytest.mark.parametrize("direction", ["higher", "lower"])
def test_rank_ranges_match_their_definition_on_random_intervals(direction):
    import random
    from types import SimpleNamespace

    from fmbench.leaderboard.rank import rank_rows, sort_key

    rng = random.Random(3)
    entries = []
    for k in range(300):
        value = round(rng.uniform(0, 1), 2)  # rounded: many equal bounds
        half = round(rng.choice([0.0, 0.01, 0.05, 0.2]), 2)
        interval = None if half == 0 else (value - half, value + half)
        span = interval or (value, value)
        key = sort_key(value, interval, f"m{k}", f"{k:064x}", direction)
        entries.append(SimpleNamespace(key=key, span=lambda s=span: s))
    rows = rank_rows(entries, direction)  # type: ignore[arg-type]

    def entirely_better(a, b):
        return a[0] > b[1] if direction == "higher" else a[1] < b[0]

    spans = [row.entry.span() for row in rows]
    for i, row in enumerate(rows):
        better = sum(entirely_better(spans[j], spans[i]) for j in range(len(rows)) if j != i)
        worse = sum(entirely_better(spans[i], spans[j]) for j in range(len(rows)) if j != i)
        assert row.rank_range == (1 + better, len(rows) - worse)
        assert row.rank_range[0] <= row.rank <= row.rank_range[1]


def test_summaries_give_the_same_board_as_whole_documents(tmp_path, registry):
    from fmbench.leaderboard.collect import collect_evals
    from fmbench.leaderboard.export import render_json
    from fmbench.leaderboard.rank import build_leaderboard, entries_summary

    for k in range(6):
        _write(tmp_path, f"r{k}", synthetic_eval(f"model-{k % 4}", 0.6 + k / 50, run=k))
    whole = collect_evals([str(tmp_path)], registry)
    slim = collect_evals([str(tmp_path)], registry, summarize=entries_summary(registry))
    assert all(f.doc is not None for f in whole.accepted)
    assert all(f.doc is None and f.summary for f in slim.accepted)
    assert render_json(build_leaderboard(whole, registry)) == render_json(
        build_leaderboard(slim, registry)
    )


def _robustness_block(score, grids, *, gate_p=0.005, axis="rank", reason=None):
    """A schema-valid robustness block over ``grids`` ({probe: levels})."""

    def probe(levels):
        values = [0.8] * len(levels)
        return {
            "status": "Completed",
            "levels": list(levels),
            "performance": {"metric": "AUROC", "values": values, "rAUC": 0.8,
                            "relative_rAUC": score},
            "stability": {"agreement": {"values": [1.0] * len(levels), "rAUC": 1.0}},
        }  # fmt: skip

    block = {
        "status": "Completed",
        "primary_metric": {"name": "AUROC", "direction": "higher", "clean": 0.8, "chance": 0.5},
        "robustness_score": score,
        "probes": {name: probe(levels) for name, levels in grids.items()},
    }
    if axis is not None:
        block["severity_axis"] = axis
        block["signal_test"] = {"passed": gate_p < 0.05, "p_value": gate_p, "alpha": 0.05}
    if reason is not None:
        block["robustness_score_reason"] = reason
    return {"BM-TOY-CLASS": block}


def test_robustness_scores_are_compared_only_over_the_same_probes_and_levels(tmp_path, registry):
    from fmbench.leaderboard.export import render_csv, render_json
    from fmbench.leaderboard.render_html import render_html
    from fmbench.leaderboard.render_md import render_markdown

    noise = {"noise": [0, 0.1, 1]}
    both = {"noise": [0, 0.1, 1], "dropout": [0, 0.5]}
    _write(tmp_path, "a", synthetic_eval("m-a", 0.9, robustness=_robustness_block(0.6, both)))
    _write(tmp_path, "b", synthetic_eval("m-b", 0.8, robustness=_robustness_block(0.9, noise)))
    _write(tmp_path, "c", synthetic_eval("m-c", 0.7, robustness=_robustness_block(0.7, both)))
    other_grid = {"noise": [0, 0.5, 1], "dropout": [0, 0.5]}
    _write(
        tmp_path, "d", synthetic_eval("m-d", 0.6, robustness=_robustness_block(0.95, other_grid))
    )
    _write(tmp_path, "e", synthetic_eval("m-e", 0.5))  # no robustness block
    leaderboard = build([str(tmp_path)], registry)
    board = leaderboard.boards[0]
    sets = board.robustness_sets
    assert sets == {
        "dropout (0, 0.5); noise (0, 0.1, 1); rank axis": "A",  # two rows use it
        "noise (0, 0.1, 1); rank axis": "B",
        "dropout (0, 0.5); noise (0, 0.5, 1); rank axis": "C",  # same probes, other levels
    }
    page = render_markdown(leaderboard)
    assert "| A: score 0.6000 (p 0.005); dropout 0.6000, noise 0.6000 |" in page
    assert "| B: score 0.9000 (p 0.005); noise 0.9000 |" in page
    assert "**C** = dropout (0, 0.5); noise (0, 0.5, 1); rank axis" in page
    assert "comparable only with scores of the same set" in page
    html = render_html(leaderboard)
    # the robustness column sorts set A only: B's and C's higher scores do not outrank A's
    assert 'data-v="0.6">A: score 0.6000' in html
    assert 'data-v="">B: score 0.9000' in html
    assert 'data-v="">C: score 0.9500' in html
    data = json.loads(render_json(leaderboard))["boards"][0]
    assert data["robustness_sets"]["B"] == "noise (0, 0.1, 1); rank axis"
    rows = {r["model_id"]: r for r in data["rows"]}
    assert rows["m-c"]["robustness_set"] == "dropout (0, 0.5); noise (0, 0.1, 1); rank axis"
    assert rows["m-e"]["robustness_set"] is None
    csv_lines = render_csv(leaderboard).splitlines()
    header = csv_lines[0].split(",")
    assert "robustness_score" in header and "robustness_set" in header
    line_b = next(line for line in csv_lines if ",m-b," in line)
    assert "0.9,noise (0; 0.1; 1); rank axis" not in line_b  # quoted as one cell
    assert '0.9,"noise (0, 0.1, 1); rank axis"' in line_b


def test_null_robustness_scores_say_why_and_old_gate_zeros_are_null(tmp_path, registry):
    grids = {"noise": [0, 0.1, 1]}
    failed = _robustness_block(None, grids, reason="probe dropout failed")
    failed["BM-TOY-CLASS"]["failed_probes"] = ["dropout"]
    failed["BM-TOY-CLASS"]["status"] = "Partial"
    failed["BM-TOY-CLASS"]["probes"]["dropout"] = {
        "status": "Failed", "levels": [0, 0.5], "error": "model raised",
    }  # fmt: skip
    no_signal = _robustness_block(None, grids, gate_p=0.31, reason="no evidence ... p = 0.310")
    for probe in no_signal["BM-TOY-CLASS"]["probes"].values():
        probe["performance"]["relative_rAUC"] = None
    # fmbench <= 0.1: a model failing the gate scored 0 (with the reason) on a linear axis
    legacy = _robustness_block(0.0, grids, axis=None, reason="does not beat a permutation null")
    for probe in legacy["BM-TOY-CLASS"]["probes"].values():
        probe["performance"]["relative_note"] = "does not beat a permutation null"
    _write(tmp_path, "f", synthetic_eval("m-f", 0.9, robustness=failed))
    _write(tmp_path, "n", synthetic_eval("m-n", 0.8, robustness=no_signal))
    _write(tmp_path, "l", synthetic_eval("m-l", 0.7, robustness=legacy))
    leaderboard = build([str(tmp_path)], registry)
    rows = {r.entry.model_id: r.entry for r in leaderboard.boards[0].rows}
    assert rows["m-f"].robustness["score"] is None
    assert rows["m-f"].robustness["failed_probes"] == ["dropout"]
    assert rows["m-l"].robustness["score"] is None
    assert rows["m-l"].robustness["probes"] == {}
    assert rows["m-l"].robustness_set == "noise (0, 0.1, 1); linear axis (fmbench ≤ 0.1)"
    from fmbench.leaderboard.render_md import render_markdown

    page = render_markdown(leaderboard)
    assert "| A: score null (dropout failed) |" in page
    assert "| B: score null (no evidence of signal, p 0.310) |" in page
    assert "| C: score null (why: in its eval file) |" in page
