"""The backlog in a real SQLite store: add, import (idempotent), change, undo, bankruptcy, fetch results."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from waitbuddy.reading import backlog
from waitbuddy.reading.model import Bookmark, Invalid, PageInfo, Parsed
from waitbuddy.store import Store

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)
HOSTILE = "\x1b]52;c;cm0gLXJmIH4K\x07[bold]x[/] [@click=app.quit]\u202eevil\x9b2J"


def days_ago(days: int) -> datetime:
    return NOW - timedelta(days=days)


def test_add_saves_at_once_and_dedupes_on_the_normalized_url(store: Store):
    item, created = backlog.add_url(store, "https://Example.com/post/?utm_source=rss", tags=["ML", "ml", " Deep  "],
                                    note="read before Friday", priority=2, now=NOW)
    assert created and item.url == "https://example.com/post/" and item.status == "unread"
    assert item.tags == ("ml", "deep") and item.priority == 2 and item.saved_at == NOW
    assert item.fetch_state == "pending" and item.kind == "article"
    again, created = backlog.add_url(store, "http://example.com/post", tags=["later"], now=NOW + timedelta(days=1))
    assert not created and again.id == item.id
    assert again.tags == ("ml", "deep", "later") and again.note == "read before Friday"
    assert again.saved_at == NOW  # the first save date stays
    assert len(backlog.load_items(store)) == 1


def test_add_refuses_what_it_cannot_open(store: Store):
    for url in ("javascript:alert(1)", "file:///etc/passwd", "-https://x.org", ""):
        with pytest.raises(backlog.BadUrl):
            backlog.add_url(store, url)
    assert backlog.load_items(store) == []


def test_hostile_text_is_cleaned_on_the_way_in(store: Store):
    item, _ = backlog.add_url(store, "https://example.com/", title=HOSTILE, note=HOSTILE, tags=[HOSTILE], now=NOW)
    for text in (item.title, item.note, *item.tags):
        assert "\x1b" not in text and "\x9b" not in text and "\u202e" not in text and "\x07" not in text
    assert "[bold]x[/]" in item.title  # kept as plain text; widgets never parse it as markup


def bookmarks(*entries: Bookmark, invalid=()) -> Parsed:
    return Parsed("test", list(entries), list(invalid))


def test_import_keeps_dates_and_state_and_a_second_import_adds_nothing(store: Store):
    parsed = bookmarks(
        Bookmark("https://a.example/1", "One", ("ml",), days_ago(300), "archived", line=3),
        Bookmark("https://a.example/2", "Two", (), days_ago(10), None, line=4),
        Bookmark("javascript:void(0)", "Bad", line=5),
        Bookmark("https://a.example/2/", "Two again, other folder", ("rust",), line=9),
        invalid=[Invalid(7, "no URL")],
    )
    report = backlog.import_bookmarks(store, parsed, source="firefox", now=NOW)
    assert (report.added, report.updated, report.skipped) == (2, 0, 1)
    assert [(entry.line, entry.reason) for entry in report.invalid] == [(5, "not an http(s) URL"), (7, "no URL")]
    one, two = backlog.load_items(store)
    assert one.saved_at == days_ago(300) and one.status == "archived" and one.source == "firefox"
    assert two.status == "unread" and two.fetch_state == "off"
    again = backlog.import_bookmarks(store, parsed, source="firefox", now=NOW)
    assert (again.added, again.updated, again.skipped) == (0, 0, 3)
    assert len(backlog.load_items(store)) == 2


def test_reimport_merges_tags_and_earlier_dates_but_not_status(store: Store):
    backlog.import_bookmarks(store, bookmarks(Bookmark("https://a.example/1", "", ("ml",), days_ago(5))), source="x",
                             now=NOW)
    [item] = backlog.load_items(store)
    backlog.update(store, [item.id], "done", status="done", now=NOW)
    report = backlog.import_bookmarks(
        store, bookmarks(Bookmark("https://a.example/1", "Title", ("rust",), days_ago(50), "unread")),
        source="x", now=NOW)
    assert report.updated == 1
    [item] = backlog.load_items(store)
    assert item.tags == ("ml", "rust") and item.title == "Title" and item.saved_at == days_ago(50)
    assert item.status == "done"


def test_import_undo_removes_added_and_restores_updated(store: Store):
    backlog.add_url(store, "https://a.example/1", now=NOW)
    report = backlog.import_bookmarks(store, bookmarks(Bookmark("https://a.example/1", "T", ("x",)),
                                                       Bookmark("https://a.example/2", "New")), source="x", now=NOW)
    assert report.undo is not None and report.undo.count == 2
    backlog.restore(store, report.undo)
    [item] = backlog.load_items(store)
    assert item.url == "https://a.example/1" and item.tags == () and item.title == ""


def test_every_change_is_undoable(store: Store):
    item, _ = backlog.add_url(store, "https://a.example/1", tags=["a"], note="n", now=NOW)
    steps = [
        backlog.update(store, [item.id], "done", status="done"),
        backlog.update(store, [item.id], "tags", tags=["b", "c"]),
        backlog.update(store, [item.id], "note", note="new note"),
        backlog.update(store, [item.id], "kind", kind="paper"),
        backlog.update(store, [item.id], "snooze", snoozed_until=NOW + timedelta(days=7)),
        backlog.adjust_priority(store, [item.id], 1),
    ]
    changed = backlog.get_item(store, item.id)
    assert (changed.status, changed.tags, changed.note, changed.kind, changed.priority) == \
        ("done", ("b", "c"), "new note", "paper", 1)
    assert changed.kind_locked and changed.snoozed_until == NOW + timedelta(days=7)
    for undo in reversed(steps):
        backlog.restore(store, undo)
    assert backlog.get_item(store, item.id) == item


def test_delete_and_undo_bring_the_row_back_with_its_id(store: Store):
    item, _ = backlog.add_url(store, "https://a.example/1", note="keep me", now=NOW)
    undo = backlog.delete(store, [item.id])
    assert backlog.load_items(store) == []
    backlog.add_url(store, "https://a.example/1", now=NOW)  # saved again meanwhile
    backlog.restore(store, undo)
    [back] = backlog.load_items(store)
    assert back == item


def test_priority_stays_in_range(store: Store):
    item, _ = backlog.add_url(store, "https://a.example/1", priority=3, now=NOW)
    assert backlog.adjust_priority(store, [item.id], 1).count == 0
    assert backlog.get_item(store, item.id).priority == 3
    backlog.update(store, [item.id], "priority", priority=-5)
    assert backlog.get_item(store, item.id).priority == 0


@pytest.mark.parametrize("changes", [{"status": "later"}, {"kind": "podcast"}, {"url": "https://x.org"}])
def test_bad_changes_are_refused(store: Store, changes):
    item, _ = backlog.add_url(store, "https://a.example/1", now=NOW)
    with pytest.raises(ValueError):
        backlog.update(store, [item.id], "x", **changes)


def test_bankruptcy_archives_only_old_unread_and_undo_restores_each(store: Store):
    parsed = bookmarks(
        Bookmark("https://a.example/old", saved_at=days_ago(200)),
        Bookmark("https://a.example/old-reading", saved_at=days_ago(200)),
        Bookmark("https://a.example/old-done", saved_at=days_ago(200), status="done"),
        Bookmark("https://a.example/new", saved_at=days_ago(3)),
    )
    backlog.import_bookmarks(store, parsed, source="x", now=NOW)
    reading = backlog.find_item(store, "https://a.example/old-reading")
    backlog.update(store, [reading.id], "reading", status="reading")
    before = backlog.load_items(store)
    assert len(backlog.bankruptcy_ids(before, 90, NOW)) == 1
    undo = backlog.declare_bankruptcy(store, 90, now=NOW)
    statuses = {item.url.rsplit("/", 1)[1]: item.status for item in backlog.load_items(store)}
    assert statuses == {"old": "archived", "old-reading": "reading", "old-done": "done", "new": "unread"}
    backlog.restore(store, undo)
    assert backlog.load_items(store) == before


def test_fetch_results_fill_gaps_and_failures_are_recorded(store: Store):
    item, _ = backlog.add_url(store, "https://a.example/post", now=NOW)
    failed = backlog.record_fetch(store, item.id, None, error="timed out", words_per_minute=200, now=NOW)
    assert failed.fetch_state == "pending" and failed.fetch_error == "timed out"
    assert backlog.to_fetch(store, include_imported=False, now=NOW) == []  # not again right away
    assert [i.id for i in backlog.to_fetch(store, include_imported=False, now=NOW + timedelta(hours=1))] == [item.id]
    info = PageInfo(title="A post", description="About things", kind="video", words=1000, duration_seconds=61)
    done = backlog.record_fetch(store, item.id, info, words_per_minute=200, now=NOW)
    assert (done.title, done.kind, done.minutes, done.fetch_state, done.fetch_error) == \
        ("A post", "video", 2, "done", "")
    backlog.update(store, [item.id], "title", title="My own title")
    again = backlog.record_fetch(store, item.id, PageInfo(title="Other"), words_per_minute=200, now=NOW)
    assert again.title == "My own title"


def test_three_failures_stop_retrying(store: Store):
    item, _ = backlog.add_url(store, "https://a.example/post", now=NOW)
    for attempt in range(3):
        backlog.record_fetch(store, item.id, None, error="HTTP 404", words_per_minute=200,
                             now=NOW + timedelta(hours=attempt))
    assert backlog.get_item(store, item.id).fetch_state == "failed"
    assert backlog.to_fetch(store, include_imported=True, now=NOW + timedelta(days=9)) == []


def test_reading_speed_changes_recompute_minutes(store: Store):
    item, _ = backlog.add_url(store, "https://a.example/post", now=NOW)
    backlog.record_fetch(store, item.id, PageInfo(words=2000), words_per_minute=200, now=NOW)
    backlog.recompute_minutes(store, 400)
    assert backlog.get_item(store, item.id).minutes == 5


def test_bad_values_are_refused_before_they_reach_the_table(store: Store, monkeypatch):
    # The table has no CHECKs since issue 12: the backlog checks kind, status, fetch state and
    # priority itself, on every path that writes, with a ValueError that says what is allowed.
    item, _ = backlog.add_url(store, "https://a.example/post", now=NOW)
    with pytest.raises(ValueError, match="unknown status 'later' \\(one of unread, reading, done, archived\\)"):
        backlog.update(store, [item.id], "later", status="later")
    with pytest.raises(ValueError, match="unknown kind 'podcast'"):
        backlog.update(store, [item.id], "kind", kind="podcast")
    with pytest.raises(ValueError, match="unknown fetch state 'maybe'"):
        backlog.restore(store, backlog.Undo("x", ({**_row(store, item.id), "fetch_state": "maybe"},)))
    with pytest.raises(ValueError, match="priority 9 is not a whole number from 0 to 3"):
        backlog.restore(store, backlog.Undo("x", ({**_row(store, item.id), "priority": 9},)))
    monkeypatch.setattr(backlog, "kind_from_url", lambda url: "podcast")
    with pytest.raises(ValueError, match="unknown kind 'podcast'"):
        backlog.add_url(store, "https://b.example/episode", now=NOW)
    analyze = backlog.analyze
    monkeypatch.setattr(backlog, "analyze", lambda url: (*analyze(url)[:2], "podcast"))
    with pytest.raises(ValueError, match="unknown kind 'podcast'"):
        backlog.import_bookmarks(store, Parsed("netscape", [Bookmark("https://c.example/")]), source="file")
    assert [(i.url, i.status, i.kind, i.fetch_state, i.priority) for i in backlog.load_items(store)] == [
        ("https://a.example/post", "unread", "article", "pending", 0)]


def _row(store: Store, item_id: int) -> dict:
    return dict(store.query("SELECT * FROM items WHERE id = ?", (item_id,))[0])


def test_a_final_failure_is_not_retried(store: Store):
    item, _ = backlog.add_url(store, "https://a.example/gone", now=NOW)
    backlog.record_fetch(store, item.id, None, error="HTTP 404", final=True, words_per_minute=200, now=NOW)
    assert backlog.get_item(store, item.id).fetch_state == "failed"
    assert backlog.to_fetch(store, include_imported=True, now=NOW + timedelta(days=9)) == []


def test_done_at_says_when_an_item_was_read_and_follows_undo(store: Store):
    # issue 12: updated_at moves on every edit, so "what did I read yesterday" had no answer.
    item, _ = backlog.add_url(store, "https://example.com/a")
    monday, tuesday = datetime(2026, 11, 30, 9, tzinfo=timezone.utc), datetime(2026, 12, 1, 9, tzinfo=timezone.utc)
    undo = backlog.update(store, [item.id], "done", status="done", now=monday)
    assert backlog.get_item(store, item.id).done_at == monday
    backlog.update(store, [item.id], "tags", tags=["ml"], now=tuesday)  # an edit later: still read on Monday
    assert backlog.get_item(store, item.id).done_at == monday
    backlog.restore(store, undo)
    assert backlog.get_item(store, item.id).done_at is None
    backlog.update(store, [item.id], "done", status="done", now=tuesday)
    backlog.update(store, [item.id], "unread", status="unread", now=tuesday)
    assert backlog.get_item(store, item.id).done_at is None


def test_a_database_from_before_done_at_gets_it_from_the_last_edit(tmp_path):
    from .legacy_db import build_legacy

    path = tmp_path / "old.db"
    db = build_legacy(path, 3)
    for key, status in (("a", "done"), ("b", "unread")):
        db.execute("INSERT INTO items (url, url_key, saved_at, status, updated_at) VALUES (?, ?, ?, ?, ?)",
                   (f"https://example.com/{key}", f"example.com/{key}", "2026-11-01T09:00:00Z", status,
                    "2026-11-30T09:00:00Z"))
    db.close()
    with Store.open(path) as store:
        items = {item.url: item for item in backlog.load_items(store)}
    assert items["https://example.com/a"].done_at == datetime(2026, 11, 30, 9, tzinfo=timezone.utc)
    assert items["https://example.com/b"].done_at is None


def test_minutes_left_comes_from_the_running_jobs_saved_eta(store: Store):
    # issue 12: "what fits in the wait" was read from the Runs pane's widgets; now from the store,
    # for the f key, `backlog --fits-wait` and the planner to come.
    import time

    from waitbuddy.runs import registry
    from waitbuddy.runs.snapshot import RunSnapshot

    assert registry.minutes_left(store, time.time()) is None
    for name, status, eta in (("a", "running", 1800.0), ("b", "running", 600.0), ("c", "completed", 9000.0)):
        record = registry.ensure_run(store, f"/runs/{name}.log", name=name)
        registry.save_state(store, record.id, RunSnapshot(f"/runs/{name}.log", name, status, eta_seconds=eta))
    now = time.time()
    assert registry.minutes_left(store, now) in (29, 30)  # the job that ends last (saved times are whole seconds)
    assert registry.minutes_left(store, now + 600) in (19, 20)  # ten minutes later, as saved then
    assert registry.minutes_left(store, now + 4000) is None  # every ETA has passed
