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
