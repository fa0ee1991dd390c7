"""Read a bookmark export of any supported kind, recognised by its content (never its file name).

People rename exports, and ``.html``/``.csv``/``.txt`` say little about which of a dozen
exporters wrote them, so the first few KB decide: a zip (Pocket parts, Safari's
``Bookmarks.html``, Omnivore's ``metadata_*.json``), Netscape or Pocket HTML, JSON arrays,
CSV by header, or a list of URLs. A file-level problem raises
:class:`~waitbuddy.reading.model.ImportFailed` and returns nothing; a bad row becomes an
:class:`~waitbuddy.reading.model.Invalid` with its line and the rest still imports.

:func:`stream_file` hands the bookmarks out as they are read (a :class:`Streamed`), for the store
to write as it goes: a problem found further into the file is raised from the iteration, so its
reader keeps everything in one transaction. :func:`parse_file` reads them all into a
:class:`Parsed` first. A JSON file is decoded and read a chunk at a time; other text is decoded
whole (CSV and HTML readers look ahead and back), each of their rows made when it is taken.
"""

from __future__ import annotations

import io
import itertools
import os
import posixpath
import re
import stat
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from waitbuddy.reading.importers import chromium, firefox, pinboard, selfhosted
from waitbuddy.reading.importers._common import Streamed, TooManyInvalid, fail, json_records
from waitbuddy.reading.importers._csv import csv_header
from waitbuddy.reading.importers._decoding import SNIFF_CHARS, codec_of, decode, decoded
from waitbuddy.reading.importers.instapaper import is_instapaper_header, parse_instapaper_csv
from waitbuddy.reading.importers.netscape import looks_like_pocket_html, parse_netscape
from waitbuddy.reading.importers.omnivore import is_omnivore, omnivore_bookmarks, parse_omnivore
from waitbuddy.reading.importers.plain import looks_like_url_list, parse_url_list
from waitbuddy.reading.importers.pocket import is_pocket_header, parse_pocket_csv, parse_pocket_parts
from waitbuddy.reading.importers.raindrop import is_raindrop_header, parse_raindrop_csv
from waitbuddy.reading.importers.waitbuddy import is_own_json, parse_generic_csv, parse_generic_json
from waitbuddy.reading.model import Bookmark, ImportFailed, Parsed
from waitbuddy.runs.targets import not_regular

__all__ = ["MAX_BYTES", "ImportFailed", "Parsed", "Streamed", "parse_bytes", "parse_file", "stream_bytes",
           "stream_file"]

MAX_BYTES = 200 * 1024 * 1024  # the file, and everything unpacked from a zip, together
MAX_ZIP_MEMBERS = 100_000
JSON_SNIFF_RECORDS = 1000  # records read to tell Omnivore from other JSON, and bookmark objects from other data
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_POCKET_PART = re.compile(r"part_\d+\.csv")
_OMNIVORE_METADATA = re.compile(r"metadata_.*\.json")
_MEGABYTE = 1024 * 1024
_LEADING_SPACE = re.compile(r"\s*")
_ZIP_CHUNK = 64 * 1024
_READ_CHUNK = 1024 * 1024


def parse_file(path: Path | str) -> Parsed:
    """Read and parse one export file; errors name the file (its base name)."""
    return stream_file(path).parsed()


def stream_file(path: Path | str) -> Streamed:
    """Open one export file and recognise it; its bookmarks are read as they are taken.

    A problem seen at once (missing, unreadable, binary, unknown format, bad header) raises
    :class:`ImportFailed` here; one further in (broken JSON at line 90,000, too many rejects)
    raises it from the iteration of ``bookmarks``. Errors name the file (its base name).
    """
    path = Path(path)
    name = path.name
    try:
        _refuse_special(os.stat(path).st_mode, name)  # before opening: opening a FIFO waits for a writer
        # O_NONBLOCK: a FIFO swapped in since the stat cannot block the open either.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        handle = open(fd, "rb")  # noqa: SIM115  # the reading closes it, when it ends (see _byte_chunks)
    except OSError as error:
        raise fail(name, f"can't read it ({error.strerror or error})") from None
    try:
        try:
            info = os.fstat(handle.fileno())
        except OSError as error:
            raise fail(name, f"can't read it ({error.strerror or error})") from None
        _refuse_special(info.st_mode, name)
        if info.st_size > MAX_BYTES:
            raise fail(name, f"file is {info.st_size // _MEGABYTE} MB; the limit is {MAX_BYTES // _MEGABYTE} MB")
        return _guarded(_stream_handle(handle, name), name)
    except BaseException:
        handle.close()
        raise


def _stream_handle(handle: BinaryIO, name: str) -> Streamed:
    """The file's first chunk decides; JSON is then decoded and read a chunk at a time (the file
    stays open until its reading ends), anything else is read and decoded whole, as before."""
    chunks = _byte_chunks(handle, name)
    first = next(chunks, b"")
    while first.isspace() and (more := next(chunks, None)) is not None:
        first += more  # white space at the start: only the content after it tells what the file is
    if not first or first.isspace():
        raise fail(name, "empty file")
    if first.startswith(_ZIP_MAGIC):
        data = b"".join(itertools.chain((first,), chunks))
        del first
        return _parse_zip(data, name)
    if first.startswith(firefox.MOZLZ4_MAGIC):  # Firefox's compressed backup (.jsonlz4), whatever its name
        data = firefox.unpack_mozlz4(b"".join(itertools.chain((first,), chunks)), name, MAX_BYTES)
        del first
        return _parse_text(decode(data, name), name)
    codec = codec_of(first, name)
    text = decoded(codec, first, chunks, name)
    del first
    ahead: list[str] = []
    for piece in text:  # to the first character that is not white space
        ahead.append(piece)
        if not piece.isspace():
            break
    start = "".join(ahead).lstrip()[:1]
    if start in ("[", "{"):
        return _parse_json(itertools.chain(ahead, text), name)
    return _parse_text("".join(itertools.chain(ahead, text)), name)


def _byte_chunks(handle: BinaryIO, name: str) -> Iterator[bytes]:
    """The file a megabyte at a time, refused past :data:`MAX_BYTES` (it may grow while read); closed at the end."""
    with handle:
        total = 0
        while True:
            try:
                chunk = handle.read(_READ_CHUNK)
            except OSError as error:
                raise fail(name, f"can't read it ({error.strerror or error})") from None
            if not chunk:
                return
            total += len(chunk)
            if total > MAX_BYTES:
                raise fail(name, f"file is {total // _MEGABYTE} MB; the limit is {MAX_BYTES // _MEGABYTE} MB")
            yield chunk


def _guarded(streamed: Streamed, name: str) -> Streamed:
    """``streamed`` whose iteration words a flood of rejects as the file's error, like the rest."""
    inner = streamed.bookmarks

    def bookmarks() -> Iterator[Bookmark]:
        try:
            yield from inner
        except TooManyInvalid as error:
            raise _too_many(error, name) from None

    streamed.bookmarks = bookmarks()
    return streamed


def _too_many(error: TooManyInvalid, name: str) -> ImportFailed:
    return fail(name, f"more than {error.limit:,} entries can't be imported (the first, line {error.first.line}: "
                      f"{error.first.reason}); is this a bookmarks export?")


def _must_find(streamed: Streamed, name: str) -> Streamed:
    """``streamed``, raising at its end when it held neither a bookmark nor a rejected entry."""
    inner = streamed.bookmarks

    def bookmarks() -> Iterator[Bookmark]:
        found = False
        for bookmark in inner:
            found = True
            yield bookmark
        if not found and not streamed.invalid:
            raise fail(name, "no bookmarks found in it")

    streamed.bookmarks = bookmarks()
    return streamed


def _refuse_special(mode: int, name: str) -> None:
    if stat.S_ISDIR(mode):
        raise fail(name, "is a directory, not a bookmarks export")
    if problem := not_regular(mode):
        raise fail(name, f"{problem}, not a bookmarks export")


def parse_bytes(data: bytes, name: str = "") -> Parsed:
    """Parse an export held in memory. ``name`` is only used in messages."""
    return stream_bytes(data, name).parsed()


def stream_bytes(data: bytes, name: str = "") -> Streamed:
    """An export held in memory, its bookmarks read as they are taken (see :func:`stream_file`)."""
    return _parse_boxed([data], name)


def _parse_boxed(box: list[bytes], name: str) -> Streamed:
    """Parse the bytes in ``box``, taking them out so they can be freed as soon as the text is decoded."""
    try:
        return _guarded(_parse_data(box, name), name)
    except TooManyInvalid as error:
        raise _too_many(error, name) from None


def _parse_data(box: list[bytes], name: str) -> Streamed:
    data = box.pop()
    if len(data) > MAX_BYTES:
        raise fail(name, f"file is {len(data) // _MEGABYTE} MB; the limit is {MAX_BYTES // _MEGABYTE} MB")
    if not data or data.isspace():  # isspace() stops at the first other byte: no copy of a big file
        raise fail(name, "empty file")
    if data.startswith(_ZIP_MAGIC):
        return _parse_zip(data, name)
    if data.startswith(firefox.MOZLZ4_MAGIC):  # Firefox's compressed backup (.jsonlz4)
        data = firefox.unpack_mozlz4(data, name, MAX_BYTES)
    text = decode(data, name)
    del data
    return _parse_text(text, name)


def _parse_text(text: str, name: str) -> Streamed:
    start = _LEADING_SPACE.match(text).end()  # type: ignore[union-attr]  # always matches
    head = text[start:start + SNIFF_CHARS]
    if not head:
        raise fail(name, "empty file")
    lowered = head.lower()
    if head[0] in "[{":
        parsed = _parse_json(text, name)
    elif head[0] == "<" or "<!doctype netscape-bookmark-file" in lowered:
        pocket = looks_like_pocket_html(head)
        _refuse_other_markup(lowered, name, pocket=pocket)
        parsed = parse_netscape(text, name, pocket=pocket)
    elif looks_like_url_list(head):
        parsed = parse_url_list(text, name)
    elif _is_csv_header(header := csv_header(head)):
        parsed = _parse_csv(text, header, name)
    elif looks_like_url_list(head, anywhere=True):  # a list of URLs under a heading line
        parsed = parse_url_list(text, name)
    else:
        hint = "not a zip file, nor " if name.lower().endswith(".zip") else "unknown format: not "
        raise fail(name, f"{hint}bookmark HTML, CSV, JSON or a list of URLs")
    return _must_find(parsed, name)


def _refuse_other_markup(lowered: str, name: str, *, pocket: bool) -> None:
    """Only bookmark files are read as HTML: the links of any saved web page would be garbage."""
    if "netscape-bookmark-file" in lowered or pocket or "<dt" in lowered:
        return
    for marker, what in (("<opml", "an OPML feed list (add it as feeds)"), ("<xbel", "an XBEL file (unsupported)"),
                         ("<rss", "an RSS feed"), ("<feed", "an Atom feed")):
        if marker in lowered:
            raise fail(name, f"{what}, not a bookmarks export")
    raise fail(name, "an HTML page, not a bookmarks export (no <!DOCTYPE NETSCAPE-Bookmark-file-1> or <DT> list)")


def _is_csv_header(header: list[str]) -> bool:
    """Column names are short words (``time_added``, ``Date Added``), not a sentence with a comma in it."""
    if header == ["url"]:
        return True
    return len(header) >= 2 and all(len(column) <= 40 and column.count(" ") <= 3 for column in header)


def _parse_csv(text: str, header: list[str], name: str) -> Streamed:
    if is_pocket_header(header):
        return parse_pocket_csv(text, name)
    if is_raindrop_header(header):
        return parse_raindrop_csv(text, name)
    if is_instapaper_header(header):
        return parse_instapaper_csv(text, name)
    if "url" in header:
        return parse_generic_csv(text, name)
    columns = ", ".join(column[:30] for column in header[:12])
    raise fail(name, f"CSV without a url column (columns: {columns})")


def _parse_json(source: str | Iterable[str], name: str) -> Streamed:
    """The first records decide what the file is; the rest are read one at a time, never all held.

    ``source``: the text, or its chunks (then the file is read as the records are taken). An
    object is one tree (a Chrome profile's ``Bookmarks``, a Firefox backup), read whole."""
    if isinstance(source, str):
        first = source[_LEADING_SPACE.match(source).end():][:1]  # type: ignore[union-attr]  # always matches
    else:
        source, ahead = iter(source), []
        for piece in source:  # to the first character that is not white space
            ahead.append(piece)
            if not piece.isspace():
                break
        first, source = "".join(ahead).lstrip()[:1], itertools.chain(ahead, source)
    if first == "{":
        value, text = chromium.load_object(source, name)
        if chromium.is_chromium(value):
            return _must_find(chromium.parse_chromium(value, text, name), name)
        if firefox.is_firefox(value):
            return _must_find(firefox.parse_firefox(value, text, name), name)
        keys = ", ".join(sorted(str(key)[:30] for key in value)[:8]) if isinstance(value, dict) else ""
        raise fail(name, f"JSON is not a list of bookmarks, nor a Chrome or Firefox bookmarks file "
                         f"(an object with keys: {keys or 'none'})")
    records = json_records(source, name)
    head = list(itertools.islice(records, JSON_SNIFF_RECORDS))
    if head and not any(isinstance(record, dict) for _line, record in head):
        raise fail(name, "JSON is not a list of bookmark objects")
    if is_omnivore(head):
        return parse_omnivore(itertools.chain(head, records))
    if pinboard.is_pinboard(head):
        return pinboard.parse_pinboard(itertools.chain(head, records))
    if head and not any(isinstance(record, dict) and "url" in record for _line, record in head):
        raise fail(name, "JSON objects have no url field")
    if selfhosted.is_wallabag(head):
        return selfhosted.parse_wallabag(itertools.chain(head, records))
    if selfhosted.is_shaarli(head):
        return selfhosted.parse_shaarli(itertools.chain(head, records))
    return parse_generic_json(itertools.chain(head, records), own=is_own_json(head))


# Zips --------------------------------------------------------------------------------------------

class _Unpacker:
    """Reads zip members under one budget, checking sizes before unpacking (zip bombs)."""

    def __init__(self, archive: zipfile.ZipFile, name: str) -> None:
        self.archive, self.name, self.left = archive, name, MAX_BYTES

    def read(self, info: zipfile.ZipInfo) -> bytearray:
        """The member's bytes, read a chunk at a time against the budget: headers are not trusted.

        ``read(n)`` of a whole member reads up to ``n`` compressed bytes at once and joins the
        output with copies (423 MB to unpack 200 MB); chunks into one buffer hold the output once.
        """
        where = f"{self.name}/{info.filename}"
        if info.file_size > self.left:
            raise fail(where, f"unpacks to {info.file_size // _MEGABYTE} MB; "
                              f"the limit is {MAX_BYTES // _MEGABYTE} MB for the whole zip")
        data = bytearray()
        try:
            with self.archive.open(info) as member:
                while chunk := member.read(_ZIP_CHUNK):
                    data += chunk
                    if len(data) > self.left:
                        raise fail(where, f"unpacks to more than {MAX_BYTES // _MEGABYTE} MB")
        except (zipfile.BadZipFile, RuntimeError, NotImplementedError, zlib.error, EOFError, OSError,
                ValueError) as error:
            if "CRC" in str(error):  # zipfile stops at the size the header gives: more data fails the CRC
                raise fail(where, f"can't unpack it: its data does not match its header ({error})") from None
            raise fail(where, f"can't unpack it ({error})") from None
        self.left -= len(data)
        return data

    def text(self, info: zipfile.ZipInfo) -> str:
        data = self.read(info)
        where = f"{self.name}/{info.filename}"
        if not data or data.isspace():
            raise fail(where, "empty file")
        return decode(data, where)


def _parse_zip(data: bytes, name: str) -> Streamed:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [info for info in archive.infolist() if not _zip_junk(info.filename)]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError, ValueError) as error:
        raise fail(name, f"broken zip file ({error})") from None
    if not members:
        raise fail(name, "empty zip file")
    if len(members) > MAX_ZIP_MEMBERS:
        raise fail(name, f"zip has {len(members)} files; the limit is {MAX_ZIP_MEMBERS}")
    unpack = _Unpacker(archive, name)
    bases = [(posixpath.basename(info.filename).lower(), info) for info in members]
    if parts := [info for base, info in bases if _POCKET_PART.fullmatch(base)]:
        parts.sort(key=lambda info: (posixpath.basename(info.filename), info.filename))
        return parse_pocket_parts(((posixpath.basename(i.filename), unpack.text(i)) for i in parts), name)
    if pages := [info for base, info in bases if base == "bookmarks.html"]:  # Safari's export
        return parse_netscape(unpack.text(pages[0]), f"{name}/{pages[0].filename}")
    if metadata := [info for base, info in bases if _OMNIVORE_METADATA.fullmatch(base)]:
        return _parse_omnivore_zip(unpack, metadata, members, name)
    if len(members) == 1:  # a single export zipped up: read it like a loose file
        inner = unpack.read(members[0])
        where = f"{name}/{members[0].filename}"
        if inner.startswith(_ZIP_MAGIC):
            raise fail(where, "a zip inside a zip; unpack the outer one first")
        if not inner or inner.isspace():
            raise fail(where, "empty file")
        text = decode(inner, where)
        del inner
        return _parse_text(text, where)
    raise fail(name, "zip without a known export inside (expected part_*.csv, Bookmarks.html or metadata_*.json)")


def _parse_omnivore_zip(unpack: _Unpacker, metadata: list[zipfile.ZipInfo], members: list[zipfile.ZipInfo],
                        name: str) -> Streamed:
    highlights: dict[str, str] = {}
    for info in members:
        directory, base = posixpath.split(info.filename)
        if posixpath.basename(directory) == "highlights" and base.endswith(".md"):
            data = unpack.read(info)
            try:  # highlights are extras: one that isn't text doesn't sink the import
                highlights[base[:-3]] = "" if data.isspace() or not data else decode(data, name)
            except ImportFailed:
                continue
    combined = Streamed("omnivore")

    def bookmarks() -> Iterator[Bookmark]:
        for info in sorted(metadata, key=lambda item: item.filename):  # one member's text held at a time
            records = json_records(unpack.text(info), f"{name}/{info.filename}")
            yield from omnivore_bookmarks(records, combined, part=posixpath.basename(info.filename),
                                          highlights=highlights)

    combined.bookmarks = bookmarks()
    return _must_find(combined, name)


def _zip_junk(filename: str) -> bool:
    """Directories, and the resource forks and Finder files that ride along in zips made on a Mac."""
    base = posixpath.basename(filename)
    return not base or filename.startswith("__MACOSX/") or base.startswith("._") or base == ".DS_Store"

