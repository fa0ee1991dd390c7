"""OPML import/export: nested folders and categories become tags, the round trip keeps URLs and tags,
bad files are refused with one line, bad entries are skipped with reasons."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from waitbuddy.feeds.opml import MAX_BYTES, OpmlError, Subscription, category_tags, read_opml, write_opml

DATA = Path(__file__).parent / "data" / "feeds"


@pytest.fixture
def imported():
    return read_opml((DATA / "subscriptions.opml").read_bytes())


def test_folders_and_categories_become_tags(imported):
    assert imported.title == "My subscriptions"
    by_url = {subscription.url: subscription for subscription in imported.subscriptions}
    python = by_url["https://blog.python.org/feeds/posts/default"]
    assert (python.title, python.html_url, python.tags) == ("Python Insider", "https://blog.python.org/", ("IT/Programming",))
    # XMLURL in capitals still counts; category adds tags beside the folder path.
    assert by_url["https://github.com/microsoft/PowerToys/releases.atom"].tags == ("IT/Programming", "releases", "tools/windows")
    assert by_url["https://news.ycombinator.com/rss"].tags == ("IT",)
    assert by_url["https://rss.arxiv.org/rss/cs.LG"].tags == ("Papers",)
    assert by_url["https://example.org/feed.xml?a=1&b=2"].tags == ()
    assert by_url["https://example.org/feed.xml?a=1&b=2"].title == "Top level & loose"


def test_invalid_entries_are_skipped_with_reasons(imported):
    assert len(imported.subscriptions) == 5
    assert imported.skipped == ('line 19: "Not a web feed" xmlUrl is not an http(s) URL', 'line 20: "No URL at all" no xmlUrl')
    assert imported.skipped_count == 2


def test_round_trip_keeps_urls_and_tags(imported):
    exported = write_opml(imported.subscriptions, created=datetime(2024, 4, 15, tzinfo=UTC))
    assert b'<opml version="2.0">' in exported and b"Mon, 15 Apr 2024 00:00:00 GMT" in exported
    again = read_opml(exported)
    assert again.subscriptions == imported.subscriptions
    assert again.skipped == ()


def test_export_escapes_everything():
    hostile = Subscription(url='https://example.org/f?a=1&b="2"', title='<b>"Tom & Jerry"</b>\x1b[31m',
                           tags=("a,b", "x/y", "<tag>"))
    exported = write_opml([hostile])
    assert b"\x1b" not in exported and b"<b>" not in exported
    (back,) = read_opml(exported).subscriptions
    assert back.url == hostile.url
    assert back.title == '<b>"Tom & Jerry"</b>'
    assert back.tags == ("a b", "x/y", "<tag>")


def test_opml_1_with_text_only_and_lowercase_xmlurl():
    data = (b'<?xml version="1.0"?><opml version="1.0"><head><title>old</title></head><body>'
            b'<outline text="Blogs"><outline text="A" xmlurl="https://a.example/rss"/></outline></body></opml>')
    (subscription,) = read_opml(data).subscriptions
    assert (subscription.url, subscription.title, subscription.tags) == ("https://a.example/rss", "A", ("Blogs",))


def test_duplicates_are_skipped():
    data = (b'<opml version="2.0"><body><outline xmlUrl="https://a.example/rss"/>'
            b'<outline text="again" xmlUrl="https://a.example/rss"/></body></opml>')
    result = read_opml(data)
    assert len(result.subscriptions) == 1 and "duplicate" in result.skipped[0]


@pytest.mark.parametrize(("data", "message"), [
    (b"", "empty"),
    (b"not xml at all", "not an OPML file"),
    (b"<html><body><p>hi</p></body></html>", "root element is <html>"),
    (b'<opml version="2.0"><head/><body/></opml>', "no feeds"),
    ((DATA / "billion_laughs.xml").read_bytes(), "refused"),
    ('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE opml [<!ENTITY a "b">]><opml/>'.encode("utf-16"), "refused"),
    (b'<!DOCTYPE opml SYSTEM "file:///etc/passwd"><opml><body><outline xmlUrl="https://a.example/"/></body></opml>',
     "refused"),
])
def test_bad_files_are_refused_with_one_line(data, message):
    with pytest.raises(OpmlError) as error:
        read_opml(data)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_a_huge_file_is_refused_before_parsing():
    with pytest.raises(OpmlError, match="too large"):
        read_opml(b"<opml>" + b" " * MAX_BYTES + b"</opml>")


def test_category_tags():
    assert category_tags("releases, /tools/windows,,/a//b/ ") == ["releases", "tools/windows", "a/b"]
