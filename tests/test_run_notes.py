"""Experiment notes on runs (issue 15): the store round trip, the history event, `waitbuddy note`
and the notes in `waitbuddy runs`."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from waitbuddy import history
from waitbuddy.runs import notes, registry
from waitbuddy.store import Store

MONDAY = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
ALWAYS = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))


def run(store: Store, name: str = "bert", path: str = "/runs/bert/train.log") -> int:
    return registry.ensure_run(store, path, name=name).id


# -- the store -------------------------------------------------------------------------------------


def test_notes_round_trip_oldest_first_with_their_kind_and_time(store: Store):
    bert, gpt = run(store), run(store, "gpt", "/runs/gpt/train.log")
    question = notes.add(store, bert, "Does warmup matter at this batch size?", now=MONDAY)
    learned = notes.add(store, bert, "  It does: 2 points of accuracy.\nLoss spikes without it. ", now=MONDAY + HOUR)
    nxt = notes.add(store, bert, "try lr 3e-4", kind="next", now=MONDAY + 2 * HOUR)
    other = notes.add(store, gpt, "baseline", now=MONDAY + HOUR)

    assert notes.for_run(store, bert) == [question, learned, nxt]
    assert learned.text == "It does: 2 points of accuracy.\nLoss spikes without it."  # inner newline kept
    assert nxt.kind == "next" and nxt.at == MONDAY + 2 * HOUR and nxt.at.tzinfo is not None
    assert notes.for_run(store, 999) == []
    assert notes.for_runs(store, [bert, gpt, 999]) == {bert: [question, learned, nxt], gpt: [other]}
    assert notes.for_runs(store, []) == {}
    # Reopened, the same notes come back: they are in the file, not in a cache.
    with Store.open(store.path) as again:
        assert notes.for_run(again, bert) == [question, learned, nxt]


def test_for_runs_takes_more_ids_than_sqlite_takes_parameters(store: Store):
    bert = run(store)
    note = notes.add(store, bert, "kept")
    assert notes.for_runs(store, [*range(100_000, 140_000), bert]) == {bert: [note]}


def test_between_and_open_next(store: Store):
    bert, gpt = run(store), run(store, "gpt", "/runs/gpt/train.log")
    early = notes.add(store, bert, "question", now=MONDAY - HOUR)
    first_next = notes.add(store, bert, "try lr 3e-4", kind="next", now=MONDAY)
    learned = notes.add(store, gpt, "learned", now=MONDAY + HOUR)
    later_next = notes.add(store, gpt, "try bigger batch", kind="next", now=MONDAY + 2 * HOUR)

    assert notes.between(store, MONDAY, MONDAY + 2 * HOUR) == [first_next, learned]  # until is exclusive
    assert notes.between(store, MONDAY - HOUR, MONDAY + 3 * HOUR, kind="next") == [first_next, later_next]
    assert notes.between(store, MONDAY - HOUR, MONDAY + 3 * HOUR, kind="note") == [early, learned]
    assert notes.open_next(store) == [later_next, first_next]  # newest first
    assert notes.open_next(store, limit=1) == [later_next]


def test_remove_deletes_the_note_and_takes_its_event_back(store: Store):
    bert = run(store)
    kept = notes.add(store, bert, "kept", now=MONDAY)
    gone = notes.add(store, bert, "a typo", now=MONDAY)
    assert notes.remove(store, gone.id) is True
    assert notes.remove(store, gone.id) is False
    assert notes.for_run(store, bert) == [kept]
    events = history.events(store, *ALWAYS, domain="runs", kind="note")
    assert [event.detail["note"] for event in events] == [kept.id]


def test_adding_records_a_runs_note_event_in_the_same_transaction(store: Store):
    bert = run(store)
    note = notes.add(store, bert, "try lr 3e-4", kind="next", now=MONDAY)
    (event,) = history.events(store, *ALWAYS, domain="runs", kind="note")
    assert (event.subject, event.at) == (str(bert), MONDAY)
    assert event.detail == {"note": note.id, "kind": "next", "name": "bert"}


def test_a_failed_insert_leaves_no_event(store: Store, monkeypatch: pytest.MonkeyPatch):
    bert = run(store)

    def broken(db, *args, **kwargs):
        raise sqlite3.IntegrityError("the history refused it")

    monkeypatch.setattr(history, "record", broken)
    with pytest.raises(sqlite3.IntegrityError):
        notes.add(store, bert, "lost together")
    assert notes.for_run(store, bert) == []


def test_limits_empty_too_long_unknown_kind_unknown_run(store: Store):
    bert = run(store)
    with pytest.raises(notes.NoteError, match="needs some text"):
        notes.add(store, bert, "  \n ")
    with pytest.raises(notes.NoteError, match="at most 2000 characters; this one has 2001"):
        notes.add(store, bert, "x" * 2001)
    assert notes.add(store, bert, "x" * 2000).text == "x" * 2000
    with pytest.raises(notes.NoteError, match="unknown note kind"):
        notes.add(store, bert, "text", kind="todo")
    with pytest.raises(notes.NoteError, match="no run 999"):
        notes.add(store, 999, "text")
    assert len(notes.for_run(store, bert)) == 1
    assert len(history.events(store, *ALWAYS, domain="runs", kind="note")) == 1


def test_text_is_stored_as_given_and_shown_only_as_safe_text(store: Store):
    bert = run(store)
    hostile = "[bold]x[/] [@click=app.quit]q[/] \x1b]0;title\x07 \u202eevil \x9b31m"
    note = notes.add(store, bert, hostile)
    assert notes.for_run(store, bert)[0].text == hostile
    shown = notes.line(note)
    assert "\x1b" not in shown and "\u202e" not in shown and "\x9b" not in shown
    assert "[@click=app.quit]" in shown  # kept as text: displays never parse it as markup
    # Bytes that are not UTF-8 (an argv in another encoding) are kept as visible escapes.
    assert notes.add(store, bert, "loss \udcff").text == "loss \\xff"


def test_parse_next_prefix():
    assert notes.parse("next: try lr 3e-4") == ("next", "try lr 3e-4")
    assert notes.parse("  Next :try a bigger batch ") == ("next", "try a bigger batch")
    assert notes.parse("NEXT:") == ("next", "")
    assert notes.parse("the next: step was slow") == ("note", "the next: step was slow")
    assert notes.parse("nextgen: works") == ("note", "nextgen: works")
    assert notes.parse(" what was learned ") == ("note", "what was learned")


def test_line_marks_next_notes_and_folds_lines(store: Store):
    bert = run(store)
    assert notes.line(notes.add(store, bert, "try\nlr 3e-4", kind="next")) == "→ next: try lr 3e-4"
    assert notes.line(notes.add(store, bert, "learned")) == "learned"


def test_notes_go_with_a_deleted_run(store: Store):
    bert = run(store)
    notes.add(store, bert, "gone with the run")
    with store.transaction() as db:
        db.execute("DELETE FROM runs WHERE id = ?", (bert,))
    assert store.query("SELECT count(*) FROM run_notes")[0][0] == 0


def test_find_names_a_run_by_id_path_or_name(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    older = run(store, "bert", str(tmp_path / "a.log"))
    newer = run(store, "bert", str(tmp_path / "b.log"))
    assert registry.find(store, str(older)).id == older
    assert registry.find(store, f"#{newer}").id == newer
    assert registry.find(store, "a.log").id == older  # relative to the working directory
    assert registry.find(store, "bert").id == newer  # the newest of that name
    registry.hide(store, newer)
    assert registry.find(store, "bert").id == older  # the one on the dashboard
    assert registry.find(store, "nope") is None
    assert registry.find(store, "99999999999999999999999") is None  # past SQLite's integers
    assert registry.find(store, "²") is None  # a digit, but not an ASCII one
