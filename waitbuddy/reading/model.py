"""What a backlog item is, and the record importers hand over.

Importers and the metadata fetcher produce plain records; only :mod:`waitbuddy.reading.backlog`
writes the store. Text in these records is still untrusted: the backlog cleans it on the way in.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

STATUSES: tuple[str, ...] = ("unread", "reading", "done", "archived")
KINDS: tuple[str, ...] = ("article", "paper", "video", "repo", "docs")
PRIORITY_MIN, PRIORITY_MAX = 0, 3  # 0 = normal; 1-3 shown as !, !!, !!!
FETCH_STATES: tuple[str, ...] = ("pending", "done", "failed", "off")  # see Item.fetch_state
DEFAULT_WORDS_PER_MINUTE = 230  # between wallabag's 200 and Medium's 265 (notes/feeds-reading.md §4)
MINUTES_PER_PAPER_PAGE = 6  # a careful read of a dense page; papers are read, not skimmed
# Tags are matched as slugs. A run of anything but letters, digits and the + # . _ that names
# such as c++, c#, node.js and snake_case need becomes one "-".
_TAG_SEPARATORS = re.compile(r"[^\w+#.]+")


def tag_slug(text: str) -> str:
    """The slug form of a tag: ``ML Papers`` and ``ml  papers / 2024`` -> ``ml-papers`` and
    ``ml-papers-2024``. Bookmark folders become tags in this form; a filter compares slugs on
    both sides, so tags stored with spaces by older versions (or typed so) still match."""
    return _TAG_SEPARATORS.sub("-", text.lower()).strip("-")


def check_values(values: Mapping[str, object]) -> None:
    """Raise ValueError naming the first of ``kind``, ``status``, ``fetch_state`` or ``priority``
    in ``values`` that an item cannot hold. The table has no CHECKs (a new kind needs no table
    rebuild): everything that writes items calls this first."""
    for name, allowed in (("kind", KINDS), ("status", STATUSES), ("fetch_state", FETCH_STATES)):
        if name in values and values[name] not in allowed:
            raise ValueError(f"unknown {name.replace('_', ' ')} {values[name]!r} (one of {', '.join(allowed)})")
    priority = values.get("priority", PRIORITY_MIN)
    if type(priority) is not int or not PRIORITY_MIN <= priority <= PRIORITY_MAX:
        raise ValueError(f"priority {priority!r} is not a whole number from {PRIORITY_MIN} to {PRIORITY_MAX}")


@dataclass(frozen=True, slots=True)  # a big export holds a million of these: no __dict__ each
class Bookmark:
    """One entry an importer found. ``line`` is where it starts in the file (1-based; 0 if unknown).

    ``status`` is one of :data:`STATUSES` when the export says so (Pocket ``archive`` ->
    ``"archived"``, ``TOREAD="1"`` -> ``"unread"``), else ``None``. ``saved_at`` is the date the
    person saved it (timezone-aware UTC), never the import date; ``None`` when the file has none.
    """

    url: str
    title: str = ""
    tags: tuple[str, ...] = ()
    saved_at: datetime | None = None
    status: str | None = None
    note: str = ""
    description: str = ""
    line: int = 0
    priority: int = 0  # starred / favorite in the export: 1 (kept only for a new item: a re-import never changes it)


@dataclass(frozen=True, slots=True)
class Invalid:
    """An entry an importer could not use, and why (one short line)."""

    line: int
    reason: str


@dataclass
class Parsed:
    """What an importer read from one file: its format name, the entries, the rejects."""

    format: str
    bookmarks: list[Bookmark] = field(default_factory=list)
    invalid: list[Invalid] = field(default_factory=list)


class ImportFailed(Exception):
    """The file as a whole can't be imported (unknown format, binary, broken zip, missing header).

    ``str()`` is one line for people, naming the file and what is wrong. Nothing is written.
    """


@dataclass(frozen=True)
class PageInfo:
    """What a fetched page says about itself. Every field is optional; text is untrusted."""

    title: str = ""
    description: str = ""
    kind: str | None = None  # one of KINDS when the page makes it clear
    words: int | None = None  # words of readable text
    pages: int | None = None  # a paper's page count (arXiv comment "23 pages, 8 figures")
    duration_seconds: int | None = None  # a video's length when the page states it
    final_url: str | None = None  # after redirects


def estimate_minutes(*, words: int | None = None, pages: int | None = None, duration_seconds: int | None = None,
                     words_per_minute: int = DEFAULT_WORDS_PER_MINUTE) -> int | None:
    """Minutes to read or watch, rounded up so nothing shows 0; ``None`` when nothing is known.

    A stated video duration wins, then a paper's page count, then the word count.
    """
    if duration_seconds and duration_seconds > 0:
        return max(1, math.ceil(duration_seconds / 60))
    if pages and pages > 0:
        return pages * MINUTES_PER_PAPER_PAGE
    if words and words > 0:
        return max(1, math.ceil(words / max(words_per_minute, 1)))
    return None


@dataclass(frozen=True)
class Item:
    """One backlog item as stored. Text fields are already cleaned (safe to show as plain text).

    Times are timezone-aware UTC datetimes. ``minutes`` is ``None`` until something is known.
    ``fetch_state`` is ``pending`` (metadata not fetched yet), ``done``, ``failed`` (see
    ``fetch_error``) or ``off`` (never fetched: imported while fetching imports is off).
    """

    id: int
    url: str
    title: str
    kind: str
    source: str
    saved_at: datetime
    status: str = "unread"
    priority: int = 0
    tags: tuple[str, ...] = ()
    note: str = ""
    description: str = ""
    minutes: int | None = None
    snoozed_until: datetime | None = None
    surfaced_at: datetime | None = None
    fetch_state: str = "pending"
    fetch_error: str = ""
    kind_locked: bool = False  # the person chose the kind; fetching doesn't change it
    words: int | None = None
    pages: int | None = None
    duration_seconds: int | None = None
    updated_at: datetime | None = None
    done_at: datetime | None = None  # when it was marked done (None: not done, or done before waitbuddy knew)
