"""One run up close: its state and failure reason, the metric chart and the live log.

A thread worker reads the whole log once (the history scan: bounded memory, off the UI thread)
and then follows it, posting batches; the log view keeps the last lines only.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Log, Static
from textual.worker import get_current_worker

from waitbuddy.runs.present import one_line
from waitbuddy.runs.run import Run
from waitbuddy.runs.screen import TerminalView
from waitbuddy.runs.status import idle_since_modified
from waitbuddy.runs.tail import Tail
from waitbuddy.text import safe_text
from waitbuddy.tui.bindings import bindings_for
from waitbuddy.tui.widgets.chart import MetricChart

LOG_LINES = 2000
POLL_SECONDS = 0.5
CHART_EVERY_SECONDS = 1.0


class RunScreen(Screen[None]):
    BINDINGS = bindings_for("run")

    @dataclass
    class Lines(Message, bubble=False):
        lines: list[str]

    @dataclass
    class State(Message, bubble=False):
        snapshot: dict
        series: dict[str, list[tuple[float, float]]] | None
        current: str  # the line the terminal is still drawing (a progress bar)

        def can_replace(self, message: Message) -> bool:
            # The newest state wins, but a chart update is only dropped for a newer chart update.
            return isinstance(message, RunScreen.State) and (self.series is None or message.series is not None)

    def __init__(self, path: str, name: str, stall_floor: float, extra_recognizers: tuple = ()) -> None:
        super().__init__()
        self.extra_recognizers = extra_recognizers
        self.path = path
        self.run_name = name
        self.stall_floor = stall_floor

    def compose(self) -> ComposeResult:
        with Vertical(id="run-detail"):
            yield Static(Text(f"{self.run_name}  reading {self.path} …"), id="run-summary")
            yield MetricChart(id="run-chart")
            yield Log(max_lines=LOG_LINES, id="run-log", auto_scroll=True)
            yield Static("", id="run-current", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#run-log", Log).border_title = "log (terminal view)"
        self.follow()

    @work(thread=True, exclusive=True, exit_on_error=False, group="run-detail", description="read the log")
    def follow(self) -> None:
        worker = get_current_worker()
        run = Run(self.path, self.run_name, stall_floor=self.stall_floor, extra_recognizers=self.extra_recognizers)
        run.scan_raw = False  # catching up on history: the terminal view is enough, and faster
        view = TerminalView(until_cursor_up=1)
        tail = Tail(self.path, start_from_end=None)
        catching_up = True
        backlog: deque[str] = deque(maxlen=LOG_LINES)
        last_chart = 0.0
        try:
            while not worker.is_cancelled:
                chunk = tail.read()
                now = time.time()
                if chunk.reset:
                    run.reset(now)
                    view = TerminalView(until_cursor_up=1)
                if chunk.text:
                    run.feed(chunk.text, now)
                    lines = [safe_text(line, limit=2000) for line in view.feed(chunk.text)]
                    if catching_up:
                        backlog.extend(lines)
                    elif lines:
                        self.post_message(self.Lines(lines))
                    continue  # keep reading while there is more
                if catching_up:
                    catching_up = False
                    run.scan_raw = True
                    idle_since_modified(run, self.path, now)
                    self.post_message(self.Lines(list(backlog)))
                    backlog.clear()
                run.tick(now)
                note = chunk.error or ("waiting for the file" if chunk.missing else None)
                note = note or ("not a text log" if chunk.binary else None)
                run.set_note(note)
                charted = now - last_chart >= CHART_EVERY_SECONDS
                if charted:
                    last_chart = now
                series = {name: list(history.points) for name, history in run.history.items()} if charted else None
                live = view.live()
                current = safe_text(live[-1], limit=2000) if live else ""
                self.post_message(self.State(run.snapshot(now), series, current))
                worker.cancelled_event.wait(POLL_SECONDS)
        finally:
            tail.close()

    @on(Lines)
    def _lines(self, event: Lines) -> None:
        self.query_one("#run-log", Log).write_lines(event.lines)

    @on(State)
    def _state(self, event: State) -> None:
        snapshot = event.snapshot
        error = snapshot.get("error")
        text = Text(one_line({**snapshot, "error": None}), style="bold")
        if error:
            text.append(f"\n{error['kind']}: {error['message']}")
        text.append(f"\n{Path(self.path)}", style="dim")
        self.query_one("#run-summary", Static).update(text)
        self.query_one("#run-current", Static).update(Text(event.current, no_wrap=True, overflow="ellipsis"))
        if event.series is not None:
            chart = self.query_one("#run-chart", MetricChart)
            chart.series = event.series
            if chart.metric is None:  # start on a loss if there is one
                chart.metric = next((name for name in event.series if "loss" in name.lower()), None)
            chart.set_class(not event.series, "-empty")  # one line of explanation, not 40 %

    def action_next_metric(self) -> None:
        chart = self.query_one("#run-chart", MetricChart)
        names = list(chart.series)
        if names:
            current = names.index(chart.metric) if chart.metric in names else 0
            chart.metric = names[(current + 1) % len(names)]

    def action_close(self) -> None:
        self.app.pop_screen()
