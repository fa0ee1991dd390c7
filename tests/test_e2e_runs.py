"""The Runs pane and the run view in a real tmux pane: the order, zoom, the row at 80 columns,
`enter`, and the run view agreeing with the list."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .test_e2e_tmux import Tmux, private_server, start

pytestmark = pytest.mark.e2e


@pytest.fixture
def tmux(tmp_path: Path):
    with private_server(tmp_path) as server:
        yield server

FAILURE = ("Traceback (most recent call last):\n  File \"train.py\", line 3, in <module>\n"
           "ValueError: bad batch\n")
SPARK = "▁▂▃▄▅▆▇█"


def runs_rows(screen: str) -> list[str]:
    """The lines inside the Runs box (between its top and bottom borders)."""
    lines = screen.splitlines()
    top = next(index for index, line in enumerate(lines) if "Runs" in line and "╭" in line)
    bottom = next(index for index, line in enumerate(lines) if index > top and line.startswith("╰"))
    return lines[top + 1:bottom]


def test_a_new_run_shows_on_top_of_older_ones(tmux: Tmux, tmp_path: Path):
    logs = tmp_path / "logs"
    logs.mkdir()
    for n in range(9):
        log = logs / f"old-{n}.log"
        log.write_text(f"step 5/100 loss=1.{n}\n" + FAILURE)
        os.utime(log, (time.time() - 3600 - 60 * n,) * 2)
    status_file = start(tmux, tmp_path, (80, 24), "watch", str(logs / "*.log"))
    tmux.wait_for(lambda text: text.count("✖") >= 8)
    fresh = logs / "fresh.log"
    with fresh.open("w") as out:
        out.write("step 3/100 loss=2.0\n")
        out.flush()
        screen = tmux.wait_for(lambda text: "fresh" in text and "▶" in text)
        first = runs_rows(screen)[0]
        assert "fresh" in first and "▶" in first, screen  # not the tenth row, off screen
        out.write("step 4/100 loss=1.9\n")
    tmux("send-keys", "-t", "wb", "q")
    assert tmux.exit_status(status_file) == "0"


def test_zoom_gives_runs_the_screen_and_keys_follow_what_is_shown(tmux: Tmux, tmp_path: Path):
    log = tmp_path / "train.log"
    log.write_text("step 5/100 loss=1.0\n")
    status_file = start(tmux, tmp_path, (80, 24), "watch", str(log))
    tmux.wait_for(lambda text: "▶" in text and "Backlog" in text)
    tmux("send-keys", "-t", "wb", "z")
    screen = tmux.wait_for(lambda text: "Backlog" not in text)
    lines = screen.splitlines()
    assert "Runs" in lines[0] and lines[22].startswith("╰"), screen  # the whole screen but the footer
    tmux("send-keys", "-t", "wb", "z")
    tmux.wait_for(lambda text: "Backlog" in text)
    tmux("send-keys", "-t", "wb", "Tab", "z")  # zoom Backlog from the tab bar
    tmux.wait_for(lambda text: "Runs" not in text and "Articles, papers" in text)
    tmux("send-keys", "-t", "wb", "a")
    screen = tmux.wait_for(lambda text: "Save a link" in text or "Watch a log" in text)
    assert "Save a link" in screen
    tmux("send-keys", "-t", "wb", "Escape")
    tmux.wait_for(lambda text: "Save a link" not in text)
    tmux("send-keys", "-t", "wb", "q")
    assert tmux.exit_status(status_file) == "0"


@pytest.mark.parametrize("size", [(80, 24), (200, 50)])
def test_the_demo_row_keeps_its_name_and_epoch_and_shows_its_sparkline_when_wide(tmux: Tmux, tmp_path: Path, size):
    def demo_row(text: str) -> str:  # the Runs row (the plan strip above names the run too)
        return next((line for line in text.splitlines() if "demo (simulated)" in line and line.startswith("│")), "")

    status_file = start(tmux, tmp_path, size, "demo", "--seconds", "30")
    screen = tmux.wait_for(lambda text: "ep 2/3 ·" in demo_row(text) and "ETA" in demo_row(text)
                           and "loss" in demo_row(text), timeout=30)
    assert "━" in demo_row(screen) and "%" in demo_row(screen)
    if size == (200, 50):  # once the loss has a history to draw
        tmux.wait_for(lambda text: any(char in SPARK for char in demo_row(text)), timeout=30)
    tmux("send-keys", "-t", "wb", "q")
    assert tmux.exit_status(status_file) == "0"


def test_enter_is_shown_and_the_run_view_agrees_with_the_list(tmux: Tmux, tmp_path: Path):
    env = {**os.environ, "HOME": str(tmp_path / "home"), "WAITBUDDY_CONFIG": str(tmp_path / "config.toml"),
           "WAITBUDDY_DATA_DIR": str(tmp_path / "data")}
    log = tmp_path / "job.log"
    job = subprocess.run(
        [sys.executable, "-m", "waitbuddy", "run", "--name", "job", "--log", str(log), "--",
         sys.executable, "-c", "import sys\nfor n in range(1, 31): print(f'step {n}/100 loss={1 / n:.3f}')\nsys.exit(3)"],
        env=env, capture_output=True, text=True, timeout=60, check=False)
    assert job.returncode == 3, job.stderr
    status_file = start(tmux, tmp_path, (80, 24))
    screen = tmux.wait_for(lambda text: "✖" in text and "job" in text)
    assert "⏎ Open" in screen or "enter Open" in screen  # in the footer
    tmux("send-keys", "-t", "wb", "?")  # the help (whose open-run row a Pilot test checks) opens and closes
    tmux.wait_for(lambda text: "escape closes" in text and "Show every key binding" in text)
    tmux("send-keys", "-t", "wb", "Escape")
    tmux.wait_for(lambda text: "escape closes" not in text)
    tmux("send-keys", "-t", "wb", "Enter")
    screen = tmux.wait_for(lambda text: "log (terminal view)" in text and "step 30/100" in text)
    time.sleep(1.2)  # the view's own reading of the log has arrived by now, and must not win
    screen = tmux.screen()
    summary = "\n".join(screen.splitlines()[:3])
    assert "failed" in summary and "running" not in summary and "ETA" not in summary, screen
    assert "exit status 3" in summary or "status 3" in summary, screen
    tmux("send-keys", "-t", "wb", "Escape")
    tmux.wait_for(lambda text: "Backlog" in text)
    tmux("send-keys", "-t", "wb", "q")
    assert tmux.exit_status(status_file) == "0"


def test_a_real_nested_bar_run_reads_right_in_the_row_then_its_crash(tmux: Tmux, tmp_path: Path):
    """A real nested-tqdm PyTorch log written as it was recorded (ten times faster): the row shows
    the epoch and the batch count and the whole run's percent, and a traceback after the bars
    fails it at once (issue 9, 2 and the crash under nested bars)."""
    from .replay import chunks

    log = tmp_path / "mlp" / "train.log"
    log.parent.mkdir()
    log.write_bytes(b"")
    status_file = start(tmux, tmp_path, (80, 24), "watch", str(log))
    tmux.wait_for(lambda text: "mlp/train" in text)
    started = time.monotonic()
    with log.open("ab") as out:
        for seconds, data in chunks("torch_nested.log"):
            if seconds > 45:  # the third epoch, about half way
                break
            time.sleep(max(0.0, seconds / 10 - (time.monotonic() - started)))
            out.write(data)
            out.flush()
        screen = tmux.wait_for(lambda text: "ep 3/5 · " in text)
        row = next(line for line in screen.splitlines() if "ep 3/5 · " in line)
        percent = int(row.split("%")[0].split()[-1])
        assert 45 <= percent <= 60, row  # (2 epochs + most of half the third) / 5, not the batch bar's own
        assert "ETA" in row, row
        out.write(b"Traceback (most recent call last):\n  File \"train.py\", line 52, in <module>\n"
                  b"    save_checkpoint(model, path)\nOSError: [Errno 28] No space left on device\n")
    screen = tmux.wait_for(lambda text: "✖" in text and "No space left" in text)
    tmux("send-keys", "-t", "wb", "q")
    assert tmux.exit_status(status_file) == "0"
