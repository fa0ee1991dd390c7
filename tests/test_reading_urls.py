"""URL rules: what we keep, what counts as the same item, what kind a link is."""

from __future__ import annotations

import pytest

from waitbuddy.reading.urls import arxiv_id, clean_url, kind_from_url, url_key


@pytest.mark.parametrize("url", [
    "javascript:alert(1)", "file:///etc/passwd", "place:sort=8", "chrome://settings", "about:blank",
    "-https://example.com", "https://exa mple.com/", "https://example.com/\x1b]52;c;AA\x07", "", "   ", "http://",
    "https://[::1/", "mailto:a@b.c", "data:text/html,hi",
])
def test_only_http_urls_with_a_host_are_kept(url):
    assert clean_url(url) is None


def test_clean_url_lowercases_scheme_and_host_drops_default_port_and_tracking():
    assert clean_url("HTTPS://Example.COM:443/Path/?utm_source=x&id=3&fbclid=y#frag") == \
        "https://example.com/Path/?id=3#frag"
    assert clean_url("http://example.com:8080") == "http://example.com:8080/"
    assert clean_url("https://example.com/a?b=1&utm_medium=2") == "https://example.com/a?b=1"


@pytest.mark.parametrize("a, b", [
    ("https://example.com/post/", "http://EXAMPLE.com:80/post"),
    ("https://example.com/a?x=1&y=2", "https://example.com/a?y=2&x=1&utm_campaign=z"),
    ("https://example.com/a#section-2", "https://example.com/a"),
    ("https://arxiv.org/abs/2203.01250", "https://arxiv.org/pdf/2203.01250v2"),
    ("http://export.arxiv.org/abs/2203.01250v1", "https://arxiv.org/pdf/2203.01250.pdf"),
    ("https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=42s", "https://youtu.be/dQw4w9WgXcQ?si=share"),
    ("https://example.com/%7Euser", "https://example.com/~user"),
])
def test_same_item_keys(a, b):
    assert url_key(clean_url(a)) == url_key(clean_url(b))


@pytest.mark.parametrize("a, b", [
    ("https://example.com/a", "https://example.com/b"),
    ("https://example.com/a?page=1", "https://example.com/a?page=2"),
    ("https://app.example.com/#/inbox", "https://app.example.com/#/settings"),
    ("https://example.com/Case", "https://example.com/case"),
    ("https://arxiv.org/abs/2203.01250", "https://arxiv.org/abs/2203.01251"),
])
def test_different_item_keys(a, b):
    assert url_key(clean_url(a)) != url_key(clean_url(b))


@pytest.mark.parametrize("url, kind", [
    ("https://arxiv.org/abs/1706.03762", "paper"),
    ("https://openreview.net/forum?id=abc", "paper"),
    ("https://example.com/files/report.PDF", "paper"),
    ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "video"),
    ("https://youtu.be/dQw4w9WgXcQ", "video"),
    ("https://github.com/karpathy/nanoGPT", "repo"),
    ("https://github.com/karpathy/nanoGPT/tree/master/data", "repo"),
    ("https://github.com/features/copilot", "article"),
    ("https://docs.python.org/3/library/re.html", "docs"),
    ("https://pytorch.org/docs/stable/nn.html", "docs"),
    ("https://lightning.readthedocs.io/en/latest/", "docs"),
    ("https://huggingface.co/docs/transformers/index", "docs"),
    ("https://lilianweng.github.io/posts/2023-06-23-agent/", "article"),
])
def test_kind_from_url(url, kind):
    assert kind_from_url(clean_url(url)) == kind


def test_arxiv_id_old_and_new_style():
    assert arxiv_id("https://arxiv.org/abs/2203.01250v3") == "2203.01250"
    assert arxiv_id("https://arxiv.org/abs/hep-th/9901001") == "hep-th/9901001"
    assert arxiv_id("https://example.com/abs/2203.01250") is None
