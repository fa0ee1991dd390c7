"""The tag rule (issue 9, #20): bookmark folders become slug tags (``ML Papers`` -> ``ml-papers``),
and ``tag:``/``#`` filters compare slugs on both sides, so tags stored with spaces still match."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from waitbuddy.cli import main
from waitbuddy.reading.importers import parse_bytes
from waitbuddy.reading.model import Item, tag_slug
from waitbuddy.reading.query import QueryError, parse_query, select

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)

BOOKMARKS = b"""<!DOCTYPE NETSCAPE-Bookmark-file-1>
<DL><p>
    <DT><H3 PERSONAL_TOOLBAR_FOLDER="true">Bookmarks bar</H3>
    <DL><p>
        <DT><H3>ML Papers</H3>
        <DL><p>
            <DT><H3>Long  Context / 2024</H3>
            <DL><p>
                <DT><A HREF="https://arxiv.org/abs/2404.07143" TAGS="to read">Leave No Context Behind</A>
            </DL><p>
        </DL><p>
        <DT><H3>C++</H3>
        <DL><p>
            <DT><A HREF="https://en.cppreference.com/">cppreference</A>
        </DL><p>
        <DT><H3>???</H3>
        <DL><p>
            <DT><A HREF="https://example.com/odd">In a folder with no name to speak of</A>
        </DL><p>
    </DL><p>
</DL><p>
"""


@pytest.mark.parametrize(("text", "slug"), [
    ("ML Papers", "ml-papers"),
    ("ml  papers / 2024", "ml-papers-2024"),
    ("  Reading list: to-do! ", "reading-list-to-do"),
    ("C++", "c++"),
    ("C#", "c#"),
    ("Node.js", "node.js"),
    ("snake_case", "snake_case"),
    ("Über uns", "über-uns"),
    ("機械学習", "機械学習"),
    ("---", ""),
])
def test_tag_slug(text, slug):
    assert tag_slug(text) == slug


def test_folders_become_slug_tags_and_own_tags_stay_as_written():
    parsed = parse_bytes(BOOKMARKS, "bookmarks.html")
    assert [(b.url, b.tags) for b in parsed.bookmarks] == [
        ("https://arxiv.org/abs/2404.07143", ("ml-papers", "long-context-2024", "to read")),
        ("https://en.cppreference.com/", ("c++",)),
        ("https://example.com/odd", ()),  # a folder name without letters or digits gives no tag
    ]


def test_raindrop_folders_are_slugs_too():
    data = (b"id,title,note,excerpt,url,folder,tags,created,cover,highlights,favorite\n"
            b"1,T,,,https://example.com/a,ML Papers/Long Context,rust,2024-01-02T03:04:05.123Z,,,false\n")
    (bookmark,) = parse_bytes(data, "raindrop.csv").bookmarks
    assert bookmark.tags == ("ml-papers", "long-context", "rust")


def item(id: int, tags: tuple[str, ...]) -> Item:
    return Item(id=id, url=f"https://example.com/{id}", title=f"item {id}", kind="article", source="import",
                saved_at=NOW - timedelta(days=id), tags=tags)


ITEMS = [
    item(1, ("ml-papers",)),  # imported now
    item(2, ("ml papers",)),  # stored by an older version, or typed with a space
    item(3, ("ml",)),
    item(4, ("deep learning", "ml")),
    item(5, ()),
]


def ids(query: str, **options) -> list[int]:
    return [found.id for found in select(ITEMS, parse_query(query, **options), sort="oldest", now=NOW)]


@pytest.mark.parametrize("query", ["tag:ml-papers", "#ml-papers", "tag:ML-Papers", 'tag:"ml papers"'])
def test_a_tag_is_found_by_its_slug_in_either_stored_form(query):
    assert ids(query) == [2, 1]


def test_tags_match_whole_not_by_prefix():
    assert ids("tag:ml") == [4, 3]
    assert ids("#ml_papers") == []  # "_" stays in a slug: another tag
    assert ids("#deep-learning") == [4]
    assert ids("-tag:ml-papers") == [5, 4, 3]


def test_the_command_line_tag_option_uses_the_same_rule():
    assert ids("", tag="ml papers") == [2, 1]
    assert ids("", tag="ML-Papers") == [2, 1]


def test_an_empty_tag_is_a_query_error():
    with pytest.raises(QueryError, match="expected a tag"):
        parse_query("tag:---")


def test_import_then_filter_by_the_folder_tag(tmp_path: Path, monkeypatch, capsys):
    monkeypatch.setenv("WAITBUDDY_DATA_DIR", str(tmp_path / "data"))
    export = tmp_path / "bookmarks.html"
    export.write_bytes(BOOKMARKS)
    assert main(["import", str(export)]) == 0
    for query in (["#ml-papers"], ["tag:long-context-2024"], ["--tag", "ML Papers"]):
        capsys.readouterr()
        assert main(["backlog", "--json", *query]) == 0
        found = [json.loads(line)["url"] for line in capsys.readouterr().out.splitlines()]
        assert found == ["https://arxiv.org/abs/2404.07143"], query
