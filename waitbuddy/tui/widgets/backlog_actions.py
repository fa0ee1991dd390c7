"""What the Backlog area's keys do to items: status, priority, snooze, tags, note, kind, delete,
undo, add, import, bankruptcy, open and copy. Every change runs on the area's store thread
(``_submit``) and returns an :class:`~waitbuddy.reading.backlog.Undo` for ``u``."""

from __future__ import annotations

import os
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from waitbuddy.reading import backlog
from waitbuddy.reading.model import KINDS
from waitbuddy.reading.present import snooze_until
from waitbuddy.text import openable_url, safe_line
from waitbuddy.tui.screens.link import LinkScreen, can_open_browser, copy_to_clipboard
from waitbuddy.tui.screens.prompt import Confirm, Prompt

if TYPE_CHECKING:
    from collections.abc import Callable

    from waitbuddy.config import Config
    from waitbuddy.reading.model import Item
    from waitbuddy.reading.query import Index
    from waitbuddy.store import Store


class BacklogActions:
    """Mixed into :class:`~waitbuddy.tui.widgets.backlog_pane.BacklogArea`, which provides these:"""

    store: Store
    config: Config
    index: Index
    undo_stack: list[backlog.Undo]

    if TYPE_CHECKING:
        def current(self) -> Item | None: ...
        def _submit(self, change: Callable[[], object], note: str = "", *, undoable: bool = True) -> None: ...
        def _want_fetch(self, item: Item) -> None: ...

    # -- changes --------------------------------------------------------------------------------

    def _change(self, label: str, **changes: object) -> None:
        if (item := self.current()) is None:
            return
        title = safe_line(item.title or item.url, limit=50)
        self._submit(lambda: backlog.update(self.store, [item.id], label, **changes), f"{label}: {title}")

    def action_set_status(self, status: str) -> None:
        self._change({"done": "done", "reading": "reading", "unread": "unread", "archived": "archived"}[status],
                     status=status)

    def action_priority(self, step: int) -> None:
        if (item := self.current()) is not None:
            self._submit(lambda: backlog.adjust_priority(self.store, [item.id], step))

    def action_snooze(self) -> None:
        if self.current() is None:
            return

        def snooze(answer: str | None) -> None:
            if answer is None:
                return
            until = snooze_until(answer, datetime.now().astimezone())
            if until is None:
                self.notify(f"not a snooze time: {answer!r} (1d, 3d, 1w, 2w or YYYY-MM-DD)", severity="error",
                            markup=False)
                return
            self._change(f"snoozed until {until:%Y-%m-%d}", snoozed_until=until)

        self.app.push_screen(Prompt("Snooze until: 1d, 1w, or a date (YYYY-MM-DD)", value="1d"), snooze)

    def action_edit_tags(self) -> None:
        if (item := self.current()) is None:
            return

        def tags(answer: str | None) -> None:
            if answer is not None:
                self._change("tags", tags=[tag for tag in answer.split(",")])

        self.app.push_screen(Prompt("Tags, separated by commas:", value=", ".join(item.tags), empty_ok=True), tags)

    def action_edit_note(self) -> None:
        if (item := self.current()) is None:
            return

        def note(answer: str | None) -> None:
            if answer is not None:
                self._change("note", note=answer)

        self.app.push_screen(Prompt("Note:", value=item.note, empty_ok=True), note)

    def action_edit_kind(self) -> None:
        if (item := self.current()) is None:
            return

        def kind(answer: str | None) -> None:
            if answer is None:
                return
            answer = answer.strip().lower()
            if answer not in KINDS:
                self.notify(f"kind must be one of {', '.join(KINDS)}", severity="error", markup=False)
                return
            self._change(f"kind {answer}", kind=answer)

        self.app.push_screen(Prompt(f"Kind ({', '.join(KINDS)}):", value=item.kind), kind)

    def action_delete_item(self) -> None:
        if (item := self.current()) is not None:
            title = safe_line(item.title or item.url, limit=50)
            self._submit(lambda: backlog.delete(self.store, [item.id]), f"deleted: {title} (u to undo)")

    def action_undo(self) -> None:
        if not self.undo_stack:
            self.notify("nothing to undo", markup=False)
            return
        *self.undo_stack, undo = self.undo_stack

        def restore() -> str:
            backlog.restore(self.store, undo)
            return f"undone: {undo.label}"

        self._submit(restore, undoable=False)

    def action_add_item(self) -> None:
        def add(answer: str | None) -> None:
            if not answer:
                return
            fetch = self.config.backlog.fetch != "off"

            def save() -> str:
                item, created = backlog.add_url(self.store, answer, fetch=fetch)
                if fetch:
                    self._want_fetch(item)
                return f"added {item.url}" if created else f"already saved: {item.url}"

            self._submit(save)

        self.app.push_screen(Prompt("Save a link (http or https):", placeholder="https://..."), add)

    def action_import_file(self) -> None:
        def start(path: str | None) -> None:
            if not path:
                return
            self.notify(f"importing {path} ...", markup=False)
            self._submit(lambda: self._import(os.path.expanduser(path)))

        self.app.push_screen(Prompt("Import a bookmark file (browser HTML, Pocket, Raindrop, Omnivore, URLs):",
                                    placeholder="~/Downloads/bookmarks.html"), start)

    def _import(self, path: str) -> backlog.Undo | str:  # on the store thread
        from pathlib import Path

        from waitbuddy.reading.importers import stream_file
        from waitbuddy.reading.model import ImportFailed

        try:
            # As `waitbuddy import` does: bookmarks are read as they are stored, in one
            # transaction (a problem further into the file writes nothing).
            parsed = stream_file(Path(path))
            report = backlog.import_bookmarks(self.store, parsed, source=parsed.format,
                                              fetch=self.config.backlog.fetch == "all")
        except ImportFailed as exc:
            raise ValueError(str(exc)) from None
        lines = [f"{Path(path).name} ({parsed.format}): {report.summary()}"]
        lines += [f"line {invalid.line}: {invalid.reason}" for invalid in report.invalid[:3]]
        self.app.call_from_thread(self.notify, "\n".join(lines), markup=False, timeout=15)
        return report.undo or backlog.Undo("import", ())

    def action_bankruptcy(self) -> None:
        def ask_days(answer: str | None) -> None:
            if answer is None:
                return
            if not answer.isdigit() or int(answer) < 1:
                self.notify("expected a number of days", severity="error", markup=False)
                return
            days = int(answer)
            count = len(backlog.bankruptcy_ids(self.index.items, days, backlog.utc_now()))
            if not count:
                self.notify(f"nothing unread is older than {days} days", markup=False)
                return
            self.app.push_screen(
                Confirm(f"Archive {count} unread item{'s' if count != 1 else ''} saved more than {days} days "
                        "ago? (u undoes it)"),
                lambda yes: yes and self._submit(lambda: backlog.declare_bankruptcy(self.store, days),
                                                 f"archived {count} items; u to undo"),
            )

        self.app.push_screen(Prompt("Declare bankruptcy: archive unread items older than how many days?",
                                    value=str(self.config.backlog.bankruptcy_days)), ask_days)

    # -- links ----------------------------------------------------------------------------------

    def action_open_item(self) -> None:
        if (item := self.current()) is None or (url := openable_url(item.url)) is None:
            return
        if item.status == "unread":
            self._change("reading", status="reading")
        if can_open_browser(os.environ):
            # webbrowser.open may run a program and wait for it: never on the UI thread. The URL is
            # checked (http/https, no leading "-").
            self.app.run_worker(partial(self.app.open_url, url), thread=True, exit_on_error=False,
                                group="browser", description="open the browser")
            self.notify("opened in your browser", markup=False)
        else:
            self.app.push_screen(LinkScreen(url, item.title))

    def action_copy_link(self) -> None:
        if (item := self.current()) is not None and (url := openable_url(item.url)) is not None:
            copy_to_clipboard(self.app, url)

