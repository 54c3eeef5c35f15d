"""Files inside published wheels: downloaded with pip, one member taken out safely.

Many packages on the index ship real data inside their wheels (scanpy's reduced PBMC 68k,
nilearn's MNI152 template, pyvcf3's 1000 Genomes excerpt). A :class:`~fmbench.specs.Source`
with ``wheel="name==version"`` and ``member="path/in/wheel"`` names such a file;
:func:`fmbench.fetch.fetch_wheel_member` puts it into the cache. This module does the two
steps underneath:

- :func:`download_wheel` runs the ordinary pip client, ``python -m pip download --no-deps
  --only-binary=:all: --dest DIR 'name==version'`` (with ``--require-hashes`` and a
  requirements file when the wheel's sha256 is declared), so pip's own settings apply:
  ``PIP_INDEX_URL`` (a mirror), ``PIP_FIND_LINKS`` (a folder of wheels), ``PIP_NO_INDEX``.
- :func:`extract_member` copies one member out of the wheel (a zip file) into a file
  chosen by the caller, hashing it on the way. The member's name never decides where
  anything is written; names with ``..`` or absolute paths, links, folders and members
  larger than the size bound are refused.

Example:
    >>> import io, zipfile, tempfile, pathlib
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> with zipfile.ZipFile(tmp / "demo-1.0-py3-none-any.whl", "w") as zf:
    ...     zf.writestr("demo/data/x.txt", b"hello")
    >>> extract_member(tmp / "demo-1.0-py3-none-any.whl", "demo/data/x.txt", tmp / "x.txt")[:12]
    '2cf24dba5fb0'
    >>> (tmp / "x.txt").read_bytes()
    b'hello'
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
import stat
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from fmbench.errors import DataError
from fmbench.specs import WHEEL_REQUIREMENT, check_member_path

__all__ = [
    "MAX_MEMBER_BYTES",
    "cached_wheel",
    "canonical_name",
    "download_wheel",
    "extract_member",
    "pip_download_command",
    "split_requirement",
]

#: The largest member taken out of a wheel (4 GiB): a bound against zip bombs.
MAX_MEMBER_BYTES = 4 << 30

_CHUNK = 1 << 20


def split_requirement(requirement: str) -> tuple[str, str]:
    """``"name==version"`` -> ``(name, version)``.

    Example:
        >>> split_requirement("scanpy==1.11.5")
        ('scanpy', '1.11.5')

    Raises:
        DataError: not an exact pin.
    """
    match = WHEEL_REQUIREMENT.match(requirement.strip())
    if not match:
        raise DataError(
            f"wheel requirement {requirement!r} must pin one release as 'name==version' "
            "(e.g. 'scanpy==1.11.5')"
        )
    return match.group(1), match.group(2)


def canonical_name(name: str) -> str:
    """PEP 503's normal form of a distribution name.

    Example:
        >>> canonical_name("PyVCF3"), canonical_name("zope.interface")
        ('pyvcf3', 'zope-interface')
    """
    return re.sub(r"[-_.]+", "-", name).lower()


def cached_wheel(folder: Path, requirement: str) -> Path | None:
    """The wheel of ``requirement`` already in ``folder`` (by its file name), or None."""
    name, version = split_requirement(requirement)
    if not folder.is_dir():
        return None
    for path in sorted(folder.glob("*.whl")):
        parts = path.name[: -len(".whl")].split("-")
        wanted = canonical_name(parts[0]) == canonical_name(name) and parts[1:2] == [version]
        if len(parts) >= 5 and wanted:
            return path
    return None


def pip_download_command(
    requirement: str, dest: Path, *, requirements_file: Path | None = None, quiet: bool = True
) -> list[str]:
    """The pip command line that downloads ``requirement``'s wheel into ``dest``.

    Example:
        >>> import pathlib
        >>> command = pip_download_command("scanpy==1.11.5", pathlib.Path("w"))
        >>> " ".join(command[1:6]), command[-1]
        ('-m pip download --no-deps --only-binary=:all:', 'scanpy==1.11.5')
    """
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        "--dest",
        str(dest),
    ]
    if quiet:
        command.append("-q")
    if requirements_file is not None:
        return [*command, "--require-hashes", "-r", str(requirements_file)]
    name, version = split_requirement(requirement)
    return [*command, f"{name}=={version}"]


def _pip_failure(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("ERROR")]
    picked = errors or lines[-3:]
    return " | ".join(picked)[-600:] if picked else "no output"


def download_wheel(
    requirement: str,
    folder: Path,
    *,
    wheel_sha256: str | None = None,
    progress: bool = True,
    what: str = "",
) -> Path:
    """Download ``requirement``'s wheel into ``folder`` with pip; return its path.

    ``wheel_sha256`` (hex, or ``"sha256:<hex>"``): pip runs with ``--require-hashes`` and
    refuses any other file. With ``progress`` and a terminal, pip draws its own bar.

    Raises:
        DataError: pip is missing, fails (its error line is quoted) or yields no wheel.
    """
    name, version = split_requirement(requirement)
    label = f"{what}: " if what else ""
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".pip-download-", dir=folder) as tmp_name:
        tmp = Path(tmp_name)
        requirements = None
        if wheel_sha256 is not None:
            digest = wheel_sha256.split(":", 1)[-1]
            requirements = tmp / "requirements.txt"
            requirements.write_text(f"{name}=={version} --hash=sha256:{digest}\n")
        target = tmp / "wheel"
        interactive = progress and sys.stderr.isatty()
        command = pip_download_command(
            requirement, target, requirements_file=requirements, quiet=not interactive
        )
        if progress:
            print(f"[fmbench] {label}downloading {name}=={version} with pip", file=sys.stderr)
        try:
            # an argument list (no shell) of a validated 'name==version' and our own paths
            done = subprocess.run(  # noqa: S603
                command,
                stdout=sys.stderr if interactive else subprocess.PIPE,
                stderr=None if interactive else subprocess.STDOUT,
                text=True,
                check=False,
                env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
            )
        except OSError as exc:
            raise DataError(f"{label}cannot run pip ({exc}); is pip installed?") from None
        if done.returncode != 0:
            detail = "its output is above" if interactive else _pip_failure(done.stdout or "")
            if "No module named pip" in (done.stdout or ""):
                detail = "pip is not installed in this Python; run `python -m ensurepip`"
            raise DataError(
                f"{label}`pip download {name}=={version}` failed (exit {done.returncode}): "
                f"{detail}. pip reads PIP_INDEX_URL / PIP_FIND_LINKS / PIP_NO_INDEX: point it "
                "at a mirror or a folder holding the wheel"
            )
        found = cached_wheel(target, requirement)
        if found is None:
            got = ", ".join(p.name for p in sorted(target.glob("*"))) or "nothing"
            raise DataError(
                f"{label}`pip download {name}=={version}` gave no wheel of that release "
                f"(got {got}); only wheels are used, never source archives"
            )
        final = folder / found.name
        os.replace(found, final)
    return final


def _suggest_members(names: list[str], member: str) -> str:
    close = difflib.get_close_matches(member, names, n=3, cutoff=0.6)
    if close:
        return "; closest: " + ", ".join(close)
    folder = member.rsplit("/", 1)[0] + "/" if "/" in member else ""
    inside = [n for n in names if folder and n.startswith(folder) and not n.endswith("/")]
    return f"; files in {folder}: " + ", ".join(inside[:8]) if inside else ""


def extract_member(
    wheel: Path,
    member: str,
    target: Path,
    *,
    algorithm: str = "sha256",
    max_bytes: int = MAX_MEMBER_BYTES,
) -> str:
    """Copy ``member`` of the zip file ``wheel`` to ``target``; return its hex digest.

    The copy is written next to ``target`` and renamed into place when complete. The
    member's name never decides where it is written.

    Raises:
        DataError: the member path is unsafe, missing, a link or a folder, larger than
            ``max_bytes``, or the wheel is not a readable zip file.
    """
    try:
        check_member_path(member)
    except ValueError as exc:
        raise DataError(f"{wheel.name}: refusing member {member!r}: {exc}") from None
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.extracting-{os.getpid()}")
    try:
        with zipfile.ZipFile(wheel) as zf:
            try:
                info = zf.getinfo(member)
            except KeyError:
                names = zf.namelist()
                if member + "/" in names or any(n.startswith(member + "/") for n in names):
                    raise DataError(
                        f"{wheel.name}: member {member!r} is a folder, not a file"
                    ) from None
                raise DataError(
                    f"{wheel.name} has no member {member!r}{_suggest_members(names, member)}"
                ) from None
            if info.is_dir():
                raise DataError(f"{wheel.name}: member {member!r} is a folder, not a file")
            if stat.S_ISLNK(info.external_attr >> 16):
                raise DataError(f"{wheel.name}: refusing member {member!r}: a symbolic link")
            if info.file_size > max_bytes:
                raise DataError(
                    f"{wheel.name}: member {member!r} is {info.file_size} bytes, more than the "
                    f"bound of {max_bytes}"
                )
            hasher = hashlib.new(algorithm)
            written = 0
            with zf.open(info) as source, open(tmp, "wb") as sink:
                while chunk := source.read(_CHUNK):
                    written += len(chunk)
                    if written > max_bytes:
                        raise DataError(
                            f"{wheel.name}: member {member!r} unpacks to more than "
                            f"{max_bytes} bytes; refused"
                        )
                    hasher.update(chunk)
                    sink.write(chunk)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        tmp.unlink(missing_ok=True)
        raise DataError(f"{wheel}: not a readable wheel (zip) file: {exc}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, target)
    return hasher.hexdigest()
