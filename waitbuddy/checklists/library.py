"""Checklists in the store: sync the built-in and configured lists, read items with their due
state, complete, snooze, edit, add, undo.

Plain functions over a :class:`~waitbuddy.store.Store` (tables in :mod:`waitbuddy.checklists.schema`).
Whether an item is due is derived from its completions (:mod:`waitbuddy.checklists.recurrence`),
never stored. Every change returns an :class:`Undo`; completing records ``checklists``/``done``
(the item id; key, title, list, minutes) and adding records ``checklists``/``added`` in the same
transaction (:mod:`waitbuddy.history`). Titles enter through :func:`waitbuddy.text.safe_line`.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from waitbuddy import history
from waitbuddy.checklists import recurrence
from waitbuddy.checklists.builtins import LISTS
from waitbuddy.store import Store
from waitbuddy.text import safe_line
from waitbuddy.timefmt import parse_iso

if TYPE_CHECKING:
    from waitbuddy.config import Config

ORIGINS = ("builtin", "config", "user")
TITLE_LIMIT = 200
MINUTES = (1, 600)
_CONFIG_POSITION = 100_000
_USER_POSITION = 200_000


@dataclass(frozen=True)
class Item:
    """One item as the CLI and the pane show it, with its state at ``now``."""

    id: int
    key: str
    list_key: str
    list_name: str
    title: str
    minutes: int
    recurrence: str
    origin: str
    enabled: bool
    completions: tuple[datetime, ...]  # every completion, oldest first (UTC)
    due: bool
    due_at: datetime | None  # when it next becomes due (None: due now; datetime.max: at the next run)
    snoozed_until: datetime | None
    streak: int
    position: int

    @property
    def custom(self) -> bool:
        return self.origin != "builtin"

    @property
    def last_done(self) -> datetime | None:
        return self.completions[-1] if self.completions else None

    @property
    def waiting_for_run(self) -> bool:
        return not self.due and self.due_at is not None and self.due_at.year == datetime.max.year


@dataclass(frozen=True)
class Undo:
    """How to take a change back: the items' rows as they were, the completions and items it
    added (removed again) and the events it recorded (forgotten)."""

    label: str
    rows: tuple[dict[str, Any], ...] = ()
    completion_ids: tuple[int, ...] = ()
    item_ids: tuple[int, ...] = ()
    event_ids: tuple[int, ...] = ()
    removed: tuple[tuple[int, str], ...] = ()  # completions (item id, done_at) it took back: put back


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def local_zone(name: str = "") -> tzinfo:
    """The zone periods are counted in: ``name`` (IANA, from config), else ``$TZ``, else the
    system's ``/etc/localtime``, else UTC."""
    for candidate in (name, os.environ.get("TZ", "").lstrip(":")):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError, OSError):
                continue
    try:
        with Path("/etc/localtime").open("rb") as handle:
            return ZoneInfo.from_file(handle, key="localtime")
    except (OSError, ValueError):
        return UTC


def slug(text: str) -> str:
    """A key part: lower-case letters, digits and dashes (``While it trains`` -> ``while-it-trains``)."""
    word = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return word[:60] or "item"


def ago(moment: datetime | None, now: datetime, zone: tzinfo) -> str:
    """``today``, ``yesterday``, ``47 days ago`` (local calendar days), ``never``."""
    if moment is None:
        return "never"
    days = (now.astimezone(zone).date() - moment.astimezone(zone).date()).days
    if days <= 0:
        return "today"
    return "yesterday" if days == 1 else f"{days} days ago"


# -- sync ------------------------------------------------------------------------------------------


def sync(store: Store, config: Config, *, now: datetime | None = None) -> None:
    """Built-in lists (each on or off as ``[checklist_settings]`` says) and ``[[checklists]]``
    into the store. Text the person edited stays theirs; an item no longer configured is switched
    off, not deleted, so its history is there if it comes back."""
    settings = config.checklist_settings
    wanted: dict[str, tuple[str, str, str, int, str, bool, int, str]] = {}
    for list_index, (list_key, list_name, entries) in enumerate(LISTS):
        on = bool(getattr(settings, list_key.replace("-", "_"), True))
        for index, (item_id, title, minutes, every) in enumerate(entries):
            wanted[f"{list_key}/{item_id}"] = (list_key, list_name, title, minutes, every, on,
                                               list_index * 1000 + index, "builtin")
    for list_index, checklist in enumerate(config.checklists):
        list_key, list_name = slug(checklist.name), safe_line(checklist.name, limit=80)
        for index, entry in enumerate(checklist.items):
            key = f"{list_key}/{slug(entry.title)}"
            if key in wanted and wanted[key][7] == "config":
                key = f"{key}-{index + 1}"
            wanted.setdefault(key, (list_key, list_name, safe_line(entry.title, limit=TITLE_LIMIT), entry.minutes,
                                    str(recurrence.parse(entry.every)), checklist.enabled,
                                    _CONFIG_POSITION + list_index * 1000 + index, "config"))
    stamp = history.stamp(now or utc_now())
    with store.transaction() as db:
        here = {row["key"]: row for row in db.execute(
            "SELECT * FROM checklist_items WHERE origin IN ('builtin', 'config')")}
        for key, (list_key, list_name, title, minutes, every, on, position, origin) in wanted.items():
            row = here.get(key)
            if row is None:
                db.execute(
                    """INSERT INTO checklist_items (key, list_key, list_name, title, minutes, recurrence, origin,
                           enabled, position, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                       ON CONFLICT (key) DO NOTHING""",
                    (key, list_key, list_name, title, minutes, every, origin, int(on), position, stamp))
            elif row["edited"]:
                if (row["enabled"], row["position"]) != (int(on), position):
                    db.execute("UPDATE checklist_items SET enabled = ?, position = ? WHERE id = ?",
                               (int(on), position, row["id"]))
            elif (row["list_key"], row["list_name"], row["title"], row["minutes"], row["recurrence"],
                  row["enabled"], row["position"], row["origin"]) != (
                      list_key, list_name, title, minutes, every, int(on), position, origin):
                db.execute(
                    """UPDATE checklist_items SET list_key = ?, list_name = ?, title = ?, minutes = ?,
                           recurrence = ?, enabled = ?, position = ?, origin = ? WHERE id = ?""",
                    (list_key, list_name, title, minutes, every, int(on), position, origin, row["id"]))
        for key, row in here.items():
            if key not in wanted and row["enabled"]:
                db.execute("UPDATE checklist_items SET enabled = 0 WHERE id = ?", (row["id"],))


# -- reading ---------------------------------------------------------------------------------------


def last_run_start(store: Store) -> datetime | None:
    """When the latest training run started (a launched run's start, else when it was first seen)."""
    row = store.query("SELECT max(coalesce(started_at, created_at)) FROM runs")[0]
    return parse_iso(row[0]) if row[0] else None


def _completions(store: Store) -> dict[int, list[datetime]]:
    found: dict[int, list[datetime]] = {}
    for row in store.query("SELECT item_id, done_at FROM checklist_completions ORDER BY done_at, id"):
        found.setdefault(row[0], []).append(parse_iso(row[1]))
    return found


def _item(row: sqlite3.Row, done: Sequence[datetime], now: datetime, zone: tzinfo, run: datetime | None) -> Item:
    rule = recurrence.parse(row["recurrence"])
    snoozed = parse_iso(row["snoozed_until"]) if row["snoozed_until"] else None
    return Item(
        id=row["id"], key=row["key"], list_key=row["list_key"], list_name=row["list_name"], title=row["title"],
        minutes=row["minutes"], recurrence=str(rule), origin=row["origin"], enabled=bool(row["enabled"]),
        completions=tuple(done), due=recurrence.is_due(rule, done, now, zone, run, snoozed),
        due_at=recurrence.due_at(rule, done, zone, run), snoozed_until=snoozed if snoozed and snoozed > now else None,
        streak=recurrence.streak(rule, done, now, zone), position=row["position"])


def items(store: Store, *, now: datetime | None = None, zone: tzinfo | None = None,
          include_disabled: bool = False) -> list[Item]:
    """Every (enabled) item in list order, with its due state at ``now``."""
    now, zone = now or utc_now(), zone or local_zone()
    done, run = _completions(store), last_run_start(store)
    sql = "SELECT * FROM checklist_items" + ("" if include_disabled else " WHERE enabled = 1")
    rows = store.query(sql + " ORDER BY position, id")
    return [_item(row, done.get(row["id"], []), now, zone, run) for row in rows]


def get(store: Store, ref: int | str, *, now: datetime | None = None, zone: tzinfo | None = None) -> Item | None:
    """An item by id (an int or digits) or key (``profile/linkedin-photo``)."""
    if isinstance(ref, int) or ref.strip().isdigit():
        rows = store.query("SELECT * FROM checklist_items WHERE id = ?", (int(ref),))
    else:
        rows = store.query("SELECT * FROM checklist_items WHERE key = ?", (ref.strip().lower(),))
    if not rows:
        return None
    done = [parse_iso(row[0]) for row in store.query(
        "SELECT done_at FROM checklist_completions WHERE item_id = ? ORDER BY done_at, id", (rows[0]["id"],))]
    return _item(rows[0], done, now or utc_now(), zone or local_zone(), last_run_start(store))


def grouped(found: Sequence[Item]) -> list[tuple[str, list[Item]]]:
    """Items by list, lists in their order, due items first within each."""
    lists: dict[str, tuple[str, list[Item]]] = {}
    for item in found:
        lists.setdefault(item.list_key, (item.list_name, []))[1].append(item)
    return [(name, sorted(members, key=lambda item: (not item.due, item.position, item.id)))
            for name, members in lists.values()]


# -- changes ---------------------------------------------------------------------------------------


def _row(db: sqlite3.Connection, item_id: int) -> dict[str, Any]:
    row = db.execute("SELECT * FROM checklist_items WHERE id = ?", (item_id,)).fetchone()
    if row is None:
        raise LookupError(f"no checklist item {item_id}")
    return dict(row)


def complete(store: Store, item_id: int, *, now: datetime | None = None) -> Undo:
    """Record a completion (and its event); a snooze ends with it."""
    now = now or utc_now()
    with store.transaction() as db:
        row = _row(db, item_id)
        cursor = db.execute("INSERT INTO checklist_completions (item_id, done_at) VALUES (?, ?)",
                            (item_id, history.stamp(now)))
        db.execute("UPDATE checklist_items SET snoozed_until = NULL WHERE id = ?", (item_id,))
        event = history.record(db, "checklists", "done", item_id, at=now, detail={
            "key": row["key"], "title": row["title"], "list": row["list_name"], "minutes": row["minutes"]})
    return Undo(f"done: {row['title']}", (row,), completion_ids=(cursor.lastrowid,), event_ids=(event,))


def uncomplete(store: Store, item_id: int, *, now: datetime | None = None, zone: tzinfo | None = None) -> Undo | None:
    """Take back the latest completion if it is in the current period (a tick made by mistake);
    None when there is none to take back. Earlier history is never touched."""
    found = get(store, item_id, now=now, zone=zone)
    if found is None or found.due or not found.completions:
        return None
    with store.transaction() as db:
        row = _row(db, item_id)
        last = db.execute("SELECT id, done_at FROM checklist_completions WHERE item_id = ? ORDER BY done_at DESC, id "
                          "DESC LIMIT 1", (item_id,)).fetchone()
        db.execute("DELETE FROM checklist_completions WHERE id = ?", (last["id"],))
        events = [event[0] for event in db.execute(
            "SELECT id FROM events WHERE domain = 'checklists' AND kind = 'done' AND subject = ? AND at = ?",
            (str(item_id), last["done_at"]))]
        history.forget(db, events)
    return Undo(f"not done: {row['title']}", (row,), removed=((item_id, last["done_at"]),))


def snooze(store: Store, item_id: int, days: int, *, now: datetime | None = None) -> Undo:
    """Not due for ``days`` days (1 to 365) from now."""
    if not 1 <= days <= 365:
        raise ValueError(f"days: expected 1 to 365, got {days}")
    until = (now or utc_now()) + timedelta(days=days)
    with store.transaction() as db:
        row = _row(db, item_id)
        db.execute("UPDATE checklist_items SET snoozed_until = ? WHERE id = ?", (history.stamp(until), item_id))
    return Undo(f"snoozed: {row['title']}", (row,))


def edit(store: Store, item_id: int, *, title: str | None = None, minutes: int | None = None,
         every: str | None = None) -> Undo:
    """Change an item's title, estimate or recurrence; a built-in or configured item is marked
    edited, so syncing leaves the person's text alone. Raises ``ValueError`` for bad values."""
    changes: dict[str, object] = {}
    if title is not None:
        changes["title"] = _title(title)
    if minutes is not None:
        changes["minutes"] = _minutes(minutes)
    if every is not None:
        changes["recurrence"] = str(recurrence.parse(every))
    with store.transaction() as db:
        row = _row(db, item_id)
        if changes:
            sets = ", ".join(f"{name} = ?" for name in changes)
            db.execute(f"UPDATE checklist_items SET {sets}, edited = 1 WHERE id = ?", (*changes.values(), item_id))
    return Undo(f"edited: {row['title']}", (row,))


def add(store: Store, list_name: str, title: str, *, minutes: int = 15, every: str = "weekly",
        now: datetime | None = None) -> tuple[Item, Undo]:
    """Add the person's own item to a list (an existing one by name or key, else a new list)."""
    title, minutes, rule = _title(title), _minutes(minutes), str(recurrence.parse(every))
    name = safe_line(list_name, limit=80)
    if not name:
        raise ValueError("list: expected a name")
    now = now or utc_now()
    with store.transaction() as db:
        known = db.execute("SELECT list_key, list_name FROM checklist_items WHERE list_key = ? OR lower(list_name) = ? "
                           "ORDER BY position LIMIT 1", (slug(name), name.lower())).fetchone()
        list_key, name = (known["list_key"], known["list_name"]) if known else (slug(name), name)
        key, number = f"{list_key}/{slug(title)}", 1
        while db.execute("SELECT 1 FROM checklist_items WHERE key = ?", (key,)).fetchone():
            number += 1
            key = f"{list_key}/{slug(title)}-{number}"
        position = db.execute("SELECT coalesce(max(position), ?) + 1 FROM checklist_items WHERE list_key = ?",
                              (_USER_POSITION, list_key)).fetchone()[0]
        cursor = db.execute(
            """INSERT INTO checklist_items (key, list_key, list_name, title, minutes, recurrence, origin, position,
                   added_at) VALUES (?, ?, ?, ?, ?, ?, 'user', ?, ?)""",
            (key, list_key, name, title, minutes, rule, position, history.stamp(now)))
        item_id = cursor.lastrowid
        event = history.record(db, "checklists", "added", item_id, at=now,
                               detail={"key": key, "title": title, "list": name})
    found = get(store, item_id, now=now)
    assert found is not None
    return found, Undo(f"added: {title}", item_ids=(item_id,), event_ids=(event,))


def undo(store: Store, change: Undo) -> None:
    """Put the items back as they were before ``change``; its completions, items and events go."""
    with store.transaction() as db:
        history.forget(db, change.event_ids)
        db.executemany("DELETE FROM checklist_completions WHERE id = ?", ((i,) for i in change.completion_ids))
        db.executemany("DELETE FROM checklist_items WHERE id = ?", ((i,) for i in change.item_ids))
        for item_id, done_at in change.removed:
            db.execute("INSERT INTO checklist_completions (item_id, done_at) VALUES (?, ?)", (item_id, done_at))
            row = _row(db, item_id)
            history.record(db, "checklists", "done", item_id, at=done_at, detail={
                "key": row["key"], "title": row["title"], "list": row["list_name"], "minutes": row["minutes"]})
        for row in change.rows:
            names = [name for name in row if name != "id"]
            db.execute(f"UPDATE checklist_items SET {', '.join(f'{n} = ?' for n in names)} WHERE id = ?",
                       (*(row[n] for n in names), row["id"]))


def _title(title: str) -> str:
    cleaned = safe_line(title, limit=TITLE_LIMIT)
    if not cleaned:
        raise ValueError("title: expected some text")
    return cleaned


def _minutes(minutes: int) -> int:
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not MINUTES[0] <= minutes <= MINUTES[1]:
        raise ValueError(f"minutes: expected {MINUTES[0]} to {MINUTES[1]}, got {minutes!r}")
    return minutes
