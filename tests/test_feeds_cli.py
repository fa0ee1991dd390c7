"""waitbuddy feeds ... as a person or a script uses it, against a real local server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.feedserver import FIXTURES, FeedServer, Route
from waitbuddy.cli import main


@pytest.fixture
def data(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("WAITBUDDY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("WAITBUDDY_CONFIG", str(tmp_path / "config.toml"))
    return tmp_path


@pytest.fixture
def site():
    server = FeedServer()
    yield server
    server.close()


def output(capsys, *args: str, status: int = 0) -> list[str]:
    capsys.readouterr()
    assert main(list(args)) == status
    return capsys.readouterr().out.splitlines()


def test_opml_import_then_export_keeps_urls_and_tags(data, capsys, monkeypatch):
    lines = output(capsys, "feeds", "import", str(FIXTURES / "subscriptions.opml"))
    assert lines[0].endswith("skipped") and " added, 0 already there, " in lines[0]
    assert any("xmlUrl is not an http(s) URL" in line for line in lines[1:])
    before = {row["url"]: row["tags"] for row in map(json.loads, output(capsys, "feeds", "list", "--json"))}
    assert before and any(tags for tags in before.values())
    assert output(capsys, "feeds", "import", str(FIXTURES / "subscriptions.opml"))[0].startswith(
        f"{FIXTURES / 'subscriptions.opml'}: 0 added, {len(before)} already there")
    target = data / "out.opml"
    output(capsys, "feeds", "export", str(target))
    assert target.read_bytes().startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    assert not list(data.glob(".out.opml.*"))  # written through a temporary file, none left behind
    monkeypatch.setenv("WAITBUDDY_DATA_DIR", str(data / "fresh"))
    output(capsys, "feeds", "import", str(target))
    after = {row["url"]: row["tags"] for row in map(json.loads, output(capsys, "feeds", "list", "--json"))}
    assert after == before


def test_add_list_remove_and_bad_input_are_one_line_errors(data, capsys):
    assert output(capsys, "feeds", "add", "arxiv:cs.lg+stat.ml", "-t", "Papers")[0].startswith(
        "added  1  arXiv cs.LG+stat.ML  arxiv:cs.LG+stat.ML  #papers")
    assert output(capsys, "feeds", "add", "arxiv:stat.ML,cs.LG")[0].startswith("already there  1")
    assert main(["feeds", "add", "javascript:alert(1)"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unsupported source javascript:" in err
    assert main(["feeds", "remove", "99"]) == 2 and "no such source" in capsys.readouterr().err
    assert output(capsys, "feeds", "remove", "1")[0].startswith("removed  1")
    assert output(capsys, "feeds", "list") == []


def test_config_feeds_are_listed_and_cannot_be_removed_from_the_cli(data, capsys):
    (data / "config.toml").write_text('[[feeds]]\nurl = "arxiv:cs.LG"\nname = "LG"\n', encoding="utf-8")
    assert "LG" in output(capsys, "feeds", "list")[0]
    assert main(["feeds", "remove", "arxiv:cs.LG"]) == 2 and "config file" in capsys.readouterr().err


def test_refresh_prints_a_line_per_source_and_fails_only_when_all_fail(data, site, capsys):
    output(capsys, "feeds", "add", site.fixture("/rss", "rss20.xml", etag='"1"'), "--name", "Good")
    output(capsys, "feeds", "add", site.serve("/gone", Route(b"no", 404)), "--name", "Gone")
    lines = sorted(output(capsys, "feeds", "refresh"))
    assert lines == ["error     Gone: HTTP 404", "new       Good: 1 new item"]
    lines = sorted(output(capsys, "feeds", "refresh", "--json"))
    assert sorted(json.loads(line)["status"] for line in lines) == ["error", "unchanged"]
    output(capsys, "feeds", "remove", "1")
    assert output(capsys, "feeds", "refresh", status=1) == ["error     Gone: HTTP 404"]


def test_hostile_titles_come_out_as_plain_text(data, site, capsys):
    output(capsys, "feeds", "add", site.fixture("/evil", "hostile_titles.xml"))
    output(capsys, "feeds", "refresh")
    for args in (("feeds", "items"), ("feeds", "items", "--json"), ("feeds", "list")):
        text = "\n".join(output(capsys, *args))
        assert not any(0x80 <= ord(char) <= 0x9F or ord(char) in (0x1B, 0x07) for char in text)
        assert "\u202e" not in text and "javascript:" not in text and "file:" not in text
    titles = [json.loads(line)["title"] for line in output(capsys, "feeds", "items", "--json")]
    assert "[/] [bold]x [@click=app.quit]quit[/]" in titles  # kept as the words they are, never markup


def test_items_filters_sorts_by_relevance_and_says_why(data, site, capsys):
    (data / "config.toml").write_text('[feed_settings]\ninterests = ["diffusion"]\n', encoding="utf-8")
    output(capsys, "feeds", "add", site.fixture("/rss/cs.LG", "arxiv_rss_cs.LG.xml"))
    output(capsys, "feeds", "refresh")
    rows = [json.loads(line) for line in output(capsys, "feeds", "items", "--json", "--sort", "relevance")]
    assert rows[0]["title"].startswith("Scalable Diffusion") and rows[0]["matches"][0] == "diffusion"
    assert all(row["announce_type"] not in ("replace", "replace-cross") for row in rows)
    assert len(output(capsys, "feeds", "items", "--all", "--json")) == len(rows) + 2
    lines = output(capsys, "feeds", "items", "--sort", "relevance", "--limit", "1")
    assert "matches: diffusion" in lines[0] and lines[1].strip().startswith("https://arxiv.org/abs/")
    only = output(capsys, "feeds", "items", "--json", "--query", "conformal")
    assert [json.loads(line)["arxiv_id"] for line in only] == ["2404.07300"]
    assert output(capsys, "feeds", "items", "--unread", "--source", "1", "--json")
    assert main(["feeds", "items", "--source", "nope"]) == 2
