"""The events history (issue 12): facts recorded once where they happen, read back by time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from waitbuddy import history
from waitbuddy.reading import backlog
from waitbuddy.reading.model import Bookmark, Parsed
from waitbuddy.runs import registry
from waitbuddy.store import Store

MONDAY = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
ALWAYS = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))


def kinds(store: Store, domain: str | None = None) -> list[tuple[str, str, str]]:
    return [(event.domain, event.kind, event.subject) for event in history.events(store, *ALWAYS, domain=domain)]


def snapshot(status: str, *, ended_at: str | None = None, error: dict | None = None):
    """What a watcher saves (the typed RunSnapshot where it exists, the plain dict before it)."""
    data = {"path": "/runs/a.log", "name": "a", "status": status, "ended_at": ended_at, "error": error,
            "updated_at": ended_at, "eta_seconds": None}
    try:
        from waitbuddy.runs.snapshot import RunSnapshot
    except ImportError:
        return data
    return RunSnapshot.from_json(data)


# -- the query -------------------------------------------------------------------------------------


def test_events_between_two_times_oldest_first_by_domain(store: Store):
    with store.transaction() as db:
        history.record(db, "runs", "ended", 1, at=MONDAY + timedelta(hours=2), detail={"status": "failed"})
        history.record(db, "reading", "done", 7, at=MONDAY, detail={"title": "A"})
        history.record(db, "reading", "done", 8, at=MONDAY + DAY)  # Tuesday 09:00: not Monday's
        history.record(db, "reading", "done", 6, at=MONDAY - timedelta(seconds=1))
    monday = (MONDAY, MONDAY + DAY)
    events = history.events(store, *monday)
    assert [(e.domain, e.kind, e.subject, e.at) for e in events] == [
        ("reading", "done", "7", MONDAY), ("runs", "ended", "1", MONDAY + timedelta(hours=2))]
    assert events[0].detail == {"title": "A"} and events[1].detail == {"status": "failed"}
    assert [e.subject for e in history.events(store, *monday, domain="reading")] == ["7"]
    assert history.events(store, *monday, domain="feeds") == []
    assert [e.subject for e in history.events(store, *ALWAYS, kind="done")] == ["6", "7", "8"]


def test_other_time_zones_are_compared_in_utc(store: Store):
    with store.transaction() as db:
        history.record(db, "reading", "done", 1, at=MONDAY)
    berlin = timezone(timedelta(hours=1))
    assert len(history.events(store, datetime(2026, 11, 30, 10, tzinfo=berlin),
                              datetime(2026, 11, 30, 11, tzinfo=berlin))) == 1


def test_a_file_name_that_is_not_utf8_is_kept_readable(store: Store):
    pattern = "/runs/caf\udce9/*.log"  # the byte 0xe9 of a Latin-1 name, as Python holds it
    assert registry.add_watch(store, pattern)
    [event] = history.events(store, *ALWAYS)
    assert event.subject == "/runs/caf\\xe9/*.log"


# -- the backlog -----------------------------------------------------------------------------------


def test_adding_an_item_is_recorded_once(store: Store):
    item, _ = backlog.add_url(store, "https://a.example/post", title="A post", now=MONDAY)
    backlog.add_url(store, "https://a.example/post", tags=["again"], now=MONDAY + DAY)  # already there
    [event] = history.events(store, *ALWAYS)
    assert (event.domain, event.kind, event.subject, event.at) == ("reading", "added", str(item.id), MONDAY)
    assert event.detail == {"url": "https://a.example/post", "title": "A post"}


def test_done_is_recorded_with_done_at_and_undo_takes_it_back(store: Store):
    item, _ = backlog.add_url(store, "https://a.example/post", now=MONDAY)
    undo = backlog.update(store, [item.id], "done", status="done", now=MONDAY + DAY)
    backlog.update(store, [item.id], "done", status="done", now=MONDAY + 2 * DAY)  # no change: no event
    [done] = history.events(store, *ALWAYS, kind="done")
    assert done.at == backlog.get_item(store, item.id).done_at == MONDAY + DAY
    assert done.subject == str(item.id) and done.detail["url"] == "https://a.example/post"
    backlog.restore(store, undo)
    assert history.events(store, *ALWAYS, kind="done") == []
    assert kinds(store) == [("reading", "added", str(item.id))]


def test_archiving_is_recorded_for_each_item_a_bankruptcy_archives(store: Store):
    old = [backlog.add_url(store, f"https://a.example/{n}", now=MONDAY - 40 * DAY)[0] for n in range(3)]
    backlog.add_url(store, "https://a.example/new", now=MONDAY)
    backlog.update(store, [old[0].id], "reading", status="reading", now=MONDAY)  # not an event
    backlog.declare_bankruptcy(store, 30, now=MONDAY)
    archived = history.events(store, *ALWAYS, kind="archived")
    assert sorted(event.subject for event in archived) == sorted(str(item.id) for item in old[1:])
    assert {event.at for event in archived} == {MONDAY}


def test_an_import_is_one_event_and_its_undo_takes_it_back(store: Store):
    parsed = Parsed("netscape", [Bookmark(f"https://a.example/{n}") for n in range(5)])
    report = backlog.import_bookmarks(store, parsed, source="bookmarks.html", now=MONDAY)
    [event] = history.events(store, *ALWAYS)
    assert (event.kind, event.subject, event.detail) == (
        "imported", "bookmarks.html", {"format": "netscape", "added": 5, "updated": 0})
    again = backlog.import_bookmarks(store, parsed, source="bookmarks.html", now=MONDAY)
    assert again.undo is None and len(history.events(store, *ALWAYS)) == 1  # nothing new: nothing happened
    assert report.undo is not None
    backlog.restore(store, report.undo)
    assert history.events(store, *ALWAYS) == []


def test_a_change_that_fails_records_nothing(store: Store):
    item, _ = backlog.add_url(store, "https://a.example/post", now=MONDAY)
    with pytest.raises(ValueError):
        backlog.update(store, [item.id], "x", status="later")
    assert kinds(store) == [("reading", "added", str(item.id))]


# -- runs and watches ------------------------------------------------------------------------------


def test_watches_added_and_removed(store: Store):
    assert registry.add_watch(store, "/runs/*.log")
    assert not registry.add_watch(store, "/runs/*.log")
    assert registry.remove_watch(store, "/runs/*.log")
    assert not registry.remove_watch(store, "/runs/*.log")
    assert kinds(store) == [("runs", "watch_added", "/runs/*.log"), ("runs", "watch_removed", "/runs/*.log")]


def test_a_run_that_ends_is_recorded_once_at_its_end(store: Store):
    run = registry.ensure_run(store, "/runs/a.log", name="a")
    registry.save_state(store, run.id, snapshot("running"))
    registry.save_state(store, run.id, snapshot("running"))
    assert kinds(store) == []
    registry.save_state(store, run.id, snapshot("failed", ended_at="2026-11-30T10:00:00Z",
                                                 error={"kind": "oom", "message": "CUDA out of memory"}))
    registry.save_state(store, run.id, snapshot("failed", ended_at="2026-11-30T10:00:00Z"))  # saved again
    [event] = history.events(store, *ALWAYS)
    assert (event.domain, event.kind, event.subject) == ("runs", "ended", str(run.id))
    assert event.at == datetime(2026, 11, 30, 10, tzinfo=UTC)
    assert event.detail == {"status": "failed", "name": "a", "path": "/runs/a.log", "error_kind": "oom"}


def test_a_watcher_restarted_on_an_ended_run_does_not_record_its_end_again(store: Store, tmp_path):
    run = registry.ensure_run(store, "/runs/a.log", name="a")
    registry.save_state(store, run.id, snapshot("completed", ended_at="2026-11-30T10:00:00Z"))
    with Store.open(store.path) as other:  # another pane's watcher, reading the log from the start
        registry.save_state(other, run.id, snapshot("waiting"))
        registry.save_state(other, run.id, snapshot("completed", ended_at="2026-11-30T10:00:00Z"))
    assert kinds(store) == [("runs", "ended", str(run.id))]


def test_a_relaunch_that_ends_again_is_a_second_end(store: Store):
    run = registry.ensure_run(store, "/runs/a.log", name="a", source="launch")
    registry.save_state(store, run.id, snapshot("completed", ended_at="2026-11-30T10:00:00Z"))
    registry.restart(store, run.id, name=None, command=["python", "t.py"], pid=42,
                     started=MONDAY.timestamp() + 7200)
    registry.save_state(store, run.id, snapshot("running"))
    registry.save_state(store, run.id, snapshot("interrupted", ended_at="2026-11-30T12:00:00Z"))
    assert [(e.kind, e.detail["status"]) for e in history.events(store, *ALWAYS)] == [
        ("ended", "completed"), ("ended", "interrupted")]


def test_a_stall_is_recorded_when_it_starts(store: Store):
    run = registry.ensure_run(store, "/runs/a.log", name="a")
    for status in ("running", "stalled", "stalled", "running", "stalled"):
        registry.save_state(store, run.id, snapshot(status))
    assert kinds(store) == [("runs", "stalled", str(run.id))] * 2


def test_an_unknown_run_source_is_refused_before_sql(store: Store):
    with pytest.raises(ValueError, match="unknown run source 'cron' \\(one of watch, launch, demo\\)"):
        registry.ensure_run(store, "/runs/a.log", name="a", source="cron")
    assert registry.runs(store) == []
