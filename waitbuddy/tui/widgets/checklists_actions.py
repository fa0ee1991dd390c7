"""What the Checklists area's keys do: toggle done, snooze, edit a title, add an item, undo.
Every change runs on the area's store thread (``_submit``) and returns the library's Undo for
``u``; questions are asked with :class:`~waitbuddy.tui.screens.prompt.Prompt`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from waitbuddy.checklists import library
from waitbuddy.text import safe_line
from waitbuddy.tui.screens.prompt import Prompt

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from waitbuddy.checklists.library import Item
    from waitbuddy.store import Store

SNOOZE_DAYS = (1, 365)


def parse_new(answer: str, default_list: str) -> tuple[str, str]:
    """``List: title`` -> (list, title); without a list, ``default_list``."""
    name, colon, title = answer.partition(":")
    if colon and name.strip() and title.strip():
        return name.strip(), title.strip()
    return default_list, answer.strip()


class ChecklistsActions:
    """Mixed into :class:`~waitbuddy.tui.widgets.checklists_pane.ChecklistsArea`, which provides these:"""

    store: Store
    undo_stack: list[tuple[str, Any]]
    kept: set[int]

    if TYPE_CHECKING:
        def current(self) -> Item | None: ...
        def current_list(self) -> str: ...
        def now(self) -> datetime: ...
        def _submit(self, change: Callable[[], object], note: str = "", *, undoable: bool = True,
                    label: str = "") -> None: ...

    def _title(self, item: Item) -> str:
        return safe_line(item.title, limit=50) or "(no title)"

    def action_toggle_done(self) -> None:
        if (item := self.current()) is None:
            return
        title, now = self._title(item), self.now()
        self.kept.add(item.id)  # stays in the due view, ticked, until v

        def toggle() -> tuple[str, Any] | str:
            if item.due:
                return f"done: {title}", library.complete(self.store, item.id, now=now)
            undo = library.uncomplete(self.store, item.id, now=now, zone=self.zone)
            return (f"not done: {title}", undo) if undo is not None else f"nothing to take back: {title}"

        self._submit(toggle, label=f"{'done' if item.due else 'not done'}: {title}")

    def action_snooze(self) -> None:
        if (item := self.current()) is None:
            return
        title = self._title(item)

        def answered(answer: str | None) -> None:
            if answer is None:
                return
            try:
                days = int(answer)
            except ValueError:
                days = 0
            if not SNOOZE_DAYS[0] <= days <= SNOOZE_DAYS[1]:
                self.notify(f"snooze: expected a number of days from 1 to 365, got {safe_line(answer, limit=20)}",
                            severity="error", markup=False)
                return
            self.kept.discard(item.id)
            plural = "s" if days != 1 else ""
            self._submit(lambda: library.snooze(self.store, item.id, days, now=self.now()),
                         f"snoozed for {days} day{plural}: {title} (u to undo)", label=f"snoozed: {title}")

        self.app.push_screen(Prompt(f"Snooze for how many days? {title}", "1"), answered)

    def action_edit_title(self) -> None:
        if (item := self.current()) is None:
            return

        def answered(answer: str | None) -> None:
            if answer is None or answer == item.title:
                return
            self._submit(lambda: library.edit(self.store, item.id, title=answer),
                         f"renamed: {safe_line(answer, limit=50)}", label=f"renamed: {self._title(item)}")

        self.app.push_screen(Prompt("Title:", item.title), answered)

    def action_add_item(self) -> None:
        default_list = self.current_list()

        def answered(answer: str | None) -> None:
            if answer is None:
                return
            name, title = parse_new(answer, default_list)

            def add() -> tuple[str, Any]:
                item, undo = library.add(self.store, name, title, now=self.now())
                return f"added to {safe_line(item.list_name, limit=30)}: {safe_line(item.title, limit=50)}", undo

            self._submit(add, label=f"added: {safe_line(title, limit=50)}")

        self.app.push_screen(Prompt("List: title", placeholder=f"{default_list}: what to do (15 min, weekly)"),
                             answered)

    def action_undo(self) -> None:
        if not self.undo_stack:
            self.notify("nothing to undo", markup=False)
            return
        *self.undo_stack, (label, undo) = self.undo_stack

        def restore() -> str:
            library.undo(self.store, undo)
            return f"undone: {label}"

        self._submit(restore, undoable=False)
