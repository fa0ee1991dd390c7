"""net.Client's truncate and body_types options, against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import gzip
import time

import pytest

from tests.test_net import LocalServer, Sent, reply
from waitbuddy.net import Client, HttpError

MB = 1024 * 1024


@pytest.fixture
def server():
    local = LocalServer()
    yield local
    local.close()


def stream_20_mb(server: LocalServer, headers: dict[str, str]) -> Sent:
    """20 MB in 64 KB chunks ("AAA...", "BBB...", ...), counting what was sent."""
    sent = Sent()

    def respond(handler) -> None:
        try:
            handler.send_response(200)
            for name, value in headers.items():
                handler.send_header(name, value)
            handler.end_headers()
            for n in range(20 * 16):
                handler.wfile.write(bytes([65 + n % 26]) * (64 * 1024))
                sent.append(64 * 1024)
        finally:
            sent.done.set()
    server.respond = respond
    return sent


@pytest.mark.parametrize("declare", [False, True], ids=["streamed", "content-length"])
def test_truncate_keeps_the_first_max_bytes(server, declare):
    sent = stream_20_mb(server, {"Content-Length": str(20 * MB)} if declare else {})
    started = time.monotonic()
    response = Client(timeout=2, max_bytes=MB).get(server.url + "/big", truncate=True)
    assert time.monotonic() - started < 2
    assert response.truncated
    assert len(response.body) == MB
    assert response.body[:1] == b"A" and response.body[-1:] == b"P"  # the first 16 chunks, in order
    assert sent.total_after_hangup() < 10 * MB  # the client hung up instead of draining the rest


def test_bodies_within_the_cap_are_whole(server):
    client = Client(timeout=1, max_bytes=1000)
    for size in (0, 10, 1000):
        server.answer((200, b"x" * size))
        response = client.get(server.url + "/small", truncate=True)
        assert (len(response.body), response.truncated) == (size, False)


def test_truncate_counts_decompressed_bytes(server):
    server.answer((200, gzip.compress(b"\0" * (20 * MB)), {"Content-Encoding": "gzip"}))
    response = Client(timeout=2, max_bytes=MB).get(server.url + "/bomb", truncate=True)
    assert (len(response.body), response.truncated) == (MB, True)


def test_without_truncate_the_cap_still_fails(server):
    server.answer((200, b"x" * 2000))
    with pytest.raises(HttpError, match="^response larger than 1000 bytes$"):
        Client(timeout=1, max_bytes=1000).get(server.url + "/big")


def test_errors_still_raise_when_truncating(server):
    server.answer((404, b"x" * 100_000))
    with pytest.raises(HttpError, match="^HTTP 404$") as caught:
        Client(timeout=1).get(server.url + "/missing", truncate=True, body_types={"text/html"})
    assert len(caught.value.response.body) == 64 * 1024  # error bodies are kept short, as before


def test_truncate_follows_redirects(server):
    server.respond = lambda handler: (reply(handler, 302, headers={"Location": "/there"}) if handler.path == "/here"
                                      else reply(handler, 200, b"y" * 5000))
    response = Client(timeout=1, max_bytes=100).get(server.url + "/here", truncate=True)
    assert (response.url, response.body, response.truncated) == (server.url + "/there", b"y" * 100, True)


def test_body_types_skip_other_types_without_downloading(server):
    sent = stream_20_mb(server, {"Content-Type": "application/pdf", "Content-Length": str(20 * MB)})
    started = time.monotonic()
    response = Client(timeout=2).get(server.url + "/paper.pdf", body_types={"text/html"})
    assert time.monotonic() - started < 1.5
    assert (response.status, response.body, response.truncated) == (200, b"", True)
    assert response.headers["content-type"] == "application/pdf"
    assert sent.total_after_hangup() < 10 * MB


@pytest.mark.parametrize("content_type", ["text/html", "Text/HTML; charset=UTF-8", None])
def test_body_types_read_matching_and_undeclared_types(server, content_type):
    server.answer((200, b"<p>hi</p>", {"Content-Type": content_type} if content_type else {}))
    response = Client(timeout=1).get(server.url + "/page", body_types=["TEXT/html"])
    assert (response.body, response.truncated) == (b"<p>hi</p>", False)
