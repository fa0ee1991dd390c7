"""A real HTTP server on 127.0.0.1 that serves the feed fixtures (tests/data/feeds) the way feed
servers do: ETag and Last-Modified with conditional GET (304), Cache-Control, and whatever a test
scripts for a path (a 429, a slow drip, 30 MB)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

FIXTURES = Path(__file__).parent / "data" / "feeds"
LAST_MODIFIED = "Mon, 01 Apr 2024 00:00:00 GMT"


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    handler: Callable[[BaseHTTPRequestHandler], None] | None = None  # takes over the whole answer


@dataclass
class Hit:
    path: str
    headers: dict[str, str]
    at: float  # the server's clock (time.monotonic unless a test gives its own)
    status: int = 0


class FeedServer:
    def __init__(self, host: str = "127.0.0.1", clock: Callable[[], float] = time.monotonic) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: list[Hit] = []
        self.clock = clock
        self.release = threading.Event()
        self.latency = 0.0
        self.httpd = _Server((host, 0), _Handler)
        self.httpd.feed_server = self
        self.port = self.httpd.server_address[1]
        self.url = f"http://{host}:{self.port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def fixture(self, path: str, name: str, *, etag: str | None = None, last_modified: str | None = None,
                content_type: str = "application/xml", **headers: str) -> str:
        """Serve tests/data/feeds/``name`` at ``path``; returns its URL."""
        self.routes[path] = Route((FIXTURES / name).read_bytes(), 200, {"Content-Type": content_type, **headers},
                                  etag, last_modified)
        return self.url + path

    def serve(self, path: str, route: Route) -> str:
        self.routes[path] = route
        return self.url + path

    def hits_of(self, path: str) -> list[Hit]:
        return [hit for hit in self.hits if hit.path == path]

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=5)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    feed_server: FeedServer

    def handle_error(self, request, client_address) -> None:
        pass  # clients hang up on purpose (size cap, timeout)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        local = self.server.feed_server
        hit = Hit(self.path, {name.lower(): value for name, value in self.headers.items()}, local.clock())
        local.hits.append(hit)
        if local.latency:
            time.sleep(local.latency)
        route = local.routes.get(self.path)
        try:
            if route is None:
                hit.status = 404
                self._send(404, b"not found", {"Content-Type": "text/plain"})
            elif route.handler is not None:
                route.handler(self)
            elif route.status == 200 and self._not_modified(route):
                hit.status = 304
                self._send(304, b"", self._validators(route))
            else:
                hit.status = route.status
                self._send(route.status, route.body, {**route.headers, **self._validators(route)})
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _not_modified(self, route: Route) -> bool:
        if route.etag and self.headers.get("If-None-Match") == route.etag:
            return True
        return bool(route.last_modified and not route.etag
                    and self.headers.get("If-Modified-Since") == route.last_modified)

    @staticmethod
    def _validators(route: Route) -> dict[str, str]:
        found = {}
        if route.etag:
            found["ETag"] = route.etag
        if route.last_modified:
            found["Last-Modified"] = route.last_modified
        return found

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status != 304:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def send_big(size: int, chunk: int = 1 << 20) -> Callable[[BaseHTTPRequestHandler], None]:
    """A handler that streams ``size`` bytes of a valid-looking RSS start without a Content-Length."""
    def handler(request: BaseHTTPRequestHandler) -> None:
        request.send_response(200)
        request.send_header("Content-Type", "application/rss+xml")
        request.send_header("Connection", "close")
        request.end_headers()
        request.wfile.write(b'<?xml version="1.0"?><rss version="2.0"><channel><title>big</title>')
        sent, filler = 0, b"<!-- padding -->" * (chunk // 16)
        while sent < size:
            request.wfile.write(filler)
            sent += len(filler)
        request.close_connection = True
    return handler


def send_slowly(seconds: float, release: threading.Event) -> Callable[[BaseHTTPRequestHandler], None]:
    """A handler that answers only after ``seconds`` (or when the test ends)."""
    def handler(request: BaseHTTPRequestHandler) -> None:
        release.wait(seconds)
        body = (FIXTURES / "rss20.xml").read_bytes()
        request.send_response(200)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)
    return handler
