"""The values feeds produce: one item of a feed and one parsed document. Plain frozen data.

Every text field is already safe to show (it went through :mod:`waitbuddy.text`) and capped; every
link is an ``http``/``https`` URL or ``None``. arXiv fields are ``None`` for other feeds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

MAX_ITEMS = 500  # per document; the rest is dropped with a warning
TITLE_LIMIT = 300
AUTHOR_LIMIT = 120
MAX_AUTHORS = 100
SUMMARY_LIMIT = 8000
CATEGORY_LIMIT = 80
MAX_CATEGORIES = 24
GUID_LIMIT = 512

ANNOUNCE_TYPES = ("new", "cross", "replace", "replace-cross", "absonly")
REPLACEMENTS = frozenset({"replace", "replace-cross"})


@dataclass(frozen=True)
class FeedItem:
    """One entry of a feed, cleaned.

    ``guid`` is stable across refreshes of the same feed (the feed's guid/id, else the link, else
    a hash of title and date). ``key`` is what makes two items the same paper or post: the arXiv id
    when there is one (so one paper in two category feeds is one item), else the guid.
    """

    guid: str
    title: str
    link: str | None = None
    authors: tuple[str, ...] = ()
    published: datetime | None = None  # aware, UTC
    updated: datetime | None = None  # aware, UTC
    summary: str = ""  # plain text, may hold newlines
    categories: tuple[str, ...] = ()
    # arXiv (see waitbuddy.feeds.arxiv)
    arxiv_id: str | None = None  # without version: "2401.01234", "hep-th/9901001"
    arxiv_version: int | None = None
    announce_type: str | None = None  # one of ANNOUNCE_TYPES
    primary_category: str | None = None
    pdf_url: str | None = None
    comment: str = ""  # arXiv author comment ("23 pages, 8 figures")
    pages: int | None = None

    @property
    def key(self) -> str:
        return f"arxiv:{self.arxiv_id}" if self.arxiv_id else self.guid

    @property
    def versioned_id(self) -> str | None:
        """``2401.01234v2``, or the bare id when the version is unknown."""
        if self.arxiv_id is None:
            return None
        return f"{self.arxiv_id}v{self.arxiv_version}" if self.arxiv_version else self.arxiv_id

    @property
    def is_replacement(self) -> bool:
        return self.announce_type in REPLACEMENTS

    @property
    def text(self) -> str:
        """Title and summary: what the ranker reads."""
        return f"{self.title}\n{self.summary}" if self.summary else self.title


@dataclass(frozen=True)
class ParsedFeed:
    """A fetched document read as a feed.

    ``error`` is a short one-line reason when the document is not a usable feed (then ``items`` is
    empty and a caller keeps the source's last good items). ``warnings`` are things worth a note
    that did not stop reading (malformed XML salvaged, items cut at :data:`MAX_ITEMS`). An empty
    ``items`` with no error is a normal empty feed (arXiv on a weekend).
    """

    title: str = ""
    link: str | None = None
    items: tuple[FeedItem, ...] = ()
    error: str | None = None
    warnings: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return self.error is None
