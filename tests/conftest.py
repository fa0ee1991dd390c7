"""Every test runs with its own HOME, config and data dirs: never the developer's real ones."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from waitbuddy import config as config_module
from waitbuddy.store import Store


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.delenv("WAITBUDDY_CONFIG", raising=False)
    monkeypatch.delenv("WAITBUDDY_DATA_DIR", raising=False)
    return home


@pytest.fixture(autouse=True)
def no_alerts_to_the_developers_terminal(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The dashboard under test raises real alerts: they must not ring the bell in, or write
    escapes to, the terminal running pytest, nor reach its tmux or desktop."""
    for name in ("TMUX", "TMUX_PANE", "DBUS_SESSION_BUS_ADDRESS", "KITTY_WINDOW_ID", "WT_SESSION", "TERM_PROGRAM",
                 "WAITBUDDY_NTFY_TOPIC", "WAITBUDDY_WEBHOOK_URL"):
        monkeypatch.delenv(name, raising=False)
    if request.module.__name__.endswith("test_alert_terminal"):
        return  # those tests build their terminals themselves
    from waitbuddy.alerts import terminal

    monkeypatch.setattr(terminal.Terminal, "open_controlling", staticmethod(lambda: None))


@pytest.fixture(autouse=True)
def no_leetcode(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Practice pane asks LeetCode for today's question: in tests, a local port nobody
    listens on (refused at once) unless a test serves its own."""
    from waitbuddy.practice import daily

    monkeypatch.setattr(daily, "ENDPOINT", "http://127.0.0.1:9/graphql")


@pytest.fixture
def store(tmp_path: Path):
    with Store.open(tmp_path / "data" / "waitbuddy.db") as opened:
        yield opened


@pytest.fixture
def default_config() -> config_module.Config:
    return config_module.Config()


def run_cli(*args: str, env: dict[str, str] | None = None, input: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m waitbuddy ARGS` as a user would, with the test's environment."""
    return subprocess.run(
        [sys.executable, "-m", "waitbuddy", *args],
        capture_output=True, text=True, timeout=60, input=input,
        env={**os.environ, **(env or {})},
    )
