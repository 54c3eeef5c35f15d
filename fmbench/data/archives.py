"""Unpacking downloaded archives without letting any member escape the target folder.

Every member is checked before anything is written: absolute paths, ``..`` parts, links
whose target lies outside the folder, hard links, device files and zip symlinks are
refused with a :class:`~fmbench.errors.DataError` that names the archive and the member.
Members are then written one by one (never ``extractall``), each final path checked again
after resolving links, into a temporary folder that is renamed into place when complete.

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

import os
import shutil
import stat
import tarfile
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path, PurePosixPath
from typing import IO

from fmbench.errors import DataError

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


def _check_link(archive: Path, root: Path, parts: tuple[str, ...], target: str) -> None:
    where = os.path.join(str(root), *parts[:-1])
    if target.startswith("/") or not _inside(root, os.path.join(where, target)):
        raise DataError(
            f"refusing to unpack {archive.name}: link {'/'.join(parts)!r} points outside "
            f"the target folder ({target!r})"
        )


def _write(root: Path, parts: tuple[str, ...], chunks: Iterable[bytes], archive: Path) -> Path:
    target = root.joinpath(*parts)
    target.parent.mkdir(parents=True, exist_ok=True)
    # a link unpacked earlier could redirect the write: check the real path too
    if not _inside(Path(os.path.realpath(root)), os.path.realpath(target.parent)):
        raise DataError(
            f"refusing to unpack {archive.name}: member {'/'.join(parts)!r} resolves outside "
            "the target folder"
        )
    if target.is_symlink():
        raise DataError(
            f"refusing to unpack {archive.name}: member {'/'.join(parts)!r} would write "
            "through a link"
        )
    with open(target, "wb") as handle:
        for chunk in chunks:
            handle.write(chunk)
    return target


def _extract_tar(archive: Path, root: Path, members: Sequence[str]) -> list[Path]:
    written: list[Path] = []
    with tarfile.open(archive) as tar:
        plan: list[tuple[tarfile.TarInfo, tuple[str, ...]]] = []
        for info in tar.getmembers():
            parts = _member_parts(archive, info.name)
            if not parts or not _selected(parts, members):
                continue
            if info.issym():
                _check_link(archive, root, parts, info.linkname)
            elif info.islnk():
                raise DataError(
                    f"refusing to unpack {archive.name}: hard link {info.name!r} (not supported)"
                )
            elif not (info.isfile() or info.isdir()):
                raise DataError(
                    f"refusing to unpack {archive.name}: member {info.name!r} is a device, "
                    "fifo or other special file"
                )
            plan.append((info, parts))
        _check_members_found(archive, [p for _, p in plan], members)
        for info, parts in plan:
            target = root.joinpath(*parts)
            if info.isdir():
                target.mkdir(parents=True, exist_ok=True)
            elif info.issym():
                target.parent.mkdir(parents=True, exist_ok=True)
                os.symlink(info.linkname, target)
            else:
                handle = tar.extractfile(info)
                if handle is None:  # pragma: no cover - isfile() members always have data
                    continue
                with handle:
                    written.append(_write(root, parts, _chunks(handle), archive))
    return written


def _extract_zip(archive: Path, root: Path, members: Sequence[str]) -> list[Path]:
    written: list[Path] = []
    with zipfile.ZipFile(archive) as zf:
        plan: list[tuple[zipfile.ZipInfo, tuple[str, ...]]] = []
        for info in zf.infolist():
            parts = _member_parts(archive, info.filename)
            if not parts or not _selected(parts, members):
                continue
            if stat.S_ISLNK(info.external_attr >> 16):
                raise DataError(
                    f"refusing to unpack {archive.name}: member {info.filename!r} is a "
                    "symbolic link"
                )
            plan.append((info, parts))
        _check_members_found(archive, [p for _, p in plan], members)
        for info, parts in plan:
            if info.is_dir():
                root.joinpath(*parts).mkdir(parents=True, exist_ok=True)
                continue
            with zf.open(info) as handle:
                written.append(_write(root, parts, _chunks(handle), archive))
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
    archive, dest = Path(archive), Path(dest)
    kind = kind or archive_kind(archive)
    if kind not in ("zip", "tar"):
        raise DataError(f"{archive.name}: not a zip or tar archive (set extract='zip'|'tar')")
    tmp = dest.with_name(f".{dest.name}.unpacking-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        if kind == "tar":
            written = _extract_tar(archive, tmp, members)
        else:
            written = _extract_zip(archive, tmp, members)
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError) as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise DataError(f"cannot unpack {archive}: {exc}") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if dest.exists():
        shutil.rmtree(dest)
    os.replace(tmp, dest)
    return [dest / p.relative_to(tmp) for p in written]
