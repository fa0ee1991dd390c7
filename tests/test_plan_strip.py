"""The plan strip as a person meets it: it shows what fits in the run's ETA, follows the ETA
when it moves, accepts (the timer starts, the link opens), skips, takes the person's own minutes
and records the minutes when done. A real store and a real log the dashboard's watcher reads."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.test_planner_store import seed_day
from waitbuddy import config
from waitbuddy.planner import timers
from waitbuddy.runs import registry
from waitbuddy.store import Store
from waitbuddy.tui.app import WaitBuddy
from waitbuddy.tui.screens.link import LinkScreen
from waitbuddy.tui.screens.prompt import Prompt
from waitbuddy.tui.widgets.plan_strip import PlanStrip


def bar(done: int, elapsed: str, left: str) -> str:
    return f"\rtrain:  {done // 10:2d}%|###       | {done}/1000 [{elapsed}<{left}, 0.50it/s, loss=0.42]"


@pytest.fixture
def db(tmp_path: Path):
    with Store.open(tmp_path / "data" / "waitbuddy.db") as store:
        seed_day(store)
        yield store


async def wait_for(pilot, condition, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out on line {condition.__code__.co_firstlineno}"
        await pilot.pause(0.05)


def text(strip: PlanStrip) -> str:
    return strip.render().plain


async def step(pilot, strip: PlanStrip, condition) -> None:
    """Ask for a step now (the strip steps every 15 s on its own) until ``condition``."""
    deadline = time.monotonic() + 15
    while not condition():
        assert time.monotonic() < deadline, f"timed out on line {condition.__code__.co_firstlineno}"
        strip._refresher.now()
        await pilot.pause(0.1)


async def test_the_strip_follows_the_run_and_accepting_starts_the_timer(db: Store, tmp_path: Path) -> None:
    log = tmp_path / "train.log"
    log.write_text("Epoch 1/1\n" + bar(300, "10:00", "23:20"))
    registry.add_watch(db, str(log))
    registry.ensure_run(db, str(log), name="bert-base")
    app = WaitBuddy(config=config.parse('[backlog]\nfetch = "off"\n'), store=db)
    async with app.run_test(size=(100, 30)) as pilot:
        strip = app.screen.query_one(PlanStrip)
        await step(pilot, strip, lambda: "until bert-base" in text(strip))
        assert text(strip).startswith("p ~2")  # its key, then ~22 or ~23 min
        first = strip.current()
        assert first is not None and first.minutes <= strip.view.minutes

        # The run slows down (20 minutes for one step): its ETA moves by ~45 minutes, the plan follows.
        with log.open("a") as handle:
            handle.write(bar(301, "30:00", "69:40"))
        await step(pilot, strip, lambda: strip.view.minutes is not None and strip.view.minutes > 45)
        assert strip.view.news == "ETA moved, planned again"
        assert text(strip).startswith("p ETA moved, planned again · ~6")
        assert strip.view.plan.planned <= strip.view.minutes

        await pilot.press("p")
        assert strip.has_focus and "▸" in text(strip)
        skipped = strip.current()
        await pilot.press("s")
        await step(pilot, strip, lambda: strip.current() != skipped)
        chosen = strip.current()
        await pilot.press("enter")
        await wait_for(pilot, lambda: timers.active(db) is not None)
        assert timers.active(db).key == chosen.key
        if chosen.kind != "checklist":  # no browser here: the link is shown to click or copy
            await wait_for(pilot, lambda: isinstance(app.screen, LinkScreen))
            await pilot.press("escape")
        await step(pilot, strip, lambda: strip.view.timer is not None)
        assert "⏱" in text(strip)
        assert chosen.key not in {pick.candidate.key for pick in strip.view.plan.picks}

        strip.focus()
        await pilot.press("f")
        await wait_for(pilot, lambda: timers.active(db) is None)
        done = db.query("SELECT outcome FROM plan_timers")[0][0]
        assert done == "done"
        await step(pilot, strip, lambda: strip.view.timer is None)


async def test_the_persons_minutes_replace_the_eta(db: Store) -> None:
    app = WaitBuddy(config=config.parse('[backlog]\nfetch = "off"\n'), store=db)
    async with app.run_test(size=(80, 24)) as pilot:
        strip = app.screen.query_one(PlanStrip)
        await step(pilot, strip, lambda: strip.view is not None)
        assert text(strip) == "p no run with an ETA: t to say how long you have"
        await pilot.press("t")
        assert isinstance(app.screen, Prompt)
        await pilot.press("4", "5", "enter")
        await step(pilot, strip, lambda: strip.view.minutes in (44, 45))
        assert text(strip).startswith("p 4") and "(your timer)" in text(strip)
        assert 0 < strip.view.plan.planned <= 45
        await pilot.press("t")
        await pilot.press("x", "enter")
        assert strip.view.minutes in (44, 45)  # not a number: said, nothing changed
        await pilot.press("t")
        await pilot.press("0", "enter")
        await step(pilot, strip, lambda: strip.view.minutes is None)


async def test_titles_in_the_strip_stay_plain_text(db: Store) -> None:
    from waitbuddy.reading import backlog
    from waitbuddy.reading.model import PageInfo

    item, _ = backlog.add_url(db, "https://evil.example.org/x", priority=3)
    backlog.record_fetch(db, item.id, PageInfo(title="[bold]x[/] [@click=app.quit]q[/] \x1b]52;c;AAAA\x07", words=500),
                         final=True, words_per_minute=200)
    app = WaitBuddy(config=config.parse('[backlog]\nfetch = "off"\n[planner]\npractice = 0\nchecklist = 0\npaper = 0\n'),
                    store=db)
    async with app.run_test(size=(120, 24)) as pilot:
        strip = app.screen.query_one(PlanStrip)
        strip.set_minutes(30)
        await step(pilot, strip, lambda: strip.view is not None and strip.view.plan.picks)
        shown = text(strip)
        assert "[bold]x[/] [@click=app.quit]q[/]" in shown and "\x1b" not in shown and "\x07" not in shown
        assert app.is_running
