"""Snapshots as the dashboard's watcher sends them, written as JSON in tests."""

from __future__ import annotations

from dataclasses import replace

from waitbuddy.runs.snapshot import RunSnapshot


def as_pushed(data: dict) -> RunSnapshot:
    """``data`` (the JSON form, plus what the watcher adds: spark, run_id, muted) as a RunSnapshot."""
    return replace(RunSnapshot.from_json(data), spark=tuple(data.get("spark") or ()), run_id=data.get("run_id"),
                   muted=bool(data.get("muted")))
