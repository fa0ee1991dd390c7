"""A list of one-line rows that renders only what is on screen, for lists of 10,000 and more.

``OptionList`` measures every option when the options change (about 1 s for 10,000 in Textual
8.2.8), which is too slow to re-filter as the person types. Here every row is one line, so
replacing the rows only sets a count: the owner renders a row when it scrolls into view
(``render_row(index, width)``), and rendered rows are cached until the rows change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from textual import events
from textual.binding import Binding
from textual.content import Content
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.visual import Visual

from waitbuddy.tui.bindings import bindings_for

RenderRow = Callable[[int, int], Content]


class LineList(ScrollView, can_focus=True):
    """Rows ``0 .. count-1`` drawn by ``render_row``; a cursor moved by keys and the mouse."""

    BINDINGS = [*bindings_for("list"), Binding("enter", "select", "Select", show=False)]

    COMPONENT_CLASSES = {"line-list--row", "line-list--cursor"}

    DEFAULT_CSS = """
    LineList {
        height: 1fr;
        background: transparent;
        & > .line-list--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
        }
        &:focus > .line-list--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
    }
    """

    @dataclass
    class Highlighted(Message):
        """The cursor moved to ``index`` (None when the list is empty)."""

        line_list: LineList
        index: int | None

        @property
        def control(self) -> LineList:
            return self.line_list

    @dataclass
    class Selected(Message):
        """Enter (or a click on the cursor row) on ``index``."""

        line_list: LineList
        index: int

        @property
        def control(self) -> LineList:
            return self.line_list

    def __init__(self, render_row: RenderRow, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._render_row = render_row
        self.count = 0
        self.cursor: int | None = None
        self._cache: dict[tuple[int, int, bool], Strip] = {}

    # -- the owner's API ------------------------------------------------------------------------

    def set_rows(self, count: int, cursor: int | None = 0) -> None:
        """There are now ``count`` rows; put the cursor on ``cursor`` (clamped)."""
        self.count = count
        self._cache.clear()
        self.virtual_size = Size(self.scrollable_content_region.width, count)
        self._move_to(cursor if cursor is not None else 0, force=True)
        self.refresh()

    def refresh_rows(self) -> None:
        """Rows look different now (same count)."""
        self._cache.clear()
        self.refresh()

    # -- rendering ------------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index = self.scroll_offset.y + y
        if index >= self.count or width <= 0:
            return Strip.blank(width, self.get_visual_style("line-list--row").rich_style)
        on_cursor = index == self.cursor
        key = (index, width, on_cursor)
        strip = self._cache.get(key)
        if strip is None:
            style = self.get_visual_style("line-list--row", "line-list--cursor") if on_cursor \
                else self.get_visual_style("line-list--row")
            content = self._render_row(index, width)
            strips = Visual.to_strips(self, content, width, 1, style, pad=True)
            strip = strips[0] if strips else Strip.blank(width, style.rich_style)
            strip = strip.crop_extend(0, width, style.rich_style)
            if len(self._cache) > 4096:
                self._cache.clear()
            self._cache[key] = strip
        return strip

    def on_resize(self, event: events.Resize) -> None:
        self._cache.clear()
        self.virtual_size = Size(self.scrollable_content_region.width, self.count)

    def watch_has_focus(self, _focused: bool) -> None:
        self.refresh()  # the cursor row's colour follows focus

    # -- the cursor -----------------------------------------------------------------------------

    def _move_to(self, index: int, *, force: bool = False) -> None:
        new = None if self.count == 0 else min(max(index, 0), self.count - 1)
        if new == self.cursor and not force:
            return
        old, self.cursor = self.cursor, new
        for row in (old, new):
            if row is not None:
                self._forget(row)
        if new is not None:
            self.scroll_to_region(Region(0, new, 1, 1), animate=False, force=True, immediate=True)
        self.refresh()
        self.post_message(self.Highlighted(self, new))

    def _forget(self, index: int) -> None:
        for key in [key for key in self._cache if key[0] == index]:
            del self._cache[key]

    def action_move(self, step: int) -> None:
        self._move_to((self.cursor if self.cursor is not None else -1) + step)

    def action_page(self, step: int) -> None:
        page = max(self.scrollable_content_region.height - 1, 1)
        self._move_to((self.cursor or 0) + step * page)

    def action_jump(self, index: int) -> None:
        self._move_to(self.count - 1 if index < 0 else index)

    def action_select(self) -> None:
        if self.cursor is not None:
            self.post_message(self.Selected(self, self.cursor))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        index = self.scroll_offset.y + offset.y
        if 0 <= index < self.count:
            if index == self.cursor and event.chain >= 2:
                self.action_select()
            self._move_to(index)
