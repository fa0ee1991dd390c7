"""Opening a link where no browser can be started (over SSH, on a GPU box): show it as a
terminal hyperlink (OSC 8: click it in the terminal on your laptop) and offer to copy it."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

from textual.app import App, ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.style import Style
from textual.widgets import Static

from waitbuddy.text import safe_line
from waitbuddy.tui.bindings import bindings_for


class LinkScreen(ModalScreen[None]):
    BINDINGS = bindings_for("link")

    def __init__(self, url: str, title: str = "") -> None:
        super().__init__()
        self.url = url  # checked by the caller (waitbuddy.text.openable_url)
        self.title_text = safe_line(title, limit=200)

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt-box"):
            if self.title_text:
                yield Static(Content(self.title_text), markup=False)
            yield Static(Content.assemble((self.url, Style(link=self.url, underline=True))), markup=False,
                         id="link-url")
            yield Static("click the link (ctrl/cmd+click in most terminals) · c: copy it · escape: close",
                         classes="hint", markup=False)

    def action_copy(self) -> None:
        copy_to_clipboard(self.app, self.url)
        self.dismiss(None)


def can_open_browser(env: Mapping[str, str]) -> bool:
    """A browser started here would reach the person: a desktop session, not over SSH."""
    if env.get("SSH_CONNECTION") or env.get("SSH_TTY"):
        return False
    return sys.platform == "darwin" or bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))


def copy_to_clipboard(app: App, url: str, *, what: str = "link") -> None:
    """OSC 52 through the terminal. Inside tmux the sequence goes to the client's terminal
    itself: tmux drops it from applications under its default ``set-clipboard external``.
    ``what`` names the text in the notice (``the update``)."""
    if not os.environ.get("TMUX"):
        app.copy_to_clipboard(url)
        app.notify(f"{what} copied (if your terminal allows OSC 52)", markup=False)
        return

    def send() -> None:
        from waitbuddy.alerts.escapes import osc52
        from waitbuddy.alerts.terminal import send_escape

        delivery = send_escape("clipboard", osc52(url), os.environ)
        ok = delivery.outcome == "sent"
        app.call_from_thread(app.notify, f"{what} copied" if ok else f"could not copy: {delivery.reason}",
                             markup=False, severity="information" if ok else "error")

    app.run_worker(send, thread=True, exit_on_error=False, group="clipboard", description="copy the link")
