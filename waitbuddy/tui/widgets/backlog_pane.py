"""The Backlog area: triage the reading backlog (filter, sort, resurface, mark, snooze, undo).

All store work runs on one background thread, in order (a write can wait on another pane's
transaction); each job hands back the reloaded items as one message. Filtering and sorting
happen here, on the UI thread, over an :class:`~waitbuddy.reading.query.Index` built on that
thread: a few milliseconds for 10,000 items, so the list follows every keystroke.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.content import Content
from textual.message import Message
from textual.style import Style
from textual.widgets import Input, Static

from waitbuddy.config import Config
from waitbuddy.reading import backlog
from waitbuddy.reading.model import Item
from waitbuddy.reading.present import age_text
from waitbuddy.reading.query import SORTS, Index, QueryError, parse_query, select
from waitbuddy.store import Store
from waitbuddy.text import openable_url, safe_line
from waitbuddy.tui.areas import AreaSpec
from waitbuddy.tui.bindings import bindings_for
from waitbuddy.tui.refresher import Refresher
from waitbuddy.tui.widgets.area import EmptyState, Pane
from waitbuddy.tui.widgets.backlog_actions import BacklogActions
from waitbuddy.tui.widgets.filter_field import FilterField
from waitbuddy.tui.widgets.line_list import LineList

LOAD_DELAY_SECONDS = 0.5  # after the first frame
FETCH_RETRY_SECONDS = 30.0  # after a failed round of fetching (a locked database)
VIEWS = (("open", "status:unread,reading"), ("done", "status:done"), ("archived", "status:archived"),
         ("snoozed", "is:snoozed status:all"), ("all", "status:all"))
STATUS_SYMBOLS = {"unread": "•", "reading": "◐", "done": "✓", "archived": "▪"}
UNDO_DEPTH = 50


class BacklogArea(FilterField, BacklogActions, Pane):
    BINDINGS = bindings_for("backlog")
    FILTER_ID = "backlog-filter"
    CONTENT = ("#backlog-status", "#backlog-list", "#backlog-detail")

    @dataclass
    class Loaded(Message, bubble=False):
        index: Index
        note: str = ""
        undo: backlog.Undo | None = None
        severity: str = "information"

    @dataclass
    class Fetched(Message, bubble=False):
        item: Item

    @dataclass
    class FetchProblem(Message, bubble=False):
        text: str

    @dataclass
    class MinutesLeft(Message, bubble=False):
        minutes: int | None

    def __init__(self, spec: AreaSpec, store: Store, config: Config) -> None:
        super().__init__(spec)
        self.store = store
        self.config = config
        self.index = Index([])
        self.shown: list[Item] = []
        self.query_text = ""
        self.view = 0
        self.sort = "resurface"
        self.seed = random.randrange(1 << 30)
        self.fits: int | None = None
        self.undo_stack: list[backlog.Undo] = []
        self.loaded = False
        self._jobs = ThreadPoolExecutor(max_workers=1, thread_name_prefix="backlog-store")
        self._fetch_wanted: list[int] = []
        self._fetcher: Refresher | None = None

    def compose(self) -> ComposeResult:
        yield EmptyState(self.spec)
        yield Static(id="backlog-status", markup=False)
        yield Input(id="backlog-filter", placeholder="filter: words, tag:T, kind:K, fits:MIN, age:>DAYS",
                    select_on_focus=False)
        yield LineList(self._row, id="backlog-list")
        yield Static(id="backlog-detail", markup=False)

    def on_mount(self) -> None:
        self.query_one("#backlog-filter").display = False  # shown by / (the others by Pane, after loading)
        # The first load also brings minutes in line with the configured reading speed.
        wpm = self.config.backlog.words_per_minute
        self.set_timer(LOAD_DELAY_SECONDS,
                       lambda: self._submit(lambda: backlog.recompute_minutes(self.store, wpm), undoable=False))
        # Another waitbuddy (another tmux pane, `waitbuddy add`) may change the backlog.
        self.app.store_changed_signal.subscribe(self, lambda _: self._submit(lambda: None, undoable=False))

    def on_unmount(self) -> None:
        if self._fetcher is not None:
            self._fetcher.stop()
        self._jobs.shutdown(wait=False, cancel_futures=True)

    def on_focus(self) -> None:
        if self.shown or self.loaded and self.index.items:
            self.query_one(LineList).focus()

    # -- background work ------------------------------------------------------------------------

    def _submit(self, change: Callable[[], object], note: str = "", *, undoable: bool = True) -> None:
        """Run ``change`` on the store thread, then reload; ``change`` may return an Undo or a note."""

        def job() -> None:
            undo, message, severity = None, note, "information"
            try:
                result = change()
            except Exception as exc:  # noqa: BLE001 - reported in the app, never a traceback
                result, message, severity = None, f"backlog: {exc}", "error"
            if isinstance(result, backlog.Undo) and undoable:
                undo = result
            elif isinstance(result, str):
                message = result
            try:
                index = Index(backlog.load_items(self.store), now=backlog.utc_now(), seed=self.seed)
            except Exception as exc:  # noqa: BLE001 - e.g. the database is locked for too long
                self.post_message(self.Loaded(self.index, f"backlog: cannot read the database: {exc}", undo,
                                              "error"))
                return
            self.post_message(self.Loaded(index, message, undo, severity))

        try:
            self._jobs.submit(job)
        except RuntimeError:  # shutting down
            pass

    @on(Loaded)
    def _loaded(self, event: Loaded) -> None:
        first = not self.loaded
        self.loaded = True
        self.index = event.index
        if event.undo is not None and event.undo.count:
            self.undo_stack = [*self.undo_stack, event.undo][-UNDO_DEPTH:]
        if event.note:
            self.notify(event.note, severity=event.severity, markup=False)
        self._apply(keep=self._current_id())
        if first:
            self._start_fetcher()

    def _start_fetcher(self) -> None:
        if self.config.backlog.fetch == "off" or self._fetcher is not None:
            return
        def problem(text: str) -> None:
            self.post_message(self.FetchProblem(f"fetching titles: {text}"))

        self._fetcher = Refresher("backlog-fetch", self._fetch_round, interval=60.0, retry=FETCH_RETRY_SECONDS,
                                  on_error=problem)
        self._fetcher.start()

    def _fetch_round(self, stop: threading.Event) -> float:  # the refresher's thread: page fetches take seconds
        """Titles and reading times: the items asked for first (the highlighted one), then a few
        pending ones; soon again while there is more to do, else in a minute."""
        from waitbuddy.reading.enrich import fetch_one, fetch_pending

        client = self.app.services.http  # the dashboard's one client: host limits shared with every pane
        wpm = self.config.backlog.words_per_minute
        wanted, self._fetch_wanted = self._fetch_wanted, []
        try:
            for item_id in wanted:
                item = backlog.get_item(self.store, item_id)
                if (item is not None and item.fetch_state in ("pending", "off") and not stop.is_set()
                        and (stored := fetch_one(self.store, client, item, words_per_minute=wpm))):
                    self.post_message(self.Fetched(stored))
            tried = fetch_pending(self.store, client, words_per_minute=wpm,
                                  include_imported=self.config.backlog.fetch == "all", limit=5, stop=stop,
                                  on_item=lambda item: self.post_message(self.Fetched(item)))
        except Exception:
            self._fetch_wanted = wanted + self._fetch_wanted  # nothing asked for is lost
            raise
        return 2.0 if tried else 60.0

    def _want_fetch(self, item: Item) -> None:
        if self.config.backlog.fetch != "off" and item.fetch_state in ("pending", "off"):
            self._fetch_wanted.append(item.id)
            if self._fetcher is not None:
                self._fetcher.now()

    @on(FetchProblem)
    def _fetch_problem(self, event: FetchProblem) -> None:
        self.notify(event.text, severity="warning", markup=False)

    @on(Fetched)
    def _fetched(self, event: Fetched) -> None:
        self.index.replace(event.item)
        self._apply(keep=self._current_id())

    # -- what is shown --------------------------------------------------------------------------

    def _query_string(self) -> str:
        parts = [VIEWS[self.view][1], self.query_text]
        if self.fits is not None:
            parts.append(f"fits:{self.fits}")
        return " ".join(part for part in parts if part)

    def _apply(self, keep: int | None = None, *, top: bool = False) -> None:
        """Filter and sort again; the cursor stays on item ``keep``, else at its row (or the top)."""
        try:
            query = parse_query(self._query_string())
        except QueryError as exc:
            self._status(str(exc), error=True)
            return
        self.shown = select(self.index, query, sort=self.sort, now=backlog.utc_now(), seed=self.seed)
        has_items = bool(self.index.items)
        focused_here = self.has_focus_within
        self.show_content(has_items)
        ids = [item.id for item in self.shown]
        cursor = ids.index(keep) if keep in ids else 0 if top else min(self.query_one(LineList).cursor or 0,
                                                                         len(ids) - 1)
        self.query_one(LineList).set_rows(len(self.shown), max(cursor, 0))
        self._status()
        self._detail()
        if has_items and self.has_focus:
            self.query_one(LineList).focus()
        elif not has_items and focused_here:
            self.focus()  # keys (u to undo, a to add) still reach the area

    def _status(self, message: str = "", error: bool = False) -> None:
        view, _ = VIEWS[self.view]
        parts = [(f"{len(self.shown)} of {len(self.index.items)}", "bold"), f" · {view} · by {self.sort}"]
        if self.fits is not None:
            parts.append(f" · fits {self.fits} min")
        if self.query_text:
            parts += [" · ", (self.query_text, "$text-accent")]
        if message:
            parts += [" · ", (message, "$text-error" if error else "$text-muted")]
        self.query_one("#backlog-status", Static).update(Content.assemble(*parts))

    def _row(self, index: int, width: int) -> Content:
        item = self.shown[index]
        now = backlog.utc_now()
        minutes = f"{item.minutes}m" if item.minutes is not None else "?"
        right = f" {minutes:>4} {age_text(item.saved_at, now):>3} {item.kind:<7}"
        left = f"{STATUS_SYMBOLS.get(item.status, '?')} {'!' * item.priority:<3} "
        title = item.title or item.url
        tags = "  ".join(f"#{tag}" for tag in item.tags)
        room = max(width - len(left) - len(right), 1)
        body = Content.assemble((title, "bold" if item.status == "unread" else ""),
                                ("  " + tags, "$text-muted") if tags else "")
        if item.fetch_error and item.fetch_state != "done":
            body = Content.assemble(body, ("  ⚠", "$text-warning"))
        body = body.truncate(room, ellipsis=True, pad=True)
        return Content.assemble((left, "$text-warning" if item.priority else ""), body, (right, "$text-muted"))

    def _detail(self) -> None:
        item = self.current()
        detail = self.query_one("#backlog-detail", Static)
        if item is None:
            detail.update("")
            return
        url = openable_url(item.url)
        line = Content.assemble((item.url, Style(link=url, underline=True) if url else ""))
        extra = []
        if item.note:
            extra.append(("note: " + safe_line(item.note, limit=200), ""))
        if item.fetch_error and item.fetch_state != "done":
            extra.append(("could not fetch: " + item.fetch_error, "$text-warning"))
        if item.snoozed_until and item.snoozed_until > backlog.utc_now():
            extra.append((f"snoozed until {item.snoozed_until:%Y-%m-%d %H:%M} UTC", "$text-muted"))
        if item.source != "manual":
            extra.append((f"from {item.source}, saved {item.saved_at:%Y-%m-%d}", "$text-muted"))
        parts: list = [line]
        for text, style in extra[:2]:
            parts += ["\n", (text, style)]
        detail.update(Content.assemble(*parts))

    def current(self) -> Item | None:
        cursor = self.query_one(LineList).cursor
        return self.shown[cursor] if cursor is not None and cursor < len(self.shown) else None

    def _current_id(self) -> int | None:
        item = self.current() if self.loaded else None
        return item.id if item else None

    @on(LineList.Highlighted, "#backlog-list")
    def _highlighted(self, event: LineList.Highlighted) -> None:
        self._detail()
        if (item := self.current()) is not None:
            self._want_fetch(item)

    @on(LineList.Selected, "#backlog-list")
    def _selected(self, event: LineList.Selected) -> None:
        self.action_open_item()

    # -- filter and order -----------------------------------------------------------------------

    def refilter(self) -> None:
        self._apply(keep=self._current_id())

    def clear_more(self) -> bool:
        changed, self.fits = self.fits is not None, None
        return changed

    def action_cycle_sort(self) -> None:
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]
        self._apply(top=True)

    def action_reshuffle(self) -> None:
        self.sort, self.seed = "resurface", random.randrange(1 << 30)
        self._apply(top=True)
        self._mark_surfaced()

    def _mark_surfaced(self) -> None:
        """The top of a resurfaced list counts as shown: the next mix favours other items."""
        shown = [item.id for item in self.shown[:20]]

        def mark() -> None:
            backlog.update(self.store, shown, "surfaced", surfaced_at=backlog.utc_now())

        self._submit(mark, undoable=False)

    def action_cycle_view(self) -> None:
        self.view = (self.view + 1) % len(VIEWS)
        self._apply(top=True)

    def action_fits_wait(self) -> None:
        if self.fits is not None:
            self.fits = None
            self._apply(keep=self._current_id())
            return
        self._look_up_minutes_left()

    @work(thread=True, exclusive=True, exit_on_error=False, group="fits-wait", description="minutes left")
    def _look_up_minutes_left(self) -> None:  # the store may wait on a lock: not on the UI thread
        from waitbuddy.runs.registry import minutes_left

        self.post_message(self.MinutesLeft(minutes_left(self.store, time.time())))

    @on(MinutesLeft)
    def _fits(self, event: MinutesLeft) -> None:
        if event.minutes is None:
            self.notify("no running job with an ETA; filter with / fits:MINUTES instead", markup=False)
            return
        self.fits = event.minutes
        self._apply()
