"""One source of truth for a run's state: what `waitbuddy run` recorded (the exit, the start) is
what `status`, `status --json`, `runs` and the watcher (the dashboard's rows) all say (issue 9, 5-7)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from waitbuddy.runs import registry
from waitbuddy.runs.run import Run
from waitbuddy.runs.watcher import Watcher
from waitbuddy.store import Store

from .conftest import run_cli


def launch(tmp_path: Path, log: Path, code: str) -> int:
    return run_cli("run", "--log", str(log), "--", sys.executable, "-c", code).returncode


def watcher_snapshot(database: Path, log: Path) -> dict:
    seen: dict[str, dict] = {}
    with Store.open(database) as store:
        watcher = Watcher([], on_snapshots=lambda batch: seen.update((s["path"], s) for s in batch),
                          store=store, follow_store=True)
        watcher.start()
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and seen.get(str(log), {}).get("status") in (None, "waiting", "running"):
                time.sleep(0.05)
        finally:
            watcher.stop()
    return seen[str(log)]


def test_a_recorded_exit_is_the_same_failure_in_every_view(tmp_path):
    log = tmp_path / "job.log"
    assert launch(tmp_path, log, "import sys; print('step 1/10 loss=0.5', flush=True); sys.exit(3)") == 3
    status = json.loads(run_cli("status", "--json", str(log)).stdout)
    assert (status["status"], status["exit_code"], status["error"]["message"]) == ("failed", 3, "exited with status 3")
    assert status["eta_seconds"] is None
    every = [json.loads(line) for line in run_cli("status", "--json").stdout.splitlines()]
    assert [(item["status"], item["exit_code"]) for item in every] == [("failed", 3)]
    assert "failed" in run_cli("status", str(log)).stdout and "exited with status 3" in run_cli("status").stdout
    runs = [json.loads(line) for line in run_cli("runs", "--json").stdout.splitlines()]
    assert [(item["status"], item["exit_code"]) for item in runs] == [("failed", 3)]
    database = Path(json.loads(run_cli("paths", "--json").stdout)["database"])
    watched = watcher_snapshot(database, log)
    assert (watched["status"], watched["exit_code"], watched["error"]) == ("failed", 3, status["error"])


def test_a_quick_completed_run_is_completed_not_running(tmp_path):
    log = tmp_path / "quick.log"
    assert launch(tmp_path, log, "print('step 10/10 loss=0.25')") == 0
    status = json.loads(run_cli("status", "--json", str(log)).stdout)
    assert (status["status"], status["exit_code"], status["metrics"]) == ("completed", 0, {"loss": 0.25})
    assert status["elapsed_seconds"] is not None and status["elapsed_seconds"] < 10


def test_duration_ends_at_the_last_output_not_after_the_completion_wait():
    run = Run("job.log")
    t0 = 1_700_000_000.0
    for second in range(6):
        run.feed(f"\rtrain: {second * 20:>3}%|##  | {second}/5 [00:0{second}<00:00, 1.00it/s]", t0 + second)
    run.tick(t0 + 70)
    snapshot = run.snapshot(t0 + 70)
    assert snapshot["status"] == "completed"
    assert snapshot["elapsed_seconds"] == 5  # not 1m05s
    assert snapshot["ended_at"] == snapshot["updated_at"]


def test_the_store_keeps_the_end_the_run_reports(store):
    record = registry.ensure_run(store, "/runs/a/train.log", name="a")
    run = Run("/runs/a/train.log")
    t0 = 1_700_000_000.0
    run.feed("\rtrain: 100%|####| 5/5 [00:05<00:00, 1.00it/s]", t0)
    run.tick(t0 + 70)
    registry.save_state(store, record.id, run.snapshot(t0 + 70))
    assert registry.get(store, run_id=record.id).ended_at == run.snapshot(t0)["updated_at"]
