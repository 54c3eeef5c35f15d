"""A local HTTP file server for tests of declared sources: no network, Range requests.

Plugin authors test their dataset declarations with it: serve the real file from a
temporary folder laid out as ``<host>/<path>``, point ``FMBENCH_MIRROR`` at the server, and
``fmbench datasets fetch`` downloads from 127.0.0.1 with the declared checksum.

Example:
    >>> import pathlib, tempfile, urllib.request
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (root / "hello.txt").write_bytes(b"hello world")
    >>> with LocalFileServer(root) as server:
    ...     request = urllib.request.Request(server.url + "hello.txt",
    ...                                      headers={"Range": "bytes=6-"})
    ...     urllib.request.urlopen(request).read()
    b'world'
"""

from __future__ import annotations

import http.server
import threading
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import unquote, urlsplit

__all__ = ["LocalFileServer"]


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet in tests
        return

    def do_HEAD(self) -> None:
        self._serve(body=False)

    def do_GET(self) -> None:
        self._serve(body=True)

    def _serve(self, *, body: bool) -> None:
        owner = self.server.owner
        rel = unquote(urlsplit(self.path).path).lstrip("/")
        owner.requests.append((rel, self.headers.get("Range")))
        path = (owner.root / rel).resolve()
        if owner.root not in path.parents or not path.is_file():
            self.send_error(404)
            return
        data = path.read_bytes()
        start, status = 0, 200
        wanted = self.headers.get("Range")
        if wanted and wanted.startswith("bytes=") and not owner.ignore_range:
            start = int(wanted[6:].split("-", 1)[0] or 0)
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.end_headers()
                return
            status = 206
        self.send_response(status)
        self.send_header("Content-Length", str(len(data) - start))
        self.send_header("Accept-Ranges", "bytes")
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.end_headers()
        if not body:
            return
        cut = owner.cut_after.pop(rel, None)
        payload = data[start:] if cut is None else data[start : start + cut]
        self.wfile.write(payload)
        if cut is not None:
            self.wfile.flush()
            self.close_connection = True


class _Server(http.server.ThreadingHTTPServer):
    owner: LocalFileServer
    daemon_threads = True


class LocalFileServer:
    """Serves ``root`` on ``http://127.0.0.1:<port>/`` in a thread.

    Attributes:
        requests: ``(path, Range header)`` of every request, in order.
        cut_after: ``{path: n}`` sends only ``n`` bytes of the next response for ``path``
            and closes the connection (a transfer cut short), once.
        ignore_range: answer every request with the whole file (a server without ranges).
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()
        self.requests: list[tuple[str, str | None]] = []
        self.cut_after: dict[str, int] = {}
        self.ignore_range = False
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        """The base URL, ending in ``/``."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/"

    def __enter__(self) -> LocalFileServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
