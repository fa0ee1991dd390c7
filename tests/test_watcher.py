"""Watcher: real files under tmp_path, real watchdog (inotify) events, real threads.

Nothing here sleeps to let time pass: every wait is for a condition (a snapshot arriving),
with a deadline. Exact latencies belong in bench/; the bounds here only catch "never" and
"seconds late" on a loaded machine.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from waitbuddy.runs import registry
from waitbuddy.runs.run import ENDED
from waitbuddy.runs.snapshot import RunSnapshot
from waitbuddy.runs.watcher import Watcher

DEADLINE = 5.0  # generous: a loaded 2-core CI machine
TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "train.py", line 46, in <module>\n'
    "    main()\n"
    "RuntimeError: CUDA error: device-side assert triggered\n"
)
POLLING = {"polling": "always", "poll_seconds": 0.1}
MODES = {"inotify": {}, "polling": POLLING, "no-inotify": {"use_inotify": False, "poll_seconds": 0.1}}


class Collector:
    """The on_snapshots callback: keeps every snapshot with the time it arrived."""

    def __init__(self) -> None:
        self.received: list[tuple[float, RunSnapshot]] = []
        self.threads: set[str] = set()
        self._changed = threading.Condition()

    def __call__(self, batch: list[RunSnapshot]) -> None:
        arrived = time.monotonic()
        with self._changed:
            self.threads.add(threading.current_thread().name)
            self.received.extend((arrived, snapshot) for snapshot in batch)
            self._changed.notify_all()

    def of(self, path: Path) -> list[RunSnapshot]:
        with self._changed:
            return [snapshot for _, snapshot in self.received if snapshot.path == str(path)]

    def wait_for(self, path: Path, condition: Callable[[RunSnapshot], bool], *, after: float = 0.0,
                 timeout: float = DEADLINE) -> tuple[float, RunSnapshot]:
        """The first snapshot of ``path`` arriving at or after ``after`` that meets ``condition``."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for arrived, snapshot in self.received:
                    if arrived >= after and snapshot.path == str(path) and condition(snapshot):
                        return arrived, snapshot
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [snapshot for _, snapshot in self.received if snapshot.path == str(path)]
                    raise AssertionError(f"no matching snapshot of {path} within {timeout}s; last: {seen[-1:]}")
                self._changed.wait(remaining)


@contextmanager
def watching(patterns: list[Path | str], **kwargs) -> Iterator[tuple[Watcher, Collector]]:
    collector = Collector()
    watcher = Watcher([str(pattern) for pattern in patterns], on_snapshots=collector, **kwargs)
    watcher.start()
    try:
        yield watcher, collector
    finally:
        watcher.stop()


def append(path: Path, text: str) -> float:
    """Append like a training process does (one write, file left in place). Returns the time
    just before the write: the watcher may see the line before this call returns."""
    started = time.monotonic()
    with open(path, "a", encoding="utf-8") as log:
        log.write(text)
    return started


def done(snapshot: RunSnapshot) -> float | None:
    return snapshot.progress.done if snapshot.progress else None


def step(n: int, total: int = 10, metric: str = "loss") -> str:
    return f"step {n}/{total} {metric}={1 / n:.4f}\n"


# --- following one file -------------------------------------------------------------------------


@pytest.mark.parametrize("mode", sorted(MODES))
def test_appended_steps_give_increasing_progress(tmp_path, mode):
    log = tmp_path / "train.log"
    log.write_text(step(1))
    with watching([log], **MODES[mode]) as (watcher, seen):
        seen.wait_for(log, lambda s: done(s) == 1)
        latencies = []
        for n in range(2, 6):
            written = append(log, step(n))
            arrived, _ = seen.wait_for(log, lambda s, n=n: done(s) == n, after=written)
            latencies.append(arrived - written)
        polled = watcher.followed[str(log)].polled
    progress = [done(snapshot) for snapshot in seen.of(log) if done(snapshot) is not None]
    assert progress == sorted(progress) and progress[-1] == 5
    assert seen.of(log)[-1].status == "running"
    assert seen.threads == {"waitbuddy-watcher"}  # callbacks come from the engine thread
    # A line is seen within ~1 s (about a millisecond with inotify, one poll interval otherwise).
    assert max(latencies) < 2.0, latencies
    assert polled is (mode != "inotify")


def test_inotify_mode_uses_events_not_polling(tmp_path):
    log = tmp_path / "train.log"
    log.write_text(step(1))
    with watching([log]) as (watcher, seen):
        seen.wait_for(log, lambda s: done(s) == 1)
        assert watcher._observer is not None
        for n in range(2, 4):
            written = append(log, step(n))
            seen.wait_for(log, lambda s, n=n: done(s) == n, after=written, timeout=2.0)
        assert not watcher.followed[str(log)].polled


@pytest.mark.parametrize("mode", ["polling", "no-inotify"])
def test_polling_modes_start_no_observer(tmp_path, mode):
    log = tmp_path / "train.log"
    log.write_text(step(1))
    with watching([log], **MODES[mode]) as (watcher, seen):
        seen.wait_for(log, lambda s: done(s) == 1)
        assert watcher._observer is None
        assert watcher.followed[str(log)].polled


def test_a_failure_line_is_reported(tmp_path):
    log = tmp_path / "train.log"
    log.write_text(step(1))
    with watching([log]) as (_, seen):
        seen.wait_for(log, lambda s: s.status == "running")
        append(log, step(2) + TRACEBACK)
        _, snapshot = seen.wait_for(log, lambda s: s.status == "failed")
    assert snapshot.error.kind == "cuda_error"


def test_silence_becomes_a_stall(tmp_path):
    log = tmp_path / "train.log"
    log.write_text(step(1))
    with watching([log], stall_floor=0.5) as (_, seen):
        _, snapshot = seen.wait_for(log, lambda s: s.status == "stalled")
        assert snapshot.stall.startswith("no output for")
        written = append(log, step(2))
        seen.wait_for(log, lambda s: s.status == "running" and done(s) == 2, after=written)


# --- discovery ----------------------------------------------------------------------------------


def test_glob_picks_up_a_run_directory_created_later(tmp_path):
    runs = tmp_path / "runs"
    (runs / "first").mkdir(parents=True)
    first = runs / "first" / "train.log"
    first.write_text(step(1))
    with watching([runs / "*" / "train.log"]) as (watcher, seen):
        seen.wait_for(first, lambda s: s.status == "running")
        (runs / "second").mkdir()
        second = runs / "second" / "train.log"
        second.write_text(step(3))
        (runs / "second" / "notes.txt").write_text("loss=0.1\n")  # not train.log: not a run
        _, snapshot = seen.wait_for(second, lambda s: done(s) == 3)
        assert snapshot.name == "second/train"
        append(second, step(4))
        seen.wait_for(second, lambda s: done(s) == 4)
        assert set(watcher.followed) == {str(first), str(second)}


def test_glob_runs_in_subdirectories_get_inotify_events(tmp_path):
    log = tmp_path / "runs" / "a" / "train.log"
    log.parent.mkdir(parents=True)
    log.write_text(step(1))
    with watching([tmp_path / "runs" / "*" / "train.log"]) as (watcher, seen):
        seen.wait_for(log, lambda s: done(s) == 1)
        written = append(log, step(2))
        seen.wait_for(log, lambda s: done(s) == 2, after=written)
        assert not watcher.followed[str(log)].polled


def test_directory_pattern_picks_up_new_log_files(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    with watching([logs]) as (watcher, seen):
        new = logs / "exp2.log"
        new.write_text(step(2))
        (logs / "README.md").write_text("step 1/10 loss=1\n")  # not a log suffix
        _, snapshot = seen.wait_for(new, lambda s: done(s) == 2)
        assert snapshot.name == "exp2"
        assert set(watcher.followed) == {str(new)}


@pytest.mark.parametrize("parent_exists", [True, False], ids=["parent-exists", "parent-missing"])
def test_a_path_that_does_not_exist_yet(tmp_path, parent_exists):
    folder = tmp_path / "later"
    if parent_exists:
        folder.mkdir()
    log = folder / "train.log"
    with watching([log], poll_seconds=0.2) as (_, seen):
        _, snapshot = seen.wait_for(log, lambda s: s.note is not None)
        assert snapshot.status == "waiting"
        assert "waiting" in snapshot.note
        folder.mkdir(exist_ok=True)
        log.write_text(step(1))
        _, snapshot = seen.wait_for(log, lambda s: s.status == "running")
    assert snapshot.note is None
    assert done(snapshot) == 1


# --- files that change under the watcher --------------------------------------------------------


def test_truncation_restarts_the_run(tmp_path):
    log = tmp_path / "train.log"
    log.write_text("".join(step(n, 100) for n in range(1, 30)) + TRACEBACK)
    with watching([log]) as (_, seen):
        seen.wait_for(log, lambda s: s.status == "failed")
        with open(log, "w", encoding="utf-8") as rewritten:  # the job restarted with "> train.log"
            rewritten.write(step(1, 7, "acc"))
        _, snapshot = seen.wait_for(
            log, lambda s: s.status == "running" and s.progress and s.progress.total == 7)
        assert "loss" not in snapshot.metrics and snapshot.error is None
        append(log, step(2, 7, "acc"))
        seen.wait_for(log, lambda s: done(s) == 2 and s.progress.total == 7)


def test_rotation_follows_the_new_file(tmp_path):
    log = tmp_path / "train.log"
    log.write_text("".join(step(n, 100) for n in range(1, 30)) + TRACEBACK)
    with watching([log]) as (watcher, seen):
        seen.wait_for(log, lambda s: s.status == "failed")
        log.rename(tmp_path / "train.log.1")
        # The new file is longer than the old one: only its identity says it is new.
        log.write_text("".join(step(n, 500, "acc") for n in range(1, 60)))
        _, snapshot = seen.wait_for(
            log, lambda s: s.status == "running" and s.progress and s.progress.total == 500)
        assert "loss" not in snapshot.metrics and snapshot.error is None
        append(log, step(60, 500, "acc"))
        seen.wait_for(log, lambda s: done(s) == 60)
        assert set(watcher.followed) == {str(log)}  # train.log.1 is not a new run


def test_a_binary_file_is_not_a_text_log(tmp_path):
    log = tmp_path / "model.log"
    log.write_bytes(bytes(range(1, 32)) * 200 + b"\xff\xfe\x00" * 500)
    with watching([log]) as (_, seen):
        _, snapshot = seen.wait_for(log, lambda s: s.note is not None)
    assert snapshot.note == "not a text log"
    assert snapshot.status == "waiting" and snapshot.metrics == {}


def poll_until(condition: Callable[[], bool], timeout: float = DEADLINE) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def test_a_hostile_line_in_one_log_does_not_stop_the_others(tmp_path):
    good, bad = tmp_path / "good.log", tmp_path / "bad.log"
    good.write_text(step(1))
    bad.write_text(step(1))
    with watching([tmp_path]) as (watcher, seen):
        seen.wait_for(good, lambda s: done(s) == 1)
        seen.wait_for(bad, lambda s: done(s) == 1)
        append(bad, '{"epoch": NaN, "loss": 1.0}\n')
        tail = watcher.followed[str(bad)].tail
        poll_until(lambda: tail.offset == bad.stat().st_size)  # the engine has read the line
        written = append(good, step(2))
        seen.wait_for(good, lambda s: done(s) == 2, after=written, timeout=3.0)


# --- store, processes, lifecycle ----------------------------------------------------------------


def test_runs_are_registered_and_their_state_saved(tmp_path, store):
    log = tmp_path / "exp" / "train.log"
    log.parent.mkdir()
    log.write_text(step(1))
    with watching([log], store=store) as (_, seen):
        seen.wait_for(log, lambda s: s.status == "running")
        records = registry.runs(store)
        assert [(record.path, record.name) for record in records] == [(str(log), "exp/train")]
        append(log, step(2) + TRACEBACK)
        seen.wait_for(log, lambda s: s.status == "failed")
    record = registry.get(store, path=str(log))
    assert record.status == "failed"
    assert record.error_kind == "cuda_error"
    assert "device-side assert" in record.error_message
    assert record.summary.progress.done == 2
    assert record.ended_at is not None


def test_a_watched_pid_that_exits_ends_the_run(tmp_path):
    log = tmp_path / "train.log"
    log.write_text("train:  45%|████▌     | 18/40 [00:02<00:02,  9.80it/s]")
    process = subprocess.Popen(["sleep", "60"])
    try:
        with watching([log], pids={str(log): process.pid}) as (_, seen):
            _, snapshot = seen.wait_for(log, lambda s: s.status == "running")
            assert snapshot.exit_code is None
            process.kill()
            ended_at, snapshot = seen.wait_for(log, lambda s: s.status in ENDED)
    finally:
        if process.poll() is None:
            process.kill()
        try:
            process.wait(timeout=5)
        except ChildProcessError:  # already reaped by the watcher
            pass
    assert snapshot.exit_code is None and snapshot.exit_signal is None  # unknown: not our child's status


def test_stop_is_prompt_and_leaves_no_thread(tmp_path):
    before = set(threading.enumerate())
    folder = tmp_path / "logs"
    folder.mkdir()
    log = folder / "train.log"
    log.write_text(step(1))
    collector = Collector()
    watcher = Watcher([str(folder), str(tmp_path / "runs" / "*" / "train.log")], on_snapshots=collector)
    watcher.start()
    collector.wait_for(log, lambda s: done(s) == 1)
    assert len(set(threading.enumerate()) - before) >= 2  # the engine and watchdog's observer
    started = time.monotonic()
    watcher.stop()
    assert time.monotonic() - started < 2.0
    left = [thread for thread in set(threading.enumerate()) - before if thread.is_alive()]
    assert left == []


def test_a_fast_bar_is_written_to_the_store_every_few_seconds_not_every_frame(tmp_path, store, monkeypatch):
    # issue 12: every visible change was an UPDATE of the whole snapshot: ten transactions a
    # second per run at a 10 Hz bar. Status changes still go at once, and the last state on stop.
    writes: list[str] = []
    save = registry.save_state

    def counted(store_, run_id, snapshot):
        writes.append(snapshot.status)
        save(store_, run_id, snapshot)

    monkeypatch.setattr(registry, "save_state", counted)
    log = tmp_path / "train.log"
    log.write_text("")
    with watching([log], store=store, **POLLING) as (_, seen):
        for n in range(1, 26):  # 2.5 s of a 10 Hz bar
            append(log, f"\rtrain:  {4 * n:2d}%|#         | {n}/100 [00:0{n // 10}<00:10,  9.99it/s, loss={1 / n:.3f}]")
            time.sleep(0.1)
        seen.wait_for(log, lambda s: done(s) == 25)
        append(log, "\nTraceback (most recent call last):\n  File \"t.py\", line 1\nValueError: boom\n")
        seen.wait_for(log, lambda s: s.status == "failed")
    assert len(writes) <= 5, writes  # the first, one every 5 s, the failure (and the stop)
    assert "failed" in writes
    record = registry.get(store, path=str(log))
    assert record.status == "failed" and record.summary.progress.done == 25


def test_a_finished_run_whose_log_is_gone_keeps_its_recorded_end(tmp_path, store):
    # Seen in use (issue 15): the dashboard, following every run in the store, found a completed
    # run's log deleted, took it for a run still to start ("waiting for the file") and saved that
    # over its end: status, metrics and duration were gone from `runs` and the daily update.
    log = tmp_path / "old" / "train.log"
    log.parent.mkdir()
    log.write_text(step(1))
    with watching([log], store=store) as (_, seen):
        seen.wait_for(log, lambda s: s.status == "running")
        append(log, step(2) + TRACEBACK)
        seen.wait_for(log, lambda s: s.status == "failed")
    before = registry.get(store, path=str(log))
    log.unlink()
    with watching([], store=store, follow_store=True) as (watcher, seen):
        time.sleep(1.5)  # discovery rounds: each could have saved "waiting" over the end
        after = registry.get(store, path=str(log))
        assert (after.status, after.error_kind, after.ended_at) == (before.status, before.error_kind, before.ended_at)
        assert after.summary.progress.done == 2
        log.write_text(step(1))  # a new run in the same place is followed again
        seen.wait_for(log, lambda s: s.status == "running", timeout=5.0)
