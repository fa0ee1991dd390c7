"""A server that drips one byte a second must not hold a call past its budget (issue 10, item 14).

Socket timeouts reset on every byte, so only a whole-call deadline enforced during each read stops
it. Real HTTP servers on 127.0.0.1; the budgets are short so the suite stays quick.
"""

from __future__ import annotations

import threading
import time

import pytest

from tests.test_net import LocalServer
from waitbuddy.alerts.channel import FAILED
from waitbuddy.alerts.dispatch import Alerter, send_now
from waitbuddy.alerts.events import AlertEvent
from waitbuddy.alerts.push import NtfyChannel, WebhookChannel
from waitbuddy.net import Client, HttpError

DRIP = 0.2  # seconds between bytes: slower than nothing, faster than any timeout below


def drip_body(server: LocalServer) -> None:
    """Headers at once, then a body of 1 MB one byte at a time."""
    def respond(handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", str(1024 * 1024))
        handler.end_headers()
        while not server.release.wait(DRIP):
            handler.wfile.write(b"x")
            handler.wfile.flush()
    server.respond = respond


def drip_headers(server: LocalServer) -> None:
    """The status line and endless headers, one byte at a time: no response ever starts."""
    def respond(handler) -> None:
        handler.wfile.write(b"HTTP/1.1 200 OK\r\n")
        while not server.release.wait(DRIP):
            handler.wfile.write(b"X")
            handler.wfile.flush()
    server.respond = respond


@pytest.fixture
def server():
    local = LocalServer()
    yield local
    local.close()


def event() -> AlertEvent:
    return AlertEvent("failed", "/runs/a.log", "a", "a failed", "CUDA out of memory", "error", time.time())


@pytest.mark.parametrize("drip", [drip_body, drip_headers])
def test_a_dripping_server_fails_the_call_within_its_budget(server, drip):
    drip(server)
    started = time.monotonic()
    with pytest.raises(HttpError, match=r"timed out after 1\.5s"):
        Client(timeout=1.0, retries=2, backoff=0.05).request("GET", server.url + "/drip", budget=1.5)
    assert time.monotonic() - started < 2.5  # target: within 2x; in practice the budget plus a hang-up


def test_a_dripping_truncatable_body_is_not_taken_as_complete(server):
    drip_body(server)
    with pytest.raises(HttpError, match="timed out"):
        Client(timeout=1.0, retries=0).request("GET", server.url + "/page", budget=0.8, truncate=True)


@pytest.mark.parametrize("make", [
    lambda url, client: NtfyChannel(url, "topic", client=client),
    lambda url, client: WebhookChannel(url + "/hook", client=client),
])
def test_push_to_a_dripping_server_is_reported_failed_within_twice_the_timeout(server, make):
    drip_body(server)
    channel = make(server.url, Client(timeout=0.5))  # the channel's budget: 2 x timeout = 1 s
    started = time.monotonic()
    [delivery] = send_now([channel], event())
    assert time.monotonic() - started < 1.0 + 0.8
    assert delivery.outcome == FAILED
    assert delivery.reason == "timed out after 1s"
    assert len(server.requests) == 1  # a POST the server may have acted on is not sent twice


def test_close_reports_alerts_still_unsent_and_returns_on_time(server):
    drip_body(server)
    reports: list = []
    lock = threading.Lock()

    def report(evt, delivery) -> None:
        with lock:
            reports.append((evt.title, delivery))

    channel = NtfyChannel(server.url, "topic", client=Client(timeout=5.0))  # budget 10 s: longer than close
    alerter = Alerter([channel], report=report)
    alerter.submit([event(), AlertEvent("completed", "/runs/b.log", "b", "b done", "", "info", time.time())])
    time.sleep(0.3)
    started = time.monotonic()
    alerter.close(timeout=1.0)
    assert time.monotonic() - started < 1.5
    assert sorted(title for title, _ in reports) == ["a failed", "b done"]
    assert all(d.outcome == FAILED and "not sent" in d.reason for _, d in reports)
