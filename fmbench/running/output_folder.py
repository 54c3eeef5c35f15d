"""An output folder written as a whole: staged beside ``--out``, swapped in at the end, locked.

A run writes ``eval.yaml``, ``report.md``, ``predictions.npz``, plots... into a staging folder
``.<out>.fmbench-staging`` next to ``--out``; when everything is written, the staging folder
takes the place of ``--out`` as a whole (on Linux in one atomic exchange of the two folders,
elsewhere in two renames). So a reader sees the old run or the new one, never a mixture, and
no file of an earlier run (an old reliability plot, say) survives beside the new results.

A folder that also holds things no run wrote (another run's folder, as in ``--out results/``
beside ``results/my_first_run``, or your own files) keeps them: then the earlier run's
entries (those its ``.fmbench/files.json`` lists, or fmbench's own names for older runs) are
replaced one by one, each atomically, ``eval.yaml`` last. An entry that no run wrote is never
replaced: a run that would write over it is refused.

The run journal (``--out/.fmbench``) stays in ``--out`` while the run goes on, so a crash
never loses finished units; at the end it is hard-linked into the staging folder (journal
files are only ever replaced, never changed in place), so the new folder carries it.
The lock (:class:`fmbench.running.journal.RunLock`) is a file beside ``--out``, so a swap never moves
it. Leftovers of a run killed mid-way (a staging folder, a half-done swap) are put right by
the next run into the same folder, under the lock.

Refusals come before anything is created or locked, so a refused command leaves the folder
exactly as it was: a file instead of a folder, results without ``--overwrite``, another run
under ``--resume`` (:func:`fmbench.running.resume.check_resume_target`), an entry no run wrote where
the run would write.

Example:
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "results"
    >>> with OutputFolder(out, overwrite=False) as folder:
    ...     _ = (folder.staging / "eval.yaml").write_text("status: Completed")
    ...     folder.commit()
    >>> sorted(p.name for p in out.iterdir())
    ['.fmbench', 'eval.yaml']
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import os
import shutil
import sys
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from fmbench.errors import ResultsError
from fmbench.io import atomic_write_text
from fmbench.running.journal import RunLock

if TYPE_CHECKING:
    from fmbench.running.resume import RunIdentity

__all__ = ["OutputFolder", "staging_path"]

#: The fmbench folder inside ``--out``: the journal and ``run.json``.
HIDDEN = ".fmbench"


def staging_path(out_dir: Path) -> Path:
    """Where a run into ``out_dir`` writes its files before they are swapped in."""
    return out_dir.parent / f".{out_dir.name}.fmbench-staging"


def _replaced_path(out_dir: Path) -> Path:
    return out_dir.parent / f".{out_dir.name}.fmbench-replaced"


def _exchange(first: Path, second: Path) -> bool:
    """Swap two existing folders atomically (Linux ``renameat2(RENAME_EXCHANGE)``); False
    where the system or the file system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # a C library without renameat2 (glibc < 2.28)
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p]
    renameat2.argtypes += [ctypes.c_uint]
    at_fdcwd, rename_exchange = -100, 2
    status = renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second), rename_exchange)
    if status == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(second))


def _link_tree(source: Path, target: Path) -> None:
    """Hard-link every file of ``source`` into ``target`` (a copy where links cannot be)."""
    for folder, _, files in os.walk(source):
        here = target / Path(folder).relative_to(source)
        here.mkdir(parents=True, exist_ok=True)
        for name in files:
            try:
                os.link(Path(folder) / name, here / name)
            except OSError:
                shutil.copy2(Path(folder) / name, here / name)


def _holds_finished_work(out_dir: Path) -> bool:
    """Does the folder hold anything but fmbench's bookkeeping of a run that finished no unit?"""
    journal = out_dir / HIDDEN / "journal"
    if journal.is_dir() and any(journal.iterdir()):
        return True
    with os.scandir(out_dir) as entries:
        return any(entry.name != HIDDEN for entry in entries)


#: What a run writes into its folder, for folders of runs that recorded no list (older ones).
RUN_ENTRIES = ("eval.yaml", "eval.json", "report.md", "report.html", "predictions.npz", "plots")
#: The list of top-level entries a run wrote, in ``.fmbench``.
MANIFEST = "files.json"


def _plain_name(name: object) -> bool:
    return (
        isinstance(name, str)
        and name not in ("", ".", "..", HIDDEN)
        and "/" not in name
        and (os.sep not in name)
    )


def _run_entries(folder: Path) -> set[str]:
    """The top-level entries of ``folder`` that its run wrote: those its manifest lists, else
    fmbench's own names; with the hidden leftovers of their atomic writes."""
    try:
        listed = json.loads((folder / HIDDEN / MANIFEST).read_text(encoding="utf-8"))
        names = {n for n in listed if _plain_name(n)} if isinstance(listed, list) else set()
    except (OSError, ValueError):  # an older run's folder, or none at all
        holds_run = (folder / "eval.yaml").is_file() or (folder / HIDDEN).is_dir()
        names = set(RUN_ENTRIES) if holds_run else set()
    present = set(os.listdir(folder)) if folder.is_dir() else set()
    leftovers = {
        n for n in present if n.endswith(".tmp") and any(n.startswith(f".{r}.") for r in names)
    }
    return (names & present) | leftovers


def _foreign_entries(folder: Path) -> list[str]:
    """Entries of ``folder`` that no fmbench run wrote (another run's folder, your files)."""
    if not folder.is_dir():
        return []
    ours = _run_entries(folder) | {HIDDEN}
    return sorted(n for n in os.listdir(folder) if n not in ours)


class OutputFolder:
    """A context manager for the folder a run writes: checks, lock, staging, swap.

    Args:
        out_dir: ``--out``; resolved once (links followed), so a later change of the working
            folder or a link cannot redirect the results.
        overwrite: replace results already there.
        resume: continue the run already there (``identity`` must match it).
        identity: the run being made, checked against the folder's under ``resume``.
        marker: the file that says a folder holds results.
    """

    def __init__(
        self,
        out_dir: str | os.PathLike[str],
        *,
        overwrite: bool,
        resume: bool = False,
        identity: RunIdentity | None = None,
        marker: str = "eval.yaml",
    ) -> None:
        self.given = Path(out_dir)
        self.path = Path(os.path.realpath(os.path.abspath(out_dir)))
        self.staging = staging_path(self.path)
        self.overwrite = overwrite
        self.resume = resume
        self.identity = identity
        self.marker = marker
        self.committed = False
        self._created = False
        self._had_journal = True
        self._lock: RunLock | None = None

    def check(self) -> None:
        """Every refusal, reading only (a refused command changes nothing)."""
        if self.path.exists() and not self.path.is_dir():
            raise ResultsError(f"--out {self.given} is a file; give a folder")
        if self.path.parent == self.path:
            raise ResultsError(f"--out {self.given} is the file system's root; give a folder")
        if self.resume and self.identity is not None:
            from fmbench.running.resume import check_resume_target

            check_resume_target(self.path, self.identity)
        elif (self.path / self.marker).exists() and not (self.overwrite or self.resume):
            from fmbench.running.interruption import rerun_hint

            advice = rerun_hint(self.path, self.identity)
            raise ResultsError(
                f"{self.given} already holds results ({self.marker})"
                + (advice or "; choose another --out or pass --overwrite")
            )
        self._check_collisions(RUN_ENTRIES)

    def _check_collisions(self, names: Iterable[str]) -> None:
        """Refuse to replace an entry of ``--out`` that no run wrote (your own ``plots/``)."""
        clash = sorted(set(_foreign_entries(self.path)) & set(names))
        if clash:
            raise ResultsError(
                f"--out {self.given} holds {clash[0]!r}, which fmbench did not write and this "
                "run would replace; move it away or choose another --out"
            )

    def __enter__(self) -> OutputFolder:
        self.check()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ResultsError(
                f"cannot create output folder {self.given}: {exc.strerror}"
            ) from None
        lock = RunLock(self.path).__enter__()
        try:
            self._recover()
            self.check()  # again, now that no other run can change the folder
            self._created = not self.path.exists()
            self._had_journal = (self.path / HIDDEN).exists()
            self.path.mkdir(exist_ok=True)  # the journal lives here while the run goes on
            if not os.access(self.path, os.W_OK):
                raise ResultsError(f"output folder {self.given} is not writable")
            self.staging.mkdir()
        except OSError as exc:
            lock.__exit__(None, None, None)
            raise ResultsError(
                f"cannot create output folder {self.given}: {exc.strerror}"
            ) from None
        except BaseException:
            lock.__exit__(None, None, None)
            raise
        self._lock = lock
        return self

    def _recover(self) -> None:
        """Put right what a run killed mid-way left beside the folder."""
        replaced = _replaced_path(self.path)
        if replaced.exists():  # killed between the two renames of a swap (or just after)
            if not self.path.exists():
                if self.staging.is_dir():
                    os.replace(self.staging, self.path)  # the staged run was complete
                else:
                    os.replace(replaced, self.path)
            shutil.rmtree(replaced, ignore_errors=True)
        # a staging folder left by a killed run: its units are in the journal, not lost
        shutil.rmtree(self.staging, ignore_errors=True)

    def commit(self, *, keep_journal: bool = True) -> None:
        """Put the staged files in place of the earlier run's; the journal goes with them.

        A folder that holds only a run's files is swapped as a whole. One that also holds
        other things (another run's folder, your own files) keeps them: the earlier run's
        entries are replaced one by one, ``eval.yaml`` last.
        """
        written = sorted(os.listdir(self.staging))
        self._check_collisions(written)
        hidden = self.path / HIDDEN
        if keep_journal and hidden.is_dir():
            _link_tree(hidden, self.staging / HIDDEN)
        else:
            (self.staging / HIDDEN).mkdir(exist_ok=True)
        atomic_write_text(self.staging / HIDDEN / MANIFEST, json.dumps(written))
        if _foreign_entries(self.path):
            self._replace_entries([*written, HIDDEN])
        else:
            self._swap_whole()

    def _swap_whole(self) -> None:
        cwd = os.getcwd()
        if _exchange(self.staging, self.path):
            self.committed = True
            shutil.rmtree(self.staging, ignore_errors=True)  # now the old folder
        else:
            replaced = _replaced_path(self.path)
            os.replace(self.path, replaced)
            try:
                os.replace(self.staging, self.path)
            except BaseException:
                os.replace(replaced, self.path)  # put the old folder back
                raise
            self.committed = True
            shutil.rmtree(replaced, ignore_errors=True)
        if cwd == str(self.path) or cwd.startswith(str(self.path) + os.sep):
            # this process's working folder was the old one; follow the path to the new one
            with contextlib.suppress(OSError):
                os.chdir(cwd if os.path.isdir(cwd) else self.path)

    def _replace_entries(self, written: list[str]) -> None:
        """Replace the earlier run's entries one by one (each atomically), keeping the rest."""
        earlier = _run_entries(self.path) | ({HIDDEN} if (self.path / HIDDEN).exists() else set())
        for name in sorted(earlier - set(written)):  # the earlier run's, not written again
            os.replace(self.path / name, self.staging / f".replaced.{name}")
        for name in sorted(written, key=lambda n: n == self.marker):
            new, old = self.staging / name, self.path / name
            if not (old.exists() or old.is_symlink()):
                os.replace(new, old)
            elif not _exchange(new, old):
                os.replace(old, self.staging / f".replaced.{name}")
                os.replace(new, old)
        self.committed = True
        shutil.rmtree(self.staging, ignore_errors=True)  # now the earlier run's entries

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if not self.committed:
                shutil.rmtree(self.staging, ignore_errors=True)
                if not self._had_journal and not _holds_finished_work(self.path):
                    # what this run made, for nothing: its bookkeeping, and the folder itself
                    shutil.rmtree(self.path / HIDDEN, ignore_errors=True)
                    if self._created:
                        shutil.rmtree(self.path, ignore_errors=True)
        finally:
            if self._lock is not None:
                self._lock.__exit__(None, None, None)
                self._lock = None
        if isinstance(exc, OSError) and not isinstance(exc, ResultsError):
            where = str(getattr(exc, "filename", "") or "")
            if where.startswith((str(self.staging), str(self.path))):
                full = " (disk full)" if exc.errno == errno.ENOSPC else ""
                raise ResultsError(
                    f"cannot write the results of this run into {self.given}: "
                    f"{exc.strerror}{full} ({where}); the folder was left as it was"
                ) from exc
