"""The backlog commands as scripts use them: add, backlog, import, export, fetch."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from waitbuddy.cli import main


@pytest.fixture
def data(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("WAITBUDDY_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


def listed(capsys, *args: str) -> list[dict]:
    capsys.readouterr()
    assert main(["backlog", "--json", *args]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_add_then_list_as_json(data, capsys):
    assert main(["add", "https://example.com/a?utm_source=x", "-t", "ML", "-n", "for friday", "-p", "2",
                 "--no-fetch"]) == 0
    assert "added" in capsys.readouterr().out
    [item] = listed(capsys)
    assert item["url"] == "https://example.com/a" and item["tags"] == ["ml"] and item["priority"] == 2
    assert item["status"] == "unread" and item["kind"] == "article" and item["minutes"] is None
    assert item["saved_at"].endswith("Z") and item["note"] == "for friday"
    assert {"url", "title", "kind", "status", "tags", "saved_at", "minutes"} <= set(item)


def test_add_refuses_bad_urls_with_a_clear_error_and_keeps_the_good_ones(data, capsys):
    assert main(["add", "https://example.com/ok", "javascript:alert(1)", "--no-fetch"]) == 2
    captured = capsys.readouterr()
    assert "not an http(s) URL" in captured.err and "Traceback" not in captured.err
    assert [item["url"] for item in listed(capsys)] == ["https://example.com/ok"]


def test_add_with_fetch_off_in_config_does_not_fetch(data, capsys, tmp_path: Path, monkeypatch):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[backlog]\nfetch = "off"\n')
    monkeypatch.setenv("WAITBUDDY_CONFIG", str(cfg))
    assert main(["add", "http://127.0.0.1:9/never"]) == 0
    assert "could not fetch" not in capsys.readouterr().out


def test_add_offline_saves_and_says_why_the_fetch_failed(data, capsys):
    # Port 9 (discard) on localhost refuses connections: as good as offline, and never the internet.
    assert main(["add", "http://127.0.0.1:9/article"]) == 0
    out = capsys.readouterr().out
    assert "added" in out and "could not fetch" in out
    [item] = listed(capsys)
    assert item["fetch"]["state"] == "pending" and item["fetch"]["error"]


def test_filters(data, capsys):
    main(["add", "https://arxiv.org/abs/1706.03762", "-t", "transformers", "--no-fetch"])
    main(["add", "https://example.com/rust", "-t", "rust", "--no-fetch"])
    assert [i["kind"] for i in listed(capsys, "--kind", "paper")] == ["paper"]
    assert [i["url"] for i in listed(capsys, "--tag", "rust")] == ["https://example.com/rust"]
    assert [i["url"] for i in listed(capsys, "--search", "arxiv")] == ["https://arxiv.org/abs/1706.03762"]
    assert listed(capsys, "--fits", "30") == []  # lengths unknown: nothing is known to fit
    assert listed(capsys, "--status", "done") == []
    assert len(listed(capsys, "--status", "all")) == 2
    assert [i["url"] for i in listed(capsys, "--", "-tag:rust")] == ["https://arxiv.org/abs/1706.03762"]


def test_bad_query_is_a_usage_error(data, capsys):
    assert main(["backlog", "kind:podcast"]) == 2
    assert "unknown kind" in capsys.readouterr().err


def test_text_listing_is_one_clean_line_per_item(data, capsys):
    main(["add", "https://example.com/x", "--no-fetch"])
    capsys.readouterr()
    assert main(["backlog"]) == 0
    [line] = capsys.readouterr().out.splitlines()
    assert "unread" in line and "https://example.com/x" in line


def test_empty_backlog_says_how_to_fill_it(data, capsys):
    assert main(["backlog"]) == 0
    assert "waitbuddy add" in capsys.readouterr().err
    assert main(["backlog", "--json"]) == 0
    assert capsys.readouterr().out == ""


def test_import_reports_counts_and_lines_and_is_idempotent(data, capsys, tmp_path: Path):
    urls = tmp_path / "urls.txt"
    urls.write_text("# my reading list\nhttps://example.com/a\n\nnot a url\nhttps://example.com/b\n"
                    "https://example.com/a/\n")
    assert main(["import", str(urls)]) == 0
    out = capsys.readouterr().out
    assert "2 added, 0 updated, 1 skipped, 1 invalid" in out and "line 4" in out
    assert main(["import", str(urls)]) == 0
    assert "0 added, 0 updated, 3 skipped" in capsys.readouterr().out
    assert len(listed(capsys)) == 2


@pytest.mark.parametrize("content", [b"\x00\x01\x02binary\xff" * 100, b"", b"PK\x03\x04broken zip"])
def test_import_of_an_unusable_file_is_refused_whole(data, capsys, tmp_path: Path, content: bytes):
    bad = tmp_path / "bookmarks.html"
    bad.write_bytes(content)
    assert main(["import", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bookmarks.html" in err and "Traceback" not in err
    assert listed(capsys) == []


def test_import_of_a_missing_file(data, capsys, tmp_path: Path):
    assert main(["import", str(tmp_path / "nope.html")]) == 2
    assert "nope.html" in capsys.readouterr().err


@pytest.mark.parametrize("fmt", ["html", "csv", "json"])
def test_export_round_trips_through_import(data, capsys, tmp_path: Path, monkeypatch, fmt: str):
    main(["add", "https://example.com/a", "-t", "ml", "-t", "deep learning", "--no-fetch"])
    main(["add", "https://example.com/b", "--no-fetch"])
    out = tmp_path / f"export.{fmt}"
    assert main(["export", str(out)]) == 0
    assert "wrote 2 items" in capsys.readouterr().err
    before = listed(capsys, "--status", "all")
    monkeypatch.setenv("WAITBUDDY_DATA_DIR", str(tmp_path / "other"))
    assert main(["import", str(out)]) == 0
    assert "2 added" in capsys.readouterr().out
    after = listed(capsys, "--status", "all")
    keys = ("url", "tags", "status", "saved_at")
    assert [{k: i[k] for k in keys} for i in after] == [{k: i[k] for k in keys} for i in before]


def test_export_to_stdout(data, capsys):
    main(["add", "https://example.com/a", "--no-fetch"])
    capsys.readouterr()
    assert main(["export", "-", "--format", "json"]) == 0
    [item] = json.loads(capsys.readouterr().out)
    assert item["url"] == "https://example.com/a"


def test_export_to_an_unwritable_place(data, capsys, tmp_path: Path):
    assert main(["export", str(tmp_path / "missing-dir" / "x.html")]) == 2
    assert "cannot write" in capsys.readouterr().err


def test_a_new_reading_speed_applies_to_fetched_items(data, capsys, tmp_path: Path, monkeypatch):
    from waitbuddy.reading import backlog
    from waitbuddy.reading.model import PageInfo
    from waitbuddy.store import Store

    main(["add", "https://example.com/long", "--no-fetch"])
    with Store.open(tmp_path / "data" / "waitbuddy.db") as store:
        [item] = backlog.load_items(store)
        backlog.record_fetch(store, item.id, PageInfo(words=3000), words_per_minute=200)
    assert [i["minutes"] for i in listed(capsys)] == [14]  # 3000 words at the default 230, rounded up
    cfg = tmp_path / "c.toml"
    cfg.write_text("[backlog]\nwords_per_minute = 300\n")
    monkeypatch.setenv("WAITBUDDY_CONFIG", str(cfg))
    assert [i["minutes"] for i in listed(capsys)] == [10]


def test_fits_wait_lists_what_fits_in_the_running_jobs_eta(tmp_path, monkeypatch, capsys):
    from waitbuddy.reading import backlog
    from waitbuddy.runs import registry
    from waitbuddy.runs.snapshot import RunSnapshot
    from waitbuddy.store import Store

    data = tmp_path / "data"
    monkeypatch.setenv("WAITBUDDY_DATA_DIR", str(data))
    monkeypatch.setenv("WAITBUDDY_CONFIG", str(tmp_path / "none.toml"))
    assert main(["backlog", "--fits-wait"]) == 1
    assert "no running job with an ETA" in capsys.readouterr().err
    with Store.open(data / "waitbuddy.db") as store:
        short, _ = backlog.add_url(store, "https://example.com/short")
        long, _ = backlog.add_url(store, "https://example.com/long")
        with store.transaction() as db:
            db.execute("UPDATE items SET minutes = 5, title = 'short' WHERE id = ?", (short.id,))
            db.execute("UPDATE items SET minutes = 90, title = 'long' WHERE id = ?", (long.id,))
        record = registry.ensure_run(store, "/runs/a.log", name="a")
        registry.save_state(store, record.id, RunSnapshot("/runs/a.log", "a", "running", eta_seconds=1200.0))
    capsys.readouterr()
    assert main(["backlog", "--fits-wait", "--json"]) == 0
    out = capsys.readouterr().out
    assert "example.com/short" in out and "example.com/long" not in out
