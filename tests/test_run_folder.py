"""The output folder is staged beside ``--out`` and swapped in as a whole; leftovers are put right."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from fmbench.errors import ResultsError
from fmbench.running import output_folder as run_folder
from fmbench.running.journal import RunJournal, lock_path
from fmbench.running.output_folder import OutputFolder, staging_path


def old_run(out: Path) -> None:
    """A finished earlier run: results, a plot and a journal entry."""
    (out / "plots").mkdir(parents=True)
    (out / "plots/old.png").write_bytes(b"old plot")
    (out / "eval.yaml").write_text("old: true\n")
    RunJournal(out).save("unit-a", "key-a", {"status": "Completed"})


def contents(out: Path) -> list[str]:
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())


@pytest.mark.parametrize("atomic_exchange", [True, False])
def test_the_new_folder_replaces_the_old_as_a_whole(tmp_path: Path, monkeypatch, atomic_exchange):
    if not atomic_exchange:  # the two-rename path of systems without renameat2
        monkeypatch.setattr(run_folder, "_exchange", lambda a, b: False)
    out = tmp_path / "out"
    old_run(out)
    with OutputFolder(out, overwrite=True) as folder:
        assert (out / "eval.yaml").read_text() == "old: true\n"  # untouched while staging
        (folder.staging / "eval.yaml").write_text("new: true\n")
        folder.commit()
    assert contents(out) == [".fmbench/files.json", ".fmbench/journal/unit-a.json", "eval.yaml"]
    assert (out / "eval.yaml").read_text() == "new: true\n"
    assert sorted(os.listdir(tmp_path)) == [".out.fmbench-lock", "out"]


def test_the_journal_survives_a_failed_run_and_the_old_results_stay(tmp_path: Path):
    out = tmp_path / "out"
    old_run(out)
    before = contents(out)

    def interrupted_run() -> None:
        with OutputFolder(out, overwrite=True) as folder:
            (folder.staging / "eval.yaml").write_text("half")
            RunJournal(out).save("unit-b", "key-b", {"status": "Completed"})
            raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        interrupted_run()
    assert contents(out) == sorted([*before, ".fmbench/journal/unit-b.json"])
    assert not staging_path(out).exists()


def test_leftovers_of_a_killed_swap_are_put_right(tmp_path: Path):
    out = tmp_path / "out"
    old_run(out)
    # killed between the two renames: the old folder moved aside, the new one staged
    replaced = tmp_path / ".out.fmbench-replaced"
    os.replace(out, replaced)
    staged = staging_path(out)
    staged.mkdir()
    (staged / "eval.yaml").write_text("new: true\n")
    with OutputFolder(out, overwrite=True, resume=True):
        assert (out / "eval.yaml").read_text() == "new: true\n"
        assert not replaced.exists()
    # killed while staging: the staged files are dropped, the folder is the old one
    staged.mkdir()
    (staged / "eval.yaml").write_text("half")
    with OutputFolder(out, overwrite=True):
        assert (out / "eval.yaml").read_text() == "new: true\n"


def test_a_write_error_in_the_staging_folder_names_the_path_and_changes_nothing(tmp_path: Path):
    out = tmp_path / "out"
    old_run(out)
    before = contents(out)

    def full_disk() -> None:
        with OutputFolder(out, overwrite=True) as folder:
            target = folder.staging / "predictions.npz"
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(target))

    with pytest.raises(ResultsError) as caught:
        full_disk()
    message = str(caught.value)
    assert "disk full" in message and "predictions.npz" in message
    assert "left as it was" in message
    assert contents(out) == before


def test_refusals_come_before_the_lock_and_change_nothing(tmp_path: Path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(ResultsError, match="is a file"):
        OutputFolder(tmp_path / "file", overwrite=False).__enter__()
    out = tmp_path / "out"
    old_run(out)
    with pytest.raises(ResultsError, match="already holds results"):
        OutputFolder(out, overwrite=False).__enter__()
    assert not lock_path(out).exists()
    assert not staging_path(out).exists()


def test_out_through_a_link_writes_where_the_link_points(tmp_path: Path):
    real = tmp_path / "real"
    old_run(real)
    (tmp_path / "link").symlink_to(real)
    with OutputFolder(tmp_path / "link", overwrite=True) as folder:
        (folder.staging / "eval.yaml").write_text("new: true\n")
        folder.commit()
    assert (tmp_path / "link").is_symlink()
    assert (real / "eval.yaml").read_text() == "new: true\n"


@pytest.mark.parametrize("atomic_exchange", [True, False])
def test_a_folder_with_other_things_keeps_them(tmp_path: Path, monkeypatch, atomic_exchange):
    if not atomic_exchange:
        monkeypatch.setattr(run_folder, "_exchange", lambda a, b: False)
    out = tmp_path / "out"
    old_run(out)
    (out / "notes.txt").write_text("mine")
    (out / "other_run").mkdir()
    (out / "other_run/eval.yaml").write_text("other")
    with OutputFolder(out, overwrite=True) as folder:
        (folder.staging / "eval.yaml").write_text("new: true\n")
        (folder.staging / "report.md").write_text("new report")
        folder.commit()
    assert contents(out) == [
        ".fmbench/files.json",
        ".fmbench/journal/unit-a.json",
        "eval.yaml",
        "notes.txt",
        "other_run/eval.yaml",
        "report.md",
    ]
    assert (out / "eval.yaml").read_text() == "new: true\n"
    assert not staging_path(out).exists()
    # the next rewrite knows from files.json which entries were the run's
    with OutputFolder(out, overwrite=True) as folder:
        (folder.staging / "eval.yaml").write_text("newer: true\n")
        folder.commit()
    assert "report.md" not in contents(out) and "notes.txt" in contents(out)
