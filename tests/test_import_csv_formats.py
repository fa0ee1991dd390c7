"""Instapaper and Raindrop CSV as they are written today, Shaarli notes and Safari's Reading List (issue 17).

Fixtures are in tests/data/imports/csv and tests/data/imports/html; their sources are in
tests/data/imports/csv/README.md. Everything goes through the real parse path, and the store
tests through the real import into SQLite.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from waitbuddy.cli import main
from waitbuddy.reading import backlog
from waitbuddy.reading.importers import parse_bytes, parse_file, stream_file
from waitbuddy.reading.model import ImportFailed, Invalid, Parsed
from waitbuddy.store import Store

DATA = Path(__file__).parent / "data" / "imports"
CSV = DATA / "csv"
HTML = DATA / "html"
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def rows(parsed: Parsed) -> list[tuple]:
    return [(b.line, b.url, b.tags, b.status, b.saved_at) for b in parsed.bookmarks]


# Instapaper ---------------------------------------------------------------------------------------

def test_instapaper_today_dates_folders_states_tags_and_selection():
    parsed = parse_file(CSV / "instapaper.csv")
    assert parsed.format == "instapaper-csv"
    assert rows(parsed) == [
        (2, "https://www.deeplearningbook.org/contents/optimization.html", (), "unread", at(1700000000)),
        (3, "https://karpathy.github.io/2019/04/25/recipe/", ("ml", "training"), "archived", at(1556150400)),
        # Starred is a state: no tag, no status of its own, a raised priority (below)
        (4, "https://www.newyorker.com/magazine/2017/09/04/fernando-pessoas-disappearing-act", (), None,
         at(1679174385)),
        (5, "https://go.dev/blog/pipelines", ("programming", "go"), None, at(1600000000)),
        (6, "https://www.linkedin.com/pulse/x/", ("articles-to-read", "product management"), None, at(1682027176)),
        (11, "https://example.com/no-date", (), "unread", None),
    ]
    assert [bookmark.priority for bookmark in parsed.bookmarks] == [0, 0, 1, 0, 0, 0]
    recipe, go = parsed.bookmarks[1], parsed.bookmarks[3]
    assert recipe.title == "A Recipe for Training Neural Networks"
    assert recipe.note.startswith("The first step to training a neural net is to not touch")
    assert go.title == "Go Concurrency Patterns: Pipelines and cancellation" and go.note == ""
    assert parsed.bookmarks[4].note == "two lines\nof a selection"
    assert parsed.invalid == [
        Invalid(8, "Instapaper private content (e-mailed or uploaded), not a link: "
                   "instapaper-private://email/8f2a1c/newsletter"),
        Invalid(9, "date 'yesterday' is not a Unix time"),
        Invalid(10, "no URL"),
    ]


def test_instapaper_before_timestamps_and_tags():
    parsed = parse_file(CSV / "instapaper_2019.csv")
    assert parsed.format == "instapaper-csv"
    assert rows(parsed) == [
        (2, "https://distill.pub/2017/momentum/", (), "unread", None),
        (3, "https://jalammar.github.io/illustrated-transformer/", (), "archived", None),
        (4, "https://lilianweng.github.io/posts/2023-06-23-agent/", ("ml-reading",), None, None),
    ]


def test_instapaper_is_told_by_its_header_not_its_name_and_in_any_column_order():
    data = (b"Folder,Timestamp,URL,Selection,Title\r\n"
            b"archive,1700000000,https://example.com/a,,A\r\n"
            b"AI/ML,1700000001,https://example.com/b,,B\r\n")
    parsed = parse_bytes(data, "export.txt")
    assert parsed.format == "instapaper-csv"
    assert rows(parsed) == [(1 + 1, "https://example.com/a", (), "archived", at(1700000000)),
                            (3, "https://example.com/b", ("ai-ml",), None, at(1700000001))]


def test_instapaper_tags_field_as_plain_text_or_broken_json():
    header = b"URL,Title,Selection,Folder,Timestamp,Tags\n"
    parsed = parse_bytes(header + b'https://example.com/a,A,,Unread,1700000000,"x, y"\n'
                                  b'https://example.com/b,B,,Unread,1700000000,"[""half"\n'
                                  b'https://example.com/c,C,,Unread,1700000000,"[1, ""ok"", null]"\n', "i.csv")
    assert [b.tags for b in parsed.bookmarks] == [("x", "y"), ('"half',), ("ok",)]


def test_instapaper_broken_row_is_reported_and_the_rest_imports():
    parsed = parse_file(CSV / "instapaper_broken_row.csv")
    assert [b.url for b in parsed.bookmarks] == ["https://example.com/one", "https://example.com/three"]
    assert parsed.invalid == [Invalid(3, "unbalanced quote: this field runs to line 4; only this row is skipped")]


@pytest.mark.parametrize(("data", "reason"), [
    (b"URL,Title,Selection,Folder,Timestamp,Tags\n", "no bookmarks found in it"),
    (b"URL,Title,Selection,Folder,Timestamp,Tags\n\n\n", "no bookmarks found in it"),
    (b"   \n", "empty file"),
    (b'URL,Title,Selection,Folder\n"https://example.com/a' + b"x" * (5 * 1024 * 1024), None),
])
def test_an_unusable_instapaper_file_is_refused_naming_the_file(data, reason):
    if reason is None:  # one row longer than any real one: the row is reported, so the file holds no bookmark
        parsed = parse_bytes(data, "instapaper-export.csv")
        assert parsed.bookmarks == [] and "long" in parsed.invalid[0].reason
        return
    with pytest.raises(ImportFailed) as error:
        parse_bytes(data, "instapaper-export.csv")
    assert str(error.value) == f"instapaper-export.csv: {reason}"


def test_header_only_instapaper_file_writes_nothing(store: Store):
    with pytest.raises(ImportFailed, match=r"^instapaper_header_only\.csv: no bookmarks found in it$"):
        backlog.import_bookmarks(store, stream_file(CSV / "instapaper_header_only.csv"), source="instapaper")
    assert backlog.load_items(store) == []


def test_instapaper_into_the_store_is_idempotent_and_keeps_what_the_person_changed(store: Store):
    report = backlog.import_bookmarks(store, stream_file(CSV / "instapaper.csv"), source="instapaper", now=NOW)
    assert (report.format, report.added, report.updated, report.skipped) == ("instapaper-csv", 6, 0, 0)
    assert [entry.line for entry in report.invalid] == [8, 9, 10]
    items = {item.url: item for item in backlog.load_items(store)}
    recipe = items["https://karpathy.github.io/2019/04/25/recipe/"]
    assert recipe.status == "archived" and recipe.saved_at == at(1556150400) and recipe.tags == ("ml", "training")
    assert recipe.note.startswith("The first step") and recipe.source == "instapaper"
    go = items["https://go.dev/blog/pipelines"]
    assert go.status == "unread" and go.tags == ("programming", "go") and go.saved_at == at(1600000000)
    assert items["https://example.com/no-date"].saved_at == NOW  # no Timestamp: the import date

    unread = items["https://www.deeplearningbook.org/contents/optimization.html"]
    backlog.update(store, [unread.id, recipe.id], "person", status="done")
    backlog.update(store, [go.id], "person", priority=2, status="reading")

    again = backlog.import_bookmarks(store, stream_file(CSV / "instapaper.csv"), source="instapaper",
                                     now=NOW + timedelta(days=1))
    assert (again.added, again.updated, again.skipped) == (0, 0, 6)
    after = {item.url: item for item in backlog.load_items(store)}
    assert len(after) == 6
    assert after[unread.url].status == "done" and after[recipe.url].status == "done"
    assert after[go.url].status == "reading" and after[go.url].priority == 2
    assert after[recipe.url].saved_at == at(1556150400)


def test_instapaper_csv_through_the_cli(tmp_path: Path, monkeypatch, capsys):
    monkeypatch.setenv("WAITBUDDY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("WAITBUDDY_CONFIG", str(tmp_path / "none.toml"))
    assert main(["import", str(CSV / "instapaper.csv")]) == 0
    out = capsys.readouterr().out
    assert "(instapaper-csv): 6 added, 0 updated, 0 skipped, 3 invalid" in out
    assert "line 8: Instapaper private content" in out


# Raindrop -----------------------------------------------------------------------------------------

def test_raindrop_as_written_today_nested_collections_tags_note_excerpt_highlights():
    parsed = parse_file(CSV / "raindrop_2025.csv")
    assert parsed.format == "raindrop-csv"
    assert [(b.line, b.url, b.tags, b.status, b.saved_at) for b in parsed.bookmarks] == [
        (2, "https://arxiv.org/abs/1706.03762", ("research", "papers", "transformers", "ml", "attention"), None,
         datetime(2025, 3, 4, 5, 6, 7, 890000, tzinfo=UTC)),
        # "Apps/Services" is one collection: Raindrop puts spaces around the / between collections
        (4, "https://tailscale.com/kb/1017/install", ("apps-services", "networking"), None,
         datetime(2025, 3, 5, tzinfo=UTC)),
        (5, "https://example.com/inbox", (), None, datetime(2025, 3, 6, tzinfo=UTC)),  # Unsorted is no topic
    ]
    paper = parsed.bookmarks[0]
    assert paper.title == "Attention Is All You Need"
    assert paper.note == ("read §3 first, then the appendix\n\nHighlight: Multi-head attention allows the model to "
                          "jointly attend\nNote: compare with MQA")
    assert paper.description == "We propose a new simple network architecture"
    assert [bookmark.priority for bookmark in parsed.bookmarks] == [1, 0, 0]  # favorite
    assert parsed.invalid == []


def test_raindrop_without_its_id_column_is_still_raindrop():
    parsed = parse_file(CSV / "raindrop_no_id.csv")
    assert parsed.format == "raindrop-csv"
    (rust,) = parsed.bookmarks
    assert rust.tags == ("programming", "rust", "learning") and rust.description == "Learn Rust with examples"
    assert rust.saved_at == datetime(2024, 3, 15, 9, 30, tzinfo=UTC)


def test_raindrop_into_the_store_twice(store: Store):
    first = backlog.import_bookmarks(store, stream_file(CSV / "raindrop_2025.csv"), source="raindrop", now=NOW)
    again = backlog.import_bookmarks(store, stream_file(CSV / "raindrop_2025.csv"), source="raindrop", now=NOW)
    assert (first.added, again.added, again.updated, again.skipped) == (3, 0, 0, 3)
    paper = backlog.find_item(store, "https://arxiv.org/abs/1706.03762")
    assert paper is not None and paper.saved_at == datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)  # stored to the second
    assert paper.tags == ("research", "papers", "transformers", "ml", "attention")
    assert paper.priority == 1  # a favorite; a priority the person changes afterwards is theirs (below)
    backlog.update(store, [paper.id], "priority", now=NOW, priority=0)
    backlog.import_bookmarks(store, stream_file(CSV / "raindrop_2025.csv"), source="raindrop", now=NOW)
    assert backlog.find_item(store, "https://arxiv.org/abs/1706.03762").priority == 0


# Shaarli notes and other links that are not pages ------------------------------------------------

def test_shaarli_notes_are_reported_not_dropped():
    parsed = parse_file(HTML / "shaarli.html")
    assert [(b.line, b.url, b.tags) for b in parsed.bookmarks] == [
        (12, "https://www.bbc.com/future/article/20190213-the-dramatic-hunt-for-the-fish-pirates-exploiting-our-seas",
         ("long-read", "oceans")),
        (22, "https://shaarli.readthedocs.io/", ("docs",)),
    ]
    assert parsed.bookmarks[0].description.startswith("For 10 years, a rogue fishing vessel")
    assert parsed.invalid == [
        Invalid(9, "a note, not a link (relative URL ?lY47tw)"),
        Invalid(11, "a note, not a link (relative URL /shaare/WDWyig)"),
        Invalid(19, "not an http(s) URL: javascript:alert(1)"),
        Invalid(20, "not an http(s) URL: place:sort=8&maxResults=10"),
        Invalid(21, "not an http(s) URL: about:blank"),
    ]


def test_other_relative_links_are_reported_too():
    data = (b"<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<DL><p>\n<DT><A HREF=\"docs/index.html\">Local</A>\n"
            b"<DT><A HREF=\"//example.com/x\">Scheme-relative</A>\n<DT><A HREF=\"https://example.com/\">Ok</A>\n</DL>\n")
    parsed = parse_bytes(data, "b.html")
    assert [b.url for b in parsed.bookmarks] == ["https://example.com/"]
    assert parsed.invalid == [Invalid(3, "a relative URL, not a web address: docs/index.html"),
                              Invalid(4, "a relative URL, not a web address: //example.com/x")]


def test_a_file_of_notes_only_imports_nothing_and_says_why(tmp_path: Path, monkeypatch, capsys):
    monkeypatch.setenv("WAITBUDDY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("WAITBUDDY_CONFIG", str(tmp_path / "none.toml"))
    notes = tmp_path / "shaarli.html"
    notes.write_text('<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<DL><p>\n'
                     '<DT><A HREF="?lY47tw" ADD_DATE="1717228800" PRIVATE="0" TAGS="">Note</A>\n</DL><p>\n')
    assert main(["import", str(notes)]) == 0
    out = capsys.readouterr().out
    assert "(netscape): 0 added, 0 updated, 0 skipped, 1 invalid" in out
    assert "line 3: a note, not a link (relative URL ?lY47tw)" in out


def test_shaarli_counts_in_the_cli(tmp_path: Path, monkeypatch, capsys):
    monkeypatch.setenv("WAITBUDDY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("WAITBUDDY_CONFIG", str(tmp_path / "none.toml"))
    assert main(["import", str(HTML / "shaarli.html")]) == 0
    out = capsys.readouterr().out
    assert "(netscape): 2 added, 0 updated, 0 skipped, 5 invalid" in out
    assert "line 9: a note, not a link (relative URL ?lY47tw)" in out
    assert "line 20: not an http(s) URL: place:sort=8&maxResults=10" in out
    capsys.readouterr()
    assert main(["backlog", "--json"]) == 0
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert sorted(item["url"] for item in listed) == [
        "https://shaarli.readthedocs.io/",
        "https://www.bbc.com/future/article/20190213-the-dramatic-hunt-for-the-fish-pirates-exploiting-our-seas"]


# Safari's Reading List ---------------------------------------------------------------------------

def test_safari_reading_list_is_unread_with_dates_and_previews():
    parsed = parse_file(HTML / "safari_reading_list.html")
    assert [(b.line, b.url, b.tags, b.status, b.saved_at) for b in parsed.bookmarks] == [
        (8, "https://www.apple.com/", (), None, None),
        (11, "https://docs.example.org/guide?a=1&b=2", ("work",), None, None),
        (20, "https://read.example.com/one", (), "unread", at(1717228800)),
        (22, "https://read.example.com/two", (), "unread", None),
        (23, "https://www.apple.com/", (), "unread", None),
    ]
    assert parsed.bookmarks[2].description == "A preview line, as Safari shows it under the title"
    assert not any("com.apple" in tag or "reading" in tag for b in parsed.bookmarks for tag in b.tags)
    assert parsed.invalid == [Invalid(12, "not an http(s) URL: javascript:alert(1)")]


def test_safari_reading_list_into_the_store_keeps_a_status_the_person_changed(store: Store):
    backlog.import_bookmarks(store, stream_file(HTML / "safari_reading_list.html"), source="safari", now=NOW)
    one = backlog.find_item(store, "https://read.example.com/one")
    assert one is not None and one.status == "unread" and one.saved_at == at(1717228800)
    assert one.description == "A preview line, as Safari shows it under the title"
    backlog.update(store, [one.id], "person", status="archived")
    again = backlog.import_bookmarks(store, stream_file(HTML / "safari_reading_list.html"), source="safari", now=NOW)
    assert again.added == 0 and again.updated == 0
    assert backlog.find_item(store, "https://read.example.com/one").status == "archived"
    assert len(backlog.load_items(store)) == 4  # Apple was in Favorites and in the Reading List: one item
