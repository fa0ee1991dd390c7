"""What happened, when: the events table, written once where a fact happens, read for reports.

A domain records an event in the same transaction as the change it tells of (an item marked done
with its ``done_at``, a run's status moving to an end), so the history never says what the data
does not, and is derived from facts recorded once, never from ``updated_at``. Reading is
headless: :func:`events` answers "what happened yesterday" for the planner's daily update.

Events (``domain``/``kind``; ``subject`` names the thing, ``detail`` is a JSON object):

- ``reading``/``added`` (item id; url, title), ``reading``/``imported`` (source; format, added,
  updated), ``reading``/``done`` and ``reading``/``archived`` (item id; url, title)
- ``runs``/``ended`` (run id; status, name, path, error_kind), ``runs``/``stalled`` (run id; name,
  path), ``runs``/``watch_added`` and ``runs``/``watch_removed`` (the pattern), ``runs``/``note``
  (run id; note: the note's id, kind: note or next, name; taken back if the note is removed)
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from waitbuddy.timefmt import iso, parse_iso

if TYPE_CHECKING:
    from waitbuddy.store import Store


@dataclass(frozen=True)
class Event:
    id: int
    at: datetime  # timezone-aware UTC, to the second
    domain: str
    kind: str
    subject: str
    detail: dict[str, Any]


def stamp(moment: datetime | None = None) -> str:
    """``moment`` (now when None) as events store it: :func:`~waitbuddy.timefmt.iso`."""
    return iso(None if moment is None else moment.timestamp())


def record(db: sqlite3.Connection, domain: str, kind: str, subject: object = "", *,
           detail: dict[str, Any] | None = None, at: datetime | str | None = None) -> int:
    """Add one event inside the caller's transaction (``db`` from ``Store.transaction()``);
    returns its id. ``at`` is when it happened (a datetime, or text as ``timefmt.iso`` writes it;
    default now)."""
    when = at if isinstance(at, str) else stamp(at)
    cursor = db.execute(
        "INSERT INTO events (at, domain, kind, subject, detail) VALUES (?, ?, ?, ?, ?)",
        (when, domain, kind, _text(subject), json.dumps(detail or {}, default=_text)),
    )
    return cursor.lastrowid  # type: ignore[return-value]


def recorded(db: sqlite3.Connection, domain: str, kind: str, subject: object, at: str) -> bool:
    """An event of this kind about ``subject`` at exactly ``at`` exists (to record a fact once
    when two watchers, or a watcher restarted, see the same end)."""
    return db.execute(
        "SELECT 1 FROM events WHERE at = ? AND domain = ? AND kind = ? AND subject = ? LIMIT 1",
        (at, domain, kind, _text(subject)),
    ).fetchone() is not None


def forget(db: sqlite3.Connection, ids: list[int] | tuple[int, ...]) -> None:
    """Remove events of a change that was taken back (undo): it did not happen after all."""
    db.executemany("DELETE FROM events WHERE id = ?", ((event_id,) for event_id in ids))


def events(store: Store, since: datetime, until: datetime, domain: str | None = None,
           kind: str | None = None) -> list[Event]:
    """Events with ``since <= at < until``, oldest first; only one domain's (and kind's) if given."""
    sql = "SELECT id, at, domain, kind, subject, detail FROM events WHERE at >= ? AND at < ?"
    params: list[object] = [stamp(since), stamp(until)]
    if domain is not None:
        sql += " AND domain = ?"
        params.append(domain)
    if kind is not None:
        sql += " AND kind = ?"
        params.append(kind)
    rows = store.query(sql + " ORDER BY at, id", params)
    return [Event(row[0], parse_iso(row[1]), row[2], row[3], row[4],
                  json.loads(row[5])) for row in rows]


def _text(value: object) -> str:
    """Text SQLite can bind: a file name with bytes that are not UTF-8 (lone surrogates in
    Python) keeps them as backslash escapes; bytes are decoded the same way."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "backslashreplace")
    text = str(value)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape" if _escapable(text) else "surrogatepass").decode(
            "utf-8", "backslashreplace")
    return text


def _escapable(text: str) -> bool:
    try:
        text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return False
    return True
