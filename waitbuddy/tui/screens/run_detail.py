"""One run up close: its state and failure reason, the metric chart and the live log.

The summary shows the watcher's state of the run, the same one the Runs pane shows (including
an exit that `waitbuddy run` recorded); the screen reads it on the UI thread every half second.
A thread worker reads the whole log once (the history scan: bounded memory, off the UI thread)
and then follows it, posting batches for the log, the chart and the rows the terminal is still
drawing; its own reading of the state stands in only while the watcher has none.

The run's experiment notes show under the summary (the latest few, newest last), read from the
store on a thread when the view opens, after ``n`` adds one, and when another waitbuddy writes.
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Log, Static
from textual.worker import get_current_worker

from waitbuddy.runs import notes, registry
from waitbuddy.runs.present import STATUS_SYMBOLS, count_text, headline, headline_name
from waitbuddy.runs.run import Run
from waitbuddy.runs.screen import TerminalView
from waitbuddy.runs.snapshot import RunSnapshot
from waitbuddy.runs.status import idle_since_modified
from waitbuddy.runs.tail import Tail
from waitbuddy.store import StoreError
from waitbuddy.text import safe_line, safe_text, visible
from waitbuddy.timefmt import duration
from waitbuddy.tui.bindings import bindings_for
from waitbuddy.tui.runrow import status_colors
from waitbuddy.tui.screens.prompt import Prompt
from waitbuddy.tui.widgets.chart import MetricChart

if TYPE_CHECKING:
    from textual.dom import DOMNode

    from waitbuddy.store import Store

LOG_LINES = 2000
POLL_SECONDS = 0.5
CHART_EVERY_SECONDS = 1.0
LIVE_ROWS = 4  # nested progress bars shown under the log, at most
NOTE_ROWS = 3  # rows of notes under the summary, at most: the log keeps its room at 80x24
NOTE_TOAST_SECONDS = 3.0


def shorten_left(text: str, width: int) -> str:
    """``…/runs/bert/train.log``: the end of a path is the part that tells runs apart."""
    if cell_len(text) <= width:
        return text
    if width <= 1:
        return "…"[:width]
    tail = text[-(width - 1):]
    while cell_len(tail) > width - 1:
        tail = tail[1:]
    return "…" + tail


def summary(snapshot: RunSnapshot, path: str, width: int, colors: dict[str, str]) -> Text:
    """Three lines at most: the state, the reason (failure, stall, note), the path."""
    status = snapshot.status
    text = Text(no_wrap=True, overflow="ellipsis", end="")
    color = colors.get(status) or None
    text.append(f"{STATUS_SYMBOLS.get(status, '?')} {status}", style=Style(bold=True, color=color))
    text.append("  ")
    text.append(visible(snapshot.name, limit=120), style="bold")
    parts = []
    fraction = snapshot.fraction
    if fraction is not None:
        parts.append(f"{fraction * 100:.0f}%")
    parts.append(count_text(snapshot))
    if status in ("running", "stalled", "waiting") and snapshot.eta_seconds is not None:
        parts.append(f"ETA {duration(snapshot.eta_seconds)}")
    if snapshot.elapsed_seconds is not None:
        parts.append(f"{'took' if snapshot.ended else 'for'} {duration(snapshot.elapsed_seconds)}")
    parts.append(headline(snapshot))
    text.append("".join(f"  {safe_line(part, limit=80)}" for part in parts if part))
    why = _reason(snapshot)
    if why:
        text.append("\n")
        text.append(why, style=Style(color=color))
    text.append("\n")
    text.append(shorten_left(visible(path, limit=4096), max(width, 1)), style="dim")
    return text


def _reason(snapshot: RunSnapshot) -> str:
    status, error = snapshot.status, snapshot.error
    parts = []
    if status in ("failed", "interrupted") and error is not None:
        parts.append(f"{safe_line(error.kind or '', limit=40)}: {safe_line(error.message, limit=400)}")
    if snapshot.exit_code is not None:
        parts.append(f"exit status {snapshot.exit_code}")
    elif snapshot.exit_signal is not None:
        parts.append(f"killed by signal {snapshot.exit_signal}")
    if status == "stalled" and snapshot.stall:
        parts.append(safe_line(snapshot.stall, limit=200))
    if snapshot.note:
        parts.append(safe_line(snapshot.note, limit=200))
    return "  ·  ".join(parts)


def notes_text(found: list[notes.Note], accent: str | None = None) -> Text:
    """The latest notes, newest last, one row each (cut at the edge, never wrapped), with a first
    row saying how many earlier ones there are when they do not all fit."""
    text = Text(no_wrap=True, overflow="ellipsis", end="")
    shown = found if len(found) <= NOTE_ROWS else found[-(NOTE_ROWS - 1):]
    if len(shown) < len(found):
        text.append(f"… {len(found) - len(shown)} earlier notes (waitbuddy note {found[0].run_id})\n", style="dim")
    for index, note in enumerate(shown):
        text.append(f"{notes.when(note)}  ", style="dim")
        if note.kind == "next":
            text.append(f"{notes.NEXT_MARK} ", style=Style(bold=True, color=accent or None))
        else:
            text.append("note: ", style="dim")
        text.append(safe_line(note.text, limit=notes.MAX_CHARS))
        if index < len(shown) - 1:
            text.append("\n")
    return text


def ask_for_note(node: DOMNode, store: Store, run_id: int, name: str,
                 on_added: Callable[[notes.Note], None] | None = None) -> None:
    """``n`` on a run (the Runs area, the run view): ask for a note, add it on a thread (the store
    may wait on another pane's lock), say so briefly; ``on_added`` then runs on the UI thread."""

    def save(answer: str | None) -> None:
        if answer:
            node.run_worker(partial(_add_note, node, store, run_id, name, answer, on_added), thread=True,
                            exit_on_error=False, group="store", description="add a note")

    node.app.push_screen(Prompt(f"A note on {visible(name, limit=80)}: the question it answers, what was learned; "
                                "start with next: for an experiment to try next", placeholder="next: try lr 3e-4"),
                         save)


def _add_note(node: DOMNode, store: Store, run_id: int, name: str, answer: str,
              on_added: Callable[[notes.Note], None] | None) -> None:  # a worker thread
    app = node.app
    kind, text = notes.parse(answer)
    try:
        note = notes.add(store, run_id, text, kind=kind)
    except (notes.NoteError, StoreError) as exc:
        app.call_from_thread(app.notify, f"note not added: {exc}", severity="error", markup=False)
        return
    said = "next experiment noted" if note.kind == "next" else "note added"
    app.call_from_thread(app.notify, f"{said} on {visible(name, limit=80)}", markup=False, timeout=NOTE_TOAST_SECONDS)
    if on_added is not None:
        app.call_from_thread(on_added, note)


class RunScreen(Screen[None]):
    BINDINGS = bindings_for("run")

    @dataclass
    class Lines(Message, bubble=False):
        lines: list[str]

    @dataclass
    class State(Message, bubble=False):
        snapshot: RunSnapshot
        series: dict[str, list[tuple[float, float]]] | None
        x_unit: str
        live: list[str]  # the rows the terminal is still drawing (progress bars), top first

        def can_replace(self, message: Message) -> bool:
            # The newest state wins, but a chart update is only dropped for a newer chart update.
            return isinstance(message, RunScreen.State) and (self.series is None or message.series is not None)

    @dataclass
    class Notes(Message, bubble=False):
        run_id: int | None
        notes: list[notes.Note]

    def __init__(self, path: str, name: str, stall_floor: float, extra_recognizers: tuple = (),
                 latest: Callable[[], RunSnapshot | None] | None = None,
                 open_tail: Callable[[str], Tail] | None = None) -> None:
        """``latest``: the watcher's newest snapshot of this run (called on the UI thread).
        ``open_tail``: how to read a log that is not a local file (ssh://: through the watcher's
        connection to its host); a local log is read from its start."""
        super().__init__()
        self.open_tail = open_tail
        self.extra_recognizers = extra_recognizers
        self.path = path
        self.run_name = name
        self.stall_floor = stall_floor
        self.latest = latest
        self._own: RunSnapshot | None = None  # this screen's own reading, until the watcher has one
        self._run_id: int | None = None  # the run's row in the store, once the notes are read

    def compose(self) -> ComposeResult:
        with Vertical(id="run-detail"):
            yield Static(Text(f"{visible(self.run_name, limit=120)}  reading the log …"), id="run-summary")
            yield Static(id="run-notes")
            yield MetricChart(id="run-chart")
            yield Log(max_lines=LOG_LINES, id="run-log", auto_scroll=True)
            yield Static("", id="run-current", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#run-log", Log).border_title = "log (terminal view)"
        self.query_one("#run-current", Static).display = False
        self.query_one("#run-notes", Static).display = False
        self._show_summary()
        self.set_interval(POLL_SECONDS, self._show_summary)
        self.follow()
        self.reload_notes()
        # A note added from another pane or `waitbuddy note` shows here too.
        self.app.store_changed_signal.subscribe(self, lambda _: self.reload_notes())

    def on_resize(self) -> None:
        self._show_summary()

    def snapshot(self) -> RunSnapshot | None:
        """What the summary shows: the watcher's state of this run, else the screen's own."""
        watched = self.latest() if self.latest is not None else None
        return watched or self._own

    def _show_summary(self) -> None:
        snapshot = self.snapshot()
        if snapshot is None:
            return
        box = self.query_one("#run-summary", Static)
        width = box.content_region.width or self.size.width - 2
        box.update(summary(snapshot, self.path, width, status_colors(self.app.current_theme)))

    @work(thread=True, exclusive=True, exit_on_error=False, group="run-detail", description="read the log")
    def follow(self) -> None:
        worker = get_current_worker()
        run = Run(self.path, self.run_name, stall_floor=self.stall_floor, extra_recognizers=self.extra_recognizers)
        run.scan_raw = False  # catching up on history: the terminal view is enough, and faster
        try:
            run.sample_finely(os.stat(self.path).st_size)
        except OSError:
            pass  # the tail says why when it reads
        view = TerminalView(until_cursor_up=1)
        tail = self.open_tail(self.path) if self.open_tail is not None else Tail(self.path, start_from_end=None)
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
                # Every row the terminal still draws, the nested bars below the cursor too: the
                # cursor sits on the outer bar, which tqdm redraws only once an epoch.
                live = [safe_line(row, limit=2000) for row in view.held()[0][-LIVE_ROWS:]]
                self.post_message(self.State(run.snapshot(now), run.series() if charted else None, run.x_unit, live))
                worker.cancelled_event.wait(POLL_SECONDS)
        finally:
            tail.close()

    @on(Lines)
    def _lines(self, event: Lines) -> None:
        self.query_one("#run-log", Log).write_lines(event.lines)

    @on(State)
    def _state(self, event: State) -> None:
        self._own = event.snapshot
        self._show_summary()
        current = self.query_one("#run-current", Static)
        rows = [row for row in event.live if row.strip()]  # nothing left of rows no longer drawn
        current.display = bool(rows)
        current.update(Text("\n".join(rows), no_wrap=True, overflow="ellipsis"))
        if event.series is not None:
            chart = self.query_one("#run-chart", MetricChart)
            chart.x_unit = event.x_unit
            chart.series = event.series
            if chart.metric is None:  # start on the metric the row shows: a loss if there is one
                chart.metric = headline_name(event.series)
            chart.set_class(not event.series, "-empty")  # one line of explanation, not 40 %

    def _known_run_id(self) -> int | None:
        snapshot = self.snapshot()
        return snapshot.run_id if snapshot is not None and snapshot.run_id is not None else self._run_id

    def reload_notes(self) -> None:
        self._read_notes(self.app.store, self._known_run_id())

    @work(thread=True, exclusive=True, exit_on_error=False, group="run-notes", description="read the run's notes")
    def _read_notes(self, store: Store, run_id: int | None) -> None:
        try:
            if run_id is None and (record := registry.get(store, path=self.path)) is not None:
                run_id = record.id
            found = notes.for_run(store, run_id) if run_id is not None else []
        except StoreError as exc:  # locked for the whole timeout: the notes stay as they were
            self.app.call_from_thread(self.notify, f"notes: {exc}", severity="error", markup=False)
            return
        self.post_message(self.Notes(run_id, found))

    @on(Notes)
    def _notes(self, event: Notes) -> None:
        self._run_id = event.run_id if event.run_id is not None else self._run_id
        box = self.query_one("#run-notes", Static)
        box.display = bool(event.notes)
        box.update(notes_text(event.notes, self.app.current_theme.accent))

    def action_note_run(self) -> None:
        run_id = self._known_run_id()
        if run_id is None:
            self.notify("this run is not in the database, so it cannot keep notes", severity="warning", markup=False)
            return
        ask_for_note(self, self.app.store, run_id, self.run_name, on_added=lambda _note: self.reload_notes())

    def action_next_metric(self) -> None:
        chart = self.query_one("#run-chart", MetricChart)
        names = list(chart.series)
        if names:
            current = names.index(chart.metric) if chart.metric in names else 0
            chart.metric = names[(current + 1) % len(names)]

    def action_explain(self) -> None:
        from waitbuddy.tui.screens.explain import ExplainScreen

        self.app.push_screen(ExplainScreen(self.path, self.run_name, self.stall_floor, self.extra_recognizers))

    def action_close(self) -> None:
        self.app.pop_screen()
