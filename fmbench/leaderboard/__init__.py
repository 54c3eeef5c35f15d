"""The leaderboard: every eval file under some folders, validated, ranked and rendered.

``collect`` reads and validates (the same checks as ``fmbench validate``), ``rank`` orders
the runs (rules in :mod:`fmbench.leaderboard.rank`), ``render_md`` / ``render_html`` write the
pages and ``export`` the JSON, CSV and the copies of the eval files that the pages link to.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = Path(tempfile.mkdtemp())
    >>> board = build([str(folder)], registry=None)
    >>> len(board.boards)
    0
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fmbench.leaderboard.collect import collect_evals
from fmbench.leaderboard.export import copy_eval_files, render_csv, render_json, write_text
from fmbench.leaderboard.rank import Leaderboard, build_leaderboard, entries_summary
from fmbench.leaderboard.render_html import render_html
from fmbench.leaderboard.render_md import render_markdown, render_rejected
from fmbench.plugin_system.registry import Registry

__all__ = ["OUTPUT_FILES", "build", "write_markdown", "write_site"]

#: What ``--out DIR`` holds (plus ``evals/<sha256>.yaml``, the files the pages link to).
OUTPUT_FILES = ("index.md", "index.html", "leaderboard.json", "leaderboard.csv", "rejected.md")


def build(
    folders: Sequence[str],
    registry: Registry | None,
    *,
    jobs: int | None = None,
    progress: bool = False,
    allowed_signers: Path | None = None,
    require_signature: bool = False,
) -> Leaderboard:
    """Collect, validate and rank the eval files under ``folders`` (``jobs``: processes).

    Only each file's entries are kept, not its document, so memory stays small.
    ``progress``: a progress bar on stderr while many files are read. ``allowed_signers``:
    verify signed files against it and show who signed
    (:func:`fmbench.leaderboard.signatures.apply_signatures`); ``require_signature``: reject
    files without a valid signature by a listed key.
    """
    summarize = entries_summary(registry)
    collected = collect_evals(folders, registry, jobs=jobs, summarize=summarize, progress=progress)
    if allowed_signers is not None:
        from fmbench.leaderboard.signatures import apply_signatures

        apply_signatures(collected, allowed_signers, required=require_signature)
    return build_leaderboard(collected, registry)


def write_markdown(board: Leaderboard, path: Path) -> list[Path]:
    """Write the Markdown page to ``path`` and the linked eval files beside it."""
    write_text(path, render_markdown(board))
    copy_eval_files(board, path.parent)
    return [path]


def write_site(board: Leaderboard, out_dir: Path) -> list[Path]:
    """Write every output file into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    texts = {
        "index.md": render_markdown(board),
        "index.html": render_html(board),
        "leaderboard.json": render_json(board),
        "leaderboard.csv": render_csv(board),
        "rejected.md": render_rejected(board),
    }
    for name in OUTPUT_FILES:
        write_text(out_dir / name, texts[name])
    copy_eval_files(board, out_dir)
    return [out_dir / name for name in OUTPUT_FILES]
