"""Turn a GitHub issue into a submitted eval file, safely (used by the submission workflow).

The issue body is untrusted. It is read from the event file GitHub writes (never
interpolated into a script), the first fenced ``yaml`` block is taken, parsed with the
safe loader under the same limits as any eval file, and written to ``--out/eval.yaml``. The
target path ``evals/<eval_id>.yaml`` is derived from the eval id only after it matches a
strict pattern, and it is checked to stay inside ``evals/``. Values go to ``$GITHUB_OUTPUT``
only when they match that pattern.

Usage (in the workflow)::

    python -m fmbench.leaderboard.submission "$GITHUB_EVENT_PATH" --out submission

Example:
    >>> extract_yaml_block("text\\n```yaml\\neval_id: a\\n```\\nmore")
    'eval_id: a\\n'
    >>> target_path("SUITE-X-model-20250101-000000")
    'evals/SUITE-X-model-20250101-000000.yaml'
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path, PurePosixPath

from fmbench.errors import ConfigError, FmbenchError

__all__ = ["extract_yaml_block", "main", "target_path"]

_BLOCK = re.compile(r"^```[ \t]*ya?ml[ \t]*\r?\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,199}")  # used with fullmatch: no newline
MAX_BODY = 1_000_000


def extract_yaml_block(body: str) -> str:
    """The first fenced yaml block of an issue body."""
    if len(body) > MAX_BODY:
        raise ConfigError(f"the issue body is longer than {MAX_BODY} characters")
    match = _BLOCK.search(body.replace("\r\n", "\n"))
    if match is None or not match.group(1).strip():
        raise ConfigError("no eval.yaml found: paste the whole file between ```yaml and ``` lines")
    return match.group(1)


def target_path(eval_id: object) -> str:
    """``evals/<eval_id>.yaml``, only for a safe id that stays inside ``evals/``."""
    if not isinstance(eval_id, str) or not _SAFE_ID.fullmatch(eval_id) or ".." in eval_id:
        raise ConfigError(
            f"eval_id {str(eval_id)[:80]!r} is not a safe id (letters, digits, '_', '-', '.'; "
            "at most 200; no '..')"
        )
    path = PurePosixPath("evals") / f"{eval_id}.yaml"
    if path.parent != PurePosixPath("evals"):
        raise ConfigError(f"eval_id {eval_id!r} would leave the evals/ folder")
    return path.as_posix()


def _write_output(name: str, value: str) -> None:
    target = os.environ.get("GITHUB_OUTPUT")
    if not _SAFE_ID.fullmatch(value.replace("/", "_")):
        raise ConfigError(f"refusing to pass an unsafe {name} to the workflow")
    if target:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(f"{name}={value}\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Extract eval.yaml from a submission issue.")
    parser.add_argument("event_path", type=Path, help="the GitHub event JSON ($GITHUB_EVENT_PATH)")
    parser.add_argument("--out", type=Path, required=True, help="folder for eval.yaml")
    args = parser.parse_args(argv)
    try:
        event = json.loads(args.event_path.read_text(encoding="utf-8"))
        body = ((event.get("issue") or {}).get("body")) or ""
        text = extract_yaml_block(str(body))
        args.out.mkdir(parents=True, exist_ok=True)
        candidate = args.out / "eval.yaml"
        candidate.write_text(text, encoding="utf-8")
        from fmbench.results.eval_file import read_eval

        doc = read_eval(candidate)
        path = target_path(doc.get("eval_id"))
        number = (event.get("issue") or {}).get("number")
        _write_output("eval_path", path)
        _write_output("branch", f"submission/issue-{int(number)}" if number else "submission/x")
        print(f"extracted {candidate} -> {path}")
    except (FmbenchError, OSError, ValueError) as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
