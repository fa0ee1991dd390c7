"""Opening the dashboard from a command (the bare `waitbuddy`, `watch`, `demo`): a terminal is
needed, and a theme Textual knows."""

from __future__ import annotations

import json
import sys

from waitbuddy import config, paths
from waitbuddy.commands import EXIT_OK, EXIT_USAGE, error
from waitbuddy.store import THEME_SETTING, Store
from waitbuddy.text import safe_line


def is_terminal() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def terminal_ok() -> bool:
    """True if the dashboard can open here; otherwise says why on stderr."""
    if is_terminal():
        return True
    not_a_terminal()
    return False


def not_a_terminal() -> int:
    error("the dashboard needs a terminal (stdin and stdout must be a TTY); "
          "for scripts use `waitbuddy status --json` or `waitbuddy watch --json`")
    return EXIT_USAGE


def check_theme(loaded: config.Config) -> None:
    """Raise ConfigError if the configured theme is not one Textual knows."""
    if not loaded.ui.theme or loaded.path is None:
        return
    from textual.theme import BUILTIN_THEMES  # the only Textual import outside the dashboard

    if loaded.ui.theme not in BUILTIN_THEMES:
        raise config.ConfigError.for_key(
            loaded.path, "ui", "theme",
            f"unknown theme {json.dumps(safe_line(loaded.ui.theme, limit=60), ensure_ascii=False)}"
            + config.suggest(loaded.ui.theme, BUILTIN_THEMES)
            + f" (themes: {', '.join(sorted(BUILTIN_THEMES))})",
        )


def open_dashboard(where: paths.Paths, loaded: config.Config, store: Store) -> int:
    check_theme(loaded)
    if not is_terminal():
        return not_a_terminal()
    theme = loaded.ui.theme or store.get_setting(THEME_SETTING) or ""
    from waitbuddy.tui.app import WaitBuddy

    app = WaitBuddy(config=loaded, store=store, paths=where, theme=theme)
    app.run()
    return app.return_code or EXIT_OK
