"""The Checklists pane as a person meets it: lists with what is due first, ticking an item done
(seen by the command line too) and undoing it, snooze, add, edit, the due/all view, and titles
that stay plain text. A real store in tmp_path; the store work runs on the pane's own thread."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from waitbuddy import config
from waitbuddy.checklists import library
from waitbuddy.store import Store
from waitbuddy.tui.app import WaitBuddy
from waitbuddy.tui.screens.prompt import Prompt
from waitbuddy.tui.widgets.checklists_pane import ChecklistsArea, Header
from waitbuddy.tui.widgets.line_list import LineList

HOSTILE = "[bold]x [/] [@click=app.quit]quit[/] \x1b]52;c;cm0gLXJmIH4=\x07 tail"
TOML = '[backlog]\nfetch = "off"\n[checklist_settings]\ntimezone = "UTC"\n'


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The store where the command line finds it too (XDG_DATA_HOME)."""
    from waitbuddy.paths import resolve

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    path = resolve().database
    path.parent.mkdir(parents=True, exist_ok=True)
    with Store.open(path) as opened:
        yield opened


def make_app(store: Store, toml: str = TOML) -> WaitBuddy:
    return WaitBuddy(config=config.parse(toml), store=store)


async def wait_for(pilot, condition: Callable[[], object], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out on line {condition.__code__.co_firstlineno}"
        await pilot.pause(0.02)


async def open_checklists(app: WaitBuddy, pilot) -> ChecklistsArea:
    await pilot.press("5")
    area = app.screen.query_one(ChecklistsArea)
    await wait_for(pilot, lambda: area.loaded)
    await pilot.pause()
    area.query_one(LineList).focus()
    await pilot.pause()
    return area


async def settle(pilot, area: ChecklistsArea, condition: Callable[[], object]) -> None:
    await wait_for(pilot, condition)
    await pilot.pause()


def rows(area: ChecklistsArea) -> list[str]:
    lines = area.query_one(LineList)
    return [lines.render_line(y).text for y in range(min(lines.count, lines.size.height))]


def item_titles(area: ChecklistsArea) -> list[str]:
    return [row.title for row in area.rows if not isinstance(row, Header)]


def status(area: ChecklistsArea) -> str:
    return str(area.query_one("#checklists-status").render())


def cursor_to(area: ChecklistsArea, title: str) -> None:
    index = next(i for i, row in enumerate(area.rows) if not isinstance(row, Header) and row.title == title)
    area.query_one(LineList)._move_to(index)


async def test_lists_show_groups_and_due_items(db: Store):
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        area = await open_checklists(app, pilot)
        shown = rows(area)
        assert shown[0].startswith("Profile") and "8 due" in shown[0]
        assert any(line.startswith("Community") for line in shown)
        assert "○ LinkedIn: a current, clear profile photo" in shown[1]
        assert "~10 min · quarterly · last done never" in shown[1]
        minutes = sum(item.minutes for item in area.items if item.due)
        assert f"{sum(item.due for item in area.items)} due · {minutes} min" in status(area)
        assert area.query_one(LineList).cursor == 1  # on the first item, not its header


async def test_space_ticks_done_the_cli_sees_it_and_u_undoes(db: Store, capfd):
    from waitbuddy import cli

    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        area = await open_checklists(app, pilot)
        first = area.current()
        assert first is not None and first.due
        await pilot.press("space")
        await settle(pilot, area, lambda: not area.current().due)
        assert area.current().id == first.id  # stays in the due view, ticked, after what is due
        line = next(line for line in rows(area) if first.title in line)
        assert "✓ LinkedIn: a current, clear profile photo" in line and "last done today" in line
        assert rows(area).index(line) > 1
        assert cli.main(["checklists", "--json"]) == 0
        seen = {entry["id"]: entry for entry in map(json.loads, capfd.readouterr().out.splitlines())}
        assert seen[first.id]["state"] == "done" and seen[first.id]["done_count"] == 1

        await pilot.press("u")
        await settle(pilot, area, lambda: area.current().due)
        assert library.get(db, first.id).completions == ()

        await pilot.press("enter")  # enter ticks too; again takes the tick back
        await settle(pilot, area, lambda: not area.current().due)
        await pilot.press("enter")
        await settle(pilot, area, lambda: area.current().due)
        assert library.get(db, first.id).completions == ()


async def test_snooze_hides_an_item_from_the_due_view(db: Store):
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        area = await open_checklists(app, pilot)
        first = area.current()
        await pilot.press("s")
        assert isinstance(app.screen, Prompt)
        await pilot.press("backspace", "3", "enter")
        await settle(pilot, area, lambda: first.title not in item_titles(area))
        assert library.get(db, first.id).snoozed_until is not None
        await pilot.press("v")  # every item: there, marked snoozed
        await pilot.pause()
        line = next(line for line in rows(area) if first.title in line)
        assert "z " in line and "snoozed 3d" in line
        await pilot.press("v")
        await pilot.pause()
        assert first.title not in item_titles(area)


async def test_add_creates_an_item_and_e_edits_it(db: Store):
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        area = await open_checklists(app, pilot)
        await pilot.press("a")
        assert isinstance(app.screen, Prompt)
        await pilot.press(*"Research: Skim the new papers", "enter")
        await settle(pilot, area, lambda: "Skim the new papers" in item_titles(area))
        added = next(item for item in library.items(db) if item.title == "Skim the new papers")
        assert added.list_name == "Research" and added.due
        assert any(line.startswith("Research") for line in rows(area))
        cursor_to(area, "Skim the new papers")
        await pilot.press("e")
        await pilot.press("ctrl+u", *"Skim two papers", "enter")  # ctrl+u clears the field
        await settle(pilot, area, lambda: "Skim two papers" in item_titles(area))
        await pilot.press("u")
        await settle(pilot, area, lambda: "Skim the new papers" in item_titles(area))


async def test_hostile_titles_are_plain_text(db: Store):
    library.sync(db, config.parse(TOML))
    library.add(db, "Mine", HOSTILE, every="daily")
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        area = await open_checklists(app, pilot)
        await pilot.press("v")
        await pilot.pause()
        line = next(line for line in rows(area) if "[bold]" in line)
        assert "[bold]x [/] [@click=app.quit]quit[/]" in line
        assert "\x1b" not in line and "\x07" not in line
        cursor_to(area, library.items(db)[-1].title)
        await pilot.press("space", "e")
        assert isinstance(app.screen, Prompt)
        await pilot.press("escape")
        assert app.is_running  # [@click=app.quit] did nothing


async def test_reloads_when_another_process_changes_them(db: Store):
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        area = await open_checklists(app, pilot)
        first = area.current()
        library.complete(db, first.id)  # `waitbuddy checklists done` elsewhere
        app.store_changed_signal.publish(None)
        await settle(pilot, area, lambda: not any(item.id == first.id and item.due for item in area.items))


async def test_help_lists_the_checklists_keys(db: Store):
    from waitbuddy.tui.screens.help import HelpScreen

    app = make_app(db)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        ids = [str(row) for row in app.screen._table().columns[2]._cells]
        assert {"check-done", "check-snooze", "check-edit", "check-add", "check-undo", "check-view"} <= set(ids)
