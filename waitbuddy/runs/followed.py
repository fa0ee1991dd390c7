"""What the watcher keeps about each log it follows, and how other threads wake it: the engine
thread owns every Followed (no locks); Wakeups is the one thing other threads touch."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from waitbuddy.runs.remote_tail import RemoteTail
    from waitbuddy.runs.run import Run
    from waitbuddy.runs.slurm import JobState
    from waitbuddy.runs.snapshot import RunSnapshot
    from waitbuddy.runs.tail import Tail


@dataclass
class Followed:
    run: Run
    tail: Tail | RemoteTail | None = None
    run_id: int | None = None
    pid: int | None = None
    polled: bool = False
    size_seen: int = -1
    version_sent: int = -1
    last_safety_stat: float = 0.0
    recorded_exit: tuple[int | None, int | None, float | None] | None = None  # a launched run that ended (code, signal, when)
    muted: bool = False
    started: float | None = None  # when `waitbuddy run` started the command, if it did
    saved_status: str | None = None  # the status last written to the store, and when
    saved_at: float = 0.0
    unsaved: RunSnapshot | None = None  # a newer snapshot the store has not had yet (written within SAVE_EVERY_SECONDS)
    launch_checked: float = 0.0  # when the store was last asked whether `waitbuddy run` started it again
    remote: bool = False  # an ssh:// log: its tail is a RemoteTail, nothing about it is stat'ed here
    down_since: float | None = None  # a remote log's link went down then (no stall while it is down)
    down_told: bool = False  # the outage has lasted DISCONNECT_NEWS_SECONDS and was published
    head: bytes | None = None  # a big remote log's first bytes, for context (as prime reads a local one's)
    head_state: str = "unknown"  # "unknown", "fetching", "done"
    aged: bool = False  # a remote log's content at the first open was dated (idle since its last write)
    job: tuple[str, str] | None = None  # a Slurm job's output: (the watched id, the job's own key "12_3")
    job_given: bool = False  # named by a slurm: pattern (its problems show), not only linked by its file name
    job_state: JobState | None = None  # what the scheduler said last
    job_note: str | None = None  # the scheduler's word while no output shows ("waiting: Priority")
    job_problem: str | None = None  # why Slurm could not be asked last time (its last answer still holds)
    saved_end: RunSnapshot | None = None  # a Slurm job's end as a watcher recorded it: Slurm may have forgotten it


@dataclass
class Wakeups:
    lock: threading.Lock = field(default_factory=threading.Lock)
    paths: set[str] = field(default_factory=set)
    event: threading.Event = field(default_factory=threading.Event)

    def add(self, path: str) -> None:
        with self.lock:
            self.paths.add(path)
        self.event.set()

    def take(self) -> set[str]:
        with self.lock:
            paths, self.paths = self.paths, set()
        return paths
