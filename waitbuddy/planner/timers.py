"""Timers on accepted suggestions, and the pace they teach.

Accepting a suggestion starts a timer (any running one ends as ``replaced``); finishing it (the
strip's done key, or the item marked done in its own area) records the minutes, and so does the
run it filled ending (``run-ended``: the wait was over, the item maybe not). Only ``done`` timers
teach a pace: how this person's minutes compare with the estimates, per kind, and per checklist
item. Practice keeps its own pace (minutes per difficulty from timed attempts, see
:mod:`waitbuddy.practice.pick`); accepting a problem starts it there too.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from waitbuddy import history
from waitbuddy.planner.model import KINDS, Candidate
from waitbuddy.store import Store
from waitbuddy.timefmt import iso_utc, parse_iso

OUTCOMES = ("done", "replaced", "stopped", "run-ended")
PACE_AFTER = 3  # done timers of a kind before its pace replaces the estimates
PACE_RANGE = (0.25, 4.0)  # a pace outside this is taken as noise (a timer left running overnight)
LONGEST = 8 * 60  # minutes: a timer running longer was forgotten, not worked


@dataclass(frozen=True)
class Timer:
    id: int
    kind: str
    ref: str
    title: str
    url: str
    estimate: int | None
    started_at: datetime
    ended_at: datetime | None = None
    minutes: float | None = None
    outcome: str | None = None

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.ref}"

    def elapsed(self, now: datetime) -> float:
        """Minutes since it started (or that it ran, once ended)."""
        if self.minutes is not None:
            return self.minutes
        return max((now - self.started_at).total_seconds() / 60, 0.0)


@dataclass(frozen=True)
class Pace:
    """Multipliers on the estimates, learned from done timers: ``ratio[kind]`` (1.0: as
    estimated) once there are enough, and minutes per checklist item done before."""

    ratio: dict[str, float] = field(default_factory=dict)
    checklist_minutes: dict[str, int] = field(default_factory=dict)  # checklist item id -> minutes

    def minutes(self, kind: str, estimate: int) -> tuple[int, bool]:
        """The minutes to plan for an item estimated at ``estimate``; True when it is the person's pace."""
        ratio = self.ratio.get(kind)
        if ratio is None:
            return estimate, False
        return max(1, round(estimate * ratio)), True


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(UTC)


def _timer(row) -> Timer:
    return Timer(row["id"], row["kind"], row["ref"], row["title"], row["url"], row["estimate"],
                 parse_iso(row["started_at"]), parse_iso(row["ended_at"]) if row["ended_at"] else None,
                 row["minutes"], row["outcome"])


def active(store: Store) -> Timer | None:
    rows = store.query("SELECT * FROM plan_timers WHERE ended_at IS NULL ORDER BY id DESC LIMIT 1")
    return _timer(rows[0]) if rows else None


def start(store: Store, candidate: Candidate, *, now: datetime | None = None) -> Timer:
    """Start timing ``candidate``; a timer already running ends as ``replaced``."""
    if candidate.kind not in KINDS:
        raise ValueError(f"unknown kind {candidate.kind!r}")
    now = _now(now)
    with store.transaction() as db:
        _end(db, now, "replaced")
        cursor = db.execute(
            "INSERT INTO plan_timers (kind, ref, title, url, estimate, started_at) VALUES (?, ?, ?, ?, ?, ?)",
            (candidate.kind, candidate.ref, candidate.title, candidate.url, candidate.minutes, iso_utc(now)))
        history.record(db, "planner", "accepted", candidate.key, at=now,
                       detail={"title": candidate.title, "minutes": candidate.minutes})
        row = db.execute("SELECT * FROM plan_timers WHERE id = ?", (cursor.lastrowid,)).fetchone()
    return _timer(row)


def finish(store: Store, *, outcome: str = "done", now: datetime | None = None,
           at: datetime | None = None) -> Timer | None:
    """End the running timer (``at``: when the item was really finished, if known); None if none runs."""
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}")
    now = _now(now)
    with store.transaction() as db:
        ended = _end(db, _now(at) if at is not None else now, outcome)
        if ended is None:
            return None
        if outcome == "done":
            history.record(db, "planner", "finished", f"{ended['kind']}:{ended['ref']}", at=now,
                           detail={"title": ended["title"], "minutes": round(ended["minutes"] or 0, 1)})
        row = db.execute("SELECT * FROM plan_timers WHERE id = ?", (ended["id"],)).fetchone()
    return _timer(row)


def settle(store: Store, *, now: datetime | None = None) -> Timer | None:
    """The running timer's item was finished in its own area (marked read in the backlog, a
    checklist item ticked, a problem done in Practice): end the timer as done, at that moment.
    Returns the ended timer, or None."""
    timer = active(store)
    if timer is None or (done_at := finished_at(store, timer)) is None:
        return None
    return finish(store, now=now, at=done_at)


def finished_at(store: Store, timer: Timer) -> datetime | None:
    """When the timed item was finished in its own domain after the timer started, or None
    (a paper from a feed is read by opening it: only the strip's done key finishes it)."""
    moments: list[datetime] = []
    if timer.kind == "reading" and timer.ref.isdigit():
        from waitbuddy.reading import backlog

        item = backlog.get_item(store, int(timer.ref))
        if item is not None and item.status == "done" and item.done_at is not None:
            moments = [item.done_at]
    elif timer.kind == "checklist" and timer.ref.isdigit():
        from waitbuddy.checklists import library

        item = library.get(store, int(timer.ref))
        moments = list(item.completions) if item is not None else []
    elif timer.kind == "practice":
        from waitbuddy.practice import progress

        moments = [attempt.at for attempt in progress.attempts(store, timer.ref)]
    after = [moment for moment in moments if moment >= timer.started_at]
    return min(after) if after else None


def _end(db, when: datetime, outcome: str):
    row = db.execute("SELECT * FROM plan_timers WHERE ended_at IS NULL ORDER BY id DESC LIMIT 1").fetchone()
    if row is None:
        return None
    started = parse_iso(row["started_at"])
    minutes = max((when - started).total_seconds() / 60, 0.0)
    db.execute("UPDATE plan_timers SET ended_at = ?, minutes = ?, outcome = ? WHERE ended_at IS NULL",
               (iso_utc(max(when, started)), minutes, outcome))
    return db.execute("SELECT * FROM plan_timers WHERE id = ?", (row["id"],)).fetchone()


def recent_minutes(store: Store, now: datetime, days: int = 7) -> dict[str, float]:
    """Minutes per kind spent on accepted items in the last ``days`` (a running timer counts so far)."""
    now = _now(now)
    since = iso_utc(now - timedelta(days=days))
    spent: dict[str, float] = {}
    for row in store.query("SELECT * FROM plan_timers WHERE started_at >= ?", (since,)):
        timer = _timer(row)
        spent[timer.kind] = spent.get(timer.kind, 0.0) + min(timer.elapsed(now), LONGEST)
    return spent


def pace(store: Store) -> Pace:
    """What the done timers say about this person's pace."""
    ratios: dict[str, list[float]] = {}
    per_item: dict[str, list[float]] = {}
    rows = store.query("SELECT kind, ref, estimate, minutes FROM plan_timers WHERE outcome = 'done' "
                       "AND minutes IS NOT NULL ORDER BY id DESC LIMIT 2000")
    for kind, ref, estimate, minutes in rows:
        if not 0 < minutes <= LONGEST:
            continue
        if kind == "checklist":
            per_item.setdefault(ref, []).append(minutes)
        if estimate and estimate > 0:
            ratio = minutes / estimate
            if PACE_RANGE[0] <= ratio <= PACE_RANGE[1]:
                ratios.setdefault(kind, []).append(ratio)
    return Pace(
        ratio={kind: statistics.median(found) for kind, found in ratios.items()
               if kind not in ("practice", "checklist") and len(found) >= PACE_AFTER},
        checklist_minutes={ref: max(1, round(statistics.median(found))) for ref, found in per_item.items()})
