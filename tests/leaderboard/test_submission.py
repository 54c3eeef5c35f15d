"""The submission flow: issue template, workflow safety, and the extraction script."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from fmbench.leaderboard.submission import extract_yaml_block, main, target_path
from fmbench.leaderboard.synthetic import synthetic_eval
from fmbench.results.eval_file import dump_yaml, with_digest

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "process-submission.yml"


def _steps() -> list[dict]:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def test_no_expression_is_interpolated_into_a_run_script():
    runs = [step["run"] for step in _steps() if "run" in step]
    assert runs, "the workflow has run steps"
    for script in runs:
        assert "${{ github.event.issue" not in script
        assert "${{" not in script, f"expression inside a run: script: {script[:80]}"
    # and no github-script step that could evaluate text as JavaScript
    assert not any(
        str(step.get("uses", "")).startswith("actions/github-script") for step in _steps()
    )


def test_the_raw_text_has_no_issue_expression_inside_run_blocks():
    # a line-based scan as well, so a YAML trick (anchors, folded text) cannot hide one
    in_run, indent = False, 0
    for line in WORKFLOW.read_text().splitlines():
        stripped = line.lstrip()
        current = len(line) - len(stripped)
        if re.match(r"-?\s*run:", stripped):
            in_run, indent = True, current
            assert "${{" not in stripped
            continue
        if in_run and stripped and current <= indent:
            in_run = False
        if in_run:
            assert "${{ github.event.issue" not in line


def test_it_opens_a_pull_request_and_never_pushes():
    text = WORKFLOW.read_text()
    assert "git push" not in text
    uses = [str(step.get("uses", "")) for step in _steps()]
    assert any(re.fullmatch(r"peter-evans/create-pull-request@v\d+\.\d+\.\d+", u) for u in uses)
    assert any("fmbench validate" in step.get("run", "") for step in _steps())


def test_issue_template_asks_for_the_eval_yaml():
    text = (ROOT / ".github" / "ISSUE_TEMPLATE" / "benchmark_submission.md").read_text()
    assert "```yaml" in text
    assert "fmbench validate" in text
    assert "submission" in text


def test_extract_takes_the_first_yaml_block():
    body = "hi\n```yaml\neval_id: a\n```\n```yaml\neval_id: b\n```\n"
    assert extract_yaml_block(body) == "eval_id: a\n"
    with pytest.raises(Exception, match=r"no eval\.yaml found"):
        extract_yaml_block("```yaml\n```\n")


@pytest.mark.parametrize(
    "bad", ["../../etc/passwd", "..", "a/b", "", None, "x" * 300, "a..b", "x\n", "x\ny"]
)
def test_unsafe_ids_never_become_paths(bad):
    with pytest.raises(Exception, match="not a safe id"):
        target_path(bad)


def test_main_writes_the_file_and_safe_outputs(tmp_path, monkeypatch):
    doc = synthetic_eval("model-a", 0.8)
    event = {"issue": {"number": 12, "body": f"text\n```yaml\n{dump_yaml(doc)}```\n"}}
    (tmp_path / "event.json").write_text(json.dumps(event))
    monkeypatch.setenv("GITHUB_OUTPUT", str(tmp_path / "out.txt"))
    assert main([str(tmp_path / "event.json"), "--out", str(tmp_path / "sub")]) == 0
    assert yaml.safe_load((tmp_path / "sub" / "eval.yaml").read_text()) == doc
    outputs = (tmp_path / "out.txt").read_text().splitlines()
    assert outputs == [f"eval_path=evals/{doc['eval_id']}.yaml", "branch=submission/issue-12"]


def test_main_refuses_a_traversal_eval_id(tmp_path, monkeypatch, capsys):
    doc = with_digest({**synthetic_eval("m", 0.8), "eval_id": "../../.github/workflows/x"})
    event = {"issue": {"number": 3, "body": f"```yaml\n{dump_yaml(doc)}```"}}
    (tmp_path / "event.json").write_text(json.dumps(event))
    monkeypatch.setenv("GITHUB_OUTPUT", str(tmp_path / "out.txt"))
    assert main([str(tmp_path / "event.json"), "--out", str(tmp_path / "sub")]) == 1
    assert "not a safe id" in capsys.readouterr().err
    assert not (tmp_path / "out.txt").exists()
