"""The Textual app: wiring only. Screens own their state; panes render it."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

from textual.app import App, SystemCommand
from textual.screen import Screen
from textual.theme import Theme
from textual.worker import Worker, WorkerState

from waitbuddy.config import Config
from waitbuddy.paths import Paths
from waitbuddy.services import Services
from waitbuddy.store import THEME_SETTING, Store
from waitbuddy.tui.areas import AREAS, AreaSpec
from waitbuddy.tui.bindings import bindings_for
from waitbuddy.tui.screens.dashboard import DashboardScreen
from waitbuddy.tui.screens.help import HelpScreen

DEFAULT_THEME = "textual-dark"


class WaitBuddy(App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "waitbuddy"
    BINDINGS = bindings_for("app")

    def __init__(self, config: Config, store: Store, paths: Paths | None = None, theme: str = "",
                 areas: tuple[AreaSpec, ...] = AREAS) -> None:
        super().__init__()
        self.config = config
        self.store = store
        self.paths = paths
        self.areas = areas  # the dashboard's areas, Runs first (tui/areas.py)
        self.services = Services(store)  # built once here, the composition root; panes use them
        self.set_keymap(dict(config.keymap))
        self.theme = theme if theme in self.available_themes else DEFAULT_THEME

    def get_default_screen(self) -> Screen:
        return DashboardScreen(self.store, self.config, self.areas)

    def on_mount(self) -> None:
        self.theme_changed_signal.subscribe(self, self._remember_theme)

    # Focus is only known where the terminal reports it (tmux needs `focus-events on`); until a
    # report arrives, assume the person may be elsewhere and let desktop notifications through.
    focus_reported = False

    def on_app_focus(self) -> None:
        self.focus_reported = True

    def on_app_blur(self) -> None:
        self.focus_reported = True

    def person_is_looking(self) -> bool:
        """True only when the terminal says this app has focus (read from other threads)."""
        return self.focus_reported and self.app_focus

    def _remember_theme(self, theme: Theme) -> None:
        # A write can wait on another pane's transaction: keep it off the UI thread.
        self.run_worker(
            partial(self.store.set_setting, THEME_SETTING, theme.name),
            thread=True, exit_on_error=False, group="settings", description="save theme",
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            self.notify(f"{event.worker.description} failed: {event.worker.error}", severity="error", markup=False)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(dict(self.config.keymap)))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Help", "Show every key binding", self.action_help)
        if isinstance(screen, DashboardScreen):
            for area in self.areas:
                yield SystemCommand(
                    f"Go to {area.title}", area.purpose, partial(screen.action_show_area, area.id)
                )
        if self.paths is not None:
            yield SystemCommand("Paths", "Show where the config and the database live", self._show_paths)

    def _show_paths(self) -> None:
        assert self.paths is not None
        self.notify(
            f"config: {self.paths.config}\ndatabase: {self.paths.database}", title="Paths", markup=False, timeout=10
        )
