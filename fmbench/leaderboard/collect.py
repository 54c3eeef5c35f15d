"""Find, read and validate every eval file under the given folders.

Each file is read as untrusted input (:func:`fmbench.results.eval_file.read_eval`: regular files
only, size and nesting limits, what ``yaml.safe_load`` gives) and checked with :func:`fmbench.results.validation.check_eval`, the same
checks as ``fmbench validate``. A file with any error is rejected, with its reasons. Files
are visited in sorted order of their display path, so nothing depends on the order in which
the file system lists them. The same run found twice (same content digest, e.g. copied into
``evals/`` by ``run --evals-dir`` and still in ``results/``) is read once.

Example:
    >>> from pathlib import Path
    >>> collected = collect_evals([], registry=None)
    >>> collected.accepted, collected.rejected
    ([], [])
"""

from __future__ import annotations

import math
import os
import stat
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

from fmbench.errors import ConfigError, FmbenchError
from fmbench.plugin_system.registry import Registry
from fmbench.results.eval_file import read_eval_verified
from fmbench.results.findings import Finding
from fmbench.results.integrity import check_predictions_beside
from fmbench.results.privacy import is_local_path, public_path
from fmbench.results.validation import check_eval

__all__ = ["Collected", "EvalFile", "Rejected", "Summarize", "collect_evals", "find_eval_files"]

_SUFFIXES = (".yaml", ".yml")


@attrs.define(kw_only=True)
class EvalFile:
    """An accepted eval file: where it is, its digest, its warnings, and what was read.

    ``doc`` is the whole document, unless :func:`collect_evals` was given ``summarize``:
    then ``summary`` holds what that returned and the document is not kept, so memory grows
    with the summaries, not with the files.
    """

    path: Path  # the real file (used only for copying its bytes)
    display: str  # the path as shown and sorted: relative to the folder given, with its name
    digest: str  # the content digest (``digest.sha256``, checked against the content)
    findings: tuple[Finding, ...] = ()
    doc: Mapping[str, Any] | None = None
    summary: Any = None
    #: who signed it, verified against the allowed signers (``fmbench.leaderboard.signatures``)
    signed_by: str | None = None


@attrs.frozen(kw_only=True)
class Rejected:
    """A file that is not on the leaderboard, and why."""

    display: str
    reasons: tuple[str, ...]
    kind: str = "rejected"  # rejected | skipped (not an eval file) | duplicate


@attrs.define
class Collected:
    accepted: list[EvalFile] = attrs.field(factory=list)
    rejected: list[Rejected] = attrs.field(factory=list)


def _display(root: Path, given: str, path: Path) -> str:
    """The path as the leaderboard shows it: under the folder as given, or under its name
    alone when it was given as a local path (absolute, ``~``, ``..``), which is not shared."""
    rel = path.relative_to(root).as_posix()
    base = given.rstrip("/\\") or "."
    if is_local_path(base):
        base = public_path(base)
    return f"{base}/{rel}" if base != "." else rel


def find_eval_files(folders: Iterable[str]) -> tuple[list[tuple[str, Path]], list[Rejected]]:
    """``(display path, path)`` of every ``*.yaml``/``*.yml`` under the folders, sorted.

    Symbolic links are not followed (a link could point anywhere) and only regular files are
    read (a FIFO would block the reader for ever); both are listed as skipped, with why.
    """
    found: dict[str, Path] = {}
    skipped: list[Rejected] = []
    for given in folders:
        root = Path(given)
        if not root.is_dir():
            raise ConfigError(f"results folder {given} not found (or not a folder)")
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
            dirnames.sort()
            here = Path(dirpath)
            for name in filenames:
                if not name.endswith(_SUFFIXES):
                    continue
                path = here / name
                display = _display(root, given, path)
                why = _not_regular(path)
                if why is not None:
                    skipped.append(Rejected(display=display, reasons=(why,), kind="skipped"))
                    continue
                found.setdefault(display, path)
    return sorted(found.items()), sorted(skipped, key=lambda r: r.display)


def _not_regular(path: Path) -> str | None:
    """Why ``path`` is not read (a link, FIFO, socket, device...), or None for a regular file."""
    try:
        mode = path.lstat().st_mode
    except OSError as exc:
        return f"cannot be read: {exc.strerror or exc}"
    if stat.S_ISLNK(mode):
        return "symbolic link, not followed"
    if stat.S_ISREG(mode):
        return None
    kind = "FIFO" if stat.S_ISFIFO(mode) else "socket" if stat.S_ISSOCK(mode) else "device"
    if stat.S_ISDIR(mode):
        kind = "folder"
    return f"not a regular file ({kind}), not read"


def _non_finite(value: Any, depth: int = 0) -> bool:
    """Does a summary hold a number the leaderboard's JSON cannot write (inf, nan)?"""
    if isinstance(value, float):
        return not math.isfinite(value)
    if depth > 8 or isinstance(value, (str, bytes, int, EvalFile)) or value is None:
        return False
    if isinstance(value, Mapping):
        return any(_non_finite(v, depth + 1) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_non_finite(v, depth + 1) for v in value)
    if attrs.has(type(value)):
        return any(
            _non_finite(getattr(value, f.name), depth + 1) for f in attrs.fields(type(value))
        )
    return False


def _is_eval(doc: Mapping[str, Any]) -> bool:
    return "eval_id" in doc or "schema_version" in doc


def read_one(display: str, path: Path, registry: Registry | None) -> EvalFile | Rejected:
    """Read and check one file; never raises for bad content."""
    try:
        doc, verified = read_eval_verified(path)
    except FmbenchError as exc:
        return Rejected(display=display, reasons=(str(exc),))
    if not _is_eval(doc):
        return Rejected(
            display=display,
            reasons=("not an eval file (no eval_id or schema_version)",),
            kind="skipped",
        )
    try:
        findings = check_eval(doc, registry, digest_verified=verified, local_paths=False)
        if not any(f.message.startswith("schema: ") for f in findings):
            findings += check_predictions_beside(path, doc, registry)
    except Exception as exc:  # a check that trips over hostile content rejects the file
        return Rejected(
            display=display, reasons=(f"could not be checked: {type(exc).__name__}: {exc}",)
        )
    errors = tuple(f.message for f in findings if f.severity == "error")
    if errors:
        return Rejected(display=display, reasons=errors)
    digest = str(doc["digest"]["sha256"])  # present: the schema requires it
    return EvalFile(path=path, display=display, digest=digest, doc=doc, findings=tuple(findings))


#: ``summarize(file, doc)``: what to keep of an accepted file instead of its document.
Summarize = Callable[[EvalFile, Mapping[str, Any]], Any]

#: What forked worker processes use (set just before the pool starts, never pickled).
_WORKER_ARGS: tuple[Registry | None, Summarize | None] = (None, None)
#: Below this many files one process is faster than starting workers.
PARALLEL_THRESHOLD = 400


def _read_and_summarize(
    display: str, path: Path, registry: Registry | None, summarize: Summarize | None
) -> EvalFile | Rejected:
    outcome = read_one(display, path, registry)
    if summarize is not None and isinstance(outcome, EvalFile) and outcome.doc is not None:
        doc, outcome.doc = outcome.doc, None
        try:  # one file that trips the summary is rejected; the board goes on
            outcome.summary = summarize(outcome, doc)
        except Exception as exc:
            return Rejected(
                display=display,
                reasons=(f"could not be summarized: {type(exc).__name__}: {str(exc)[:200]}",),
            )
        if _non_finite(outcome.summary):
            return Rejected(
                display=display,
                reasons=("a value the leaderboard would show is infinite or not a number",),
            )
    return outcome


def _read_in_worker(item: tuple[str, Path]) -> EvalFile | Rejected:
    return _read_and_summarize(item[0], item[1], *_WORKER_ARGS)


def _read_all(
    files: list[tuple[str, Path]],
    registry: Registry | None,
    jobs: int | None,
    summarize: Summarize | None,
    progress: bool,
) -> list[EvalFile | Rejected]:
    """Read files in order; in forked worker processes when there are many (same results)."""
    import multiprocessing

    from fmbench.progress import Progress

    jobs = jobs if jobs is not None else min(os.cpu_count() or 1, 8)
    many = len(files) >= PARALLEL_THRESHOLD
    out: list[EvalFile | Rejected] = []
    with Progress(total=len(files), label="reading eval files", enabled=progress and many) as bar:
        if jobs <= 1 or not many or "fork" not in multiprocessing.get_all_start_methods():
            for display, path in files:
                out.append(_read_and_summarize(display, path, registry, summarize))
                bar.advance()
            return out
        global _WORKER_ARGS
        _WORKER_ARGS = (registry, summarize)  # inherited by the forked workers
        try:
            context = multiprocessing.get_context("fork")
            chunk = max(1, min(64, len(files) // (jobs * 8)))
            with context.Pool(jobs) as pool:
                for outcome in pool.imap(_read_in_worker, files, chunksize=chunk):
                    out.append(outcome)
                    bar.advance()
        finally:
            _WORKER_ARGS = (None, None)
    return out


def collect_evals(
    folders: Iterable[str],
    registry: Registry | None,
    *,
    jobs: int | None = None,
    summarize: Summarize | None = None,
    progress: bool = False,
) -> Collected:
    """Read and validate every eval file under ``folders`` (see the module docstring).

    ``jobs``: worker processes for many files (default: the number of CPUs, at most 8;
    1 reads in this process). The result is the same whatever ``jobs`` is.
    ``summarize``: keep ``summarize(file, doc)`` of each accepted file instead of its
    document (it runs in the worker that read the file). ``progress``: show a progress bar
    on stderr when there are many files.
    """
    files, skipped = find_eval_files(folders)
    collected = Collected(rejected=list(skipped))
    by_digest: dict[str, str] = {}
    for outcome in _read_all(files, registry, jobs, summarize, progress):
        display = outcome.display
        if isinstance(outcome, Rejected):
            collected.rejected.append(outcome)
            continue
        first = by_digest.get(outcome.digest)
        if first is not None:
            collected.rejected.append(
                Rejected(display=display, reasons=(f"same run as {first}",), kind="duplicate")
            )
            continue
        by_digest[outcome.digest] = display
        collected.accepted.append(outcome)
    collected.rejected.sort(key=lambda r: (r.display, r.kind))
    return collected
