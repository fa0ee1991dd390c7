"""Which items to show, in which order: one small filter language shared by the TUI and the CLI.

A query is words separated by spaces; every word must hold:

- ``tag:ml`` or ``#ml`` (has the tag; compared as slugs, so ``tag:ml-papers`` finds ``ml papers``), ``kind:paper``, ``status:done`` (``status:all`` shows
  every status; by default only unread and reading), ``is:snoozed`` (only snoozed items; by
  default they are hidden until their date);
- ``fits:20`` (known to take at most 20 minutes), ``age:>30`` / ``age:<7`` (days since saved);
- ``source:pocket``; a leading ``-`` negates a word (``-tag:later``, ``-video``);
- anything else is text looked for in the title, URL, note, tags and description (ignoring case).

Filtering 10,000 items takes a few milliseconds: each item's searchable text is built once.
"""

from __future__ import annotations

import math
import random
import shlex
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from waitbuddy.reading.model import KINDS, STATUSES, Item, tag_slug

SORTS: tuple[str, ...] = ("resurface", "priority", "oldest", "newest", "shortest")
OPEN_STATUSES = frozenset({"unread", "reading"})

Test = Callable[[Item], bool]
MakeTest = Callable[[datetime], Test]  # tests are bound to the time of filtering


class QueryError(ValueError):
    """A word of the query that can't be understood (``str()`` says which and why)."""


@dataclass(frozen=True)
class Query:
    text: str = ""
    statuses: frozenset[str] = OPEN_STATUSES
    snoozed: bool = False  # True: only snoozed items; False: snoozed items are hidden
    tests: tuple[tuple[bool, MakeTest], ...] = field(default=(), compare=False)  # (negated, test)
    words: tuple[tuple[bool, str], ...] = ()  # free text, lower-cased


def parse_query(text: str, *, fits: int | None = None, status: str | None = None, tag: str | None = None,
                kind: str | None = None) -> Query:
    """Parse the filter language; the keyword arguments add the CLI's options to it."""
    statuses: set[str] | None = None
    snoozed = False
    tests: list[tuple[bool, MakeTest]] = []
    words: list[tuple[bool, str]] = []
    extra = [f"fits:{fits}" if fits is not None else "", f"status:{status}" if status else "",
             f"tag:{tag}" if tag else "", f"kind:{kind}" if kind else ""]
    for raw in [*_split(text), *filter(None, extra)]:
        negated = raw.startswith("-") and len(raw) > 1
        word = raw[1:] if negated else raw
        name, _, value = word.partition(":")
        name = name.lower()
        if word.startswith("#") and len(word) > 1:
            name, value = "tag", word[1:]
        elif not value or (name not in _FIELDS and name not in ("status", "is")):
            words.append((negated, word.lower()))
            continue
        if name == "status":
            chosen = _statuses(value)
            statuses = (statuses or set()) | (set(STATUSES) - chosen if negated else chosen)
        elif name == "is":
            if value.lower() != "snoozed":
                raise QueryError(f"{raw}: only is:snoozed is known")
            snoozed = not negated
        else:
            tests.append((negated, _FIELDS[name](value, raw)))
    return Query(text=text, statuses=frozenset(statuses) if statuses is not None else OPEN_STATUSES,
                 snoozed=snoozed, tests=tuple(tests), words=tuple(words))


def _split(text: str) -> list[str]:
    """Words, where quotes group: ``tag:"deep learning"``. Unbalanced quotes split on spaces."""
    try:
        return shlex.split(text)
    except ValueError:
        return [word for word in (raw.strip("\"'") for raw in text.split()) if word]


def _statuses(value: str) -> set[str]:
    chosen: set[str] = set()
    for part in value.lower().split(","):
        if part == "all":
            chosen |= set(STATUSES)
        elif part in ("open", "todo"):
            chosen |= OPEN_STATUSES
        elif part in STATUSES:
            chosen.add(part)
        elif part == "read":
            chosen.add("done")
        else:
            raise QueryError(f"status:{value}: unknown status {part!r} (one of {', '.join(STATUSES)}, all)")
    return chosen


def _tag(value: str, raw: str) -> MakeTest:
    wanted = tag_slug(value)
    if not wanted:
        raise QueryError(f"{raw}: expected a tag")

    def make(now: datetime) -> Test:
        # Compared as slugs, so "ml papers" stored by an older version matches tag:ml-papers.
        # Each distinct tag is slugged once per filtering, not once per item that has it.
        slugs: dict[str, str] = {}

        def test(item: Item) -> bool:
            tags = item.tags
            if wanted in tags:
                return True
            for tag in tags:
                slug = slugs.get(tag)
                if slug is None:
                    slug = slugs[tag] = tag_slug(tag)
                if slug == wanted:
                    return True
            return False

        return test

    return make


def _kind(value: str, raw: str) -> MakeTest:
    wanted = value.lower()
    if wanted not in KINDS:
        raise QueryError(f"{raw}: unknown kind (one of {', '.join(KINDS)})")
    return lambda now: lambda item: item.kind == wanted


def _source(value: str, raw: str) -> MakeTest:
    wanted = value.lower()
    return lambda now: lambda item: item.source.lower().startswith(wanted)


def _fits(value: str, raw: str) -> MakeTest:
    minutes = _number(value.removesuffix("m").removesuffix("min"), raw)
    return lambda now: lambda item: item.minutes is not None and item.minutes <= minutes


def _age(value: str, raw: str) -> MakeTest:
    older = not value.startswith("<")
    days = _number(value.lstrip("<>=").removesuffix("d"), raw)
    if older:
        return lambda now: (lambda cutoff: lambda item: item.saved_at < cutoff)(now - timedelta(days=days))
    return lambda now: (lambda cutoff: lambda item: item.saved_at > cutoff)(now - timedelta(days=days))


def _number(value: str, raw: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise QueryError(f"{raw}: expected a number") from None
    if not math.isfinite(number) or number < 0:
        raise QueryError(f"{raw}: expected a number of zero or more")
    return number


_FIELDS: dict[str, Callable[[str, str], MakeTest]] = {
    "tag": _tag, "kind": _kind, "source": _source, "fits": _fits, "age": _age,
}


class Index:
    """Items with their searchable text and their order under each sort, computed once per load
    (on a background thread); :meth:`select` then costs a few milliseconds for 10,000 items."""

    def __init__(self, items: Iterable[Item], *, now: datetime | None = None, seed: int | None = None) -> None:
        """With ``now`` (and ``seed``), every order is computed here rather than at the first select."""
        self.items = list(items)
        self._rows = [(item, _haystack(item)) for item in self.items]
        self._ranks: dict[tuple[str, int], dict[int, int]] = {}
        if now is not None:
            for sort in ("priority", "oldest", "shortest", *(("resurface",) if seed is not None else ())):
                self.rank(sort, seed or 0, now)

    def replace(self, item: Item) -> None:
        """``item`` changed (e.g. its page was fetched); orders stay as they were until the next load."""
        for position, (old, _text) in enumerate(self._rows):
            if old.id == item.id:
                self._rows[position] = (item, _haystack(item))
                self.items[position] = item
                return

    def matching(self, query: Query, now: datetime) -> list[Item]:
        statuses, want_snoozed = query.statuses, query.snoozed
        tests = [(negated, make(now)) for negated, make in query.tests]
        words = query.words
        found = []
        append = found.append
        # Plain loops, not any(): a generator per item costs more than the tests themselves.
        for item, haystack in self._rows:
            if item.status not in statuses:
                continue
            snoozed = item.snoozed_until
            if (snoozed is not None and snoozed > now) != want_snoozed:
                continue
            for negated, test in tests:
                if test(item) == negated:
                    break
            else:
                for negated, word in words:
                    if (word in haystack) == negated:
                        break
                else:
                    append(item)
        return found

    def rank(self, sort: str, seed: int, now: datetime) -> dict[int, int]:
        """Position of every item under ``sort`` (the seed matters only to resurface)."""
        key = (sort, seed if sort == "resurface" else 0)
        ranks = self._ranks.get(key)
        if ranks is None:
            ordered = sort_items(self.items, sort, now=now, seed=seed)
            ranks = self._ranks[key] = {item.id: position for position, item in enumerate(ordered)}
        return ranks


def _haystack(item: Item) -> str:
    return "\n".join((item.title, item.url, item.note, " ".join(item.tags), item.description, item.kind)).lower()


def select(items: Sequence[Item] | Index, query: Query, *, sort: str = "resurface", now: datetime,
           seed: int = 0) -> list[Item]:
    """The items ``query`` lets through, in ``sort`` order (see :data:`SORTS`)."""
    index = items if isinstance(items, Index) else Index(items)
    if sort not in SORTS:
        raise ValueError(f"unknown sort {sort!r} (one of {', '.join(SORTS)})")
    found = index.matching(query, now)
    ranks = index.rank("oldest" if sort == "newest" else sort, seed, now)
    found.sort(key=lambda item: ranks[item.id], reverse=sort == "newest")
    return found


def sort_items(items: list[Item], sort: str, *, now: datetime, seed: int = 0) -> list[Item]:
    if sort == "priority":
        return sorted(items, key=lambda item: (-item.priority, item.saved_at, item.id))
    if sort == "oldest":
        return sorted(items, key=lambda item: (item.saved_at, item.id))
    if sort == "newest":
        return sorted(items, key=lambda item: (item.saved_at, item.id), reverse=True)
    if sort == "shortest":
        return sorted(items, key=lambda item: (item.minutes is None, item.minutes or 0, -item.priority, item.id))
    if sort == "resurface":
        return resurface(items, now=now, seed=seed)
    raise ValueError(f"unknown sort {sort!r} (one of {', '.join(SORTS)})")


def resurface_weight(item: Item, now: datetime) -> float:
    """How much ``item`` deserves to come up: old, short and high-priority items most.

    Age counts by its logarithm (a year-old link is not 50 times as urgent as a week-old one);
    an item shown in the last day counts a fifth, so the mix changes from one wait to the next.
    """
    age_days = max((now - item.saved_at).total_seconds() / 86400, 0.0)
    weight = (1.0 + math.log1p(age_days)) * (1.0 + item.priority)
    weight *= 0.5 if item.minutes is None else 1.0 / (1.0 + item.minutes / 15.0)
    if item.status == "reading":
        weight *= 2.0  # finish what you started
    if item.surfaced_at is not None and now - item.surfaced_at < timedelta(days=1):
        weight *= 0.2
    return weight


def resurface(items: Iterable[Item], *, now: datetime, seed: int) -> list[Item]:
    """A weighted random order (Efraimidis-Spirakis keys), stable for one ``seed``."""
    chooser = random.Random(seed)
    keyed = []
    for item in sorted(items, key=lambda item: item.id):
        weight = resurface_weight(item, now)
        keyed.append((chooser.random() ** (1.0 / weight), item))
    keyed.sort(key=lambda pair: pair[0], reverse=True)
    return [item for _key, item in keyed]
