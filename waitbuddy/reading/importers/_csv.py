"""CSV records with their line numbers, read row by row with bounded memory, and runaway quotes caught.

One unbalanced ``"`` makes a CSV reader take every following line into one field: the file
imports as one giant title. A record that spans lines is checked: if it has more fields than
the header, or a line inside one of its fields is itself a complete row (a URL where the url
column is), or it grows past :data:`MAX_RECORD`, the record is reported as an unbalanced quote
with the line its field runs to, and reading starts again on the line after the quote's.
The text is handed to :mod:`csv` one line at a time (never copied whole into a ``StringIO``),
so a record never holds more than :data:`MAX_RECORD` characters.
"""

from __future__ import annotations

import csv
import io
import re
import sys
from collections.abc import Iterator

from waitbuddy.reading.importers._common import fail, size_text
from waitbuddy.text import openable_url

# Bigger than any real row (a Raindrop row with a long note, excerpt and highlights); the csv
# module holds a field as 4 bytes a character while it reads it, so this bounds that too.
MAX_RECORD = 4 * 1024 * 1024
# Raindrop highlights can exceed csv's default 128 KiB field limit. Only ever raised,
# so this stays harmless for anything else in the process that reads CSV.
FIELD_LIMIT = 64 * 1024 * 1024
if csv.field_size_limit() < FIELD_LIMIT:
    csv.field_size_limit(min(FIELD_LIMIT, sys.maxsize))

_NEWLINE = re.compile(r"\r\n?|\n")  # as StringIO(newline="") splits lines, so line numbers stay the same


class _Runaway(Exception):
    """The current record grew past :data:`MAX_RECORD` over several lines."""


class _LongLine(Exception):
    """One physical line longer than :data:`MAX_RECORD`; it has been skipped."""

    def __init__(self, length: int) -> None:
        super().__init__(length)
        self.length = length


class _Lines:
    """The physical lines of ``text``, for :func:`csv.reader`: numbered, rewindable, size-checked."""

    def __init__(self, text: str) -> None:
        self.text, self.pos, self.line = text, 0, 0  # line: the number of the last line handed out
        self.record_chars = 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        text, pos = self.text, self.pos
        if pos >= len(text):
            raise StopIteration
        found = _NEWLINE.search(text, pos)
        end = found.end() if found else len(text)
        length = end - pos
        if length > MAX_RECORD and self.record_chars == 0:
            self.pos, self.line = end, self.line + 1  # skipped before any copy of it is made
            raise _LongLine(length)
        self.record_chars += length
        if self.record_chars > MAX_RECORD:
            raise _Runaway
        self.pos, self.line = end, self.line + 1
        return text[pos:end]

    def end_of_line(self, pos: int) -> int:
        found = _NEWLINE.search(self.text, pos)
        return found.end() if found else len(self.text)

    def last_line(self) -> int:
        text, pos = self.text, self.pos
        return self.line + text.count("\n", pos) + (0 if text.endswith("\n") or pos >= len(text) else 1)

    def closing_line(self) -> tuple[int, int] | None:
        """Line and offset of the quote that closes a field open at ``pos`` (``""`` is an escaped quote)."""
        text, pos = self.text, self.pos
        while (quote := text.find('"', pos)) >= 0:
            if text[quote + 1:quote + 2] == '"':
                pos = quote + 2
                continue
            return self.line + 1 + text.count("\n", self.pos, quote), quote
        return None


def csv_header(text: str) -> list[str]:
    """The first row of ``text`` read as CSV, names stripped and lowercased (empty if unreadable)."""
    try:
        first = next(csv.reader(io.StringIO(text, newline="")), [])
    except csv.Error:
        return []
    return [name.strip().lower() for name in first]


def csv_records(text: str, name: str) -> tuple[list[str], Iterator[tuple[int, dict[str, str] | str]]]:
    """The header and an iterator of ``(line where the record starts, {column: value})``.

    Columns are matched by name, so extra or reordered columns (Pocket's 2024 ``cursor``) don't
    shift anything. A record spanning several lines (quoted newlines) reports its first line.
    A record that can't be a row comes as ``(line, reason)`` instead of a dict.
    """
    lines = _Lines(text)
    reader = csv.reader(lines)
    try:
        header = [column.strip().lower() for column in next(reader, [])]
    except (csv.Error, _LongLine, _Runaway) as error:
        raise fail(name, f"line 1: unreadable CSV header ({_why(error)})") from None
    url_column = header.index("url") if "url" in header else -1

    def records() -> Iterator[tuple[int, dict[str, str] | str]]:
        while True:
            start, start_pos = lines.line + 1, lines.pos
            lines.record_chars = 0
            try:
                row = next(reader)
            except StopIteration:
                return
            except _LongLine as error:
                yield start, f"this row is {size_text(error.length)} long (the limit is {size_text(MAX_RECORD)})"
                continue
            except _Runaway:
                closing = lines.closing_line()
                after = lines.end_of_line(start_pos)
                if closing and not any(_is_row(piece, len(header), url_column)
                                       for piece in _NEWLINE.split(text[after:after + 4096])[:5]):
                    # The quote closes and what it holds is not rows: one real field, too long to keep.
                    yield start, (f"a field over lines {start} to {closing[0]} is longer than "
                                  f"{size_text(MAX_RECORD)}; this row is skipped")
                    lines.pos, lines.line = lines.end_of_line(closing[1]), closing[0]
                    continue
                where = f"line {closing[0]}" if closing else f"the end of the file (line {lines.last_line()})"
                yield start, f"unbalanced quote: this field runs to {where}; only this row is skipped"
                lines.pos, lines.line = after, start
                continue
            except csv.Error as error:
                raise fail(name, f"line {start}: unreadable CSV ({error})") from None
            if not any(cell.strip() for cell in row):
                continue  # blank line
            if lines.line > start and _swallowed(row, len(header), url_column):
                yield start, f"unbalanced quote: this field runs to line {lines.line}; only this row is skipped"
                lines.pos, lines.line = lines.end_of_line(start_pos), start
                continue
            yield start, {column: (row[i] if i < len(row) else "") for i, column in enumerate(header)}

    return header, records()


def _swallowed(row: list[str], width: int, url_column: int) -> bool:
    """A record over several lines that took in rows of its own: more fields than the header, or a
    line inside a field that reads as a whole row with a URL in the url column."""
    if len(row) > width:
        return True
    return any(_is_row(piece, width, url_column)
               for cell in row if "\n" in cell or "\r" in cell for piece in _NEWLINE.split(cell))


def _is_row(piece: str, width: int, url_column: int) -> bool:
    """``piece`` (one line) reads as a whole row of this file, with an http(s) URL in the url column."""
    if url_column < 0 or piece.count(",") + 1 < width:
        return False
    try:
        inner = next(csv.reader([piece]), [])
    except csv.Error:
        return False
    return len(inner) >= width and openable_url(inner[url_column].strip()) is not None


def _why(error: Exception) -> str:
    if isinstance(error, _LongLine):
        return f"the line is {size_text(error.length)} long"
    if isinstance(error, _Runaway):
        return f"over {size_text(MAX_RECORD)} without an end"
    return str(error)
