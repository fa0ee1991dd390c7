"""Experiment notes on runs (issue 15): the store round trip, the history event, `waitbuddy note`
and the notes in `waitbuddy runs`."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from waitbuddy import history
from waitbuddy.cli import main
from waitbuddy.runs import notes, registry
from waitbuddy.store import Store

from .conftest import run_cli

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


# -- the command line ------------------------------------------------------------------------------


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The CLI's data dir, with two runs named bert (the newer is #2) and a gpt run (#3)."""
    folder = tmp_path / "data"
    monkeypatch.setenv("WAITBUDDY_DATA_DIR", str(folder))
    with Store.open(folder / "waitbuddy.db") as opened:
        run(opened, "bert", str(tmp_path / "bert-1.log"))
        run(opened, "bert", str(tmp_path / "bert-2.log"))
        run(opened, "gpt", str(tmp_path / "gpt.log"))
    return folder


def stored(data: Path, run_id: int) -> list[notes.Note]:
    with Store.open(data / "waitbuddy.db") as opened:
        return notes.for_run(opened, run_id)


def test_note_adds_lists_and_deletes(data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    assert main(["note", "bert", "Does", "warmup", "matter?"]) == 0
    assert capsys.readouterr().out == "added note 1 to bert (#2): Does warmup matter?\n"
    assert main(["note", "2", "next: try lr 3e-4"]) == 0
    assert "added note 2 to bert (#2): → next: try lr 3e-4" in capsys.readouterr().out
    assert main(["note", str(tmp_path / "bert-2.log"), "--next", "a", "bigger", "batch"]) == 0
    capsys.readouterr()
    assert [(note.kind, note.text) for note in stored(data, 2)] == [
        ("note", "Does warmup matter?"), ("next", "try lr 3e-4"), ("next", "a bigger batch")]
    assert stored(data, 1) == []  # the older bert has none

    assert main(["note", "bert"]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert listing[0] == f"bert (#2)  {tmp_path / 'bert-2.log'}"
    assert [line.split(None, 3)[0] for line in listing[1:]] == ["1", "2", "3"]
    assert listing[2].endswith("→ next: try lr 3e-4") and listing[1].endswith("  Does warmup matter?")

    assert main(["note", "bert", "--json"]) == 0
    exported = json.loads(capsys.readouterr().out)
    assert [(note["id"], note["kind"], note["text"], note["run_id"]) for note in exported] == [
        (1, "note", "Does warmup matter?", 2), (2, "next", "try lr 3e-4", 2), (3, "next", "a bigger batch", 2)]
    assert all(note["at"].endswith("Z") for note in exported)

    assert main(["note", "gpt", "--delete", "1"]) == 1  # not gpt's note: left alone
    assert "gpt (#3) has no note 1" in capsys.readouterr().err
    assert main(["note", "bert", "--delete", "1"]) == 0
    assert capsys.readouterr().out == "deleted note 1 of bert (#2)\n"
    assert [note.id for note in stored(data, 2)] == [2, 3]


def test_note_json_when_adding_and_an_empty_listing(data: Path, capsys: pytest.CaptureFixture[str]):
    assert main(["note", "gpt", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["note", "gpt"]) == 0
    assert "no notes on gpt (#3) yet" in capsys.readouterr().err
    assert main(["note", "#3", "--json", "baseline"]) == 0
    added = json.loads(capsys.readouterr().out)
    assert {key: added[key] for key in ("id", "kind", "text", "run_id")} == {
        "id": 1, "kind": "note", "text": "baseline", "run_id": 3}


def test_note_errors_say_why_with_the_house_exit_statuses(data: Path, capsys: pytest.CaptureFixture[str]):
    assert main(["note", "nope", "text"]) == 1
    assert "no run nope" in capsys.readouterr().err
    assert main(["note", "gpt", "x" * 2001]) == 2
    assert "at most 2000 characters" in capsys.readouterr().err
    assert main(["note", "gpt", "next:"]) == 2
    assert "needs some text" in capsys.readouterr().err
    assert main(["note", "gpt", "--delete", "1", "text"]) == 2
    assert "--delete takes no TEXT" in capsys.readouterr().err
    with pytest.raises(SystemExit) as refused:  # a mistyped option never becomes part of a note
        main(["note", "gpt", "--next", "try", "--jsn", "this"])
    assert refused.value.code == 2 and "unrecognized arguments: --jsn" in capsys.readouterr().err
    assert stored(data, 3) == []


def test_note_on_a_fresh_machine_is_an_unknown_run_and_creates_no_database(tmp_path: Path):
    result = run_cli("note", "bert", "text", env={"WAITBUDDY_DATA_DIR": str(tmp_path / "fresh")})
    assert result.returncode == 1 and "no run bert" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "fresh" / "waitbuddy.db").exists()


def test_runs_lists_the_latest_notes_under_each_run_and_exports_them_all(data: Path, capsys):
    for text in ("question", "learned", "next: try lr 3e-4"):
        assert main(["note", "2", text]) == 0
    assert main(["note", "gpt", "hostile [bold]\x1b[31mred\u202e"]) == 0
    capsys.readouterr()

    assert main(["runs", "--json"]) == 0
    items = {item["id"]: item for item in map(json.loads, capsys.readouterr().out.splitlines())}
    assert [(note["kind"], note["text"]) for note in items[2]["notes"]] == [
        ("note", "question"), ("note", "learned"), ("next", "try lr 3e-4")]
    assert set(items[2]["notes"][0]) == {"id", "at", "kind", "text"}
    assert items[1]["notes"] == [] and items[3]["notes"][0]["text"] == "hostile [bold]\x1b[31mred\u202e"

    assert main(["runs"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\u202e" not in out
    lines = out.splitlines()
    bert = next(index for index, line in enumerate(lines) if "bert" in line)  # the newest bert is listed first
    assert lines[bert + 1].startswith("    ") and lines[bert + 1].endswith("  learned")
    assert lines[bert + 2].endswith("  → next: try lr 3e-4")
    assert lines[bert + 3] == "    … 1 earlier: waitbuddy note 2"
    assert not lines[bert + 4].startswith("    ")  # the older bert's row, with no notes
