"""A plain list of URLs, one per line: what people paste from notes, shells and chat.

Blank lines and ``#`` comments are skipped; anything else that is not an http(s) URL is
reported with its line number rather than guessed at.
"""

from __future__ import annotations

from waitbuddy.reading.importers._common import checked_url, parsed_as
from waitbuddy.reading.model import Bookmark, Invalid, Parsed


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
    # split("\n") rather than splitlines(): line numbers must match what an editor shows.
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        url = checked_url(line, number)
        if isinstance(url, Invalid):
            parsed.invalid.append(url)
        else:
            parsed.bookmarks.append(Bookmark(url=url, line=number))
    return parsed
