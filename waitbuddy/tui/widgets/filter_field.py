"""The "/" filter of a list pane, one way for every pane (Backlog, Feeds, Practice).

Mixed into a :class:`~waitbuddy.tui.widgets.area.Pane` that composes an ``Input`` with the id
``FILTER_ID`` (hidden until ``/``) and a ``LineList``. Typing filters as you go; Enter keeps the
filter and gives the keys back to the list; Escape clears it. The pane keeps ``query_text`` and
says in :meth:`refilter` how to show its rows again.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import events
from textual.widgets import Input

from waitbuddy.tui.widgets.line_list import LineList


class FilterField:
    FILTER_ID: ClassVar[str] = ""
    query_text: str = ""

    def refilter(self) -> None:
        """Filter again after the text changed, the cursor staying on its item."""
        raise NotImplementedError

    def clear_more(self) -> bool:
        """Whatever else Escape in the filter clears (the backlog's "fits the wait"); True when
        that changed something."""
        return False

    def _field(self) -> Input:
        return self.query_one(f"#{self.FILTER_ID}", Input)  # type: ignore[attr-defined]

    def action_filter(self) -> None:
        field = self._field()
        field.display = True
        field.value = self.query_text
        self.screen.set_focus(field)  # type: ignore[attr-defined]  # now, not after the keys queued behind "/"

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == self.FILTER_ID:
            self.query_text = event.value.strip()
            self.refilter()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == self.FILTER_ID:
            event.input.display = False
            self.query_one(LineList).focus()  # type: ignore[attr-defined]

    def action_clear_filter(self) -> None:
        field = self._field()
        changed = bool(self.query_text)
        changed = self.clear_more() or changed
        self.query_text = ""
        field.value = ""
        field.display = False
        if changed:
            self.refilter()
        self.query_one(LineList).focus()  # type: ignore[attr-defined]

    def on_key(self, event: events.Key | Any) -> None:
        if event.key == "escape" and self._field().has_focus:
            event.stop()
            self.action_clear_filter()
