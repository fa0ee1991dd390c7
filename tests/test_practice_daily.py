"""Today's LeetCode daily question against a local server: JSON, an HTML challenge page, a
timeout; cached for the day. Never the internet."""

from __future__ import annotations

import json
import threading
import time
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from waitbuddy import net
from waitbuddy.practice import daily
from waitbuddy.store import Store

ANSWER = {"data": {"activeDailyCodingChallengeQuestion": {
    "date": "2026-12-01", "link": "/problems/two-sum/",
    "question": {"questionFrontendId": "1", "title": "Two Sum [bold]x\x1b]52;c;eA==\x07", "titleSlug": "two-sum",
                 "difficulty": "Easy", "isPaidOnly": False}}}}
CHALLENGE = b"<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>cf</body></html>"


class Server:
    def __init__(self) -> None:
        self.answer: tuple[str, bytes] = ("application/json", json.dumps(ANSWER).encode())
        self.delay = 0.0
        self.posts: list[dict] = []
        served = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                served.posts.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                if served.delay:
                    time.sleep(served.delay)
                kind, body = served.answer
                try:
                    self.send_response(200 if kind.endswith("json") else 403)
                    self.send_header("Content-Type", kind)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/graphql"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def server():
    served = Server()
    yield served
    served.close()


def test_json_gives_the_question_with_a_clean_title(server):
    found = daily.fetch(net.Client(), server.url)
    assert found is not None and (found.slug, found.difficulty, found.day) == ("two-sum", "Easy", "2026-12-01")
    assert "\x1b" not in found.title and "\x07" not in found.title and found.title.startswith("Two Sum [bold]x")
    assert found.url == "https://leetcode.com/problems/two-sum/"
    assert server.posts[0]["operationName"] == "questionOfToday"


def test_an_html_challenge_page_is_no_question(server):
    server.answer = ("text/html; charset=utf-8", CHALLENGE)
    assert daily.fetch(net.Client(), server.url) is None


def test_a_timeout_is_no_question_and_quick(server):
    server.delay = 3.0
    start = time.monotonic()
    assert daily.fetch(net.Client(), server.url, timeout=0.5) is None
    assert time.monotonic() - start < 2.0


@pytest.mark.parametrize("body", [b"{}", b"not json", json.dumps({"data": {"activeDailyCodingChallengeQuestion": {
    "date": "2026-12-01", "question": {"titleSlug": "../etc", "difficulty": "Easy"}}}}).encode()])
def test_unknown_shapes_are_no_question(body):
    assert daily.parse(body, "application/json") is None


def test_cached_for_the_day_and_a_failure_not_asked_again_within_the_hour(server, tmp_path):
    with Store.open(tmp_path / "w.db") as store:
        day = date(2026, 12, 1)
        client = net.Client()
        assert daily.today(store, client, day, url=server.url, now=1000.0).slug == "two-sum"
        assert daily.today(store, client, day, url=server.url, now=2000.0).slug == "two-sum"
        assert len(server.posts) == 1  # the second came from the cache
        server.answer = ("text/html", CHALLENGE)
        next_day = date(2026, 12, 2)
        assert daily.today(store, client, next_day, url=server.url, now=90000.0) is None
        assert daily.today(store, client, next_day, url=server.url, now=90100.0) is None
        assert len(server.posts) == 2  # the failure is remembered
        server.answer = ("application/json", json.dumps(ANSWER).encode())
        assert daily.today(store, client, next_day, url=server.url, now=90000.0 + 3601).slug == "two-sum"
