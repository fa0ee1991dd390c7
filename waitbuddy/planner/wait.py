"""How long the wait is: the soonest-finishing running job's ETA, from what watchers saved.

Read from the store only (the summary a watcher last saved and when), so the CLI, the status
line and the dashboard agree without reading a log.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from waitbuddy.runs import registry
from waitbuddy.store import Store


@dataclass(frozen=True)
class Wait:
    seconds: float  # until the run should end, from now
    run_id: int
    name: str

    @property
    def minutes(self) -> int:
        return int(self.seconds // 60)


def run_name(record: registry.RunRecord | registry.Eta) -> str:
    return record.name or os.path.basename(record.path.rstrip("/")) or record.path


def next_finish(store: Store, now: float) -> Wait | None:
    """The running (or stalled) job that should end first, with the seconds it has left; None
    when no running job has an ETA (or every ETA has run out)."""
    best: Wait | None = None
    for eta in registry.etas(store):
        left = eta.seconds_left(now)
        if left > 0 and (best is None or left < best.seconds):
            best = Wait(left, eta.run_id, run_name(eta))
    return best
