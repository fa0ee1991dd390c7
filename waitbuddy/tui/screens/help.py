"""`?`: every key binding with the keys it answers to now (after the user's [keymap])."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from waitbuddy.keys import display_keys, effective_keys
from waitbuddy.tui.bindings import bindings_for

# Keys Textual itself provides; not rebindable through [keymap].
BUILT_IN = (
    ("tab / shift+tab", "Move focus to the next / previous area"),
    ("left / right", "Switch tabs when the tab bar has focus"),
    ("ctrl+q", "Quit, from anywhere"),
    ("escape", "Close a dialog or the command palette"),
)


SCOPE_TITLES = {
    "runs": "In Runs", "run": "In a run's view", "explain": "In a run's explanation", "backlog": "In Backlog",
    "feeds": "In Feeds", "practice": "In Practice", "checklists": "In Checklists", "list": "In a list",
    "prompt": "In a question",
    "confirm": "In a yes/no question", "link": "In a link shown to open", "standup": "In the daily update",
    "plan": "In the plan strip",
}


class HelpScreen(ModalScreen[None]):
    BINDINGS = bindings_for("help")

    def __init__(self, keymap: dict[str, str]) -> None:
        super().__init__()
        self.keymap = keymap

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box") as box:
            box.border_title = "Keys"
            box.border_subtitle = "escape closes"
            with VerticalScroll():
                yield Static(self._table(), id="help-table")
                yield Static(
                    Text(
                        "Rebind any key in the [keymap] table of config.toml by its id "
                        "(`waitbuddy keys` lists them). ctrl+p opens the command palette "
                        "for everything else, including the theme."
                    ),
                    id="help-footnote",
                )

    def _table(self) -> Table:
        table = Table(box=None, expand=True, show_edge=False, pad_edge=False, header_style="bold")
        table.add_column("Keys", no_wrap=True)
        table.add_column("Does")
        table.add_column("Id", no_wrap=True, style="dim")
        scope = None
        for spec, keys in effective_keys(self.keymap):
            if spec.scope != scope and spec.scope in SCOPE_TITLES:
                table.add_row(Text(SCOPE_TITLES[spec.scope], style="bold"), Text(""), Text(""))
            scope = spec.scope
            table.add_row(Text(display_keys(keys)), Text(spec.description), Text(spec.id))
        for keys, description in BUILT_IN:
            table.add_row(Text(keys), Text(description), Text("-"))
        return table
