"""The Practice area: the NeetCode 150 (and your own lists) grouped by category, with each
problem's difficulty, status, due review, Blind 75 mark and last attempt, and coverage, reviews
due and the streak on the status line.

Store work runs on one background thread, in order, as the Feeds area's does: each job hands back
the progress (states, last attempts, stats) as one message; the catalog is read once, on that
thread. Filtering and grouping 150 problems happen on the UI thread, on every keystroke.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, Static

from waitbuddy.config import Config
from waitbuddy.practice import daily, lists, pick, progress
from waitbuddy.practice.lists import Catalog, ListError
from waitbuddy.store import Store
from waitbuddy.text import safe_line
from waitbuddy.tui.areas import AreaSpec
from waitbuddy.tui.bindings import bindings_for
from waitbuddy.tui.widgets.area import EmptyState, Pane
from waitbuddy.tui.widgets.filter_field import FilterField
from waitbuddy.tui.widgets.line_list import LineList
from waitbuddy.tui.widgets.practice_actions import PracticeActions
from waitbuddy.tui.widgets.practice_render import VIEWS, Header, Item, build_rows, header_row, item_row
from waitbuddy.tui.widgets.store_thread import StoreThread, run_change

UNDO_DEPTH = 50


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Progress:
    """What the store thread read: each problem's state, its last attempt, and the stats."""

    states: dict[str, progress.State] = field(default_factory=dict)
    last: dict[str, datetime] = field(default_factory=dict)
    stats: pick.Stats | None = None


class PracticeArea(FilterField, PracticeActions, Pane):
    BINDINGS = bindings_for("practice")
    FILTER_ID = "practice-filter"
    CONTENT = ("#practice-status", "#practice-list")

    @dataclass
    class Loaded(Message, bubble=False):
        catalog: Catalog
        progress: Progress
        note: str = ""
        undo: tuple[str, Any] | None = None  # (what it undoes, progress.Undo)
        severity: str = "information"
        select: str | None = None  # a slug to put the cursor on

    @dataclass
    class DailyFound(Message, bubble=False):
        daily: daily.Daily

    def __init__(self, spec: AreaSpec, store: Store, config: Config) -> None:
        super().__init__(spec)
        self.store = store
        self.config = config
        self.catalog: Catalog | None = None
        self.catalog_error = ""
        self.data = Progress()
        self.shown: list[Header | Item] = []
        self.query_text = ""
        self.view = 0  # VIEWS
        self.undo_stack: list[tuple[str, Any]] = []
        self.skipped: set[str] = set()  # hidden from `n` for today
        self.skip_day: date | None = None
        self.loaded = False
        self._jobs = StoreThread("practice-store")
        self.daily: daily.Daily | None = None
        self._daily_asked = False

    def compose(self) -> ComposeResult:
        yield EmptyState(self.spec)
        yield Static(id="practice-status", markup=False)
        yield Input(id="practice-filter", placeholder="filter: words, due, blind75, easy, medium, hard, solved, new",
                    select_on_focus=False)
        yield LineList(self._row, id="practice-list")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#practice-filter").display = False  # shown by /
        self._reload()  # a few milliseconds on the store thread: the data is there when the tab is
        self.app.store_changed_signal.subscribe(self, lambda _: self._reload())

    def on_unmount(self) -> None:
        self._jobs.shutdown()

    def on_focus(self) -> None:
        if not self._daily_asked:  # when the person first comes here, not at every start
            self._daily_asked = True
            self.app.run_worker(self._ask_daily, thread=True, exit_on_error=False, group="practice-daily",
                                description="today's LeetCode question")
        if self.shown:
            self.query_one(LineList).focus()

    # -- the store thread -----------------------------------------------------------------------

    def _submit(self, change: Callable[[], object], note: str = "", *, undoable: bool = True,
                label: str = "", select: str | None = None) -> None:
        """Run ``change`` on the store thread, then reload; ``change`` may return a progress.Undo
        (kept for ``u`` under ``label``), a note to show, or ``(note, undo)``, or ``(note, None,
        slug)`` to put the cursor on a problem."""

        def job() -> None:
            done = run_change(change, note, undoable=undoable, label=label, area="practice")
            undo, message, severity = done.undo, done.message, done.severity
            chosen = done.extra[0] if done.extra else select
            self._jobs.reload_queued = False
            try:
                found, data = self._load()
            except Exception as exc:  # noqa: BLE001 - e.g. the database is locked for too long
                self.post_message(self.Loaded(self.catalog or Catalog((), ()), self.data,
                                              f"practice: cannot read the database: {exc}", undo, "error"))
                return
            self.post_message(self.Loaded(found, data, message, undo, severity, chosen))

        self._jobs.submit(job)

    def _reload(self) -> None:
        self._jobs.reload(lambda: self._submit(lambda: None, undoable=False))

    def _load(self) -> tuple[Catalog, Progress]:  # the store thread
        if self.catalog is None:
            try:
                self.catalog = lists.catalog(lists.expand(self.config.practice.lists))
            except ListError as exc:  # the bundled list still shows; the status line says why not the rest
                self.catalog_error = safe_line(str(exc), limit=200)
                self.catalog = lists.catalog(())
        found = self.catalog
        states, attempts = progress.states(self.store), progress.attempts(self.store)
        last: dict[str, datetime] = {}
        for attempt in attempts:  # in time order: the last one wins
            last[attempt.slug] = attempt.at
        stats = pick.stats(found, states, attempts, utc_now(), defaults=self.config.practice.typical_minutes)
        return found, Progress(states, last, stats)

    @on(Loaded)
    def _loaded(self, event: Loaded) -> None:
        first = not self.loaded
        self.loaded = True
        self.data = event.progress
        if event.undo is not None:
            self.undo_stack = [*self.undo_stack, event.undo][-UNDO_DEPTH:]
        if event.note:
            self.notify(event.note, severity=event.severity, markup=False)
        if first and self.catalog_error:
            self.notify(self.catalog_error, severity="error", markup=False)
        if event.select is not None:
            self._show_slug(event.select)
        else:
            self._apply(keep=self._current_slug())

    def _ask_daily(self) -> None:  # a thread of its own: the network never holds the store thread
        found = daily.today(self.store, self.app.services.http, utc_now().astimezone().date(), url=daily.ENDPOINT)
        if found is not None:
            self.post_message(self.DailyFound(found))

    @on(DailyFound)
    def _daily_found(self, event: DailyFound) -> None:
        self.daily = event.daily
        self._status()

    # -- what is shown --------------------------------------------------------------------------

    def skipped_today(self) -> frozenset[str]:
        today = utc_now().astimezone().date()
        if self.skip_day != today:
            self.skip_day, self.skipped = today, set()
        return frozenset(self.skipped)

    def _apply(self, keep: str | None = None) -> None:
        problems = self.catalog.problems if self.catalog else ()
        self.shown = build_rows(problems, self.data.states, self.data.last, self.skipped_today(), utc_now(),
                                VIEWS[self.view], self.query_text)
        focused_here = self.has_focus_within
        self.show_content(bool(problems))
        slugs = [row.problem.slug if isinstance(row, Item) else None for row in self.shown]
        lines = self.query_one(LineList)
        if keep is not None and keep in slugs:
            cursor = slugs.index(keep)
        else:
            cursor = min(lines.cursor or 0, len(slugs) - 1)
            if 0 <= cursor < len(slugs) and slugs[cursor] is None and cursor + 1 < len(slugs):
                cursor += 1  # a problem rather than its category's header
        lines.set_rows(len(self.shown), max(cursor, 0))
        if cursor <= 1:  # the first category's header in view too
            lines.scroll_to(y=0, animate=False, force=True, immediate=True)
        self._status()
        if self.shown and self.has_focus:
            lines.focus()
        elif not self.shown and focused_here and not self.query_one("#practice-filter").has_focus:
            self.focus()

    def _show_slug(self, slug: str) -> None:
        """Put the cursor on ``slug``, showing every problem if the view or filter hides it."""
        self._apply(keep=slug)
        if self._current_slug() != slug and self.catalog and slug in self.catalog.by_slug():
            self.view, self.query_text = 0, ""
            self.query_one("#practice-filter", Input).value = ""
            self._apply(keep=slug)

    def _status(self, message: str = "") -> None:
        stats = self.data.stats
        parts: list = []
        if stats is not None:
            parts += [(f"solved {stats.solved}/{stats.total}", "bold")]
            weakest = min(stats.categories, key=lambda c: (c.solved / c.total if c.total else 1, -c.total),
                          default=None)
            if weakest is not None and stats.solved < stats.total:
                parts += [" · weakest ", (f"{safe_line(weakest.category, limit=24)} {weakest.solved}/{weakest.total}",
                                          "$text-warning")]
            parts += [" · ", (f"{stats.due} due today", "$text-accent" if stats.due else ""),
                      f" · streak {stats.streak}d"]
        if self.daily is not None:
            parts += [" · daily ", (f"{self.daily.title} ({self.daily.difficulty})", "$text-accent")]
        if VIEWS[self.view] != "all":
            parts += [" · ", (VIEWS[self.view], "$text-accent")]
        if self.query_text:
            parts += [" · ", (self.query_text, "$text-accent")]
        if message:
            parts += [" · ", (message, "$text-muted")]
        self.query_one("#practice-status", Static).update(Content.assemble(*parts))

    def _row(self, index: int, width: int) -> Content:
        row = self.shown[index]
        return header_row(row, width) if isinstance(row, Header) else item_row(row, width, utc_now())

    def current(self) -> Item | None:
        cursor = self.query_one(LineList).cursor
        row = self.shown[cursor] if cursor is not None and cursor < len(self.shown) else None
        return row if isinstance(row, Item) else None

    def _current_slug(self) -> str | None:
        item = self.current() if self.loaded else None
        return item.problem.slug if item else None

    @on(LineList.Selected, "#practice-list")
    def _selected(self, event: LineList.Selected) -> None:
        self.action_open_problem()

    # -- filter and view ------------------------------------------------------------------------

    def refilter(self) -> None:
        self._apply(keep=self._current_slug())

    def action_cycle_view(self) -> None:
        self.view = (self.view + 1) % len(VIEWS)
        self._apply(keep=self._current_slug())
