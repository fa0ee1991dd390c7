"""Which runs the Runs pane shows, in what order: what needs you first, newest first.

Running and stalled runs come first (the newest started on top), then failed and interrupted
ones, then the rest (completed, waiting), each newest first (by when they ended). Finished runs fade out of the
pane a day after they ended, and only the newest few are kept; ``waitbuddy runs`` still has
them all. Pure logic: no Textual.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from waitbuddy.timefmt import timestamp

if TYPE_CHECKING:
    from waitbuddy.runs.snapshot import RunSnapshot

ACTIVE = ("running", "stalled")
BROKEN = ("failed", "interrupted")
ENDED = ("completed", *BROKEN)
FADE_SECONDS = 24 * 3600  # a finished run leaves the pane this long after its last output
MAX_FINISHED = 20  # and only this many finished runs are shown, the newest


class RunOrder:
    """Arranges snapshots; remembers when each run was first seen and started, so that rows
    keep their places while runs write (a run's last output changes every second)."""

    def __init__(self) -> None:
        self._first_seen: dict[str, float] = {}
        self._started: dict[str, float] = {}  # active runs only

    def forget(self, path: str) -> None:
        self._first_seen.pop(path, None)
        self._started.pop(path, None)

    def arrange(self, snapshots: Iterable[RunSnapshot], now: float) -> list[RunSnapshot]:
        keyed = []
        finished = []
        for snapshot in snapshots:
            path, status = snapshot.path, snapshot.status
            first_seen = self._first_seen.setdefault(path, now)
            updated = timestamp(snapshot.updated_at)
            if status in ACTIVE:
                started = timestamp(snapshot.started_at)
                if started is None:  # unknown (a log found already running): estimated once
                    if path not in self._started:
                        elapsed = snapshot.elapsed_seconds
                        seen = updated if updated is not None else first_seen
                        self._started[path] = seen - elapsed if elapsed is not None else seen
                    started = self._started[path]
                keyed.append(((0, -started, path), snapshot))
                continue
            self._started.pop(path, None)  # if it runs again, it starts again
            when = timestamp(snapshot.ended_at) or updated or first_seen
            if status in ENDED:
                if now - when > FADE_SECONDS:
                    continue
                finished.append((when, path))
            keyed.append(((1 if status in BROKEN else 2, -when, path), snapshot))
        finished.sort(reverse=True)
        kept = {path for _when, path in finished[:MAX_FINISHED]}
        keyed.sort(key=lambda item: item[0])
        return [snapshot for _key, snapshot in keyed if snapshot.status not in ENDED or snapshot.path in kept]
