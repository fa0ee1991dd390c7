"""A launched run whose exit could not be recorded (the database turned read-only) still ends on
the dashboard: the watcher reads the run's row, PID included, without having to write it."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from waitbuddy.runs import registry
from waitbuddy.runs.watcher import Watcher
from waitbuddy.store import Store

DEADLINE = 10.0  # generous: only reached when something is wrong


def launched_then_read_only(store: Store, log: Path) -> int:
    """What `waitbuddy run` leaves when the database turns read-only mid-run: a row that says
    running, with the PID of a process now gone and no exit status."""
    gone = subprocess.Popen(["true"])
    gone.wait()
    record = registry.ensure_run(store, str(log), name="train", source="launch", command=["python", "train.py"])
    registry.restart(store, record.id, name=None, command=["python", "train.py"], pid=gone.pid, started=time.time())
    log.write_text("epoch 1 loss 0.5\nepoch 2 loss 0.4\n")
    store._connection.execute("PRAGMA query_only = ON")
    return record.id


def test_an_existing_run_is_found_without_writing(tmp_path: Path, store: Store):
    log = tmp_path / "train.log"
    run_id = launched_then_read_only(store, log)
    record = registry.ensure_run(store, str(log), name="other")
    assert record.id == run_id and record.pid is not None and record.name == "train"


def test_a_finished_launched_run_is_not_shown_running_with_a_read_only_database(tmp_path: Path, store: Store):
    log = tmp_path / "train.log"
    launched_then_read_only(store, log)
    errors: list[str] = []
    watcher = Watcher([], on_snapshots=lambda snapshots: None, store=store, follow_store=True,
                      on_error=errors.append)
    watcher.start()
    try:
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline and not watcher.all_ended():
            time.sleep(0.05)
        [snapshot] = watcher.snapshots()
    finally:
        watcher.stop()
    assert snapshot.status == "completed"
    assert errors == ["cannot update the database: the database is read-only"]
