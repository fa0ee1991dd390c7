"""The Checklists area: the built-in lists (Profile, Community, While it trains), ``[[checklists]]``
from the config and the person's own items, grouped by list with what is due first.

Store work runs on one background thread, in order, as the Feeds area's does: the first job syncs
the built-in and configured lists (as ``waitbuddy checklists`` does), every job ends with a reload
handed to the UI as one message. Whether an item is due is derived from its completions by the
library (:mod:`waitbuddy.checklists.library`), at the time the pane gives it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from waitbuddy.checklists import library
from waitbuddy.checklists.library import Item
from waitbuddy.config import Config
from waitbuddy.store import Store
from waitbuddy.tui.areas import AreaSpec
from waitbuddy.tui.bindings import bindings_for
from waitbuddy.tui.widgets.area import EmptyState, Pane
from waitbuddy.tui.widgets.checklists_actions import ChecklistsActions
from waitbuddy.tui.widgets.checklists_render import header_row, item_row
from waitbuddy.tui.widgets.line_list import LineList
from waitbuddy.tui.widgets.store_thread import StoreThread, run_change

VIEWS = ("due", "all")
UNDO_DEPTH = 50


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@dataclass(frozen=True)
class Header:
    """A list's header row: its name and every member (the counts are of all, not of what shows)."""

    name: str
    members: tuple[Item, ...]


class ChecklistsArea(ChecklistsActions, Pane):
    BINDINGS = bindings_for("checklists")
    CONTENT = ("#checklists-status", "#checklists-list")

    @dataclass
    class Loaded(Message, bubble=False):
        items: tuple[Item, ...]
        zone: tzinfo
        now: datetime
        note: str = ""
        undo: tuple[str, Any] | None = None  # (what it undoes, the library's Undo)
        severity: str = "information"

    def __init__(self, spec: AreaSpec, store: Store, config: Config) -> None:
        super().__init__(spec)
        self.store = store
        self.config = config
        self.items: tuple[Item, ...] = ()
        self.rows: list[Header | Item] = []
        self.zone: tzinfo = UTC
        self.loaded_at = utc_now()
        self.view = 0  # VIEWS: due first
        self.undo_stack: list[tuple[str, Any]] = []
        self.kept: set[int] = set()  # ticked in the due view: they stay (✓) until v
        self.loaded = False
        self._jobs = StoreThread("checklists-store")

    def compose(self) -> ComposeResult:
        yield EmptyState(self.spec)
        yield Static(id="checklists-status", markup=False)
        yield LineList(self._row, id="checklists-list")

    def on_mount(self) -> None:
        # At once, on the store thread: the load takes milliseconds, so the data is there when the
        # dashboard is (the Feeds pane waits 0.3 s after the first frame: its load ranks thousands).
        self._submit(self._sync, undoable=False)
        # Another waitbuddy (another tmux pane, `waitbuddy checklists done`) may change the items.
        self.app.store_changed_signal.subscribe(self, lambda _: self._reload())

    def on_unmount(self) -> None:
        self._jobs.shutdown()

    def on_focus(self) -> None:
        if self.rows:
            self.query_one(LineList).focus()

    def now(self) -> datetime:
        return utc_now()

    # -- the store thread -----------------------------------------------------------------------

    def _sync(self) -> None:
        """The built-in lists and [[checklists]] into the store, and the zone periods are counted in."""
        self.zone = library.local_zone(self.config.checklist_settings.timezone)
        library.sync(self.store, self.config, now=utc_now())

    def _submit(self, change: Callable[[], object], note: str = "", *, undoable: bool = True,
                label: str = "") -> None:
        """Run ``change`` on the store thread, then reload; ``change`` may return the library's
        Undo (kept for ``u`` under ``label``), a note to show, or both as ``(note, undo)``."""

        def job() -> None:
            done = run_change(change, note, undoable=undoable, label=label, area="checklists")
            undo, message, severity = done.undo, done.message, done.severity
            self._jobs.reload_queued = False  # a change from now on needs another load
            now = utc_now()
            try:
                found = library.items(self.store, now=now, zone=self.zone)
            except Exception as exc:  # noqa: BLE001 - e.g. the database is locked for too long
                self.post_message(self.Loaded(self.items, self.zone, now,
                                              f"checklists: cannot read the database: {exc}", undo, "error"))
                return
            self.post_message(self.Loaded(tuple(found), self.zone, now, message, undo, severity))

        self._jobs.submit(job)

    def _reload(self) -> None:
        """Load everything again, once however often asked while a load is waiting its turn."""
        self._jobs.reload(lambda: self._submit(lambda: None, undoable=False))

    @on(Loaded)
    def _loaded(self, event: Loaded) -> None:
        self.loaded = True
        self.items, self.zone, self.loaded_at = event.items, event.zone, event.now
        if event.undo is not None:
            self.undo_stack = [*self.undo_stack, event.undo][-UNDO_DEPTH:]
        if event.note:
            self.notify(event.note, severity=event.severity, markup=False)
        self._apply(keep=self._current_id())

    # -- what is shown --------------------------------------------------------------------------

    def _apply(self, keep: int | None = None) -> None:
        """Group again; the cursor stays on item ``keep``, else at its row, never on a header."""
        due_only = VIEWS[self.view] == "due"
        self.rows = []
        for name, members in library.grouped(self.items):
            shown = [item for item in members if not due_only or item.due or item.id in self.kept]
            if shown:
                self.rows += [Header(name, tuple(members)), *shown]
        focused_here = self.has_focus_within
        self.show_content(bool(self.items))
        lines = self.query_one(LineList)
        ids = [row.id if isinstance(row, Item) else None for row in self.rows]
        cursor = ids.index(keep) if keep is not None and keep in ids else min(lines.cursor or 0, len(ids) - 1)
        if 0 <= cursor < len(ids) and ids[cursor] is None:  # a header: the item below it
            cursor = min(cursor + 1, len(ids) - 1)
        lines.set_rows(len(self.rows), max(cursor, 0))
        self._status()
        if self.rows and self.has_focus:
            lines.focus()
        elif not self.rows and focused_here:
            self.focus()  # keys (u to undo, v for all) still reach the area

    def _status(self) -> None:
        due = [item for item in self.items if item.due]
        minutes = sum(item.minutes for item in due)
        parts: list = [(f"{len(due)} due", "bold"), f" · {minutes} min", f" · showing {VIEWS[self.view]}"]
        if not due and VIEWS[self.view] == "due" and not self.rows:
            parts += [" · ", ("nothing due: v shows every item", "$text-muted")]
        self.query_one("#checklists-status", Static).update(Content.assemble(*parts))

    def _row(self, index: int, width: int) -> Content:
        row = self.rows[index]
        if isinstance(row, Header):
            return header_row(row.name, row.members, width)
        return item_row(row, width, self.loaded_at, self.zone)

    def current(self) -> Item | None:
        cursor = self.query_one(LineList).cursor
        row = self.rows[cursor] if cursor is not None and cursor < len(self.rows) else None
        return row if isinstance(row, Item) else None

    def current_list(self) -> str:
        """The list of the row under the cursor (a header's or an item's), else the first list."""
        cursor = self.query_one(LineList).cursor
        for row in reversed(self.rows[: (cursor or 0) + 1]):
            if isinstance(row, Header):
                return row.name
        return self.items[0].list_name if self.items else "My list"

    def _current_id(self) -> int | None:
        item = self.current() if self.rows else None
        return item.id if item else None

    @on(LineList.Selected, "#checklists-list")
    def _selected(self, event: LineList.Selected) -> None:
        self.action_toggle_done()

    def action_cycle_view(self) -> None:
        self.view = (self.view + 1) % len(VIEWS)
        self.kept.clear()
        self._apply(keep=self._current_id())
