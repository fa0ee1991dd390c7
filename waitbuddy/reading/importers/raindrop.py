"""Raindrop.io's CSV backup: ``id,title,note,excerpt,url,folder,tags,created,cover,highlights,favorite``.

``tags`` are comma-separated inside one field (``"rust, async"``); ``created`` is ISO-8601 with
milliseconds. ``folder`` is the collection's path: Raindrop writes a nested collection as
``Parent / Child`` (spaces around the ``/``), and a collection may have a ``/`` in its own name
(``Apps/Services / AI Apps`` is ``Apps/Services`` then ``AI Apps``); a path without `` / `` is
split on ``/``. Each segment becomes a slug tag, as browser folders do; "Unsorted" is Raindrop's
inbox, not a topic. ``note`` is the person's note, with ``highlights`` (which may span lines)
after it; ``excerpt`` is the description. Records are numbered by the line they start on.
Raindrop has no read/unread state, so status stays unknown; ``favorite`` (``true``) raises the
priority to 1. Exports written without the ``id`` column are recognised too.
"""

from __future__ import annotations

from collections.abc import Iterator

from waitbuddy.reading.importers._common import (
    BadDate,
    Streamed,
    bookmark,
    checked_url,
    folder_tag,
    iso_date,
    kept,
    split_tags,
    tags_of,
)
from waitbuddy.reading.importers._csv import csv_records
from waitbuddy.reading.model import Bookmark, Invalid

REQUIRED = frozenset({"url", "folder", "created", "excerpt"})
SKIPPED_FOLDERS = frozenset({"unsorted"})


def is_raindrop_header(header: list[str]) -> bool:
    """Raindrop's header (by its distinctive columns, in any order)."""
    return REQUIRED <= set(header)


def parse_raindrop_csv(text: str, name: str) -> Streamed:
    """Raindrop CSV rows as bookmarks; highlights are appended to the note so they are not lost."""
    _header, records = csv_records(text, name)
    out = Streamed("raindrop-csv")
    out.bookmarks = _rows(records, out)
    return out


def _rows(records: Iterator[tuple[int, dict[str, str] | str]], out: Streamed) -> Iterator[Bookmark]:
    for line, row in records:
        if isinstance(row, str):
            out.invalid.append(Invalid(line, row))
            continue
        url = checked_url(row.get("url"), line)
        if isinstance(url, Invalid):
            out.invalid.append(url)
            continue
        try:
            saved_at = iso_date(row.get("created"))
        except BadDate as error:
            out.invalid.append(Invalid(line, str(error)))
            continue
        folders = [tag for segment in _segments(row.get("folder", ""))
                   if segment.strip().lower() not in SKIPPED_FOLDERS and (tag := folder_tag(segment))]
        note = row.get("note", "").strip()
        highlights = row.get("highlights", "").strip()
        if highlights:
            note = f"{note}\n\n{highlights}" if note else highlights
        if entry := kept(out, bookmark(
                url, title=row.get("title", ""), tags=tags_of([*folders, *split_tags(row.get("tags"), ",")]),
                saved_at=saved_at, note=note, description=row.get("excerpt", "").strip(), line=line,
                priority=1 if row.get("favorite", "").strip().lower() == "true" else 0)):
            yield entry


def _segments(folder: str) -> list[str]:
    """The collections on a ``folder`` path, outermost first."""
    return split_tags(folder, " / " if " / " in folder else "/")
