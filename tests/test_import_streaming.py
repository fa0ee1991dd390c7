"""Imports stream: bookmarks go from the file to the store as they are read (issue 10, item 13).

A list of every bookmark of a big export was 4x the file; now a reader hands them out one at a
time and the store writes them in batches inside one transaction, so a problem found late in the
file still leaves nothing written. The JSON reader walks a sliding window over the file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from waitbuddy.cli import main
from waitbuddy.reading import backlog
from waitbuddy.reading.importers import _common, parse_bytes, parse_file, stream_bytes, stream_file
from waitbuddy.reading.model import Bookmark, ImportFailed, Parsed
from waitbuddy.store import Store


def records(count: int) -> list[dict]:
    return [{"url": f"https://example.org/{n}", "title": f"Post {n} \u00e9\u4e2d\U0001f600", "saved_at": 1700000000 + n,
             "tags": ["ml"]} for n in range(count)]


def test_a_json_file_is_read_as_its_bookmarks_are_taken(tmp_path: Path):
    # The file breaks at its end: reading all of it first (as parse_file did) fails at once.
    text = json.dumps(records(30_000), indent=1)
    path = tmp_path / "big.json"
    path.write_text(text[:-1] + ", oops]")  # about 3 MB: more than one chunk of the reader
    streamed = stream_file(path)
    first = next(streamed.bookmarks)
    assert (first.line, first.url) == (2, "https://example.org/0")
    with pytest.raises(ImportFailed, match=r"big.json: broken or truncated JSON at line \d+: Expecting value"):
        list(streamed.bookmarks)
    with pytest.raises(ImportFailed):
        parse_file(path)


@pytest.mark.parametrize("fmt", ["csv", "html", "urls"])
def test_other_formats_hand_out_bookmarks_one_at_a_time(fmt: str):
    count = 3000
    if fmt == "csv":
        data = "url,title\n" + "".join(f"https://example.org/{n},T{n}\n" for n in range(count))
    elif fmt == "html":
        data = "<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<DL><p>\n" + "".join(
            f'<DT><A HREF="https://example.org/{n}">T{n}</A>\n<DD>about {n}\n' for n in range(count)) + "</DL>\n"
    else:
        data = "".join(f"https://example.org/{n}\n" for n in range(count))
    streamed = stream_bytes(data.encode(), f"export.{fmt}")
    assert not isinstance(streamed.bookmarks, list)
    taken = list(streamed.bookmarks)
    assert [b.url for b in taken] == [f"https://example.org/{n}" for n in range(count)]
    assert [b.url for b in parse_bytes(data.encode(), f"export.{fmt}").bookmarks] == [b.url for b in taken]
    if fmt == "html":
        assert taken[-1].description == f"about {count - 1}"  # the <DD> after the last link still reaches it


@pytest.mark.parametrize("chunk", [1, 7, 64, 4096])
def test_json_read_in_small_chunks_is_read_the_same(monkeypatch, chunk: int):
    items = [*records(50), 12345, -0.5e3, True, None, "text", [1, [2, {"a": "b"}]], {"url": "https://x.org/\\u00e9"}]
    text = "\ufeff" + json.dumps(items, indent=2, ensure_ascii=False)
    whole = list(_common.json_records(text.removeprefix("\ufeff"), "a.json"))
    monkeypatch.setattr(_common, "JSON_CHUNK", chunk)
    assert list(_common.json_records(text.removeprefix("\ufeff"), "a.json")) == whole
    assert [value for _line, value in whole] == items
    assert whole[50][0] == text.count("\n", 0, text.index("12345")) + 1


@pytest.mark.parametrize("chunk", [3, 4096])
@pytest.mark.parametrize(("text", "message"), [
    ('[{"url": "https://a.org/"},\n\n {"url": "https://b.org/"}\n {"url": 1}]', "at line 4: expected ',' or ']'"),
    ('[{"url": "https://a.org/"},\n\n {"url": "https://b.org/",\n}]', "at line 4: Expecting property name"),
    ('[{"url": "https://a.org/"},\n\n {"url": "https://b.or', "at line 3: Unterminated string"),
    ('[{"url": "https://a.org/"}]\n\n[]', "unexpected data after the end of the JSON array"),
    ('[{"url": "https://a.org/"},\n 12', "at line 2: expected ',' or ']'"),
])
def test_json_errors_name_the_same_line_whatever_the_chunks(monkeypatch, chunk: int, text: str, message: str):
    monkeypatch.setattr(_common, "JSON_CHUNK", chunk)
    with pytest.raises(ImportFailed, match=message):
        list(_common.json_records(text, "a.json"))


def test_utf8_split_between_file_chunks_and_a_bad_byte_far_in(tmp_path: Path, monkeypatch):
    from waitbuddy.reading import importers

    monkeypatch.setattr(importers, "_READ_CHUNK", 5)  # every multi-byte character split somewhere
    path = tmp_path / "u.json"
    path.write_text(json.dumps(records(40), ensure_ascii=False), encoding="utf-8")
    assert [b.title for b in parse_file(path).bookmarks] == [f"Post {n} \u00e9\u4e2d\U0001f600" for n in range(40)]
    data = path.read_bytes()
    path.write_bytes(data[:-40] + b"\xff" + data[-39:])
    with pytest.raises(ImportFailed, match=rf"not UTF-8 text \(byte 0xff at offset {len(data) - 40}\)"):
        parse_file(path)
    path.write_bytes(b"\xef\xbb\xbf" + data[:3] + b"\xfe" + data[3:])  # after a byte-order mark: offsets count it
    for parse in (lambda: parse_file(path), lambda: parse_bytes(path.read_bytes(), "u.json")):
        with pytest.raises(ImportFailed, match=r"not UTF-8 text \(byte 0xfe at offset 6\)"):
            parse()


def test_a_late_problem_rolls_the_whole_import_back(store: Store, tmp_path: Path):
    path = tmp_path / "late.json"
    text = json.dumps(records(25_000))  # more than two batches of the store are written before the break
    path.write_text(text[:-1] + ", {]")
    streamed = stream_file(path)
    with pytest.raises(ImportFailed, match="late.json: broken or truncated JSON"):
        backlog.import_bookmarks(store, streamed, source="json")
    assert backlog.load_items(store) == []


def test_a_late_problem_through_the_command_writes_nothing(tmp_path: Path, monkeypatch, capsys):
    monkeypatch.setenv("WAITBUDDY_DATA_DIR", str(tmp_path / "data"))
    path = tmp_path / "late.json"
    path.write_text(json.dumps(records(25_000))[:-1] + "} trailing")
    assert main(["import", str(path)]) == 2
    err = capsys.readouterr().err
    assert "late.json: broken or truncated JSON" in err and "Traceback" not in err
    assert main(["backlog", "--json"]) == 0
    assert capsys.readouterr().out == ""


def test_duplicates_across_batches_count_as_before(store: Store, monkeypatch):
    monkeypatch.setattr(backlog, "INSERT_BATCH", 2)
    backlog.import_bookmarks(store, Parsed("t", [Bookmark("https://x.org/old", "")]), source="t")
    urls = ["https://a.org/", "https://x.org/old", "https://b.org/", "https://a.org/", "https://x.org/old",
            "https://c.org/", "https://b.org/?utm_source=feed", "https://x.org/old"]
    entries = [Bookmark(url, f"T{n}", ("new",), line=n + 1) for n, url in enumerate(urls)]
    report = backlog.import_bookmarks(store, Parsed("t", entries), source="t")
    assert (report.added, report.updated, report.skipped) == (3, 1, 4)
    items = {item.url: item for item in backlog.load_items(store)}
    assert items["https://x.org/old"].tags == ("new",) and items["https://a.org/"].title == "T0"
    assert report.undo is not None and list(report.undo.added_ids) == sorted(items[u].id for u in (
        "https://a.org/", "https://b.org/", "https://c.org/"))
    backlog.restore(store, report.undo)
    assert [(item.url, item.tags) for item in backlog.load_items(store)] == [("https://x.org/old", ())]
    again = backlog.import_bookmarks(store, Parsed("t", entries), source="t")
    assert (again.added, again.updated, again.skipped) == (3, 1, 4)
