"""registry.etas reads saved ETAs from the summaries' JSON without building snapshots (the
planner asks at every plan): it must take exactly what RunSnapshot.from_json would take."""

from __future__ import annotations

import json
import math
import time

import pytest

from waitbuddy.runs import registry
from waitbuddy.runs.snapshot import RunSnapshot
from waitbuddy.store import Store
from waitbuddy.timefmt import iso, timestamp

NOW = time.time()
SAVED = iso(NOW - 60)

SUMMARIES = {
    "int": {"eta_seconds": 600, "saved_at": SAVED},
    "float": {"eta_seconds": 90.5, "saved_at": SAVED},
    "zero": {"eta_seconds": 0, "saved_at": SAVED},
    "negative": {"eta_seconds": -5, "saved_at": SAVED},
    "bool": {"eta_seconds": True, "saved_at": SAVED},
    "text": {"eta_seconds": "600", "saved_at": SAVED},
    "none": {"eta_seconds": None, "saved_at": SAVED},
    "no saved_at": {"eta_seconds": 600},
    "saved_at with an offset": {"eta_seconds": 600, "saved_at": SAVED.replace("Z", "+00:00")},
    "saved_at with a fraction": {"eta_seconds": 600, "saved_at": SAVED.replace("Z", ".5Z")},
    "saved_at a date": {"eta_seconds": 600, "saved_at": SAVED[:10]},
    "saved_at a number": {"eta_seconds": 600, "saved_at": NOW},
    "saved_at unpadded": {"eta_seconds": 600, "saved_at": "2026-1-2T3:04:05Z"},
}
RAW = {"not JSON": "{eta", "a list": "[1, 2]", "Infinity": f'{{"eta_seconds": Infinity, "saved_at": "{SAVED}"}}',
       "empty": ""}


def from_snapshot(text: str) -> tuple[float, float] | None:
    """What the planner read before: the snapshot's ETA and saved time, as next_finish took them."""
    try:
        summary = RunSnapshot.from_json(json.loads(text))
    except (ValueError, TypeError):
        return None
    seconds, saved = summary.eta_seconds, timestamp(summary.saved_at)
    return (seconds, saved) if seconds is not None and seconds > 0 and saved else None


@pytest.mark.parametrize("text", [json.dumps(summary) for summary in SUMMARIES.values()] + list(RAW.values()),
                         ids=[*SUMMARIES, *RAW])
def test_an_eta_is_read_as_a_snapshot_reads_it(tmp_path, text: str) -> None:
    with Store.open(tmp_path / "w.db") as store:
        record = registry.ensure_run(store, "/runs/a.log", name="a")
        with store.transaction() as db:
            db.execute("UPDATE runs SET status = 'running', summary = ? WHERE id = ?", (text, record.id))
        found = registry.etas(store)
        expected = from_snapshot(text) if text else None
        assert [(eta.seconds, eta.saved) for eta in found] == ([expected] if expected else [])
        if found:
            assert math.isclose(found[0].seconds_left(NOW), found[0].seconds - (NOW - found[0].saved))


def test_only_shown_running_or_stalled_runs_have_an_eta(tmp_path) -> None:
    with Store.open(tmp_path / "w.db") as store:
        ids = {}
        for name, status in (("a", "running"), ("b", "stalled"), ("c", "completed"), ("d", "running")):
            record = registry.ensure_run(store, f"/runs/{name}.log", name=name if name != "d" else "")
            registry.save_state(store, record.id, RunSnapshot(f"/runs/{name}.log", name, status, eta_seconds=300))
            ids[name] = record.id
        registry.hide(store, ids["a"])
        assert [(eta.run_id, eta.name, eta.path) for eta in registry.etas(store)] == [
            (ids["d"], "", "/runs/d.log"), (ids["b"], "b", "/runs/b.log")]
        assert registry.minutes_left(store, time.time()) == 4
