"""`waitbuddy run` with the database locked by another process: the job starts at once, and the
run is recorded once the database frees up (issue 10, item 10). Real SQLite, real children."""

from __future__ import annotations

import io
import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from waitbuddy.runs import launch, registry
from waitbuddy.runs.launch import run_command
from waitbuddy.store import Store

# Prints when it really started, then trains a little.
CHILD = "import time; print(f'started {time.time()!r}', flush=True); time.sleep(0.3); print('done')"


class Locker:
    """Another process's writer holding the write lock (BEGIN IMMEDIATE) until released."""

    def __init__(self, path: Path) -> None:
        self.connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.connection.execute("BEGIN IMMEDIATE")
        self.released = False

    def release(self) -> None:
        if not self.released:
            self.released = True
            self.connection.execute("ROLLBACK")
            self.connection.close()

    def release_after(self, seconds: float) -> threading.Timer:
        timer = threading.Timer(seconds, self.release)
        timer.start()
        return timer


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "w.db"
    Store.open(path).close()
    return path


def started_at(log: Path) -> float:
    first = log.read_text().splitlines()[0]
    assert first.startswith("started "), first
    return float(first.split()[1])


def test_the_job_starts_at_once_and_is_recorded_when_the_lock_goes(tmp_path, database, capsys):
    log = tmp_path / "train.log"
    locker = Locker(database)
    timer = locker.release_after(1.5)  # well after the job has ended
    try:
        with Store.open(database, busy_timeout=0.2) as store:
            before = time.time()
            status = run_command([sys.executable, "-c", CHILD], log_path=log, store=store, out=io.BytesIO())
            assert status == 0
            assert started_at(log) - before < 1.0
            record = registry.get(store, path=str(log.absolute()))
    finally:
        timer.cancel()
        locker.release()
    assert record is not None
    assert record.source == "launch" and record.status == "completed" and record.exit_code == 0
    assert record.pid is not None and record.started_at and record.ended_at
    warnings = capsys.readouterr().err
    assert warnings.count("the database is locked by another process (waited 0.2 s)") == 1
    assert "the run is recorded when the database frees up" in warnings
    assert "Traceback" not in warnings


def test_a_lock_that_outlasts_the_wait_gives_up_the_record_not_the_exit_status(
    tmp_path, database, capsys, monkeypatch,
):
    monkeypatch.setattr(launch, "RECORD_WAIT_SECONDS", 0.5)
    log = tmp_path / "train.log"
    locker = Locker(database)
    try:
        with Store.open(database, busy_timeout=0.2) as store:
            started = time.monotonic()
            status = run_command([sys.executable, "-c", "import sys; sys.exit(3)"], log_path=log, store=store,
                                 out=io.BytesIO())
            assert status == 3
            assert time.monotonic() - started < 5
    finally:
        locker.release()
    assert "the run was not recorded: the database is still locked" in capsys.readouterr().err
    with Store.open(database) as store:
        assert registry.get(store, path=str(log.absolute())) is None


def test_a_read_only_database_warns_once_and_the_job_runs(tmp_path, database, capsys):
    log = tmp_path / "train.log"
    with Store.open(database) as store:
        store._connection.execute("PRAGMA query_only = ON")
        status = run_command([sys.executable, "-c", CHILD], log_path=log, store=store, out=io.BytesIO())
    assert status == 0 and "done" in log.read_text()
    warnings = capsys.readouterr().err.splitlines()
    kept = tmp_path / ".train.log.waitbuddy-exit.json"  # the exit goes beside the log (issue 10, item 11)
    assert warnings == [("waitbuddy: warning: cannot record the run in the database: the database is read-only; "
                         f"its exit is kept beside the log in {kept}")]


def test_waitbuddy_run_under_a_locked_database_starts_the_command_at_once(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    database = data / "waitbuddy.db"
    Store.open(database).close()
    log = tmp_path / "train.log"
    locker = Locker(database)
    timer = locker.release_after(2.0)
    try:
        before = time.time()
        result = subprocess.run(
            [sys.executable, "-m", "waitbuddy", "run", "--log", str(log), "--", sys.executable, "-c", CHILD],
            capture_output=True, text=True, timeout=60, env={**os.environ, "WAITBUDDY_DATA_DIR": str(data)}, check=False,
        )
    finally:
        timer.cancel()
        locker.release()
    assert result.returncode == 0, result.stderr
    assert started_at(log) - before < 1.5  # the interpreter's own start included
    assert "Traceback" not in result.stderr
    with Store.open(database) as store:
        record = registry.get(store, path=str(log.absolute()))
    assert record is not None and record.status == "completed" and record.exit_code == 0
