"""The Textual app: wiring only. Screens own their state; panes render it."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

from textual.app import App, SystemCommand
from textual.message import Message
from textual.screen import Screen
from textual.signal import Signal
from textual.theme import Theme
from textual.worker import Worker, WorkerState

from waitbuddy.config import Config
from waitbuddy.paths import Paths
from waitbuddy.services import Services
from waitbuddy.store import THEME_SETTING, Store
from waitbuddy.tui.areas import AREAS, AreaSpec
from waitbuddy.tui.bindings import bindings_for
from waitbuddy.tui.refresher import Refresher
from waitbuddy.tui.screens.dashboard import DashboardScreen
from waitbuddy.tui.screens.help import HelpScreen

DEFAULT_THEME = "textual-dark"
OTHERS_CHECK_SECONDS = 5.0  # how often to look for changes other waitbuddy processes committed


class StoreChanged(Message):
    """Another process (a CLI command, another dashboard) committed to the database."""


class Problem(Message):
    """Something no one waits for went wrong on a thread (an alert not delivered): say it."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


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
        # Built once here, the composition root; panes use them and build none of their own.
        self.services = Services(config, store, focused=self.person_is_looking,
                                 on_problem=lambda text: self.post_message(Problem(text)))
        # One look at PRAGMA data_version for the whole app, published to every pane that cares.
        self.store_changed_signal: Signal[None] = Signal(self, "store-changed")
        self._data_version: int | None = None
        self._others = Refresher("store-changes", self._look_for_others, interval=OTHERS_CHECK_SECONDS,
                                 start_delay=OTHERS_CHECK_SECONDS,
                                 on_error=lambda text: self.post_message(Problem(f"database: {text}")))
        self.set_keymap(dict(config.keymap))
        self.theme = theme if theme in self.available_themes else DEFAULT_THEME

    def get_default_screen(self) -> Screen:
        return DashboardScreen(self.store, self.config, self.areas)

    def on_mount(self) -> None:
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        self._others.start()

    def on_unmount(self) -> None:
        # Quitting never waits on the network: queued alerts get a fraction of a second.
        self._others.stop()
        self.services.close()

    def _look_for_others(self, stop) -> None:  # the refresher's thread: the store may wait on a lock
        version = self.store.query("PRAGMA data_version")[0][0]  # moves on other connections' commits only
        if self._data_version is not None and version != self._data_version:
            self.post_message(StoreChanged())
        self._data_version = version

    def on_store_changed(self, event: StoreChanged) -> None:
        self.store_changed_signal.publish(None)

    def on_problem(self, event: Problem) -> None:
        self.notify(event.text, severity="error", markup=False)

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
