"""JSON bookmark files people have today (issue 17): a Chrome/Edge/Brave profile's ``Bookmarks``, Firefox's
backup (``.json`` and the compressed ``.jsonlz4``), Pinboard's export, wallabag's export, Shaarli's API.

Fixtures in tests/data/imports/json are hand-built to each writer's documented structure (see the
README there). Each format is recognised by content, never by the file's name.
"""

from __future__ import annotations

import struct
from datetime import UTC, datetime
from pathlib import Path

import pytest

from waitbuddy.reading import backlog
from waitbuddy.reading.importers import MAX_BYTES, parse_bytes, parse_file, stream_file
from waitbuddy.reading.importers.chromium import webkit_date
from waitbuddy.reading.model import ImportFailed, Invalid, Parsed
from waitbuddy.store import Store

DATA = Path(__file__).parent / "data" / "imports" / "json"
CHROME = DATA / "Bookmarks"
FIREFOX = DATA / "bookmarks-2024-05-06_12_b3JmR0x9gVbW5sD1qZ0fXw==.json"
FIREFOX_LZ4 = FIREFOX.with_suffix(".jsonlz4")
PINBOARD = DATA / "pinboard_export.json"
WALLABAG = DATA / "wallabag_export.json"
SHAARLI = DATA / "shaarli_api.json"


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def rows(parsed: Parsed) -> list[tuple]:
    return [(b.line, b.url, b.title, b.tags, b.status, b.saved_at) for b in parsed.bookmarks]


@pytest.fixture
def store(tmp_path: Path):
    with Store.open(tmp_path / "waitbuddy.db") as opened:
        yield opened


# Chrome / Chromium / Edge / Brave ---------------------------------------------------------------

def test_chrome_profile_bookmarks_file_folders_dates_and_roots():
    parsed = parse_file(CHROME)
    assert parsed.format == "chromium"
    assert rows(parsed) == [
        (9, "https://pytorch.org/docs/stable/index.html", "PyTorch documentation", (), None, at(1599750431)),
        (20, "https://arxiv.org/abs/1706.03762", "[1706.03762] Attention Is All You Need", ("ml-papers",), None,
         at(1600000100)),
        (31, "https://arxiv.org/abs/1412.6980", "Adam: A Method for Stochastic Optimization",
         ("ml-papers", "optimizers"), None, at(1600000200)),  # nested folders: the whole path
        (69, "https://lilianweng.github.io/posts/2023-06-23-agent/", "LLM Powered Autonomous Agents", (), "unread",
         at(1690000000)),  # a "Reading list" folder: unread, no tag, as in the Netscape reader
        (98, "https://wandb.ai/home", "Weights & Biases", (), None, at(1610000100)),  # "other": a root, no tag
        (116, "https://example.org/ms", "Unix milliseconds", (), None, at(1610000300)),
        (136, "https://example.org/no-date", "No date", (), None, None),  # "0": no date
    ]
    assert parsed.invalid == [
        Invalid(58, "not an http(s) URL: javascript:(function(){document.body.style.filter='invert(1)'})()"),
        Invalid(107, "date 'yesterday' is not a Chromium time")]


def test_webkit_dates_and_unix_dates_in_seconds_ms_and_microseconds():
    assert webkit_date("13349847326000000") == at(13349847326 - 11644473600)
    assert webkit_date(13349847326000000) == webkit_date("13349847326000000")
    for value in ("1610000300", "1610000300000", "1610000300000000", 1610000300):
        assert webkit_date(value) == at(1610000300)
    assert webkit_date("0") is None and webkit_date("") is None and webkit_date(None) is None
    assert webkit_date(str((2200 * 365 * 86400) * 10**6)) is None  # far future: no date


def test_chrome_file_is_found_by_content_under_any_name(tmp_path: Path):
    for name in ("Bookmarks", "Bookmarks.bak", "export.txt", "edge.html"):
        path = tmp_path / name
        path.write_bytes(CHROME.read_bytes())
        assert parse_file(path).format == "chromium"
    assert parse_bytes(CHROME.read_bytes(), "x").format == "chromium"


def test_a_bookmarks_file_written_by_a_tool_without_version_or_checksum(tmp_path: Path):
    """Setup scripts and tests in public repositories write a profile's Bookmarks with only its
    "roots" (seen in several): still a Chrome file, not "JSON is not a list of bookmarks"."""
    path = tmp_path / "Bookmarks"
    path.write_text('{"roots": {"bookmark_bar": {"type": "folder", "name": "Bookmarks Bar", "children": ['
                    '{"type": "folder", "name": "AI资讯", "children": [{"type": "url", "name": "Paper", '
                    '"url": "https://arxiv.org/abs/2401.00001"}]}]}}}', encoding="utf-8")
    parsed = parse_file(path)
    assert parsed.format == "chromium"
    assert [(b.url, b.tags) for b in parsed.bookmarks] == [("https://arxiv.org/abs/2401.00001", ("ai资讯",))]


# Firefox ----------------------------------------------------------------------------------------

FIREFOX_ROWS = [
    ("https://support.mozilla.org/en-US/products/firefox", "Get Help", (), at(1599750431)),
    ("https://jax.readthedocs.io/en/latest/", "JAX: High-Performance Array Computing",
     ("mozilla-firefox", "ml-docs", "jax", "docs"), at(1600000000)),  # folders, then its own tags
    ("https://wandb.ai/home", "Weights & Biases", ("mlops",), at(1610000100)),  # once: tagsFolder is an index
    ("https://example.net/ms", "Old millisecond date", (), at(1610000300)),
    ("https://paperswithcode.com/", "Papers with Code", (), at(1610000200)),
    ("https://example.net/seconds", "Seconds date", (), at(1610000500)),
]


@pytest.mark.parametrize("path", [FIREFOX, FIREFOX_LZ4], ids=["json", "jsonlz4"])
def test_firefox_backup_json_and_jsonlz4(path: Path):
    if path.suffix == ".jsonlz4":
        assert path.read_bytes().startswith(b"mozLz40\0")
    parsed = parse_file(path)
    assert parsed.format == "firefox-json"
    assert [(b.url, b.title, b.tags, b.saved_at) for b in parsed.bookmarks] == FIREFOX_ROWS
    assert {b.status for b in parsed.bookmarks} == {None}
    assert parsed.bookmarks[1].description == "Composable transformations of Python+NumPy programs"
    # place: queries and separators are not bookmarks; a bookmarklet and a bad date are reported
    assert parsed.invalid == [Invalid(1, "'Bookmarklet': not an http(s) URL: javascript:alert(1)"),
                              Invalid(1, "'Broken date': date 'yesterday' is not a Unix time")]


def test_jsonlz4_in_memory_and_its_limits():
    data = FIREFOX_LZ4.read_bytes()
    assert [b.url for b in parse_bytes(data, "b.jsonlz4").bookmarks] == [row[0] for row in FIREFOX_ROWS]
    huge = b"mozLz40\0" + struct.pack("<I", MAX_BYTES + 1) + data[12:]
    with pytest.raises(ImportFailed, match=r"^h.jsonlz4: unpacks to 200 MB; the limit is 200 MB$"):
        parse_bytes(huge, "h.jsonlz4")
    with pytest.raises(ImportFailed, match=r"^t.jsonlz4: a truncated Firefox .jsonlz4 file"):
        parse_bytes(b"mozLz40\0\x01", "t.jsonlz4")


def test_without_lz4_a_jsonlz4_gets_a_hint_not_a_traceback(monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "lz4.block", None)
    monkeypatch.setitem(sys.modules, "lz4", None)
    with pytest.raises(ImportFailed) as caught:
        parse_file(FIREFOX_LZ4)
    assert "lz4 package is not installed" in str(caught.value)
    assert "Import and Backup → Backup…" in str(caught.value)


# Pinboard, wallabag, Shaarli --------------------------------------------------------------------

def test_pinboard_json_toread_notes_space_separated_tags_and_iso_dates():
    parsed = parse_file(PINBOARD)
    assert parsed.format == "pinboard-json"
    assert rows(parsed) == [
        (1, "https://www.deeplearningbook.org/", "Deep Learning", ("books", "deep-learning", ".private"), "unread",
         datetime(2020, 8, 21, 9, 6, 40, tzinfo=UTC)),
        (2, "https://jalammar.github.io/illustrated-transformer/", "The Illustrated Transformer",
         ("transformers", "visualization"), "done", datetime(2020, 8, 21, 9, 8, 20, tzinfo=UTC)),
        (4, "https://example.org/no-tags", "", (), "done", datetime(2021, 3, 4, 5, 6, 7, tzinfo=UTC)),
    ]
    assert parsed.bookmarks[0].note == "Goodfellow, Bengio & Courville: read ch. 8 first"
    assert parsed.invalid == [Invalid(3, "not an http(s) URL: ftp://files.example.org/paper.pdf")]


def test_wallabag_export_archived_is_archived_and_offsets_are_read():
    parsed = parse_file(WALLABAG)
    assert parsed.format == "wallabag-json"
    assert rows(parsed) == [
        (2, "https://docs.python.org/3/library/html.parser.html", "html.parser — Simple HTML and XHTML parser",
         ("python", "parsing"), "archived", datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)),  # +0100
        (24, "https://github.com/wallabag/wallabag", "GitHub - wallabag/wallabag", (), "unread",
         datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
    ]
    assert [bookmark.priority for bookmark in parsed.bookmarks] == [1, 0]  # is_starred


def test_shaarli_notes_are_reported_as_skipped_never_dropped_unseen():
    parsed = parse_file(SHAARLI)
    assert parsed.format == "shaarli-json"
    assert rows(parsed) == [(1, "https://shaarli.readthedocs.io/en/master/", "Shaarli documentation",
                             ("shaarli", "self-hosted"), None, datetime(2015, 5, 5, 14, 40, 14, tzinfo=UTC))]
    assert parsed.bookmarks[0].description.startswith("The personal, minimalist")
    assert parsed.invalid == [
        Invalid(1, "a Shaarli note, not a link (?lY47tw: Note: things to read this week): skipped"),
        Invalid(1, "a Shaarli note, not a link (/shaare/WDWyig): skipped")]


# Broken files: refused whole, naming the file, nothing written ----------------------------------

def _cut(path: Path) -> bytes:
    data = path.read_bytes()
    return data[:len(data) * 2 // 3]


MALFORMED = [
    ("Bookmarks", _cut(CHROME), "broken or truncated JSON at line 9"),
    ("Bookmarks", b'{"checksum": "x", "roots": [], "version": 1}',
     'a Chrome bookmarks file without bookmark folders'),
    ("Bookmarks", b'{"checksum": "x", "roots": {"bookmark_bar": {"type": "folder", "children": []}}, "version": 1}',
     "no bookmarks found in it"),
    ("backup.json", _cut(FIREFOX), "broken or truncated JSON at line 1"),
    ("backup.json", b'{"type": "text/x-moz-place-container", "root": "placesRoot"}',
     'a Firefox bookmarks backup without bookmarks'),
    ("backup.jsonlz4", (DATA / "broken.jsonlz4").read_bytes(), "a broken Firefox .jsonlz4 file"),
    ("pinboard.json", _cut(PINBOARD), "broken or truncated JSON at line 3"),
    ("wallabag.json", _cut(WALLABAG), "broken or truncated JSON at line"),
    ("shaarli.json", _cut(SHAARLI), "broken or truncated JSON at line 1"),
    ("other.json", b'{"bookmarks": [{"url": "https://example.com/"}]}',
     "JSON is not a list of bookmarks, nor a Chrome or Firefox bookmarks file (an object with keys: bookmarks)"),
]


@pytest.mark.parametrize(("name", "data", "problem"), MALFORMED,
                         ids=[f"{n}-{i}" for i, (n, _d, _p) in enumerate(MALFORMED)])
def test_a_malformed_file_of_each_kind_is_refused_and_nothing_is_written(store, tmp_path, name, data, problem):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(ImportFailed) as caught:
        backlog.import_bookmarks(store, stream_file(path), source=name)
    message = str(caught.value)
    assert message.startswith(f"{name}: ") and "\n" not in message
    assert problem in message
    assert backlog.load_items(store) == []


# Through the real store -------------------------------------------------------------------------

def test_chrome_import_into_the_store_then_again_changes_nothing_and_keeps_the_persons_edits(store):
    first = backlog.import_bookmarks(store, stream_file(CHROME), source="Bookmarks")
    assert (first.format, first.added, first.updated) == ("chromium", 7, 0)
    assert [i.reason for i in first.invalid] == [
        "not an http(s) URL: javascript:(function(){document.body.style.filter='invert(1)'})()",
        "date 'yesterday' is not a Chromium time"]
    items = {item.url: item for item in backlog.load_items(store)}
    adam = items["https://arxiv.org/abs/1412.6980"]
    assert (adam.tags, adam.saved_at, adam.status) == (("ml-papers", "optimizers"), at(1600000200), "unread")
    backlog.update(store, [adam.id], "read it", status="done")
    backlog.adjust_priority(store, [adam.id], 2)
    before = backlog.load_items(store)
    again = backlog.import_bookmarks(store, stream_file(CHROME), source="Bookmarks")
    assert (again.added, again.updated, again.skipped) == (0, 0, 7)
    assert backlog.load_items(store) == before
    kept = next(item for item in before if item.id == adam.id)
    assert (kept.status, kept.priority) == ("done", 2)


@pytest.mark.parametrize("path", [FIREFOX_LZ4, PINBOARD, WALLABAG, SHAARLI], ids=lambda p: p.name)
def test_each_format_imports_into_the_store_once(store, path):
    first = backlog.import_bookmarks(store, stream_file(path), source=path.name)
    assert first.added == len(parse_file(path).bookmarks)
    again = backlog.import_bookmarks(store, stream_file(path), source=path.name)
    assert (again.added, again.updated) == (0, 0)
    statuses = {item.url: item.status for item in backlog.load_items(store)}
    if path == PINBOARD:
        assert statuses["https://www.deeplearningbook.org/"] == "unread"
        assert statuses["https://jalammar.github.io/illustrated-transformer/"] == "done"
    if path == WALLABAG:
        assert statuses["https://docs.python.org/3/library/html.parser.html"] == "archived"
