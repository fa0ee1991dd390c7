"""Chrome, Chromium, Edge and Brave's profile ``Bookmarks`` file, read as it lies in the profile.

One JSON object (Chromium's ``bookmark_codec.cc``)::

    {"checksum": "…", "version": 1,
     "roots": {"bookmark_bar": {"type": "folder", "name": "Bookmarks bar", "children": [...]},
               "other": {...}, "synced": {...}}}

Entries are ``{"type": "url", "name", "url", "guid", "date_added": "13349847326000000"}``, the
date in microseconds since 1601-01-01 UTC, as a string. The roots give no tag whatever their
(translated) name; folders below them give their slug as a tag, as in the Netscape reader
(:mod:`~waitbuddy.reading.importers.netscape`), whose rules for root folders and the reading
list apply here too. The file has no read state.

A tree of JSON is read whole (:func:`load_object`); a profile's file is a few MB even with
tens of thousands of bookmarks, and the file is bounded by the importer's size limit anyway.
Each entry's line is found from its ``guid`` (the writer sorts keys, so a folder's guid comes
after its children: only entries' guids are looked up, in document order, in one pass).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from waitbuddy.reading.importers._common import (
    BadDate,
    Streamed,
    bookmark,
    checked_url,
    epoch_date,
    fail,
    folder_tag,
    kept,
    shown,
    text_field,
)
from waitbuddy.reading.importers.netscape import READING_LIST_NAMES, ROOT_FOLDERS
from waitbuddy.reading.model import Bookmark, Invalid

WEBKIT_EPOCH_OFFSET = 11_644_473_600  # seconds from 1601-01-01 to 1970-01-01
_WEBKIT_FLOOR = 1e16  # µs since 1601 for any date after ~1917; Unix s/ms/µs of real saves stay below
MAX_FOLDER_TAGS = 32  # as in the Netscape reader: deeper folders add no tags


def load_object(source: str | Iterable[str], name: str) -> tuple[Any, str]:
    """The JSON value of the whole text (``source`` or its chunks) and that text.

    Errors name the line, in the words the streaming JSON reader uses."""
    text = source if isinstance(source, str) else "".join(source)
    try:
        return json.loads(text), text
    except json.JSONDecodeError as error:
        raise fail(name, f"broken or truncated JSON at line {error.lineno}: {error.msg}") from None
    except RecursionError:
        raise fail(name, "JSON nested too deeply") from None
    except ValueError as error:  # e.g. a number with more digits than Python converts
        raise fail(name, f"unreadable JSON: {error}") from None


def webkit_date(value: Any) -> datetime | None:
    """Chromium's microseconds since 1601 (a string or a number); a smaller number is taken as a
    Unix time in s, ms or µs (a tool that rewrote the file). ``"0"`` or empty means no date."""
    if value is None or isinstance(value, bool) or not isinstance(value, str | int | float):
        if value is None:
            return None
        raise BadDate(f"date {shown(repr(value), 40)} is not a date")
    text = str(value).strip()
    if not text:
        return None
    try:
        number = int(text) if text.isdigit() else float(text)
    except ValueError:
        raise BadDate(f"date {shown(text, 40)!r} is not a Chromium time") from None
    if number >= _WEBKIT_FLOOR:
        return epoch_date(number / 1_000_000 - WEBKIT_EPOCH_OFFSET)
    return epoch_date(number)


ROOT_KEYS = frozenset({"bookmark_bar", "other", "synced"})


def is_chromium(value: Any) -> bool:
    """A profile ``Bookmarks`` file (never the file name): an object whose ``roots`` holds one of
    Chromium's roots. ``version`` is not required: tools that write this file for a profile (seen
    in public setup scripts and tests) often leave it, and the checksum, out."""
    if not isinstance(value, dict) or "roots" not in value:
        return False
    roots = value["roots"]
    return "version" in value or (isinstance(roots, dict) and not ROOT_KEYS.isdisjoint(roots))


class Lines:
    """Line numbers of entries, found by their ids in document order, one pass over the text."""

    def __init__(self, text: str) -> None:
        self.text, self.pos, self.line = text, 0, 1

    def of(self, key: Any) -> int:
        if not isinstance(key, str) or not key:
            return 0
        found = self.text.find(key, self.pos)
        if found < 0:
            return 0
        self.line += self.text.count("\n", self.pos, found)
        self.pos = found
        return self.line


def parse_chromium(value: dict[str, Any], text: str, name: str) -> Streamed:
    """The bookmarks of a Chromium ``Bookmarks`` object (see :func:`is_chromium`), in file order."""
    roots = value.get("roots")
    if not isinstance(roots, dict) or not any(isinstance(root, dict) for root in roots.values()):
        raise fail(name, "a Chrome bookmarks file without bookmark folders (its \"roots\" is not an object of folders)")
    out = Streamed("chromium")
    out.bookmarks = _walk(roots, Lines(text), out)
    return out


def _walk(roots: dict[str, Any], lines: Lines, out: Streamed) -> Iterator[Bookmark]:
    # (node, tags of its folder path, inside a reading list); children pushed reversed: file order.
    # The roots themselves give no tag: their names are the browser's, and translated.
    stack: list[tuple[Any, tuple[str, ...], bool]] = []
    for root in reversed(list(roots.values())):
        if isinstance(root, dict) and isinstance(children := root.get("children"), list):
            stack.extend((child, (), False) for child in reversed(children))
    while stack:
        node, tags, reading = stack.pop()
        if not isinstance(node, dict):
            continue
        kind = node.get("type")
        if kind == "folder" or (kind is None and "children" in node):
            children = node.get("children")
            if not isinstance(children, list):
                continue
            folder = text_field(node.get("name")).strip()
            lowered = folder.lower()
            if lowered in READING_LIST_NAMES:
                reading = True
            elif lowered not in ROOT_FOLDERS and (tag := folder_tag(folder)) and tag not in tags \
                    and len(tags) < MAX_FOLDER_TAGS:
                tags += (tag,)
            stack.extend((child, tags, reading) for child in reversed(children))
        elif (kind == "url" or (kind is None and "url" in node)) and (
                entry := kept(out, _entry(node, lines.of(node.get("guid")), tags, reading))):
            yield entry


def _entry(node: dict[str, Any], line: int, tags: tuple[str, ...], reading: bool) -> Bookmark | Invalid:
    url = checked_url(node.get("url"), line)
    if isinstance(url, Invalid):
        return url
    try:
        saved_at = webkit_date(node.get("date_added"))
    except BadDate as error:
        return Invalid(line, str(error))
    return bookmark(url, title=text_field(node.get("name")), tags=tags, saved_at=saved_at,
                    status="unread" if reading else None, line=line)
