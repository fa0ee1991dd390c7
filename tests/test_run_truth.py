"""One source of truth for a run's state: what `waitbuddy run` recorded (the exit, the start) is
what `status`, `status --json`, `runs` and the watcher (the dashboard's rows) all say (issue 9, 5-7)."""

from __future__ import annotations

import codecs
import json
import sys
import time
from pathlib import Path

from waitbuddy.alerts.events import AlertPolicy
from waitbuddy.runs import registry
from waitbuddy.runs.run import Run
from waitbuddy.runs.snapshot import RunSnapshot
from waitbuddy.runs.status import read_once
from waitbuddy.runs.watcher import Watcher
from waitbuddy.store import Store

from .conftest import run_cli
from .replay import chunks


def launch(tmp_path: Path, log: Path, code: str) -> int:
    return run_cli("run", "--log", str(log), "--", sys.executable, "-c", code).returncode


def watcher_snapshot(database: Path, log: Path) -> RunSnapshot:
    seen: dict[str, RunSnapshot] = {}
    with Store.open(database) as store:
        watcher = Watcher([], on_snapshots=lambda batch: seen.update((s.path, s) for s in batch),
                          store=store, follow_store=True)
        watcher.start()
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and getattr(seen.get(str(log)), "status", None) in (None, "waiting", "running"):
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
    assert (watched.status, watched.exit_code, watched.to_json()["error"]) == ("failed", 3, status["error"])


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
    assert snapshot.status == "completed"
    assert snapshot.elapsed_seconds == 5  # not 1m05s
    assert snapshot.ended_at == snapshot.updated_at


def test_the_store_keeps_the_end_the_run_reports(store):
    record = registry.ensure_run(store, "/runs/a/train.log", name="a")
    run = Run("/runs/a/train.log")
    t0 = 1_700_000_000.0
    run.feed("\rtrain: 100%|####| 5/5 [00:05<00:00, 1.00it/s]", t0)
    run.tick(t0 + 70)
    registry.save_state(store, record.id, run.snapshot(t0 + 70))
    assert registry.get(store, run_id=record.id).ended_at == run.snapshot(t0).updated_at


def _replayed(name: str, until: float | None = None) -> tuple[Run, bytes]:
    """A watcher's reading of a recorded real run, fed as it was written (up to ``until`` s)."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    run, written = Run(name), b""
    for seconds, data in chunks(name):
        if until is not None and seconds > until:
            break
        run.feed(decoder.decode(data), 1_700_000_000.0 + seconds)
        written += data
    return run, written


def test_the_headline_is_the_same_live_after_a_restart_and_in_status(tmp_path):
    """Mid-run and at the end, the dashboard that watched from the start, a dashboard started
    later (it reads the log's head and tail) and `status` name the same headline metric."""
    for until in (40.0, None):
        live, written = _replayed("torch_nested.log", until)
        log = tmp_path / "train.log"
        log.write_bytes(written)
        restarted = read_once(log, now=log.stat().st_mtime)
        assert restarted.headline() == live.headline(), until
        assert restarted.snapshot(0).metrics == live.snapshot(0).metrics, until
    assert live.headline() == ("train_loss", 0.1385)  # the run's last summary, in every view


def test_a_real_run_that_trains_on_with_nan_alerts_once():
    policy, run, alerts = AlertPolicy(), Run("torch_nested_nan.log"), []
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    policy.observe(run.snapshot(0), 0)
    for seconds, data in chunks("torch_nested_nan.log"):
        run.feed(decoder.decode(data), 1_700_000_000.0 + seconds)
        alerts += policy.observe(run.snapshot(1_700_000_000.0 + seconds), seconds)
    assert [alert.kind for alert in alerts] == ["nan"]
