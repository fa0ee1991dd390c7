"""The filter language and the orders, over plain items (no store)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from waitbuddy.reading.model import Item
from waitbuddy.reading.query import Index, QueryError, parse_query, resurface, resurface_weight, select

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)


def item(id, title="", *, days=0, status="unread", tags=(), kind="article", minutes=None, priority=0, note="",
         snoozed=None, source="manual", url=None):
    return Item(id=id, url=url or f"https://example.com/{id}", title=title, kind=kind, source=source,
                saved_at=NOW - timedelta(days=days), status=status, priority=priority, tags=tuple(tags), note=note,
                minutes=minutes, snoozed_until=snoozed)


ITEMS = [
    item(1, "Attention Is All You Need", days=400, tags=("ml", "paper"), kind="paper", minutes=60),
    item(2, "Rust async book", days=3, tags=("rust",), kind="docs", minutes=15, priority=2),
    item(3, "A short post", days=40, minutes=4, note="from the newsletter"),
    item(4, "Read already", days=10, status="done", minutes=5),
    item(5, "Old and archived", days=900, status="archived"),
    item(6, "Tomorrow's problem", days=1, snoozed=NOW + timedelta(days=1)),
    item(7, "Half read", days=20, status="reading", tags=("deep learning",), minutes=25),
    item(8, "Talk", days=5, kind="video", minutes=45, source="pocket"),
]


def ids(text, sort="oldest", **options):
    return [found.id for found in select(ITEMS, parse_query(text, **options), sort=sort, now=NOW)]


def test_default_view_is_unread_and_reading_without_snoozed():
    assert ids("") == [1, 3, 7, 8, 2]


@pytest.mark.parametrize("text, expected", [
    ("attention", [1]),
    ("ATTENTION need", [1]),
    ("newsletter", [3]),  # the note is searched
    ("example.com/3", [3]),  # so is the URL
    ("tag:ml", [1]),
    ("#rust", [2]),
    ('tag:"deep learning"', [7]),
    ("-tag:ml", [3, 7, 8, 2]),
    ("kind:video", [8]),
    ("-kind:paper -kind:video", [3, 7, 2]),
    ("fits:15", [3, 2]),
    ("fits:15m", [3, 2]),
    ("age:>30", [1, 3]),
    ("age:<7", [8, 2]),
    ("status:done", [4]),
    ("status:all", [5, 1, 3, 7, 4, 8, 2]),
    ("status:archived,done", [5, 4]),
    ("-status:unread", [5, 7, 4]),
    ("is:snoozed", [6]),
    ("source:pocket", [8]),
    ("nothing-matches-this", []),
])
def test_filter_language(text, expected):
    assert ids(text) == expected


def test_cli_options_add_to_the_query():
    assert ids("", fits=20, tag="rust") == [2]
    assert ids("", status="done") == [4]
    assert ids("short", kind="article") == [3]


@pytest.mark.parametrize("text, message", [
    ("kind:podcast", "unknown kind"),
    ("status:later", "unknown status"),
    ("fits:soon", "expected a number"),
    ("fits:-3", "zero or more"),
    ("fits:nan", "zero or more"),
    ("is:read", "only is:snoozed"),
])
def test_bad_words_are_clear_errors(text, message):
    with pytest.raises(QueryError, match=message):
        parse_query(text)


def test_unknown_prefixes_and_unbalanced_quotes_are_plain_text():
    assert ids("docs:example.com/3") == []
    assert ids("https://example.com/3") == [3]
    assert ids('"attention') == [1]


def test_sorts():
    assert ids("", sort="priority")[0] == 2
    assert ids("", sort="newest") == [2, 8, 7, 3, 1]
    assert ids("", sort="shortest") == [3, 2, 7, 8, 1]


def test_resurface_is_a_stable_permutation_per_seed_and_changes_with_it():
    many = [item(n, days=n % 500, minutes=(n % 7) * 10 or None, priority=n % 4) for n in range(1, 400)]
    first = [found.id for found in resurface(many, now=NOW, seed=1)]
    again = [found.id for found in resurface(list(reversed(many)), now=NOW, seed=1)]
    other = [found.id for found in resurface(many, now=NOW, seed=2)]
    assert first == again
    assert sorted(first) == sorted(found.id for found in many)
    assert first != other


def test_resurface_favours_old_short_high_priority_items():
    old_short_urgent = item(1, days=700, minutes=3, priority=3)
    new_long = item(2, days=0, minutes=120)
    assert resurface_weight(old_short_urgent, NOW) > 20 * resurface_weight(new_long, NOW)
    wins = sum(resurface([old_short_urgent, new_long], now=NOW, seed=seed)[0].id == 1 for seed in range(200))
    assert wins > 180


def test_recently_surfaced_items_step_back():
    fresh = item(1, days=100, minutes=10)
    shown = Item(**{**fresh.__dict__, "surfaced_at": NOW - timedelta(hours=2)})
    assert resurface_weight(shown, NOW) < resurface_weight(fresh, NOW) / 4


def test_index_replace_updates_search_text():
    index = Index(ITEMS, now=NOW, seed=3)
    changed = Item(**{**ITEMS[2].__dict__, "title": "Now about transformers"})
    index.replace(changed)
    assert [found.id for found in select(index, parse_query("transformers"), sort="resurface", now=NOW, seed=3)] == [3]
