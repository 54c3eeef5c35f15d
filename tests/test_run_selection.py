"""Running what you need (#20.5): ``--limit`` smoke runs, ``--benchmarks``, several
``--suite``, the default ``--out``, ``list-benchmarks``' data facts, and "synthetic data" in
reports and leaderboards."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from fmbench.cli import cli
from fmbench.data.dataset import Dataset
from fmbench.data.facts import dataset_facts, npy_length, record_facts, source_label
from fmbench.errors import ConfigError
from fmbench.plugin_system.specs import DatasetSpec, Source, SuiteEntry, SuiteSpec
from fmbench.results.validation import check_eval
from fmbench.running.layout import default_out_dir, suite_out_dirs
from fmbench.running.limit import limit_dataset, select_samples
from fmbench.running.selection import check_selection, parse_benchmark_ids, select_benchmarks

# --- units --------------------------------------------------------------------------------


def _dataset(n: int = 100, positives: int = 10) -> Dataset:
    y = np.array([1] * positives + [0] * (n - positives))
    split = np.array(["train", "test"] * (n // 2), dtype=object)
    return Dataset(
        dataset_id="d",
        X=np.arange(n * 3, dtype=float).reshape(n, 3),
        y=y,
        metadata={"subject_id": np.arange(n) // 2},
        split=split,
    )


def test_select_samples_is_deterministic_stratified_and_keeps_every_stratum() -> None:
    data = _dataset()
    first, by = select_samples(data, 12, seed=7)
    again, _ = select_samples(data, 12, seed=7)
    other, _ = select_samples(data, 12, seed=8)
    assert by == ["split", "label"]
    assert first.tolist() == again.tolist()
    assert first.tolist() != other.tolist()
    assert len(first) == 12 and len(set(first.tolist())) == 12
    assert first.tolist() == sorted(first.tolist())
    # four strata (train/test x 0/1): each keeps at least one sample and roughly its share
    pairs = {(str(data.split[i]), int(data.y[i])) for i in first}
    assert pairs == {("train", 0), ("train", 1), ("test", 0), ("test", 1)}
    assert int(data.y[first].sum()) == 2  # 10 % of 12, one per split


def test_select_samples_uses_a_small_dataset_whole_and_refuses_zero() -> None:
    data = _dataset(10, 5)
    indices, by = select_samples(data, 50, seed=0)
    assert indices.tolist() == list(range(10)) and by == []
    with pytest.raises(ValueError, match="at least 1"):
        select_samples(data, 0, seed=0)


def test_limit_dataset_keeps_rows_labels_metadata_and_split_aligned() -> None:
    data = _dataset()
    small = limit_dataset(data, 20, seed=1)
    assert small.n_samples == 20
    assert small.info["limit"] == {"n_samples": 20, "of": 100, "stratified_by": ["split", "label"]}
    rows = (np.asarray(small.X)[:, 0] / 3).astype(int)  # row i of X starts with 3 * i
    assert np.array_equal(small.y, data.y[rows])
    assert np.array_equal(small.metadata["subject_id"], rows // 2)
    assert np.array_equal(small.split, data.split[rows])
    assert record_facts(small.info)["limit"]["of"] == 100


def test_benchmark_ids_are_parsed_and_checked_with_the_valid_ones_named() -> None:
    assert parse_benchmark_ids(None) is None
    assert parse_benchmark_ids(" , ") is None
    assert parse_benchmark_ids("BM-A,BM-B, BM-A") == ("BM-A", "BM-B")
    a = SuiteSpec(name="SUITE-A", summary="a", benchmarks=(SuiteEntry(benchmark="BM-A"),))
    b = SuiteSpec(
        name="SUITE-B",
        summary="b",
        benchmarks=(SuiteEntry(benchmark="BM-B"), SuiteEntry(benchmark="BM-C")),
    )
    check_selection([a, b], ["BM-C", "BM-A"])
    with pytest.raises(ConfigError) as error:
        check_selection([a, b], ["BM-D"])
    message = str(error.value)
    assert "\n" not in message
    assert "'BM-D'" in message and "SUITE-A has BM-A" in message and "BM-B, BM-C" in message
    kept = select_benchmarks(b, ["BM-C"])
    assert [e.benchmark for e in kept.benchmarks] == ["BM-C"] and kept.name == "SUITE-B"
    assert select_benchmarks(b, None) is b


def test_default_out_dirs_are_named_by_suite_model_and_time_and_never_reused(
    tmp_path: Path,
) -> None:
    now = dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=dt.timezone.utc)
    first = default_out_dir("SUITE-A", "my/model", now=now, root=tmp_path)
    assert first.name == "SUITE-A-my_model-20260304-050607"
    first.mkdir()
    assert default_out_dir("SUITE-A", "my/model", now=now, root=tmp_path).name.endswith("-2")
    assert suite_out_dirs(["S1", "S2"], "m", tmp_path / "out") == [
        tmp_path / "out" / "S1",
        tmp_path / "out" / "S2",
    ]
    assert suite_out_dirs(["S1"], "m", "given") == [Path("given")]


def test_dataset_facts_without_loading_the_data(tmp_path: Path) -> None:
    toy = DatasetSpec(
        name="DS-T", summary="t", load="m:f", toy_path="t", generate="m:g", license="CC0-1.0"
    )
    facts = dataset_facts(toy, toy_root=tmp_path)
    assert (facts.data_kind, facts.n_samples, facts.source) == ("synthetic", None, "toy")
    assert facts.status == "toy not generated"
    (tmp_path / "t").mkdir()
    np.save(tmp_path / "t" / "y.npy", np.zeros(37))
    assert npy_length(tmp_path / "t" / "y.npy") == 37
    assert dataset_facts(toy, toy_root=tmp_path).n_samples == 37
    wheel = DatasetSpec(
        name="DS-W",
        summary="w",
        load="m:f",
        data_kind="real",
        sources=[Source(wheel="scanpy==1.10.0", member="scanpy/x.h5ad", hash="sha256:" + "1" * 64)],
    )
    assert source_label(wheel) == "wheel:scanpy"


def test_validate_refuses_a_smoke_run_with_one_reason() -> None:
    from fmbench.leaderboard.synthetic import synthetic_eval

    doc = synthetic_eval("model-a", 0.8)
    assert not [f for f in check_eval(doc, None) if f.severity == "error"]
    doc["run_metadata"]["limit"] = 20
    findings = check_eval(doc, None)
    errors = [f.message for f in findings if f.severity == "error"]
    smoke = [m for m in errors if "smoke run" in m]
    assert len(smoke) == 1 and "--limit 20" in smoke[0] and "without --limit" in smoke[0]


def test_evaluate_takes_limit_and_benchmarks(toy_root: Path, core_registry) -> None:
    import fmbench

    result = fmbench.evaluate(
        "dummy_classifier",
        "SUITE-TOY-CLASS",
        data_root=toy_root,
        registry=core_registry,
        n_resamples=100,
        limit=30,
        benchmarks="BM-TOY-CLASS",
    )
    record = result.document.benchmarks["BM-TOY-CLASS"].extra
    assert result.document.run_metadata["limit"] == 30
    assert result.document.run_metadata["benchmark_selection"] == ["BM-TOY-CLASS"]
    assert record["data"]["limit"]["n_samples"] == 30
    assert record["data"]["kind"] == "synthetic"
    with pytest.raises(ConfigError, match="positive number"):
        fmbench.evaluate("dummy_classifier", "SUITE-TOY-CLASS", limit=0, registry=core_registry)


# --- CLI ----------------------------------------------------------------------------------


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("FMBENCH_NO_PLUGINS", "1")
    return CliRunner()


@pytest.fixture
def toy_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, toy_root: Path) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FMBENCH_TOY_DATA", str(toy_root))
    return tmp_path


def invoke(runner: CliRunner, *args: str):
    return runner.invoke(cli, list(args), obj={})


def test_run_limit_marks_the_results_and_validate_refuses_them(runner, toy_cwd: Path) -> None:
    result = invoke(
        runner, "run", "--suite", "SUITE-TOY-CLASS", "--model", "dummy_classifier",
        "--out", "smoke", "--limit", "24", "--n-resamples", "100", "--no-progress",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "smoke run: at most 24 samples" in result.output
    doc = yaml.safe_load((toy_cwd / "smoke" / "eval.yaml").read_text())
    assert doc["run_metadata"]["limit"] == 24
    data = doc["benchmarks"][0]["data"]
    assert data["limit"] == {"n_samples": 24, "of": 200, "stratified_by": ["label"]}
    assert data["kind"] == "synthetic" and data["n_test"] <= 24
    report = (toy_cwd / "smoke" / "report.md").read_text()
    assert "**Smoke run** (`--limit 24`)" in report
    assert "synthetic data" in report and "smoke run on 24 of its 200 samples" in report
    checked = invoke(runner, "validate", "smoke/eval.yaml")
    assert checked.exit_code == 1
    smoke = [line for line in checked.output.splitlines() if "smoke run" in line]
    assert len(smoke) == 1 and smoke[0].startswith("smoke/eval.yaml: error:")


def test_run_limit_must_be_positive(runner, toy_cwd: Path) -> None:
    result = invoke(
        runner, "run", "--suite", "SUITE-TOY-CLASS", "--model", "dummy_classifier",
        "--limit", "0",
    )  # fmt: skip
    assert result.exit_code == 2 and "--limit" in result.output


def test_run_unknown_benchmark_is_one_line_naming_the_valid_ones(runner, toy_cwd: Path) -> None:
    result = invoke(
        runner, "run", "--suite", "SUITE-TOY-CLASS", "--suite", "SUITE-TOY-PROBE",
        "--model", "dummy_classifier", "--benchmarks", "BM-TOY-CLAS",
    )  # fmt: skip
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert "'BM-TOY-CLAS'" in lines[0] and "did you mean 'BM-TOY-CLASS'" in lines[0]
    assert "SUITE-TOY-PROBE has BM-TOY-CLASS-PROBE" in lines[0]
    assert "Traceback" not in result.output
    assert not (toy_cwd / "results").exists()


def test_run_several_suites_with_a_selection_and_the_default_out(runner, toy_cwd: Path) -> None:
    result = invoke(
        runner, "run", "--suite", "SUITE-TOY-CLASS", "--suite", "SUITE-TOY-PROBE",
        "--model", "raw_features_baseline", "--benchmarks", "BM-TOY-CLASS-PROBE",
        "--limit", "40", "--n-resamples", "100", "--no-progress",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "SUITE-TOY-CLASS: none of --benchmarks is in this suite; skipped" in result.output
    # (a run's lock file, ".<folder>.fmbench-lock", stays beside its folder)
    folders = sorted(p.name for p in (toy_cwd / "results").iterdir() if p.is_dir())
    assert len(folders) == 1
    assert folders[0].startswith("SUITE-TOY-PROBE-raw_features_baseline-")
    assert f"wrote results/{folders[0]}/eval.yaml" in result.output
    doc = yaml.safe_load((toy_cwd / "results" / folders[0] / "eval.yaml").read_text())
    assert [b["benchmark_id"] for b in doc["benchmarks"]] == ["BM-TOY-CLASS-PROBE"]
    assert doc["run_metadata"]["benchmark_selection"] == ["BM-TOY-CLASS-PROBE"]


def test_run_several_suites_into_one_out_folder(runner, toy_cwd: Path) -> None:
    result = invoke(
        runner, "run", "--suite", "SUITE-TOY-CLASS", "--suite", "SUITE-TOY-PROBE",
        "--model", "raw_features_baseline", "--out", "both", "--limit", "40",
        "--n-resamples", "100", "--no-progress",
    )  # fmt: skip
    # raw_features_baseline embeds and does not classify: SUITE-TOY-CLASS fails, and says so
    assert "== SUITE-TOY-CLASS -> both/SUITE-TOY-CLASS" in result.output
    assert "== SUITE-TOY-PROBE -> both/SUITE-TOY-PROBE" in result.output
    for suite in ("SUITE-TOY-CLASS", "SUITE-TOY-PROBE"):
        doc = yaml.safe_load((toy_cwd / "both" / suite / "eval.yaml").read_text())
        assert doc["run_metadata"]["suite_id"] == suite
    assert result.exit_code == 1


def test_run_refuses_a_suite_given_twice_and_resume_without_out(runner, toy_cwd: Path) -> None:
    twice = invoke(
        runner, "run", "--suite", "SUITE-TOY-CLASS", "--suite", "SUITE-TOY-CLASS",
        "--model", "dummy_classifier",
    )  # fmt: skip
    assert twice.exit_code != 0 and "given twice" in twice.output
    resume = invoke(
        runner, "run", "--suite", "SUITE-TOY-CLASS", "--model", "dummy_classifier", "--resume"
    )
    assert resume.exit_code != 0 and "--resume" in resume.output and "--out" in resume.output


def test_list_benchmarks_shows_the_data_facts(runner, toy_cwd: Path) -> None:
    table = invoke(runner, "list-benchmarks")
    assert table.exit_code == 0, table.output
    header = table.output.splitlines()[0].split()
    for column in ("DATA", "SAMPLES", "LICENSE", "SOURCE", "STATUS"):
        assert column in header
    line = next(line for line in table.output.splitlines() if line.startswith("BM-TOY-CLASS "))
    assert "synthetic" in line and " 200 " in line and "CC0-1.0" in line and " toy " in line
    as_json = invoke(runner, "list-benchmarks", "--json")
    rows = {row["benchmark_id"]: row for row in json.loads(as_json.output)}
    data = rows["BM-TOY-CLASS"]["data"]
    assert data["data_kind"] == "synthetic" and data["n_samples"] == 200
    assert data["source"] == "toy" and data["status"] == "toy generated"


# --- leaderboard ----------------------------------------------------------------------------


def test_leaderboard_rows_say_synthetic_data(runner, toy_cwd: Path) -> None:
    for model in ("dummy_classifier", "raw_features_baseline"):
        suite = "SUITE-TOY-CLASS" if model == "dummy_classifier" else "SUITE-TOY-PROBE"
        ran = invoke(
            runner, "run", "--suite", suite, "--model", model, "--out", f"results/{model}",
            "--n-resamples", "100", "--no-progress",
        )  # fmt: skip
        assert ran.exit_code == 0, ran.output
    smoke = invoke(
        runner, "run", "--suite", "SUITE-TOY-CLASS", "--model", "dummy_classifier",
        "--out", "results/smoke", "--limit", "30", "--n-resamples", "100", "--no-progress",
    )  # fmt: skip
    assert smoke.exit_code == 0, smoke.output
    built = invoke(runner, "build-leaderboard", "--results", "results", "--out", "board")
    assert built.exit_code == 0, built.output
    page = (toy_cwd / "board" / "index.md").read_text()
    rows = [line for line in page.splitlines() if line.startswith("| 1 |")]
    assert len(rows) == 2 and all("| synthetic data |" in row for row in rows)
    board = json.loads((toy_cwd / "board" / "leaderboard.json").read_text())
    assert {r["data_kind"] for b in board["boards"] for r in b["rows"]} == {"synthetic"}
    rejected = " ".join(" ".join(r["reasons"]) for r in board["rejected"])
    assert "smoke run" in rejected and len(board["rejected"]) == 1


# --- end to end ---------------------------------------------------------------------------


def test_smoke_run_of_two_suites_end_to_end(tmp_path: Path, toy_root: Path) -> None:
    env = {**os.environ, "FMBENCH_NO_PLUGINS": "1", "FMBENCH_TOY_DATA": str(toy_root)}
    command = [
        sys.executable, "-m", "fmbench", "run", "--suite", "SUITE-TOY-CLASS",
        "--suite", "SUITE-TOY-ROBUSTNESS", "--model", "dummy_classifier", "--limit", "30",
        "--n-resamples", "100", "--no-progress",
    ]  # fmt: skip
    ran = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert ran.returncode == 0, ran.stderr
    wrote = [line.split()[1] for line in ran.stdout.splitlines() if line.startswith("wrote ")]
    assert len(wrote) == 2
    assert all(w.startswith("results/SUITE-TOY-") and "-dummy_classifier-" in w for w in wrote)
    for path in wrote:
        doc = yaml.safe_load((tmp_path / path).read_text())
        assert doc["run_metadata"]["limit"] == 30
        assert str(tmp_path) not in (tmp_path / path).read_text()
    checked = subprocess.run(
        [sys.executable, "-m", "fmbench", "validate", *wrote],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 1
    assert checked.stdout.count("is not a submission") == 2
    assert "Traceback" not in checked.stdout + checked.stderr
