"""ntfy and webhook channels against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import re
import time
from email.header import decode_header, make_header

import pytest

from tests.test_net import LocalServer, closed_port
from waitbuddy.alerts.channel import FAILED, SENT, SKIPPED
from waitbuddy.alerts.events import AlertEvent
from waitbuddy.alerts.push import NtfyChannel, WebhookChannel, header_text
from waitbuddy.net import Client

TOPIC = "wb-7f3a9c2e41"
TIMEOUT = 0.3
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
NTFY_PRIORITY = {"min": 1, "low": 2, "default": 3, "high": 4, "max": 5, "urgent": 5}


def event(kind: str = "completed", title: str = "bert-base finished", body: str = "in 3h12m · eval_loss 0.213",
          severity: str = "info") -> AlertEvent:
    return AlertEvent(kind, "/runs/bert/train.log", "bert-base", title, body, severity, 1_700_000_000.0)


def ntfy(local: LocalServer, topic: str = TOPIC, **options) -> NtfyChannel:
    return NtfyChannel(local.url, topic, client=Client(timeout=TIMEOUT), **options)


def webhook(local: LocalServer, style: str = "slack", **options) -> WebhookChannel:
    return WebhookChannel(local.url + "/hooks/T000/B000/XXXX", style=style, client=Client(timeout=TIMEOUT), **options)


@pytest.fixture
def server():
    local = LocalServer()
    yield local
    local.close()


def ntfy_header(value: str | None) -> str:
    """Read a header as ntfy does: RFC 2047 encoded words decoded, anything else as is."""
    return str(make_header(decode_header(value or "")))


# -- ntfy ---------------------------------------------------------------------------------------


def test_ntfy_posts_title_priority_tags_token_and_body(server):
    delivery = ntfy(server, token="tk_abc123").send(event())
    assert (delivery.channel, delivery.outcome, delivery.reason) == ("ntfy", SENT, "")
    (seen,) = server.requests
    assert (seen.method, seen.path) == ("POST", f"/{TOPIC}")
    assert seen.headers["Title"] == "bert-base finished"
    assert seen.headers["X-Priority"] == "default"
    assert seen.headers["Tags"] == "white_check_mark"
    assert seen.headers["Authorization"] == "Bearer tk_abc123"
    assert seen.body.decode("utf-8") == "in 3h12m · eval_loss 0.213"
    assert "/runs/bert" not in seen.body.decode()  # the path stays home unless asked for


@pytest.mark.parametrize(("kind", "severity", "priority", "tag"), [
    ("failed", "error", 4, "rotating_light"),
    ("nan", "error", 4, "warning"),
    ("stalled", "warning", 3, "hourglass"),
    ("interrupted", "warning", 3, "stop_sign"),
    ("completed", "info", 3, "white_check_mark"),
    ("recovered", "info", 2, "arrow_forward"),
    ("eta", "info", 2, "alarm_clock"),
    ("milestone", "info", 2, "bar_chart"),
])
def test_ntfy_priority_and_tags_follow_the_kind(server, kind, severity, priority, tag):
    assert ntfy(server).send(event(kind, severity=severity)).outcome == SENT
    headers = server.requests[0].headers
    assert NTFY_PRIORITY[headers["X-Priority"]] == priority
    assert headers["Tags"] == tag


def test_ntfy_without_token_sends_no_authorization(server):
    ntfy(server).send(event())
    assert server.requests[0].headers["Authorization"] is None


def test_ntfy_non_ascii_title_arrives_intact(server):
    title = "✔ café run finished — 100%"
    assert ntfy(server).send(event(title=title, body="eval_loss 0.2 · naïve")).outcome == SENT
    seen = server.requests[0]
    assert seen.headers["Title"].isascii()  # what travels is header-safe
    assert ntfy_header(seen.headers["Title"]) == title  # and ntfy decodes it back
    assert seen.body.decode("utf-8") == "eval_loss 0.2 · naïve"


def test_header_text_leaves_ascii_alone_and_encodes_lookalikes():
    assert header_text("bert finished") == "bert finished"
    assert header_text("é") == "=?UTF-8?B?w6k=?="
    assert ntfy_header(header_text("a =?utf-8?q?trick?= b")) == "a =?utf-8?q?trick?= b"


def test_ntfy_body_falls_back_to_the_one_line_text(server):
    ntfy(server).send(event("interrupted", title="bert-base interrupted after 2h", body="", severity="warning"))
    assert server.requests[0].body.decode() == "■ bert-base interrupted after 2h"


def test_ntfy_include_path_adds_the_log_path(server):
    ntfy(server, include_path=True).send(event())
    assert server.requests[0].body.decode().endswith("\nlog: /runs/bert/train.log")


def test_ntfy_server_without_scheme_means_https():
    assert NtfyChannel("ntfy.sh/", TOPIC).server == "https://ntfy.sh"
    assert NtfyChannel(" https://ntfy.example.org/ ", TOPIC).server == "https://ntfy.example.org"


def test_unconfigured_channels_are_skipped(server):
    assert ntfy(server, topic="").send(event()).reason == "no topic configured"
    assert ntfy(server, topic="").send(event()).outcome == SKIPPED
    assert NtfyChannel("", TOPIC).send(event()).outcome == SKIPPED
    assert WebhookChannel("").send(event()).outcome == SKIPPED
    assert WebhookChannel("   ").send(event()).reason == "no webhook URL configured"
    assert server.requests == []


def test_ntfy_invalid_topic_fails_without_sending(server):
    delivery = ntfy(server, topic="../v1/account").send(event())
    assert delivery.outcome == FAILED and "account" not in delivery.reason
    assert server.requests == []


def test_ntfy_auth_failure_says_what_to_check(server):
    server.answer((401, b'{"code":40101,"http":401,"error":"unauthorized"}'))
    delivery = ntfy(server, token="tk_wrong").send(event())
    assert (delivery.outcome, delivery.reason) == (FAILED, "HTTP 401 (check the access token)")


# -- failures are quick, clear, and never raise -------------------------------------------------


def _respond_slowly(local: LocalServer) -> None:
    local.hold()


def _respond_500(local: LocalServer) -> None:
    local.answer((500, b"internal error"))


def _respond_429(local: LocalServer) -> None:
    local.answer((429, b"", {"Retry-After": "30"}))


def _respond_429_bare(local: LocalServer) -> None:
    local.answer((429, b""))


@pytest.mark.parametrize(("script", "reason"), [
    (_respond_slowly, "timed out after 0.3s"),
    (_respond_500, "HTTP 500"),
    (_respond_429, "rate limited (429), retry after 30s"),
    (_respond_429_bare, "rate limited (429)"),
])
@pytest.mark.parametrize("make", [ntfy, webhook])
def test_failures_are_reported_within_a_bounded_time(server, make, script, reason):
    script(server)
    channel = make(server)
    started = time.monotonic()
    delivery = channel.send(event("failed", "bert-base failed", "CUDA out of memory", "error"))
    assert time.monotonic() - started < 3 * TIMEOUT
    assert (delivery.outcome, delivery.reason) == (FAILED, reason)
    assert TOPIC not in delivery.reason and "XXXX" not in delivery.reason


@pytest.mark.parametrize("make", [ntfy, webhook])
def test_connection_refused_is_a_failed_delivery(make):
    class Closed:  # a "server" nobody listens on
        url = f"http://127.0.0.1:{closed_port()}"
    started = time.monotonic()
    delivery = make(Closed()).send(event())
    assert time.monotonic() - started < 3 * TIMEOUT
    assert (delivery.outcome, delivery.reason) == (FAILED, "connection refused")


def test_the_topic_and_token_never_show(server):
    secret_topic = "status-" + TOPIC
    channel = NtfyChannel(server.url, secret_topic, token="tk_private", client=Client(timeout=TIMEOUT))
    reasons = []
    for answer in [(500, b"x"), (403, secret_topic.encode()), (429, b"", {"Retry-After": "99"})]:
        server.answer(answer)
        reasons.append(NtfyChannel(server.url, secret_topic, client=Client(timeout=TIMEOUT)).send(event()).reason)
    reasons.append(NtfyChannel(f"http://127.0.0.1:{closed_port()}", secret_topic,
                               client=Client(timeout=TIMEOUT)).send(event()).reason)
    assert all(reason for reason in reasons)
    assert not any(secret_topic in reason or "tk_private" in reason for reason in reasons)
    assert secret_topic not in repr(channel) and "tk_private" not in repr(channel)
    assert "XXXX" not in repr(webhook(server))


def test_a_broken_event_fails_the_delivery_instead_of_raising(server):
    broken = AlertEvent("no-such-kind", "/p", "n", "t", "", "info", 0.0)  # .text has no symbol for it
    delivery = webhook(server).send(broken)
    assert (delivery.outcome, delivery.reason) == (FAILED, "unexpected error: KeyError")


# -- webhooks -----------------------------------------------------------------------------------


def test_slack_webhook_receives_text(server):
    delivery = webhook(server, "slack").send(event())
    assert (delivery.channel, delivery.outcome) == ("webhook", SENT)
    (seen,) = server.requests
    assert (seen.method, seen.path) == ("POST", "/hooks/T000/B000/XXXX")
    assert seen.headers["Content-Type"] == "application/json"
    assert json.loads(seen.body) == {"text": "✔ bert-base finished in 3h12m · eval_loss 0.213"}


def test_slack_control_characters_are_escaped(server):
    webhook(server, "slack").send(event(title="<!channel> a&b", body=""))
    assert json.loads(server.requests[0].body)["text"] == "✔ &lt;!channel&gt; a&amp;b"


def test_discord_webhook_receives_content_without_mentions(server):
    webhook(server, "discord").send(event(title="@everyone run finished", body=""))
    assert json.loads(server.requests[0].body) == {"content": "✔ @everyone run finished",
                                                   "allowed_mentions": {"parse": []}}


def test_json_webhook_receives_the_whole_event(server):
    webhook(server, "json").send(event())
    assert json.loads(server.requests[0].body) == {
        "kind": "completed", "name": "bert-base", "title": "bert-base finished", "body": "in 3h12m · eval_loss 0.213",
        "severity": "info", "text": "✔ bert-base finished in 3h12m · eval_loss 0.213", "at": 1_700_000_000.0,
    }
    webhook(server, "json", include_path=True).send(event())
    assert json.loads(server.requests[1].body)["path"] == "/runs/bert/train.log"


def test_unknown_webhook_style_is_refused():
    with pytest.raises(ValueError, match="unknown webhook style"):
        WebhookChannel("https://example.com/hook", style="teams")


# -- hostile text -------------------------------------------------------------------------------


def test_hostile_event_text_arrives_sanitized(server):
    hostile = event("failed", "\x1b]0;owned\x07run\x1b[31m failed\r\n\u202e", "loss \x1b[2Jnan\x07\x9b1m\x00 x", "error")
    ntfy(server).send(hostile)
    for style in ("slack", "discord", "json"):
        webhook(server, style).send(hostile)
    ntfy_seen, *hooks = server.requests
    title, body = ntfy_header(ntfy_seen.headers["Title"]), ntfy_seen.body.decode()
    assert (title, body) == ("run failed", "loss nan x")
    for seen in hooks:
        for value in json.loads(seen.body).values():
            assert not CONTROL.search(str(value)), value
