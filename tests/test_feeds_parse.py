"""Feed documents in the real formats -> safe items; what is not a usable feed -> a short error."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from waitbuddy.feeds.model import MAX_ITEMS
from waitbuddy.feeds.parse import parse_feed, refusal
from waitbuddy.feeds.plain import to_text
from waitbuddy.feeds.sources import parse_source

DATA = Path(__file__).parent / "data" / "feeds"
BLOG = parse_source("https://example.org/feed.xml")
XML = {"content-type": "application/xml"}


def read(name: str, headers=XML, source=BLOG):
    return parse_feed((DATA / name).read_bytes(), headers, source)


def test_rss20():
    feed = read("rss20.xml")
    assert feed.ok and feed.title == "Sample Feed" and feed.link == "http://example.org/"
    (item,) = feed.items
    assert item.guid == "http://example.org/guid/1"
    assert item.title == "First item title" and item.link == "http://example.org/item/1"
    assert item.published == datetime(2002, 9, 5, 0, 0, 1, tzinfo=UTC)
    assert item.summary == "Watch out for nasty tricks"  # the HTML reduced to text
    assert item.categories == ("Miscellaneous",)


def test_atom10_dates_are_aware_utc_and_authors_a_list():
    (item,) = read("atom10.xml").items
    assert item.guid == "tag:feedparser.org,2005-11-09:/docs/examples/atom10.xml:3"
    assert item.link == "http://example.org/entry/3"  # resolved against xml:base
    assert item.authors == ("Mark Pilgrim",)
    assert item.published == datetime(2005, 11, 9, 0, 23, 47, tzinfo=UTC)
    assert item.updated == datetime(2005, 11, 9, 11, 56, 34, tzinfo=UTC)
    assert item.published.tzinfo is UTC


def test_rss10():
    feed = read("rss10.rdf")
    (item,) = feed.items
    assert feed.title == "Sample Feed"
    assert item.authors == ("Aaron Swartz",) and item.categories == ("Politics",)
    assert item.updated == datetime(2004, 5, 30, 20, 23, 54, tzinfo=UTC)
    assert item.summary.startswith("Americans are fat.")


def test_github_releases_atom():
    feed = read("github_releases.atom")
    assert feed.title == "Release notes from PowerToys"
    assert [item.title for item in feed.items] == ["Release 0.95.1", "Release v0.95.0"]
    assert feed.items[0].link == "https://github.com/microsoft/PowerToys/releases/tag/v0.95.1"
    assert feed.items[0].summary == "This patch release fixes several important stability issues."
    assert feed.items[0].published is None and feed.items[0].updated is not None


@pytest.mark.parametrize("headers", [None, {"Content-Type": "text/xml"}, {"content-type": "text/xml; charset=windows-1252"}])
def test_windows_1252(headers):
    feed = read("windows-1252.xml", headers)
    assert feed.ok, feed.error
    assert feed.title == "Café — notes"
    assert feed.items[0].title == "“Résumé” tips — €5"
    assert feed.items[0].summary == "Naïve café costs €5."


def test_windows_1252_declared_in_feedparsers_own_test_file():
    feed = read("x80_windows-1252.xml", None)
    assert feed.ok and feed.title == "€" and feed.items == ()


def test_hostile_titles_come_out_as_plain_safe_text():
    feed = read("hostile_titles.xml")
    assert feed.title == "Hostile feed"
    titles = {item.guid: item.title for item in feed.items}
    assert titles["osc52"] == "Clipboard grab"  # OSC 52 clipboard write removed whole
    assert titles["osc8"] == "Click me now"  # OSC 8 hidden link removed, text kept
    assert titles["csi"] == "Red ALERT and clear screen"
    # In a malformed document feedparser's loose parser reads C1 as windows-1252 (U+009B -> "›");
    # either way no C1 control survives (checked for every field below).
    assert titles["c1csi"].startswith("Eight-bit") and titles["c1ref"].startswith("Escaped")
    assert titles["bidi"] == "Invoice gpj.exe"  # the right-to-left override is gone
    assert titles["markup"] == "[/] [bold]x [@click=app.quit]quit[/]"  # markup stays literal text
    for item in feed.items:
        for text in (item.title, item.summary, *item.authors):
            assert not any(ord(char) < 32 and char not in "\n\t" or 0x7F <= ord(char) <= 0x9F for char in text), text
            assert "\u202e" not in text and "52;" not in text


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_8bit_csi_and_osc_in_a_wellformed_feed_do_not_survive(kind):
    title = "A \u009b2J b \u009d0;evil\u009c c &#x9b;31m d \u001b]52;c;eA==\u0007 e"
    if kind == "rss":
        body = f'<rss version="2.0"><channel><title>t</title><item><guid>c1</guid><title>{title}</title></item></channel></rss>'
    else:
        body = (f'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><entry><id>c1</id>'
                f"<title>{title}</title></entry></feed>")
    (item,) = parse_feed(('<?xml version="1.0" encoding="utf-8"?>' + body).encode(), None, BLOG).items
    assert item.title.startswith("A ") and item.title.endswith(" e")
    assert not any(0x80 <= ord(char) <= 0x9F or char == "\x1b" for char in item.title), repr(item.title)
    assert "52;" not in item.title and "evil" not in item.title


def test_only_http_links_are_kept():
    links = {item.guid: item.link for item in read("hostile_titles.xml").items}
    assert links["js"] is None and links["file"] is None
    assert links["osc52"] == "https://evil.example/osc52"


@pytest.mark.parametrize("name", ["billion_laughs.xml", "entity_in_doctype.xml"])
def test_entity_declarations_are_refused_before_parsing(name):
    feed = read(name)
    assert feed.items == ()
    assert feed.error.startswith("refused:") and "entit" in feed.error


def test_an_entity_bomb_in_utf16_is_refused_too():
    body = (DATA / "billion_laughs.xml").read_text().replace('<?xml version="1.0"?>', "").encode("utf-16")
    assert parse_feed(body, None, BLOG).error.startswith("refused:")


def test_an_external_dtd_without_a_subset_is_fine():
    body = (b'<?xml version="1.0"?>\n<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
            b'"http://my.netscape.com/publish/formats/rss-0.91.dtd">\n<rss version="0.91"><channel><title>t</title>'
            b"<item><title>a</title><link>https://example.org/a</link></item></channel></rss>")
    feed = parse_feed(body, None, BLOG)
    assert feed.ok and [item.title for item in feed.items] == ["a"]


@pytest.mark.parametrize("headers", [{"content-type": "text/html; charset=utf-8"}, None])
def test_an_html_page_is_not_a_feed(headers):
    feed = read("html_login_page.html", headers)
    assert feed.error == "not a feed: got an HTML page"


@pytest.mark.parametrize("body", [b"", b"   ", b"just some text", b'{"json": true}', b"<opml><body/></opml>"])
def test_other_things_are_not_feeds(body):
    feed = parse_feed(body, None, BLOG)
    assert feed.error and feed.error.startswith("not a feed") and feed.items == ()


def test_malformed_xml_keeps_what_was_salvaged():
    body = (b'<rss version="2.0"><channel><title>Broken</title>'
            b"<item><title>one &amp; only</title><link>https://example.org/1</link></item>"
            b"<item><title>two <b>bold</title><link>https://example.org/2</link></item>")  # never closed
    feed = parse_feed(body, None, BLOG)
    assert feed.ok and [item.title for item in feed.items][:1] == ["one & only"]
    assert feed.warnings and feed.warnings[0].startswith("malformed XML")


def test_a_huge_body_is_refused():
    assert refusal(b"<rss>" + b" " * (17 * 1024 * 1024)).startswith("feed too large")


def test_items_and_fields_are_capped():
    items = "".join(f"<item><title>{'x' * 5000}</title><guid>g{n}</guid><description>{'y ' * 5000}</description></item>"
                    for n in range(MAX_ITEMS + 5))
    feed = parse_feed(f'<rss version="2.0"><channel><title>big</title>{items}</channel></rss>'.encode(), None, BLOG)
    assert len(feed.items) == MAX_ITEMS
    assert any("kept the first" in warning for warning in feed.warnings)
    assert len(feed.items[0].title) <= 300 and len(feed.items[0].summary) <= 8000


def test_guid_falls_back_to_link_then_a_stable_hash():
    body = (b'<rss version="2.0"><channel><title>t</title>'
            b"<item><title>linked</title><link>https://example.org/x</link></item>"
            b"<item><title>bare</title><pubDate>Tue, 02 Jan 2024 10:00:00 GMT</pubDate></item></channel></rss>")
    first, second = parse_feed(body, None, BLOG).items
    assert first.guid == "https://example.org/x"
    assert second.guid.startswith("sha256:") and second.guid == parse_feed(body, None, BLOG).items[1].guid


def test_unparseable_dates_are_none():
    body = (b'<rss version="2.0"><channel><title>t</title><item><title>a</title><guid>a</guid>'
            b"<pubDate>the day after tomorrow</pubDate></item></channel></rss>")
    (item,) = parse_feed(body, None, BLOG).items
    assert item.published is None


def test_html_summaries_become_plain_text():
    text = to_text("<p>Hello &amp; <b>world</b></p><ul><li>one</li><li>two</li></ul>"
                   "<script>alert(1)</script><style>p{}</style>tail<br>end")
    assert text == "Hello & world\n\n- one\n- two\n\ntail\nend"


def test_math_is_left_as_written():
    assert to_text("We show $O(n \\log n)$ when $a<b$.") == "We show $O(n \\log n)$ when $a<b$."
    assert to_text('<p>see <math alttext="x^2"><mi>x</mi></math></p>') == "see x^2"
    assert to_text('<math><mi>y</mi><annotation encoding="application/x-tex">y_1</annotation></math>') == "y_1"
