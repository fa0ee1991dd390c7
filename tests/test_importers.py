"""Bookmark importers and exporters: every exporter's real format, its quirks, and broken files.

Fixtures in tests/data/imports are hand-built to each exporter's format (notes/feeds-reading.md §3).
chrome.html and pocket.csv keep their CRLF line endings on purpose.
"""

from __future__ import annotations

import base64
import io
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from waitbuddy.reading import importers
from waitbuddy.reading.export import CSV_COLUMNS, export_csv, export_json, export_netscape
from waitbuddy.reading.importers import parse_bytes, parse_file
from waitbuddy.reading.model import Bookmark, ImportFailed, Invalid, Item, Parsed

DATA = Path(__file__).parent / "data" / "imports"


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def rows(parsed: Parsed) -> list[tuple[int, str, str, tuple[str, ...], str | None, datetime | None]]:
    return [(b.line, b.url, b.title, b.tags, b.status, b.saved_at) for b in parsed.bookmarks]


def zipped(files: dict[str, str | bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def failure(data: bytes, name: str) -> str:
    with pytest.raises(ImportFailed) as caught:
        parse_bytes(data, name)
    message = str(caught.value)
    assert message.startswith(name) and "\n" not in message
    return message


# Browsers -------------------------------------------------------------------------------------------

def test_chrome_crlf_entities_big_icon_and_other_bookmarks_siblings():
    assert b"\r\n" in (DATA / "chrome.html").read_bytes()
    parsed = parse_file(DATA / "chrome.html")
    assert parsed.format == "netscape"
    assert rows(parsed) == [
        (11, "https://pytorch.org/docs/stable/index.html", "PyTorch documentation — PyTorch 2.4 documentation", (),
         None, at(1599750431)),
        (14, "https://arxiv.org/abs/1706.03762", "[1706.03762] Attention Is All You Need", ("ml-papers",), None,
         at(1600000100)),
        (17, 'https://example.com/search?q="flash+attention"&lang=en', "\"Flash\" attention & friends '24 <3",
         ("ml-papers", "long-context"), None, at(1600000300)),
        (21, "https://news.ycombinator.com/", "Hacker News", (), None, at(1650000000)),
        (24, "https://distill.pub/2020/attribution-baselines/",
         "Visualizing the Impact of Feature Attribution Baselines", ("reading",), None, at(1650000100)),
        (27, "https://arxiv.org/abs/1706.03762", "Attention Is All You Need", (), None, at(1650000300)),  # a duplicate
    ]
    assert parsed.invalid == [Invalid(25, "not an http(s) URL: javascript:(function(){alert(document.title)})()")]
    assert all("base64" not in b.title + b.description for b in parsed.bookmarks)


def test_firefox_tags_separator_description_smart_bookmarks_and_dates():
    parsed = parse_file(DATA / "firefox.html")
    assert rows(parsed) == [
        (15, "https://support.mozilla.org/en-US/products/firefox", "Get Help", ("mozilla-firefox",), None,
         at(1599750431)),
        (18, "https://jax.readthedocs.io/en/latest/", "JAX: High-Performance Array Computing", ("jax", "docs"), None,
         at(1600000000)),  # ADD_DATE in microseconds
        (20, "https://example.org/unclosed", "An anchor never closed", (), None, at(1610000000)),
        (23, "https://wandb.ai/home", "Weights & Biases", ("mlops",), None, at(1610000100)),  # toolbar by attribute
        (27, "https://paperswithcode.com/", "Papers with Code", ("daily", "papers"), None, at(1610000200)),
        (32, "https://example.net/ms", "Millisecond date", (), None, at(1610000300)),
        (33, "https://example.net/zero", "Zero date", (), None, None),
        (34, "https://example.net/future", "Year 2100", (), None, None),
        (35, "https://example.net/old", "1980", (), None, None),
    ]
    jax = parsed.bookmarks[1]
    assert jax.description.startswith("Composable transformations") and jax.description.endswith("GPU/TPU & more")
    assert [(i.line, i.reason.split(":")[0]) for i in parsed.invalid] == [
        (12, "not an http(s) URL"), (24, "not an http(s) URL"), (36, "date 'yesterday' is not a Unix time"),
        (37, "not an http(s) URL")]


def test_safari_reading_list_is_unread_and_not_a_tag():
    parsed = parse_file(DATA / "safari.html")
    assert rows(parsed) == [
        (8, "https://developer.apple.com/documentation/mlx", "MLX | Apple Developer Documentation", (), None, None),
        (17, "https://arxiv.org/abs/1412.6980", "Adam: A Method for Stochastic Optimization",
         ("research", "optimizers"), None, None),
        (22, "https://lilianweng.github.io/posts/2023-06-23-agent/", "LLM Powered Autonomous Agents", (), "unread",
         None),
        (23, "https://karpathy.github.io/2019/04/25/recipe/", "A Recipe for Training Neural Networks", (), "unread",
         None),  # a negative ADD_DATE is no date
    ]


def test_safari_export_zip_holds_bookmarks_html():
    data = zipped({"Safari Export/Bookmarks.html": (DATA / "safari.html").read_bytes(),
                   "Safari Export/History.json": "[]", "__MACOSX/Safari Export/._Bookmarks.html": b"\x00\x05"})
    parsed = parse_bytes(data, "Safari Export.zip")
    assert [b.url for b in parsed.bookmarks] == [b.url for b in parse_file(DATA / "safari.html").bookmarks]


def test_linkding_toread_archived_pseudo_tag_notes_and_its_odd_line_endings():
    parsed = parse_file(DATA / "linkding.html")
    assert rows(parsed) == [
        (6, "https://docs.python.org/3/library/html.parser.html", "html.parser — Simple HTML and XHTML parser",
         ("parsing", "python"), "unread", at(1700000000)),
        (9, "https://github.com/sissbruecker/linkding", "GitHub - sissbruecker/linkding", ("self-hosted",), "archived",
         at(1700001000)),
        # TOREAD="0": kept as a bookmark, not to read (done); a title that is the URL is no title
        (10, "https://example.com/plain", "", (), "done", at(1700002000)),
    ]
    first, _, plain = parsed.bookmarks
    assert first.description == "Python's lenient HTML parser"
    assert first.note == "Use convert_charrefs=True.\nFeed it once."
    assert (plain.description, plain.note) == ("Only a description", "")


def test_pinboard_toread_case_insensitive_attributes_and_duplicates_kept():
    parsed = parse_file(DATA / "pinboard.html")
    assert rows(parsed) == [
        (5, "https://www.deeplearningbook.org/", "Deep Learning", ("books", "deep-learning"), "unread", at(1598000000)),
        (7, "https://jalammar.github.io/illustrated-transformer/", "The Illustrated Transformer",
         ("transformers", "visualization"), "done", at(1598000100)),  # toread="0", lower case
        (8, "https://jalammar.github.io/illustrated-transformer/", "The Illustrated Transformer", (), "done",
         at(1598000200)),  # TOREAD="0", as Pinboard's JSON "toread": "no"
    ]
    assert parsed.bookmarks[0].description == "Goodfellow, Bengio & Courville"


def test_format_is_found_by_content_not_by_name(tmp_path):
    renamed = tmp_path / "bookmarks.txt"
    renamed.write_bytes((DATA / "pinboard.html").read_bytes())
    assert rows(parse_file(renamed)) == rows(parse_file(DATA / "pinboard.html"))
    assert parse_bytes((DATA / "pocket.csv").read_bytes(), "export.html").format == "pocket-csv"
    assert parse_bytes((DATA / "urls.txt").read_bytes(), "links.csv").format == "url-list"


# Pocket --------------------------------------------------------------------------------------------

def test_pocket_csv_by_header_with_bar_tags_quotes_and_crlf():
    assert b"\r\n" in (DATA / "pocket.csv").read_bytes()
    parsed = parse_file(DATA / "pocket.csv")
    assert parsed.format == "pocket-csv"
    assert rows(parsed) == [
        (2, "https://example.com/attention?a=1&b=2", "Attention, please: a primer",
         ("machine learning", "überblick", "ml"), "unread", at(1700000000)),
        (3, "https://example.com/untitled", "", (), "archived", at(1700000100)),
        (4, "https://example.com/quoted", 'Quote "inside" title', ("papers",), "archived", at(1700000200)),
        (6, "https://example.com/weird", "Weird status", (), None, at(1700000400)),
    ]
    assert parsed.invalid == [Invalid(5, "no URL"), Invalid(7, "date 'soon' is not a Unix time"),
                              Invalid(8, "not an http(s) URL: javascript:alert(1)")]


def test_pocket_2024_csv_with_cursor_column_is_read_by_name():
    assert rows(parse_file(DATA / "pocket_2024.csv")) == [
        (2, "https://arxiv.org/abs/2001.08361", "Scaling Laws for Neural Language Models", ("papers", "scaling"),
         "archived", at(1731000000)),
        (3, "https://arxiv.org/abs/2203.15556", "Chinchilla", (), "unread", at(1731000100)),
    ]


def test_pocket_zip_with_two_parts_reads_both_in_order():
    header = "title,url,time_added,tags,status\n"
    data = zipped({"part_000001.csv": header + "B,https://example.com/b,1700000100,,archive\n,,1,,unread\n",
                   "part_000000.csv": header + "A,https://example.com/a,1700000000,x|y,unread\n"})
    parsed = parse_bytes(data, "pocket.zip")
    assert parsed.format == "pocket-zip"
    assert rows(parsed) == [(2, "https://example.com/a", "A", ("x", "y"), "unread", at(1700000000)),
                            (2, "https://example.com/b", "B", (), "archived", at(1700000100))]
    assert parsed.invalid == [Invalid(3, "part_000001.csv: no URL")]


def test_pocket_legacy_html_sections_set_the_status():
    parsed = parse_file(DATA / "ril_export.html")
    assert parsed.format == "pocket-html"
    assert rows(parsed) == [
        (11, "https://example.com/unread-one", "Unread one", ("python", "web dev"), "unread", at(1500000000)),
        (12, "https://example.com/unread-two", "", (), "unread", at(1500000100)),
        (17, "https://example.com/read-one", "Read one", ("archive-me",), "archived", at(1400000000)),
    ]


def test_utf16_with_bom_and_utf8_with_bom_are_read():
    text = (DATA / "pocket_2024.csv").read_text(encoding="utf-8")
    expected = rows(parse_file(DATA / "pocket_2024.csv"))
    assert rows(parse_bytes(text.encode("utf-16"), "p.csv")) == expected
    assert rows(parse_bytes(text.encode("utf-8-sig"), "p.csv")) == expected


# Raindrop, Omnivore, URL lists, generic ---------------------------------------------------------------

def test_raindrop_folders_tags_iso_dates_and_multiline_highlights():
    parsed = parse_file(DATA / "raindrop.csv")
    assert rows(parsed) == [
        (2, "https://tokio.rs/tokio/tutorial", "Tokio tutorial", ("programming", "rust", "async"), None,
         datetime(2024, 1, 2, 3, 4, 5, 123000, tzinfo=UTC)),
        (5, "https://example.com/unsorted", "Unsorted thing", (), None, datetime(2024, 2, 3, 4, 5, 6, tzinfo=UTC)),
    ]
    tokio = parsed.bookmarks[0]
    assert tokio.note == "My note\n\nHighlight: spawn tasks\nNote: cheap\nHighlight: use channels"
    assert tokio.description.startswith("Tokio is an asynchronous runtime for Rust,")
    assert parsed.invalid == [Invalid(6, "date 'not-a-date' is not an ISO-8601 date"), Invalid(7, "no URL")]


def test_omnivore_json_states_labels_and_progress():
    parsed = parse_file(DATA / "omnivore.json")
    assert parsed.format == "omnivore"
    assert rows(parsed) == [
        (2, "http://www.incompleteideas.net/IncIdeas/BitterLesson.html", "The Bitter Lesson", ("essays", "ai"),
         "archived", datetime(2023, 3, 14, 12, 39, 28, 23000, tzinfo=UTC)),
        (17, "https://karpathy.github.io/2019/04/25/recipe/", "A Recipe for Training Neural Networks", (), "done",
         datetime(2024, 5, 1, 9, 10, 11, tzinfo=UTC)),
        (32, "https://importai.substack.com/p/import-ai-42", "Import AI 42", ("newsletter",), "unread",
         datetime(2024, 6, 1, tzinfo=UTC)),
    ]
    assert parsed.bookmarks[0].description == "Rich Sutton on general methods that leverage computation"
    assert parsed.invalid == [Invalid(42, "no URL")]


def test_omnivore_zip_reads_every_metadata_file_and_highlights():
    records = json.loads((DATA / "omnivore.json").read_text())
    data = zipped({
        "metadata_0_to_2.json": json.dumps(records[:2], indent=2),
        "metadata_2_to_4.json": json.dumps(records[2:], indent=2),
        "content/the-bitter-lesson-18c1.html": "<html>…</html>",
        "highlights/the-bitter-lesson-18c1.md": "> general methods that leverage computation\n",
    })
    parsed = parse_bytes(data, "omnivore-export.zip")
    assert parsed.format == "omnivore"
    assert [b.url for b in parsed.bookmarks] == [b.url for b in parse_file(DATA / "omnivore.json").bookmarks]
    assert parsed.bookmarks[0].note == "> general methods that leverage computation"
    assert parsed.invalid == [Invalid(14, "metadata_2_to_4.json: no URL")]


def test_plain_url_list_skips_comments_and_reports_junk_lines():
    parsed = parse_file(DATA / "urls.txt")
    assert [(b.line, b.url) for b in parsed.bookmarks] == [
        (2, "https://arxiv.org/abs/2106.09685"), (4, "https://huggingface.co/docs/peft/index"),
        (9, "https://arxiv.org/abs/2106.09685")]
    assert [i.line for i in parsed.invalid] == [6, 7, 8, 10]
    assert all(i.reason.startswith("not an http(s) URL: ") for i in parsed.invalid)


def test_generic_csv_with_a_url_column_and_any_case_header():
    data = (b"URL,Title,Tags,Created\r\nhttps://example.com/1,One,\"a, b\",2024-03-04T05:06:07Z\r\n"
            b"https://example.com/2,Two,x|y|x,1700000000000\r\n")
    parsed = parse_bytes(data, "links.csv")
    assert parsed.format == "csv"
    assert rows(parsed) == [
        (2, "https://example.com/1", "One", ("a", "b"), None, datetime(2024, 3, 4, 5, 6, 7, tzinfo=UTC)),
        (3, "https://example.com/2", "Two", ("x", "y"), None, at(1700000000))]


def test_a_huge_csv_field_is_not_an_error():
    note = "n" * 300_000
    parsed = parse_bytes(f'url,title,note\nhttps://example.com/,T,"{note}"\n'.encode(), "big.csv")
    assert parsed.bookmarks[0].note == note


# Broken files -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "problem"), [
    ("binary.html", "binary data"),
    ("broken.zip", "broken zip file"),
    ("not_a_zip.zip", "not a zip file"),
    ("empty.csv", "empty file"),
    ("latin1.csv", "not UTF-8 text (byte 0xe9 at offset 13)"),
    ("no_links.html", "an HTML page, not a bookmarks export"),
    ("no_url_column.csv", "CSV without a url column (columns: name, link, added)"),
    ("truncated.json", "broken or truncated JSON at line 24"),
    ("wrong_shape.json", "JSON is not a list of bookmarks"),
])
def test_malformed_files_fail_whole_naming_the_file_and_the_problem(name, problem):
    with pytest.raises(ImportFailed) as caught:
        parse_file(DATA / name)
    assert str(caught.value).startswith(f"{name}: ")
    assert problem in str(caught.value)


def test_a_netscape_file_cut_mid_tag_keeps_the_complete_entries():
    parsed = parse_file(DATA / "truncated.html")
    assert [(b.line, b.url, b.tags) for b in parsed.bookmarks] == [
        (8, "https://example.com/complete", ("cut",)), (9, "https://example.com/also-complete", ("cut",))]
    assert parsed.invalid == [Invalid(10, "file ends in the middle of this bookmark's <A> tag")]
    cut_in_title = (DATA / "truncated.html").read_text().rsplit("\n", 1)[0] + '\n<DT><A HREF="https://example.com/x">Ti'
    parsed = parse_bytes(cut_in_title.encode(), "cut.html")
    assert [b.url for b in parsed.bookmarks] == ["https://example.com/complete", "https://example.com/also-complete"]
    assert parsed.invalid == [Invalid(10, "file ends before this bookmark's </A>")]


@pytest.mark.parametrize(("data", "problem"), [
    (b"   \n\t\n", "empty file"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "a PDF document"),
    (b"\x1f\x8b\x08\x00", "gzip data"),
    (b"[" * 100_000, "JSON nested too deeply"),
    (b'["https://example.com/"]', "JSON is not a list of bookmark objects"),
    (b'[{"href": "https://example.com/"}]', "JSON objects have no url field"),
    (b'[{"url": "https://example.com/"}] trailing', "unexpected data after the end of the JSON array"),
    (b"[]", "no bookmarks found"),
    (b"<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<DL><p>\n</DL><p>\n", "no bookmarks found"),
    (b"title,url,time_added,tags,status\r\n", "no bookmarks found"),
    (b"just some words\nand more words\n", "unknown format"),
    (b'<?xml version="1.0"?><opml version="2.0"><body/></opml>', "OPML"),
    (b"PK\x05\x06" + bytes(18), "empty zip file"),
])
def test_other_broken_inputs(data, problem):
    assert problem in failure(data, "input.dat")


def test_zip_limits_and_nesting(monkeypatch):
    assert "zip inside a zip" in failure(zipped({"inner.zip": zipped({"a.txt": "https://example.com/"})}), "outer.zip")
    assert "without a known export" in failure(zipped({"a.txt": "x", "b.txt": "y"}), "two.zip")
    single = parse_bytes(zipped({"links.txt": "https://example.com/\n"}), "one.zip")
    assert [b.url for b in single.bookmarks] == ["https://example.com/"]
    monkeypatch.setattr(importers, "MAX_BYTES", 1000)  # a zip bomb, scaled down: checked before unpacking
    bomb = zipped({"part_000000.csv": "title,url,time_added,tags,status\n" + "x" * 5000})
    assert len(bomb) < 1000
    assert "the limit is" in failure(bomb, "bomb.zip")
    assert "the limit is" in failure(b"https://example.com/\n" * 100, "big.txt")


def test_parse_file_errors_name_the_file(tmp_path):
    with pytest.raises(ImportFailed, match=r"^missing\.html: can't read it"):
        parse_file(tmp_path / "missing.html")


def test_hostile_text_does_not_crash_and_reasons_are_terminal_safe():
    data = (b'<!DOCTYPE NETSCAPE-Bookmark-file-1><DL><p><DT><A HREF="javascript:\x1b]52;c;AAAA\x07">'
            b'\x1b[31mred\x1b[0m [/] [@click=app.quit]</A><DT><A HREF="https://e.com/">\x1b]0;x\x07t</A>')
    parsed = parse_bytes(data, "\x1b[2Jevil.html")
    assert parsed.bookmarks[0].url == "https://e.com/"  # text stays raw: the backlog cleans it on the way in
    assert "\x1b" not in parsed.invalid[0].reason and "\x07" not in parsed.invalid[0].reason
    with pytest.raises(ImportFailed) as caught:
        parse_bytes(b"\x00\x01", "\x1b[2Jevil.bin")
    assert str(caught.value) == "evil.bin: binary data, not a bookmarks export"


def test_pathological_markup_is_skipped_not_parsed_quadratically():
    for junk in ("<!--", "</", "<![CDATA[", "<?"):
        head = '<!DOCTYPE NETSCAPE-Bookmark-file-1><DL><p><DT><A HREF="https://e.com/">t</A>\n'
        data = (head + junk * 20_000).encode()
        parsed = parse_bytes(data, "junk.html")
        assert [b.url for b in parsed.bookmarks] == ["https://e.com/"]
        assert parsed.invalid[0].line == 2 and "were skipped" in parsed.invalid[0].reason


def test_ten_thousand_bookmarks_with_icons():
    icon = "data:image/png;base64," + base64.b64encode(bytes(range(256)) * 6).decode()
    lines = ["<!DOCTYPE NETSCAPE-Bookmark-file-1>", "<DL><p>"]
    for folder in range(100):
        lines += [f"<DT><H3>Folder {folder}</H3>", "<DL><p>"]
        lines += [f'<DT><A HREF="https://example.com/{folder}/{n}" ADD_DATE="{1600000000 + n}" ICON="{icon}">T {n}</A>'
                  for n in range(100)]
        lines.append("</DL><p>")
    parsed = parse_bytes("\r\n".join(lines + ["</DL><p>"]).encode(), "big.html")
    assert len(parsed.bookmarks) == 10_000 and not parsed.invalid
    last = parsed.bookmarks[-1]
    assert (last.url, last.tags, last.saved_at, last.line) == (
        "https://example.com/99/99", ("folder-99",), at(1600000099), len(lines) - 1)


# Export round trips -------------------------------------------------------------------------------

ITEMS = [
    Item(1, 'https://example.com/a?x=1&y="2"', 'Quotes "and" <tags> & apostrophes \'', "article", "import",
         datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC), status="unread", tags=("ml", "über uns"),
         note="first line\nsecond & <last>", description="An abstract", minutes=7),
    Item(2, "https://arxiv.org/abs/1706.03762", "Attention Is All You Need", "paper", "arxiv",
         datetime(2017, 6, 12, tzinfo=UTC), status="reading", priority=2, tags=("papers",)),
    Item(3, "https://example.com/done", "Done — ✓", "video", "manual", datetime(2023, 5, 6, 7, 8, 9, tzinfo=UTC),
         status="done"),
    Item(4, "https://example.com/archived", "", "repo", "pocket", datetime(2020, 1, 1, tzinfo=UTC), status="archived",
         tags=("old",)),
]


def key(bookmark: Bookmark) -> tuple[str, str, tuple[str, ...], str | None, datetime | None]:
    return bookmark.url, bookmark.title, bookmark.tags, bookmark.status, bookmark.saved_at


@pytest.mark.parametrize("export", [export_netscape, export_csv, export_json])
def test_exports_round_trip(export):
    parsed = parse_bytes(export(ITEMS).encode(), "export")
    assert [key(b) for b in parsed.bookmarks] == [(i.url, i.title, i.tags, i.status, i.saved_at) for i in ITEMS]
    assert parsed.bookmarks[0].note == ITEMS[0].note and not parsed.invalid


def test_netscape_export_is_what_browsers_read():
    text = export_netscape(ITEMS)
    assert text.startswith("<!DOCTYPE NETSCAPE-Bookmark-file-1>")
    assert 'CONTENT="text/html; charset=UTF-8"' in text and "<DL><p>" in text
    assert 'HREF="https://example.com/a?x=1&amp;y=&quot;2&quot;" ADD_DATE="1704164645"' in text
    assert 'TAGS="ml,über uns" TOREAD="1"' in text and text.count('TOREAD="1"') == 2
    assert "&lt;tags&gt;" in text and "<DD>An abstract[linkding-notes]first line" in text
    assert parse_bytes(text.encode(), "e.html").bookmarks[0].description == "An abstract"


def test_csv_and_json_exports_keep_the_rest():
    text = export_csv(ITEMS)
    assert text.splitlines()[0] == ",".join(CSV_COLUMNS)
    assert parse_bytes(text.encode(), "e.csv").format == "waitbuddy-csv"
    comma_tag = [Item(9, "https://e.com/", "T", "article", "x", datetime(2024, 1, 1, microsecond=5, tzinfo=UTC),
                      tags=("a,b", "c"))]
    assert [key(b) for b in parse_bytes(export_csv(comma_tag).encode(), "e.csv").bookmarks] == [
        ("https://e.com/", "T", ("a,b", "c"), "unread", datetime(2024, 1, 1, microsecond=5, tzinfo=UTC))]
    records = json.loads(export_json(ITEMS))
    assert records[1] == {"url": "https://arxiv.org/abs/1706.03762", "title": "Attention Is All You Need",
                          "kind": "paper", "status": "reading", "priority": 2, "tags": ["papers"], "note": "",
                          "saved_at": "2017-06-12T00:00:00Z", "minutes": None, "source": "arxiv"}


# Special files and programs (issue 9, #19) --------------------------------------------------------

def parse_within(seconds: float, path: Path | str) -> str:
    """The ImportFailed message for ``path``, read on a thread: a FIFO must not hang the suite."""
    import threading

    outcome: list[str] = []

    def run() -> None:
        try:
            parse_file(path)
            outcome.append("parsed")
        except ImportFailed as error:
            outcome.append(str(error))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"importing {path} blocked"
    return outcome[0]


def test_a_fifo_is_refused_without_being_opened(tmp_path, monkeypatch):
    import os

    fifo = tmp_path / "bookmarks.html"
    os.mkfifo(fifo)
    opened: list[str] = []
    real_open = os.open
    monkeypatch.setattr(os, "open", lambda path, *args: opened.append(os.fspath(path)) or real_open(path, *args))
    assert parse_within(2.0, fifo) == "bookmarks.html: not a regular file (a FIFO), not a bookmarks export"
    assert opened == []


def test_devices_and_directories_are_refused(tmp_path):
    assert parse_within(2.0, "/dev/null") == "null: not a regular file (a character device), not a bookmarks export"
    assert parse_within(2.0, tmp_path) == f"{tmp_path.name}: is a directory, not a bookmarks export"


def test_a_program_is_named_as_one_not_as_utf16():
    import sys

    program = Path(sys.executable).resolve()  # the interpreter running the tests: a real binary
    message = parse_within(5.0, program)
    assert message.startswith(f"{program.name}: a program (")
    assert message.endswith("executable), not a bookmarks export") and "UTF-16" not in message


def test_nul_heavy_binary_is_binary_and_utf16_without_bom_is_still_utf16():
    import struct

    table = b"".join(struct.pack("<IIHH", n, n * 7, n % 3, 0) for n in range(200))  # NULs in both lanes
    assert failure(table, "data.bin") == "data.bin: binary data, not a bookmarks export"
    text = '<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<DL><p><DT><A HREF="https://e.com/">t</A>\n'
    for codec in ("utf-16-le", "utf-16-be"):
        assert "UTF-16 text without a byte-order mark" in failure(text.encode(codec), "u16.html")
    assert [b.url for b in parse_bytes(text.encode("utf-16"), "bom.html").bookmarks] == ["https://e.com/"]
