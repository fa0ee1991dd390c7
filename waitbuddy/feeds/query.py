"""Which feed entries to show, in which order: the backlog's filter language where it fits.

A filter is words separated by spaces; every word must hold:

- ``source:arxiv`` (the source's name starts with it, ignoring case), ``tag:ml`` or ``#ml`` (the
  source's tags, compared as slugs as the backlog does), ``cat:cs.LG`` (one of the categories);
- ``is:unread``, ``is:read``, ``is:saved`` (sent to the backlog), ``is:stale`` (its source failing);
- a leading ``-`` negates a word (``-source:arxiv``, ``-diffusion``);
- anything else is text looked for in the title, authors, abstract, source and categories.

:class:`EntryIndex` builds each entry's searchable text and both orders once (on a background
thread); :meth:`EntryIndex.select` then filters 5,000 entries in a few milliseconds, so the list
follows every keystroke. Headless: the pane and ``feeds items --query`` can share it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from waitbuddy.reading.model import tag_slug
from waitbuddy.reading.query import QueryError
from waitbuddy.reading.query import _split as split_words

if TYPE_CHECKING:
    from waitbuddy.feeds.rank import Ranker

__all__ = ["SORTS", "EntryIndex", "FeedQuery", "QueryError", "parse_filter"]

SORTS: tuple[str, ...] = ("relevance", "date")
STATES = ("unread", "read", "saved", "stale")

Test = Callable[[Any], bool]  # an Entry (waitbuddy.feeds.library) -> bool


@dataclass(frozen=True)
class FeedQuery:
    text: str = ""
    tests: tuple[tuple[bool, Test], ...] = ()  # (negated, test)
    words: tuple[tuple[bool, str], ...] = ()  # free text, lower-cased


def parse_filter(text: str) -> FeedQuery:
    """Read the filter language; raises :class:`QueryError` naming a word it cannot use."""
    tests: list[tuple[bool, Test]] = []
    words: list[tuple[bool, str]] = []
    for raw in split_words(text):
        negated = raw.startswith("-") and len(raw) > 1
        word = raw[1:] if negated else raw
        name, _, value = word.partition(":")
        name = name.lower()
        if word.startswith("#") and len(word) > 1:
            name, value = "tag", word[1:]
        elif not value or name not in _FIELDS:
            words.append((negated, word.lower()))
            continue
        tests.append((negated, _FIELDS[name](value, raw)))
    return FeedQuery(text=text, tests=tuple(tests), words=tuple(words))


def _source(value: str, raw: str) -> Test:
    wanted = value.lower()
    return lambda entry: entry.source.lower().startswith(wanted)


def _tag(value: str, raw: str) -> Test:
    wanted = tag_slug(value)
    if not wanted:
        raise QueryError(f"{raw}: expected a tag")
    slugs: dict[str, str] = {}  # each distinct tag slugged once per filter, not once per entry

    def test(entry: Any) -> bool:
        for tag in entry.tags:
            slug = slugs.get(tag)
            if slug is None:
                slug = slugs[tag] = tag_slug(tag)
            if slug == wanted:
                return True
        return False

    return test


def _category(value: str, raw: str) -> Test:
    wanted = value.lower()
    return lambda entry: any(category.lower() == wanted for category in _categories(entry.item))


def _state(value: str, raw: str) -> Test:
    state = value.lower()
    if state == "unread":
        return lambda entry: entry.unread
    if state == "read":
        return lambda entry: not entry.unread
    if state == "saved":
        return lambda entry: entry.saved_at is not None or entry.backlog_id is not None
    if state == "stale":
        return lambda entry: entry.stale
    raise QueryError(f"{raw}: unknown state (one of {', '.join('is:' + name for name in STATES)})")


_FIELDS: dict[str, Callable[[str, str], Test]] = {
    "source": _source, "tag": _tag, "cat": _category, "category": _category, "is": _state,
}


def _categories(item: Any) -> tuple[str, ...]:
    primary = item.primary_category
    return (primary, *item.categories) if primary and primary not in item.categories else item.categories


def _haystack(entry: Any) -> str:
    item = entry.item
    return "\n".join((item.title, " ".join(item.authors), entry.source, " ".join(_categories(item)),
                      item.arxiv_id or "", item.summary)).lower()


class EntryIndex:
    """Entries (newest first, as the library gives them) with their searchable text and their
    relevance order, computed once per load; :meth:`select` is then cheap."""

    def __init__(self, entries: Iterable[Any], ranker: Ranker | None = None) -> None:
        self.entries = list(entries)
        self.ranker = ranker
        self._rows = [(entry, _haystack(entry)) for entry in self.entries]
        self.scores: dict[int, float] = {}
        self._relevance: dict[int, int] = {}
        if ranker is not None:
            ranked = ranker.ranked([entry.item for entry in self.entries])  # ties keep newest first
            by_item = {id(entry.item): entry.id for entry in self.entries}
            for position, (score, item) in enumerate(ranked):
                entry_id = by_item[id(item)]
                self.scores[entry_id] = score
                self._relevance[entry_id] = position
        self._explained: dict[int, list[str]] = {}

    def patch(self, changed: Iterable[Any], ids: Iterable[int]) -> None:
        """Entries ``ids`` are now ``changed`` (an id missing there is gone; a dismissed one stays,
        hidden, so its undo puts it back in its place); orders stay as they were (a new entry goes
        last) until the next full index."""
        fresh = {entry.id: entry for entry in changed}
        gone = set(ids) - set(fresh)
        rows = []
        for entry, haystack in self._rows:
            if entry.id in gone:
                continue
            if (new := fresh.pop(entry.id, None)) is not None:
                entry, haystack = new, _haystack(new)
                self._explained.pop(entry.id, None)
            rows.append((entry, haystack))
        rows += [(entry, _haystack(entry)) for entry in fresh.values()]
        self._rows = rows
        self.entries = [entry for entry, _ in rows]

    def __len__(self) -> int:
        return len(self.entries)

    def matching(self, query: FeedQuery, *, unread_only: bool = False, keep: frozenset[int] = frozenset()) -> list[Any]:
        """``unread_only`` lets read entries through when their id is in ``keep``."""
        tests, words = query.tests, query.words
        found = []
        append = found.append
        for entry, haystack in self._rows:  # plain loops: a generator per entry costs more than the tests
            if entry.dismissed_at is not None or unread_only and not entry.unread and entry.id not in keep:
                continue
            for negated, test in tests:
                if test(entry) == negated:
                    break
            else:
                for negated, word in words:
                    if (word in haystack) == negated:
                        break
                else:
                    append(entry)
        return found

    def select(self, query: FeedQuery, *, sort: str = "relevance", unread_only: bool = False,
               keep: frozenset[int] = frozenset()) -> list[Any]:
        """The entries ``query`` lets through, by relevance (best first, ties newest first) or date."""
        if sort not in SORTS:
            raise ValueError(f"unknown sort {sort!r} (one of {', '.join(SORTS)})")
        found = self.matching(query, unread_only=unread_only, keep=keep)
        if sort == "relevance" and self._relevance:
            ranks = self._relevance
            found.sort(key=lambda entry: ranks.get(entry.id, len(ranks)))
        return found

    def explain(self, entry: Any, limit: int = 3) -> list[str]:
        """The words that make ``entry`` rank (matched interests first); cached per entry."""
        if self.ranker is None or self.scores.get(entry.id, 0.0) <= 0.0:
            return []
        words = self._explained.get(entry.id)
        if words is None:
            words = self._explained[entry.id] = self.ranker.explain(entry.item, limit=limit)
        return words
