"""Raindrop.io's CSV backup: ``id,title,note,excerpt,url,folder,tags,created,cover,highlights,favorite``.

``tags`` are comma-separated inside one field, ``folder`` is a ``/`` path (each segment becomes a
slug tag, as browser folders do; "Unsorted" is Raindrop's inbox, not a topic), ``created`` is ISO-8601 with milliseconds.
``highlights`` may span lines; records are numbered by the line they start on. Raindrop has no
read/unread state, so status stays unknown.
"""

from __future__ import annotations

from waitbuddy.reading.importers._common import (
    BadDate,
    add,
    bookmark,
    checked_url,
    folder_tag,
    iso_date,
    parsed_as,
    split_tags,
    tags_of,
)
from waitbuddy.reading.importers._csv import csv_records
from waitbuddy.reading.model import Invalid, Parsed

REQUIRED = frozenset({"id", "url", "folder", "created", "excerpt"})
SKIPPED_FOLDERS = frozenset({"unsorted"})


def is_raindrop_header(header: list[str]) -> bool:
    """Raindrop's header (by its distinctive columns, in any order)."""
    return REQUIRED <= set(header)


def parse_raindrop_csv(text: str, name: str) -> Parsed:
    """Raindrop CSV rows as bookmarks; highlights are appended to the note so they are not lost."""
    _header, records = csv_records(text, name)
    parsed = parsed_as("raindrop-csv")
    for line, row in records:
        if isinstance(row, str):
            parsed.invalid.append(Invalid(line, row))
            continue
        url = checked_url(row.get("url"), line)
        if isinstance(url, Invalid):
            parsed.invalid.append(url)
            continue
        try:
            saved_at = iso_date(row.get("created"))
        except BadDate as error:
            parsed.invalid.append(Invalid(line, str(error)))
            continue
        folders = [tag for segment in split_tags(row.get("folder"), "/")
                   if segment.strip().lower() not in SKIPPED_FOLDERS and (tag := folder_tag(segment))]
        note = row.get("note", "").strip()
        highlights = row.get("highlights", "").strip()
        if highlights:
            note = f"{note}\n\n{highlights}" if note else highlights
        add(parsed, bookmark(
            url, title=row.get("title", ""), tags=tags_of([*folders, *split_tags(row.get("tags"), ",")]),
            saved_at=saved_at, note=note, description=row.get("excerpt", "").strip(), line=line))
    return parsed
