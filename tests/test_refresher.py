"""The one background refresher: off the UI thread, on an interval and on demand, never dies."""

from __future__ import annotations

import threading
import time

from waitbuddy.tui.refresher import Refresher


def wait_until(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_an_error_is_said_once_until_the_work_succeeds_and_the_thread_goes_on():
    said: list[str] = []
    outcomes = iter([OSError("database is locked"), OSError("database is locked"), None, OSError("disk I/O error")])

    def work(stop: threading.Event) -> None:
        outcome = next(outcomes, None)
        if outcome is not None:
            raise outcome

    refresher = Refresher("t", work, interval=0.01, on_error=said.append).start()
    try:
        wait_until(lambda: refresher.rounds >= 5)
        assert refresher.alive
        assert said == ["OSError: database is locked", "OSError: disk I/O error"]
    finally:
        refresher.stop()


def test_now_runs_a_round_at_once_and_the_work_sets_the_next_wait():
    rounds: list[float] = []

    def work(stop: threading.Event) -> float:
        rounds.append(time.monotonic())
        return 60.0  # nothing to do for a minute

    refresher = Refresher("t", work, interval=0.01).start()
    try:
        wait_until(lambda: len(rounds) == 1)
        time.sleep(0.2)
        assert len(rounds) == 1  # the work's 60 s, not the interval
        refresher.now()
        wait_until(lambda: len(rounds) == 2)
    finally:
        refresher.stop()


def test_stop_never_waits_for_a_round_in_progress_and_the_round_sees_it():
    started, saw_stop = threading.Event(), threading.Event()

    def work(stop: threading.Event) -> None:
        started.set()
        if stop.wait(10):
            saw_stop.set()

    refresher = Refresher("t", work, interval=0.01).start()
    started.wait(5)
    began = time.monotonic()
    refresher.stop()
    assert time.monotonic() - began < 0.1
    assert saw_stop.wait(5)
    wait_until(lambda: not refresher.alive)


def test_a_failing_error_callback_does_not_kill_the_thread():
    def work(stop: threading.Event) -> None:
        raise RuntimeError("boom")

    def gone(text: str) -> None:
        raise RuntimeError("the pane is gone")

    refresher = Refresher("t", work, interval=0.01, retry=0.01, on_error=gone).start()
    try:
        wait_until(lambda: refresher.rounds >= 3)
        assert refresher.alive
    finally:
        refresher.stop()
