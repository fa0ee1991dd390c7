"""One area of the dashboard. Until its capability fills it, it explains itself."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from waitbuddy.tui.areas import AreaSpec


class EmptyState(Vertical):
    """What the area is for and which command or key fills it."""

    DEFAULT_CSS = """
    EmptyState {
        height: auto;
        & .purpose { color: $foreground; margin-bottom: 1; }
        & .hint { color: $text-muted; }
        & .command { color: $text-accent; padding-left: 2; }
    }
    """

    def __init__(self, spec: AreaSpec) -> None:
        super().__init__()
        self.spec = spec

    def compose(self) -> ComposeResult:
        yield Static(self.spec.purpose, classes="purpose", markup=False)
        hint = "Fill it with:" if self.spec.available else "Coming in a later version:"
        yield Static(hint, classes="hint", markup=False)
        for line in self.spec.fill:
            yield Static(line, classes="command", markup=False)


class Area(Vertical, can_focus=True):
    """A focusable pane that can be zoomed to full screen."""

    ALLOW_MAXIMIZE = True

    def __init__(self, spec: AreaSpec) -> None:
        super().__init__(id=spec.id, classes="area")
        self.spec = spec
        self.border_title = f"{spec.number} {spec.title}"

    def compose(self) -> ComposeResult:
        yield EmptyState(self.spec)
