"""arXiv RSS and API responses: ids and versions, announce types, links, authors, errors, dedupe."""

from __future__ import annotations

from pathlib import Path

import pytest

from waitbuddy.feeds.arxiv import dedupe, page_count, parse_id, split_authors, visible
from waitbuddy.feeds.parse import parse_feed
from waitbuddy.feeds.sources import parse_source

DATA = Path(__file__).parent / "data" / "feeds"
RSS = {"content-type": "application/rss+xml"}


def read(name: str, spec: str):
    return parse_feed((DATA / name).read_bytes(), RSS, parse_source(spec))


@pytest.fixture
def cs_lg():
    return read("arxiv_rss_cs.LG.xml", "arxiv:cs.LG")


def test_rss_items_carry_id_version_type_and_links(cs_lg):
    assert cs_lg.ok and cs_lg.title == "cs.LG updates on arXiv.org"
    first = cs_lg.items[0]
    assert (first.arxiv_id, first.arxiv_version, first.versioned_id) == ("2404.07221", 1, "2404.07221v1")
    assert first.announce_type == "new"
    assert first.link == "https://arxiv.org/abs/2404.07221"
    assert first.pdf_url == "https://arxiv.org/pdf/2404.07221"
    assert first.categories == ("cs.LG", "cs.CV") and first.primary_category == "cs.LG"
    assert first.key == "arxiv:2404.07221"
    assert [item.announce_type for item in cs_lg.items] == ["new", "cross", "replace", "replace-cross", "absonly"]
    assert [item.arxiv_version for item in cs_lg.items] == [1, 1, 3, 2, 1]


def test_the_abstract_is_the_text_after_abstract_with_math_as_written(cs_lg):
    summary = cs_lg.items[0].summary
    assert summary.startswith("We study LoRA fine-tuning of diffusion transformers")
    assert "Announce Type" not in summary and "arXiv:" not in summary
    assert "$r \\ll d$" in summary and "$\\lambda<0.5$" in summary


def test_authors_are_split_from_dc_creator(cs_lg):
    assert cs_lg.items[0].authors == ("Alice Smith", "Bob Jones (MIT, CSAIL)", "Carol White")
    assert cs_lg.items[1].authors == ("Dana Lee", "Evan Park")


@pytest.mark.parametrize(("text", "names"), [
    ("A. One, B. Two, and C. Three", ["A. One", "B. Two", "C. Three"]),
    ("Ann Lee and Bo Kim", ["Ann Lee", "Bo Kim"]),
    ("Solo Author", ["Solo Author"]),
    ("X Y (Lab A, Lab B), Z W", ["X Y (Lab A, Lab B)", "Z W"]),
])
def test_split_authors(text, names):
    assert split_authors(text) == names


def test_the_id_and_type_also_come_from_the_description_when_elements_are_missing():
    body = (b'<rss version="2.0"><channel><title>t</title><item><title>P</title>'
            b"<link>https://arxiv.org/abs/2401.01234</link>"
            b"<description>arXiv:2401.01234v2 Announce Type: replace-cross \nAbstract: Text.</description>"
            b"</item></channel></rss>")
    (item,) = parse_feed(body, None, parse_source("arxiv:cs.LG")).items
    assert (item.arxiv_id, item.arxiv_version, item.announce_type, item.summary) == ("2401.01234", 2, "replace-cross", "Text.")


def test_replacements_are_hidden_by_default(cs_lg):
    shown = visible(cs_lg.items)
    assert [item.announce_type for item in shown] == ["new", "cross", "absonly"]
    assert len(visible(cs_lg.items, show_replacements=True)) == 5


def test_an_empty_weekend_feed_is_a_normal_empty_result():
    feed = read("arxiv_rss_weekend.xml", "arxiv:cs.LG")
    assert feed.ok and feed.error is None and feed.items == () and feed.warnings == ()


def test_dedupe_across_two_category_feeds_keeps_the_first_and_merges_categories(cs_lg):
    stat_ml = read("arxiv_rss_stat.ML.xml", "arxiv:stat.ML")
    merged = dedupe([*cs_lg.items, *stat_ml.items])
    ids = [item.arxiv_id for item in merged]
    assert len(ids) == len(set(ids)) == 6
    conformal = next(item for item in merged if item.arxiv_id == "2404.07300")
    assert conformal.guid == cs_lg.items[1].guid  # the first one seen is kept
    assert conformal.categories == ("stat.ML", "cs.LG", "stat.ME")
    assert conformal.announce_type == "new" and conformal.primary_category == "stat.ML"


def test_dedupe_leaves_other_items_alone():
    blog = parse_feed((DATA / "rss20.xml").read_bytes(), None, parse_source("https://example.org/f"))
    assert dedupe([*blog.items, *blog.items]) == [*blog.items, *blog.items]


def test_api_response_entries():
    feed = read("arxiv_api_one.xml", "arxiv-search:ti:heat")
    (item,) = feed.items
    assert (item.arxiv_id, item.arxiv_version) == ("1605.08386", 1)
    assert item.title == "Heat-bath random walks with Markov bases"
    assert item.authors == ("Caprice Stanley", "Tobias Windisch")
    assert item.primary_category == "math.CO" and item.categories == ("math.CO", "math.ST")
    assert item.comment == "20 pages, 3 figures" and item.pages == 20
    assert item.link == "https://arxiv.org/abs/1605.08386" and item.pdf_url == "https://arxiv.org/pdf/1605.08386"
    assert item.announce_type is None and not item.is_replacement


def test_api_search_response_has_all_entries_with_unwrapped_abstracts():
    feed = read("arxiv_api_search.xml", "arxiv-search:testing")
    assert feed.ok and len(feed.items) == 10
    assert all(item.arxiv_id and item.primary_category for item in feed.items)
    assert all("\n" not in item.summary for item in feed.items)  # the API's hard wraps are undone
    assert feed.items[3].pages == 13  # "13 pages, 6 figures, In Proceedings of …"


def test_an_api_error_response_is_an_error():
    feed = read("arxiv_api_error.xml", "arxiv-search:testing")
    assert feed.items == ()
    assert feed.error == "arXiv API error: incorrect id format for abc"


@pytest.mark.parametrize(("text", "expected"), [
    ("oai:arXiv.org:2401.01234v2", ("2401.01234", 2)),
    ("http://arxiv.org/abs/2401.01234v10", ("2401.01234", 10)),
    ("https://arxiv.org/abs/2401.01234", ("2401.01234", None)),
    ("https://arxiv.org/pdf/2401.01234v3.pdf", ("2401.01234", 3)),
    ("oai:arXiv.org:hep-th/9901001v1", ("hep-th/9901001", 1)),
    ("arXiv:2401.12345v1", ("2401.12345", 1)),
    ("https://example.org/abs/2401.01234", None),
    ("", None),
])
def test_parse_id(text, expected):
    assert parse_id(text) == expected


@pytest.mark.parametrize(("comment", "pages"), [
    ("23 pages, 8 figures", 23), ("Accepted at ICML; 9 pp.", 9), ("1 page", 1), ("code at github", None), (None, None),
])
def test_page_count(comment, pages):
    assert page_count(comment) == pages
