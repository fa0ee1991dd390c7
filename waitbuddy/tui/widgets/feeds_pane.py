"""The Feeds area: what is new from arXiv and the RSS/Atom feeds you follow, ranked or by date.

Store work runs on one background thread, in order, as the Backlog's does; each job hands back
the reloaded entries as one message, with an :class:`~waitbuddy.feeds.query.EntryIndex` (searchable
text, relevance order) built on that thread, so filtering follows every keystroke. The network is
a :class:`~waitbuddy.tui.refresher.Refresher`: each minute it refreshes the sources that are due
(each on its own interval) through the app's one HTTP client and reports progress as it goes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, Static

from waitbuddy.config import Config
from waitbuddy.feeds import library
from waitbuddy.feeds.query import SORTS, EntryIndex, QueryError, parse_filter
from waitbuddy.store import Store
from waitbuddy.text import safe_line
from waitbuddy.tui.areas import AreaSpec
from waitbuddy.tui.bindings import bindings_for
from waitbuddy.tui.refresher import Refresher
from waitbuddy.tui.widgets.area import EmptyState, Pane
from waitbuddy.tui.widgets.feeds_actions import FeedsActions
from waitbuddy.tui.widgets.feeds_render import entry_detail, entry_row
from waitbuddy.tui.widgets.filter_field import FilterField
from waitbuddy.tui.widgets.line_list import LineList
from waitbuddy.tui.widgets.store_thread import StoreThread, run_change

LOAD_DELAY_SECONDS = 0.3  # after the first frame
CHECK_SECONDS = 60.0  # how often the refresher looks for sources that are due
REFRESH_RETRY_SECONDS = 30.0  # after a failed round (a locked database)
VIEWS = ("unread", "all")
UNDO_DEPTH = 50
PATCH_LIMIT = 500  # entries changed by one key that are read back alone (more: a full load)
SHOWN_PROBLEMS = 3  # failing sources named on the problems line


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Failing:
    name: str
    error: str


class FeedsArea(FilterField, FeedsActions, Pane):
    BINDINGS = bindings_for("feeds")
    FILTER_ID = "feeds-filter"
    CONTENT = ("#feeds-status", "#feeds-list", "#feeds-detail")

    @dataclass
    class Loaded(Message, bubble=False):
        index: EntryIndex
        sources: int
        failing: tuple[Failing, ...]
        note: str = ""
        undo: tuple[str, Any] | None = None  # (what it undoes, the library's Undo)
        severity: str = "information"

    @dataclass
    class Patched(Message, bubble=False):
        entries: tuple[Any, ...]  # as stored now (a dismissed one stays in the index, hidden)
        ids: tuple[int, ...]  # what was changed (an id without an entry is gone)
        note: str = ""
        undo: tuple[str, Any] | None = None
        severity: str = "information"

    @dataclass
    class Progress(Message, bubble=False):
        done: int
        total: int
        new_items: int = 0  # so far in this refresh

        def can_replace(self, message: Message) -> bool:  # the latest count wins
            return isinstance(message, FeedsArea.Progress)

    @dataclass
    class Refreshed(Message, bubble=False):
        new_items: int
        checked: int

    @dataclass
    class RefreshProblem(Message, bubble=False):
        text: str

    def __init__(self, spec: AreaSpec, store: Store, config: Config) -> None:
        super().__init__(spec)
        self.store = store
        self.config = config
        self.index = EntryIndex([])
        self.shown: list[Any] = []
        self.sources = 0
        self.failing: tuple[Failing, ...] = ()
        self.query_text = ""
        self.view = 0  # VIEWS: unread first
        self.sort = SORTS[0]
        self.undo_stack: list[tuple[str, Any]] = []
        self.read_here: set[int] = set()  # read in this view: they stay in "unread" until v or a filter
        self.loaded = False
        self.progress: tuple[int, int] | None = None  # (done, total) while a refresh runs
        self.refresh_problem = ""
        self._jobs = StoreThread("feeds-store")
        self._refresher: Refresher | None = None
        self._force = False
        self._new_seen = 0  # new items the current refresh had stored at the last reload

    def compose(self) -> ComposeResult:
        yield EmptyState(self.spec)
        yield Static(id="feeds-status", markup=False)
        yield Static(id="feeds-problems", markup=False)
        yield Input(id="feeds-filter", placeholder="filter: words, source:NAME, tag:T, cat:C, is:unread, is:saved",
                    select_on_focus=False)
        yield LineList(self._row, id="feeds-list")
        with VerticalScroll(id="feeds-detail"):
            yield Static(id="feeds-abstract", markup=False)

    def on_mount(self) -> None:
        self.query_one("#feeds-filter").display = False  # shown by /
        self.query_one("#feeds-problems").display = False  # shown while a source fails
        self.set_timer(LOAD_DELAY_SECONDS, lambda: self._submit(self._sync_config, undoable=False))
        # Another waitbuddy (another tmux pane, `waitbuddy feeds refresh`) may change the entries.
        self.app.store_changed_signal.subscribe(self, lambda _: self._reload())

    def on_unmount(self) -> None:
        if self._refresher is not None:
            self._refresher.stop()
        self._jobs.shutdown()

    def on_focus(self) -> None:
        if self.shown:
            self.query_one(LineList).focus()

    # -- the store thread -----------------------------------------------------------------------

    def _sync_config(self) -> None:
        """[[feeds]] in config become sources (the first load does it, as `feeds refresh` does)."""
        library.sync_config(self.store, self.config.feeds)

    def _submit(self, change: Callable[[], object], note: str = "", *, undoable: bool = True,
                label: str = "", ids: Sequence[int] | None = None) -> None:
        """Run ``change`` on the store thread, then reload; ``change`` may return the library's Undo
        (kept for ``u`` under ``label``), a note to show, or both as ``(note, undo)``.

        With ``ids`` (the entries it changed, a few), only those are read back and patched into the
        list: a key answers in milliseconds, where a full load ranks every entry again (a second
        for 5,000). The order follows the ranker's new lessons at the next full load."""

        def job() -> None:
            done = run_change(change, note, undoable=undoable, label=label, area="feeds")
            undo, message, severity = done.undo, done.message, done.severity
            try:
                if ids is not None and len(ids) <= PATCH_LIMIT:
                    settings = self.config.feed_settings
                    changed = library.entries(self.store, ids=ids, include_dismissed=True, show_replacements=True,
                                              default_minutes=settings.refresh_minutes, now=utc_now())
                    self.post_message(self.Patched(tuple(changed), tuple(ids), message, undo, severity))
                    return
                self._jobs.reload_queued = False  # a change from now on needs another load
                loaded = self._load()
            except Exception as exc:  # noqa: BLE001 - e.g. the database is locked for too long
                self.post_message(self.Loaded(self.index, self.sources, self.failing,
                                              f"feeds: cannot read the database: {exc}", undo, "error"))
                return
            self.post_message(self.Loaded(*loaded, message, undo, severity))

        self._jobs.submit(job)

    def _reload(self) -> None:
        """Load everything again, once however often asked while a load is waiting its turn."""
        self._jobs.reload(lambda: self._submit(lambda: None, undoable=False))

    def _load(self) -> tuple[EntryIndex, int, tuple[Failing, ...]]:  # the store thread
        settings = self.config.feed_settings
        entries = library.entries(self.store, show_replacements=settings.show_replacements,
                                  default_minutes=settings.refresh_minutes, now=utc_now())
        ranker = library.ranker(self.store, settings.interests)
        sources = library.sources(self.store)
        failing = tuple(Failing(safe_line(source.title, limit=40), safe_line(source.error, limit=80))
                        for source in sources if source.error)
        return EntryIndex(entries, ranker), len(sources), failing

    @on(Patched)
    def _patched(self, event: Patched) -> None:
        self.index.patch(event.entries, event.ids)
        self._finish(event.note, event.undo, event.severity)

    @on(Loaded)
    def _loaded(self, event: Loaded) -> None:
        first = not self.loaded
        self.loaded = True
        self.index, self.sources, self.failing = event.index, event.sources, event.failing
        self._finish(event.note, event.undo, event.severity)
        if first:
            self._start_refresher()

    def _finish(self, note: str, undo: tuple[str, Any] | None, severity: str) -> None:
        if undo is not None:
            self.undo_stack = [*self.undo_stack, undo][-UNDO_DEPTH:]
        if note:
            self.notify(note, severity=severity, markup=False)
        self._apply(keep=self._current_id())

    # -- the refresher thread -------------------------------------------------------------------

    def _start_refresher(self) -> None:
        if self._refresher is not None:
            return
        client = self.app.services.http  # the dashboard's one client: host limits shared with every pane
        self._refresher = Refresher(
            "feeds-refresh", lambda stop: self._refresh_round(client, stop), interval=CHECK_SECONDS,
            retry=REFRESH_RETRY_SECONDS, on_error=lambda text: self.post_message(self.RefreshProblem(text)))
        self._refresher.start()

    def _refresh_round(self, client: Any, stop: threading.Event) -> float:
        """Refresh the sources that are due (all of them when asked with R), one progress message
        per source done; the pane reloads when it is over."""
        from waitbuddy.feeds import refresh  # here: feedparser and the HTTP stack must not delay the first frame

        force, self._force = self._force, False
        now = utc_now()
        sources = library.sources(self.store)
        chosen = list(sources) if force else refresh.due(
            sources, now, default_minutes=self.config.feed_settings.refresh_minutes)
        if not chosen:
            if force:
                self.post_message(self.Refreshed(0, 0))
            return CHECK_SECONDS
        total, done, new = len(chosen), 0, 0
        self.post_message(self.Progress(0, total))

        def counted(outcome: Any) -> None:  # from the refresh's worker threads
            nonlocal done, new
            with lock:
                done += 1
                new += outcome.new_items
                self.post_message(self.Progress(done, total, new))

        lock = threading.Lock()

        outcomes = refresh.refresh(self.store, client, chosen, now=now, force=force, on_outcome=counted, stop=stop,
                                   mute=self.config.feed_settings.mute)
        self.post_message(self.Refreshed(sum(outcome.new_items for outcome in outcomes), len(outcomes)))
        return CHECK_SECONDS

    @on(Progress)
    def _progress(self, event: Progress) -> None:
        if event.done == 0:
            self._new_seen = 0
        self.progress = (event.done, event.total)
        if event.new_items > self._new_seen:  # new entries show while the slower sources are still asked
            self._new_seen = event.new_items
            self._reload()
        self._status()

    @on(Refreshed)
    def _refreshed(self, event: Refreshed) -> None:
        self.progress = None
        self.refresh_problem = ""
        self._reload()  # new entries, and each source's error or its recovery
        self._status()

    @on(RefreshProblem)
    def _refresh_problem(self, event: RefreshProblem) -> None:
        self.progress = None
        self.refresh_problem = f"refresh: {event.text}"
        self._problems()
        self._status()

    # -- what is shown --------------------------------------------------------------------------

    def _apply(self, keep: int | None = None, *, top: bool = False) -> None:
        """Filter and sort again; the cursor stays on entry ``keep``, else at its row (or the top)."""
        try:
            query = parse_filter(self.query_text)
        except QueryError as exc:
            self._status(str(exc), error=True)
            return
        self.shown = self.index.select(query, sort=self.sort, unread_only=VIEWS[self.view] == "unread",
                                       keep=frozenset(self.read_here))
        has_content = bool(self.index.entries) or self.sources > 0
        focused_here = self.has_focus_within
        self.show_content(has_content)
        ids = [entry.id for entry in self.shown]
        lines = self.query_one(LineList)
        cursor = ids.index(keep) if keep in ids else 0 if top else min(lines.cursor or 0, len(ids) - 1)
        lines.set_rows(len(self.shown), max(cursor, 0))
        self._status()
        self._problems()
        self._detail()
        if self.shown and self.has_focus:
            lines.focus()
        elif not self.shown and focused_here and not self.query_one("#feeds-filter").has_focus:
            self.focus()  # keys (u to undo, v for all) still reach the area

    def _status(self, message: str = "", error: bool = False) -> None:
        parts: list = [(f"{len(self.shown)} of {len(self.index)}", "bold"),
                       f" · {VIEWS[self.view]} · by {self.sort}"]
        if self.query_text:
            parts += [" · ", (self.query_text, "$text-accent")]
        if self.progress is not None:
            done, total = self.progress
            parts += [" · ", (f"refreshing {done}/{total}…", "$text-accent")]
        if message:
            parts += [" · ", (message, "$text-error" if error else "$text-muted")]
        self.query_one("#feeds-status", Static).update(Content.assemble(*parts))

    def _problems(self) -> None:
        line = self.query_one("#feeds-problems", Static)
        parts = []
        if self.failing:
            count = len(self.failing)
            named = ", ".join(f"{failing.name} ({failing.error})" for failing in self.failing[:SHOWN_PROBLEMS])
            more = f", {count - SHOWN_PROBLEMS} more" if count > SHOWN_PROBLEMS else ""
            parts.append(f"{count} source{'s' if count != 1 else ''} failing: {named}{more}")
        if self.refresh_problem:
            parts.append(self.refresh_problem)
        line.display = bool(parts) and self.state == "content"
        line.update(Content(" · ".join(parts)).stylize("$text-warning"))

    def _row(self, index: int, width: int) -> Content:
        entry = self.shown[index]
        matches = self.index.explain(entry) if self.sort == "relevance" else []
        return entry_row(entry, width, utc_now(), matches)

    def _detail(self) -> None:
        entry = self.current()
        self.query_one("#feeds-abstract", Static).update(
            "" if entry is None else entry_detail(entry, self.index.explain(entry)))
        self.query_one("#feeds-detail", VerticalScroll).scroll_home(animate=False)

    def current(self) -> Any | None:
        cursor = self.query_one(LineList).cursor
        return self.shown[cursor] if cursor is not None and cursor < len(self.shown) else None

    def _current_id(self) -> int | None:
        entry = self.current() if self.loaded else None
        return entry.id if entry else None

    @on(LineList.Highlighted, "#feeds-list")
    def _highlighted(self, event: LineList.Highlighted) -> None:
        self._detail()

    @on(LineList.Selected, "#feeds-list")
    def _selected(self, event: LineList.Selected) -> None:
        self.action_open_entry()

    # -- filter, order, view --------------------------------------------------------------------

    def refilter(self) -> None:
        self.read_here.clear()
        self._apply(keep=self._current_id())

    def action_cycle_sort(self) -> None:
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]
        self._apply(top=True)

    def action_cycle_view(self) -> None:
        self.view = (self.view + 1) % len(VIEWS)
        self.read_here.clear()
        self._apply(keep=self._current_id())

    def action_refresh_now(self) -> None:
        if self._refresher is None:
            self.notify("feeds are still loading", markup=False)
            return
        if not self.sources:
            self.notify("no feeds yet: waitbuddy feeds add arxiv:cs.LG (or an RSS URL)", markup=False)
            return
        self._force = True
        self._refresher.now()
        self.progress = self.progress or (0, self.sources)
        self._status()

