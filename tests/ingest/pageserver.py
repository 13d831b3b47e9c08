"""A real threaded HTTP server on 127.0.0.1 serving configurable routes, for tests.

Static routes:    server.add("/a", b"<html>...", content_type="text/html")
Redirects:        server.redirect("/old", "/a")            (relative or absolute location)
Custom handlers:  server.add_handler("/slow", fn)          fn(request) writes the response itself;
                  long-running handlers wait on server.stopping, set when the server stops.
Every request is recorded in server.requests (method, path) and counted in server.hits[path].
"""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import urlsplit

Handler = Callable[[BaseHTTPRequestHandler], None]


@dataclass(frozen=True)
class Route:
    """A canned response."""

    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)

    def serve(self, request: BaseHTTPRequestHandler) -> None:
        """Write this response to the request."""
        request.send_response(self.status)
        if self.content_type:
            request.send_header("Content-Type", self.content_type)
        request.send_header("Content-Length", str(len(self.body)))
        for name, value in self.headers.items():
            request.send_header(name, value)
        request.end_headers()
        if request.command != "HEAD":
            request.wfile.write(self.body)


class PageServer:
    """Serves routes on 127.0.0.1 at a random port from a background thread."""

    def __init__(self) -> None:
        self.routes: dict[str, Handler] = {}
        self.requests: list[tuple[str, str]] = []
        self.hits: Counter[str] = Counter()
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        # A short poll interval: shutdown() waits up to one interval, and tests stop many servers.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def port(self) -> int:
        """The port the server listens on."""
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:PORT"""
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        """The absolute URL of path on this server."""
        return self.base_url + path

    def add(
        self,
        path: str,
        body: bytes | str,
        content_type: str = "text/html; charset=utf-8",
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> str:
        """Serve a fixed response at path; returns its URL."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        route = Route(data, content_type, status, dict(headers or {}))
        return self.add_handler(path, route.serve)

    def redirect(self, path: str, location: str, status: int = 302) -> str:
        """Redirect path to location; returns the URL of path."""
        route = Route(b"", "", status, {"Location": location})
        return self.add_handler(path, route.serve)

    def add_handler(self, path: str, handler: Handler) -> str:
        """Serve path with a function that writes the response itself; returns its URL."""
        self.routes[path] = handler
        return self.url(path)

    def start(self) -> PageServer:
        """Start serving in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Release waiting handlers, stop serving and close the socket."""
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=10)

    def __enter__(self) -> PageServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class _Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                with server._lock:
                    server.requests.append((self.command, self.path))
                    server.hits[path] += 1
                handler = server.routes.get(path)
                if handler is None:
                    Route(b"not found", "text/plain", 404).serve(self)
                    return
                # A client that stops early (size cap, timeout) hangs up mid-response.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    handler(self)

            do_HEAD = do_GET

            def log_message(self, format: str, *args: object) -> None:
                pass  # keep test output quiet

        return _Handler
