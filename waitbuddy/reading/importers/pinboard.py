"""Pinboard's JSON export (``https://api.pinboard.in/v1/posts/all?format=json``, Settings ▸ Backup ▸ JSON).

An array of ``{"href", "description", "extended", "meta", "hash", "time", "shared", "toread",
"tags"}``: ``description`` is the title and ``extended`` the person's note, ``time`` ISO-8601
UTC, ``tags`` separated by spaces, ``shared`` and ``toread`` ``"yes"``/``"no"``. ``toread`` is
Pinboard's read-later flag: ``yes`` is unread; a bookmark without it has been read (``done``,
the status the importers give "read").
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
    tags_of,
    text_field,
)
from waitbuddy.reading.model import Bookmark, Invalid

MARKER_KEYS = frozenset({"hash", "meta", "toread", "extended", "shared", "time"})


def is_pinboard(records: list[tuple[int, Any]]) -> bool:
    """Pinboard records: ``href`` (not ``url``) and one of Pinboard's own keys."""
    return any(isinstance(record, dict) and "href" in record and "url" not in record
               and MARKER_KEYS & record.keys() for _line, record in records)


def parse_pinboard(records: Iterable[tuple[int, Any]]) -> Streamed:
    """Pinboard records (from :func:`~waitbuddy.reading.importers._common.json_records`) as bookmarks."""
    out = Streamed("pinboard-json")
    out.bookmarks = _bookmarks(records, out)
    return out


def _bookmarks(records: Iterable[tuple[int, Any]], out: Streamed) -> Iterator[Bookmark]:
    for line, record in records:
        if not isinstance(record, dict):
            out.invalid.append(Invalid(line, "not a bookmark object"))
            continue
        url = checked_url(record.get("href"), line)
        if isinstance(url, Invalid):
            out.invalid.append(url)
            continue
        try:
            saved_at = any_date(record.get("time") or None)
        except BadDate as error:
            out.invalid.append(Invalid(line, str(error)))
            continue
        toread = text_field(record.get("toread")).strip().lower()
        if entry := kept(out, bookmark(
                url, title=text_field(record.get("description")), tags=tags_of(_tags(record.get("tags"))),
                saved_at=saved_at, status="unread" if toread == "yes" else "done",
                note=text_field(record.get("extended")).strip(), line=line)):
            yield entry


def _tags(value: Any) -> list[str]:
    """Space-separated in the export; a list from other tools that write this shape."""
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list):
        return [tag for tag in value if isinstance(tag, str)]
    return []
