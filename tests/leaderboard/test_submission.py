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
    assert any(re.fullmatch(r"peter-evans/create-pull-request@[0-9a-f]{40}", u) for u in uses)
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


# --- issue #21 F15: the bot's comment, edits after review, permissions, pinned actions -------

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def _workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_commit_sha(path):
    """A tag can be moved to other code; a full commit SHA cannot."""
    lines = [line.strip() for line in path.read_text().splitlines()]
    uses = [line for line in lines if re.match(r"-?\s*uses:", line)]
    assert uses
    for line in uses:
        assert re.fullmatch(r"-?\s*uses: [\w.-]+/[\w./-]+@[0-9a-f]{40}\s+# v\d+(\.\d+)*", line), (
            f"{path.name}: not pinned to a commit SHA (with its tag in a comment): {line}"
        )


def test_the_workflow_grants_nothing_by_default_and_each_job_only_what_it_needs():
    workflow = _workflow()
    assert workflow["permissions"] == {}
    granted = {name: job.get("permissions") for name, job in workflow["jobs"].items()}
    assert all(isinstance(p, dict) for p in granted.values()), granted
    writers = {
        name: sorted(scope for scope, level in p.items() if level == "write")
        for name, p in granted.items()
    }
    assert writers == {
        "guard": [],
        "validate": [],
        "open-pull-request": ["contents", "pull-requests"],
        "report-failure": ["issues"],
        "edited-after-pull-request": ["issues"],
    }
    # the jobs that can write run no code from the repository or the submission
    for name, scopes in writers.items():
        if not scopes:
            continue
        for step in workflow["jobs"][name]["steps"]:
            script = step.get("run", "")
            assert "python" not in script and "fmbench" not in script and "pip" not in script, (
                f"{name} can write ({scopes}) and runs: {script[:80]}"
            )


def test_an_edit_never_touches_an_existing_pull_request():
    """An `edited` issue re-ran the workflow and force-updated the pull request after review."""
    workflow = _workflow()
    jobs = workflow["jobs"]
    guard = jobs["guard"]["steps"][0]["run"]
    assert "gh pr list" in guard and '--head "submission/issue-$ISSUE_NUMBER"' in guard
    assert "--state all" in guard  # open, closed or merged: any review counts
    assert jobs["validate"]["needs"] == "guard"
    assert jobs["validate"]["if"] == "needs.guard.outputs.has_pull_request == 'false'"
    assert jobs["open-pull-request"]["needs"] == "validate"
    assert workflow["concurrency"]["cancel-in-progress"] is False
    assert "the edit was not\nprocessed" in jobs["edited-after-pull-request"]["steps"][0]["run"]


def test_the_failure_comment_is_built_by_the_escaping_code():
    steps = _workflow()["jobs"]["validate"]["steps"]
    builders = [s for s in steps if "fmbench.leaderboard.submission_comment" in s.get("run", "")]
    assert len(builders) == 1
    posted = " ".join(s.get("run", "") for s in _workflow()["jobs"]["report-failure"]["steps"])
    assert "--body-file" in posted and "```" not in WORKFLOW.read_text()


ATTACKS = {
    "closes the fence": "boom\n```\n\n## Validation passed - merge\n\n[details](https://evil.example)\n",
    "longer fence": "x\n``````\n# Validation passed - merge\n``````\n",
    "indented fence": "x\n   ```\n# Validation passed - merge\n",
    "tilde fence": "x\n~~~\n# Validation passed - merge\n",
    "html and mentions": "</code></pre><h1>Validation passed - merge</h1> @maintainers <img src=x>",
    "bidi and zero width": "ok\u202e egrem - dessap noitadilaV\u200b\r\n```\n# Validation passed - merge",
    "no newline at the end": "```",
}


def _render(markdown: str) -> str:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").render(markdown)


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_attack_texts_stay_inside_one_code_block(attack):
    from fmbench.leaderboard.submission_comment import build_comment

    comment = build_comment([f"eval.yaml: warning: BM-X: status Failed: {ATTACKS[attack]}"])
    html = _render(comment)
    assert html.count("<pre>") == 1, html
    assert not re.search(r"<h\d|<a |<img|<strong>", html), html
    code = html.split("<pre>", 1)[1].split("</pre>", 1)[0]
    outside = html.replace(code, "")
    assert "Validation passed" not in outside
    assert "evil.example" not in outside and "@maintainers" not in outside
    assert "\u202e" not in comment and "\u200b" not in comment and "\r" not in comment


def test_the_real_validate_output_of_a_hostile_file_is_inert(tmp_path):
    """End to end: the `error:` text of a submitted record, through `fmbench validate`."""
    from click.testing import CliRunner

    from fmbench.cli import cli
    from fmbench.leaderboard.submission_comment import main as comment_main

    doc = synthetic_eval("model-a", 0.8)
    failed = {
        **doc["benchmarks"][0],
        "benchmark_id": "BM-TOY-CLASS-PROBE",
        "status": "Failed",
        "error": ATTACKS["closes the fence"],
    }
    doc["benchmarks"].append(failed)
    doc["benchmarks"][0]["benchmark_version"] = "9.9.9"  # a real error: validation fails
    path = tmp_path / "eval.yaml"
    path.write_text(dump_yaml(with_digest({k: v for k, v in doc.items() if k != "digest"})))
    result = CliRunner().invoke(cli, ["--no-plugins", "validate", str(path)], obj={})
    assert result.exit_code == 1
    assert "```\n\n## Validation passed - merge" in result.output  # the attack is in the text
    (tmp_path / "validation.txt").write_text(result.output)
    comment_main(["--findings", str(tmp_path / "validation.txt"), "--findings",
                  str(tmp_path / "missing.txt"), "--out", str(tmp_path / "c" / "comment.md")])  # fmt: skip
    html = _render((tmp_path / "c" / "comment.md").read_text())
    assert html.count("<pre>") == 1
    assert "<h2>" not in html and "<a " not in html


def test_long_findings_are_cut_and_say_so():
    from fmbench.leaderboard.submission_comment import MAX_CHARS, build_comment

    comment = build_comment(["x" * (MAX_CHARS + 500)])
    assert f"cut at {MAX_CHARS} characters" in comment
    assert len(comment) < MAX_CHARS + 1000
