"""End to end in a real tmux server: what a person in a tmux pane sees, and a clean exit."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

if shutil.which("tmux") is None:
    if os.environ.get("WAITBUDDY_REQUIRE_TMUX"):
        raise RuntimeError("tmux is required for the end-to-end tests (WAITBUDDY_REQUIRE_TMUX is set)")
    pytest.skip("tmux is not installed", allow_module_level=True)

AREA_NAMES = ("Runs", "Backlog", "Feeds", "Practice", "Checklists")


class Tmux:
    """A private tmux server (own socket, own config: nothing from the user's ~/.tmux.conf)."""

    def __init__(self, socket: str, config: Path) -> None:
        self.socket = socket
        self.config = config

    def __call__(self, *args: str) -> str:
        result = subprocess.run(
            ["tmux", "-L", self.socket, "-f", str(self.config), *args], capture_output=True, text=True, timeout=20
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    def pane(self, fmt: str) -> str:
        return self("display-message", "-p", "-t", "wb", fmt).strip()

    def screen(self) -> str:
        return self("capture-pane", "-p", "-J", "-S", "-100", "-t", "wb")

    def exit_status(self, status_file: Path, timeout: float = 15.0) -> str:
        """The exit status the pane's shell wrote once waitbuddy ended. (tmux 3.3's own
        #{pane_dead_status} is filled in late or not at all when the pane closes quickly.)"""
        deadline = time.monotonic() + timeout
        while not status_file.exists() or not status_file.read_text().strip():
            assert time.monotonic() < deadline, self.screen()
            time.sleep(0.05)
        return status_file.read_text().strip()

    def wait_for(self, predicate, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            text = self.screen()
            if predicate(text):
                return text
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; the pane shows:\n{text}")
            time.sleep(0.1)


@contextmanager
def private_server(tmp_path: Path) -> Iterator[Tmux]:
    config = tmp_path / "tmux.conf"
    # Set before the first pane starts, so even a pane that exits at once stays to be inspected.
    config.write_text("set -g remain-on-exit on\n")
    server = Tmux(f"waitbuddy-test-{os.getpid()}-{tmp_path.name}", config)
    try:
        yield server
    finally:
        subprocess.run(["tmux", "-L", server.socket, "kill-server"], capture_output=True)
        # tmux 3.3 leaves the socket file behind after kill-server.
        Path(f"/tmp/tmux-{os.getuid()}/{server.socket}").unlink(missing_ok=True)


@pytest.fixture
def tmux(tmp_path: Path):
    with private_server(tmp_path) as server:
        yield server


def start(tmux: Tmux, tmp_path: Path, size: tuple[int, int], *args: str) -> Path:
    """Start waitbuddy in a pane; returns the file its exit status will be written to."""
    env = {
        "HOME": str(tmp_path / "home"),
        "WAITBUDDY_CONFIG": str(tmp_path / "config.toml"),
        "WAITBUDDY_DATA_DIR": str(tmp_path / "data"),
        "TERM": "tmux-256color",
    }
    status_file = tmp_path / "exit-status"
    command = f"{shlex.join([sys.executable, '-m', 'waitbuddy', *args])}; echo $? > {shlex.quote(str(status_file))}"
    env_args = [arg for key, value in env.items() for arg in ("-e", f"{key}={value}")]
    tmux("new-session", "-d", "-s", "wb", "-x", str(size[0]), "-y", str(size[1]), *env_args, command)
    # Some tmux builds size a detached session from default-size (80x24) whatever -x/-y say; CI's
    # did, and a 120-column test then read an 80-column screen. Sizing the window again is a no-op
    # where -x/-y were taken, and the app redraws on the SIGWINCH where they were not.
    tmux("resize-window", "-t", "wb", "-x", str(size[0]), "-y", str(size[1]))
    return status_file


@pytest.mark.parametrize("size", [(80, 24), (200, 50)])
def test_dashboard_in_a_tmux_pane_and_q_exits_zero(tmux: Tmux, tmp_path: Path, size):
    status_file = start(tmux, tmp_path, size)
    screen = tmux.wait_for(lambda text: all(name in text for name in AREA_NAMES) and "Quit" in text
                           and "waitbuddy watch train.log" in text)  # the Runs empty state says how to fill it
    lines = screen.splitlines()
    assert len(lines) <= size[1] and all(len(line) <= size[0] for line in lines)
    assert tmux.pane("#{alternate_on}") == "1"

    tmux("send-keys", "-t", "wb", "q")
    assert tmux.exit_status(status_file) == "0"
    assert tmux.pane("#{alternate_on}") == "0"  # the terminal was restored
    assert (tmp_path / "data" / "waitbuddy.db").is_file()


def test_bad_config_in_a_pane_prints_one_line_and_exits_two(tmux: Tmux, tmp_path: Path):
    (tmp_path / "config.toml").write_text('[ui]\nlayout = "wide"\n')
    status_file = start(tmux, tmp_path, (80, 24))
    assert tmux.exit_status(status_file) == "2"
    screen = tmux.screen()
    assert 'config.toml:2: [ui] layout: expected one of "auto", "stacked", "side-by-side", got "wide"' in screen
    assert "Traceback" not in screen


def test_watching_a_log_shows_progress_then_the_failure_reason(tmux: Tmux, tmp_path: Path):
    log = tmp_path / "train.log"
    log.write_text("")
    status_file = start(tmux, tmp_path, (80, 24), "watch", str(log))
    tmux.wait_for(lambda text: "waiting" in text or "running" in text)
    with log.open("a") as out:
        out.write("\rEpoch 1/3:  45%|████▌     | 90/200 [00:09<00:11,  9.98it/s, loss=0.812]")
        out.flush()
        # At 80 columns the row gives its status as the symbol (and colour) alone.
        tmux.wait_for(lambda text: "▶ " in text and "loss 0.812" in text)
        out.write("\nTraceback (most recent call last):\n  File \"train.py\", line 9, in <module>\n"
                  "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 has 79 GiB\n")
    def row(text: str) -> str:  # the Runs area's first row (the header and the plan strip are above it)
        return next((line for line in text.splitlines() if line.startswith("│")), "")

    screen = tmux.wait_for(lambda text: "✖ " in row(text))  # the row, not only the toast
    assert "CUDA out of memory (tried to allocate" in row(screen), screen  # the row is cut to 80 columns
    tmux("send-keys", "-t", "wb", "q")
    assert tmux.exit_status(status_file) == "0"


def test_a_failure_rings_the_bell_of_a_hidden_window(tmux: Tmux, tmp_path: Path):
    """The alert that matters most: waitbuddy in a window the person is not looking at."""
    log = tmp_path / "train.log"
    log.write_text("step 1/100 loss=2.0\n")
    status_file = start(tmux, tmp_path, (80, 24), "watch", str(log))
    tmux.wait_for(lambda text: "▶ " in text)
    tmux("new-window", "-t", "wb")  # the person switches to another window; waitbuddy's is hidden
    assert tmux("display-message", "-p", "-t", "wb:0", "#{window_active}").strip() == "0"
    with log.open("a") as out:
        out.write("Traceback (most recent call last):\n  File \"train.py\", line 3, in <module>\n"
                  "RuntimeError: CUDA error: an illegal memory access was encountered\n")
    deadline = time.monotonic() + 15
    while tmux("display-message", "-p", "-t", "wb:0", "#{window_bell_flag}").strip() != "1":
        assert time.monotonic() < deadline, tmux.screen()
        time.sleep(0.1)
    tmux("select-window", "-t", "wb:0")
    screen = tmux.wait_for(lambda text: "✖ " in text)
    assert "CUDA error" in screen
    tmux("send-keys", "-t", "wb:0", "q")
    assert tmux.exit_status(status_file) == "0"


def test_backlog_import_triage_and_undo_in_a_pane(tmux: Tmux, tmp_path: Path):
    """Import from the command line, then triage at 80x24: a title full of escapes shows as text."""
    bookmarks = tmp_path / "bookmarks.html"
    bookmarks.write_text(
        "<!DOCTYPE NETSCAPE-Bookmark-file-1>\r\n<DL><p>\r\n"
        '<DT><A HREF="https://example.com/old" ADD_DATE="1500000000">An old post about attention</A>\r\n'
        '<DT><A HREF="https://example.com/evil" ADD_DATE="1600000000">Evil &#27;]0;PWNED&#7; [bold]title[/]</A>\r\n'
        "</DL><p>\r\n")
    env = {**os.environ, "HOME": str(tmp_path / "home"), "WAITBUDDY_CONFIG": str(tmp_path / "config.toml"),
           "WAITBUDDY_DATA_DIR": str(tmp_path / "data")}
    (tmp_path / "config.toml").write_text('[backlog]\nfetch = "off"\n')
    imported = subprocess.run([sys.executable, "-m", "waitbuddy", "import", str(bookmarks)], env=env,
                              capture_output=True, text=True, timeout=60)
    assert "2 added" in imported.stdout, imported.stderr
    status_file = start(tmux, tmp_path, (80, 24))
    tmux.wait_for(lambda text: "Backlog" in text and "Quit" in text)
    tmux("send-keys", "-t", "wb", "2")
    screen = tmux.wait_for(lambda text: "2 of 2" in text)
    assert "Evil" in screen and "[bold]title[/]" in screen  # plain text; the escape never reached tmux
    assert tmux.pane("#{pane_title}") != "PWNED"
    tmux("send-keys", "-t", "wb", "S", "S")  # oldest first
    tmux.wait_for(lambda text: "by oldest" in text)
    tmux("send-keys", "-t", "wb", "d")
    tmux.wait_for(lambda text: "1 of 2" in text)
    tmux("send-keys", "-t", "wb", "u")
    tmux.wait_for(lambda text: "2 of 2" in text)
    tmux("send-keys", "-t", "wb", "q")
    assert tmux.exit_status(status_file) == "0"
