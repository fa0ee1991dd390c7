"""RunSnapshot, the state every consumer reads: its JSON form is the documented contract (README),
reading it back gives the same snapshot, and a stored one from an older version or a damaged row
reads as what can be read, never an exception."""

from __future__ import annotations

import json
import os
import re
from dataclasses import fields, replace
from pathlib import Path

import pytest

from waitbuddy.runs import registry
from waitbuddy.runs.run import Run
from waitbuddy.runs.snapshot import RunSnapshot, SnapshotEpoch, SnapshotError, SnapshotProgress
from waitbuddy.runs.status import read_once
from waitbuddy.store import Store

from .conftest import run_cli
from .corpus import logs as corpus_logs
from .realcorpus import REAL

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
T0 = 1_700_000_000.0


def readme_example() -> dict:
    """The object README.md shows for `status --json`."""
    (block,) = re.findall(r"`status --json` and `watch --json` print one object per run:\n\n```json\n(.*?)```",
                          README, re.DOTALL)
    return json.loads(block)


def all_logs() -> list[Path]:
    return corpus_logs() + sorted(REAL.glob("*.log"))


# --- the JSON contract --------------------------------------------------------------------------------


def test_the_readme_example_reads_back_key_for_key_in_order():
    example = readme_example()
    snapshot = RunSnapshot.from_json(example)
    assert snapshot.progress == SnapshotProgress("step", 450, 1000, 0.45)
    assert snapshot.epoch == SnapshotEpoch(1, 3) and snapshot.fraction == 0.45 and not snapshot.ended
    produced = snapshot.to_json()
    assert produced == example
    assert list(produced) == list(example)  # the order is part of the contract
    assert list(produced["progress"]) == list(example["progress"])


def test_status_json_prints_the_documented_keys_in_order(tmp_path):
    log = tmp_path / "train.log"
    log.write_text("Epoch 1/3\nstep 450/1000 loss=0.31\nTraceback (most recent call last):\nValueError: bad\n")
    result = run_cli("status", "--json", str(log), env={"WAITBUDDY_DATA_DIR": str(tmp_path / "data")})
    (line,) = result.stdout.splitlines()
    printed = json.loads(line)
    assert list(printed) == list(readme_example())
    assert list(printed["progress"]) == ["unit", "done", "total", "fraction"]
    assert list(printed["epoch"]) == ["done", "total"] and list(printed["error"]) == ["kind", "message"]
    # The same object Run.snapshot gives, printed through to_json (what the store keeps too).
    assert RunSnapshot.from_json(printed).to_json() == printed
    assert printed["status"] == "failed" and printed["error"]["message"] == "ValueError: bad"


def test_the_dashboards_additions_are_not_in_the_json():
    snapshot = replace(RunSnapshot.from_json(readme_example()), spark=(1.0, 0.5), run_id=3, muted=True,
                       saved_at="2026-11-22T12:00:00Z")
    assert snapshot.to_json() == readme_example()


# --- round trip ------------------------------------------------------------------------------------


def test_every_corpus_log_round_trips_through_its_json():
    """Over the generated corpus and the real logs: the JSON as printed, read back, is the same snapshot."""
    seen = {"error": 0, "epoch": 0, "progress": 0, "metrics": 0, "non-finite": 0, "ended_at": 0}
    paths = all_logs()
    assert len(paths) > 50
    for path in paths:
        now = os.stat(path).st_mtime + 5.0
        snapshot = read_once(path, now=now).snapshot(now)
        text = json.dumps(snapshot.to_json(), allow_nan=False)
        assert RunSnapshot.from_json(json.loads(text)) == snapshot, path.name
        seen["error"] += snapshot.error is not None
        seen["epoch"] += snapshot.epoch is not None
        seen["progress"] += snapshot.progress is not None
        seen["metrics"] += bool(snapshot.metrics)
        seen["non-finite"] += any(isinstance(value, str) for value in snapshot.metrics.values())
        seen["ended_at"] += snapshot.ended_at is not None
    assert all(seen.values()), seen  # every part of the snapshot was exercised


def test_a_nan_metric_and_a_finished_run_of_unknown_length_round_trip():
    run = Run("/runs/x/train.log")
    run.feed("step 1/10 loss=0.5\nstep 2/10 loss=nan grad_norm=inf acc=-inf\n", T0)
    snapshot = run.snapshot(T0 + 1)
    assert snapshot.metrics == {"loss": "nan", "grad_norm": "inf", "acc": "-inf"}
    assert RunSnapshot.from_json(json.loads(json.dumps(snapshot.to_json()))) == snapshot
    done = Run("/runs/y/train.log")
    done.feed("loss=0.5\n", T0)
    done.exited(0, None, T0 + 2)
    finished = done.snapshot(T0 + 3)
    assert finished.progress == SnapshotProgress(None, None, None, 1.0) and finished.ended
    assert RunSnapshot.from_json(finished.to_json()) == finished


def test_the_store_keeps_the_json_and_gives_back_the_snapshot(store: Store):
    run = Run("/runs/a/train.log")
    run.feed("Epoch 1/3\nstep 5/10 loss=0.4\n", T0)
    snapshot = run.snapshot(T0 + 1)
    record = registry.ensure_run(store, snapshot.path, name=snapshot.name)
    registry.save_state(store, record.id, snapshot)
    (stored,) = store.query("SELECT summary FROM runs WHERE id = ?", (record.id,))
    data = json.loads(stored[0])
    assert list(data) == [*snapshot.to_json(), "saved_at"]
    summary = registry.get(store, run_id=record.id).summary
    assert summary.saved_at is not None
    assert replace(summary, saved_at=None) == snapshot


# --- tolerance -------------------------------------------------------------------------------------


@pytest.mark.parametrize("data", [{}, None, [], "running", 3, [{"status": "running"}]])
def test_nothing_readable_is_an_empty_snapshot(data):
    snapshot = RunSnapshot.from_json(data)
    assert snapshot == RunSnapshot(path="", name="", status="")
    assert snapshot.to_json()["metrics"] == {} and snapshot.fraction is None and not snapshot.ended


def test_an_older_stored_snapshot_reads_what_it_has():
    """Before best, exit_*, started_at and ended_at were kept: those read as empty."""
    old = {"path": "/r/a.log", "name": "a", "status": "completed", "framework": "keras",
           "progress": {"unit": "step", "done": 10, "total": 10}, "eta_seconds": 0.0, "elapsed_seconds": 12.5,
           "metrics": {"loss": 0.2}, "error": None, "updated_at": "2025-01-02T03:04:05Z", "saved_at": "2025-01-02T03:04:06Z"}
    snapshot = RunSnapshot.from_json(old)
    assert snapshot.progress == SnapshotProgress("step", 10, 10, None)
    assert (snapshot.best, snapshot.exit_code, snapshot.started_at, snapshot.ended_at) == ({}, None, None, None)
    assert snapshot.epoch is None and snapshot.stall is None and snapshot.note is None
    assert snapshot.ended and snapshot.elapsed_seconds == 12.5 and snapshot.saved_at == "2025-01-02T03:04:06Z"
    assert snapshot.to_json()["updated_at"] == "2025-01-02T03:04:05Z"


def test_a_damaged_stored_snapshot_keeps_what_can_be_read():
    damaged = {
        "path": "/r/a.log", "name": ["not", "a", "name"], "status": "running", "framework": 7,
        "progress": ["step", 1, 2], "epoch": {"done": "one", "total": True},
        "eta_seconds": "soon", "elapsed_seconds": float("inf"),
        "metrics": {"loss": 0.5, "acc": None, "lr": [1], "grad": "nan", "f1": "high", "ok": True},
        "best": {"loss": 0.4, "acc": "nan", "x": {}}, "error": {"kind": 3, "message": None},
        "stall": 5, "note": "file missing", "exit_code": 1.5, "exit_signal": False,
        "updated_at": "yesterday", "started_at": 1700000000, "ended_at": "2026-13-45T99:00:00Z", "saved_at": None,
    }
    snapshot = RunSnapshot.from_json(damaged)
    assert (snapshot.path, snapshot.name, snapshot.status, snapshot.framework) == ("/r/a.log", "", "running", None)
    assert snapshot.progress is None and snapshot.epoch == SnapshotEpoch(None, None)
    assert snapshot.eta_seconds is None and snapshot.elapsed_seconds is None
    assert snapshot.metrics == {"loss": 0.5, "grad": "nan"} and snapshot.best == {"loss": 0.4}
    assert snapshot.error == SnapshotError(None, "")
    assert (snapshot.stall, snapshot.note, snapshot.exit_code, snapshot.exit_signal) == (None, "file missing", None, None)
    assert (snapshot.updated_at, snapshot.started_at, snapshot.ended_at) == (None, None, None)
    json.dumps(snapshot.to_json(), allow_nan=False)  # what was read prints as strict JSON again


def test_damaged_rows_in_the_store_do_not_stop_the_history(store: Store, tmp_path):
    texts = ["{not json", '"a string"', "[1, 2]", '{"eta_seconds": "x", "saved_at": "bad", "metrics": [1]}',
             '{"status": "running", "eta_seconds": 600, "saved_at": "2999-01-01T00:00:00Z", "metrics": {"loss": 1}}',
             "\udcff"]
    for number, text in enumerate(texts):
        record = registry.ensure_run(store, f"/r/{number}.log", name=f"r{number}")
        with store.transaction() as db:
            db.execute("UPDATE runs SET status = 'running', summary = ? WHERE id = ?",
                       (text.encode("utf-8", "surrogateescape") if "\udcff" in text else text, record.id))
    records = {record.name: record for record in registry.runs(store)}
    assert records["r0"].summary is None and records["r5"].summary is None
    assert records["r1"].summary == RunSnapshot(path="", name="", status="") == records["r2"].summary
    assert records["r3"].summary.eta_seconds is None and records["r3"].summary.saved_at is None
    assert records["r4"].summary.metrics == {"loss": 1}
    assert registry.minutes_left(store, 1_800_000_000.0) == 10  # the readable row, saved "later"
    result = run_cli("runs", "--json", env={"WAITBUDDY_DATA_DIR": str(tmp_path / "data")})
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == len(texts)


def test_every_json_field_is_read_back():
    """A field added to the JSON without a reader would be lost from the store: this fails."""
    json_keys = set(readme_example())
    dashboard_only = {"spark", "run_id", "muted", "saved_at"}
    assert {field.name for field in fields(RunSnapshot)} - dashboard_only == json_keys
