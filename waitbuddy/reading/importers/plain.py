"""A plain list of URLs, one per line: what people paste from notes, shells and chat.

Blank lines and ``#`` comments are skipped; anything else that is not an http(s) URL is
reported with its line number rather than guessed at.
"""

from __future__ import annotations

from collections.abc import Iterator

from waitbuddy.reading.importers._common import Streamed, checked_url
from waitbuddy.reading.model import Bookmark, Invalid

_CHUNK = 1024 * 1024


def looks_like_url_list(head: str, *, anywhere: bool = False) -> bool:
    """True when the first line that isn't blank or a comment starts with ``http://`` or ``https://``
    (with ``anywhere``: any line of ``head`` does)."""
    for raw in head.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line[:8].lower().startswith(("http://", "https://")):
            return True
        if not anywhere:
            return False
    return False


def parse_url_list(text: str, name: str) -> Streamed:
    """Each remaining line is one URL, no title, no date; read as the bookmarks are taken."""
    out = Streamed("url-list")
    out.bookmarks = _bookmarks(text, out)
    return out


def _bookmarks(text: str, out: Streamed) -> Iterator[Bookmark]:
    for number, raw in enumerate(_lines(text), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        url = checked_url(line, number)
        if isinstance(url, Invalid):
            out.invalid.append(url)
        else:
            yield Bookmark(url=url, line=number)


def _lines(text: str) -> Iterator[str]:
    """``text.split("\\n")`` a megabyte at a time: a list of every line was another copy of the file
    (and 49 bytes a line more). Not splitlines(): line numbers must match what an editor shows."""
    start = 0
    while (end := text.find("\n", start + _CHUNK)) >= 0:
        yield from text[start:end].split("\n")
        start = end + 1
    yield from text[start:].split("\n")
