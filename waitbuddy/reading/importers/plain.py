"""A plain list of URLs, one per line: what people paste from notes, shells and chat.

Blank lines and ``#`` comments are skipped; anything else that is not an http(s) URL is
reported with its line number rather than guessed at.
"""

from __future__ import annotations

from collections.abc import Iterator

from waitbuddy.reading.importers._common import checked_url, parsed_as
from waitbuddy.reading.model import Bookmark, Invalid, Parsed

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


def parse_url_list(text: str, name: str) -> Parsed:
    """Each remaining line is one URL, no title, no date."""
    parsed = parsed_as("url-list")
    for number, raw in enumerate(_lines(text), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        url = checked_url(line, number)
        if isinstance(url, Invalid):
            parsed.invalid.append(url)
        else:
            parsed.bookmarks.append(Bookmark(url=url, line=number))
    return parsed


def _lines(text: str) -> Iterator[str]:
    """``text.split("\\n")`` a megabyte at a time: a list of every line was another copy of the file
    (and 49 bytes a line more). Not splitlines(): line numbers must match what an editor shows."""
    start = 0
    while (end := text.find("\n", start + _CHUNK)) >= 0:
        yield from text[start:end].split("\n")
        start = end + 1
    yield from text[start:].split("\n")
