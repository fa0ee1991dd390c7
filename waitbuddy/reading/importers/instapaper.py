"""Instapaper's CSV export: ``URL,Title,Selection,Folder,Timestamp`` and, since 2024, ``,Tags``.

Older exports have no ``Timestamp`` (then the import date is used, as for any undated entry).
``Timestamp`` is Unix seconds. ``Folder`` is one name: Instapaper's own ``Unread`` (the home list)
and ``Archive`` are states, not topics, so they set the status; ``Starred`` is a state too: a
raised priority (1), its read state unknown, no tag; any other folder is the
person's (``Programming``, ``Articles to Read``) and becomes its slug tag, its read state unknown.
Instapaper folders are flat, so a ``/`` in a name is part of the name (``AI/ML`` -> ``ai-ml``).
``Tags`` is a JSON array in one quoted field (``"[""coding""]"``); ``Selection`` (the text the
person selected when saving) is the note. Columns are read by header name.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from waitbuddy.reading.importers._common import (
    BadDate,
    Streamed,
    bookmark,
    checked_url,
    epoch_date,
    folder_tag,
    kept,
    shown,
    split_tags,
    tags_of,
)
from waitbuddy.reading.importers._csv import csv_records
from waitbuddy.reading.model import Bookmark, Invalid

REQUIRED = frozenset({"url", "title", "selection", "folder"})
# Instapaper's built-in folders, as its export names them, and the status each one means.
STATE_FOLDERS = {"unread": "unread", "archive": "archived", "starred": None}
PRIVATE_SCHEME = "instapaper-private:"


def is_instapaper_header(header: list[str]) -> bool:
    """Instapaper's header (``Selection`` and ``Folder`` beside ``URL`` and ``Title``), in any order."""
    return REQUIRED <= set(header)


def parse_instapaper_csv(text: str, name: str) -> Streamed:
    """Instapaper rows as bookmarks; a bad header is refused now, a bad row becomes :class:`Invalid`."""
    _header, records = csv_records(text, name)
    out = Streamed("instapaper-csv")
    out.bookmarks = _rows(records, out)
    return out


def _rows(records: Iterator[tuple[int, dict[str, str] | str]], out: Streamed) -> Iterator[Bookmark]:
    for line, row in records:
        if isinstance(row, str):
            out.invalid.append(Invalid(line, row))
            continue
        url = checked_url(row.get("url"), line)
        if isinstance(url, Invalid):
            raw = row.get("url", "").strip()
            if raw.lower().startswith(PRIVATE_SCHEME):  # an e-mailed newsletter or an upload: no page to open
                url = Invalid(line, f"Instapaper private content (e-mailed or uploaded), not a link: {shown(raw)}")
            out.invalid.append(url)
            continue
        try:
            saved_at = epoch_date(row.get("timestamp"))
        except BadDate as error:
            out.invalid.append(Invalid(line, str(error)))
            continue
        folder = row.get("folder", "").strip()
        status, tags = None, list(_tags(row.get("tags", "")))
        priority = 1 if folder.lower() == "starred" else 0
        if folder.lower() in STATE_FOLDERS:
            status = STATE_FOLDERS[folder.lower()]
        elif tag := folder_tag(folder):
            tags.insert(0, tag)
        if entry := kept(out, bookmark(url, title=row.get("title", ""), tags=tags_of(tags), saved_at=saved_at,
                                       status=status, note=row.get("selection", "").strip(), line=line,
                                       priority=priority)):
            yield entry


def _tags(field: str) -> list[str]:
    """The ``Tags`` field: a JSON array of names (``[]`` when none); plain comma-separated text is taken too."""
    field = field.strip()
    if field in ("", "[]"):  # most rows: no tags
        return []
    if field.startswith("["):
        try:
            value = json.loads(field)
        except ValueError:
            value = None
        if isinstance(value, list):
            return [tag for tag in value if isinstance(tag, str)]
        field = field.strip("[]")
    return split_tags(field, ",")
