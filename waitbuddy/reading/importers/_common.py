"""Helpers every importer shares: tags, dates, statuses, URL checks, CSV and JSON records with lines.

Each exporter writes dates, tags and states its own way; the rules for turning them into a
:class:`~waitbuddy.reading.model.Bookmark` live here once, so every format treats them alike.
"""

from __future__ import annotations

import json
import math
import re
import sys
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from waitbuddy.reading.model import Bookmark, ImportFailed, Invalid, Parsed, tag_slug
from waitbuddy.text import openable_url, safe_line

EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)  # before the web: a broken date, not a real save
FUTURE_SLACK = timedelta(days=1)
_EARLIEST_SECONDS = EARLIEST.timestamp()
# No real title, URL or tag list comes near these; a longer one is a broken or hostile file, and
# its row is reported (never cut silently). Notes hold Raindrop highlights, so they get more room.
MAX_FIELD = 64 * 1024
MAX_NOTE = 1024 * 1024

_SPACE = re.compile(r"[ \t\r\n]*")
_STATUS_WORDS = {
    "unread": "unread", "toread": "unread", "to read": "unread", "to-read": "unread", "inbox": "unread",
    "reading": "reading", "in progress": "reading",
    "done": "done", "read": "done", "finished": "done",
    "archived": "archived", "archive": "archived",
}


MAX_INVALID = 100_000  # more rejected entries than this: not a bookmarks export, and each costs memory


class TooManyInvalid(Exception):
    """Raised by :class:`Rejects` past :data:`MAX_INVALID`; the caller names the file."""

    def __init__(self, first: Invalid, limit: int) -> None:
        super().__init__(first)
        self.first, self.limit = first, limit


class Rejects(list[Invalid]):
    """The invalid entries of one import, refusing to grow past :data:`MAX_INVALID`."""

    def append(self, item: Invalid) -> None:
        if len(self) >= MAX_INVALID:
            raise TooManyInvalid(self[0], MAX_INVALID)
        super().append(item)

    def extend(self, items: Iterable[Invalid]) -> None:
        for item in items:
            self.append(item)


def parsed_as(format_name: str) -> Parsed:
    """An empty :class:`Parsed` whose invalid list is bounded."""
    return Parsed(format_name, invalid=Rejects())


class BadDate(ValueError):
    """A date field that is present but cannot be read; the row becomes :class:`Invalid`."""


def fail(name: str, problem: str) -> ImportFailed:
    """The one-line, terminal-safe error for a file that can't be imported at all."""
    return ImportFailed(safe_line(f"{name or 'input'}: {problem}", limit=400))


def shown(value: str, limit: int = 80) -> str:
    """A short, safe quote of a hostile value for an :class:`Invalid` reason."""
    return safe_line(value, limit=limit) or "(empty)"


def tags_of(values: Iterable[str]) -> tuple[str, ...]:
    """Stripped, non-empty, lowercased tags, duplicates dropped, first occurrence kept.

    Interned: a big export repeats a few tags on every row, and one copy of each is enough.
    """
    seen: dict[str, None] = {}
    for value in values:
        tag = value.strip().lower()
        if tag:
            seen.setdefault(sys.intern(tag), None)
    return tuple(seen)


def folder_tag(name: str) -> str | None:
    """The tag a bookmark folder gives its bookmarks: its slug (``ML Papers`` -> ``ml-papers``),
    so that ``tag:ml-papers`` and ``#ml-papers`` find it; None for a name with no letters or digits."""
    return tag_slug(name) or None


def split_tags(field: str | None, separator: str) -> list[str]:
    """The tags in one field; an empty field has none."""
    return field.split(separator) if field else []


def status_of(value: str | None) -> str | None:
    """An export's state word as one of the backlog statuses, or ``None`` when it says nothing we know."""
    return _STATUS_WORDS.get((value or "").strip().lower())


def plausible(when: datetime) -> datetime | None:
    """``when`` in UTC, or ``None`` if it is before 1990 or more than a day ahead (a broken clock or field)."""
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    if when < EARLIEST or when > datetime.now(UTC) + FUTURE_SLACK:
        return None
    return when


def epoch_date(value: str | float | None) -> datetime | None:
    """A Unix time in seconds, milliseconds, microseconds or nanoseconds, told apart by magnitude.

    Empty, ``0`` or negative means "no date" (``None``); text that is not a number raises :class:`BadDate`.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise BadDate(f"date {shown(str(value), 40)!r} is not a Unix time") from None
    if math.isnan(number):
        raise BadDate(f"date {shown(str(value), 40)!r} is not a Unix time")
    if number <= 0 or math.isinf(number):  # no date, or an absurd one
        return None
    for scale in (1, 1e3, 1e6, 1e9):  # 1e11 seconds is the year 5138: past that it's a finer unit
        if number / scale < 1e11:
            number /= scale
            break
    else:
        return None
    # Compared as numbers first: this runs once per bookmark, and most dates are fine.
    if number < _EARLIEST_SECONDS or number > time.time() + FUTURE_SLACK.total_seconds():
        return None
    return datetime.fromtimestamp(number, UTC)


def iso_date(value: str | None) -> datetime | None:
    """An ISO-8601 date (``2024-01-02T03:04:05.123Z``; no zone means UTC). Empty means ``None``."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text[-1:] in "zZ":
        text = text[:-1] + "+00:00"
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise BadDate(f"date {shown(value, 40)!r} is not an ISO-8601 date") from None
    try:
        return plausible(when)
    except OverflowError:  # year 1 or 9999 shifted out of range by its offset
        return None


def any_date(value: Any) -> datetime | None:
    """A date given either as a Unix time (number or digits) or as ISO-8601 text."""
    if value is None or isinstance(value, bool):
        return None if value is None else _bad(value)
    if isinstance(value, int | float):
        return epoch_date(value)
    if not isinstance(value, str):
        return _bad(value)
    text = value.strip()
    if text.lstrip("+-").replace(".", "", 1).isdigit():
        return epoch_date(text)
    return iso_date(text)


def _bad(value: Any) -> datetime | None:
    raise BadDate(f"date {shown(repr(value), 40)} is not a date")


def checked_url(raw: Any, line: int) -> str | Invalid:
    """The URL of an entry, or why the entry can't be used (missing, too long, or not an http(s) URL)."""
    if not isinstance(raw, str) or not raw.strip():
        return Invalid(line, "no URL")
    if len(raw) > MAX_FIELD:
        return Invalid(line, f"URL is {size_text(len(raw))} long (the limit is {size_text(MAX_FIELD)})")
    url = openable_url(raw)
    if url is None:
        return Invalid(line, f"not an http(s) URL: {shown(raw.strip())}")
    return url


def bookmark(url: str, *, title: str = "", **fields: Any) -> Bookmark | Invalid:
    """A bookmark; a title that only repeats the URL (Pocket writes those) counts as no title.

    A field past its limit (:data:`MAX_FIELD`, :data:`MAX_NOTE` for notes and descriptions) makes
    the entry :class:`Invalid`, naming the field and its size.
    """
    title = (title or "").strip()
    if title == url:
        title = ""
    if problem := too_long(title=title, tags=fields.get("tags", ()), note=fields.get("note", ""),
                           description=fields.get("description", "")):
        return Invalid(fields.get("line", 0), problem)
    return Bookmark(url=url, title=title, **fields)


def too_long(*, title: str = "", tags: Iterable[str] = (), note: str = "", description: str = "") -> str | None:
    """Why one of these fields is too long to import, or None."""
    lengths = (("title", len(title), MAX_FIELD), ("tags", sum(len(tag) + 1 for tag in tags), MAX_FIELD),
               ("note", len(note), MAX_NOTE), ("description", len(description), MAX_NOTE))
    for field, length, limit in lengths:
        if length > limit:
            return f"{field} is {size_text(length)} long (the limit is {size_text(limit)})"
    return None


def size_text(chars: int) -> str:
    """A length in characters for people: ``812 characters``, ``64 KB``, ``100.0 MB``."""
    if chars < 1024:
        return f"{chars} characters"
    if chars < 1024 * 1024:
        return f"{-(-chars // 1024)} KB"  # rounded up: just over a limit never reads as the limit
    tenths = -(-chars * 10 // (1024 * 1024))
    return f"{tenths // 10} MB" if tenths % 10 == 0 else f"{tenths / 10:.1f} MB"


def add(parsed: Parsed, entry: Bookmark | Invalid, prefix: str = "") -> None:
    """An entry into its list: a bookmark, or a rejected one (its reason after ``prefix``)."""
    if isinstance(entry, Invalid):
        parsed.invalid.append(Invalid(entry.line, prefix + entry.reason) if prefix else entry)
    else:
        parsed.bookmarks.append(entry)


def text_field(value: Any) -> str:
    """A JSON value as text: strings as they are, anything else (numbers, null, objects) as empty."""
    return value if isinstance(value, str) else ""


def json_records(text: str, name: str) -> Iterator[tuple[int, Any]]:
    """The elements of a top-level JSON array, each with the line it starts on, one at a time.

    ``json.loads`` gives no positions, so the array is walked element by element with
    ``raw_decode``; still linear in the file size. Yielding them (instead of a list) lets each
    record become a bookmark and be dropped: the list of a 195 MB file's dicts took ~1 GB.
    A broken file raises :class:`ImportFailed` when the reading gets there.
    """
    decoder = json.JSONDecoder()
    index, line, counted = _skip_space(text, 0), 1, 0
    if text[index:index + 1] != "[":
        raise fail(name, "JSON is not a list of bookmarks (expected an array)")
    index = _skip_space(text, index + 1)
    if text[index:index + 1] == "]":
        _end_of_array(text, index, name)
        return
    while True:
        line += text.count("\n", counted, index)
        counted = index
        try:
            value, index = decoder.raw_decode(text, index)
        except json.JSONDecodeError as error:
            raise fail(name, f"broken or truncated JSON at line {error.lineno}: {error.msg}") from None
        except RecursionError:
            raise fail(name, f"JSON nested too deeply at line {line}") from None
        except ValueError as error:  # e.g. a number with more digits than Python converts
            raise fail(name, f"unreadable JSON at line {line}: {error}") from None
        yield line, value
        index = _skip_space(text, index)
        separator = text[index:index + 1]
        if separator == "]":
            _end_of_array(text, index, name)
            return
        if separator != ",":
            where = line + text.count("\n", counted, index)
            raise fail(name, f"broken or truncated JSON at line {where}: expected ',' or ']'")
        index = _skip_space(text, index + 1)


def _end_of_array(text: str, index: int, name: str) -> None:
    if _skip_space(text, index + 1) != len(text):
        raise fail(name, "unexpected data after the end of the JSON array")


def _skip_space(text: str, index: int) -> int:
    return _SPACE.match(text, index).end()  # type: ignore[union-attr]  # always matches
