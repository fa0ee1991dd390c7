"""The watcher's Slurm wiring without a cluster: a scripted squeue (the real cluster is in
test_watch_slurm.py), the scheduler's end over the log's story, array summaries, the patterns
people type, and the dashboard's `a` taking jobs and ssh:// logs."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from waitbuddy.runs import sources
from waitbuddy.runs.observe import COMPLETED, FAILED, INTERRUPTED, Marker
from waitbuddy.runs.run import Run
from waitbuddy.runs.slurm import SEP, SQUEUE_FIELDS, JobState, array_summary
from waitbuddy.runs.slurm_poll import Output, Poller
from waitbuddy.runs.snapshot import RunSnapshot
from waitbuddy.runs.watcher import Watcher
from waitbuddy.tui.widgets.runs_pane import array_line

from .watching import Seen, wait_for


def squeue_row(job_id: str, state: str, stdout: str, *, task: str = "N/A", array: str | None = None,
               reason: str = "None", code: str = "0", name: str = "train", start: str = "2026-12-01T10:00:00",
               end: str = "Unknown", limit: str = "1:00") -> str:
    values = {"JobID": job_id, "ArrayJobID": array or job_id, "ArrayTaskID": task, "State": state, "Reason": reason,
              "exit_code": code, "SubmitTime": "2026-12-01T09:59:00", "StartTime": start, "EndTime": end,
              "TimeLimit": limit, "UserName": "me", "NodeList": "node1", "Name": name, "WorkDir": "/tmp",
              "STDOUT": stdout, "STDERR": stdout}
    return "".join(f"{values[field]}{SEP}" for field in SQUEUE_FIELDS)


class Scheduler:
    """What squeue answers, changed by the test; every query counted."""

    def __init__(self) -> None:
        self.rows: list[str] = []
        self.queries: list[list[str]] = []
        self.lock = threading.Lock()
        self.down: str | None = None  # what squeue says on stderr when the controller does not answer

    def __call__(self, argv: list[str], timeout: float) -> Output:
        with self.lock:
            self.queries.append(argv)
            if self.down is not None:
                return Output(1, "", self.down)
            if argv[0] == "squeue":
                return Output(0, "\n".join(self.rows) + "\n", "")
            return Output(1, "", "sacct: error: Slurm accounting storage is disabled")


def slurm_watcher(patterns: list[str], scheduler: Scheduler, seen: Seen, interval: float = 0.2) -> Watcher:
    watcher = Watcher(patterns, on_snapshots=seen)
    watcher.slurm.poller = Poller(runner=scheduler, interval=interval)
    watcher.start()
    return watcher


def test_a_job_waits_with_its_reason_runs_from_its_log_and_ends_as_slurm_says(tmp_path: Path):
    log = tmp_path / "slurm-12.out"
    scheduler, seen = Scheduler(), Seen()
    scheduler.rows = [squeue_row("12", "PENDING", str(log), reason="Priority", start="Unknown")]
    watcher = slurm_watcher(["slurm:12"], scheduler, seen)
    try:
        wait_for(lambda: (s := seen.get(str(log))) is not None and s.note == "waiting: Priority", what="pending")
        assert seen.get(str(log)).status == "waiting" and seen.get(str(log)).name == "train 12"
        scheduler.rows = [squeue_row("12", "RUNNING", str(log))]
        wait_for(lambda: seen.get(str(log)).note == "running on node1; no output yet", what="running, no log yet")
        log.write_text("epoch 1/10 loss=0.5\nepoch 2/10 loss=0.4\n")
        wait_for(lambda: seen.get(str(log)).status == "running" and seen.get(str(log)).note is None, what="the log")
        # The log alone reads as a run at 20 %; Slurm says the time limit ended it.
        scheduler.rows = [squeue_row("12", "TIMEOUT", str(log), code="15", end="2026-12-01T11:00:00")]
        wait_for(lambda: seen.get(str(log)).status == "failed", what="the end")
        snapshot = seen.get(str(log))
        assert snapshot.error.kind == "slurm_time_limit" and snapshot.error.message == "Slurm time limit reached (1m)"
        assert snapshot.job == "12" and snapshot.array is None
        assert snapshot.ended_at is not None  # Slurm's EndTime (local time, as the machine reads it)
        asked = len(scheduler.queries)
        time.sleep(0.6)
        assert len(scheduler.queries) == asked  # an ended job is not asked about again
    finally:
        watcher.stop()


def test_every_watched_job_is_one_query(tmp_path: Path):
    scheduler, seen = Scheduler(), Seen()
    scheduler.rows = [squeue_row(str(job), "RUNNING", str(tmp_path / f"{job}.out")) for job in range(20, 30)]
    watcher = slurm_watcher([f"slurm:{job}" for job in range(20, 30)], scheduler, seen, interval=0.3)
    try:
        wait_for(lambda: all(seen.get(str(tmp_path / f"{job}.out")) for job in range(20, 30)), what="ten runs")
        time.sleep(1.0)
    finally:
        watcher.stop()
    squeues = [argv for argv in scheduler.queries if argv[0] == "squeue"]
    assert all("--jobs=" + ",".join(map(str, range(20, 30))) in argv for argv in squeues)  # gathered first
    assert len(squeues) <= 1.3 / 0.3 + 2  # one per interval, never one per job


def test_an_array_has_a_row_per_task_and_a_summary(tmp_path: Path):
    scheduler, seen = Scheduler(), Seen()
    out = str(tmp_path / "slurm-%A_%a.out")
    scheduler.rows = [
        squeue_row("31", "COMPLETED", out, task="0", array="30", end="2026-12-01T10:01:00"),
        squeue_row("32", "FAILED", out, task="1", array="30", code="768", end="2026-12-01T10:01:00"),
        squeue_row("33", "RUNNING", out, task="2", array="30"),
        squeue_row("30", "PENDING", out, task="3-9", array="30", reason="Resources", start="Unknown"),
    ]
    watcher = slurm_watcher(["slurm:30"], scheduler, seen)
    try:
        paths = [str(tmp_path / f"slurm-30_{task}.out") for task in range(3)]
        wait_for(lambda: all(seen.get(path) is not None and seen.get(path).array for path in paths), what="tasks")
        assert [seen.get(path).status for path in paths] == ["completed", "failed", "waiting"]
        assert seen.get(paths[1]).error.message == "exit code 3"
        assert seen.get(paths[0]).array == "1/10 done, 1 failed, 1 running, 7 pending"
        assert array_line([seen.get(path) for path in paths], 80) == "array 30: 1/10 done, 1 failed, 1 running, 7 pending"
        assert len(watcher.followed) == 3  # the pending range has no file yet: no row
    finally:
        watcher.stop()


def test_a_problem_with_slurm_is_said_not_raised(tmp_path: Path):
    errors: list[str] = []

    def broken(argv: list[str], timeout: float) -> Output:
        raise FileNotFoundError(argv[0])

    watcher = Watcher(["slurm:40"], on_snapshots=lambda snapshots: None, on_error=errors.append)
    watcher.slurm.poller = Poller(runner=broken, interval=0.2)
    watcher.start()
    try:
        wait_for(lambda: any("squeue not found" in error for error in errors), what="the problem")
        assert watcher._thread.is_alive() and watcher.slurm._thread.is_alive()
    finally:
        watcher.stop()


# -- the scheduler's end on a run -------------------------------------------------------------


def fed(text: str) -> Run:
    run = Run("/tmp/x.log")
    run.feed(text, 100.0)
    return run


def test_a_traceback_stays_the_reason_when_slurm_only_knows_the_exit_code():
    run = fed("step 1/10\nTraceback (most recent call last):\n  File \"t.py\", line 1\nValueError: boom\n")
    run.scheduled_end(Marker(FAILED, "exit code 1", "exit_status"), 110.0, code=1, signal=0, at=105.0)
    snapshot = run.snapshot(120.0)
    assert snapshot.status == "failed" and "ValueError: boom" in snapshot.error.message
    assert snapshot.exit_code == 1 and snapshot.ended_at is not None


def test_slurm_wins_over_what_the_log_suggested():
    run = fed("epoch 3/3 loss=0.1\nTraceback (most recent call last):\nKeyboardInterrupt\n")
    run.scheduled_end(Marker(INTERRUPTED, "cancelled by alice", "slurm_cancelled"), 110.0)
    assert run.status == "interrupted" and run.error.message == "cancelled by alice"
    run = fed("step 2/10 loss=0.5\n")
    run.scheduled_end(Marker(FAILED, "Slurm time limit reached (1h)", "slurm_time_limit"), 110.0, at=109.0)
    assert run.status == "failed" and run.error.error_kind == "slurm_time_limit" and run.ended_at == 109.0
    run = fed("step 2/10\nRuntimeError: something the script caught\n")
    run.scheduled_end(Marker(COMPLETED, "completed"), 110.0, code=0, signal=0)
    assert run.status == "completed" and run.error is None


def test_array_summary_counts_pending_ranges():
    jobs = [JobState("1", "COMPLETED", "1", "0"), JobState("2", "TIMEOUT", "1", "1"), JobState("3", "CANCELLED", "1", "2"),
            JobState("1", "PENDING", "1", "3-7,9")]
    assert array_summary(jobs) == "1/9 done, 1 failed, 1 cancelled, 6 pending"
    assert array_summary([JobState("1", "COMPLETED", "1", "0")]) == "1/1 done"


# -- patterns ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "stored"), [
    ("slurm:12", ["slurm:12"]),
    ("slurm:12,13_4, 12", ["slurm:12", "slurm:13_4"]),
    ("slurm-user:alice", ["slurm-user:alice"]),
    ("ssh://me@gpu1:2222/runs/*/train.log", ["ssh://me@gpu1:2222/runs/*/train.log"]),
    ("ssh://gpu1/~/train.log", ["ssh://gpu1/~/train.log"]),
])
def test_typed_patterns_are_stored_in_one_form(typed, stored):
    assert sources.watch_patterns(typed) == stored


@pytest.mark.parametrize(("typed", "reason"), [
    ("slurm:12x", "not a Slurm job id"), ("slurm:", "expected job ids"), ("slurm-user:-rf", "not a user name"),
    ("ssh://-oProxyCommand=x/y", "not a valid host name"), ("ssh://host", "needs a path"),
])
def test_bad_patterns_say_why(typed, reason):
    with pytest.raises(ValueError, match=reason):
        sources.watch_patterns(typed)


# -- the dashboard ----------------------------------------------------------------------------


async def test_a_in_runs_takes_slurm_jobs_and_remote_logs(store, tmp_path: Path):
    """No ssh or Slurm is reached here: ssh_command is `false`, and no squeue answers."""
    from textual.widgets import Input

    from waitbuddy import config
    from waitbuddy.runs import registry
    from waitbuddy.tui.app import WaitBuddy

    app = WaitBuddy(config=config.parse('[runs]\nssh_command = ["false"]\n'), store=store)
    async with app.run_test(size=(100, 30)) as pilot:
        for typed in ("slurm:1234,1235", "ssh://gpu1/runs/train.log", "ssh://-x/y"):
            await pilot.press("1", "a")
            for _ in range(100):
                if app.screen.query(Input):
                    break
                await pilot.pause(0.05)
            app.screen.query_one(Input).value = typed
            await pilot.press("enter")
            await pilot.pause(0.2)
        await app.workers.wait_for_complete()
        for _ in range(100):
            if len(registry.watches(store)) == 3:
                break
            await pilot.pause(0.05)
        assert set(registry.watches(store)) == {"slurm:1234", "slurm:1235", "ssh://gpu1/runs/train.log"}
        shown = " ".join(str(toast.message) for toast in app._notifications)
        assert "not a valid host name" in shown


def test_an_end_slurm_has_forgotten_stands_when_the_dashboard_starts_again(store, tmp_path: Path):
    """Slurm keeps an ended job minutes (without accounting): a later dashboard must not read the
    time-limited run's log as running, then stalled. A log written after the end is read anew."""
    import os

    from waitbuddy.runs import registry
    from waitbuddy.runs.snapshot import SnapshotError

    kept, rewritten = tmp_path / "slurm-50.out", tmp_path / "slurm-51.out"
    for log in (kept, rewritten):
        log.write_text("epoch 1/10 loss=0.5\nepoch 2/10 loss=0.4\n")
        os.utime(log, (time.time() - 3600, time.time() - 3600))
        record = registry.ensure_run(store, str(log), name=f"train {log.stem[6:]}")
        registry.save_state(store, record.id, RunSnapshot(
            path=str(log), name=record.name, status="failed", job=log.stem[6:],
            error=SnapshotError("slurm_time_limit", "Slurm time limit reached (1h)"), ended_at="2026-12-01T10:00:00Z"))
    with rewritten.open("a") as out:
        out.write("epoch 3/10 loss=0.3\n")  # a requeued job writing again, after the end was saved
    os.utime(rewritten, (time.time() + 5, time.time() + 5))
    scheduler, seen = Scheduler(), Seen()  # squeue knows neither any more
    watcher = Watcher([], on_snapshots=seen, store=store, follow_store=True)
    watcher.slurm.poller = Poller(runner=scheduler, interval=0.2)
    watcher.start()
    try:
        wait_for(lambda: seen.get(str(kept)) is not None and seen.get(str(rewritten)) is not None, what="both")
        time.sleep(0.5)
        snapshot = seen.get(str(kept))
        assert snapshot.status == "failed" and snapshot.error.kind == "slurm_time_limit" and snapshot.job == "50"
        assert seen.get(str(rewritten)).status != "failed"
    finally:
        watcher.stop()


def test_until_done_waits_for_slurm_not_the_log(tmp_path: Path):
    """A log that reads "Training complete" while the job runs its last step: not ended yet."""
    log = tmp_path / "slurm-60.out"
    log.write_text("step 5/5 loss=0.1\nTraining complete\n")
    scheduler, seen = Scheduler(), Seen()
    scheduler.rows = [squeue_row("60", "RUNNING", str(log))]
    watcher = slurm_watcher(["slurm:60"], scheduler, seen)
    try:
        wait_for(lambda: (s := seen.get(str(log))) is not None and s.status == "completed", what="the log's end")
        time.sleep(0.5)
        assert not watcher.all_ended()
        scheduler.rows = [squeue_row("60", "FAILED", str(log), code="768", end="2026-12-01T11:00:00")]
        wait_for(watcher.all_ended, what="Slurm's end")
        assert seen.get(str(log)).status == "failed"
    finally:
        watcher.stop()


def test_a_job_submitted_and_ended_between_two_polls_is_still_news(tmp_path: Path):
    """watch --slurm-user: a job shorter than the interval is first seen ended; its end is an
    alert all the same (it was submitted after the watch began), unlike jobs that ended before."""
    from waitbuddy.alerts.events import AlertPolicy

    old_log, new_log = tmp_path / "slurm-70.out", tmp_path / "slurm-71.out"
    old_log.write_text("step 2/2\n")
    new_log.write_text("step 1/2\nTraceback (most recent call last):\nValueError: bad\n")
    scheduler = Scheduler()
    now = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(time.time() + 2))
    before = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(time.time() - 3600))
    row = squeue_row("70", "COMPLETED", str(old_log), end=before)
    scheduler.rows = [row.replace("2026-12-01T09:59:00", before)]
    policy, events = AlertPolicy(), []

    def alert(snapshots: list[RunSnapshot]) -> None:
        events.extend(event for snapshot in snapshots for event in policy.observe(snapshot, time.time()))

    watcher = Watcher(["slurm-user:me"], on_snapshots=alert)
    watcher.slurm.poller = Poller(runner=scheduler, interval=0.3)
    watcher.start()
    try:
        wait_for(lambda: str(old_log) in watcher.followed, what="the old job")
        row = squeue_row("71", "FAILED", str(new_log), code="256", end=now)
        scheduler.rows = [*scheduler.rows, row.replace("2026-12-01T09:59:00", now)]
        wait_for(lambda: any(event.kind == "failed" for event in events), what="the new job's alert")
        time.sleep(0.5)
    finally:
        watcher.stop()
    assert [(event.kind, event.name) for event in events] == [("failed", "train 71")]


def test_a_controller_that_stops_answering_shows_on_a_waiting_job(tmp_path: Path):
    log = tmp_path / "slurm-80.out"
    scheduler, seen = Scheduler(), Seen()
    scheduler.rows = [squeue_row("80", "PENDING", str(log), reason="Priority", start="Unknown")]
    watcher = slurm_watcher(["slurm:80"], scheduler, seen)
    try:
        wait_for(lambda: (s := seen.get(str(log))) is not None and s.note == "waiting: Priority", what="pending")
        scheduler.down = "squeue: error: Unable to contact slurm controller (connect failure)"
        wait_for(lambda: "Unable to contact slurm controller" in (seen.get(str(log)).note or ""), what="the problem")
        assert seen.get(str(log)).note.startswith("waiting: Priority; Slurm: squeue failed: ")
        assert seen.get(str(log)).status == "waiting"
        scheduler.down = None
        watcher.slurm.poller.next_at = 0  # the backoff after errors would make the test wait
        wait_for(lambda: seen.get(str(log)).note == "waiting: Priority", timeout=15, what="the controller back")
    finally:
        watcher.stop()
