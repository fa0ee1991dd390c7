"""Export the backlog as a Netscape bookmark file, CSV or JSON: a way out that other tools read.

Each format re-imports through :mod:`waitbuddy.reading.importers` with the same URL, title,
tags, status and date (the Netscape file keeps dates to the second, its format's resolution).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from html import escape
from typing import Any

from waitbuddy.reading.model import Item
from waitbuddy.timefmt import iso_utc

CSV_COLUMNS = ("url", "title", "kind", "status", "priority", "tags", "note", "saved_at", "minutes")
CSV_TAG_SEPARATOR = "|"  # Pocket's choice too: tags may hold commas and spaces, rarely a bar
TOREAD_STATUSES = frozenset({"unread", "reading"})
NOTES_OPEN, NOTES_CLOSE = "[linkding-notes]", "[/linkding-notes]"

_NETSCAPE_HEAD = """<!DOCTYPE NETSCAPE-Bookmark-file-1>
<!-- This is an automatically generated file.
     It will be read and overwritten.
     DO NOT EDIT! -->
<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=UTF-8">
<TITLE>Bookmarks</TITLE>
<H1>Bookmarks</H1>
<DL><p>
"""


def _attr(value: str) -> str:
    return escape(value, quote=True)


def export_netscape(items: Iterable[Item]) -> str:
    """A bookmark file browsers import (Chrome, Firefox, Safari) and linkding/Pinboard understand.

    ``TOREAD="1"`` marks unread and reading items; ``STATUS`` (ignored by browsers) keeps the exact
    status for waitbuddy. The ``<DD>`` carries the description and, in linkding's notation, the note.
    """
    out = [_NETSCAPE_HEAD]
    for item in items:
        attributes = [f'HREF="{_attr(item.url)}"']
        if item.saved_at is not None:
            attributes.append(f'ADD_DATE="{int(item.saved_at.timestamp())}"')
        if item.updated_at is not None:
            attributes.append(f'LAST_MODIFIED="{int(item.updated_at.timestamp())}"')
        if item.tags:
            attributes.append(f'TAGS="{_attr(",".join(item.tags))}"')
        if item.status in TOREAD_STATUSES:
            attributes.append('TOREAD="1"')
        attributes.append(f'STATUS="{_attr(item.status)}"')
        out.append(f"    <DT><A {' '.join(attributes)}>{escape(item.title, quote=True)}</A>\n")
        description = _one_paragraph(item.description)
        note = item.note.strip()
        if note:
            out.append(f"    <DD>{escape(description, quote=True)}{NOTES_OPEN}{escape(note, quote=True)}"
                       f"{NOTES_CLOSE}\n")
        elif description:
            out.append(f"    <DD>{escape(description, quote=True)}\n")
    out.append("</DL><p>\n")
    return "".join(out)


def _one_paragraph(text: str) -> str:
    return " ".join(text.split())


# A cell starting with one of these is a formula to a spreadsheet (=HYPERLINK(...), @SUM(...)):
# it is written after a "'", which spreadsheets show as text (OWASP's advice on CSV injection);
# a cell that starts with "'" gets one more, so our own import can take exactly one off.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")


def inert_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def export_csv(items: Iterable[Item]) -> str:
    """One row per item under :data:`CSV_COLUMNS`; tags joined with ``|``, dates ISO-8601 UTC;
    text that a spreadsheet would run as a formula is quoted (see :data:`FORMULA_STARTS`)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for item in items:
        writer.writerow([inert_cell(value) for value in (
            item.url, item.title, item.kind, item.status, item.priority, CSV_TAG_SEPARATOR.join(item.tags),
            item.note, iso_utc(item.saved_at), "" if item.minutes is None else item.minutes,
        )])
    return buffer.getvalue()


def export_json(items: Iterable[Item]) -> str:
    """A JSON array of objects, one per item, UTF-8 text kept as is (not ``\\u`` escaped)."""
    records: list[dict[str, Any]] = [
        {
            "url": item.url, "title": item.title, "kind": item.kind, "status": item.status,
            "priority": item.priority, "tags": list(item.tags), "note": item.note,
            "saved_at": iso_utc(item.saved_at) or None, "minutes": item.minutes, "source": item.source,
        }
        for item in items
    ]
    return json.dumps(records, ensure_ascii=False, indent=2) + "\n"
