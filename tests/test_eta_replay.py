"""The ETA of real runs replayed with the times their bytes were written (issue 9, 4): an ordinary
nested-tqdm PyTorch script of about 80 s, recorded from a file and through a pty. At 25, 50 and
75 % of the run the ETA is within 20 % of the time the run really had left, and at no moment
does it promise minutes more than the job has."""

from __future__ import annotations

import codecs

import pytest

from waitbuddy.runs.run import Run

from .replay import chunks, timed_logs, truth

T0 = 1_700_000_000.0
COMPLETED_RUNS = [name for name in timed_logs() if name.startswith(("torch_nested.", "torch_nested_desc_total."))]


def readings(name: str) -> list[tuple[float, float | None, float | None]]:
    """(seconds since the start, the run's fraction, its ETA) after every recorded write."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    run = Run(name)
    result = []
    for seconds, data in chunks(name):
        run.feed(decoder.decode(data), T0 + seconds)
        result.append((seconds, run.fraction(), run.eta_seconds(T0 + seconds)))
    assert run.status in ("running", "completed") and run.fraction() == 1.0
    return result


def test_the_recordings_are_there():
    assert len(COMPLETED_RUNS) == 4


@pytest.mark.parametrize("name", COMPLETED_RUNS)
def test_eta_at_a_quarter_half_and_three_quarters_is_within_20_percent(name):
    end = truth(name)["last_output"]
    checked = set()
    for seconds, fraction, eta in readings(name):
        for mark in (0.25, 0.5, 0.75):
            if mark not in checked and fraction is not None and fraction >= mark:
                checked.add(mark)
                left = end - seconds
                assert eta == pytest.approx(left, rel=0.20), (mark, seconds, eta, left)
    assert checked == {0.25, 0.5, 0.75}


@pytest.mark.parametrize("name", COMPLETED_RUNS)
def test_eta_never_promises_much_more_than_is_left(name):
    end = truth(name)["last_output"]
    for seconds, _fraction, eta in readings(name):
        if eta is not None:
            assert eta <= 1.5 * (end - seconds) + 5, (seconds, eta, end - seconds)
