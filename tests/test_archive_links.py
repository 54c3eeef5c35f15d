"""Links in archives are resolved through the whole tree of members before anything is written.

Issue #21 F5: a tar with chained symlinks (``d -> .``, ``e -> d/d/.../../..``,
``f -> e/etc/passwd``) used to unpack with exit 0, leaving links that resolve outside the
cache, and a folder member under ``e/`` created a folder outside it. Each case here asserts
that the archive is refused with one line naming the member and that nothing at all is
written: the listing of the folder around the destination is the same before and after.
"""

from __future__ import annotations

import io
import os
import stat
import tarfile
import uuid
import zipfile
from pathlib import Path

import pytest

from fmbench.data.archives import safe_extract
from fmbench.errors import DataError

CHAIN = "d/d/d/d/d/d/d/d/../../../../../../../.."


def symlink(name: str, target: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.SYMTYPE
    info.linkname = target
    return info


def hardlink(name: str, target: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.LNKTYPE
    info.linkname = target
    return info


def folder(name: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE
    return info


def regular(name: str, data: bytes = b"x") -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def make_tar(path: Path, members: list[tarfile.TarInfo | tuple[tarfile.TarInfo, bytes]]) -> Path:
    with tarfile.open(path, "w") as tar:
        for member in members:
            if isinstance(member, tuple):
                tar.addfile(member[0], io.BytesIO(member[1]))
            else:
                tar.addfile(member)
    return path


def listing(top: Path) -> list[str]:
    """Every path under ``top`` (links not followed), with its kind."""
    found = []
    for here, dirs, files in os.walk(top):
        for name in dirs + files:
            path = Path(here) / name
            kind = "link" if path.is_symlink() else "dir" if path.is_dir() else "file"
            found.append(f"{kind} {path.relative_to(top).as_posix()}")
    return sorted(found)


@pytest.fixture
def place(tmp_path: Path) -> tuple[Path, Path]:
    """(archives folder, destination): the destination's parent holds a bystander file."""
    archives = tmp_path / "archives"
    archives.mkdir()
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "bystander.txt").write_text("keep")
    return archives, cache / "data"


def refused(archive: Path, dest: Path, *, member: str, why: str) -> str:
    """Unpack, expect a refusal naming ``member``; assert that nothing was written."""
    top = dest.parent.parent
    before = listing(top)
    with pytest.raises(DataError) as caught:
        safe_extract(archive, dest)
    message = str(caught.value)
    assert "\n" not in message
    assert f"{member!r}" in message, message
    assert why in message, message
    assert listing(top) == before
    return message


def test_the_f5_chain_is_refused_and_nothing_is_written(place: tuple[Path, Path]):
    archives, dest = place
    outside = f"fmbench-f5-{uuid.uuid4().hex}"  # where e/<this> would land: near /
    archive = make_tar(
        archives / "chain.tar",
        [
            symlink("d", "."),
            symlink("e", CHAIN),
            symlink("f", "e/etc/passwd"),
            folder(f"e/{outside}"),
        ],
    )
    message = refused(archive, dest, member=f"e/{outside}", why="points outside the target folder")
    assert "goes through the link 'e'" in message
    assert not (Path("/") / outside).exists()
    assert (
        not Path(
            os.path.normpath(
                dest / "d/d/d/d/d/d/d/d/../../../../../../../..",
            )
        )
        .joinpath(outside)
        .exists()
    )


def test_the_f5_links_alone_are_refused(place: tuple[Path, Path]):
    archives, dest = place
    archive = make_tar(
        archives / "links.tar",
        [symlink("d", "."), symlink("e", CHAIN), symlink("f", "e/etc/passwd")],
    )
    refused(archive, dest, member="e", why="points outside the target folder")


def test_a_link_through_an_escaping_link_is_refused_by_its_own_name(place: tuple[Path, Path]):
    archives, dest = place
    # f comes first in the archive; it escapes only through e, which is defined after it
    archive = make_tar(
        archives / "late.tar",
        [symlink("f", "e/etc/passwd"), symlink("d", "."), symlink("e", CHAIN)],
    )
    refused(archive, dest, member="f", why="points outside the target folder")


@pytest.mark.parametrize(
    ("members", "member", "why"),
    [
        ([symlink("abs", "/etc")], "abs", "absolute"),
        ([symlink("abs", "/etc"), regular("abs/passwd")], "abs/passwd", "absolute"),
        ([symlink("win", "..\\..\\x")], "win", "absolute or Windows path"),
        ([symlink("a", "b"), symlink("b", "../..")], "a", "points outside"),
        ([symlink("a", "b"), symlink("b", "a")], "a", "cannot be followed"),
        ([symlink("up", "sub/../.."), folder("sub")], "up", "points outside"),
        ([symlink("dang", "missing/../../x")], "dang", "points outside"),
        ([symlink("l", ".."), regular("l/evil.txt")], "l/evil.txt", "points outside"),
        ([hardlink("h", "/etc/passwd")], "h", "hard link"),
        ([regular("a.txt"), hardlink("h", "a.txt")], "h", "hard link"),
        ([folder("x"), symlink("x", "..")], "x", "would replace the dir"),
        ([regular("x"), regular("x/y")], "x/y", "lies under the file"),
        ([regular("f"), symlink("l", "f/../../..")], "l", "through the file"),
    ],
)
def test_hostile_links_are_refused_before_anything_is_written(
    place: tuple[Path, Path], members: list, member: str, why: str
):
    archives, dest = place
    archive = make_tar(archives / "bad.tar", [regular("ok.txt", b"ok"), *members])
    refused(archive, dest, member=member, why=why)


def test_a_fan_of_links_is_refused_without_following_it_exponentially(place: tuple[Path, Path]):
    archives, dest = place
    fan = [symlink("l0", ".")]
    fan += [symlink(f"l{i}", f"l{i - 1}/l{i - 1}") for i in range(1, 60)]
    refused(make_tar(archives / "fan.tar", fan), dest, member="l5", why="more than 40 links")


def test_links_that_stay_inside_are_unpacked(place: tuple[Path, Path]):
    archives, dest = place
    archive = make_tar(
        archives / "good.tar",
        [
            symlink("d", "."),
            folder("sub"),
            regular("sub/x.txt", b"X"),
            symlink("g", "d/d/sub"),
            symlink("h", "g/x.txt"),
            symlink("up", "sub/../sub/x.txt"),
            symlink("dangling", "not/there"),
            regular("g/y.txt", b"Y"),  # through a link: written at its real place, sub/y.txt
        ],
    )
    written = safe_extract(archive, dest)
    assert sorted(p.relative_to(dest).as_posix() for p in written) == ["sub/x.txt", "sub/y.txt"]
    assert (dest / "h").read_bytes() == b"X"
    assert (dest / "up").read_bytes() == b"X"
    assert (dest / "g" / "y.txt").read_bytes() == b"Y"
    assert os.readlink(dest / "dangling") == "not/there"
    real = os.path.realpath(dest)
    for path in dest.rglob("*"):
        assert os.path.commonpath([real, os.path.realpath(path)]) == real


def test_a_later_file_of_the_same_name_replaces_the_earlier_one(place: tuple[Path, Path]):
    archives, dest = place
    archive = make_tar(archives / "twice.tar", [regular("a.txt", b"1"), regular("a.txt", b"2")])
    safe_extract(archive, dest)
    assert (dest / "a.txt").read_bytes() == b"2"


def zip_link(name: str, target: str) -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info, target.encode()


@pytest.mark.parametrize(
    ("entries", "member", "why"),
    [
        ([zip_link("d", "."), zip_link("e", CHAIN), ("e/x.txt", b"x")], "d", "symbolic link"),
        ([zip_link("link", "/etc"), ("link/passwd", b"x")], "link", "symbolic link"),
        ([("x", b"file"), ("x/y.txt", b"y")], "x/y.txt", "lies under the file"),
        ([("x/", b""), ("x", b"file")], "x", "would replace the dir"),
    ],
)
def test_hostile_zips_are_refused_before_anything_is_written(
    place: tuple[Path, Path], entries: list, member: str, why: str
):
    archives, dest = place
    with zipfile.ZipFile(archives / "bad.zip", "w") as zf:
        zf.writestr("ok.txt", b"ok")
        for name, payload in entries:
            zf.writestr(name, payload)
    refused(archives / "bad.zip", dest, member=member, why=why)


def test_the_f5_chain_is_refused_by_a_dataset_fetch(tmp_path: Path, monkeypatch):
    """The data cache's own path (``fetch_dataset`` of a declared tar source) refuses it too."""
    import hashlib

    from fmbench.data import fetch
    from fmbench.plugin_system.specs import DatasetSpec, Source

    cache = tmp_path / "cache"
    monkeypatch.setenv("FMBENCH_DATA", str(cache))
    monkeypatch.setenv("FMBENCH_OFFLINE", "1")  # the archive is placed by hand: no network
    archive = make_tar(
        tmp_path / "chain.tar",
        [symlink("d", "."), symlink("e", CHAIN), symlink("f", "e/etc/passwd"), folder("e/x")],
    )
    source = Source(
        url="https://data.example.org/chain.tar",
        hash=hashlib.sha256(archive.read_bytes()).hexdigest(),
        extract="tar",
    )
    spec = DatasetSpec(
        name="DS-CHAIN",
        summary="t",
        load="fmbench.data.dataset:load_array_folder",
        sources=(source,),
    )
    placed = fetch.source_path(spec, source)
    placed.parent.mkdir(parents=True)
    placed.write_bytes(archive.read_bytes())
    before = listing(tmp_path)
    with pytest.raises(DataError, match="'e/x' goes through the link 'e'"):
        fetch.fetch_dataset(spec, progress=False)
    after = [p for p in listing(tmp_path) if not p.endswith(".fmbench-ok")]
    assert after == before  # only the download's verification stamp may be new
