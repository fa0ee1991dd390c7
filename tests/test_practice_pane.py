"""The Practice pane as a person meets it: the NeetCode 150 by category, done with a rating and
undo, start then done timing the attempt, the filter, the views, `n` and `x`, and a hostile title
from a custom list shown as plain text. A real Store in tmp_path; no network."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from waitbuddy import config
from waitbuddy.practice import progress
from waitbuddy.store import Store
from waitbuddy.tui.app import WaitBuddy
from waitbuddy.tui.screens.prompt import Prompt
from waitbuddy.tui.widgets.line_list import LineList
from waitbuddy.tui.widgets.practice_actions import parse_done
from waitbuddy.tui.widgets.practice_pane import PracticeArea
from waitbuddy.tui.widgets.practice_render import Header, Item

HOSTILE = "[bold]x [/] [@click=app.quit]quit[/] \x1b]52;c;cm0gLXJmIH4=\x07 tail"


def make_app(store: Store, toml: str = '[backlog]\nfetch = "off"\n') -> WaitBuddy:
    return WaitBuddy(config=config.parse(toml), store=store)


async def wait_for(pilot, condition: Callable[[], object], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out on line {condition.__code__.co_firstlineno}"
        await pilot.pause(0.05)


async def open_practice(app: WaitBuddy, pilot) -> PracticeArea:
    await pilot.press("4")
    area = app.screen.query_one(PracticeArea)
    await wait_for(pilot, lambda: area.loaded)
    await pilot.pause()
    return area


def rows(area: PracticeArea) -> list[str]:
    lines = area.query_one(LineList)
    return [lines.render_line(y).text for y in range(min(lines.count, lines.size.height))]


def status(area: PracticeArea) -> str:
    return str(area.query_one("#practice-status").render())


def slugs(area: PracticeArea) -> list[str]:
    return [row.problem.slug for row in area.shown if isinstance(row, Item)]


async def test_list_shows_categories_and_problems(store: Store):
    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        area = await open_practice(app, pilot)
        headers = [row for row in area.shown if isinstance(row, Header)]
        assert len(headers) == 18 and headers[0].category == "Arrays & Hashing" and headers[0].solved == 0
        assert len(slugs(area)) == 150
        first, second, *_ = rows(area)
        assert first.startswith("Arrays & Hashing") and "0/9" in first
        assert "Contains Duplicate" in second and "Easy" in second and "new" in second and "B75" in second
        assert "solved 0/150" in status(area) and "0 due today" in status(area) and "streak 0d" in status(area)
        assert isinstance(area.current(), Item)  # the cursor starts on a problem, not its header


async def test_done_with_a_rating_updates_status_and_undoes(store: Store):
    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        area = await open_practice(app, pilot)
        slug = area.current().problem.slug
        await pilot.press("d")
        assert isinstance(app.screen, Prompt)
        await pilot.press(*"good 20", "enter")
        await wait_for(pilot, lambda: slug in progress.states(store))
        await wait_for(pilot, lambda: area.current() is not None and area.current().status == "solved")
        [attempt] = progress.attempts(store, slug)
        assert (attempt.rating, attempt.minutes) == ("good", 20)
        assert "solved 1/150" in status(area) and "streak 1d" in status(area)
        assert " solved " in rows(area)[1] and "1/9" in rows(area)[0]
        await pilot.press("u")
        await wait_for(pilot, lambda: slug not in progress.states(store))
        await wait_for(pilot, lambda: area.current().status == "new")
        assert progress.attempts(store, slug) == []


async def test_start_then_done_records_the_minutes(store: Store):
    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        area = await open_practice(app, pilot)
        slug = area.current().problem.slug
        await pilot.press("s")
        await wait_for(pilot, lambda: slug in progress.states(store) and progress.states(store)[slug].started_at)
        # As if started 17 minutes ago.
        progress.undo(store, area.undo_stack[-1][1])
        progress.start(store, slug, now=progress.utc_now() - timedelta(minutes=17))
        await pilot.press("d", *"hard", "enter")
        await wait_for(pilot, lambda: progress.attempts(store, slug))
        [attempt] = progress.attempts(store, slug)
        assert attempt.rating == "hard" and attempt.minutes in (17, 18)
        await wait_for(pilot, lambda: area.current().status == "solved")


async def test_filter_narrows_and_escape_clears(store: Store):
    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        area = await open_practice(app, pilot)
        await pilot.press("slash", *"hard tree", "enter")
        shown = slugs(area)
        assert shown and len(shown) < 10
        assert all(row.problem.difficulty == "Hard" for row in area.shown if isinstance(row, Item))
        assert all("tree" in f"{row.problem.title} {row.problem.category}".lower()
                   for row in area.shown if isinstance(row, Item))
        await pilot.press("slash", "escape")
        assert len(slugs(area)) == 150
        await pilot.press("slash", *"blind75", "enter")
        assert len(slugs(area)) == 75
        await pilot.press("slash", "ctrl+u", *"due", "enter")
        assert slugs(area) == [] and not area.query_one(LineList).count


async def test_views_next_and_skip(store: Store):
    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        area = await open_practice(app, pilot)
        await pilot.press("v")
        assert slugs(area) == []  # nothing due
        await pilot.press("v")
        assert len(slugs(area)) == 75
        await pilot.press("v")
        await pilot.press("G")  # away from the top
        await pilot.press("n")  # no run: no limit; the first new problem of the weakest category
        await wait_for(pilot, lambda: area.current().problem.slug == "contains-duplicate")
        await pilot.press("x")  # skipped: `n` proposes the one after it
        await wait_for(pilot, lambda: area.current().problem.slug == "valid-anagram")
        assert "contains-duplicate" in area.skipped


async def test_hostile_custom_list_title_stays_plain_text(store: Store, tmp_path: Path):
    listed = tmp_path / "mine.toml"
    listed.write_text('title = "Mine"\n[[problems]]\nslug = "evil-problem"\ndifficulty = "Easy"\n'
                      'category = "[red]Cat[/]"\ntitle = "' + HOSTILE.replace("\x1b", "\\u001b").replace("\x07", "\\u0007")
                      + '"\n', encoding="utf-8")
    app = make_app(store, f'[backlog]\nfetch = "off"\n[practice]\nlists = ["{listed}"]\n')
    async with app.run_test(size=(120, 30)) as pilot:
        area = await open_practice(app, pilot)
        await pilot.press("slash", *"evil", "enter")
        assert slugs(area) == ["evil-problem"]
        header, row = rows(area)[:2]
        assert header.startswith("[red]Cat[/]")
        assert "[bold]x [/] [@click=app.quit]quit[/]" in row and "\x1b" not in row and "\x07" not in row
        assert app.is_running  # nothing was run as an action


@pytest.mark.parametrize(("answer", "expected"), [("good", ("good", None)), ("g 25", ("good", 25)),
                                                  ("AGAIN 40", ("again", 40)), ("e", ("easy", None))])
def test_parse_done(answer, expected):
    assert parse_done(answer) == expected


@pytest.mark.parametrize("answer", ["", "great", "good twenty", "good 5 more", "good 99999"])
def test_parse_done_refuses(answer):
    with pytest.raises(ValueError):
        parse_done(answer)


async def test_the_daily_question_shows_when_leetcode_answers(store: Store, monkeypatch):
    from tests.test_practice_daily import Server
    from waitbuddy.practice import daily

    served = Server()
    monkeypatch.setattr(daily, "ENDPOINT", served.url)
    try:
        app = make_app(store)
        async with app.run_test(size=(120, 30)) as pilot:
            area = await open_practice(app, pilot)
            await wait_for(pilot, lambda: area.daily is not None)
            assert "daily Two Sum [bold]x" in status(area) and "(Easy)" in status(area)
            assert len(served.posts) == 1
    finally:
        served.close()


async def test_no_daily_question_is_silent(store: Store):
    app = make_app(store)  # conftest: nobody listens where it asks
    async with app.run_test(size=(100, 30)) as pilot:
        area = await open_practice(app, pilot)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert area.daily is None and "daily" not in status(area)
