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
from waitbuddy.timefmt import parse_iso

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


class Streamed:
    """What an importer is reading: its format, its bookmarks *as they are read*, and its rejects.

    ``bookmarks`` is an iterator, to be read once: each bookmark is made when the reading gets
    to it, so a file of a million bookmarks never holds a million of them (a list of them was
    ~4x the file). ``invalid`` grows while it is read and is complete once it is exhausted. A
    problem with the file as a whole raises :class:`ImportFailed` from the iteration (a caller
    writing as it reads does so inside one transaction). :meth:`parsed` reads it all into a
    :class:`Parsed`. It has the attributes of a :class:`Parsed`, so the store takes either.
    """

    __slots__ = ("bookmarks", "format", "invalid")

    def __init__(self, format_name: str, bookmarks: Iterable[Bookmark] = (), invalid: list[Invalid] | None = None):
        self.format = format_name
        self.bookmarks: Iterator[Bookmark] = iter(bookmarks)
        self.invalid: list[Invalid] = Rejects() if invalid is None else invalid

    def parsed(self) -> Parsed:
        """Everything read at once (the format may only be known at the end, so it is read last)."""
        bookmarks = list(self.bookmarks)
        return Parsed(self.format, bookmarks, self.invalid)


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
    try:
        when = parse_iso(value)
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


def kept(out: Streamed, entry: Bookmark | Invalid, prefix: str = "") -> Bookmark | None:
    """The bookmark to yield, or None when ``entry`` is a rejected one (put in ``out.invalid``, its
    reason after ``prefix``)."""
    if isinstance(entry, Invalid):
        out.invalid.append(Invalid(entry.line, prefix + entry.reason) if prefix else entry)
        return None
    return entry


def text_field(value: Any) -> str:
    """A JSON value as text: strings as they are, anything else (numbers, null, objects) as empty."""
    return value if isinstance(value, str) else ""


JSON_CHUNK = 1024 * 1024  # characters of JSON read at a time; a longer record grows the window


def text_chunks(text: str, size: int = JSON_CHUNK) -> Iterator[str]:
    """``text`` a slice at a time (for readers that take chunks), never copied whole."""
    for start in range(0, len(text), size):
        yield text[start:start + size]


class _Window:
    """A sliding window over text that arrives in chunks: what is read is dropped, lines are counted.

    ``line`` is the line number of ``text[pos]`` in the whole input. :meth:`fill` keeps what is
    not read yet and appends at least as much again (at least :data:`JSON_CHUNK`), so a record
    longer than a chunk costs linear time, and the window holds about one record or one chunk.
    """

    def __init__(self, chunks: Iterator[str]) -> None:
        self.chunks, self.text, self.pos, self.line, self.eof = chunks, "", 0, 1, False

    def fill(self) -> None:
        parts = [self.text[self.pos:]]
        self.text, self.pos = "", 0  # the read part is freed before the join
        have = len(parts[0])
        target = have + max(JSON_CHUNK, have)
        while have < target:
            chunk = next(self.chunks, None)
            if chunk is None:
                self.eof = True
                break
            parts.append(chunk)
            have += len(chunk)
        self.text = parts[0] if len(parts) == 1 else "".join(parts)

    def skip_space(self) -> None:
        while True:
            end = _skip_space(self.text, self.pos)
            self.line += self.text.count("\n", self.pos, end)
            self.pos = end
            if end < len(self.text) or self.eof:
                return
            self.fill()

    def peek(self) -> str:
        """The next character that is not white space ("" at the end of the input)."""
        self.skip_space()
        return self.text[self.pos:self.pos + 1]

    def advance(self, end: int) -> None:
        self.line += self.text.count("\n", self.pos, end)
        self.pos = end

    def line_at(self, index: int) -> int:
        return self.line + self.text.count("\n", self.pos, index)


def _cut_short(error: json.JSONDecodeError, text: str) -> bool:
    """The error may only mean the window ends inside this record (more text would complete it)."""
    return error.pos >= len(text) - 16 or error.msg.startswith("Unterminated string")


def json_records(source: str | Iterable[str], name: str) -> Iterator[tuple[int, Any]]:
    """The elements of a top-level JSON array, each with the line it starts on, one at a time.

    ``source`` is the text, or the text in chunks (a file decoded as it is read): the array is
    walked element by element with ``raw_decode`` over a sliding window, so neither the file nor
    its records are ever held whole (``json.loads`` would hold both, and gives no positions).
    A broken file raises :class:`ImportFailed` when the reading gets there.
    """
    window = _Window(text_chunks(source) if isinstance(source, str) else iter(source))
    decoder = json.JSONDecoder()
    if window.peek() != "[":
        raise fail(name, "JSON is not a list of bookmarks (expected an array)")
    window.advance(window.pos + 1)
    if window.peek() == "]":
        _end_of_array(window, name)
        return
    while True:
        line = window.line
        try:
            value, end = decoder.raw_decode(window.text, window.pos)
        except json.JSONDecodeError as error:
            if not window.eof and _cut_short(error, window.text):
                window.fill()
                continue
            where = window.line_at(error.pos)
            raise fail(name, f"broken or truncated JSON at line {where}: {error.msg}") from None
        except RecursionError:
            raise fail(name, f"JSON nested too deeply at line {line}") from None
        except ValueError as error:  # e.g. a number with more digits than Python converts
            raise fail(name, f"unreadable JSON at line {line}: {error}") from None
        if end >= len(window.text) and not window.eof:  # a number may go on in the next chunk
            window.fill()
            continue
        window.advance(end)
        yield line, value
        separator = window.peek()
        if separator == "]":
            _end_of_array(window, name)
            return
        if separator != ",":
            raise fail(name, f"broken or truncated JSON at line {window.line}: expected ',' or ']'")
        window.advance(window.pos + 1)
        window.skip_space()


def _end_of_array(window: _Window, name: str) -> None:
    window.advance(window.pos + 1)
    if window.peek():
        raise fail(name, "unexpected data after the end of the JSON array")


def _skip_space(text: str, index: int) -> int:
    return _SPACE.match(text, index).end()  # type: ignore[union-attr]  # always matches
