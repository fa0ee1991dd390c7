"""A run `waitbuddy run` could not record (the database read-only or locked from the start) still
ends everywhere with its exit status: the launcher leaves the exit in a hidden file beside the log,
and `status` and the watcher read it as they read a recorded exit (issue 10, item 11).

CI runs as root, where chmod does not stop SQLite from writing: the database is made read-only
with ``PRAGMA query_only`` (in this process, or in a `waitbuddy` process through READ_ONLY_CLI)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from waitbuddy.runs import launch, registry
from waitbuddy.runs.launch import run_command
from waitbuddy.runs.patterns import expand
from waitbuddy.runs.snapshot import RunSnapshot
from waitbuddy.runs.status import read_once
from waitbuddy.runs.watcher import Watcher
from waitbuddy.store import Store

from .conftest import run_cli
from .test_launch_locked import Locker

DEADLINE = 10.0  # generous: only reached when something is wrong

# `python -m waitbuddy ARGS` whose database refuses every write, also when run as root.
READ_ONLY_CLI = """
import sys
from waitbuddy import store
opened = store.Store.open.__func__
def read_only(cls, *args, **kwargs):
    database = opened(cls, *args, **kwargs)
    database._connection.execute("PRAGMA query_only = ON")
    return database
store.Store.open = classmethod(read_only)
from waitbuddy.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A data directory with its database made (the schema there), as after earlier use."""
    directory = tmp_path / "data"
    Store.open(directory / "waitbuddy.db").close()
    return directory


@pytest.fixture
def read_only(data: Path):
    with Store.open(data / "waitbuddy.db") as store:
        store._connection.execute("PRAGMA query_only = ON")
        yield store


def launch_read_only(data: Path, log: Path, *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", READ_ONLY_CLI, "run", "--log", str(log), "--", *command],
        capture_output=True, text=True, timeout=60, env={**os.environ, "WAITBUDDY_DATA_DIR": str(data)}, check=False,
    )


def status_json(data: Path, target: str) -> list[dict]:
    result = run_cli("status", "--json", target, env={"WAITBUDDY_DATA_DIR": str(data)})
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def watch_until_ended(patterns: list[str], store: Store | None, **options) -> list[RunSnapshot]:
    watcher = Watcher(patterns, on_snapshots=lambda snapshots: None, store=store, on_error=lambda message: None,
                      **options)
    watcher.start()
    try:
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline and not watcher.all_ended():
            time.sleep(0.05)
        return watcher.snapshots()
    finally:
        watcher.stop()


# --- the launcher ------------------------------------------------------------------------------------


def test_waitbuddy_run_with_a_read_only_database_ends_completed_in_status(tmp_path, data):
    log = tmp_path / "runs" / "train.log"
    result = launch_read_only(data, log, "sh", "-c", "echo epoch 1 loss 0.5; echo epoch 2 loss 0.4")
    assert result.returncode == 0, result.stderr
    assert result.stdout == log.read_text() == "epoch 1 loss 0.5\nepoch 2 loss 0.4\n"  # the log is the output
    exit_file = log.parent / ".train.log.waitbuddy-exit.json"
    assert result.stderr.splitlines() == [("waitbuddy: warning: cannot record the run in the database: "
                                           f"the database is read-only; its exit is kept beside the log in {exit_file}")]
    [snapshot] = status_json(data, str(log))
    assert snapshot["status"] == "completed" and snapshot["exit_code"] == 0
    assert snapshot["started_at"] and snapshot["ended_at"] and snapshot["name"] == "sh"  # as it would be recorded


def test_waitbuddy_run_with_a_read_only_database_fails_with_the_exit_status(tmp_path, data):
    log = tmp_path / "runs" / "job.log"
    result = launch_read_only(data, log, "sh", "-c", "echo working; exit 3")
    assert result.returncode == 3, result.stderr
    [snapshot] = status_json(data, str(log))
    assert snapshot["status"] == "failed" and snapshot["exit_code"] == 3
    assert snapshot["error"]["kind"] == "exit_status"
    # ... and through a glob over the runs directory, where the exit file is not a run of its own
    [through_glob] = status_json(data, str(tmp_path / "runs" / "*"))
    assert through_glob["path"] == str(log) and through_glob["status"] == "failed"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through chmod")
def test_waitbuddy_run_with_a_read_only_data_directory(tmp_path, data):
    log = tmp_path / "train.log"
    (data / "waitbuddy.db").chmod(0o444)
    data.chmod(0o555)
    try:
        result = run_cli("run", "--log", str(log), "--", "sh", "-c", "echo hi; exit 3",
                         env={"WAITBUDDY_DATA_DIR": str(data)})
    finally:
        data.chmod(0o755)
    assert result.returncode == 3, result.stderr
    [snapshot] = status_json(data, str(log))
    assert snapshot["status"] == "failed" and snapshot["exit_code"] == 3


def test_the_exit_file_holds_the_outcome(tmp_path, read_only, capsys):
    log = tmp_path / "train.log"
    before = time.time()
    status = run_command(["sh", "-c", "kill -TERM $$"], log_path=log, store=read_only, out=io.BytesIO())
    assert status == 128 + 15
    left = registry.read_exit_file(log)
    assert left is not None
    assert (left.exit_code, left.exit_signal, left.name) == (None, 15, "sh")
    assert left.pid and before <= left.started_at <= left.ended_at <= time.time()
    saved = json.loads((tmp_path / ".train.log.waitbuddy-exit.json").read_text())
    assert saved["exit_signal"] == 15 and saved["pid"] == left.pid
    assert [path.name for path in tmp_path.iterdir() if path.name.startswith(".")] == [
        ".train.log.waitbuddy-exit.json"]  # no temporary file left behind
    snapshot = read_once(log).snapshot(time.time())
    assert snapshot.status == "interrupted" and snapshot.exit_signal == 15  # SIGTERM: terminated


def test_a_command_that_cannot_start_leaves_its_exit_too(tmp_path, read_only, capsys):
    log = tmp_path / "x.log"
    assert run_command(["/nonexistent/train"], log_path=log, store=read_only, out=io.BytesIO()) == 127
    snapshot = read_once(log).snapshot(time.time())
    assert snapshot.status == "failed" and snapshot.exit_code == 127


def test_without_a_store_the_exit_is_left_too(tmp_path, capsys):
    log = tmp_path / "train.log"
    assert run_command(["sh", "-c", "exit 4"], log_path=log, store=None, out=io.BytesIO()) == 4
    assert capsys.readouterr().err.splitlines() == [
        f"waitbuddy: the run's exit is kept beside the log in {tmp_path / '.train.log.waitbuddy-exit.json'}"]
    assert read_once(log).snapshot(time.time()).exit_code == 4


def test_a_recorded_run_leaves_no_exit_file(tmp_path, data):
    log = tmp_path / "train.log"
    with Store.open(data / "waitbuddy.db") as store:
        assert run_command(["sh", "-c", "exit 3"], log_path=log, store=store, out=io.BytesIO()) == 3
        assert registry.get(store, path=str(log)).exit_code == 3
    assert sorted(path.name for path in tmp_path.iterdir()) == ["data", "home", "train.log"]


def test_a_lock_that_frees_after_the_exit_removes_the_exit_file(tmp_path, data, capsys):
    log = tmp_path / "train.log"
    locker = Locker(data / "waitbuddy.db")
    timer = locker.release_after(2.0)  # after the exit was left beside the log
    try:
        with Store.open(data / "waitbuddy.db", busy_timeout=0.2) as store:
            assert run_command(["sh", "-c", "exit 3"], log_path=log, store=store, out=io.BytesIO()) == 3
            assert registry.get(store, path=str(log)).exit_code == 3
    finally:
        timer.cancel()
        locker.release()
    assert not (tmp_path / ".train.log.waitbuddy-exit.json").exists()


def test_a_lock_that_outlasts_the_wait_leaves_the_exit_and_says_so(tmp_path, data, capsys, monkeypatch):
    monkeypatch.setattr(launch, "RECORD_WAIT_SECONDS", 0.5)
    log = tmp_path / "train.log"
    locker = Locker(data / "waitbuddy.db")
    try:
        with Store.open(data / "waitbuddy.db", busy_timeout=0.2) as store:
            assert run_command(["sh", "-c", "exit 3"], log_path=log, store=store, out=io.BytesIO()) == 3
    finally:
        locker.release()
    assert ("the run was not recorded: the database is still locked by another process; its exit is kept "
            f"beside the log in {tmp_path / '.train.log.waitbuddy-exit.json'}") in capsys.readouterr().err
    assert read_once(log).snapshot(time.time()).exit_code == 3


# --- what is read, and when not ---------------------------------------------------------------------


def test_a_later_recorded_run_of_the_same_log_removes_the_old_exit_file(tmp_path, data, capsys):
    log = tmp_path / "train.log"
    with Store.open(data / "waitbuddy.db") as store:
        store._connection.execute("PRAGMA query_only = ON")
        run_command(["sh", "-c", "echo one; exit 3"], log_path=log, store=store, out=io.BytesIO())
        assert (tmp_path / ".train.log.waitbuddy-exit.json").exists()
        store._connection.execute("PRAGMA query_only = OFF")
        run_command(["sh", "-c", "echo two"], log_path=log, store=store, out=io.BytesIO())
        record = registry.get(store, path=str(log))
    assert not (tmp_path / ".train.log.waitbuddy-exit.json").exists()
    assert read_once(log, record=record).snapshot(time.time()).status == "completed"


def test_an_exit_file_of_a_log_written_again_since_is_ignored(tmp_path, read_only, capsys):
    log = tmp_path / "train.log"
    run_command(["sh", "-c", "echo one; exit 3"], log_path=log, store=read_only, out=io.BytesIO())
    with log.open("a") as more:  # another job (not launched by waitbuddy) appends to the log
        more.write("epoch 2 loss 0.3\n")
    assert registry.read_exit_file(log) is None
    assert read_once(log).snapshot(time.time()).status == "running"


def test_an_exit_file_older_than_a_new_log_of_the_same_size_is_ignored(tmp_path, read_only, capsys):
    log = tmp_path / "train.log"
    run_command(["true"], log_path=log, store=read_only, out=io.BytesIO())  # an empty log, and its exit
    assert registry.read_exit_file(log) is not None
    log.unlink()
    log.touch()  # another job, not launched by waitbuddy, starts the log again: empty so far
    later = registry.exit_file(log).stat().st_mtime + 5
    os.utime(log, (later, later))
    assert registry.read_exit_file(log) is None


@pytest.mark.parametrize("content", ["", "{", "[]", '{"exit_code": "3", "ended_at": 1}', "x" * 100_000],
                         ids=["empty", "cut", "list", "wrong-types", "huge"])
def test_a_broken_exit_file_is_ignored(tmp_path, content):
    log = tmp_path / "train.log"
    log.write_text("epoch 1\n")
    (tmp_path / ".train.log.waitbuddy-exit.json").write_text(content)
    assert registry.read_exit_file(log) is None


def test_a_fifo_in_place_of_the_exit_file_is_never_opened_for_a_blocking_read(tmp_path):
    log = tmp_path / "train.log"
    log.write_text("epoch 1\n")
    os.mkfifo(tmp_path / ".train.log.waitbuddy-exit.json")
    assert registry.read_exit_file(log) is None  # returns: the read did not wait for a writer


def test_discovery_never_takes_an_exit_file_for_a_run(tmp_path):
    runs = tmp_path / "runs"
    (runs / "a").mkdir(parents=True)
    for log in (runs / "train.log", runs / "a" / "train.log"):
        log.write_text("x\n")
        registry.exit_file(log).write_text("{}")
        registry.exit_file(log).with_name(registry.exit_file(log).name + ".7.tmp").write_text("{}")
    for pattern in ("*", ".*", "**/*", "**/.*", "*/.*", ""):
        found = expand(str(runs / pattern) if pattern else str(runs))
        assert all("waitbuddy-exit" not in path for path in found), (pattern, found)


# --- the watcher -------------------------------------------------------------------------------------


def test_the_watcher_ends_a_finished_unrecorded_run_found_through_a_glob(tmp_path, read_only, capsys):
    runs = tmp_path / "runs"
    run_command(["sh", "-c", "echo epoch 1 loss 0.5"], log_path=runs / "ok.log", store=read_only, out=io.BytesIO())
    run_command(["sh", "-c", "echo working; exit 3"], log_path=runs / "bad.log", store=read_only, out=io.BytesIO())
    snapshots = watch_until_ended([str(runs / "*")], read_only, follow_store=True)
    by_name = {Path(snapshot.path).stem: snapshot for snapshot in snapshots}
    assert set(by_name) == {"ok", "bad"}  # the exit files are no runs
    assert {snapshot.name for snapshot in snapshots} == {"sh"}  # the name `waitbuddy run` would have recorded
    assert by_name["ok"].status == "completed" and by_name["ok"].exit_code == 0
    assert by_name["bad"].status == "failed" and by_name["bad"].exit_code == 3
    assert by_name["bad"].started_at and by_name["bad"].ended_at


@pytest.mark.parametrize(("command", "status", "code"), [
    ("echo epoch 1 loss 0.5; sleep 1.5; echo epoch 2 loss 0.4", "completed", 0),
    ("echo epoch 1 loss 0.5; sleep 1.5; exit 3", "failed", 3),
])
def test_the_watcher_following_an_unrecorded_run_sees_it_end(tmp_path, read_only, capsys, command, status, code):
    """The watcher follows the log while the command runs (no row, no PID to watch) and ends the
    run when the exit appears beside it, as it does at a recorded exit."""
    log = tmp_path / "train.log"
    launcher = threading.Thread(
        target=run_command, args=(["sh", "-c", command],), kwargs={"log_path": log, "store": read_only,
                                                                   "out": io.BytesIO()})
    launcher.start()
    try:
        [snapshot] = watch_until_ended([str(tmp_path / "*.log")], read_only, register=False)
    finally:
        launcher.join()
    assert snapshot.status == status and snapshot.exit_code == code


def test_a_row_left_running_when_the_database_turned_read_only_ends_with_the_exit_status(tmp_path, data, capsys):
    """The row has the command's PID but no exit (the database went read-only mid-run): the PID
    gone, the exit beside the log gives the real status, not "exit status unknown"."""
    log = tmp_path / "train.log"
    with Store.open(data / "waitbuddy.db") as store:
        turn = threading.Timer(0.5, lambda: store._connection.execute("PRAGMA query_only = ON"))
        turn.start()
        run_command(["sh", "-c", "echo working; sleep 1; exit 3"], log_path=log, store=store, out=io.BytesIO())
        turn.join()
        record = registry.get(store, path=str(log))
        assert record.pid and record.exit_code is None  # the start was recorded, the exit was not
        assert read_once(log, record=record).snapshot(time.time()).exit_code == 3
        [snapshot] = watch_until_ended([str(log)], store)
    assert snapshot.status == "failed" and snapshot.exit_code == 3
