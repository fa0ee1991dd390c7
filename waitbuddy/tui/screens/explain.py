"""`e` in a run's view: where each reading of the run comes from (runs/explain.py), the same text
`waitbuddy status --explain` prints. The log is read off the UI thread; log text is shown as
plain text, never markup."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Static

from waitbuddy.tui.bindings import bindings_for


class ExplainScreen(ModalScreen[None]):
    BINDINGS = bindings_for("explain")

    @dataclass
    class Ready(Message, bubble=False):
        lines: list[str]

    def __init__(self, path: str, name: str, stall_floor: float, extra_recognizers: tuple = ()) -> None:
        super().__init__()
        self.path = path
        self.run_name = name
        self.stall_floor = stall_floor
        self.extra_recognizers = extra_recognizers

    def compose(self) -> ComposeResult:
        with Vertical(id="explain-box") as box:
            box.border_title = "Why this reading"
            box.border_subtitle = "escape closes"
            with VerticalScroll():
                yield Static(Text("reading the whole log …"), id="explain-text", markup=False)

    def on_mount(self) -> None:
        self.explain()

    @work(thread=True, exclusive=True, exit_on_error=False, group="explain", description="explain the reading")
    def explain(self) -> None:
        import time

        from waitbuddy.runs import registry
        from waitbuddy.runs.explain import explain_lines
        from waitbuddy.runs.status import read_once

        try:
            now = time.time()
            # The exit `waitbuddy run` recorded counts here as in the row and in `status`.
            record = registry.get(self.app.services.store, path=self.path)
            run = read_once(self.path, name=self.run_name, now=now, stall_floor=self.stall_floor,
                            extra_recognizers=self.extra_recognizers, explain=True, record=record)
            lines = explain_lines(run, now)
        except Exception as error:  # shown on the screen, never a traceback  # noqa: BLE001
            lines = [f"could not read the log: {type(error).__name__}: {error}"]
        self.post_message(self.Ready(lines))

    @on(Ready)
    def _ready(self, event: Ready) -> None:
        self.query_one("#explain-text", Static).update(Text("\n".join(event.lines), no_wrap=False))
