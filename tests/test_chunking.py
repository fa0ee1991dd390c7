"""The reading of a log does not depend on how its bytes arrive: every corpus log appended whole
or in 4096-, 64- and 7-byte writes ends in the same state, and the watch (a live tail that
decides on a quiet spell) ends where `status` (a read of the finished file) does."""

from __future__ import annotations

import codecs

import pytest

from waitbuddy.runs.run import Run
from waitbuddy.runs.status import read_once

from .corpus import logs

FIELDS = ("status", "framework", "progress", "epoch", "metrics", "best", "error")
T0 = 1_700_000_000.0
QUIET = 5000.0  # long after the last byte: past the completion wait and the stall floor


def final(run: Run, now: float) -> dict:
    snapshot = run.snapshot(now)
    return {key: getattr(snapshot, key) for key in FIELDS}


def watched(data: bytes, size: int) -> Run:
    """As the watcher sees it: writes of ``size`` bytes, then time passing with nothing new."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    run = Run("/runs/x/train.log")
    now = T0
    for start in range(0, len(data), size):
        run.feed(decoder.decode(data[start : start + size]).replace("\x00", ""), now)
        now += 0.01
    run.feed(decoder.decode(b"", final=True), now)
    run.tick(now + QUIET)
    return run


@pytest.mark.parametrize("path", logs(), ids=lambda path: path.name)
def test_any_chunking_and_status_reach_the_same_end(path):
    data = path.read_bytes()
    status = read_once(path, now=path.stat().st_mtime + QUIET)
    expected = final(status, T0)
    for size in (len(data) + 1, 4096, 64, 7):
        run = watched(data, size)
        assert run.status == expected["status"], (size, run.status, expected["status"])
        run.decide_idle(QUIET)  # what the watch would show once the file is read as finished
        assert final(run, T0) == expected, size
