"""What people type as a feed source: URLs, arXiv categories (one request for several), arXiv searches."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from waitbuddy.feeds.sources import parse_source, search_query


def test_a_feed_url_is_an_rss_source_keyed_like_the_backlog():
    source = parse_source("  https://Example.org/feed.xml  ")
    assert (source.kind, source.url, source.name) == ("rss", "https://Example.org/feed.xml", "example.org")
    assert source.key == parse_source("http://example.org/feed.xml/").key


@pytest.mark.parametrize("text", ["arxiv:cs.LG+stat.ML", "arxiv:cs.LG,stat.ML", "arxiv:cs.lg stat.ml", "ARXIV:cs.LG+stat.ML+cs.LG"])
def test_several_categories_are_one_request(text):
    source = parse_source(text)
    assert source.kind == "arxiv"
    assert source.url == "https://rss.arxiv.org/rss/cs.LG+stat.ML"
    assert source.categories == ("cs.LG", "stat.ML")
    assert source.spec == "arxiv:cs.LG+stat.ML"


def test_category_spellings_are_normalised():
    source = parse_source("arxiv:CS+math.oc+q-bio.nc+astro-ph.co+physics.atom-ph+cond-mat.stat-mech")
    assert source.categories == ("cs", "math.OC", "q-bio.NC", "astro-ph.CO", "physics.atom-ph", "cond-mat.stat-mech")


def test_category_order_does_not_make_another_source():
    assert parse_source("arxiv:stat.ML+cs.LG").key == parse_source("arxiv:cs.LG,stat.ML").key


def test_an_arxiv_rss_url_is_read_as_its_categories():
    source = parse_source("https://rss.arxiv.org/rss/cs.LG+stat.ML")
    assert source.kind == "arxiv" and source.categories == ("cs.LG", "stat.ML")


@pytest.mark.parametrize(("typed", "query"), [
    ('"diffusion transformer"', 'all:"diffusion transformer"'),
    ("diffusion transformer", "all:diffusion AND all:transformer"),
    ("ti:lora AND au:hu", "ti:lora AND au:hu"),
    ("ti:lora and au:hu", "ti:lora AND au:hu"),
    ('ti:"low rank" cat:cs.LG', 'ti:"low rank" AND cat:cs.LG'),
    ("(ti:lora OR abs:adapter) ANDNOT cat:cs.CV", "(ti:lora OR abs:adapter) ANDNOT cat:cs.CV"),
    ("lora (diffusion OR dit)", "all:lora AND (all:diffusion OR all:dit)"),
])
def test_search_queries(typed, query):
    assert search_query(typed) == query


def test_a_search_becomes_a_properly_encoded_api_url():
    source = parse_source('arxiv-search:ti:"low rank" AND au:hu')
    parts = urlsplit(source.url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "export.arxiv.org", "/api/query")
    params = parse_qs(parts.query)
    assert params == {"search_query": ['ti:"low rank" AND au:hu'], "sortBy": ["submittedDate"],
                      "sortOrder": ["descending"], "max_results": ["50"]}
    assert "%22low+rank%22" in source.url and " " not in source.url
    assert parse_source(source.url) == source  # an exported search URL comes back as the same search


@pytest.mark.parametrize(("text", "message"), [
    ("", "empty source"),
    ("ftp://example.org/feed", "unsupported source ftp:"),
    ("javascript:alert(1)", "unsupported source javascript:"),
    ("-https://example.org/feed", "not a feed URL"),
    ("https://exa mple.org/feed", "not a feed URL"),
    ("arxiv:", "at least one category"),
    ("arxiv:cs..LG", "not an arXiv category"),
    ("arxiv:cs.LG/evil", "not an arXiv category"),
    ("arxiv-search:", "needs words"),
    ('arxiv-search:"diffusion', "unclosed quote"),
    ("arxiv-search:AND lora", "needs a term before it"),
    ("arxiv-search:lora OR", "ends with an operator"),
    ("arxiv-search:(lora", "unclosed parenthesis"),
    ("arxiv-search:lora)", "unbalanced"),
])
def test_bad_input_is_one_clear_line(text, message):
    with pytest.raises(ValueError) as error:
        parse_source(text)
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_too_many_categories_are_refused():
    with pytest.raises(ValueError, match="too many"):
        parse_source("arxiv:" + "+".join(f"cs.{chr(65 + i // 26)}{chr(65 + i % 26)}" for i in range(21)))
