"""What a person does with feed items: read, dismiss, save to the backlog, undo; the ranker that
learns from it; retention.

Every change is one transaction that also records its event (``feeds``/``read``,
``feeds``/``saved``, ``feeds``/``dismissed``: the item id for one item, ``count`` in the detail
for many) and teaches the ranker (saved +1, read +0.5, dismissed -1; its state is the JSON setting
:data:`RANKER_SETTING`, updated incrementally). Each returns an :class:`Undo`; :func:`undo` puts
the items' state back, forgets the events and takes the lessons back. Use through
:mod:`waitbuddy.feeds.library`, which re-exports this module's functions.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from waitbuddy import history
from waitbuddy.feeds.rank import Ranker
from waitbuddy.reading import backlog
from waitbuddy.reading.model import DEFAULT_WORDS_PER_MINUTE, Item, PageInfo
from waitbuddy.store import Store

RANKER_SETTING = "feeds.ranker"
WEIGHTS = {"saved": 1.0, "read": 0.5, "dismissed": -1.0}
_STATE = ("id", "read_at", "saved_at", "dismissed_at", "backlog_id")

Lesson = tuple[str, float, int]  # (text, weight, +1 learn / -1 unlearn)


@dataclass(frozen=True)
class Undo:
    """How to take a change back: the items' state as it was, the events it recorded, what the
    ranker learned, and for a save the backlog's own undo."""

    label: str
    rows: tuple[dict[str, Any], ...]
    event_ids: tuple[int, ...] = ()
    lessons: tuple[Lesson, ...] = ()
    backlog: backlog.Undo | None = None

    @property
    def count(self) -> int:
        return len(self.rows)


def _stamp(now: datetime | None) -> str:
    return history.stamp(now)


def _text(row: sqlite3.Row) -> str:
    return f"{row['title']}\n{row['summary']}" if row["summary"] else row["title"]


def _rows(db: sqlite3.Connection, ids: Sequence[int]) -> list[sqlite3.Row]:
    found = []
    for item_id in dict.fromkeys(int(item_id) for item_id in ids):
        row = db.execute("SELECT * FROM feed_items WHERE id = ?", (item_id,)).fetchone()
        if row is not None:
            found.append(row)
    return found


def _record(db: sqlite3.Connection, kind: str, rows: list[sqlite3.Row], now: datetime | None) -> list[int]:
    if not rows:
        return []
    if len(rows) == 1:
        detail = {"title": rows[0]["title"], "url": rows[0]["link"], "key": rows[0]["key"]}
        return [history.record(db, "feeds", kind, rows[0]["id"], detail=detail, at=now)]
    return [history.record(db, "feeds", kind, "", detail={"count": len(rows)}, at=now)]


def _teach(db: sqlite3.Connection, lessons: Sequence[Lesson]) -> None:
    if not lessons:
        return
    row = db.execute("SELECT value FROM settings WHERE key = ?", (RANKER_SETTING,)).fetchone()
    model = _model(row[0] if row else None)
    for text, weight, sign in lessons:
        (model.learn if sign > 0 else model.unlearn)(text, weight)
    db.execute("""INSERT INTO settings (key, value) VALUES (?, ?)
                  ON CONFLICT (key) DO UPDATE SET value = excluded.value,
                  updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')""",
               (RANKER_SETTING, json.dumps(model.to_dict(), separators=(",", ":"))))


def _model(value: str | None, interests: Sequence[str] = ()) -> Ranker:
    if value:
        try:
            return Ranker.from_dict(json.loads(value), interests)
        except ValueError:
            pass  # a damaged or newer model: start again rather than fail every action
    return Ranker(interests)


def ranker(store: Store, interests: Sequence[str] = ()) -> Ranker:
    """The relevance model learned from saves and reads (+) and dismissals (-), with ``interests``."""
    return _model(store.get_setting(RANKER_SETTING), interests)


def set_read(store: Store, ids: Sequence[int], read: bool = True, *, now: datetime | None = None) -> Undo:
    """Mark items read (or unread again); items already so are left alone."""
    at = _stamp(now)
    with store.transaction() as db:
        rows = [row for row in _rows(db, ids) if (row["read_at"] is None) == read]
        db.executemany("UPDATE feed_items SET read_at = ? WHERE id = ?",
                       [(at if read else None, row["id"]) for row in rows])
        lessons = tuple((_text(row), WEIGHTS["read"], 1 if read else -1) for row in rows)
        _teach(db, lessons)
        events = _record(db, "read", rows, now) if read else []
    return Undo(("read" if read else "unread") + _count(rows), tuple(_state(row) for row in rows), tuple(events),
                lessons)


def dismiss(store: Store, ids: Sequence[int], *, now: datetime | None = None) -> Undo:
    """Hide items (they stay stored until retention; the ranker learns what you do not want)."""
    at = _stamp(now)
    with store.transaction() as db:
        rows = [row for row in _rows(db, ids) if row["dismissed_at"] is None]
        db.executemany("UPDATE feed_items SET dismissed_at = ? WHERE id = ?", [(at, row["id"]) for row in rows])
        lessons = tuple((_text(row), WEIGHTS["dismissed"], 1) for row in rows)
        _teach(db, lessons)
        events = _record(db, "dismissed", rows, now)
    return Undo("dismiss" + _count(rows), tuple(_state(row) for row in rows), tuple(events), lessons)


def to_backlog(store: Store, entry_id: int, *, now: datetime | None = None,
               words_per_minute: int = DEFAULT_WORDS_PER_MINUTE) -> tuple[Item, bool, Undo]:
    """Save an item to the reading backlog; returns the backlog item, whether it is new there, and
    the undo (which also removes a backlog item this created).

    An arXiv paper goes in as a paper titled as the feed titles it, its abstract as the note and
    its minutes from the page count in its comment (``23 pages`` -> the backlog's estimate); it is
    not fetched again. Other items are fetched by the backlog as a link added by hand is. Raises
    ``KeyError`` for an unknown id and ``ValueError`` when the item has no http(s) link.
    """
    rows = store.query("SELECT * FROM feed_items WHERE id = ?", (entry_id,))
    if not rows:
        raise KeyError(entry_id)
    row = rows[0]
    if not row["link"]:
        raise ValueError("this item has no link to save")
    item = backlog.find_item(store, row["link"])
    created, backlog_undo = False, None
    if item is None:
        known = row["arxiv_id"] is not None and row["pages"] is not None
        item, created = backlog.add_url(store, row["link"], title=row["title"], note=row["summary"], source="feeds",
                                        fetch=not known, now=now)
        if created:
            if known:
                info = PageInfo(title=row["title"], description=row["summary"][:1000], kind="paper",
                                pages=row["pages"])
                item = backlog.record_fetch(store, item.id, info, words_per_minute=words_per_minute,
                                            now=now) or item
            added = store.query("SELECT id FROM events WHERE domain = 'reading' AND kind = 'added' AND subject = ?",
                                (str(item.id),))
            backlog_undo = backlog.Undo("save from feeds", (), (item.id,), tuple(event[0] for event in added))
    at = _stamp(now)
    with store.transaction() as db:
        current = _rows(db, [entry_id])
        fresh = [found for found in current if found["saved_at"] is None]
        db.execute("UPDATE feed_items SET saved_at = coalesce(saved_at, ?), backlog_id = ? WHERE id = ?",
                   (at, item.id, entry_id))
        lessons = tuple((_text(found), WEIGHTS["saved"], 1) for found in fresh)
        _teach(db, lessons)
        events = _record(db, "saved", fresh, now)
    return item, created, Undo("save to backlog", tuple(_state(found) for found in current), tuple(events), lessons,
                               backlog_undo)


def undo(store: Store, change: Undo) -> int:
    """Put back what ``change`` changed; returns how many items."""
    if change.backlog is not None:
        backlog.restore(store, change.backlog)
    with store.transaction() as db:
        history.forget(db, change.event_ids)
        db.executemany("UPDATE feed_items SET read_at = ?, saved_at = ?, dismissed_at = ?, backlog_id = ? WHERE id = ?",
                       [(row["read_at"], row["saved_at"], row["dismissed_at"], row["backlog_id"], row["id"])
                        for row in change.rows])
        _teach(db, [(text, weight, -sign) for text, weight, sign in reversed(change.lessons)])
    return change.count


def prune(store: Store, retention_days: int, now: datetime) -> int:
    """Forget items no feed has listed for ``retention_days`` days; saved items are kept."""
    cutoff = _stamp(now - timedelta(days=max(int(retention_days), 0)))
    with store.transaction() as db:
        cursor = db.execute("DELETE FROM feed_items WHERE saved_at IS NULL AND seen_at < ?", (cutoff,))
    return cursor.rowcount


def _state(row: sqlite3.Row) -> dict[str, Any]:
    return {name: row[name] for name in _STATE}


def _count(rows: Sequence[object]) -> str:
    return f" {len(rows)}" if len(rows) != 1 else ""
