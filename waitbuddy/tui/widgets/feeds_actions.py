"""What the Feeds area's keys do to entries: read/unread, dismiss, mark all read, send to the
backlog, undo, open and copy. Every change runs on the area's store thread (``_submit``); read
and dismiss changes return the library's Undo for ``u``."""

from __future__ import annotations

import os
from functools import partial
from typing import TYPE_CHECKING, Any

from waitbuddy.feeds import library
from waitbuddy.text import openable_url, safe_line
from waitbuddy.tui.screens.link import LinkScreen, can_open_browser, copy_to_clipboard
from waitbuddy.tui.screens.prompt import Confirm

if TYPE_CHECKING:
    from collections.abc import Callable

    from waitbuddy.config import Config
    from waitbuddy.store import Store


class FeedsActions:
    """Mixed into :class:`~waitbuddy.tui.widgets.feeds_pane.FeedsArea`, which provides these:"""

    store: Store
    config: Config
    shown: list[Any]
    undo_stack: list[tuple[str, Any]]
    read_here: set[int]

    if TYPE_CHECKING:
        def current(self) -> Any | None: ...
        def _submit(self, change: Callable[[], object], note: str = "", *, undoable: bool = True,
                    label: str = "", ids: list[int] | None = None) -> None: ...

    def _title(self, entry: Any) -> str:
        return safe_line(entry.item.title, limit=50) or "(no title)"

    def action_toggle_read(self) -> None:
        if (entry := self.current()) is None:
            return
        read = entry.unread
        self.read_here.add(entry.id)
        label = f"{'read' if read else 'unread'}: {self._title(entry)}"
        self._submit(lambda: library.set_read(self.store, [entry.id], read), label=label, ids=[entry.id])

    def action_dismiss(self) -> None:
        if (entry := self.current()) is None:
            return
        title = self._title(entry)
        self._submit(lambda: library.dismiss(self.store, [entry.id]), f"dismissed: {title} (u to undo)",
                     label=f"dismissed: {title}", ids=[entry.id])

    def action_read_all(self) -> None:
        ids = [entry.id for entry in self.shown if entry.unread]
        if not ids:
            self.notify("nothing unread in view", markup=False)
            return
        count = len(ids)
        plural = "entries" if count != 1 else "entry"

        def answered(yes: bool | None) -> None:
            if yes:
                self._submit(lambda: library.set_read(self.store, ids, True),
                             f"marked {count} {plural} read; u to undo", label=f"marked {count} {plural} read",
                             ids=ids)

        self.app.push_screen(Confirm(f"Mark the {count} unread {plural} in view read? (u undoes it)"), answered)

    def action_to_backlog(self) -> None:
        if (entry := self.current()) is None:
            return
        title = self._title(entry)

        def save() -> tuple[str, Any]:
            _item, created, undo = library.to_backlog(self.store, entry.id,
                                                         words_per_minute=self.config.backlog.words_per_minute)
            return (f"saved to the backlog: {title}" if created else f"already in the backlog: {title}"), undo

        self._submit(save, label=f"saved to the backlog: {title}", ids=[entry.id])

    def action_undo(self) -> None:
        if not self.undo_stack:
            self.notify("nothing to undo", markup=False)
            return
        *self.undo_stack, (label, undo) = self.undo_stack

        def restore() -> str:
            library.undo(self.store, undo)
            return f"undone: {label}"

        rows = getattr(undo, "rows", None)  # the entries it restores, as they were
        ids = [row["id"] for row in rows] if rows else None
        self._submit(restore, undoable=False, ids=ids)

    # -- links ----------------------------------------------------------------------------------

    def action_open_entry(self) -> None:
        if (entry := self.current()) is None or (url := openable_url(entry.item.link)) is None:
            return
        if entry.unread:
            self.read_here.add(entry.id)
            self._submit(lambda: library.set_read(self.store, [entry.id], True),
                         label=f"read: {self._title(entry)}", ids=[entry.id])
        if can_open_browser(os.environ):
            # webbrowser.open may run a program and wait for it: never on the UI thread. The URL is
            # checked (http/https, no leading "-").
            self.app.run_worker(partial(self.app.open_url, url), thread=True, exit_on_error=False,
                                group="browser", description="open the browser")
            self.notify("opened in your browser", markup=False)
        else:
            self.app.push_screen(LinkScreen(url, entry.item.title))

    def action_copy_link(self) -> None:
        if (entry := self.current()) is not None and (url := openable_url(entry.item.link)) is not None:
            copy_to_clipboard(self.app, url)
