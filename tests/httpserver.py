"""A threaded HTTP server on 127.0.0.1 at a free port, for tests' stand-ins of outside services.

    class Pages(LocalHTTPServer):
        def __init__(self) -> None:
            super().__init__(_Handler, name="pages")

    class _Handler(QuietHandler):
        def do_GET(self) -> None:
            self.respond(200, b"hello", "text/plain")   # self.owner is the Pages instance

    with Pages() as server:                              # started; stopped and closed after
        httpx.get(server.origin + "/")

Requests are served from daemon threads; stop() returns promptly (a short poll interval), so
tests can start and stop many servers. Request lines are never logged: they may carry tokens.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

HOST = "127.0.0.1"
POLL_INTERVAL = 0.01  # how long shutdown() may wait for serve_forever to notice


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: Any  # the LocalHTTPServer this socket serves


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler that logs nothing and can write a whole response in one call."""

    server: _Server

    @property
    def owner(self) -> Any:
        """The LocalHTTPServer (subclass) serving this request."""
        return self.server.owner

    def respond(
        self,
        status: int,
        body: bytes = b"",
        content_type: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Send status, Content-Type (if any), Content-Length, headers and body (not for HEAD)."""
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output quiet, and tokens in request lines out of it


class LocalHTTPServer:
    """Serves a QuietHandler subclass on 127.0.0.1 at a port the OS picks, from a thread."""

    def __init__(self, handler: type[QuietHandler], *, name: str = "http") -> None:
        self._httpd = _Server((HOST, 0), handler)
        self._httpd.owner = self
        self._http_thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": POLL_INTERVAL},
            name=name,
            daemon=True,
        )

    @property
    def port(self) -> int:
        """The port the server listens on."""
        return int(self._httpd.server_address[1])

    @property
    def origin(self) -> str:
        """http://127.0.0.1:PORT"""
        return f"http://{HOST}:{self.port}"

    def start(self) -> Self:
        """Start serving in a background thread (idempotent)."""
        if self._http_thread.ident is None:
            self._http_thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket (idempotent)."""
        if self._http_thread.is_alive():
            self._httpd.shutdown()  # would wait forever on a server that never started
            self._http_thread.join(timeout=10)
        self._httpd.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
