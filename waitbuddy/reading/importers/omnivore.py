"""Omnivore's export: ``metadata_<start>_to_<end>.json`` files (inside the export zip), each an array of
``{id, slug, title, description, author, url, state, readingProgress, labels, savedAt, …}``.

``state`` ``Archived`` means archived. An ``Active`` item read to the end (``readingProgress`` ≥ 100,
a percentage) counts as done; any other ``Active`` item as unread. Omnivore keeps progress per
scroll position, so a partly read item is not "reading" for us: it was most likely only opened.
``highlights/<slug>.md`` from the zip, when given, becomes the note.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from waitbuddy.reading.importers._common import (
    BadDate,
    Streamed,
    bookmark,
    checked_url,
    iso_date,
    kept,
    tags_of,
    text_field,
)
from waitbuddy.reading.model import Bookmark, Invalid

MARKER_KEYS = frozenset({"savedAt", "slug", "readingProgress"})


def is_omnivore(records: list[tuple[int, Any]]) -> bool:
    """Omnivore records carry ``savedAt``/``slug``/``readingProgress``; our own JSON does not."""
    return any(isinstance(record, dict) and MARKER_KEYS & record.keys() for _line, record in records)


def parse_omnivore(records: Iterable[tuple[int, Any]], *, part: str = "",
                   highlights: dict[str, str] | None = None) -> Streamed:
    """Omnivore records (from :func:`~waitbuddy.reading.importers._common.json_records`) as bookmarks."""
    out = Streamed("omnivore")
    out.bookmarks = omnivore_bookmarks(records, out, part=part, highlights=highlights)
    return out


def omnivore_bookmarks(records: Iterable[tuple[int, Any]], out: Streamed, *, part: str = "",
                       highlights: dict[str, str] | None = None) -> Iterator[Bookmark]:
    """The bookmarks of Omnivore ``records`` as they are read; rejects go to ``out.invalid``."""
    prefix = f"{part}: " if part else ""
    for line, record in records:
        if not isinstance(record, dict):
            out.invalid.append(Invalid(line, f"{prefix}not a bookmark record"))
            continue
        state = text_field(record.get("state")).strip().lower()
        if state == "deleted":
            out.invalid.append(Invalid(line, f"{prefix}deleted in Omnivore"))
            continue
        url = checked_url(record.get("url"), line)
        if isinstance(url, Invalid):
            out.invalid.append(Invalid(line, prefix + url.reason))
            continue
        try:
            saved_at = iso_date(text_field(record.get("savedAt")))
        except BadDate as error:
            out.invalid.append(Invalid(line, f"{prefix}{error}"))
            continue
        slug = text_field(record.get("slug"))
        if entry := kept(out, bookmark(
                url, title=text_field(record.get("title")), tags=tags_of(_labels(record.get("labels"))),
                saved_at=saved_at, status=_status(state, record), description=text_field(record.get("description")),
                note=(highlights or {}).get(slug, "").strip() if slug else "", line=line), prefix):
            yield entry


def _labels(value: Any) -> list[str]:
    """Labels as names: the export writes strings, the API wrote ``{"name": …}`` objects."""
    if not isinstance(value, list):
        return []
    names = []
    for label in value:
        if isinstance(label, dict):
            label = label.get("name")
        if isinstance(label, str):
            names.append(label)
    return names


def _status(state: str, record: dict[str, Any]) -> str | None:
    if state == "archived":
        return "archived"
    if state not in ("active", ""):
        return None
    progress = record.get("readingProgress", record.get("readingProgressPercent"))
    if isinstance(progress, int | float) and not isinstance(progress, bool) and progress >= 100:
        return "done"
    return "unread" if state == "active" else None
