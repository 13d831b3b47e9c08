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
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

from tests.httpserver import LocalHTTPServer, QuietHandler

Handler = Callable[[BaseHTTPRequestHandler], None]


@dataclass(frozen=True)
class Route:
    """A canned response."""

    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)

    def serve(self, request: QuietHandler) -> None:
        """Write this response to the request."""
        request.respond(self.status, self.body, self.content_type, self.headers)


class PageServer(LocalHTTPServer):
    """Serves routes on 127.0.0.1 at a random port from a background thread."""

    def __init__(self) -> None:
        super().__init__(_PageHandler, name="pageserver")
        self.routes: dict[str, Handler] = {}
        self.requests: list[tuple[str, str]] = []
        self.hits: Counter[str] = Counter()
        self.stopping = threading.Event()
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:PORT"""
        return self.origin

    def url(self, path: str) -> str:
        """The absolute URL of path on this server."""
        return self.origin + path

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

    def stop(self) -> None:
        """Release waiting handlers, stop serving and close the socket."""
        self.stopping.set()
        super().stop()


class _PageHandler(QuietHandler):
    def do_GET(self) -> None:
        server: PageServer = self.owner
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
