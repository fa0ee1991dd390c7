"""End to end: `status-right '#(waitbuddy status --line)'` in a real tmux server, read off the
screen a person sees. capture-pane leaves out the status line, so a client of that server runs
in a pane of a second tmux server, and the test reads that pane: the client's whole screen,
status line included. Both servers are private (own sockets, own config, a temporary HOME)."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from waitbuddy.runs import registry
from waitbuddy.runs.snapshot import RunSnapshot, SnapshotProgress
from waitbuddy.store import Store
from waitbuddy.timefmt import iso

pytestmark = pytest.mark.e2e

if shutil.which("tmux") is None:
    if os.environ.get("WAITBUDDY_REQUIRE_TMUX"):
        raise RuntimeError("tmux is required for the end-to-end tests (WAITBUDDY_REQUIRE_TMUX is set)")
    pytest.skip("tmux is not installed", allow_module_level=True)

WIDTH = 200  # room for the hostile name and its long marker path


class Server:
    def __init__(self, socket: str, config: Path, env: dict[str, str]) -> None:
        self.socket, self.config, self.env = socket, config, env

    def __call__(self, *args: str) -> str:
        result = subprocess.run(["tmux", "-L", self.socket, "-f", str(self.config), *args], env=self.env,
                                capture_output=True, text=True, timeout=20, check=False)
        assert result.returncode == 0, result.stderr
        return result.stdout

    def kill(self) -> None:
        # (the servers' own environment: no TMUX_TMPDIR, so their sockets are in /tmp/tmux-UID)
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], env=self.env, capture_output=True, check=False)
        Path(f"/tmp/tmux-{os.getuid()}/{self.socket}").unlink(missing_ok=True)  # tmux 3.3 leaves it


def status_command(*options: str) -> str:
    """What the README tells people to put in status-right: the installed script (found on the
    tmux server's PATH), or `python -m waitbuddy` where no script is installed."""
    script = Path(sys.executable).parent / "waitbuddy"
    command = ["waitbuddy"] if script.exists() else [sys.executable, "-m", "waitbuddy"]
    return shlex.join([*command, "status", "--line", *options])


@pytest.fixture
def screen(tmp_path: Path) -> Iterator:
    """``screen(status_right, extra)`` starts the inner server with that status-right and a client
    of it inside the outer server; returns a function giving the status line the client draws."""
    servers: list[Server] = []
    env = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(tmp_path / "home"), "WAITBUDDY_DATA_DIR": str(tmp_path / "data"),
        "WAITBUDDY_CONFIG": str(tmp_path / "config.toml"), "LANG": "C.UTF-8", "TERM": "xterm-256color",
    }
    (tmp_path / "home").mkdir(exist_ok=True)  # (conftest made it: HOME for the tests)

    def start(status_right: str, extra: str = "") -> Callable[[], str]:
        name = f"wb-status-{os.getpid()}-{tmp_path.name}"
        config = tmp_path / "inner.conf"
        # The README's snippet, faster: tmux asks every second here instead of every 5.
        config.write_text(f"set -g status-right {shlex.quote(status_right)}\nset -g status-interval 1\n{extra}")
        inner = Server(f"{name}-inner", config, env)
        servers.append(inner)
        inner("new-session", "-d", "-s", "train", "-x", str(WIDTH), "-y", "6", "sleep 600")
        outer_config = tmp_path / "outer.conf"
        outer_config.write_text("set -g status off\n")
        outer = Server(f"{name}-outer", outer_config, env)
        servers.append(outer)
        attach = f"unset TMUX; exec tmux -u -L {shlex.quote(inner.socket)} attach -t train"
        outer("new-session", "-d", "-s", "person", "-x", str(WIDTH), "-y", "6", attach)
        outer("resize-window", "-t", "person", "-x", str(WIDTH), "-y", "6")  # as tests/test_e2e_tmux.py does

        def status_line() -> str:
            lines = outer("capture-pane", "-p", "-t", "person").rstrip("\n").splitlines()
            return lines[-1] if lines else ""

        return status_line

    yield start
    for server in servers:
        server.kill()


def wait_for(status_line, predicate, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        text = status_line()
        if predicate(text):
            return text
        assert time.monotonic() < deadline, f"timed out; the status line reads: {text!r}"
        time.sleep(0.2)


def save(database: Path, name: str, status: str = "running", **fields) -> None:
    with Store.open(database) as store:
        record = registry.ensure_run(store, f"/runs/{name.replace('/', '_')}/train.log", name=name)
        registry.save_state(store, record.id, RunSnapshot(
            path=record.path, name=name, status=status, progress=SnapshotProgress("step", 450, 1000, 0.45),
            metrics={"loss": 0.31214}, **fields))


def test_status_right_shows_the_run_and_then_its_end(screen, tmp_path: Path):
    database = tmp_path / "data" / "waitbuddy.db"
    save(database, "bert-base", eta_seconds=3600.0)
    status_line = screen(f"#({status_command()})")
    # The default status-right-length (40) holds the whole line: nothing cut by tmux.
    text = wait_for(status_line, lambda text: "▶ bert-base 45% ETA " in text)
    assert text.rstrip().endswith("loss 0.3121"), text
    assert text.startswith("[train] 0:"), text  # the client's own status line, its left part

    save(database, "bert-base", "completed", ended_at=iso())
    text = wait_for(status_line, lambda text: "✔ bert-base completed" in text)
    assert text.rstrip().endswith(" ago"), text  # "✔ bert-base completed 0s ago", a second or two later


def test_a_hostile_run_name_shows_as_text_and_runs_nothing(screen, tmp_path: Path):
    """tmux expands #() output: an unescaped name could restyle the bar or run a command."""
    marker = tmp_path / "pwned"
    name = f"#[fg=red]x#(touch {marker})#{{session_name}}%H##y#"
    save(tmp_path / "data" / "waitbuddy.db", name, eta_seconds=3600.0)
    # A style right after the line: an odd count of '#' at the line's end would swallow it.
    status_line = screen(f"#({status_command('--max', '120', '--format', '{name}|{percent}')})#[fg=blue]|end",
                         "set -g status-right-length 150\n")
    text = wait_for(status_line, lambda text: "|end" in text and "|45%" in text)
    assert f"{name}|45%|end" in text, text
    time.sleep(2.5)  # two more refreshes: a #() that got through would have run by now
    assert not marker.exists()
    assert f"{name}|45%|end" in status_line()


def test_nothing_to_show_leaves_the_status_right_empty(screen, tmp_path: Path):
    status_line = screen(f"[#({status_command()})]")
    text = wait_for(status_line, lambda text: "[]" in text)
    assert text.rstrip().endswith("[]"), text
    assert not (tmp_path / "data").exists()  # nothing was created by asking
