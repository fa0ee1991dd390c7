"""The dashboard's plan follows the run: re-planned when the ETA moves, not as it counts down."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from tests.test_planner_store import seed_day
from waitbuddy.config import Config
from waitbuddy.planner import accept, timers
from waitbuddy.planner.follow import Follower
from waitbuddy.runs import registry
from waitbuddy.runs.snapshot import RunSnapshot
from waitbuddy.store import Store
from waitbuddy.text import safe_line


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def eta(store: Store, name: str, seconds: float, status: str = "running") -> int:
    """A watcher saving the run's state now (its saved_at is the real time)."""
    record = registry.ensure_run(store, f"/runs/{name}.log", name=name)
    registry.save_state(store, record.id, RunSnapshot(f"/runs/{name}.log", name, status, eta_seconds=seconds))
    return record.id


@pytest.fixture
def day(store: Store) -> Store:
    seed_day(store)
    return store


def test_the_countdown_is_not_a_move_but_a_moved_eta_is(day: Store) -> None:
    clock = Clock()
    follower = Follower(day, Config(), clock=clock)
    eta(day, "bert-base", 40 * 60)
    first = follower.step()
    assert first.minutes in (39, 40) and first.wait.name == "bert-base" and first.plan.picks
    clock.now += 120  # two minutes on: the ETA counted down with the clock
    later = follower.step()
    assert later.minutes in (37, 38) and later.plan is first.plan and later.news == ""
    eta(day, "bert-base", 60 * 60)  # the run slowed: an hour from now, not ~38 minutes
    clock.now = time.time() + 120
    moved = follower.step()
    assert moved.minutes in (57, 58, 59, 60) and moved.plan is not first.plan
    assert moved.news == "ETA moved, planned again"
    assert moved.plan.planned <= moved.minutes


def test_a_run_that_finishes_early_says_what_is_left_of_the_item(day: Store) -> None:
    clock = Clock()
    follower = Follower(day, Config(), clock=clock)
    run_id = eta(day, "bert-base", 30 * 60)
    view = follower.step()
    reading = next(pick.candidate for pick in view.plan.picks if pick.candidate.kind == "reading")
    accept.accept(day, reading, now=datetime.fromtimestamp(clock.now, UTC))
    follower.changed()
    assert follower.step().timer.key == reading.key
    registry.save_state(day, run_id, RunSnapshot("/runs/bert-base.log", "bert-base", "completed"))
    clock.now += 4 * 60
    ended = follower.step()
    assert ended.news == f'bert-base completed: {reading.minutes - 4} min left on your reading "{safe_line(reading.title, limit=30)}"'
    assert ended.timer is None and ended.minutes is None and ended.plan.picks == ()
    row = day.query("SELECT outcome, minutes FROM plan_timers")[0]
    assert row["outcome"] == "run-ended" and row["minutes"] == pytest.approx(4, abs=0.05)
    clock.now += 61
    assert follower.step().news == ""  # news stays a minute


def test_the_persons_minutes_win_and_run_out(day: Store) -> None:
    clock = Clock()
    follower = Follower(day, Config(), clock=clock)
    eta(day, "bert-base", 40 * 60)
    follower.set_minutes(15)
    view = follower.step()
    assert view.minutes == 14 or view.minutes == 15
    assert view.wait is None and view.plan.planned <= 15
    clock.now += 15 * 60 + 1
    over = follower.step()
    assert over.news == "your time is up" and over.wait is not None and over.deadline is None
    follower.set_minutes(0)
    assert follower.step().wait is not None


def test_skipping_takes_a_suggestion_out_until_replanned(day: Store) -> None:
    clock = Clock()
    follower = Follower(day, Config(), clock=clock)
    follower.set_minutes(45)
    first = follower.step().plan.picks[0].candidate
    follower.skip(first.key)
    assert first.key not in {pick.candidate.key for pick in follower.step().plan.picks}
    follower.replan()
    assert first.key in {pick.candidate.key for pick in follower.step().plan.picks}


def test_finishing_in_the_items_own_area_is_noticed(day: Store) -> None:
    from waitbuddy.checklists import library

    clock = Clock()
    follower = Follower(day, Config(), clock=clock)
    follower.set_minutes(60)
    view = follower.step()
    item = next(c for c in (pick.candidate for pick in view.plan.picks) if c.kind == "checklist") \
        if any(p.candidate.kind == "checklist" for p in view.plan.picks) else None
    if item is None:  # the plan did not hold one: take any due checklist item
        from waitbuddy.planner import outlook

        item = next(c for c in outlook.gather(day, Config(), now=datetime.now(UTC)).candidates if c.kind == "checklist")
    accept.accept(day, item, now=datetime.fromtimestamp(clock.now, UTC))
    library.complete(day, int(item.ref), now=datetime.fromtimestamp(clock.now + 300, UTC))
    clock.now += 400
    view = follower.step()
    assert view.timer is None and view.news.startswith("checklist item") and view.news.endswith("done in 5 min")
    assert timers.active(day) is None
