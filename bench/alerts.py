"""Figures for alerts (issue 4).

    python bench/alerts.py

* failure line written -> bell and OSC bytes leaving: the real watcher (inotify), run state,
  alert policy and dispatcher, with terminal channels whose "terminal" records when bytes are
  written (measured 20 times, each on a fresh log);
* flapping: a run that alternates stalled/running every minute for an hour, through the policy.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from waitbuddy.alerts.dispatch import Alerter  # noqa: E402
from waitbuddy.alerts.events import AlertPolicy  # noqa: E402
from waitbuddy.alerts.terminal import BellChannel, Terminal, TerminalNotifyChannel  # noqa: E402
from waitbuddy.runs.watcher import Watcher  # noqa: E402


def latency_once(directory: Path) -> tuple[float, float]:
    log = directory / "train.log"
    log.write_text("\r 10%|█         | 100/1000 [00:10<01:30,  9.99it/s, loss=2.31]")
    written: dict[str, float] = {}
    done = threading.Event()

    def recorder(name: str):
        def write(data: bytes) -> None:
            written.setdefault(name, time.perf_counter())
            if len(written) == 2:
                done.set()
        return Terminal.from_writer(write)

    channels = [BellChannel(recorder("bell")),
                TerminalNotifyChannel({"TERM_PROGRAM": "WezTerm"}, recorder("osc"), None)]
    policy, alerter = AlertPolicy(), Alerter(channels)
    watcher = Watcher([str(log)], on_snapshots=lambda snapshots: alerter.submit(
        [event for snapshot in snapshots for event in policy.observe(snapshot, time.time())]))
    watcher.start()
    time.sleep(0.5)  # the run is followed and seen running
    with log.open("a") as out:
        started = time.perf_counter()
        out.write("\nTraceback (most recent call last):\n  File \"train.py\", line 9, in <module>\n"
                  "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB.\n")
    done.wait(5)
    watcher.stop()
    alerter.close()
    return (written["bell"] - started) * 1000, (written["osc"] - started) * 1000


def flapping() -> int:
    policy = AlertPolicy()
    snapshot = {"path": "/r/x.log", "name": "x", "status": "running", "error": None, "stall": "no output",
                "elapsed_seconds": 60, "eta_seconds": None, "metrics": {}, "progress": None}
    policy.observe(snapshot, 0)
    alerts, now = 0, 0.0
    for _ in range(30):  # one hour: stalled a minute, running a minute
        for status in ("stalled", "running"):
            now += 60
            alerts += len(policy.observe({**snapshot, "status": status}, now))
    return alerts


def main() -> int:
    bells, oscs = [], []
    for _ in range(20):
        with tempfile.TemporaryDirectory() as tmp:
            bell, osc = latency_once(Path(tmp))
            bells.append(bell)
            oscs.append(osc)
    for name, values in (("bell", bells), ("OSC 777", oscs)):
        values.sort()
        print(f"failure line written -> {name} bytes out: median {statistics.median(values):.1f} ms, "
              f"p95 {values[int(0.95 * (len(values) - 1))]:.1f} ms, max {values[-1]:.1f} ms (target < 200 ms)")
    print(f"a run flapping stalled/running every minute for an hour: {flapping()} alerts (target: a handful)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
