"""A pooch downloader that resumes interrupted transfers (HTTP Range requests).

pooch downloads into a fresh temporary file every time; a large download cut at 90% starts
again from zero. :class:`ResumableDownloader` keeps its own ``<file>.part`` next to the
final file, asks the server for the missing bytes only (``Range: bytes=N-``), and hands the
complete file to pooch, which then checks its hash. A server that ignores ranges (status
200) simply gets the whole file again.

Example:
    >>> from pathlib import Path
    >>> downloader = ResumableDownloader(Path("/tmp/x.bin.part"), progress=False)
    >>> downloader.part.name
    'x.bin.part'
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path
from typing import IO, Any

from fmbench.errors import DataError

__all__ = ["ResumableDownloader", "file_hash"]

_CHUNK = 1 << 14  # small reads: a cut transfer loses at most this much


def file_hash(path: str | Path, algorithm: str = "sha256") -> str:
    """Hex digest of a file, read in chunks.

    Example:
        >>> import tempfile
        >>> with tempfile.NamedTemporaryFile(delete=False) as f:
        ...     _ = f.write(b"abc")
        >>> file_hash(f.name)[:12]
        'ba7816bf8f01'
    """
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class _Bar:
    """tqdm when installed, else fmbench's own progress (click bar on a terminal)."""

    def __init__(self, total: int | None, done: int, label: str, enabled: bool) -> None:
        self._bar: Any = None
        self._progress: Any = None
        if not enabled:
            return
        try:
            from tqdm import tqdm

            self._bar = tqdm(
                total=total, initial=done, unit="B", unit_scale=True, desc=label, file=sys.stderr
            )
        except ImportError:
            if total:
                from fmbench.progress import Progress

                self._progress = Progress(total=total, label=label).__enter__()
                self._progress.advance(done)

    def update(self, n: int) -> None:
        if self._bar is not None:
            self._bar.update(n)
        elif self._progress is not None:
            self._progress.advance(n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        elif self._progress is not None:
            self._progress.__exit__(None, None, None)


class ResumableDownloader:
    """``downloader=`` for :func:`pooch.retrieve` that continues ``part`` where it stopped.

    After the transfer, ``actual_hash`` holds the file's digest (``algorithm``), so that a
    checksum failure can name the hash that was found.
    """

    def __init__(
        self,
        part: Path,
        *,
        progress: bool = True,
        timeout: float = 60.0,
        algorithm: str = "sha256",
        label: str = "",
    ) -> None:
        self.part = Path(part)
        self.progress = progress
        self.timeout = timeout
        self.algorithm = algorithm
        self.label = label or self.part.name.removesuffix(".part")
        self.actual_hash: str | None = None
        self.resumed_from = 0

    def __call__(
        self, url: str, output_file: str | IO[bytes], pooch: Any = None, check_only: bool = False
    ) -> bool | None:
        import requests

        if check_only:
            try:
                response = requests.head(url, allow_redirects=True, timeout=self.timeout)
            except requests.RequestException:
                return False
            return response.ok
        self.part.parent.mkdir(parents=True, exist_ok=True)
        start = self.part.stat().st_size if self.part.exists() else 0
        headers = {"Range": f"bytes={start}-"} if start else {}
        try:
            self._transfer(requests, url, headers, start)
        except requests.RequestException as exc:
            kept = self.part.stat().st_size if self.part.exists() else 0
            raise DataError(
                f"download of {url} failed: {type(exc).__name__}: {exc}".splitlines()[0]
                + f" ({kept} bytes kept in {self.part}; run the command again to resume)"
            ) from None
        self.actual_hash = file_hash(self.part, self.algorithm)
        if isinstance(output_file, (str, os.PathLike)):
            os.replace(self.part, output_file)
        else:  # a file object: copy, then drop the part
            with open(self.part, "rb") as handle:
                for chunk in iter(lambda: handle.read(_CHUNK), b""):
                    output_file.write(chunk)
            self.part.unlink()
        return None

    def _transfer(self, requests: Any, url: str, headers: dict[str, str], start: int) -> None:
        with requests.get(url, headers=headers, stream=True, timeout=self.timeout) as response:
            if start and response.status_code == 416:
                return  # the part is already complete
            response.raise_for_status()
            if start and response.status_code == 206:
                content_range = response.headers.get("Content-Range", "")
                if not content_range.startswith(f"bytes {start}-"):
                    raise DataError(
                        f"download of {url}: the server resumed at the wrong place "
                        f"({content_range!r}); delete {self.part} and try again"
                    )
                mode, done = "ab", start
            else:
                mode, done = "wb", 0
            self.resumed_from = done
            length = response.headers.get("Content-Length")
            total = done + int(length) if length and length.isdigit() else None
            bar = _Bar(total, done, self.label, self.progress)
            try:
                with open(self.part, mode) as handle:
                    for chunk in response.iter_content(chunk_size=_CHUNK):
                        if chunk:
                            handle.write(chunk)
                            bar.update(len(chunk))
            finally:
                bar.close()
            size = self.part.stat().st_size
            if total is not None and size < total:
                raise requests.ConnectionError(f"transfer ended at {size} of {total} bytes")
