"""Reading a log into a Run: the head for context, then the tail for the current state.

The head holds context such as "Num Epochs = 3" or "Fitting 5 folds ..."; the tail holds the
current state. The middle of a big log is never read here, so a multi-GB log answers as fast
as a small one (the metric history of the middle is filled in by a background scan).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from waitbuddy.runs.registry import LaunchExit, RunRecord, read_exit_file
from waitbuddy.runs.run import DEFAULT_STALL_FLOOR, WAITING, Run
from waitbuddy.runs.snapshot import RunSnapshot
from waitbuddy.runs.tail import Tail
from waitbuddy.timefmt import timestamp

HEAD_BYTES = 64 * 1024
TAIL_BYTES = 1024 * 1024
EXPLAIN_WHOLE_BYTES = 256 * 1024 * 1024


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def prime(run: Run, path: Path, now: float) -> Tail:
    """Feed the head of a big log to ``run`` and return a Tail positioned near its end."""
    try:
        size = path.stat().st_size
    except OSError:
        size = 0
    if size > HEAD_BYTES + TAIL_BYTES:
        head = Tail(path, start_from_end=None)
        try:
            chunk = head.read(max_bytes=HEAD_BYTES)
        finally:
            head.close()
        if chunk.text and not chunk.binary:
            run.feed(chunk.text, now)
            run.end_of_content(now)
            run.skip()  # the middle is not read here: the tail starts on a fresh line
    return Tail(path, start_from_end=TAIL_BYTES)


def drain(run: Run, tail: Tail, now: float) -> None:
    """Feed everything new in the file to ``run``; notes say why nothing could be read."""
    while True:
        offset = tail.offset
        chunk = tail.read()
        if chunk.reset:
            run.reset(now)
        if chunk.error:
            run.set_note(chunk.error)
            return
        if chunk.missing:
            run.set_note("waiting for the file" if run.status == WAITING else "the file is gone")
            return
        if chunk.binary:
            run.set_note("not a text log")
            return
        if chunk.text:
            run.feed(chunk.text, now)
        elif tail.offset == offset and not chunk.reset:
            return  # nothing new (a read can be empty yet move on: half a character, NULs)


def idle_since_modified(run: Run, path: str, now: float) -> None:
    """A log that was already there: it has been idle since it was last written, not since now
    (a finished log found at start shows completed or stalled, not running)."""
    try:
        modified = os.stat(path).st_mtime
    except OSError:
        return
    if run.updated_at is not None and modified < now - 1.0:
        run.updated_at = modified
        run.started_at = None  # unknown: the log began before we looked
        run.tick(now)


def read_once(
    path: str | os.PathLike[str], *, name: str | None = None, now: float | None = None,
    stall_floor: float = DEFAULT_STALL_FLOOR, extra_recognizers: tuple = (), record: RunRecord | None = None,
    explain: bool = False,
) -> Run:
    """The state of a log nobody may be writing any more: content plus how long it has been idle,
    and the exit `waitbuddy run` recorded for it (``record``) or left beside it, as the watcher reads it.
    ``explain``: remember where each reading came from, reading the whole log (up to
    EXPLAIN_WHOLE_BYTES) so that line numbers are the file's."""
    now = time.time() if now is None else now
    path = Path(path)
    run = Run(str(path.absolute()), name, stall_floor=stall_floor, extra_recognizers=extra_recognizers)
    if explain:
        run.explain()
    whole = explain and _size(path) <= EXPLAIN_WHOLE_BYTES
    tail = Tail(path, start_from_end=None) if whole else prime(run, path, now)
    if explain and not whole:
        run.lines_read = -1_000_000_000  # the middle is not read: line numbers are not the file's
    try:
        drain(run, tail, now)
    finally:
        tail.close()
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return run
    run.started_at = None  # unknown from content alone
    if run.updated_at is not None:
        run.updated_at = mtime
    if record is not None:
        run.started_at = timestamp(record.started_at)
    if (outcome := launched_exit(path, record)) is not None:
        if record is None and name is None and outcome.name:  # as `waitbuddy run` would have recorded it
            run.name = outcome.name
        run.started_at = outcome.started_at
        run.exited(outcome.exit_code, outcome.exit_signal, now, at=outcome.ended_at)
        return run
    if run.updated_at is not None:
        run.decide_idle(idle_seconds=max(now - mtime, 0.0))
    return run


def launched_exit(path: str | os.PathLike[str], record: RunRecord | None) -> LaunchExit | None:
    """How `waitbuddy run` says the command writing ``path`` ended, if it has: the exit it left
    beside the log when the store could not take it (then newer than the row, if there is one:
    a row still running, or an earlier run's), else the exit recorded in ``record``."""
    if (left := read_exit_file(path)) is not None:
        return left
    if record is None or (record.exit_code is None and record.exit_signal is None):
        return None
    return LaunchExit(record.exit_code, record.exit_signal, timestamp(record.started_at), timestamp(record.ended_at),
                      record.pid, record.name)


def written_since(path: str | os.PathLike[str], saved: RunSnapshot) -> bool:
    """Has the log been written to after a watcher saved ``saved`` (a recorded end no longer
    holds: requeued, or a new run in the same file)? False when either time is unknown."""
    try:
        modified = os.stat(path).st_mtime
    except OSError:
        return False
    saved_at = timestamp(saved.saved_at) or timestamp(saved.updated_at)
    return saved_at is not None and modified > saved_at + 1
