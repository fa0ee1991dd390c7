"""net.Client against a real HTTP server on 127.0.0.1 (no mocks of requests)."""

from __future__ import annotations

import gzip
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from waitbuddy.net import Client, HostLimit, HttpError, Response, parse_retry_after

MB = 1024 * 1024


# -- a scriptable local server (also used by test_alert_push) ----------------------------------


@dataclass
class Seen:
    method: str
    path: str
    headers: Message
    body: bytes


class Sent(list):
    """Sizes of the chunks a streaming handler wrote; ``done`` is set when it stops (finished or hung up on)."""

    def __init__(self) -> None:
        super().__init__()
        self.done = threading.Event()

    def total_after_hangup(self) -> int:
        assert self.done.wait(5), "the client never hung up"
        return sum(self)


class LocalServer:
    """A real HTTP server on 127.0.0.1:<free port>; each test sets ``respond(handler)``."""

    def __init__(self) -> None:
        self.requests: list[Seen] = []
        self.respond: Callable[[BaseHTTPRequestHandler], None] = lambda handler: reply(handler, 200, b"ok")
        self.release = threading.Event()  # set at teardown: wakes handlers that wait "forever"
        self.in_flight = 0
        self.most_in_flight = 0
        self._count_lock = threading.Lock()
        self.httpd = _Server(("127.0.0.1", 0), _Handler)
        self.httpd.local = self
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def answer(self, *answers: tuple) -> None:
        """Reply with each (status, body[, headers]) in turn; the last one repeats."""
        def respond(handler: BaseHTTPRequestHandler) -> None:
            index = min(len(self.requests) - 1, len(answers) - 1)
            reply(handler, *answers[index])
        self.respond = respond

    def hold(self, seconds: float = 5.0) -> None:
        """Answer only after ``seconds`` (or teardown): a server that hangs."""
        def respond(handler: BaseHTTPRequestHandler) -> None:
            self.release.wait(seconds)
            reply(handler, 200, b"late")
        self.respond = respond

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=5)

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        with self._count_lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            self.respond(handler)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client hung up on purpose (size cap, timeout)
        finally:
            with self._count_lock:
                self.in_flight -= 1


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    local: LocalServer

    def handle_error(self, request, client_address) -> None:
        pass  # quiet: clients hang up on purpose (size cap, timeout)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.local.requests.append(Seen(self.command, self.path, self.headers, body))
        self.server.local._serve(self)

    do_GET = do_POST = do_PUT = do_HEAD = _handle

    def log_message(self, format: str, *args: object) -> None:
        pass


def reply(handler: BaseHTTPRequestHandler, status: int, body: bytes = b"", headers: dict | None = None) -> None:
    handler.send_response(status)
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    if "Content-Length" not in (headers or {}):
        handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    if handler.command != "HEAD":
        handler.wfile.write(body)


@pytest.fixture
def server():
    local = LocalServer()
    yield local
    local.close()


class Sleeps(list):
    """An injected sleep that records instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- success ------------------------------------------------------------------------------------


def test_200_returns_status_headers_body_and_url(server):
    server.answer((200, b"hello", {"X-Thing": "yes", "Content-Type": "text/plain; charset=latin-1"}))
    response = Client(timeout=1).request("GET", server.url + "/page")
    assert response.status == 200
    assert response.body == b"hello"
    assert response.headers["x-thing"] == "yes"  # case-insensitive
    assert response.url == server.url + "/page"
    assert response.text == "hello"
    assert server.requests[0].headers["User-Agent"].startswith("waitbuddy/")


def test_post_sends_bytes_and_json(server):
    client = Client(timeout=1)
    client.request("POST", server.url + "/raw", data="é".encode(), headers={"Content-Type": "text/plain"})
    client.request("POST", server.url + "/json", json={"a": 1})
    raw, as_json = server.requests
    assert (raw.method, raw.body) == ("POST", "é".encode())
    assert json.loads(as_json.body) == {"a": 1}
    assert as_json.headers["Content-Type"] == "application/json"


def test_response_helpers():
    response = Response(200, {"Content-Type": 'text/html; charset="iso-8859-1"', "Cache-Control": "public, max-age=300",
                              "ETag": '"v1"'}, "café".encode("latin-1"), "http://x")
    assert response.text == "café"
    assert response.max_age == 300
    assert response.etag == '"v1"'
    assert Response(200, {"Cache-Control": "no-cache"}, b"[1]", "http://x").max_age == 0
    assert Response(200, {}, b"[1]", "http://x").json() == [1]


def test_conditional_get_returns_304_as_not_modified(server):
    def respond(handler):
        if handler.headers.get("If-None-Match") == '"v1"':
            reply(handler, 304, headers={"ETag": '"v1"'})
        else:
            reply(handler, 200, b"<feed/>", {"ETag": '"v1"', "Last-Modified": "Mon, 01 Jan 2024 00:00:00 GMT"})
    server.respond = respond
    client = Client(timeout=1)
    first = client.get(server.url + "/feed")
    again = client.get(server.url + "/feed", etag=first.etag, last_modified=first.last_modified)
    assert (first.status, first.not_modified, first.body) == (200, False, b"<feed/>")
    assert (again.status, again.not_modified, again.body) == (304, True, b"")
    assert server.requests[1].headers["If-Modified-Since"] == "Mon, 01 Jan 2024 00:00:00 GMT"
    assert len(server.requests) == 2  # a 304 is an answer, not a reason to retry


# -- size caps ----------------------------------------------------------------------------------


def test_streamed_response_past_the_cap_stops_early(server):
    done = threading.Event()
    sent = []

    def respond(handler):  # 20 MB with no Content-Length: only counting can stop it
        handler.send_response(200)
        handler.end_headers()
        try:
            for _ in range(20 * 16):
                handler.wfile.write(b"x" * (64 * 1024))
                sent.append(64 * 1024)
        finally:
            done.set()
    server.respond = respond
    started = time.monotonic()
    with pytest.raises(HttpError, match="^response larger than 1 MB$"):
        Client(timeout=2, max_bytes=MB).request("GET", server.url + "/big")
    assert time.monotonic() - started < 2
    assert done.wait(5)
    assert sum(sent) < 20 * MB  # the client hung up: the server could not send it all
    assert len(server.requests) == 1  # too large is final


def test_declared_length_over_the_cap_fails_before_reading(server):
    def respond(handler):
        handler.send_response(200)
        handler.send_header("Content-Length", str(20 * MB))
        handler.end_headers()
        handler.wfile.write(b"x" * 1024)
        server.release.wait(2)
    server.respond = respond
    with pytest.raises(HttpError, match="^response larger than 5 MB$"):
        Client(timeout=1).request("GET", server.url + "/big")


def test_size_cap_counts_decompressed_bytes(server):
    bomb = gzip.compress(b"\0" * (20 * MB))  # ~20 KB on the wire
    server.answer((200, bomb, {"Content-Encoding": "gzip"}))
    with pytest.raises(HttpError, match="larger than 1 MB"):
        Client(timeout=2, max_bytes=MB).request("GET", server.url + "/bomb")


# -- time ---------------------------------------------------------------------------------------


def test_timeout_raises_quickly(server):
    server.hold()
    started = time.monotonic()
    with pytest.raises(HttpError, match=r"^timed out after 0\.3s$") as caught:
        Client(timeout=0.3).request("GET", server.url + "/slow", retry=False)
    assert time.monotonic() - started < 1.0
    assert caught.value.transient


def test_timeouts_are_retried_for_get_within_the_attempt_limit(server):
    server.hold()
    sleeps = Sleeps()
    started = time.monotonic()
    with pytest.raises(HttpError, match="timed out"):
        Client(timeout=0.3, retries=2).request("GET", server.url + "/slow", sleep=sleeps)
    assert time.monotonic() - started < 3 * 0.3 + 0.6
    assert sleeps == [0.5, 1.0]
    assert len(server.requests) == 3


def test_post_read_timeout_is_not_retried(server):
    server.hold()  # the server has the message; sending it again would duplicate the alert
    with pytest.raises(HttpError, match="timed out"):
        Client(timeout=0.3).request("POST", server.url + "/topic", data=b"done", sleep=Sleeps())
    assert len(server.requests) == 1


def test_budget_bounds_the_whole_call(server):
    server.hold()
    started = time.monotonic()
    with pytest.raises(HttpError, match="timed out"):
        Client(timeout=0.3, retries=5, backoff=0.1).request("GET", server.url + "/slow", budget=0.5)
    assert time.monotonic() - started < 0.9


# -- retries ------------------------------------------------------------------------------------


def test_500_then_200_is_retried(server):
    server.answer((500, b"oops"), (200, b"fine"))
    sleeps = Sleeps()
    response = Client(timeout=1).request("GET", server.url + "/flaky", sleep=sleeps)
    assert response.body == b"fine"
    assert sleeps == [0.5]
    assert len(server.requests) == 2


def test_persistent_500_raises_after_the_retries(server):
    server.answer((500, b"oops"))
    sleeps = Sleeps()
    with pytest.raises(HttpError, match="^HTTP 500$") as caught:
        Client(timeout=1, retries=2).request("GET", server.url + "/down", sleep=sleeps)
    assert caught.value.status == 500
    assert caught.value.response.body == b"oops"
    assert len(server.requests) == 3
    assert sleeps == [0.5, 1.0]


def test_429_retry_after_is_honoured(server):
    server.answer((429, b"", {"Retry-After": "2"}), (200, b"fine"))
    sleeps = Sleeps()
    response = Client(timeout=1).request("GET", server.url + "/limited", sleep=sleeps)
    assert response.body == b"fine"
    assert sleeps == [2.0]


def test_retry_after_past_the_cap_fails_at_once_and_the_host_is_left_alone(server):
    server.answer((429, b"", {"Retry-After": "3600"}))
    sleeps = Sleeps()
    client = Client(timeout=1)
    with pytest.raises(HttpError, match=r"^rate limited \(429\), retry after 3600s$") as caught:
        client.request("GET", server.url + "/limited", sleep=sleeps)
    assert caught.value.retry_after == 3600
    assert sleeps == []
    with pytest.raises(HttpError, match=r"rate limited \(429\), retry after 3\d\d\ds"):
        client.request("GET", server.url + "/other", sleep=sleeps)
    assert len(server.requests) == 1  # the second call did not touch the network


def test_retry_after_longer_than_the_budget_is_not_slept(server):
    server.answer((503, b"", {"Retry-After": "30"}))
    sleeps = Sleeps()
    with pytest.raises(HttpError, match=r"^HTTP 503, retry after 30s$"):
        Client(timeout=1).request("GET", server.url + "/maintenance", sleep=sleeps, budget=10)
    assert sleeps == []


def test_parse_retry_after_seconds_and_dates():
    now = 1_700_000_000.0
    assert parse_retry_after("120") == 120
    assert parse_retry_after(formatdate(now + 30, usegmt=True), now=now) == pytest.approx(30, abs=1)
    assert parse_retry_after(formatdate(now - 30, usegmt=True), now=now) == 0
    assert parse_retry_after("-5") == 0
    for unusable in (None, "", "soon", "nan", "inf"):
        assert parse_retry_after(unusable) is None


def test_404_is_not_retried(server):
    server.answer((404, b"nope"))
    with pytest.raises(HttpError, match="^HTTP 404$") as caught:
        Client(timeout=1).request("GET", server.url + "/missing", sleep=Sleeps())
    assert not caught.value.transient
    assert len(server.requests) == 1


def test_connection_refused_is_reported_and_retried():
    sleeps = Sleeps()
    with pytest.raises(HttpError, match="^connection refused$") as caught:
        Client(timeout=1).request("GET", f"http://127.0.0.1:{closed_port()}/", sleep=sleeps)
    assert sleeps == [0.5, 1.0]
    assert caught.value.__cause__ is None and caught.value.__suppress_context__  # no URL-quoting chain


# -- URLs and redirects -------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/x", "javascript:alert(1)", "", "-http://x",
                                 "http://", "http://exa mple.com/"])
def test_non_http_urls_are_refused(url):
    with pytest.raises(HttpError, match=r"^refusing non-http\(s\) URL$"):
        Client(timeout=0.3).request("GET", url)


def test_redirect_is_followed_and_credentials_stay_with_their_host(server):
    def respond(handler):
        if handler.path == "/start":
            reply(handler, 302, headers={"Location": "/same"})
        elif handler.path == "/same":
            reply(handler, 307, headers={"Location": f"http://localhost:{server.port}/other-host"})
        else:
            reply(handler, 200, b"arrived")
    server.respond = respond
    response = Client(timeout=1).request("GET", server.url + "/start", headers={"Authorization": "Bearer tk_secret"})
    assert response.body == b"arrived"
    assert response.url == f"http://localhost:{server.port}/other-host"
    _start, same, other = server.requests
    assert same.headers["Authorization"] == "Bearer tk_secret"
    assert other.headers["Authorization"] is None


def test_post_redirected_with_303_becomes_get(server):
    server.respond = lambda handler: (reply(handler, 303, headers={"Location": "/done"}) if handler.path == "/form"
                                      else reply(handler, 200, b"ok"))
    Client(timeout=1).request("POST", server.url + "/form", json={"a": 1})
    assert [(seen.method, seen.path, seen.body) for seen in server.requests] == [
        ("POST", "/form", b'{"a": 1}'), ("GET", "/done", b"")]


def test_redirect_loop_is_refused(server):
    server.answer((302, b"", {"Location": "/loop"}))
    with pytest.raises(HttpError, match="^too many redirects$"):
        Client(timeout=1, max_redirects=3).request("GET", server.url + "/loop", sleep=Sleeps())
    assert len(server.requests) == 4  # the first request and three redirects, no retries


def test_redirect_to_a_non_http_url_is_refused(server):
    server.answer((301, b"", {"Location": "file:///etc/passwd"}))
    with pytest.raises(HttpError, match=r"^refusing redirect to a non-http\(s\) URL$"):
        Client(timeout=1).request("GET", server.url + "/sneaky")


def test_errors_never_quote_the_url(server):
    secret = "topic-7f3a9c"
    for answer in [(500, b"x"), (404, b"x"), (429, b"x", {"Retry-After": "999"})]:
        server.answer(answer)
        with pytest.raises(HttpError) as caught:
            Client(timeout=0.5).request("POST", f"{server.url}/{secret}", sleep=Sleeps())
        assert secret not in str(caught.value)
    with pytest.raises(HttpError) as caught:
        Client(timeout=0.5).request("POST", f"http://127.0.0.1:{closed_port()}/{secret}", sleep=Sleeps())
    assert secret not in str(caught.value)


# -- per-host limits and threads ----------------------------------------------------------------


def test_min_interval_spaces_requests_to_a_domain(server):
    sleeps = Sleeps()
    client = Client(timeout=1, host_limits={"127.0.0.1": HostLimit(concurrency=1, min_interval=3.0)})
    client.request("GET", server.url + "/a", sleep=sleeps)
    assert sleeps == []
    client.request("GET", server.url + "/b", sleep=sleeps)
    assert len(sleeps) == 1 and 2.5 < sleeps[0] <= 3.0


def test_concurrency_limit_holds_across_threads(server):
    def respond(handler):
        time.sleep(0.1)
        reply(handler, 200, b"ok")
    server.respond = respond
    client = Client(timeout=2, default_host_limit=HostLimit(concurrency=1))
    threads = [threading.Thread(target=client.request, args=("GET", f"{server.url}/{n}")) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert len(server.requests) == 4
    assert server.most_in_flight == 1


def test_one_client_serves_many_threads(server):
    client = Client(timeout=2)
    results: list[bytes] = []

    def fetch(n: int) -> None:
        for i in range(5):
            results.append(client.request("GET", f"{server.url}/{n}/{i}").body)
    threads = [threading.Thread(target=fetch, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert results == [b"ok"] * 40


def test_importing_net_is_cheap():
    code = "import sys, waitbuddy.net; print('requests' in sys.modules, 'urllib3' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=60)
    assert result.stdout.split() == ["False", "False"], result.stderr
