"""JSON from self-hosted read-later and bookmark services whose records differ from the generic JSON
(:func:`~waitbuddy.reading.importers.waitbuddy.parse_generic_json`) in what matters.

* **wallabag** (its export, "JSON" in the entry list's export menu; the v2 importer's input): an
  array of entries with ``url``, ``title``, ``is_archived``, ``is_starred``, ``tags`` (names),
  ``created_at`` (``2016-04-19T09:38:27+0200``), ``content`` (the article's HTML, not kept).
  ``is_archived`` means read: archived; anything else is unread. ``is_starred`` raises the
  priority to 1 (for a new item: a re-import keeps the person's).
* **Shaarli** (its REST API, ``/api/v1/links?limit=all``; its export is Netscape HTML): ``id``,
  ``url``, ``shorturl``, ``title``, ``description``, ``tags`` (list), ``private``, ``created``.
  A note is a shaare with no link: its ``url`` is its own relative address (``?lY47tw``,
  ``/shaare/lY47tw``). It is reported as skipped, with why, never dropped unseen.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from waitbuddy.reading.importers._common import (
    BadDate,
    Streamed,
    any_date,
    bookmark,
    checked_url,
    kept,
    shown,
    tags_of,
    text_field,
)
from waitbuddy.reading.model import Bookmark, Invalid

WALLABAG_KEYS = frozenset({"url", "is_archived", "is_starred"})
SHAARLI_KEYS = frozenset({"url", "shorturl"})


def is_wallabag(records: list[tuple[int, Any]]) -> bool:
    return any(isinstance(record, dict) and WALLABAG_KEYS <= record.keys() for _line, record in records)


def is_shaarli(records: list[tuple[int, Any]]) -> bool:
    return any(isinstance(record, dict) and SHAARLI_KEYS <= record.keys() for _line, record in records)


def parse_wallabag(records: Iterable[tuple[int, Any]]) -> Streamed:
    out = Streamed("wallabag-json")
    out.bookmarks = _records(records, out, _wallabag)
    return out


def parse_shaarli(records: Iterable[tuple[int, Any]]) -> Streamed:
    out = Streamed("shaarli-json")
    out.bookmarks = _records(records, out, _shaarli)
    return out


def _records(records: Iterable[tuple[int, Any]], out: Streamed, make: Any) -> Iterator[Bookmark]:
    for line, record in records:
        if not isinstance(record, dict):
            out.invalid.append(Invalid(line, "not a bookmark object"))
        elif entry := kept(out, make(line, record)):
            yield entry


def _wallabag(line: int, record: dict[str, Any]) -> Bookmark | Invalid:
    url = checked_url(record.get("url"), line)
    if isinstance(url, Invalid):
        return url
    try:
        saved_at = any_date(record.get("created_at") or None)
    except BadDate as error:
        return Invalid(line, str(error))
    archived = record.get("is_archived") in (True, 1, "1", "true")
    starred = record.get("is_starred") in (True, 1, "1", "true")
    return bookmark(url, title=text_field(record.get("title")), tags=tags_of(_tags(record.get("tags"))),
                    saved_at=saved_at, status="archived" if archived else "unread", line=line,
                    priority=1 if starred else 0)


def _shaarli(line: int, record: dict[str, Any]) -> Bookmark | Invalid:
    raw = record.get("url")
    if isinstance(raw, str) and _is_note(raw.strip(), text_field(record.get("shorturl"))):
        title = text_field(record.get("title")).strip()
        return Invalid(line, f"a Shaarli note, not a link ({shown(raw.strip(), 40)}"
                             f"{': ' + shown(title, 60) if title else ''}): skipped")
    url = checked_url(raw, line)
    if isinstance(url, Invalid):
        return url
    try:
        saved_at = any_date(record.get("created") or None)
    except BadDate as error:
        return Invalid(line, str(error))
    return bookmark(url, title=text_field(record.get("title")), tags=tags_of(_tags(record.get("tags"))),
                    saved_at=saved_at, description=text_field(record.get("description")).strip(), line=line)


def _is_note(url: str, shorturl: str) -> bool:
    """A shaare's own address instead of a link: ``?hash``, ``/shaare/hash``, or one ending in its short URL."""
    if url.startswith(("?", "/shaare/")):
        return True
    return bool(shorturl) and url.endswith((f"?{shorturl}", f"/shaare/{shorturl}"))


def _tags(value: Any) -> list[str]:
    """Names in a list (wallabag may write ``{"label": …}`` objects), or one space-separated string."""
    if isinstance(value, str):
        return value.split()
    if not isinstance(value, list):
        return []
    names = []
    for tag in value:
        if isinstance(tag, dict):
            tag = tag.get("label", tag.get("slug"))
        if isinstance(tag, str):
            names.append(tag)
    return names
