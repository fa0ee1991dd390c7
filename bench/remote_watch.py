"""Remote logs through the watcher (issue 16): line written -> snapshot published, and the idle CPU
of the dashboard following 20 logs on another machine. Starts its own sshd on 127.0.0.1.

    python bench/remote_watch.py [--logs 20] [--lines 60] [--idle 60]

Latency: a line appended to one of the remote logs (the others idle) -> the watcher's snapshot
callback showing its step, through ssh, RemoteTail, the engine thread's wake and the parse.
Idle: the dashboard in a real pseudo-terminal (bench/startup.py) with the logs in its watched set
and [runs] ssh_command pointing at the test server, measured after a 20 s warm-up; its own CPU
and that of its ssh processes (one master connection, one session per log) are given apart.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from tests.sshd import start_server, stop_server
from waitbuddy.runs import registry
from waitbuddy.runs.snapshot import RunSnapshot
from waitbuddy.runs.watcher import Watcher
from waitbuddy.store import Store

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
LINE = "Epoch 1/1 step {step}/100000 loss={loss:.6f}\n"


def latency(config: Path, folder: Path, logs: int, lines: int) -> None:
    paths = [folder / f"run{index:02d}.log" for index in range(logs)]
    for path in paths:
        path.write_text(LINE.format(step=1, loss=1.0))
    target = f"ssh://wbtest{paths[0]}"
    arrived: dict[int, float] = {}
    lock = threading.Condition()

    def seen(snapshots: list[RunSnapshot]) -> None:
        now = time.perf_counter()
        for snapshot in snapshots:
            if snapshot.path == target and snapshot.progress is not None and snapshot.progress.done is not None:
                with lock:
                    arrived.setdefault(int(snapshot.progress.done), now)
                    lock.notify_all()

    watcher = Watcher([f"ssh://wbtest{path}" for path in paths], on_snapshots=seen,
                      ssh_command=("ssh", "-F", str(config)))
    watcher.start()
    try:
        with lock:
            assert lock.wait_for(lambda: 1 in arrived, timeout=30), "never connected"
        delays = []
        for step in range(2, lines + 2):
            with paths[0].open("a") as out:
                written = time.perf_counter()
                out.write(LINE.format(step=step, loss=1 / step))
            with lock:
                assert lock.wait_for(lambda step=step: step in arrived, timeout=10), f"step {step} never arrived"
                delays.append(arrived[step] - written)
            time.sleep(0.25)
    finally:
        watcher.stop()
    delays.sort()
    print(f"watcher latency ({logs} remote logs, {lines} lines): median {statistics.median(delays) * 1000:.1f} ms, "
          f"p95 {delays[int(len(delays) * 0.95) - 1] * 1000:.1f} ms, max {delays[-1] * 1000:.1f} ms")


def idle(config: Path, folder: Path, logs: int, seconds: float) -> None:
    from startup import PtyApp

    home = folder / "home"
    (home / "data").mkdir(parents=True)
    (home / "config.toml").write_text(f'[runs]\nssh_command = ["ssh", "-F", "{config}"]\n')
    paths = [folder / f"idle{index:02d}.log" for index in range(logs)]
    with Store.open(home / "data" / "waitbuddy.db") as store:
        for path in paths:
            path.write_text("".join(LINE.format(step=step, loss=1 / step) for step in range(1, 200)))
            registry.add_watch(store, f"ssh://wbtest{path}")
    app = PtyApp((100, 30), home)
    app.wait_for_frame()
    app.pump(20.0)
    sessions = _descendants(app.process.pid)
    before, children_before, wall_before = app.cpu_seconds(), _cpu(sessions), time.perf_counter()
    app.pump(seconds)
    own, children = app.cpu_seconds() - before, _cpu(sessions) - children_before
    wall = time.perf_counter() - wall_before
    app.quit()
    print(f"dashboard idle with {logs} remote logs: {100 * own / wall:.2f} % of one core over {wall:.0f} s; "
          f"its {len(sessions)} ssh processes (the host's master connection and a session per log): "
          f"{100 * children / wall:.2f} % together")


def _descendants(root: int) -> list[int]:
    found, todo = [], [root]
    while todo:
        parent = todo.pop()
        result = subprocess.run(["ps", "-o", "pid=", "--ppid", str(parent)], capture_output=True, text=True, check=False)
        children = [int(word) for word in result.stdout.split()]
        found += children
        todo += children
    # The master connection detaches from its first client: count every ssh using our config too.
    result = subprocess.run(["pgrep", "-f", "wb-sshd-"], capture_output=True, text=True, check=False)
    found += [int(word) for word in result.stdout.split() if int(word) not in found and int(word) != os.getpid()]
    return [pid for pid in found if _cmdline(pid).startswith("ssh")]


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _cpu(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--logs", type=int, default=20)
    parser.add_argument("--lines", type=int, default=60)
    parser.add_argument("--idle", type=float, default=60.0, help="seconds of idle CPU measurement (0: skip)")
    args = parser.parse_args()
    directory = Path(tempfile.mkdtemp(prefix="wb-sshd-"))
    server = start_server(directory)
    try:
        with tempfile.TemporaryDirectory(prefix="wb-remote-watch-") as folder:
            latency(server.client_config, Path(folder), args.logs, args.lines)
            if args.idle:
                idle(server.client_config, Path(folder), args.logs, args.idle)
    finally:
        stop_server(server)


if __name__ == "__main__":
    main()
