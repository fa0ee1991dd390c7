"""Bytes to text for the importers: UTF-8 (with or without BOM) or UTF-16 with a BOM, nothing guessed.

Other files are refused by their first bytes (archives, images, programs, text with NUL bytes)
with a message that says what they are. :func:`decoded` turns chunks of a file into text as
they are read, for readers that stream; :func:`decode` turns bytes held whole into one string.
A bad byte is reported with its offset in the file, in the same words either way.
"""

from __future__ import annotations

import codecs
import itertools
from collections.abc import Iterable, Iterator

from waitbuddy.reading.importers._common import fail
from waitbuddy.reading.model import ImportFailed

SNIFF_CHARS = 8192
_OTHER_MAGIC = {
    b"\x1f\x8b": "gzip data", b"BZh": "bzip2 data", b"\xfd7zXZ": "xz data", b"7z\xbc\xaf\x27\x1c": "a 7z archive",
    b"Rar!": "a RAR archive", b"%PDF": "a PDF document", b"SQLite format 3\x00": "an SQLite database",
    b"\x89PNG": "a PNG image", b"\xff\xd8\xff": "a JPEG image", b"GIF8": "a GIF image",
    b"\x7fELF": "a program (ELF executable)", b"\xcf\xfa\xed\xfe": "a program (Mach-O executable)",
    b"\xce\xfa\xed\xfe": "a program (Mach-O executable)", b"\xca\xfe\xba\xbe": "a program or Java class",
}


def decoded(codec: str, first: bytes, rest: Iterable[bytes], name: str) -> Iterator[str]:
    """The text of ``first`` and the chunks after it, decoded incrementally; errors as :func:`decode` words them."""
    decoder = codecs.getincrementaldecoder(codec)()
    head, offset = first[:SNIFF_CHARS], 0
    for chunk in itertools.chain((first,), rest, (b"",)):
        pending = len(decoder.getstate()[0])  # bytes of a character split between chunks
        try:
            piece = decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as error:
            raise _error(error, codec, head, offset - pending, name) from None
        offset += len(chunk)
        if piece:
            yield piece


def _error(error: UnicodeDecodeError, codec: str, head: bytes, offset: int, name: str) -> ImportFailed:
    """Why the text does not decode; ``offset``: where the bytes ``error`` saw start in the file."""
    if codec == "utf-16":
        return fail(name, "broken UTF-16 text")
    sample = head.decode("utf-8", errors="replace")
    if sample.count("\ufffd") > len(sample) // 10:
        return fail(name, "binary data, not a bookmarks export")
    if offset == 0 and head.startswith(codecs.BOM_UTF8):
        offset = len(codecs.BOM_UTF8)  # the decoder saw the bytes after the byte-order mark
    return fail(name, f"not UTF-8 text (byte 0x{error.object[error.start]:02x} at offset {offset + error.start}); "
                      "save it as UTF-8 and try again")


def codec_of(head: bytes, name: str) -> str:
    """The codec of a file starting with ``head``: UTF-8 (with or without BOM), or UTF-16 with a BOM;
    anything else is refused (other magic numbers, NUL bytes)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    for magic, what in _OTHER_MAGIC.items():
        if head.startswith(magic):
            raise fail(name, f"{what}, not a bookmarks export")
    sniff = head[:SNIFF_CHARS]
    if b"\x00" in sniff:
        if _looks_like_utf16(sniff):
            raise fail(name, "UTF-16 text without a byte-order mark; save it as UTF-8 and try again")
        raise fail(name, "binary data, not a bookmarks export")
    return "utf-8-sig"


def decode(data: bytes, name: str) -> str:
    """UTF-8 (with or without BOM), or UTF-16 with a BOM; anything else is reported, not guessed."""
    codec = codec_of(data, name)
    try:
        return data.decode(codec)
    except UnicodeDecodeError as error:
        raise _error(error, codec, data[:SNIFF_CHARS], 0, name) from None


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
