"""What the watcher tests share: the latest snapshot of each run as a watcher publishes them, and
a wait on a condition with a deadline (never a fixed sleep where a condition can be polled)."""

from __future__ import annotations

import threading
import time

from waitbuddy.runs.snapshot import RunSnapshot


class Seen:
    """An ``on_snapshots`` callback (called on the watcher's engine thread)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latest: dict[str, RunSnapshot] = {}

    def __call__(self, snapshots: list[RunSnapshot]) -> None:
        with self.lock:
            self.latest.update((snapshot.path, snapshot) for snapshot in snapshots)

    def get(self, path: str) -> RunSnapshot | None:
        with self.lock:
            return self.latest.get(path)


def wait_for(predicate, timeout: float = 20.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)
