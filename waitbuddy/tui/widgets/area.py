"""One area of the dashboard. Until its capability fills it, it explains itself."""

from __future__ import annotations

from typing import ClassVar, Literal

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Static

from waitbuddy.tui.areas import AreaSpec


class EmptyState(Static):
    """What the area is for and which command or key fills it (one widget: cheap to mount)."""

    DEFAULT_CSS = """
    EmptyState {
        height: auto;
    }
    """

    def __init__(self, spec: AreaSpec) -> None:
        hint = "Fill it with:" if spec.available else "Coming in a later version:"
        parts: list[str | tuple[str, str]] = [spec.purpose, "\n\n", (hint, "$text-muted")]
        for line in spec.fill:
            parts += ["\n  ", (line, "$text-accent")]
        super().__init__(Content.assemble(*parts))
        self.spec = spec


class Area(Vertical, can_focus=True):
    """A focusable pane that can be zoomed to full screen."""

    ALLOW_MAXIMIZE = True

    def __init__(self, spec: AreaSpec) -> None:
        super().__init__(id=spec.id, classes="area")
        self.spec = spec
        self.border_title = f"{spec.number} {spec.title}"

    def compose(self) -> ComposeResult:
        yield EmptyState(self.spec)


class Pane(Area):
    """An area a capability fills. Until its first load it shows nothing (no flash of the empty
    state); after, its empty state (what fills it) or its content (the widgets ``CONTENT`` names)."""

    CONTENT: ClassVar[tuple[str, ...]] = ()  # selectors of what shows once there is something
    state: Literal["loading", "empty", "content"] = "loading"

    def on_mount(self) -> None:
        self._display_state()

    def show_content(self, has_content: bool) -> bool:
        """After a load: the content, or the empty state. True when that changed what shows."""
        state = "content" if has_content else "empty"
        if state == self.state:
            return False
        self.state = state
        self._display_state()
        return True

    def _display_state(self) -> None:
        self.query_one(EmptyState).display = self.state == "empty"
        for selector in self.CONTENT:
            self.query_one(selector).display = self.state == "content"
