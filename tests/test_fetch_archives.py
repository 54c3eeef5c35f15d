"""Unpacking refuses archive members that would land outside the target folder."""

from __future__ import annotations

import io
import os
import stat
import tarfile
import zipfile
from pathlib import Path

import pytest

from fmbench.data.archives import archive_kind, safe_extract, unpacked_name
from fmbench.errors import DataError


def make_tar(path: Path, members: list[tarfile.TarInfo], data: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for info in members:
            payload = data.get(info.name)
            if payload is not None:
                info.size = len(payload)
                tar.addfile(info, io.BytesIO(payload))
            else:
                tar.addfile(info)
    return path


def file_member(name: str) -> tarfile.TarInfo:
    return tarfile.TarInfo(name)


def link_member(name: str, target: str, *, hard: bool = False) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.LNKTYPE if hard else tarfile.SYMTYPE
    info.linkname = target
    return info


def test_a_good_tar_is_unpacked(tmp_path: Path):
    archive = make_tar(
        tmp_path / "ok.tar.gz",
        [file_member("d/a.txt"), file_member("d/b.txt"), link_member("d/c", "a.txt")],
        {"d/a.txt": b"A", "d/b.txt": b"B"},
    )
    out = tmp_path / "out"
    written = safe_extract(archive, out)
    assert sorted(p.relative_to(out).as_posix() for p in written) == ["d/a.txt", "d/b.txt"]
    assert (out / "d" / "c").read_bytes() == b"A"  # a link inside the folder is fine


@pytest.mark.parametrize(
    ("member", "why"),
    [
        (file_member("../evil.txt"), "outside the target folder"),
        (file_member("d/../../evil.txt"), "outside the target folder"),
        (file_member("/tmp/evil.txt"), "absolute path"),
        (link_member("d/link", "../../outside"), "points outside"),
        (link_member("d/link", "/etc/passwd"), "points outside"),
        (link_member("d/hard", "/etc/passwd", hard=True), "hard link"),
    ],
)
def test_hostile_tar_members_are_refused(tmp_path: Path, member: tarfile.TarInfo, why: str):
    archive = make_tar(
        tmp_path / "bad.tar.gz",
        [file_member("d/ok.txt"), member],
        {"d/ok.txt": b"ok", member.name: b"evil"} if member.isfile() else {"d/ok.txt": b"ok"},
    )
    out = tmp_path / "sub" / "out"
    with pytest.raises(DataError, match=why):
        safe_extract(archive, out)
    assert not out.exists()  # nothing was written, not even the good member
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "sub" / "evil.txt").exists()
    assert not (tmp_path / "sub").exists()  # the checks run before any folder is made


def test_symlink_then_file_through_it_is_refused(tmp_path: Path):
    outside = tmp_path / "outside"
    outside.mkdir()
    # the link passes the lexical check only if its target normalises inside; here it
    # does not, so it is refused before the file member can be written through it
    archive = make_tar(
        tmp_path / "chain.tar.gz",
        [link_member("escape", "../outside"), file_member("escape/x.txt")],
        {"escape/x.txt": b"evil"},
    )
    with pytest.raises(DataError, match="points outside"):
        safe_extract(archive, tmp_path / "out")
    assert list(outside.iterdir()) == []


def test_device_members_are_refused(tmp_path: Path):
    info = tarfile.TarInfo("dev/null")
    info.type = tarfile.CHRTYPE
    archive = make_tar(tmp_path / "dev.tar.gz", [info], {})
    with pytest.raises(DataError, match="device"):
        safe_extract(archive, tmp_path / "out")


def make_zip(path: Path, entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, payload in entries:
            zf.writestr(name, payload)
    return path


def test_zip_with_dotdot_is_refused(tmp_path: Path):
    archive = make_zip(tmp_path / "bad.zip", [("ok.txt", b"ok"), ("../evil.txt", b"evil")])
    with pytest.raises(DataError, match="outside the target folder"):
        safe_extract(archive, tmp_path / "out")
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "out").exists()


def test_zip_with_absolute_path_and_symlink_are_refused(tmp_path: Path):
    archive = make_zip(tmp_path / "abs.zip", [("/etc/evil", b"x")])
    with pytest.raises(DataError, match="absolute path"):
        safe_extract(archive, tmp_path / "out")
    link = zipfile.ZipInfo("link")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    archive = make_zip(tmp_path / "link.zip", [(link, b"/etc/passwd")])
    with pytest.raises(DataError, match="symbolic link"):
        safe_extract(archive, tmp_path / "out")


def test_zip_members_selection(tmp_path: Path):
    archive = make_zip(
        tmp_path / "m.zip", [("keep/a.txt", b"a"), ("keep/b.txt", b"b"), ("drop.txt", b"d")]
    )
    out = tmp_path / "out"
    safe_extract(archive, out, members=["keep"])
    assert sorted(p.name for p in out.rglob("*.txt")) == ["a.txt", "b.txt"]
    with pytest.raises(DataError, match="no member 'missing.txt'"):
        safe_extract(archive, tmp_path / "out2", members=["missing.txt"])


def test_unpacking_replaces_a_previous_folder_atomically(tmp_path: Path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "stale.txt").write_text("old")
    safe_extract(make_zip(tmp_path / "n.zip", [("new.txt", b"n")]), out)
    assert sorted(os.listdir(out)) == ["new.txt"]


def test_not_an_archive(tmp_path: Path):
    (tmp_path / "x.zip").write_bytes(b"not a zip")
    with pytest.raises(DataError, match="cannot unpack"):
        safe_extract(tmp_path / "x.zip", tmp_path / "out")
    with pytest.raises(DataError, match="not a zip or tar"):
        safe_extract(tmp_path / "x.h5ad", tmp_path / "out")


def test_names():
    assert archive_kind("a.TGZ") == "tar" and archive_kind("a.npy") is None
    assert unpacked_name("a.tar.xz") == "a" and unpacked_name("a.bin") == "a.bin.d"
