"""The timing data of the recorded logs (tests/replay.py) is complete and consistent."""

from __future__ import annotations

import pytest

from .replay import LOGS, chunks, timed_logs, truth


def test_there_is_timing_data():
    names = timed_logs()
    assert "torch_nested.log" in names and "torch_nested.pty.log" in names
    assert len(names) >= 10


@pytest.mark.parametrize("name", timed_logs())
def test_chunks_reassemble_the_exact_bytes_in_time_order(name):
    parts = chunks(name)
    assert b"".join(data for _, data in parts) == (LOGS / name).read_bytes()
    assert all(data for _, data in parts)  # every point is a growth
    times = [seconds for seconds, _ in parts]
    assert times == sorted(times) and times[0] >= 0


@pytest.mark.parametrize("name", timed_logs())
def test_truth_is_recorded(name):
    facts = truth(name)
    assert isinstance(facts["exit_status"], int)
    assert facts["duration"] > 0 and facts["end"] == facts["duration"]
    assert facts["end_unix"] > facts["start_unix"]
    assert facts["size"] == (LOGS / name).stat().st_size
    # the last bytes were seen by a poll shortly after the writer exited, never long after
    assert chunks(name)[-1][0] <= facts["end"] + 1.0
