"""Hostile import files, scaled down (issue 10, items 12 and 13): unbalanced CSV quotes, huge
fields and tags, zips whose headers lie. Behaviour and messages only; memory figures are in bench/."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from waitbuddy.cli import main
from waitbuddy.reading import importers
from waitbuddy.reading.importers import _csv, parse_bytes, parse_file
from waitbuddy.reading.model import ImportFailed, Invalid

POCKET_HEADER = "title,url,time_added,tags,status\n"
MB = 1024 * 1024


def pocket_rows(first: int, last: int) -> str:
    return "".join(f"Title {n},https://example.org/{n},1700000000,ml,unread\n" for n in range(first, last + 1))


# Item 12: one unbalanced quote ----------------------------------------------------------------

def test_an_unbalanced_quote_is_reported_and_the_rows_after_it_are_kept():
    text = POCKET_HEADER + '"Unbalanced title,https://example.org/0,1700000000,,unread\n' + pocket_rows(1, 2000)
    parsed = parse_bytes(text.encode(), "bookmarks.csv")
    assert parsed.invalid == [Invalid(2, "unbalanced quote: this field runs to line 2002; only this row is skipped")]
    assert len(parsed.bookmarks) == 2000
    assert (parsed.bookmarks[0].line, parsed.bookmarks[0].url, parsed.bookmarks[0].title) == (
        3, "https://example.org/1", "Title 1")
    assert parsed.bookmarks[-1].line == 2002


def test_a_quote_closed_by_a_later_row_is_caught_by_the_field_count():
    text = (POCKET_HEADER + 'Good,https://example.org/0,1700000000,"ml,unread\n'
            '"Quoted title",https://example.org/1,1700000000,,unread\n' + pocket_rows(2, 3))
    parsed = parse_bytes(text.encode(), "bookmarks.csv")
    assert parsed.invalid == [Invalid(2, "unbalanced quote: this field runs to line 3; only this row is skipped")]
    assert [(b.line, b.title) for b in parsed.bookmarks] == [(3, "Quoted title"), (4, "Title 2"), (5, "Title 3")]


def test_unbalanced_quotes_in_our_own_csv_and_raindrops_are_caught_too():
    own = 'url,title,kind,status,priority,tags,note,saved_at,minutes\nhttps://example.org/0,"Oops,,,0,,,,\n'
    own += "".join(f"https://example.org/{n},T{n},article,unread,0,ml,,,\n" for n in range(1, 4))
    parsed = parse_bytes(own.encode(), "own.csv")
    assert parsed.invalid == [Invalid(2, "unbalanced quote: this field runs to line 5; only this row is skipped")]
    assert [b.url for b in parsed.bookmarks] == [f"https://example.org/{n}" for n in range(1, 4)]
    raindrop = "id,title,note,excerpt,url,folder,tags,created,cover,highlights,favorite\n"
    raindrop += '1,"Oops,,,https://example.org/0,Unsorted,,2024-01-02T03:04:05.000Z,,,false\n'
    raindrop += "".join(f"{n},T{n},,,https://example.org/{n},Unsorted,,2024-01-02T03:04:05.000Z,,,false\n"
                        for n in range(2, 4))
    parsed = parse_bytes(raindrop.encode(), "raindrop.csv")
    assert parsed.invalid == [Invalid(2, "unbalanced quote: this field runs to line 4; only this row is skipped")]
    assert [b.url for b in parsed.bookmarks] == ["https://example.org/2", "https://example.org/3"]


def test_crlf_files_count_lines_the_same_way():
    text = (POCKET_HEADER + '"Unbalanced,https://example.org/0,1700000000,,unread\n' + pocket_rows(1, 3)
            + '"multi\nline title",https://example.org/4,1700000000,,unread\n').replace("\n", "\r\n")
    parsed = parse_bytes(text.encode(), "crlf.csv")  # the quote on line 6 closes the field
    assert parsed.invalid == [Invalid(2, "unbalanced quote: this field runs to line 6; only this row is skipped")]
    assert [(b.line, b.title) for b in parsed.bookmarks] == [
        (3, "Title 1"), (4, "Title 2"), (5, "Title 3"), (6, "multi\r\nline title")]


def test_real_multiline_notes_are_not_taken_for_unbalanced_quotes():
    text = 'url,title,note\nhttps://example.org/a,A,"first line\nsecond, with a comma\nsee https://x.org/"\n'
    parsed = parse_bytes(text.encode(), "notes.csv")
    assert parsed.invalid == []
    assert parsed.bookmarks[0].note == "first line\nsecond, with a comma\nsee https://x.org/"


def test_a_quote_that_never_closes_past_the_record_limit_runs_to_the_end(monkeypatch):
    monkeypatch.setattr(_csv, "MAX_RECORD", 10_000)
    text = POCKET_HEADER + pocket_rows(1, 2) + '"Unbalanced,https://example.org/0,1700000000,,unread\n'
    text += pocket_rows(3, 2000)
    parsed = parse_bytes(text.encode(), "bookmarks.csv")
    assert parsed.invalid == [Invalid(4, "unbalanced quote: this field runs to the end of the file (line 2002); "
                                         "only this row is skipped")]
    assert len(parsed.bookmarks) == 2000


def test_one_real_field_too_long_is_skipped_whole(monkeypatch):
    monkeypatch.setattr(_csv, "MAX_RECORD", 10_000)
    text = 'url,title,note\nhttps://example.org/a,A,"' + "words\n" * 5000 + '"\nhttps://example.org/b,B,\n'
    parsed = parse_bytes(text.encode(), "notes.csv")
    assert parsed.invalid == [Invalid(2, "a field over lines 2 to 5002 is longer than 10 KB; this row is skipped")]
    assert [(b.line, b.url) for b in parsed.bookmarks] == [(5003, "https://example.org/b")]


def test_one_line_longer_than_a_record_is_skipped_without_reading_it_as_csv():
    text = 'url,title,note\nhttps://example.org/a,A,\nhttps://example.org/big,"' + "x" * (5 * MB) + '",\n'
    text += "https://example.org/b,B,\n"
    parsed = parse_bytes(text.encode(), "field.csv")
    assert [b.url for b in parsed.bookmarks] == ["https://example.org/a", "https://example.org/b"]
    assert parsed.invalid == [Invalid(3, "this row is 5.1 MB long (the limit is 4 MB)")]


def test_the_import_command_prints_the_unbalanced_quote_and_imports_the_rest(tmp_path: Path, monkeypatch, capsys):
    monkeypatch.setenv("WAITBUDDY_DATA_DIR", str(tmp_path / "data"))
    path = tmp_path / "bookmarks.csv"
    path.write_text(POCKET_HEADER + '"Unbalanced,https://example.org/0,1700000000,,unread\n' + pocket_rows(1, 50))
    assert main(["import", str(path)]) == 0
    out = capsys.readouterr().out
    assert "50 added" in out and "1 invalid" in out
    assert "  line 2: unbalanced quote: this field runs to line 52; only this row is skipped" in out


# Item 13: fields past their limits ------------------------------------------------------------

def test_csv_fields_past_their_limits_make_the_row_invalid_saying_which():
    text = ("url,title,note\n"
            f"https://example.org/a,{'T' * 70_000},\n"
            f'https://example.org/b,B,"{"n" * (MB + 100_000)}"\n'
            f"https://example.org/{'u' * 70_000},U,\n"
            "https://example.org/c,C,\n")
    parsed = parse_bytes(text.encode(), "long.csv")
    assert [b.url for b in parsed.bookmarks] == ["https://example.org/c"]
    assert parsed.invalid == [Invalid(2, "title is 69 KB long (the limit is 64 KB)"),
                              Invalid(3, "note is 1.1 MB long (the limit is 1 MB)"),
                              Invalid(4, "URL is 69 KB long (the limit is 64 KB)")]


def test_json_fields_past_their_limits_make_the_record_invalid():
    data = ('[{"url": "https://example.org/a", "title": "' + "t" * 70_000 + '"},\n'
            '{"url": "https://example.org/b", "tags": ["' + "x" * 70_000 + '"]},\n'
            '{"url": "https://example.org/c", "title": "C"}]').encode()
    parsed = parse_bytes(data, "long.json")
    assert [b.url for b in parsed.bookmarks] == ["https://example.org/c"]
    assert parsed.invalid == [Invalid(1, "title is 69 KB long (the limit is 64 KB)"),
                              Invalid(2, "tags is 69 KB long (the limit is 64 KB)")]


NETSCAPE_HEAD = "<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<DL><p>\n"


def test_a_huge_html_attribute_skips_its_bookmark_and_keeps_the_others():
    big = "A" * (3 * MB)
    html = (NETSCAPE_HEAD + '<DT><A HREF="https://example.org/a">A</A>\n<DD>about a\n'
            f'<DT><A HREF="https://example.org/big" ICON="data:image/png;base64,{big}">Big</A>\n'
            '<DT><A HREF="https://example.org/b">B</A>\n</DL><p>\n')
    parsed = parse_bytes(html.encode(), "attribute.html")
    assert [(b.line, b.url, b.title, b.description) for b in parsed.bookmarks] == [
        (3, "https://example.org/a", "A", "about a"), (6, "https://example.org/b", "B", "")]
    assert parsed.invalid == [Invalid(5, "bookmark skipped: its <A> tag is 3.1 MB long (the limit is 2 MB)")]


def test_huge_html_titles_descriptions_and_unclosed_comments_are_reported():
    big = "words " * (3 * MB // 6)
    html = (NETSCAPE_HEAD + f'<DT><A HREF="https://example.org/t">{big}</A>\n'
            '<DT><A HREF="https://example.org/d">D</A>\n'
            f"<DD>{big}\n"
            '<DT><A HREF="https://example.org/ok">OK</A>\n'
            f"<!-- {big}")
    parsed = parse_bytes(html.encode(), "text.html")
    assert [b.url for b in parsed.bookmarks] == ["https://example.org/ok"]
    assert parsed.invalid == [Invalid(3, "title is 3 MB long (the limit is 64 KB)"),
                              Invalid(4, "description is 3.1 MB long (the limit is 1 MB)"),
                              Invalid(7, "markup '<!-- words w' 3.1 MB long was skipped (the limit is 2 MB)")]


def test_big_chrome_icons_are_still_fine():
    icon = "data:image/png;base64," + "QUFB" * 100_000  # 400 KB, bigger than Chrome writes
    html = NETSCAPE_HEAD + "".join(f'<DT><A HREF="https://example.org/{n}" ICON="{icon}">T{n}</A>\n' for n in range(5))
    parsed = parse_bytes(html.encode(), "icons.html")
    assert len(parsed.bookmarks) == 5 and parsed.invalid == []


# Item 13: zips whose headers lie ---------------------------------------------------------------

def lying_zip(content: bytes, says: int) -> bytes:
    """A one-member zip whose local header and central directory both give ``says`` as the size."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("links.txt", content)
    data = bytearray(buffer.getvalue())
    local, central = data.find(b"PK\x03\x04"), data.find(b"PK\x01\x02")
    data[local + 22:local + 26] = says.to_bytes(4, "little")
    data[central + 24:central + 28] = says.to_bytes(4, "little")
    return bytes(data)


def test_a_zip_member_bigger_than_its_header_says_is_refused_in_one_line():
    with pytest.raises(ImportFailed) as caught:
        parse_bytes(lying_zip(b"https://example.org/\n" * 50_000, says=100), "lying.zip")
    assert str(caught.value).startswith("lying.zip/links.txt: can't unpack it: its data does not match its header (")
    assert "\n" not in str(caught.value)


def test_a_zip_member_past_the_budget_is_refused_before_unpacking(monkeypatch):
    monkeypatch.setattr(importers, "MAX_BYTES", 200_000)
    content = b"https://example.org/\n" * 50_000  # 1 MB, compresses to a few KB
    with pytest.raises(ImportFailed, match=r"^big\.zip/links\.txt: unpacks to 1 MB; the limit"):
        parse_bytes(lying_zip(content, says=len(content)), "big.zip")
    # A header that says "small" gets no further than its own size: zipfile stops there and the CRC fails.
    with pytest.raises(ImportFailed, match=r"can't unpack it"):
        parse_bytes(lying_zip(content, says=1000), "big.zip")


def test_parse_file_of_a_zip_with_a_lying_header(tmp_path: Path):
    path = tmp_path / "export.zip"
    path.write_bytes(lying_zip(b"https://example.org/a\n", says=5))
    with pytest.raises(ImportFailed, match=r"^export\.zip/links\.txt: can't unpack it"):
        parse_file(path)


def test_a_file_of_mostly_rejects_is_refused_before_they_fill_memory(monkeypatch):
    from waitbuddy.reading.importers import _common

    monkeypatch.setattr(_common, "MAX_INVALID", 10)
    data = ("[" + ",\n".join('{"url": "x"}' for _ in range(50)) + "]").encode()
    with pytest.raises(ImportFailed) as caught:
        parse_bytes(data, "junk.json")
    assert str(caught.value) == ("junk.json: more than 10 entries can't be imported (the first, line 1: "
                                 "not an http(s) URL: x); is this a bookmarks export?")
    csv_junk = "url,title\n" + "nope,T\n" * 50
    with pytest.raises(ImportFailed, match=r"^junk\.csv: more than 10 entries"):
        parse_bytes(csv_junk.encode(), "junk.csv")
    html = "<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<DL><p>\n" + '<DT><A HREF="ftp://x">x</A>\n' * 50
    with pytest.raises(ImportFailed, match=r"^junk\.html: more than 10 entries"):
        parse_bytes(html.encode(), "junk.html")
