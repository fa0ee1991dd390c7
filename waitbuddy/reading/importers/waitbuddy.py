"""waitbuddy's own CSV and JSON exports, and any other CSV or JSON list of records with a ``url``.

Our CSV header is :data:`waitbuddy.reading.export.CSV_COLUMNS` with ``|``-joined tags; our JSON is
an array of objects with a ``tags`` list. Other CSVs are read by common column names; their tags
are split on ``|`` when the field has one, else on commas. Dates may be ISO-8601 or Unix times.
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
    split_tags,
    status_of,
    tags_of,
    text_field,
)
from waitbuddy.reading.importers._csv import csv_records
from waitbuddy.reading.model import Bookmark, Invalid

OWN_CSV_COLUMNS = ("url", "title", "kind", "status", "priority", "tags", "note", "saved_at", "minutes")
OWN_JSON_KEYS = frozenset({"url", "title", "kind", "status", "tags", "saved_at", "source"})
TITLE_COLUMNS = ("title", "name")
NOTE_COLUMNS = ("note", "notes", "comment")
DESCRIPTION_COLUMNS = ("description", "excerpt", "extended")
DATE_COLUMNS = ("saved_at", "created", "created_at", "time_added", "date_added", "added", "add_date", "date")
STATUS_COLUMNS = ("status", "state")


def _first(row: dict[str, str], columns: tuple[str, ...]) -> str:
    for column in columns:
        if row.get(column, "").strip():
            return row[column]
    return ""


def parse_generic_csv(text: str, name: str) -> Streamed:
    """A CSV with a ``url`` column (the caller checked); waitbuddy's own export when the header is ours."""
    header, records = csv_records(text, name)
    own = set(OWN_CSV_COLUMNS) <= set(header)
    out = Streamed("waitbuddy-csv" if own else "csv")
    out.bookmarks = _csv_rows(records, out, own=own)
    return out


def _csv_rows(records: Iterator[tuple[int, dict[str, str] | str]], out: Streamed, *, own: bool) -> Iterator[Bookmark]:
    for line, row in records:
        if isinstance(row, str):
            out.invalid.append(Invalid(line, row))
            continue
        if own:  # our export quotes formula-like cells with one "'" (reading/export.py): take it off
            row = {key: value[1:] if isinstance(value, str) and value.startswith("'") else value
                   for key, value in row.items()}
        url = checked_url(row.get("url"), line)
        if isinstance(url, Invalid):
            out.invalid.append(url)
            continue
        try:
            saved_at = any_date(_first(row, DATE_COLUMNS) or None)
        except BadDate as error:
            out.invalid.append(Invalid(line, str(error)))
            continue
        field = row.get("tags", "")
        separator = "|" if own or "|" in field else ","
        if entry := kept(out, bookmark(
                url, title=_first(row, TITLE_COLUMNS), tags=tags_of(split_tags(field, separator)), saved_at=saved_at,
                status=status_of(_first(row, STATUS_COLUMNS)), note=_first(row, NOTE_COLUMNS).strip(),
                description=_first(row, DESCRIPTION_COLUMNS).strip(), line=line)):
            yield entry


def parse_generic_json(records: Iterable[tuple[int, Any]], *, own: bool = False) -> Streamed:
    """An array of objects with ``url`` (waitbuddy's JSON export among them), read once, in order.

    ``own``: the first records (the caller's sniff) are waitbuddy's export. Any record with our
    keys, later, makes it so too (the format is final once the bookmarks are read)."""
    out = Streamed("waitbuddy-json" if own else "json")
    out.bookmarks = _json_records(records, out)
    return out


def is_own_json(records: Iterable[tuple[int, Any]]) -> bool:
    return any(isinstance(record, dict) and OWN_JSON_KEYS <= record.keys() for _line, record in records)


def _json_records(records: Iterable[tuple[int, Any]], out: Streamed) -> Iterator[Bookmark]:
    for line, record in records:
        if isinstance(record, dict) and OWN_JSON_KEYS <= record.keys():
            out.format = "waitbuddy-json"
        if not isinstance(record, dict):
            out.invalid.append(Invalid(line, "not a bookmark object"))
            continue
        url = checked_url(record.get("url"), line)
        if isinstance(url, Invalid):
            out.invalid.append(url)
            continue
        try:
            saved_at = any_date(next((record[key] for key in DATE_COLUMNS if record.get(key)), None))
        except BadDate as error:
            out.invalid.append(Invalid(line, str(error)))
            continue
        if entry := kept(out, bookmark(
                url, title=text_field(record.get("title")), tags=tags_of(_tags(record.get("tags"))),
                saved_at=saved_at, status=status_of(text_field(record.get("status"))),
                note=text_field(record.get("note")).strip(), description=text_field(record.get("description")).strip(),
                line=line)):
            yield entry


def _tags(value: Any) -> list[str]:
    """A list of tag strings, or one string of comma-separated tags."""
    if isinstance(value, str):
        return value.split(",")
    if isinstance(value, list):
        return [tag for tag in value if isinstance(tag, str)]
    return []
