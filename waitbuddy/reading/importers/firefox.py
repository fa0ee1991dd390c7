"""Firefox's JSON bookmark backup (``bookmarkbackups/*.json``, Library ▸ Import and Backup ▸ Backup…),
and its compressed form ``*.jsonlz4`` (mozLz4).

One JSON object, usually on one line (Firefox's ``BookmarkJSONUtils``): containers
``{"type": "text/x-moz-place-container", "title", "root"?, "children": [...]}``, entries
``{"type": "text/x-moz-place", "uri", "title", "dateAdded", "tags": "a,b", "guid"}`` with
``dateAdded`` in microseconds since 1970, separators ``text/x-moz-place-separator``. The
built-in folders carry a ``root`` (``placesRoot``, ``bookmarksMenuFolder``, ``toolbarFolder``,
``unfiledBookmarksFolder``, ``mobileFolder``) and give no tag; other folders give their slug, as in
the Netscape reader. Old backups also hold ``tagsFolder``, an index of the tags each entry
already carries: it is skipped. ``place:`` entries are saved searches ("Most Visited"), not
bookmarks: skipped too. A description is in the ``bookmarkProperties/description`` anno.

mozLz4 is 8 bytes of magic ``mozLz40\\0``, the unpacked size (4 bytes, little-endian) and one LZ4
block, unpacked with the ``lz4`` package.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
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
    split_tags,
    tags_of,
    text_field,
)
from waitbuddy.reading.importers.chromium import MAX_FOLDER_TAGS, Lines
from waitbuddy.reading.importers.netscape import READING_LIST_NAMES, ROOT_FOLDERS
from waitbuddy.reading.model import Bookmark, Invalid

MOZLZ4_MAGIC = b"mozLz40\0"
PLACE = "text/x-moz-place"
CONTAINER = "text/x-moz-place-container"
SKIPPED_ROOTS = frozenset({"tagsFolder"})
DESCRIPTION_ANNO = "bookmarkProperties/description"
NO_LZ4_HINT = ("a compressed Firefox backup (.jsonlz4) and the lz4 package is not installed "
               "(pip install lz4); or export it as JSON from Firefox's Library: Import and Backup → Backup…")
_MEGABYTE = 1024 * 1024


def unpack_mozlz4(data: bytes, name: str, limit: int) -> bytes:
    """The JSON inside a ``.jsonlz4`` file; a size over ``limit`` is refused before unpacking."""
    if len(data) < len(MOZLZ4_MAGIC) + 4:
        raise fail(name, "a truncated Firefox .jsonlz4 file (no size after its header)")
    (size,) = struct.unpack_from("<I", data, len(MOZLZ4_MAGIC))
    if size > limit:
        raise fail(name, f"unpacks to {size // _MEGABYTE} MB; the limit is {limit // _MEGABYTE} MB")
    if size == 0:
        raise fail(name, "empty file (a Firefox .jsonlz4 that unpacks to nothing)")
    try:
        import lz4.block  # only this rare format needs it; its absence gets a hint, not a traceback
    except ImportError:
        raise fail(name, NO_LZ4_HINT) from None
    try:
        return lz4.block.decompress(memoryview(data)[len(MOZLZ4_MAGIC) + 4:], uncompressed_size=size)
    except (lz4.block.LZ4BlockError, ValueError, MemoryError) as error:
        raise fail(name, f"a broken Firefox .jsonlz4 file: its LZ4 data does not unpack ({error})") from None


def is_firefox(value: Any) -> bool:
    """A backup's root: a places container (``placesRoot``, or any container with ``children``)."""
    return isinstance(value, dict) and value.get("type") == CONTAINER and (
        value.get("root") == "placesRoot" or isinstance(value.get("children"), list))


def parse_firefox(value: dict[str, Any], text: str, name: str) -> Streamed:
    """The bookmarks of a Firefox backup object (see :func:`is_firefox`), in file order."""
    if not isinstance(value.get("children"), list):
        raise fail(name, "a Firefox bookmarks backup without bookmarks (its root has no \"children\" list)")
    out = Streamed("firefox-json")
    out.bookmarks = _walk(value, Lines(text), out)
    return out


def _walk(root: dict[str, Any], lines: Lines, out: Streamed) -> Iterator[Bookmark]:
    stack: list[tuple[Any, tuple[str, ...], bool]] = [(root, (), False)]
    while stack:
        node, tags, reading = stack.pop()
        if not isinstance(node, dict):
            continue
        kind = node.get("type")
        if kind == CONTAINER:
            children = node.get("children")
            if not isinstance(children, list) or node.get("root") in SKIPPED_ROOTS:
                continue
            if not node.get("root"):  # the built-in folders give no tag (their titles are "menu", "toolbar")
                folder = text_field(node.get("title")).strip()
                lowered = folder.lower()
                if lowered in READING_LIST_NAMES:
                    reading = True
                elif lowered not in ROOT_FOLDERS and (tag := folder_tag(folder)) and tag not in tags \
                        and len(tags) < MAX_FOLDER_TAGS:
                    tags += (tag,)
            stack.extend((child, tags, reading) for child in reversed(children))
        elif kind == PLACE:
            uri = node.get("uri")
            if isinstance(uri, str) and uri.strip().lower().startswith("place:"):
                continue  # a saved search, not a bookmark
            entry = _entry(node, lines.of(node.get("guid")), tags, reading)
            if isinstance(entry, Invalid) and (title := text_field(node.get("title")).strip()):
                entry = Invalid(entry.line, f"{shown(title, 60)!r}: {entry.reason}")  # backups are one line
            if entry := kept(out, entry):
                yield entry


def _entry(node: dict[str, Any], line: int, folder_tags: tuple[str, ...], reading: bool) -> Bookmark | Invalid:
    url = checked_url(node.get("uri"), line)
    if isinstance(url, Invalid):
        return url
    try:
        saved_at = epoch_date(_number(node.get("dateAdded")))
    except BadDate as error:
        return Invalid(line, str(error))
    tags = tags_of([*folder_tags, *split_tags(text_field(node.get("tags")), ",")])
    return bookmark(url, title=text_field(node.get("title")), tags=tags, saved_at=saved_at,
                    status="unread" if reading else None, description=_description(node.get("annos")), line=line)


def _number(value: Any) -> Any:
    if isinstance(value, bool) or (value is not None and not isinstance(value, int | float | str)):
        raise BadDate(f"date {shown(repr(value), 40)} is not a Unix time")
    return value


def _description(annos: Any) -> str:
    if not isinstance(annos, list):
        return ""
    for anno in annos:
        if isinstance(anno, dict) and anno.get("name") == DESCRIPTION_ANNO:
            return text_field(anno.get("value")).strip()
    return ""
