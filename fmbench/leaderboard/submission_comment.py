"""The submission bot's comment on a failed submission, with the findings shown as inert text.

What ``fmbench validate`` prints echoes text from the submitted file (an ``error:`` field, a
benchmark id, ...), so it is attacker text. Posted inside a plain three-backtick fence, a
line of three backticks in it would close the fence, and what follows would render as the
bot's own Markdown ("Validation passed - merge", links, mentions). Here the text is inert:

* the fence is longer than any run of backticks in the text (CommonMark closes a fence only
  with at least as many backticks), so no line of it can close the fence;
* control and invisible formatting characters (bidirectional overrides, zero-width
  characters, carriage returns...) are shown as ``<U+202E>`` instead of acting on the page;
* the text is cut at :data:`MAX_CHARS` characters, and the cut is said.

Inside a fenced code block GitHub renders no Markdown, HTML, links or @mentions.

Usage (in the workflow)::

    python -m fmbench.leaderboard.submission_comment --findings extract.txt \\
        --findings validation.txt --out comment.md

Example:
    >>> print(fenced("fine\\n```\\n# merge me"))
    ````text
    fine
    ```
    # merge me
    ````
"""

from __future__ import annotations

import argparse
import re
import sys
import unicodedata
from collections.abc import Sequence
from pathlib import Path

__all__ = ["MAX_CHARS", "build_comment", "fenced", "inert_text", "main"]

#: At most this many characters of findings go into a comment (GitHub allows 65,536).
MAX_CHARS = 20_000

_BACKTICKS = re.compile(r"`+")


def inert_text(text: str) -> str:
    """``text`` with control and invisible formatting characters shown as ``<U+XXXX>``.

    Newlines and tabs are kept; ``\\r\\n`` becomes ``\\n``.

    Example:
        >>> inert_text("a\\u202eb\\r\\nc\\x1b[31m")
        'a<U+202E>b\\nc<U+001B>[31m'
    """
    out = []
    for char in text.replace("\r\n", "\n"):
        if char in "\n\t":
            out.append(char)
        elif unicodedata.category(char) in {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}:
            out.append(f"<U+{ord(char):04X}>")
        else:
            out.append(char)
    return "".join(out)


def fenced(text: str, info: str = "text") -> str:
    """``text`` in a fenced code block that nothing in it can close."""
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    fence = "`" * max(3, longest + 1)
    body = text if text.endswith("\n") else text + "\n"
    return f"{fence}{info}\n{body}{fence}"


def build_comment(findings: Sequence[str]) -> str:
    """The whole comment: fixed text around the findings, each fenced (see the module doc)."""
    text = "\n".join(part.rstrip("\n") for part in findings if part.strip())
    if not text.strip():
        text = "(no findings were written: see the workflow log)"
    text = inert_text(text)
    cut = ""
    if len(text) > MAX_CHARS:
        cut = f"\n\n(The findings were cut at {MAX_CHARS} characters; see the workflow log.)"
        text = text[:MAX_CHARS]
    return (
        "The submission could not be processed. What fmbench found, as plain text:\n\n"
        f"{fenced(text)}{cut}\n\n"
        "Run `fmbench validate eval.yaml` locally, fix what it reports, and edit this issue "
        "to try again. (Once a pull request exists for this issue, edits are not processed "
        "any more: open a new issue for a new version.)\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the comment on a failed submission.")
    parser.add_argument(
        "--findings",
        type=Path,
        action="append",
        default=[],
        help="a text file of findings (repeatable; a missing file is skipped)",
    )
    parser.add_argument("--out", type=Path, required=True, help="the comment's Markdown file")
    args = parser.parse_args(argv)
    parts = []
    for path in args.findings:
        try:
            parts.append(path.read_text(encoding="utf-8", errors="replace")[: MAX_CHARS * 2])
        except OSError:
            continue
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(build_comment(parts), encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
