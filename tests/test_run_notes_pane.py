"""`n` on a run, in the Runs area and in the run view: the note is asked for, written off the UI
thread, said in a toast, and shown in the run view (issue 15)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from textual.widgets import Input, Log, Static

from waitbuddy.runs import notes, registry
from waitbuddy.store import Store
from waitbuddy.tui.screens.run_detail import RunScreen

from .test_run_view import make_app, open_run
from .test_runs_pane import rows, wait_for


def shown_notes(app) -> str:
    box = app.screen.query_one("#run-notes", Static)
    return str(box.content) if box.display else ""


def toasts(app) -> list[str]:
    return [str(toast.message) for toast in app._notifications]


async def answer(pilot, app, text: str) -> None:
    await wait_for(pilot, lambda: bool(app.screen.query(Input)))
    app.screen.query_one(Input).value = text
    await pilot.press("enter")


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "train.log"
    path.write_text("".join(f"step {n}/100 loss={1 / n:.3f}\n" for n in range(1, 31)))
    return path


async def test_n_in_the_runs_area_adds_a_note_that_the_run_view_shows(store: Store, log: Path):
    run_id = registry.ensure_run(store, str(log), name="bert").id
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: bool(rows(app)))
        await pilot.press("1", "n")
        await answer(pilot, app, "Does warmup matter at this batch size?")
        await wait_for(pilot, lambda: bool(notes.for_run(store, run_id)))
        await wait_for(pilot, lambda: "note added on bert" in toasts(app))
        (note,) = notes.for_run(store, run_id)
        assert (note.kind, note.text) == ("note", "Does warmup matter at this batch size?")

        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen))
        await wait_for(pilot, lambda: "Does warmup matter at this batch size?" in shown_notes(app))
        assert "note: Does warmup" in shown_notes(app)


async def test_n_in_the_run_view_adds_a_next_note_shown_at_once_newest_last(store: Store, log: Path):
    run_id = registry.ensure_run(store, str(log), name="bert").id
    notes.add(store, run_id, "the question", now=datetime.now(UTC) - timedelta(hours=1))
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_run(pilot, app)
        await wait_for(pilot, lambda: "the question" in shown_notes(app))
        await pilot.press("n")
        await answer(pilot, app, "next: try lr 3e-4")
        await wait_for(pilot, lambda: "try lr 3e-4" in shown_notes(app))
        first, last = shown_notes(app).splitlines()
        assert "note: the question" in first and last.endswith("→ next: try lr 3e-4")
        assert [(note.kind, note.text) for note in notes.for_run(store, run_id)] == [
            ("note", "the question"), ("next", "try lr 3e-4")]
        assert "next experiment noted on bert" in toasts(app)


async def test_many_notes_keep_the_80x24_view_sane_and_hostile_text_stays_text(store: Store, log: Path):
    run_id = registry.ensure_run(store, str(log), name="bert").id
    start = datetime.now(UTC) - timedelta(hours=2)
    for minute in range(6):
        notes.add(store, run_id, f"note {minute} " + "long words " * 20, now=start + timedelta(minutes=minute))
    notes.add(store, run_id, "[@click=app.quit]q[/] [bold]x\x1b[31m\u202e", now=start + timedelta(minutes=9))
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_run(pilot, app)
        await wait_for(pilot, lambda: "[@click=app.quit]" in shown_notes(app))
        await pilot.pause(0.2)
        text = shown_notes(app)
        assert text.splitlines()[0] == f"… 5 earlier notes (waitbuddy note {run_id})"
        assert "\x1b" not in text and "\u202e" not in text and "[bold]x" in text
        box = screen.query_one("#run-notes")
        assert box.region.height == 3  # NOTE_ROWS: long notes are cut at the edge, never wrapped
        assert screen.query_one("#run-log", Log).region.height >= 5  # the log keeps room for lines
        await pilot.click("#run-notes")  # a click on the would-be link does nothing
        assert app.is_running and isinstance(app.screen, RunScreen)


async def test_an_empty_or_too_long_note_is_refused_with_a_reason(store: Store, log: Path):
    run_id = registry.ensure_run(store, str(log), name="bert").id
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_run(pilot, app)
        assert not app.screen.query_one("#run-notes").display  # no notes: no room taken
        await pilot.press("n")
        await answer(pilot, app, "x" * 2001)
        await wait_for(pilot, lambda: any("note not added: a note is at most 2000" in toast for toast in toasts(app)))
        await pilot.press("n")
        await answer(pilot, app, "next:")
        await wait_for(pilot, lambda: any("needs some text" in toast for toast in toasts(app)))
        assert notes.for_run(store, run_id) == []


async def test_a_note_added_from_another_process_shows_in_the_open_run_view(store: Store, log: Path):
    run_id = registry.ensure_run(store, str(log), name="bert").id
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_run(pilot, app)
        # The app looks at the database's version every few seconds: once it has a first look, a
        # commit from another connection is news.
        await wait_for(pilot, lambda: app._data_version is not None, timeout=15)
        with Store.open(store.path) as other:  # another connection: as `waitbuddy note` would write
            notes.add(other, run_id, "from the command line")
        await wait_for(pilot, lambda: "from the command line" in shown_notes(app), timeout=15)
