"""Read a bookmark export of any supported kind, recognised by its content (never its file name).

People rename exports, and ``.html``/``.csv``/``.txt`` say little about which of a dozen
exporters wrote them, so the first few KB decide: a zip (Pocket parts, Safari's
``Bookmarks.html``, Omnivore's ``metadata_*.json``), Netscape or Pocket HTML, JSON arrays,
CSV by header, or a list of URLs. A file-level problem raises
:class:`~waitbuddy.reading.model.ImportFailed` and returns nothing; a bad row becomes an
:class:`~waitbuddy.reading.model.Invalid` with its line and the rest still imports.
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
from pathlib import Path

from waitbuddy.reading.importers._common import TooManyInvalid, fail, json_records, parsed_as
from waitbuddy.reading.importers._csv import csv_header
from waitbuddy.reading.importers.netscape import looks_like_pocket_html, parse_netscape
from waitbuddy.reading.importers.omnivore import is_omnivore, parse_omnivore
from waitbuddy.reading.importers.plain import looks_like_url_list, parse_url_list
from waitbuddy.reading.importers.pocket import is_pocket_header, parse_pocket_csv, parse_pocket_parts
from waitbuddy.reading.importers.raindrop import is_raindrop_header, parse_raindrop_csv
from waitbuddy.reading.importers.waitbuddy import parse_generic_csv, parse_generic_json
from waitbuddy.reading.model import ImportFailed, Parsed
from waitbuddy.runs.targets import not_regular

__all__ = ["MAX_BYTES", "ImportFailed", "Parsed", "parse_bytes", "parse_file"]

MAX_BYTES = 200 * 1024 * 1024  # the file, and everything unpacked from a zip, together
MAX_ZIP_MEMBERS = 100_000
SNIFF_CHARS = 8192
JSON_SNIFF_RECORDS = 1000  # records read to tell Omnivore from other JSON, and bookmark objects from other data
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_OTHER_MAGIC = {
    b"\x1f\x8b": "gzip data", b"BZh": "bzip2 data", b"\xfd7zXZ": "xz data", b"7z\xbc\xaf\x27\x1c": "a 7z archive",
    b"Rar!": "a RAR archive", b"%PDF": "a PDF document", b"SQLite format 3\x00": "an SQLite database",
    b"\x89PNG": "a PNG image", b"\xff\xd8\xff": "a JPEG image", b"GIF8": "a GIF image",
    b"\x7fELF": "a program (ELF executable)", b"\xcf\xfa\xed\xfe": "a program (Mach-O executable)",
    b"\xce\xfa\xed\xfe": "a program (Mach-O executable)", b"\xca\xfe\xba\xbe": "a program or Java class",
}
_POCKET_PART = re.compile(r"part_\d+\.csv")
_OMNIVORE_METADATA = re.compile(r"metadata_.*\.json")
_MEGABYTE = 1024 * 1024
_LEADING_SPACE = re.compile(r"\s*")
_ZIP_CHUNK = 64 * 1024


def parse_file(path: Path | str) -> Parsed:
    """Read and parse one export file; errors name the file (its base name)."""
    path = Path(path)
    name = path.name
    try:
        _refuse_special(os.stat(path).st_mode, name)  # before opening: opening a FIFO waits for a writer
        # O_NONBLOCK: a FIFO swapped in since the stat cannot block the open either.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        with open(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            _refuse_special(info.st_mode, name)
            if info.st_size > MAX_BYTES:
                raise fail(name, f"file is {info.st_size // _MEGABYTE} MB; the limit is {MAX_BYTES // _MEGABYTE} MB")
            box = [handle.read(MAX_BYTES + 1)]  # no name holds it: the bytes are freed once decoded
    except OSError as error:
        raise fail(name, f"can't read it ({error.strerror or error})") from None
    return _parse_boxed(box, name)


def _refuse_special(mode: int, name: str) -> None:
    if stat.S_ISDIR(mode):
        raise fail(name, "is a directory, not a bookmarks export")
    if problem := not_regular(mode):
        raise fail(name, f"{problem}, not a bookmarks export")


def parse_bytes(data: bytes, name: str = "") -> Parsed:
    """Parse an export held in memory. ``name`` is only used in messages."""
    return _parse_boxed([data], name)


def _parse_boxed(box: list[bytes], name: str) -> Parsed:
    """Parse the bytes in ``box``, taking them out so they can be freed as soon as the text is decoded."""
    try:
        return _parse_data(box, name)
    except TooManyInvalid as error:
        raise fail(name, f"more than {error.limit:,} entries can't be imported (the first, line {error.first.line}: "
                         f"{error.first.reason}); is this a bookmarks export?") from None


def _parse_data(box: list[bytes], name: str) -> Parsed:
    data = box.pop()
    if len(data) > MAX_BYTES:
        raise fail(name, f"file is {len(data) // _MEGABYTE} MB; the limit is {MAX_BYTES // _MEGABYTE} MB")
    if not data or data.isspace():  # isspace() stops at the first other byte: no copy of a big file
        raise fail(name, "empty file")
    if data.startswith(_ZIP_MAGIC):
        return _parse_zip(data, name)
    text = _decode(data, name)
    del data
    return _parse_text(text, name)


def _decode(data: bytes, name: str) -> str:
    """UTF-8 (with or without BOM), or UTF-16 with a BOM; anything else is reported, not guessed."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise fail(name, "broken UTF-16 text") from None
    for magic, what in _OTHER_MAGIC.items():
        if data.startswith(magic):
            raise fail(name, f"{what}, not a bookmarks export")
    head = data[:SNIFF_CHARS]
    if b"\x00" in head:
        if _looks_like_utf16(head):
            raise fail(name, "UTF-16 text without a byte-order mark; save it as UTF-8 and try again")
        raise fail(name, "binary data, not a bookmarks export")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        sample = head.decode("utf-8", errors="replace")
        if sample.count("\ufffd") > len(sample) // 10:
            raise fail(name, "binary data, not a bookmarks export") from None
        raise fail(name, f"not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start}); "
                         "save it as UTF-8 and try again") from None


def _looks_like_utf16(head: bytes) -> bool:
    """UTF-16 text of mostly Latin script: every other byte is NUL and the bytes between are not,
    and it decodes to printable text. A program or other binary has NULs in both lanes."""
    if len(head) < 16:
        return False
    head = head[: len(head) - len(head) % 2]
    for codec, high, low in (("utf-16-le", head[1::2], head[0::2]), ("utf-16-be", head[0::2], head[1::2])):
        if high.count(0) > len(high) * 0.6 and low.count(0) < len(low) * 0.02:
            text = head.decode(codec, errors="replace")
            printable = sum(char.isprintable() or char in "\t\r\n" for char in text)
            return printable > len(text) * 0.95
    return False


def _parse_text(text: str, name: str) -> Parsed:
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
    if not parsed.bookmarks and not parsed.invalid:
        raise fail(name, "no bookmarks found in it")
    return parsed


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


def _parse_csv(text: str, header: list[str], name: str) -> Parsed:
    if is_pocket_header(header):
        return parse_pocket_csv(text, name)
    if is_raindrop_header(header):
        return parse_raindrop_csv(text, name)
    if "url" in header:
        return parse_generic_csv(text, name)
    columns = ", ".join(column[:30] for column in header[:12])
    raise fail(name, f"CSV without a url column (columns: {columns})")


def _parse_json(text: str, name: str) -> Parsed:
    """The first records decide what the file is; the rest are read one at a time, never all held."""
    records = json_records(text, name)
    head = list(itertools.islice(records, JSON_SNIFF_RECORDS))
    if head and not any(isinstance(record, dict) for _line, record in head):
        raise fail(name, "JSON is not a list of bookmark objects")
    if is_omnivore(head):
        return parse_omnivore(itertools.chain(head, records))
    if head and not any(isinstance(record, dict) and "url" in record for _line, record in head):
        raise fail(name, "JSON objects have no url field")
    return parse_generic_json(itertools.chain(head, records))


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
        return _decode(data, where)


def _parse_zip(data: bytes, name: str) -> Parsed:
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
        text = _decode(inner, where)
        del inner
        return _parse_text(text, where)
    raise fail(name, "zip without a known export inside (expected part_*.csv, Bookmarks.html or metadata_*.json)")


def _parse_omnivore_zip(unpack: _Unpacker, metadata: list[zipfile.ZipInfo], members: list[zipfile.ZipInfo],
                        name: str) -> Parsed:
    highlights: dict[str, str] = {}
    for info in members:
        directory, base = posixpath.split(info.filename)
        if posixpath.basename(directory) == "highlights" and base.endswith(".md"):
            data = unpack.read(info)
            try:  # highlights are extras: one that isn't text doesn't sink the import
                highlights[base[:-3]] = "" if data.isspace() or not data else _decode(data, name)
            except ImportFailed:
                continue
    combined = parsed_as("omnivore")
    for info in sorted(metadata, key=lambda item: item.filename):
        where = f"{name}/{info.filename}"
        records = json_records(unpack.text(info), where)
        parsed = parse_omnivore(records, part=posixpath.basename(info.filename), highlights=highlights)
        combined.bookmarks.extend(parsed.bookmarks)
        combined.invalid.extend(parsed.invalid)
    if not combined.bookmarks and not combined.invalid:
        raise fail(name, "no bookmarks found in it")
    return combined


def _zip_junk(filename: str) -> bool:
    """Directories, and the resource forks and Finder files that ride along in zips made on a Mac."""
    base = posixpath.basename(filename)
    return not base or filename.startswith("__MACOSX/") or base.startswith("._") or base == ".DS_Store"

