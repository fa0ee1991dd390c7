"""Push alerts over HTTP: ntfy, and chat webhooks (Slack, Discord, or a plain JSON object).

What leaves the machine is only what the AlertEvent says: its title and short body, sanitized
again here and capped. Log text and the command line are never sent; the log path only with
``include_path`` (some employers object to paths leaving the building, dschep/ntfy #134).

The ntfy topic and the webhook URL are passwords: they appear in no Delivery reason and no repr
(``net.HttpError`` never quotes URLs; reasons are masked here as well, in case).
"""

from __future__ import annotations

import base64
import re
from typing import Any

from waitbuddy.alerts.channel import FAILED, SENT, SKIPPED, Delivery
from waitbuddy.alerts.events import (
    COMPLETED,
    DISCONNECTED,
    ETA,
    INTERRUPTED,
    MILESTONE,
    NAN,
    RECOVERED,
    STALLED,
    AlertEvent,
)
from waitbuddy.alerts.events import FAILED as RUN_FAILED  # channel.FAILED is a delivery outcome
from waitbuddy.net import Client, HttpError
from waitbuddy.text import safe_line

# ntfy priorities (1 min .. 5 max): failures buzz, endings are ordinary news, progress is quiet.
PRIORITY = {RUN_FAILED: "high", NAN: "high", INTERRUPTED: "default", STALLED: "default", COMPLETED: "default",
            RECOVERED: "low", ETA: "low", MILESTONE: "low", DISCONNECTED: "default"}
# ntfy renders these emoji short codes as an icon in front of the title.
TAGS = {COMPLETED: "white_check_mark", RUN_FAILED: "rotating_light", NAN: "warning", STALLED: "hourglass",
        INTERRUPTED: "stop_sign", RECOVERED: "arrow_forward", ETA: "alarm_clock", MILESTONE: "bar_chart",
        DISCONNECTED: "electric_plug"}
MAX_TITLE = 120
MAX_BODY = 1000  # characters; ntfy turns messages over 4096 bytes into attachments (4 bytes a character at most)
DISCORD_LIMIT = 2000  # Discord refuses longer message content
WEBHOOK_STYLES = ("slack", "discord", "json")
_TOPIC = re.compile(r"[-_A-Za-z0-9]{1,64}")  # what ntfy accepts as a topic name
_SLACK_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def header_text(text: str) -> str:
    """A one-line text as an HTTP header value ntfy will read back intact.

    HTTP headers travel as latin-1 at best, and ntfy (Go) reads raw header bytes as UTF-8, so
    even "é" would arrive garbled. ASCII goes as is; anything else becomes one RFC 2047
    encoded word (``=?UTF-8?B?...?=``), which ntfy decodes for Title (``mime.WordDecoder``).
    ASCII text that itself contains "=?" is encoded too, so it is not decoded by accident.
    """
    if text.isascii() and "=?" not in text:
        return text
    return "=?UTF-8?B?" + base64.b64encode(text.encode("utf-8")).decode("ascii") + "?="


def _path_line(event: AlertEvent) -> str:
    return "\nlog: " + safe_line(event.path, limit=300)


def _mask(reason: str, *secrets: str | None) -> str:
    for secret in secrets:
        if secret:
            reason = reason.replace(secret, "***")
    return reason


class NtfyChannel:
    """Publish to ntfy: POST <server>/<topic>, the message as the body, metadata in headers."""

    name = "ntfy"

    def __init__(self, server: str, topic: str, *, token: str | None = None, client: Client | None = None,
                 include_path: bool = False, budget: float | None = None) -> None:
        self.server = _normalize_server(server)
        self._topic = (topic or "").strip()
        self._token = (token or "").strip() or None
        self.client = client or Client()
        self.include_path = include_path
        # An alert must not hold its sender for long: retries and waits all fit in twice the timeout.
        self.budget = 2 * self.client.timeout if budget is None else budget

    def __repr__(self) -> str:
        return f"NtfyChannel(server={self.server!r}, topic='***', token={'***' if self._token else None})"

    def send(self, event: AlertEvent) -> Delivery:
        if not self.server:
            return Delivery(self.name, SKIPPED, "no server configured")
        if not self._topic:
            return Delivery(self.name, SKIPPED, "no topic configured")
        if not _TOPIC.fullmatch(self._topic):
            return Delivery(self.name, FAILED, "invalid topic name (letters, digits, - and _ only)")
        try:
            self.client.request("POST", f"{self.server}/{self._topic}", headers=self.headers(event),
                                data=self.message(event).encode("utf-8"), budget=self.budget)
        except HttpError as error:
            return Delivery(self.name, FAILED, _mask(_ntfy_reason(error), self._topic, self._token))
        except Exception as error:  # noqa: BLE001 - a channel reports, it never raises
            return Delivery(self.name, FAILED, _mask(f"unexpected error: {type(error).__name__}", self._topic))
        return Delivery(self.name, SENT)

    def headers(self, event: AlertEvent) -> dict[str, str]:
        headers = {
            "Title": header_text(safe_line(event.title, limit=MAX_TITLE) or "waitbuddy"),
            # X-Priority, not Priority: proxies such as Cloudflare add an RFC 9218 "Priority" header
            # of their own, which ntfy then has to ignore; the X- form is read first and never clashes.
            "X-Priority": PRIORITY.get(event.kind, "default"),
            "Content-Type": "text/plain; charset=utf-8",
        }
        if event.kind in TAGS:
            headers["Tags"] = TAGS[event.kind]
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        return headers

    def message(self, event: AlertEvent) -> str:
        text = safe_line(event.body or event.text, limit=MAX_BODY)
        return text + (_path_line(event) if self.include_path else "")


def _normalize_server(server: str | None) -> str:
    """ "ntfy.sh" and "https://ntfy.sh/" both mean https://ntfy.sh."""
    server = (server or "").strip().rstrip("/")
    if server and "://" not in server:
        server = "https://" + server
    return server


def _ntfy_reason(error: HttpError) -> str:
    hint = {401: "check the access token", 403: "no permission for this topic"}.get(error.status or 0)
    return f"{error} ({hint})" if hint else str(error)


class WebhookChannel:
    """POST a JSON message to a chat webhook: Slack (``text``), Discord (``content``) or plain JSON."""

    name = "webhook"

    def __init__(self, url: str, *, style: str = "slack", client: Client | None = None, include_path: bool = False,
                 budget: float | None = None) -> None:
        if style not in WEBHOOK_STYLES:
            raise ValueError(f"unknown webhook style {style!r} (expected one of {', '.join(WEBHOOK_STYLES)})")
        self._url = (url or "").strip()
        self.style = style
        self.client = client or Client()
        self.include_path = include_path
        self.budget = 2 * self.client.timeout if budget is None else budget

    def __repr__(self) -> str:
        return f"WebhookChannel(url='***', style={self.style!r})"

    def send(self, event: AlertEvent) -> Delivery:
        if not self._url:
            return Delivery(self.name, SKIPPED, "no webhook URL configured")
        try:
            self.client.request("POST", self._url, json=self.payload(event), budget=self.budget)
        except HttpError as error:
            return Delivery(self.name, FAILED, _mask(str(error), self._url))
        except Exception as error:  # noqa: BLE001 - a channel reports, it never raises
            return Delivery(self.name, FAILED, f"unexpected error: {type(error).__name__}")
        return Delivery(self.name, SENT)

    def payload(self, event: AlertEvent) -> dict[str, Any]:
        text = safe_line(event.text, limit=MAX_BODY) + (_path_line(event) if self.include_path else "")
        if self.style == "slack":
            # Slack reads <...> as links and mentions (<!channel>); &, < and > must be escaped.
            return {"text": text.translate(_SLACK_ESCAPES)}
        if self.style == "discord":
            # No mentions: an "@everyone" inside a run name or error must not ping a whole server.
            return {"content": text[:DISCORD_LIMIT], "allowed_mentions": {"parse": []}}
        payload: dict[str, Any] = {
            "kind": event.kind, "name": safe_line(event.name, limit=MAX_TITLE),
            "title": safe_line(event.title, limit=MAX_TITLE), "body": safe_line(event.body, limit=MAX_BODY),
            "severity": event.severity, "text": safe_line(event.text, limit=MAX_BODY), "at": event.at,
        }
        if self.include_path:
            payload["path"] = safe_line(event.path, limit=300)
        return payload
