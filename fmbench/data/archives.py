"""Unpacking downloaded archives without letting any member escape the target folder.

Before anything is written, the members are laid out in memory as the tree they would make
(folders, files and symbolic links), and every member's path and every link's target is
resolved through that tree, links and chains of links included, the way the operating system
would. A member or link that resolves outside the folder, an absolute path, a hard link, a
device or fifo, a zip symlink, or a member that would replace another of a different kind is
refused with a :class:`~fmbench.errors.DataError` naming the archive and the member; nothing is
written then. Otherwise folders and files are written at their resolved places first and the
links last, so no write ever goes through a link, into a temporary folder that is renamed
into place when complete.

The standard library's ``tarfile`` extraction filter (``filter="data"``) is not used: it
checks each member against what is already on disk (``os.path.realpath``) at the moment it is
extracted, so its verdict depends on the members before it, and it has had bypasses fixed
only in later patch releases of Python (CVE-2025-4517 and others, gh-135034).

Example:
    >>> import io, tarfile, tempfile, pathlib
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> with tarfile.open(tmp / "a.tar", "w") as tar:
    ...     info = tarfile.TarInfo("data/x.txt"); info.size = 2
    ...     tar.addfile(info, io.BytesIO(b"hi"))
    >>> [p.name for p in safe_extract(tmp / "a.tar", tmp / "out")]
    ['x.txt']
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import zipfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path, PurePosixPath
from typing import IO, TYPE_CHECKING, Any

from fmbench.errors import DataError

if TYPE_CHECKING:
    import tarfile

__all__ = ["archive_kind", "safe_extract", "unpacked_name"]

_TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")
_CHUNK = 1 << 20


def archive_kind(path: str | Path) -> str | None:
    """``"zip"``, ``"tar"`` or None, from the file name.

    Example:
        >>> archive_kind("x.tar.gz"), archive_kind("x.zip"), archive_kind("x.h5ad")
        ('tar', 'zip', None)
    """
    name = str(path).lower()
    if name.endswith(".zip"):
        return "zip"
    if name.endswith(_TAR_SUFFIXES):
        return "tar"
    return None


def unpacked_name(filename: str) -> str:
    """The folder name an archive is unpacked into: its name without the archive suffix.

    Example:
        >>> unpacked_name("pbmc3k_filtered_gene_bc_matrices.tar.gz")
        'pbmc3k_filtered_gene_bc_matrices'
    """
    lowered = filename.lower()
    for suffix in (".zip", *_TAR_SUFFIXES):
        if lowered.endswith(suffix) and len(filename) > len(suffix):
            return filename[: -len(suffix)]
    return filename + ".d"


def _member_parts(archive: Path, name: str) -> tuple[str, ...]:
    """The member's path parts; refuses absolute paths and ``..``."""
    text = name.replace("\\", "/")
    if text.startswith("/") or (len(text) > 1 and text[1] == ":"):
        raise DataError(f"refusing to unpack {archive.name}: member {name!r} has an absolute path")
    parts = tuple(p for p in PurePosixPath(text).parts if p not in ("", "."))
    if ".." in parts:
        raise DataError(
            f"refusing to unpack {archive.name}: member {name!r} would be written outside "
            "the target folder ('..')"
        )
    return parts


def _chunks(handle: IO[bytes]) -> Iterator[bytes]:
    while chunk := handle.read(_CHUNK):
        yield chunk


def _inside(root: Path, candidate: str) -> bool:
    root_text = os.path.normpath(str(root))
    normal = os.path.normpath(candidate)
    return normal == root_text or normal.startswith(root_text + os.sep)


def _selected(parts: tuple[str, ...], wanted: Sequence[str]) -> bool:
    if not wanted:
        return True
    name = "/".join(parts)
    return any(name == w.strip("/") or name.startswith(w.strip("/") + "/") for w in wanted)


#: Links followed while resolving one path before it is refused as a loop (Linux: 40).
_MAX_LINKS = 40


class _Node:
    """A folder, file or symbolic link of the tree an archive would make."""

    __slots__ = ("children", "kind", "member", "payload", "target")

    def __init__(self, kind: str, member: str, *, target: str = "", payload: object = None):
        self.kind = kind  # "dir", "file" or "link"
        self.member = member
        self.target = target
        self.payload = payload
        self.children: dict[str, _Node] = {}


class _Escape(Exception):
    """A link's target resolves outside the target folder, or cannot be followed safely."""

    def describe(self, link: _Node) -> str:
        why = str(self)
        where = (
            "cannot be followed"
            if why.startswith("through")
            else "points outside the target folder"
        )
        return f"{where} ({link.target!r} leads {why})"


class _Layout:
    """The tree of an archive's members, built in memory before anything is written.

    Paths are resolved the way the operating system resolves them (``..`` after a link goes
    up from the link's target), so a chain such as ``d -> .``, ``e -> d/d/../..`` is seen
    for what it is. Every path kept is *canonical*: a tuple of names from the target folder
    that passes through folders only, never through a link.
    """

    def __init__(self, archive: Path) -> None:
        self.archive = archive
        self.root = _Node("dir", "")
        self.links: list[tuple[tuple[str, ...], _Node]] = []

    def refuse(self, text: str) -> DataError:
        return DataError(f"refusing to unpack {self.archive.name}: {text}")

    def node(self, path: tuple[str, ...]) -> _Node | None:
        node: _Node | None = self.root
        for name in path:
            node = node.children.get(name) if node is not None else None
        return node

    def resolve(
        self, folder: tuple[str, ...], target: str, followed: list[int] | None = None
    ) -> tuple[str, ...]:
        """The canonical path that ``target`` (a link's text) names, read from ``folder``.

        ``followed`` counts the links followed for one lookup (the system's limit is 40), so
        a loop or a fan of links pointing at links is refused instead of followed for ever.
        """
        if target.startswith("/") or "\\" in target or (len(target) > 1 and target[1] == ":"):
            raise _Escape("to an absolute or Windows path")
        followed = [0] if followed is None else followed
        stack = list(folder)
        missing = False  # below a name the archive does not hold: read as plain text
        names = [n for n in target.split("/") if n not in ("", ".")]
        for name in names:
            if name == "..":
                if not stack:
                    raise _Escape("above the target folder")
                if not missing and (end := self.node(tuple(stack))) and end.kind == "file":
                    raise _Escape(f"through the file {'/'.join(stack)!r}")
                stack.pop()
                missing = self.node(tuple(stack)) is None
                continue
            current = None if missing else self.node(tuple(stack))
            if current is not None and current.kind == "file":
                raise _Escape(f"through the file {'/'.join(stack)!r}")
            child = None if current is None else current.children.get(name)
            if child is None:
                missing = True
                stack.append(name)
            elif child.kind == "link":
                followed[0] += 1
                if followed[0] > _MAX_LINKS:
                    raise _Escape(f"through more than {_MAX_LINKS} links (a loop?)")
                stack = list(self.resolve(tuple(stack), child.target, followed))
                missing = self.node(tuple(stack)) is None
            else:
                stack.append(name)
        return tuple(stack)

    def folder_of(self, parts: tuple[str, ...], member: str) -> tuple[str, ...]:
        """The canonical folder a member goes into; missing folders are added (``mkdir -p``)."""
        stack: list[str] = []
        for depth, name in enumerate(parts):
            current = self.node(tuple(stack))
            assert current is not None  # the stack names folders only
            child = current.children.get(name)
            if child is None:
                current.children[name] = _Node("dir", "/".join(parts[: depth + 1]))
                stack.append(name)
            elif child.kind == "dir":
                stack.append(name)
            elif child.kind == "file":
                raise self.refuse(f"member {member!r} lies under the file {child.member!r}")
            else:
                try:
                    stack = list(self.resolve(tuple(stack), child.target))
                except _Escape as exc:
                    raise self.refuse(
                        f"member {member!r} goes through the link {child.member!r}, which "
                        f"{exc.describe(child)}"
                    ) from None
                end = self.node(tuple(stack))
                if end is None or end.kind != "dir":
                    raise self.refuse(
                        f"member {member!r} goes through the link {child.member!r}, whose "
                        f"target {child.target!r} is not a folder of the archive"
                    )
        return tuple(stack)

    def add(self, parts: tuple[str, ...], kind: str, member: str, **fields: object) -> None:
        """Place one member (a later file of the same name replaces an earlier one)."""
        folder = self.folder_of(parts[:-1], member)
        parent = self.node(folder)
        assert parent is not None
        name = parts[-1]
        earlier = parent.children.get(name)
        node = _Node(kind, member, **fields)  # type: ignore[arg-type]
        if earlier is None or (earlier.kind == kind == "file"):
            parent.children[name] = node
        elif not (earlier.kind == kind == "dir"):
            raise self.refuse(
                f"member {member!r} would replace the {earlier.kind} {earlier.member!r}; "
                "an archive that overwrites its own members is not unpacked"
            )
        if kind == "link":
            self.links.append(((*folder, name), node))

    def check_links(self) -> None:
        """Every link, followed to its end through the finished tree, stays inside."""
        for path, link in self.links:
            try:
                self.resolve(path[:-1], link.target)
            except _Escape as exc:
                raise self.refuse(f"link {link.member!r} {exc.describe(link)}") from None

    def entries(self) -> Iterator[tuple[tuple[str, ...], _Node]]:
        """Every folder and file (parents first) and then every link, by canonical path."""
        links: list[tuple[tuple[str, ...], _Node]] = []
        pending: deque[tuple[tuple[str, ...], _Node]] = deque([((), self.root)])
        while pending:
            path, node = pending.popleft()
            for name, child in node.children.items():
                if child.kind == "link":
                    links.append(((*path, name), child))
                else:
                    yield (*path, name), child
                    pending.append(((*path, name), child))
        yield from links


def _write(root: Path, parts: tuple[str, ...], chunks: Iterable[bytes], archive: Path) -> Path:
    target = root.joinpath(*parts)
    # links are made last, so none can redirect a write; checked on disk all the same
    if not _inside(Path(os.path.realpath(root)), os.path.realpath(target.parent)) or (
        target.is_symlink()
    ):
        raise DataError(
            f"refusing to unpack {archive.name}: member {'/'.join(parts)!r} resolves outside "
            "the target folder"
        )
    with open(target, "wb") as handle:
        for chunk in chunks:
            handle.write(chunk)
    return target


def _tar_layout(archive: Path, tar: tarfile.TarFile, members: Sequence[str]) -> _Layout:
    layout = _Layout(archive)
    found: list[tuple[str, ...]] = []
    for info in tar.getmembers():
        parts = _member_parts(archive, info.name)
        if not parts or not _selected(parts, members):
            continue
        found.append(parts)
        if info.issym():
            layout.add(parts, "link", info.name, target=info.linkname)
        elif info.islnk():
            raise layout.refuse(
                f"hard link {info.name!r} (to {info.linkname!r}): hard links are not unpacked"
            )
        elif info.isdir():
            layout.add(parts, "dir", info.name)
        elif info.isfile():
            layout.add(parts, "file", info.name, payload=info)
        else:
            raise layout.refuse(f"member {info.name!r} is a device, fifo or other special file")
    _check_members_found(archive, found, members)
    layout.check_links()
    return layout


def _zip_layout(archive: Path, zf: zipfile.ZipFile, members: Sequence[str]) -> _Layout:
    layout = _Layout(archive)
    found: list[tuple[str, ...]] = []
    for info in zf.infolist():
        parts = _member_parts(archive, info.filename)
        if not parts or not _selected(parts, members):
            continue
        found.append(parts)
        if stat.S_ISLNK(info.external_attr >> 16):
            # no data format read here keeps links in a zip; Python would write the link's
            # text as a file, and other unzip tools would follow it
            raise layout.refuse(f"member {info.filename!r} is a symbolic link")
        layout.add(parts, "dir" if info.is_dir() else "file", info.filename, payload=info)
    _check_members_found(archive, found, members)
    return layout


def _unpack(
    archive: Path, root: Path, layout: _Layout, opener: Callable[[Any], IO[bytes] | None]
) -> list[Path]:
    written: list[Path] = []
    for parts, node in layout.entries():
        target = root.joinpath(*parts)
        if node.kind == "dir":
            target.mkdir()
        elif node.kind == "file":
            handle = opener(node.payload)
            if handle is None:  # pragma: no cover - file members always have data
                continue
            with handle:
                written.append(_write(root, parts, _chunks(handle), archive))
        else:
            os.symlink(node.target, target)
    return written


def _check_members_found(
    archive: Path, found: list[tuple[str, ...]], members: Sequence[str]
) -> None:
    for wanted in members:
        if not any(_selected(parts, [wanted]) for parts in found):
            raise DataError(f"{archive.name} has no member {wanted!r}")


def safe_extract(
    archive: str | Path,
    dest: str | Path,
    *,
    kind: str | None = None,
    members: Sequence[str] = (),
) -> list[Path]:
    """Unpack ``archive`` into the folder ``dest``; return the files written.

    Args:
        archive: a zip or tar file (tar may be gzip/bzip2/xz compressed).
        dest: the target folder; replaced as a whole once the archive is fully unpacked.
        kind: ``"zip"`` or ``"tar"``; guessed from the file name when None.
        members: only these members (a name, or a folder prefix); all when empty.

    Raises:
        DataError: a member would escape ``dest``, or the archive is unreadable.
    """
    import tarfile  # here: importing fmbench.data (e.g. for a run) needs no tar support

    archive, dest = Path(archive), Path(dest)
    kind = kind or archive_kind(archive)
    if kind not in ("zip", "tar"):
        raise DataError(f"{archive.name}: not a zip or tar archive (set extract='zip'|'tar')")
    try:
        with contextlib.ExitStack() as stack:
            # every member is placed and checked in memory before anything is written
            if kind == "tar":
                tar = stack.enter_context(tarfile.open(archive))
                layout = _tar_layout(archive, tar, members)
                opener: Callable[[Any], IO[bytes] | None] = tar.extractfile
            else:
                zf = stack.enter_context(zipfile.ZipFile(archive))
                layout = _zip_layout(archive, zf, members)
                opener = zf.open
            tmp = dest.with_name(f".{dest.name}.unpacking-{os.getpid()}")
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            try:
                written = _unpack(archive, tmp, layout, opener)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError) as exc:
        raise DataError(f"cannot unpack {archive}: {exc}") from None
    if dest.exists():
        shutil.rmtree(dest)
    os.replace(tmp, dest)
    return [dest / p.relative_to(tmp) for p in written]
