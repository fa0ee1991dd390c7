"""The backlog in the store: add, import, change, undo, bankruptcy and metadata results.

Plain functions over a :class:`~waitbuddy.store.Store`. Everything that enters the table passes
through here and is cleaned on the way in (:mod:`waitbuddy.text`), so readers of :class:`Item`
can show its text as is (as plain text, never markup).

Every change returns an :class:`Undo`: the full rows as they were, which :func:`restore` writes
back (a deleted row comes back with its id).
"""

from __future__ import annotations

import itertools
import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Protocol

from waitbuddy import history
from waitbuddy.reading.model import (
    KINDS,
    PRIORITY_MAX,
    PRIORITY_MIN,
    STATUSES,
    Bookmark,
    Invalid,
    Item,
    PageInfo,
    check_values,
    estimate_minutes,
)
from waitbuddy.reading.urls import analyze, clean_url, kind_from_url, url_key
from waitbuddy.store import Store
from waitbuddy.text import safe_line, safe_text

TITLE_LIMIT = 300
INSERT_BATCH = 10_000  # bookmarks of an import looked up and written together
_LOOKUP_KEYS = 900  # URL keys per SELECT ... IN (...): under any SQLite's limit of parameters
NOTE_LIMIT = 2000
DESCRIPTION_LIMIT = 1000
TAG_LIMIT = 40
MAX_TAGS = 30
MAX_FETCH_ATTEMPTS = 3
_COLUMNS = ("id", "url", "url_key", "title", "description", "kind", "kind_locked", "source", "saved_at", "status",
            "priority", "tags", "note", "words", "pages", "duration_seconds", "minutes", "snoozed_until",
            "surfaced_at", "fetch_state", "fetch_error", "fetch_attempts", "fetched_at", "updated_at", "done_at")


class BadUrl(ValueError):
    """Not a URL waitbuddy keeps (only http and https with a host)."""


@dataclass(frozen=True)
class Undo:
    """How to take a change back: the rows as they were before it (``label`` says what it was)."""

    label: str
    rows: tuple[dict, ...]
    added_ids: Sequence[int] = ()  # rows the change created, removed again by undo (an import's: a range)
    event_ids: Sequence[int] = ()  # history events the change recorded, forgotten again by undo

    @property
    def count(self) -> int:
        return len(self.rows) + len(self.added_ids)


@dataclass
class ImportReport:
    format: str
    added: int = 0
    updated: int = 0
    skipped: int = 0
    invalid: list[Invalid] = field(default_factory=list)
    undo: Undo | None = None

    def summary(self) -> str:
        return (f"{self.added} added, {self.updated} updated, {self.skipped} skipped, "
                f"{len(self.invalid)} invalid")


# -- time and text ---------------------------------------------------------------------------------


def utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def to_text(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    moment = moment.astimezone(timezone.utc)
    # Not strftime: this runs twice per item of a 10,000-item import and is 3x faster.
    return (f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T"
            f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}Z")


def from_text(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def clean_tags(tags: Iterable[str]) -> tuple[str, ...]:
    """Lower-case, one line, no commas, at most :data:`MAX_TAGS`, each once, in the order given."""
    seen: dict[str, None] = {}
    for tag in tags:
        tag = safe_line(tag, limit=TAG_LIMIT).replace(",", " ").strip().lower()
        if tag and tag not in seen:
            seen[tag] = None
    return tuple(seen)[:MAX_TAGS]


def checked_url(url: str) -> str:
    cleaned = clean_url(url)
    if cleaned is None:
        shown = safe_line(url, limit=80)
        raise BadUrl(f"not an http(s) URL: {shown!r}" if shown else "empty URL")
    return cleaned


# -- reading ---------------------------------------------------------------------------------------


def _item(row: sqlite3.Row) -> Item:
    return Item(
        id=row["id"], url=row["url"], title=row["title"], kind=row["kind"], source=row["source"],
        saved_at=from_text(row["saved_at"]), status=row["status"], priority=row["priority"],
        tags=tuple(json.loads(row["tags"])), note=row["note"], description=row["description"],
        minutes=row["minutes"], snoozed_until=from_text(row["snoozed_until"]),
        surfaced_at=from_text(row["surfaced_at"]), fetch_state=row["fetch_state"], fetch_error=row["fetch_error"],
        kind_locked=bool(row["kind_locked"]), words=row["words"], pages=row["pages"],
        duration_seconds=row["duration_seconds"], updated_at=from_text(row["updated_at"]),
        done_at=from_text(row["done_at"]),
    )


def load_items(store: Store) -> list[Item]:
    """Every item, oldest first (10,000 load in about 50 ms; filtering happens in memory)."""
    return [_item(row) for row in store.query("SELECT * FROM items ORDER BY saved_at, id")]


@dataclass(frozen=True, slots=True)
class Plannable:
    """What the planner reads of an open item: the columns it ranks and shows by. (300 whole
    :class:`Item` rows, with the tags and times it does not use, took ~7 ms; these ~1 ms.)"""

    id: int
    url: str
    title: str
    kind: str
    saved_at: datetime
    status: str
    priority: int
    minutes: int


def plannable(store: Store, *, now: datetime, limit: int) -> list[Plannable]:
    """Open items (unread or being read, not snoozed past ``now``) with a known length, for the
    planner: highest priority first, then oldest; at most ``limit``. Read in order from the partial
    index ``items_plannable`` (reading/schema.py), which SQLite uses only while this WHERE repeats its own."""
    rows = store.query(
        "SELECT id, url, title, kind, saved_at, status, priority, minutes FROM items "
        "WHERE status IN ('unread', 'reading') AND minutes > 0 "
        "AND (snoozed_until IS NULL OR snoozed_until <= ?) ORDER BY priority DESC, saved_at, id LIMIT ?",
        (to_text(now), max(int(limit), 0)))
    return [Plannable(item_id, url, title, kind, from_text(saved_at), status, priority, minutes)
            for item_id, url, title, kind, saved_at, status, priority, minutes in rows]


def get_item(store: Store, item_id: int) -> Item | None:
    rows = store.query("SELECT * FROM items WHERE id = ?", (item_id,))
    return _item(rows[0]) if rows else None


def find_item(store: Store, url: str) -> Item | None:
    cleaned = clean_url(url)
    if cleaned is None:
        return None
    rows = store.query("SELECT * FROM items WHERE url_key = ?", (url_key(cleaned),))
    return _item(rows[0]) if rows else None


# -- adding ----------------------------------------------------------------------------------------


def add_url(store: Store, url: str, *, tags: Sequence[str] = (), note: str = "", priority: int = 0,
            title: str = "", source: str = "manual", fetch: bool = True,
            now: datetime | None = None) -> tuple[Item, bool]:
    """Save ``url`` now (before any fetch); returns the item and whether it is new.

    An item already in the backlog keeps its state and gains the tags and note given.
    Raises :class:`BadUrl` for anything but an http(s) URL with a host.
    """
    cleaned = checked_url(url)
    now = now or utc_now()
    key = url_key(cleaned)
    new_tags = clean_tags(tags)
    kind, fetch_state, title = kind_from_url(cleaned), "pending" if fetch else "off", safe_line(title, limit=TITLE_LIMIT)
    check_values({"kind": kind, "fetch_state": fetch_state})
    with store.transaction() as db:
        row = db.execute("SELECT * FROM items WHERE url_key = ?", (key,)).fetchone()
        if row is None:
            cursor = db.execute(
                """INSERT INTO items (url, url_key, title, kind, source, saved_at, priority, tags, note,
                                      fetch_state, updated_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (cleaned, key, title, kind, safe_line(source), to_text(now), _priority(priority),
                 json.dumps(new_tags), safe_text(note, limit=NOTE_LIMIT), fetch_state, to_text(now)),
            )
            item_id, created = cursor.lastrowid, True
            history.record(db, "reading", "added", item_id, detail={"url": cleaned, "title": title}, at=now)
        else:
            merged = clean_tags((*json.loads(row["tags"]), *new_tags))
            note = safe_text(note, limit=NOTE_LIMIT)
            db.execute("UPDATE items SET tags = ?, note = ?, updated_at = ? WHERE id = ?",
                       (json.dumps(merged), note or row["note"], to_text(now), row["id"]))
            item_id, created = row["id"], False
    item = get_item(store, item_id)
    assert item is not None
    return item, created


class Entries(Protocol):
    """What an importer read: a :class:`~waitbuddy.reading.model.Parsed`, or the importers'
    ``Streamed`` whose bookmarks are read as they are taken (its ``invalid`` and ``format`` are
    final once they are all taken)."""

    @property
    def format(self) -> str: ...
    @property
    def bookmarks(self) -> Iterable[Bookmark]: ...
    @property
    def invalid(self) -> Sequence[Invalid]: ...


def import_bookmarks(store: Store, parsed: Entries, *, source: str, fetch: bool = False,
                     now: datetime | None = None) -> ImportReport:
    """Merge what an importer read, in one transaction; a second import of the same file adds nothing.

    New URLs are added with the file's date and state (unread when it says nothing). A URL already
    here gains the file's tags, a title or note it lacked and an earlier save date; its status and
    priority stay as the person left them. Bad URLs are reported with their line, not added.

    The bookmarks are taken :data:`INSERT_BATCH` at a time and each batch is written before the
    next is read, so a streamed file is never held whole. Whatever the reading raises (a broken
    file found halfway) rolls the whole import back. What is already here is looked up by the
    batch's URL keys; rows this import added have ids above the old maximum, so a URL met again
    is told from a new one without a set of every URL of the file.
    """
    now = now or utc_now()
    report = ImportReport(parsed.format)
    source = safe_line(source, limit=60) or "import"
    before: list[dict] = []
    invalid: list[Invalid] = []
    events: list[int] = []
    with store.transaction() as db:
        # The transaction holds the write lock: every id above the old maximum is one of ours.
        last_id = db.execute("SELECT coalesce(max(id), 0) FROM items").fetchone()[0]
        met = bytearray(last_id // 8 + 1)  # rows that were here and that this file has already named, by id
        for batch in _batches(parsed.bookmarks, INSERT_BATCH):
            analyzed = []
            for bookmark in batch:
                found = analyze(bookmark.url)
                if found is None:
                    invalid.append(Invalid(bookmark.line, "not an http(s) URL"))
                else:
                    analyzed.append((bookmark, found))
            here = _rows_by_key(db, {key for _bookmark, (_url, key, _kind) in analyzed})
            rows: list[tuple] = []
            new_keys: set[str] = set()
            for bookmark, (url, key, kind) in analyzed:
                row = here.get(key)
                if row is None:
                    if key in new_keys:
                        report.skipped += 1  # the same link twice in one file (e.g. in two folders)
                        continue
                    new_keys.add(key)
                    rows.append(_new_row(bookmark, url, key, kind, source, fetch, now))
                elif row["id"] > last_id or met[row["id"] >> 3] & (1 << (row["id"] & 7)):
                    report.skipped += 1  # added or merged earlier in this file
                elif changes := _merge(row, bookmark):
                    met[row["id"] >> 3] |= 1 << (row["id"] & 7)
                    before.append(dict(row))
                    _update_row(db, row["id"], changes, now)
                    report.updated += 1
                else:
                    met[row["id"] >> 3] |= 1 << (row["id"] & 7)
                    report.skipped += 1
            _insert(db, rows)
        count, first, last = db.execute("SELECT count(*), min(id), max(id) FROM items WHERE id > ?",
                                        (last_id,)).fetchone()
        if count and count != last - first + 1:  # never with one writer; kept exact all the same
            added: Sequence[int] = tuple(row[0] for row in db.execute(
                "SELECT id FROM items WHERE id > ? ORDER BY id", (last_id,)))
        else:
            added = range(first, last + 1) if count else ()
        if added or before:
            events = [history.record(db, "reading", "imported", source, at=now, detail={
                "format": parsed.format, "added": len(added), "updated": len(before)})]
    report.format = parsed.format  # a streamed file's format is final once it is read
    report.added = len(added)
    report.invalid = sorted([*parsed.invalid, *invalid], key=lambda item: item.line)
    if added or before:
        report.undo = Undo(f"import of {report.added + report.updated} items", tuple(before), added, events)
    return report


def _batches(bookmarks: Iterable[Bookmark], size: int) -> Iterator[list[Bookmark]]:
    iterator = iter(bookmarks)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def _rows_by_key(db: sqlite3.Connection, keys: set[str]) -> dict[str, sqlite3.Row]:
    """The rows holding these URL keys (by the unique index), this import's own among them."""
    found: dict[str, sqlite3.Row] = {}
    wanted = list(keys)
    for start in range(0, len(wanted), _LOOKUP_KEYS):
        part = wanted[start:start + _LOOKUP_KEYS]
        for row in db.execute(f"SELECT * FROM items WHERE url_key IN ({', '.join('?' * len(part))})", part):
            found[row["url_key"]] = row
    return found


def _insert(db: sqlite3.Connection, rows: list[tuple]) -> None:
    db.executemany(
        """INSERT INTO items (url, url_key, title, description, kind, source, saved_at, status, tags, note,
                              fetch_state, updated_at, priority)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""", rows)


def _new_row(bookmark: Bookmark, url: str, key: str, kind: str, source: str, fetch: bool,
             now: datetime) -> tuple:
    status = bookmark.status if bookmark.status in STATUSES else "unread"
    if kind not in KINDS:
        check_values({"kind": kind})
    saved_at = bookmark.saved_at if bookmark.saved_at and bookmark.saved_at <= now + timedelta(days=1) else now
    return (url, key, safe_line(bookmark.title, limit=TITLE_LIMIT),
            safe_line(bookmark.description, limit=DESCRIPTION_LIMIT), kind, source, to_text(saved_at), status,
            json.dumps(clean_tags(bookmark.tags)), safe_text(bookmark.note, limit=NOTE_LIMIT),
            "pending" if fetch else "off", to_text(now), _priority(bookmark.priority))


def _merge(row: sqlite3.Row, bookmark: Bookmark) -> dict[str, object]:
    changes: dict[str, object] = {}
    tags = json.loads(row["tags"])
    merged = list(clean_tags((*tags, *bookmark.tags)))
    if merged != tags:
        changes["tags"] = json.dumps(merged)
    title = safe_line(bookmark.title, limit=TITLE_LIMIT)
    if title and not row["title"]:
        changes["title"] = title
    note = safe_text(bookmark.note, limit=NOTE_LIMIT)
    if note and not row["note"]:
        changes["note"] = note
    description = safe_line(bookmark.description, limit=DESCRIPTION_LIMIT)
    if description and not row["description"]:
        changes["description"] = description
    if bookmark.saved_at is not None and (saved := to_text(bookmark.saved_at)) < row["saved_at"]:
        changes["saved_at"] = saved
    return changes


# -- changing --------------------------------------------------------------------------------------


_STATUS_EVENTS = ("done", "archived")  # status changes the history records (see waitbuddy.history)
EDITABLE = frozenset({"status", "priority", "tags", "note", "kind", "snoozed_until", "title", "surfaced_at"})


def update(store: Store, ids: Iterable[int], label: str, *, now: datetime | None = None,
           **changes: object) -> Undo:
    """Set the same ``changes`` on every item in ``ids``; returns how to undo it.

    Values are checked and cleaned: ``status`` and ``kind`` must be known, ``priority`` is kept in
    0-3, ``tags`` is a sequence of strings, times are datetimes (or None).
    """
    values = _clean_changes(changes)
    now = now or utc_now()
    before: list[dict] = []
    events: list[int] = []
    with store.transaction() as db:
        for item_id in ids:
            row = db.execute("SELECT * FROM items WHERE id = ?", (item_id,)).fetchone()
            if row is None:
                continue
            before.append(dict(row))
            _update_row(db, item_id, {**values, **_done_change(row["status"], values, now)}, now)
            if (status := values.get("status")) in _STATUS_EVENTS and status != row["status"]:
                events.append(history.record(db, "reading", str(status), item_id, at=now,
                                             detail={"url": row["url"], "title": row["title"]}))
    return Undo(label, tuple(before), event_ids=events)


def _done_change(status: str, values: dict[str, object], now: datetime) -> dict[str, object]:
    """Marked done now: when; taken back from done: no longer done."""
    new = values.get("status")
    if new is None or new == status:
        return {}
    return {"done_at": to_text(now) if new == "done" else None}


def adjust_priority(store: Store, ids: Iterable[int], step: int, *, now: datetime | None = None) -> Undo:
    now = now or utc_now()
    before: list[dict] = []
    with store.transaction() as db:
        for item_id in ids:
            row = db.execute("SELECT * FROM items WHERE id = ?", (item_id,)).fetchone()
            if row is None or _priority(row["priority"] + step) == row["priority"]:
                continue
            before.append(dict(row))
            _update_row(db, item_id, {"priority": _priority(row["priority"] + step)}, now)
    return Undo("priority " + ("up" if step > 0 else "down"), tuple(before))


def delete(store: Store, ids: Iterable[int]) -> Undo:
    before: list[dict] = []
    with store.transaction() as db:
        for item_id in ids:
            row = db.execute("SELECT * FROM items WHERE id = ?", (item_id,)).fetchone()
            if row is not None:
                before.append(dict(row))
                db.execute("DELETE FROM items WHERE id = ?", (item_id,))
    return Undo("delete", tuple(before))


def bankruptcy_ids(items: Iterable[Item], days: int, now: datetime) -> list[int]:
    """Items a bankruptcy of ``days`` would archive: unread and saved more than ``days`` ago."""
    cutoff = now - timedelta(days=days)
    return [item.id for item in items if item.status == "unread" and item.saved_at < cutoff]


def declare_bankruptcy(store: Store, days: int, *, now: datetime | None = None) -> Undo:
    """Archive everything unread saved more than ``days`` ago; undo brings each back as it was."""
    now = now or utc_now()
    ids = bankruptcy_ids(load_items(store), days, now)
    return update(store, ids, f"bankruptcy: {len(ids)} archived", now=now, status="archived")


def restore(store: Store, undo: Undo) -> int:
    """Put the rows of ``undo`` back as they were; returns how many rows changed."""
    for row in undo.rows:
        check_values(row)
    with store.transaction() as db:
        history.forget(db, undo.event_ids)
        for item_id in undo.added_ids:
            db.execute("DELETE FROM items WHERE id = ?", (item_id,))
        for row in undo.rows:
            columns = [column for column in _COLUMNS if column in row]
            # Anything now holding this URL (it was re-added after a delete) gives way to the old row.
            db.execute("DELETE FROM items WHERE url_key = ? AND id != ?", (row["url_key"], row["id"]))
            db.execute(
                f"INSERT OR REPLACE INTO items ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                [row[column] for column in columns],
            )
    return undo.count


def _clean_changes(changes: dict[str, object]) -> dict[str, object]:
    values: dict[str, object] = {}
    for name, value in changes.items():
        if name not in EDITABLE:
            raise ValueError(f"cannot change {name!r}")
        if name in ("status", "kind"):
            check_values({name: value})
        if name == "kind":
            values["kind_locked"] = 1
        if name == "priority":
            value = _priority(int(value))  # type: ignore[call-overload]
        elif name == "tags":
            value = json.dumps(clean_tags(value))  # type: ignore[arg-type]
        elif name == "note":
            value = safe_text(str(value), limit=NOTE_LIMIT)
        elif name == "title":
            value = safe_line(str(value), limit=TITLE_LIMIT)
        elif name in ("snoozed_until", "surfaced_at"):
            value = to_text(value)  # type: ignore[arg-type]
        values[name] = value
    return values


def _update_row(db: sqlite3.Connection, item_id: int, values: dict[str, object], now: datetime) -> None:
    values = {**values, "updated_at": to_text(now)}
    assignments = ", ".join(f"{name} = ?" for name in values)
    db.execute(f"UPDATE items SET {assignments} WHERE id = ?", [*values.values(), item_id])


def _priority(value: int) -> int:
    return min(max(int(value), PRIORITY_MIN), PRIORITY_MAX)


# -- metadata --------------------------------------------------------------------------------------


RETRY_AFTER = timedelta(minutes=15)


def to_fetch(store: Store, *, include_imported: bool, limit: int = 20, now: datetime | None = None) -> list[Item]:
    """Items whose page should be fetched next: new ones first; a failed one again after
    :data:`RETRY_AFTER`, and never after :data:`MAX_FETCH_ATTEMPTS` tries."""
    states = ("pending", "off") if include_imported else ("pending",)
    cutoff = to_text((now or utc_now()) - RETRY_AFTER)
    rows = store.query(
        f"""SELECT * FROM items WHERE fetch_state IN ({', '.join('?' * len(states))})
            AND fetch_attempts < ? AND (fetched_at IS NULL OR fetched_at < ?)
            ORDER BY fetch_state = 'off', fetch_attempts, id DESC LIMIT ?""",
        (*states, MAX_FETCH_ATTEMPTS, cutoff, limit),
    )
    return [_item(row) for row in rows]


def record_fetch(store: Store, item_id: int, info: PageInfo | None, *, error: str = "", final: bool = False,
                 words_per_minute: int, now: datetime | None = None) -> Item | None:
    """Store what a fetch found (or why it failed) on the item; the person's own edits win.

    A failure keeps the item as it was and says why in ``fetch_error``; it is tried again later,
    up to :data:`MAX_FETCH_ATTEMPTS` times in all, unless ``final`` (a 404 will not get better).
    """
    now = now or utc_now()
    with store.transaction() as db:
        row = db.execute("SELECT * FROM items WHERE id = ?", (item_id,)).fetchone()
        if row is None:
            return None
        attempts = row["fetch_attempts"] + 1
        if info is None:
            state = "failed" if final or attempts >= MAX_FETCH_ATTEMPTS else row["fetch_state"]
            check_values({"fetch_state": state})
            db.execute("""UPDATE items SET fetch_state = ?, fetch_error = ?, fetch_attempts = ?, fetched_at = ?
                          WHERE id = ?""",
                       (state, safe_line(error, limit=200) or "failed", attempts, to_text(now), item_id))
        else:
            kind = row["kind"]
            if not row["kind_locked"] and info.kind in KINDS and kind == "article":
                kind = info.kind
            check_values({"kind": kind})
            minutes = estimate_minutes(words=info.words, pages=info.pages, duration_seconds=info.duration_seconds,
                                       words_per_minute=words_per_minute)
            db.execute(
                """UPDATE items SET title = ?, description = ?, kind = ?, words = ?, pages = ?, duration_seconds = ?,
                          minutes = ?, fetch_state = 'done', fetch_error = '', fetch_attempts = ?, fetched_at = ?
                   WHERE id = ?""",
                (row["title"] or safe_line(info.title, limit=TITLE_LIMIT),
                 row["description"] or safe_line(info.description, limit=DESCRIPTION_LIMIT), kind,
                 info.words, info.pages, info.duration_seconds, minutes, attempts, to_text(now), item_id),
            )
    return get_item(store, item_id)


def recompute_minutes(store: Store, words_per_minute: int) -> None:
    """Minutes follow the configured reading speed (it may have changed since the fetch)."""
    rows = store.query("SELECT id, words, pages, duration_seconds, minutes FROM items WHERE words IS NOT NULL")
    changed = []
    for row in rows:
        minutes = estimate_minutes(words=row["words"], pages=row["pages"], duration_seconds=row["duration_seconds"],
                                   words_per_minute=words_per_minute)
        if minutes != row["minutes"]:
            changed.append((minutes, row["id"]))
    if changed:
        with store.transaction() as db:
            db.executemany("UPDATE items SET minutes = ? WHERE id = ?", changed)
