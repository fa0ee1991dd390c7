"""Startup time, idle CPU and memory of the dashboard, measured in a real pseudo-terminal.

    python bench/startup.py [--runs 5] [--idle 30] [--size 80x24]

* start -> first full frame: from spawning `python -m waitbuddy` until the terminal output
  contains every area name and the footer (what a person needs to see), over several runs;
* idle CPU: user+system CPU time of the process over --idle seconds with nothing happening,
  as a percentage of one core;
* RSS: resident memory after the first frame has settled.

The process gets its own HOME, config and data dir in a temporary directory.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import select
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from waitbuddy.text import safe_text  # noqa: E402  (strips escape sequences from the frame)

FRAME_MARKERS = ("Runs", "Backlog", "Feeds", "Practice", "Checklists", "Quit")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class PtyApp:
    def __init__(self, size: tuple[int, int], home: Path, args: list[str] | None = None) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
        env = {
            **os.environ, "TERM": "xterm-256color", "HOME": str(home), "COLORTERM": "truecolor",
            "WAITBUDDY_CONFIG": str(home / "config.toml"), "WAITBUDDY_DATA_DIR": str(home / "data"),
        }
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "waitbuddy", *(args or [])], stdin=slave, stdout=slave, stderr=slave,
            env=env, start_new_session=True,
        )
        os.close(slave)
        self.output = bytearray()

    def pump(self, seconds: float) -> None:
        """Read (and so keep the pty drained) for up to ``seconds``."""
        deadline = time.perf_counter() + seconds
        while (left := deadline - time.perf_counter()) > 0:
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    self.output += os.read(self.master, 65536)
                except OSError:
                    return

    def wait_for_frame(self, timeout: float = 20.0) -> float:
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            self.pump(0.005)
            text = safe_text(bytes(self.output), limit=10**7)
            if all(marker in text for marker in FRAME_MARKERS):
                return time.perf_counter() - self.started
        raise RuntimeError("no full frame within the timeout:\n" + safe_text(bytes(self.output))[-2000:])

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS")

    def quit(self) -> int:
        os.write(self.master, b"q")
        deadline = time.perf_counter() + 10
        while self.process.poll() is None and time.perf_counter() < deadline:
            self.pump(0.05)
        if self.process.poll() is None:
            self.process.kill()
        os.close(self.master)
        return self.process.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--idle", type=float, default=30.0, help="seconds of idle CPU measurement")
    parser.add_argument("--size", default="80x24")
    args = parser.parse_args()
    size = tuple(int(part) for part in args.size.split("x"))

    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(args.runs):
            app = PtyApp(size, Path(tmp) / f"run{run}")
            times.append(app.wait_for_frame())
            status = app.quit()
            if status != 0:
                raise SystemExit(f"run {run}: exit status {status}")

        app = PtyApp(size, Path(tmp) / "idle")
        app.wait_for_frame()
        app.pump(2.0)  # let the first frame and deferred mounts settle
        rss = app.rss_mb()
        cpu_before, wall_before = app.cpu_seconds(), time.perf_counter()
        app.pump(args.idle)
        cpu = app.cpu_seconds() - cpu_before
        wall = time.perf_counter() - wall_before
        app.quit()

    print(f"terminal {size[0]}x{size[1]}, Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    print(
        f"start -> first full frame: median {statistics.median(times):.3f} s, "
        f"min {min(times):.3f} s, max {max(times):.3f} s over {len(times)} runs (target < 0.8 s)"
    )
    print(f"idle CPU over {wall:.0f} s: {100 * cpu / wall:.2f} % of one core (target < 0.5 %)")
    print(f"RSS after start: {rss:.1f} MB (target < 80 MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
