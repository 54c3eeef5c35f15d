"""How to continue a run that did not complete: after Ctrl-C, or into its folder again.

The units a run finished are in its journal (``--out/.fmbench``), so a run that was
interrupted, or that finished with failed benchmarks, is continued by the same command with
``--resume``. :func:`interrupted` builds the Ctrl-C exception that carries that command
(``fmbench`` prints it under ``Interrupted.``); :func:`rerun_hint` says it when the same
command is given again into a folder whose run did not complete.

Example:
    >>> resume_command("fmbench run --suite S --model m.yaml --out o --overwrite")
    'fmbench run --suite S --model m.yaml --out o --resume'
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING

from fmbench.errors import FmbenchError, Interrupted

if TYPE_CHECKING:
    from fmbench.running.journal import RunJournal
    from fmbench.running.resume import RunIdentity
    from fmbench.running.suite_run import RunOptions

__all__ = ["interrupted", "rerun_hint", "resume_command"]


def resume_command(command: str) -> str:
    """``command`` with ``--resume`` (and without ``--overwrite``, which would start again)."""
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    words = [w for w in words if w != "--overwrite"]
    if "--resume" not in words:
        words.append("--resume")
    return shlex.join(words)


def interrupted(options: RunOptions, journal: RunJournal) -> Interrupted:
    """The Ctrl-C of a run, with how to continue it when it finished some units."""
    finished = len(journal.finished())
    if not finished or not options.command.startswith("fmbench "):
        return Interrupted()
    units = "benchmark" if finished == 1 else "benchmarks"
    return Interrupted(
        f"{finished} finished {units} kept in {journal.folder.parent.parent}; to continue the run, give the "
        f"same command with --resume: {resume_command(options.command)}"
    )


def rerun_hint(out_dir: Path, wanted: RunIdentity | None) -> str:
    """For a folder that already holds results: when they are this same run (suite, model,
    seed...) and it did not complete, the advice to ``--resume`` it; else ``""``."""
    from fmbench.results.eval_file import read_eval
    from fmbench.running.resume import folder_identity

    if wanted is None or wanted.command != "run":
        return ""
    try:
        held = folder_identity(out_dir)
        status = read_eval(out_dir / "eval.yaml").get("status")
    except FmbenchError:
        return ""
    if held is None or held.differs_from(wanted) or status == "Completed":
        return ""
    return (
        f" of this run, which did not complete (status {status}): pass --resume to run its "
        "failed benchmarks again (finished ones are kept), --overwrite to start again, or "
        "choose another --out"
    )
