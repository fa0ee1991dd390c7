"""`U` on the dashboard: the daily update (the text `waitbuddy standup` prints), to read, switch
between Markdown and plain text or 24 hours, 3 days and a week, and copy with OSC 52.

The history is read on a thread (the store may wait for another process's lock); the report is
shown as plain text, never markup (titles in it come from feeds and bookmarks)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Static

from waitbuddy.config import Config
from waitbuddy.planner import standup
from waitbuddy.store import Store
from waitbuddy.tui.bindings import bindings_for
from waitbuddy.tui.screens.link import copy_to_clipboard

SINCE = ("24h", "3d", "1w")


class StandupScreen(ModalScreen[None]):
    BINDINGS = bindings_for("standup")

    @dataclass
    class Ready(Message, bubble=False):
        generation: int  # which request it answers: a reply to an older `s` is dropped
        report: standup.Standup | None
        problem: str = ""

    def __init__(self, store: Store, config: Config, *, queue: Sequence[str] | None = (),
                 clock: Callable[[], datetime] = standup.until_now) -> None:
        super().__init__()
        self.store = store
        self.config = config
        self.queue = None if queue is None else tuple(queue)  # None: ask the planner (on the worker)
        self.clock = clock
        self.format = standup.FORMATS[0]
        self.since = SINCE[0]
        self.report: standup.Standup | None = None
        self.shown = ""  # the text on screen: what `y` copies
        self.generation = 0

    def compose(self) -> ComposeResult:
        with Vertical(id="standup-box") as box:
            box.border_title = "Daily update"
            with VerticalScroll():
                yield Static(Text("reading the history …"), id="standup-text", markup=False)

    def on_mount(self) -> None:
        self._subtitle()
        self._load()

    def _load(self) -> None:
        self.generation += 1
        self.report = None
        self.shown = ""
        if self.is_mounted:
            self.query_one("#standup-text", Static).update(Text("reading the history …"))
        self.build(self.generation, self.since)

    @work(thread=True, exclusive=True, exit_on_error=False, group="standup", description="read the daily update")
    def build(self, generation: int, since_text: str) -> None:
        from waitbuddy.checklists.library import local_zone
        from waitbuddy.practice import lists

        try:
            zone = local_zone(self.config.checklist_settings.timezone)
            until = self.clock()
            try:
                catalog = lists.catalog(lists.expand(self.config.practice.lists))
            except lists.ListError:  # the Practice pane says what is wrong with the list
                catalog = lists.catalog(())
            if self.queue is None:
                from waitbuddy.planner.outlook import queue

                self.queue = tuple(queue(self.store, self.config))
            report = standup.build(self.store, since=standup.parse_since(since_text, until, zone), until=until,
                                   queue=self.queue, zone=zone, catalog=catalog)
        except Exception as error:  # shown on the screen, never a traceback  # noqa: BLE001
            self.post_message(self.Ready(generation, None, f"could not read the history: {type(error).__name__}: "
                                                           f"{error}"))
            return
        self.post_message(self.Ready(generation, report))

    @on(Ready)
    def _ready(self, event: Ready) -> None:
        if event.generation != self.generation:
            return
        self.report = event.report
        if event.report is None:
            self.query_one("#standup-text", Static).update(Text(event.problem))
            return
        self._show_report()

    def _show_report(self) -> None:
        if self.report is None:
            return
        self.shown = standup.to_markdown(self.report) if self.format == "markdown" else standup.to_text(self.report)
        self.query_one("#standup-text", Static).update(Text(self.shown.rstrip("\n")))

    def _subtitle(self) -> None:
        self.query_one("#standup-box").border_subtitle = (
            f"last {self.since} · {self.format} · y copy · m format · s since · escape close")

    def action_cycle_format(self) -> None:
        formats = standup.FORMATS
        self.format = formats[(formats.index(self.format) + 1) % len(formats)]
        self._subtitle()
        self._show_report()

    def action_cycle_since(self) -> None:
        self.since = SINCE[(SINCE.index(self.since) + 1) % len(SINCE)]
        self._subtitle()
        self._load()

    def action_copy(self) -> None:
        if not self.shown:
            self.notify("still reading the history", markup=False)
            return
        # Every title in it passed waitbuddy.text (no escape, no newline of its own): what the
        # person pastes in a channel is what they see here.
        copy_to_clipboard(self.app, self.shown, what="the update")
