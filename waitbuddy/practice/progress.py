"""Progress in the store: attempts, each problem's fsrs card, what is due, importing what was solved.

Spaced review is the ``fsrs`` package's scheduler (FSRS-6): each attempt is a review of the
problem's card with the person's rating (again / hard / good / easy); the card state is stored as
``Card.to_dict()`` JSON. A problem is never due again the same local day as an attempt, whatever the
card says (fsrs's learning steps are minutes; re-solving a problem ten minutes later teaches
nothing), so one rated hard is not shown again until tomorrow.

Every change is one transaction that also records its event (``practice``/``done``: the slug,
with rating and minutes; ``practice``/``started``; ``practice``/``imported``: the count) and
returns an :class:`Undo` that :func:`undo` takes back.
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from waitbuddy import history
from waitbuddy.store import Store
from waitbuddy.timefmt import parse_iso

if TYPE_CHECKING:
    from fsrs import Scheduler

RATINGS = ("again", "hard", "good", "easy")
STATUSES = ("new", "attempted", "solved")
MAX_MINUTES = 24 * 60
_COLUMNS = ("slug", "status", "card", "due", "started_at", "solved_at", "imported_at")


@dataclass(frozen=True)
class State:
    slug: str
    status: str  # attempted / solved (a problem without a State is new)
    card: dict[str, Any] | None  # fsrs Card.to_dict(); None: imported as solved, never reviewed here
    due: datetime | None
    started_at: datetime | None = None
    solved_at: datetime | None = None
    imported_at: datetime | None = None


@dataclass(frozen=True)
class Attempt:
    id: int
    slug: str
    at: datetime
    minutes: int | None
    rating: str


@dataclass(frozen=True)
class Undo:
    label: str
    rows: tuple[tuple[str, dict[str, Any] | None], ...]  # each slug's row before, None if it had none
    attempt_ids: tuple[int, ...] = ()
    event_ids: tuple[int, ...] = ()


def make_scheduler(desired_retention: float = 0.9, fuzzing: bool = True) -> Scheduler:
    from fsrs import Scheduler  # here: `practice next`, `list` and `stats` never schedule a card

    return Scheduler(desired_retention=desired_retention, enable_fuzzing=fuzzing)


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def next_day(moment: datetime) -> datetime:
    """The start of the local day after ``moment``'s, in UTC."""
    local = moment.astimezone()
    start = datetime.combine(local.date() + timedelta(days=1), time(), tzinfo=local.tzinfo)
    return start.astimezone(UTC)


def end_of_day(moment: datetime) -> datetime:
    """The end of ``moment``'s local day: what is due by then is due today."""
    return next_day(moment) - timedelta(microseconds=1)


def local_day(moment: datetime) -> Any:
    return moment.astimezone().date()


def _when(text: str | None) -> datetime | None:
    return parse_iso(text) if text else None


def _state(row: sqlite3.Row) -> State:
    return State(slug=row["slug"], status=row["status"], card=json.loads(row["card"]) if row["card"] else None,
                 due=_when(row["due"]), started_at=_when(row["started_at"]), solved_at=_when(row["solved_at"]),
                 imported_at=_when(row["imported_at"]))


def states(store: Store) -> dict[str, State]:
    return {row["slug"]: _state(row) for row in store.query("SELECT * FROM practice_problems")}


def attempts(store: Store, slug: str | None = None) -> list[Attempt]:
    sql, params = "SELECT * FROM practice_attempts", []
    if slug is not None:
        sql, params = sql + " WHERE slug = ?", [slug]
    return [Attempt(row["id"], row["slug"], parse_iso(row["at"]), row["minutes"], row["rating"])
            for row in store.query(sql + " ORDER BY at, id", params)]


def is_due(state: State, now: datetime) -> bool:
    """Due today: its next review falls before the end of the local day."""
    return state.due is not None and state.due <= end_of_day(now)


def _row(db: sqlite3.Connection, slug: str) -> dict[str, Any] | None:
    row = db.execute("SELECT * FROM practice_problems WHERE slug = ?", (slug,)).fetchone()
    return None if row is None else {key: row[key] for key in _COLUMNS}


def _put(db: sqlite3.Connection, values: dict[str, Any]) -> None:
    db.execute(f"INSERT OR REPLACE INTO practice_problems ({', '.join(_COLUMNS)}) VALUES "
               f"({', '.join('?' for _ in _COLUMNS)})", [values.get(key) for key in _COLUMNS])


def record_attempt(store: Store, slug: str, rating: str, minutes: int | None = None, *,
                   now: datetime | None = None, scheduler: Scheduler | None = None) -> Undo:
    """One attempt at ``slug``: reviews its card with ``rating``, stores the attempt and the card.
    Without ``minutes``, the time since the person started it (if they did, within a day)."""
    from fsrs import Card, Rating

    if rating not in RATINGS:
        raise ValueError(f"rating must be one of {', '.join(RATINGS)}, got {rating!r}")
    if minutes is not None and not 0 <= minutes <= MAX_MINUTES:
        raise ValueError(f"minutes must be 0 to {MAX_MINUTES}, got {minutes}")
    now = (now or utc_now()).astimezone(UTC)
    scheduler = scheduler or make_scheduler()
    with store.transaction() as db:
        before = _row(db, slug)
        values = dict(before or {"slug": slug, "status": "new"})
        card = Card.from_dict(json.loads(values["card"])) if values.get("card") else Card(card_id=_card_id(slug))
        card, _log = scheduler.review_card(card, Rating[rating.capitalize()], review_datetime=now)
        started = _when(values.get("started_at"))
        if minutes is None and started is not None and timedelta(0) <= now - started <= timedelta(days=1):
            minutes = max(1, round((now - started).total_seconds() / 60))
        solved = rating != "again" or values["status"] == "solved"
        values.update(status="solved" if solved else "attempted", card=json.dumps(card.to_dict()),
                      due=history.stamp(max(card.due, next_day(now))), started_at=None)
        if solved and not values.get("solved_at"):
            values["solved_at"] = history.stamp(now)
        _put(db, values)
        attempt = db.execute("INSERT INTO practice_attempts (slug, at, minutes, rating) VALUES (?, ?, ?, ?)",
                             (slug, history.stamp(now), minutes, rating)).lastrowid
        event = history.record(db, "practice", "done", slug, detail={"rating": rating, "minutes": minutes}, at=now)
    return Undo(f"done {slug}", ((slug, before),), (attempt,), (event,))  # type: ignore[arg-type]


def start(store: Store, slug: str, *, now: datetime | None = None) -> Undo:
    """The person starts ``slug`` now: ``done`` without minutes counts from here."""
    now = (now or utc_now()).astimezone(UTC)
    with store.transaction() as db:
        before = _row(db, slug)
        values = dict(before or {"slug": slug, "status": "attempted"})
        values["started_at"] = history.stamp(now)
        _put(db, values)
        event = history.record(db, "practice", "started", slug, at=now)
    return Undo(f"start {slug}", ((slug, before),), (), (event,))


def import_solved(store: Store, slugs: Iterable[str], *, now: datetime | None = None) -> tuple[int, Undo]:
    """Mark ``slugs`` solved without inventing attempts: no card, so nothing is due until the person
    attempts one here. Problems already solved are left alone. Returns (how many changed, Undo)."""
    now = (now or utc_now()).astimezone(UTC)
    rows: list[tuple[str, dict[str, Any] | None]] = []
    with store.transaction() as db:
        for slug in dict.fromkeys(slugs):
            before = _row(db, slug)
            if before is not None and before["status"] == "solved":
                continue
            values = dict(before or {"slug": slug})
            values.update(status="solved", solved_at=history.stamp(now), imported_at=history.stamp(now))
            _put(db, values)
            rows.append((slug, before))
        events = (history.record(db, "practice", "imported", "", detail={"count": len(rows)}, at=now),) if rows else ()
    return len(rows), Undo(f"import {len(rows)}", tuple(rows), (), events)


def undo(store: Store, change: Undo) -> None:
    """Take a change back: each problem's row as it was, its attempts and events gone."""
    with store.transaction() as db:
        for slug, before in change.rows:
            if before is None:
                db.execute("DELETE FROM practice_problems WHERE slug = ?", (slug,))
            else:
                _put(db, before)
        db.executemany("DELETE FROM practice_attempts WHERE id = ?", ((i,) for i in change.attempt_ids))
        history.forget(db, change.event_ids)


def _card_id(slug: str) -> int:
    """A stable card id per problem (fsrs's default is the creation time in ms, and sleeps 1 ms)."""
    return zlib.crc32(slug.encode("utf-8")) + 1
