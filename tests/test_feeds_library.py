"""feeds.library and feeds.marks: storage, state changes with events and undo, ranker, retention."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from waitbuddy import history
from waitbuddy.config import Feed
from waitbuddy.feeds import library
from waitbuddy.feeds.model import FeedItem
from waitbuddy.reading import backlog

NOW = datetime(2024, 4, 10, 12, 0, tzinfo=UTC)


def paper(number: int, title: str, summary: str = "", pages: int | None = None) -> FeedItem:
    ident = f"2404.{number:05d}"
    return FeedItem(guid=f"oai:arXiv.org:{ident}v1", title=title, link=f"https://arxiv.org/abs/{ident}",
                    summary=summary, arxiv_id=ident, arxiv_version=1, announce_type="new", pages=pages,
                    published=NOW - timedelta(hours=number), pdf_url=f"https://arxiv.org/pdf/{ident}")


def post(number: int, title: str) -> FeedItem:
    return FeedItem(guid=f"post-{number}", title=title, link=f"https://blog.example/{number}",
                    published=NOW - timedelta(days=number))


@pytest.fixture
def filled(store):
    source = library.add_source(store, "arxiv:cs.LG", tags=["papers"])[0]
    blog = library.add_source(store, "https://blog.example/feed.xml", name="Blog")[0]
    library.store_items(store, source.id, [paper(1, "Diffusion models with LoRA", "Low-rank adapters", pages=12),
                                           paper(2, "Sparse attention"), paper(3, "Protein folding")], NOW)
    library.store_items(store, blog.id, [post(1, "Release notes"), post(2, "Hiring")], NOW)
    return store, source, blog


def ids_by_title(store) -> dict[str, int]:
    return {entry.item.title: entry.id for entry in library.entries(store, include_dismissed=True)}


def test_entries_are_newest_first_with_their_sources_tags(filled):
    store = filled[0]
    found = library.entries(store)
    assert [entry.item.title for entry in found][:2] == ["Diffusion models with LoRA", "Sparse attention"]
    assert found[0].source == "arXiv cs.LG" and found[0].tags == ("papers",) and found[0].unread
    assert [row.items for row in library.sources(store)] == [3, 2]


def test_read_and_dismiss_record_events_and_undo_takes_them_back(filled):
    store = filled[0]
    ids = ids_by_title(store)
    read = library.set_read(store, [ids["Sparse attention"], ids["Protein folding"]], now=NOW)
    dismissed = library.dismiss(store, [ids["Hiring"]], now=NOW)
    events = history.events(store, NOW - timedelta(days=1), NOW + timedelta(days=1), domain="feeds")
    assert [(event.kind, event.detail.get("count")) for event in events] == [("read", 2), ("dismissed", None)]
    assert events[1].subject == str(ids["Hiring"])
    assert "Hiring" not in {entry.item.title for entry in library.entries(store)}
    assert len(library.entries(store, unread=True)) == 2
    assert library.undo(store, dismissed) == 1 and library.undo(store, read) == 2
    assert len(library.entries(store, unread=True)) == 5
    assert history.events(store, NOW - timedelta(days=1), NOW + timedelta(days=1), domain="feeds") == []
    assert library.ranker(store).docs == 0  # the lessons were taken back too


def test_save_to_backlog_carries_pages_and_abstract_and_undo_removes_it(filled):
    store, *_ = filled
    entry_id = ids_by_title(store)["Diffusion models with LoRA"]
    item, created, undo = library.to_backlog(store, entry_id, now=NOW)
    assert created and item.kind == "paper" and item.pages == 12 and item.minutes is not None
    assert item.note == "Low-rank adapters" and item.url == "https://arxiv.org/abs/2404.00001"
    assert item.fetch_state == "done"  # not fetched again: the feed said it all
    entry = library.get_entry(store, entry_id)
    assert entry.saved_at == NOW and entry.backlog_id == item.id
    assert [event.kind for event in history.events(store, NOW - timedelta(1), NOW + timedelta(1))] == ["added",
                                                                                                       "saved"]
    again = library.to_backlog(store, entry_id, now=NOW)
    assert again[1] is False and again[0].id == item.id
    library.undo(store, undo)
    assert backlog.get_item(store, item.id) is None and library.get_entry(store, entry_id).saved_at is None
    assert history.events(store, NOW - timedelta(1), NOW + timedelta(1)) == []


def test_ranker_puts_an_item_like_saved_ones_above_an_unrelated_one(filled):
    store, source, _ = filled
    ids = ids_by_title(store)
    library.to_backlog(store, ids["Diffusion models with LoRA"], now=NOW)
    library.dismiss(store, [ids["Protein folding"]], now=NOW)
    library.store_items(store, source.id, [paper(7, "LoRA fine-tuning of diffusion models"),
                                           paper(8, "Protein structure prediction")], NOW)
    model = library.ranker(store, interests=["sparse attention"])
    fresh = {entry.item.title: entry.item for entry in library.entries(store)}
    assert model.score(fresh["LoRA fine-tuning of diffusion models"]) > model.score(fresh["Protein structure prediction"])
    assert "sparse attention" in model.explain(fresh["Sparse attention"])


def test_prune_forgets_unlisted_items_but_keeps_saved_ones(filled):
    store, source, _ = filled
    ids = ids_by_title(store)
    library.to_backlog(store, ids["Protein folding"], now=NOW)
    later = NOW + timedelta(days=40)
    library.store_items(store, source.id, [paper(2, "Sparse attention")], later)  # still listed: kept
    assert library.prune(store, 30, later) == 3
    assert set(ids_by_title(store)) == {"Protein folding", "Sparse attention"}


def test_a_304_keeps_what_the_source_listed_from_being_pruned(filled):
    store, source, _ = filled
    library.mark_checked(store, source.id, NOW, parsed_at=NOW, ok_at=NOW)
    library.still_listed(store, source.id, NOW + timedelta(days=40))
    assert library.prune(store, 30, NOW + timedelta(days=40)) == 2  # only the blog's posts went
    assert len(library.entries(store, source=source.id)) == 3


def test_removing_a_source_keeps_saved_items_and_items_another_source_lists(filled):
    store = filled[0]
    other = library.add_source(store, "arxiv:stat.ML")[0]
    library.store_items(store, other.id, [paper(2, "Sparse attention")], NOW)
    saved = ids_by_title(store)["Diffusion models with LoRA"]
    library.to_backlog(store, saved, now=NOW)
    assert library.remove_source(store, "arxiv:cs.lg")  # any spelling of the same source
    titles = {entry.item.title: entry for entry in library.entries(store)}
    assert set(titles) == {"Diffusion models with LoRA", "Sparse attention", "Release notes", "Hiring"}
    assert titles["Sparse attention"].source_id == other.id and titles["Diffusion models with LoRA"].source_id is None
    assert not library.remove_source(store, "arxiv:cs.LG")


def test_sync_config_adds_updates_and_removes_config_sources(store):
    library.add_source(store, "https://mine.example/rss")
    library.sync_config(store, [Feed("arxiv:cs.LG", name="LG", tags=("papers",)), Feed("https://mine.example/rss")])
    rows = {row.spec: row for row in library.sources(store)}
    assert rows["arxiv:cs.LG"].origin == "config" and rows["arxiv:cs.LG"].title == "LG"
    assert rows["https://mine.example/rss"].origin == "user"
    library.sync_config(store, [Feed("arxiv:cs.LG", name="Learning", refresh_minutes=30)])
    rows = {row.spec: row for row in library.sources(store)}
    assert (rows["arxiv:cs.LG"].name, rows["arxiv:cs.LG"].tags, rows["arxiv:cs.LG"].refresh_minutes) == (
        "Learning", (), 30)
    library.sync_config(store, [])
    assert [row.spec for row in library.sources(store)] == ["https://mine.example/rss"]


def test_enums_are_checked_in_python(store):
    source = library.add_source(store, "arxiv:cs.LG")[0]
    with pytest.raises(ValueError):
        library.store_items(store, source.id, [FeedItem(guid="x", title="x", announce_type="bogus")], NOW)
    with pytest.raises(ValueError):
        library.add_source(store, "https://a.example/rss", origin="somewhere")
    with pytest.raises(ValueError, match="unsupported source"):
        library.add_source(store, "gopher://a.example/")


def test_a_stale_source_marks_its_entries(filled):
    store, source, blog = filled
    library.mark_checked(store, source.id, NOW, error="timed out after 30s")
    library.mark_checked(store, blog.id, NOW, ok_at=NOW)
    stale = {entry.item.title: entry.stale for entry in library.entries(store, now=NOW + timedelta(minutes=5))}
    assert stale["Sparse attention"] and not stale["Hiring"]
    assert all(entry.stale for entry in library.entries(store, now=NOW + timedelta(hours=3), source=blog.id))
