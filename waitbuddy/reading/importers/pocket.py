"""Pocket's CSV export: one ``part_NNNNNN.csv`` or a zip of several (at most 10,000 rows each).

Columns are read by header name: the late-2024 files have an extra ``cursor`` column that
shifts every position after ``time_added`` (wallabag reads by position and gets it wrong).
``tags`` are ``|``-separated and may hold spaces or umlauts; ``status`` is ``unread`` or
``archive``; ``time_added`` is Unix seconds. Pocket writes the URL as the title when it had
none: that counts as no title.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from waitbuddy.reading.importers._common import (
    BadDate,
    Streamed,
    bookmark,
    checked_url,
    epoch_date,
    kept,
    split_tags,
    status_of,
    tags_of,
)
from waitbuddy.reading.importers._csv import csv_records
from waitbuddy.reading.model import Bookmark, Invalid

REQUIRED = frozenset({"title", "url", "time_added", "status"})


def is_pocket_header(header: list[str]) -> bool:
    """Pocket's 5-column (``title,url,time_added,tags,status``) or 6-column (``…,cursor,…``) header."""
    return REQUIRED <= set(header)


def parse_pocket_csv(text: str, name: str, *, part: str = "") -> Streamed:
    """One Pocket CSV file. ``part`` (a zip member's name) prefixes the reasons of rejected rows."""
    out = Streamed("pocket-csv")
    _header, records = csv_records(text, name)  # a bad header is refused now, before any row
    out.bookmarks = _rows(records, out, part)
    return out


def _rows(records: Iterator[tuple[int, dict[str, str] | str]], out: Streamed, part: str) -> Iterator[Bookmark]:
    prefix = f"{part}: " if part else ""
    for line, row in records:
        if isinstance(row, str):
            out.invalid.append(Invalid(line, prefix + row))
            continue
        url = checked_url(row.get("url"), line)
        if isinstance(url, Invalid):
            out.invalid.append(Invalid(line, prefix + url.reason))
            continue
        try:
            saved_at = epoch_date(row.get("time_added"))
        except BadDate as error:
            out.invalid.append(Invalid(line, f"{prefix}{error}"))
            continue
        if entry := kept(out, bookmark(
                url, title=row.get("title", ""), tags=tags_of(split_tags(row.get("tags"), "|")), saved_at=saved_at,
                status=status_of(row.get("status")), line=line), prefix):
            yield entry


def parse_pocket_parts(parts: Iterable[tuple[str, str]], name: str) -> Streamed:
    """All parts of a Pocket zip, in the order given (the caller sorts them by name), as one import.
    Lines count within each part. ``parts`` may be a generator: one part's text is held at a time."""
    out = Streamed("pocket-zip")
    out.bookmarks = _parts(parts, name, out)
    return out


def _parts(parts: Iterable[tuple[str, str]], name: str, out: Streamed) -> Iterator[Bookmark]:
    for part, text in parts:
        _header, records = csv_records(text, f"{name}/{part}")
        del text  # the reader holds it until this part is read, and no longer
        yield from _rows(records, out, part)
