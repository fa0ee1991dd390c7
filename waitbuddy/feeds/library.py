"""Feeds in the store: sources, the items they brought, and reading them back.

Plain functions over a :class:`~waitbuddy.store.Store` (tables in :mod:`waitbuddy.feeds.schema`).
Items are stored once per key (arXiv id, else guid) with every source that listed them; what a
person does with them (read, dismiss, save to the backlog, undo, the ranker, retention) is in
:mod:`waitbuddy.feeds.marks` and re-exported here, so the CLI and the pane import one module.
Text enters already cleaned (:mod:`waitbuddy.feeds.parse`); enumerations are checked here.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from waitbuddy.feeds.model import ANNOUNCE_TYPES, REPLACEMENTS, FeedItem
from waitbuddy.feeds.sources import KINDS, Source, parse_source
from waitbuddy.history import stamp
from waitbuddy.reading.backlog import clean_tags
from waitbuddy.store import Store
from waitbuddy.text import safe_line
from waitbuddy.timefmt import parse_iso

if TYPE_CHECKING:
    from waitbuddy.config import Feed

ORIGINS = ("config", "user")
DEFAULT_REFRESH_MINUTES = 60
NAME_LIMIT = 200
ERROR_LIMIT = 200


@dataclass(frozen=True)
class SourceRow:
    id: int
    spec: str
    kind: str  # one of sources.KINDS
    url: str
    name: str
    tags: tuple[str, ...]
    refresh_minutes: int | None
    origin: str  # one of ORIGINS
    etag: str | None = None
    last_modified: str | None = None
    fresh_until: datetime | None = None  # Cache-Control max-age: not asked again before this
    checked_at: datetime | None = None
    ok_at: datetime | None = None
    error: str | None = None  # the last check's failure, None when it worked
    items: int = 0
    unread: int = 0
    feed_title: str = ""  # the feed's own title
    retry_at: datetime | None = None  # a 429/503 Retry-After: deferred until then, even when forced

    @property
    def title(self) -> str:
        """The name given, else the feed's own title, else a name from the spec (``arXiv cs.LG``, the host)."""
        if self.name or self.feed_title:
            return self.name or self.feed_title
        try:
            return parse_source(self.spec).name
        except ValueError:
            return self.spec

    def source(self) -> Source:
        """The parsed source (kind, categories, query) of this row's spec."""
        return parse_source(self.spec)

    def interval(self, default_minutes: int = DEFAULT_REFRESH_MINUTES) -> timedelta:
        return timedelta(minutes=self.refresh_minutes or default_minutes)

    def is_stale(self, now: datetime, default_minutes: int = DEFAULT_REFRESH_MINUTES) -> bool:
        """Its last check failed, or its last good one is older than twice its interval."""
        if self.error:
            return True
        return self.ok_at is not None and now - self.ok_at > 2 * self.interval(default_minutes)


@dataclass(frozen=True)
class Entry:
    """One stored item as the CLI and the pane show it."""

    id: int
    source_id: int | None  # the first source that listed it (None: a saved item whose sources are gone)
    source: str  # that source's title
    tags: tuple[str, ...]  # the tags of every source that listed it
    item: FeedItem
    first_seen_at: datetime
    read_at: datetime | None = None
    saved_at: datetime | None = None
    dismissed_at: datetime | None = None
    backlog_id: int | None = None
    stale: bool = False  # its source's last check failed or is older than twice its interval

    @property
    def unread(self) -> bool:
        return self.read_at is None

    @property
    def date(self) -> datetime:
        """The date an entry goes by: published, else updated (Atom), else when first seen."""
        return self.item.published or self.item.updated or self.first_seen_at


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def when(text: str | None) -> datetime | None:
    return parse_iso(text) if text else None


def text_of(moment: datetime | None) -> str | None:
    return None if moment is None else stamp(moment)


# -- sources ---------------------------------------------------------------------------------------


_SOURCE_SELECT = """SELECT s.*, (SELECT count(*) FROM feed_item_sources l WHERE l.source_id = s.id) AS n_items,
       (SELECT count(*) FROM feed_item_sources l JOIN feed_items i ON i.id = l.item_id
         WHERE l.source_id = s.id AND i.read_at IS NULL AND i.dismissed_at IS NULL) AS n_unread
  FROM feed_sources s"""


def _source_row(row: sqlite3.Row) -> SourceRow:
    return SourceRow(
        id=row["id"], spec=row["spec"], kind=row["kind"], url=row["url"], name=row["name"],
        tags=tuple(json.loads(row["tags"])), refresh_minutes=row["refresh_minutes"], origin=row["origin"],
        etag=row["etag"], last_modified=row["last_modified"], fresh_until=when(row["fresh_until"]),
        checked_at=when(row["checked_at"]), ok_at=when(row["ok_at"]), error=row["error"],
        items=row["n_items"], unread=row["n_unread"], feed_title=row["title"], retry_at=when(row["retry_at"]))


def sources(store: Store) -> list[SourceRow]:
    """Every source, in the order they were added, with item and unread counts."""
    return [_source_row(row) for row in store.query(_SOURCE_SELECT + " ORDER BY s.id")]


def _uncounted_sources(store: Store) -> list[SourceRow]:
    """Every source with its counts left at 0: counting reads every stored item (~9 ms for 5,000)."""
    return [_source_row(row) for row in store.query("SELECT s.*, 0 AS n_items, 0 AS n_unread FROM feed_sources s")]


def get_source(store: Store, source: int | str) -> SourceRow | None:
    """A source by id (an int or digits), spec, or anything that parses to the same source."""
    if isinstance(source, int) or (isinstance(source, str) and source.strip().isdigit()):
        rows = store.query(_SOURCE_SELECT + " WHERE s.id = ?", (int(source),))
        return _source_row(rows[0]) if rows else None
    rows = store.query(_SOURCE_SELECT + " WHERE s.spec = ?", (source,))
    if not rows:
        try:
            key = parse_source(source).key
        except ValueError:
            return None
        rows = store.query(_SOURCE_SELECT + " WHERE s.key = ?", (key,))
    return _source_row(rows[0]) if rows else None


def add_source(store: Store, spec: str, *, name: str = "", tags: Sequence[str] = (),
               refresh_minutes: int | None = None, origin: str = "user",
               now: datetime | None = None) -> tuple[SourceRow, bool]:
    """Add a source as typed; returns it and whether it is new. Raises ``ValueError`` (one line)
    for a spec :func:`~waitbuddy.feeds.sources.parse_source` refuses. A source already here (the
    same key) gains the tags given and a name if it had none."""
    if origin not in ORIGINS:
        raise ValueError(f"unknown origin {origin!r}")
    parsed = parse_source(spec)
    if parsed.kind not in KINDS:
        raise ValueError(f"unknown source kind {parsed.kind!r}")
    if refresh_minutes is not None and not 1 <= int(refresh_minutes) <= 10080:
        raise ValueError("refresh_minutes: expected 1 to 10080")
    name = safe_line(name, limit=NAME_LIMIT)
    cleaned = clean_tags(tags)
    with store.transaction() as db:
        row = db.execute("SELECT * FROM feed_sources WHERE key = ?", (parsed.key,)).fetchone()
        if row is None:
            cursor = db.execute(
                """INSERT INTO feed_sources (spec, key, kind, url, name, tags, refresh_minutes, origin, added_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (parsed.spec, parsed.key, parsed.kind, parsed.url, name, json.dumps(cleaned), refresh_minutes,
                 origin, stamp(now or utc_now())))
            source_id, created = cursor.lastrowid, True
        else:
            merged = clean_tags((*json.loads(row["tags"]), *cleaned))
            db.execute("UPDATE feed_sources SET tags = ?, name = ? WHERE id = ?",
                       (json.dumps(merged), row["name"] or name, row["id"]))
            source_id, created = row["id"], False
    found = get_source(store, source_id)
    assert found is not None
    return found, created


def remove_source(store: Store, source: int | str) -> bool:
    """Remove a source (by id or spec) and the items only it listed, except saved ones."""
    found = get_source(store, source)
    if found is None:
        return False
    with store.transaction() as db:
        item_ids = [row[0] for row in db.execute(
            "SELECT item_id FROM feed_item_sources WHERE source_id = ?", (found.id,))]
        db.execute("DELETE FROM feed_item_sources WHERE source_id = ?", (found.id,))
        db.execute("DELETE FROM feed_sources WHERE id = ?", (found.id,))
        for item_id in item_ids:
            other = db.execute("SELECT min(source_id) FROM feed_item_sources WHERE item_id = ?",
                               (item_id,)).fetchone()[0]
            if other is not None:
                db.execute("UPDATE feed_items SET source_id = ? WHERE id = ?", (other, item_id))
            else:
                db.execute("DELETE FROM feed_items WHERE id = ? AND saved_at IS NULL", (item_id,))
    return True


def sync_config(store: Store, feeds: Sequence[Feed]) -> None:
    """``[[feeds]]`` in config become ``origin="config"`` sources (name, tags and interval as the
    config says); config sources no longer in the config are removed. A source the person added
    by hand that the config also names stays theirs."""
    wanted: dict[str, Feed] = {}
    for feed in feeds:
        try:
            wanted.setdefault(parse_source(feed.url).key, feed)
        except ValueError:
            continue  # config validation reports it; nothing to sync
    here = {row.spec: row for row in sources(store)}
    keys = {parse_source(spec).key: row for spec, row in here.items()}
    for key, feed in wanted.items():
        minutes = feed.refresh_minutes or None
        row = keys.get(key)
        if row is None:
            add_source(store, feed.url, name=feed.name, tags=feed.tags, refresh_minutes=minutes, origin="config")
        elif row.origin == "config" and (row.name, row.tags, row.refresh_minutes) != (
                safe_line(feed.name, limit=NAME_LIMIT), clean_tags(feed.tags), minutes):
            with store.transaction() as db:
                db.execute("UPDATE feed_sources SET name = ?, tags = ?, refresh_minutes = ? WHERE id = ?",
                           (safe_line(feed.name, limit=NAME_LIMIT), json.dumps(clean_tags(feed.tags)), minutes,
                            row.id))
    for key, row in keys.items():
        if row.origin == "config" and key not in wanted:
            remove_source(store, row.id)


# -- items -----------------------------------------------------------------------------------------


def item_of(row: sqlite3.Row) -> FeedItem:
    return FeedItem(
        guid=row["guid"], title=row["title"], link=row["link"], authors=tuple(json.loads(row["authors"])),
        published=when(row["published"]), updated=when(row["updated"]), summary=row["summary"],
        categories=tuple(json.loads(row["categories"])), arxiv_id=row["arxiv_id"],
        arxiv_version=row["arxiv_version"], announce_type=row["announce_type"],
        primary_category=row["primary_category"], pdf_url=row["pdf_url"], comment=row["comment"],
        pages=row["pages"])


def entries(store: Store, *, unread: bool | None = None, source: int | str | None = None,
            include_dismissed: bool = False, show_replacements: bool = False, limit: int | None = None,
            default_minutes: int = DEFAULT_REFRESH_MINUTES, now: datetime | None = None,
            ids: Sequence[int] | None = None) -> list[Entry]:
    """Stored items, newest first (by published, else updated, else first seen); ``ids``: only those."""
    known = {row.id: row for row in _uncounted_sources(store)}
    sql = "SELECT i.*, (SELECT group_concat(l.source_id) FROM feed_item_sources l WHERE l.item_id = i.id) AS via " \
          "FROM feed_items i WHERE 1"
    params: list[Any] = []
    if source is not None:
        found = get_source(store, source)
        if found is None:
            return []
        sql += " AND i.id IN (SELECT item_id FROM feed_item_sources WHERE source_id = ?)"
        params.append(found.id)
    if ids is not None:
        wanted = [int(item_id) for item_id in ids][:900]
        sql += f" AND i.id IN ({', '.join('?' * len(wanted)) or 'NULL'})"
        params.extend(wanted)
    if unread is not None:
        sql += " AND i.read_at IS NULL" if unread else " AND i.read_at IS NOT NULL"
    if not include_dismissed:
        sql += " AND i.dismissed_at IS NULL"
    if not show_replacements:
        sql += f" AND coalesce(i.announce_type, '') NOT IN ({', '.join('?' * len(REPLACEMENTS))})"
        params.extend(sorted(REPLACEMENTS))
    sql += " ORDER BY coalesce(i.published, i.updated, i.first_seen_at) DESC, i.id DESC"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(max(int(limit), 0))
    now = now or utc_now()
    stale = {source_id: row.is_stale(now, default_minutes) for source_id, row in known.items()}
    titles = {source_id: row.title for source_id, row in known.items()}  # a title may parse the spec: once each
    out = []
    for row in store.query(sql, params):
        via = [int(part) for part in (row["via"] or "").split(",") if part]
        tags = tuple(dict.fromkeys(tag for source_id in via if source_id in known for tag in known[source_id].tags))
        out.append(Entry(
            id=row["id"], source_id=row["source_id"], source=titles.get(row["source_id"], ""), tags=tags,
            item=item_of(row), first_seen_at=when(row["first_seen_at"]), read_at=when(row["read_at"]),
            saved_at=when(row["saved_at"]), dismissed_at=when(row["dismissed_at"]), backlog_id=row["backlog_id"],
            stale=any(stale.get(source_id, False) for source_id in via) if via else False))
    return out


def get_entry(store: Store, entry_id: int) -> Entry | None:
    found = entries(store, include_dismissed=True, show_replacements=True, ids=[entry_id])
    return found[0] if found else None


# -- what a fetch found (waitbuddy.feeds.refresh) ----------------------------------------------------


_ANNOUNCE_ORDER = {kind: rank for rank, kind in enumerate(("new", "cross", "absonly", "replace", "replace-cross"))}
_CONTENT = ("guid", "title", "link", "authors", "published", "updated", "summary", "categories", "arxiv_id",
            "arxiv_version", "announce_type", "primary_category", "pdf_url", "comment", "pages")


def _content(item: FeedItem) -> dict[str, Any]:
    if item.announce_type is not None and item.announce_type not in ANNOUNCE_TYPES:
        raise ValueError(f"unknown announce type {item.announce_type!r}")
    return {"guid": item.guid, "title": item.title, "link": item.link, "authors": json.dumps(item.authors),
            "published": text_of(item.published), "updated": text_of(item.updated), "summary": item.summary,
            "categories": json.dumps(item.categories), "arxiv_id": item.arxiv_id,
            "arxiv_version": item.arxiv_version, "announce_type": item.announce_type,
            "primary_category": item.primary_category, "pdf_url": item.pdf_url, "comment": item.comment,
            "pages": item.pages}


def store_items(store: Store, source_id: int, items: Iterable[FeedItem], now: datetime, **checked: Any) -> int:
    """Merge what one fetch of a source found, in one transaction; returns how many are new.

    A key already stored (the same paper from another category, an edited post) keeps its state
    (read, saved, dismissed) and its first-seen time; its text follows the newest version, and an
    arXiv paper keeps its best announce type (``new`` over ``cross`` over a replacement).
    ``checked``: fields of the source's check (see :func:`mark_checked`), written in the same
    transaction.
    """
    stamp_now = stamp(now)
    new = 0
    with store.transaction() as db:
        if checked:
            _mark(db, source_id, now, checked)
        for item in items:
            content = _content(item)
            row = db.execute("SELECT id, arxiv_version, announce_type, categories FROM feed_items WHERE key = ?",
                             (item.key,)).fetchone()
            if row is None:
                columns = ["key", "source_id", *_CONTENT, "first_seen_at", "seen_at"]
                values = [item.key, source_id, *(content[name] for name in _CONTENT), stamp_now, stamp_now]
                cursor = db.execute(f"INSERT INTO feed_items ({', '.join(columns)}) "
                                    f"VALUES ({', '.join('?' * len(columns))})", values)
                item_id, new = cursor.lastrowid, new + 1
            else:
                item_id = row["id"]
                changes = _merged(row, item, content)
                changes["seen_at"] = stamp_now
                db.execute(f"UPDATE feed_items SET {', '.join(f'{name} = ?' for name in changes)} WHERE id = ?",
                           [*changes.values(), item_id])
            db.execute("INSERT OR IGNORE INTO feed_item_sources (item_id, source_id) VALUES (?, ?)",
                       (item_id, source_id))
    return new


def _merged(row: sqlite3.Row, item: FeedItem, content: dict[str, Any]) -> dict[str, Any]:
    if item.arxiv_id is None:
        return content  # a post: its latest text wins
    categories = list(dict.fromkeys((*json.loads(row["categories"]), *item.categories)))
    changes: dict[str, Any] = {"categories": json.dumps(categories)}
    if (item.arxiv_version or 0) >= (row["arxiv_version"] or 0):
        changes.update({name: content[name] for name in ("title", "summary", "authors", "updated", "comment",
                                                          "pages", "arxiv_version")})
    if _ANNOUNCE_ORDER.get(item.announce_type or "", 9) < _ANNOUNCE_ORDER.get(row["announce_type"] or "", 9):
        changes["announce_type"] = item.announce_type
        if item.announce_type == "new" and item.primary_category:
            changes["primary_category"] = item.primary_category
    return changes


def mark_checked(store: Store, source_id: int, now: datetime, **fields: Any) -> None:
    """Record a check of a source: ``fields`` are columns (etag, last_modified, fresh_until,
    retry_at, ok_at, error, title, parsed_at) with datetimes as datetimes."""
    with store.transaction() as db:
        _mark(db, source_id, now, fields)


_CHECK_FIELDS = frozenset({"etag", "last_modified", "fresh_until", "retry_at", "ok_at", "error", "title", "parsed_at"})


def _mark(db: sqlite3.Connection, source_id: int, now: datetime, fields: dict[str, Any]) -> None:
    if unknown := set(fields) - _CHECK_FIELDS:
        raise ValueError(f"unknown source fields: {sorted(unknown)}")
    values = {name: text_of(value) if isinstance(value, datetime) else value for name, value in fields.items()}
    if values.get("error"):
        values["error"] = safe_line(values["error"], limit=ERROR_LIMIT)
    values["checked_at"] = stamp(now)
    db.execute(f"UPDATE feed_sources SET {', '.join(f'{name} = ?' for name in values)} WHERE id = ?",
               [*values.values(), source_id])


def still_listed(store: Store, source_id: int, now: datetime, **checked: Any) -> None:
    """A 304: what the source listed at its last parse is still listed (retention counts from now).
    ``checked``: fields of the check, written in the same transaction."""
    with store.transaction() as db:
        if checked:
            _mark(db, source_id, now, checked)
        parsed = db.execute("SELECT parsed_at FROM feed_sources WHERE id = ?", (source_id,)).fetchone()
        if parsed is None or parsed[0] is None:
            return
        db.execute("""UPDATE feed_items SET seen_at = ? WHERE seen_at >= ? AND id IN
                      (SELECT item_id FROM feed_item_sources WHERE source_id = ?)""",
                   (stamp(now), parsed[0], source_id))


# Re-exported, so the CLI and the pane import one module (marks imports nothing of this one).
from waitbuddy.feeds.marks import (
    RANKER_SETTING,
    Undo,
    dismiss,
    prune,
    ranker,
    set_read,
    to_backlog,
    undo,
)

__all__ = ["DEFAULT_REFRESH_MINUTES", "ORIGINS", "RANKER_SETTING", "Entry", "SourceRow", "Undo", "add_source",
           "dismiss", "entries", "get_entry", "get_source", "mark_checked", "prune", "ranker", "remove_source",
           "set_read", "sources", "still_listed", "store_items", "sync_config", "to_backlog", "undo"]
