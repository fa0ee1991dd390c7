"""The planner against a real store: the wait from saved run state, candidates from every domain,
timers and the pace they teach, and `waitbuddy plan`."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from waitbuddy import history
from waitbuddy.cli import main
from waitbuddy.config import Config, PlannerConfig
from waitbuddy.feeds import library as feeds
from waitbuddy.feeds.model import FeedItem
from waitbuddy.planner import outlook, timers
from waitbuddy.planner.model import Candidate
from waitbuddy.planner.wait import next_finish
from waitbuddy.practice import progress
from waitbuddy.reading import backlog
from waitbuddy.reading.model import PageInfo
from waitbuddy.runs import registry
from waitbuddy.runs.snapshot import RunSnapshot
from waitbuddy.store import Store

NOW = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)


def running(store: Store, name: str, eta: float, status: str = "running") -> int:
    record = registry.ensure_run(store, f"/runs/{name}.log", name=name)
    registry.save_state(store, record.id, RunSnapshot(f"/runs/{name}.log", name, status, eta_seconds=eta))
    return record.id


def reading_item(store: Store, url: str, words: int, *, saved: datetime, priority: int = 0) -> int:
    item, _ = backlog.add_url(store, url, priority=priority, now=saved)
    backlog.record_fetch(store, item.id, PageInfo(title=f"Title of {url}", words=words), final=True,
                         words_per_minute=200, now=saved)
    return item.id


def seed_day(store: Store) -> dict[str, object]:
    """One of everything a plan can hold."""
    old = reading_item(store, "https://blog.example.org/scaling", 2400, saved=NOW - timedelta(days=41))
    reading_item(store, "https://blog.example.org/long", 40_000, saved=NOW - timedelta(days=3))
    source, _ = feeds.add_source(store, "https://feeds.example.org/ml.xml", now=NOW)
    feeds.store_items(store, source.id, [FeedItem("g1", "LoRA for tiny models", link="https://example.org/lora",
                                                  summary="We study LoRA adapters. " * 20, published=NOW)], NOW)
    progress.record_attempt(store, "two-sum-ii-input-array-is-sorted", "again", 20, now=NOW - timedelta(days=3))
    return {"old": old}


def test_the_wait_is_the_soonest_finishing_running_job(store: Store) -> None:
    assert next_finish(store, time.time()) is None
    running(store, "bert-base", 1800)
    running(store, "gpt-small", 600)
    running(store, "done", 60, status="completed")
    wait = next_finish(store, time.time())
    assert wait is not None and wait.name == "gpt-small" and wait.minutes in (9, 10)
    assert next_finish(store, time.time() + 700).name == "bert-base"
    assert next_finish(store, time.time() + 4000) is None


def test_candidates_come_from_every_domain_with_estimates_and_reasons(store: Store) -> None:
    seeded = seed_day(store)
    found = outlook.gather(store, Config(), now=NOW)
    assert found.problems == ()
    by_kind: dict[str, list[Candidate]] = {}
    for candidate in found.candidates:
        by_kind.setdefault(candidate.kind, []).append(candidate)
    assert set(by_kind) == {"reading", "paper", "practice", "checklist"}
    scaling = next(c for c in by_kind["reading"] if c.ref == str(seeded["old"]))
    assert (scaling.minutes, scaling.reason, scaling.url) == (12, "saved 41 days ago", "https://blog.example.org/scaling")
    review = next(c for c in by_kind["practice"] if c.reason == "due review")
    assert review.ref == "two-sum-ii-input-array-is-sorted" and review.detail == "Medium" and review.score > 0.8
    assert {c.reason.split(" in ")[0] for c in by_kind["practice"] if c is not review} == {"new"}
    paper = by_kind["paper"][0]
    assert paper.title == "LoRA for tiny models" and 5 < paper.minutes < 15
    assert all(c.minutes > 0 and c.reason for c in found.candidates)
    # the item being timed is not suggested again
    again = outlook.gather(store, Config(), now=NOW, exclude=[scaling.key])
    assert scaling.key not in {c.key for c in again.candidates}


def test_interests_explain_a_paper(store: Store) -> None:
    seed_day(store)
    config = Config(feed_settings=Config().feed_settings.__class__(interests=("LoRA",)))
    paper = next(c for c in outlook.gather(store, config, now=NOW).candidates if c.kind == "paper")
    assert paper.reason == "matches LoRA"


def test_a_broken_problem_list_costs_its_candidates_not_the_plan(store: Store, tmp_path) -> None:
    seed_day(store)
    broken = tmp_path / "mine.toml"
    broken.write_text("[[problems]]\nslug = 3\n")
    config = Config(practice=Config().practice.__class__(lists=(str(broken),)))
    found = outlook.gather(store, config, now=NOW)
    assert found.problems and found.problems[0].startswith("practice:")
    assert {c.kind for c in found.candidates} == {"reading", "paper", "checklist"}


def test_outlook_plans_the_run_eta_less_the_margin(store: Store) -> None:
    seed_day(store)
    running(store, "bert-base", 23 * 60 + 30)
    found = outlook.outlook(store, Config(), now=datetime.now(UTC))
    assert found.minutes in (22, 23) and found.wait is not None and found.wait.name == "bert-base"
    assert 0 < found.plan.planned <= found.minutes - Config().planner.margin_minutes
    given = outlook.outlook(store, Config(), now=datetime.now(UTC), minutes=90)
    assert given.wait is None and given.minutes == 90 and given.plan.planned > found.plan.planned


def test_no_run_and_no_minutes_is_no_plan(store: Store) -> None:
    seed_day(store)
    found = outlook.outlook(store, Config(), now=NOW)
    assert found.minutes is None and found.plan.picks == ()


def test_left_out_kinds_stay_out(store: Store) -> None:
    seed_day(store)
    config = Config(planner=PlannerConfig(leave_out=("practice", "checklist"), max_items=10))
    found = outlook.outlook(store, config, now=NOW, minutes=120)
    assert found.plan.picks and {pick.candidate.kind for pick in found.plan.picks} <= {"reading", "paper"}


def test_a_kind_left_out_is_not_gathered(store: Store, tmp_path) -> None:
    seed_day(store)
    broken = tmp_path / "mine.toml"
    broken.write_text("[[problems]]\nslug = 3\n")
    config = Config(planner=PlannerConfig(leave_out=("paper", "practice")),
                    practice=Config().practice.__class__(lists=(str(broken),)))
    found = outlook.gather(store, config, now=NOW)
    assert {c.kind for c in found.candidates} == {"reading", "checklist"} and found.problems == ()


# -- timers and pace ---------------------------------------------------------------------------

def test_accepting_starts_a_timer_and_another_ends_it_as_replaced(store: Store) -> None:
    first = timers.start(store, Candidate("reading", "1", "A", 12, 0.5, "r"), now=NOW)
    assert timers.active(store) == first and first.elapsed(NOW + timedelta(minutes=5)) == 5
    second = timers.start(store, Candidate("practice", "two-sum", "Two Sum", 15, 0.5, "r"), now=NOW + timedelta(minutes=4))
    assert timers.active(store).id == second.id
    done = timers.finish(store, now=NOW + timedelta(minutes=20))
    assert done.outcome == "done" and done.minutes == pytest.approx(16)
    assert timers.active(store) is None and timers.finish(store) is None
    rows = store.query("SELECT ref, outcome, minutes FROM plan_timers ORDER BY id")
    assert [tuple(row) for row in rows] == [("1", "replaced", pytest.approx(4)), ("two-sum", "done", pytest.approx(16))]
    kinds = [event.kind for event in history.events(store, NOW - timedelta(days=1), NOW + timedelta(days=1),
                                                     domain="planner")]
    assert kinds == ["accepted", "accepted", "finished"]
    assert timers.recent_minutes(store, NOW + timedelta(minutes=20)) == {"reading": pytest.approx(4),
                                                                          "practice": pytest.approx(16)}


def test_reading_pace_is_learned_after_three_done_timers(store: Store) -> None:
    assert timers.pace(store).minutes("reading", 10) == (10, False)
    for index in range(3):
        start = NOW + timedelta(hours=index)
        timers.start(store, Candidate("reading", str(index), "x", 10, 0.5, "r"), now=start)
        # twice the estimate; the run ending does not teach (the item was maybe not finished)
        timers.finish(store, now=start + timedelta(minutes=20))
        if index == 1:
            timers.finish(store, now=start + timedelta(minutes=30))
    timers.start(store, Candidate("reading", "9", "x", 10, 0.5, "r"), now=NOW + timedelta(hours=5))
    timers.finish(store, outcome="run-ended", now=NOW + timedelta(hours=5, minutes=2))
    assert timers.pace(store).minutes("reading", 10) == (20, True)
    assert timers.pace(store).minutes("paper", 10) == (10, False)


def test_a_forgotten_timer_does_not_teach(store: Store) -> None:
    for index in range(3):
        timers.start(store, Candidate("reading", str(index), "x", 10, 0.5, "r"), now=NOW + timedelta(days=index))
        timers.finish(store, now=NOW + timedelta(days=index, hours=9))
    assert timers.pace(store).minutes("reading", 10) == (10, False)


def test_checklist_minutes_come_from_the_persons_times(store: Store) -> None:
    seed_day(store)
    item = next(c for c in outlook.gather(store, Config(), now=NOW).candidates
                if c.kind == "checklist" and c.minutes == 15)
    timers.start(store, item, now=NOW)
    timers.finish(store, now=NOW + timedelta(minutes=6))
    again = next(c for c in outlook.gather(store, Config(), now=NOW).candidates if c.key == item.key)
    assert (again.minutes, again.pace) == (6, True)


# -- waitbuddy plan ------------------------------------------------------------------------------

def db_of(tmp_path) -> Store:
    return Store.open(tmp_path / "home" / ".local" / "share" / "waitbuddy" / "waitbuddy.db")


def test_plan_json_for_given_minutes(tmp_path, capsys) -> None:
    with db_of(tmp_path) as store:
        seed_day(store)
    assert main(["plan", "--minutes", "30", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["minutes"] == 30 and out["source"] == "timer" and out["run"] is None
    assert 0 < out["planned"] <= 30
    assert all({"kind", "ref", "title", "url", "minutes", "your_pace", "why"} <= set(item) for item in out["items"])


def test_plan_text_follows_the_run(tmp_path, capsys) -> None:
    with db_of(tmp_path) as store:
        seed_day(store)
        running(store, "bert-base", 40 * 60 + 30)
    assert main(["plan"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] in ("~40 min until bert-base finishes", "~39 min until bert-base finishes")
    assert lines[-1].endswith("min planned") and len(lines) >= 3


def test_plan_without_a_run_says_how_to_give_the_minutes(tmp_path, capsys) -> None:
    assert main(["plan"]) == 0
    assert "--minutes" in capsys.readouterr().out
    assert main(["plan", "--minutes", "-3"]) == 2
    assert "--minutes" in capsys.readouterr().err


def test_plan_for_minutes_nothing_fits(tmp_path, capsys) -> None:
    with db_of(tmp_path) as store:
        seed_day(store)
    assert main(["plan", "--minutes", "1"]) == 0
    assert "Nothing fits" in capsys.readouterr().out


# -- accepting and finishing -----------------------------------------------------------------------

def test_accepting_a_reading_starts_it_and_finishing_marks_it_read(store: Store) -> None:
    from waitbuddy.planner import accept

    seeded = seed_day(store)
    item = next(c for c in outlook.gather(store, Config(), now=NOW).candidates if c.ref == str(seeded["old"]))
    accept.accept(store, item, now=NOW)
    assert backlog.get_item(store, seeded["old"]).status == "reading"
    done = accept.finish(store, now=NOW + timedelta(minutes=14))
    assert done.minutes == pytest.approx(14) and done.outcome == "done"
    assert backlog.get_item(store, seeded["old"]).status == "done"
    assert item.key not in {c.key for c in outlook.gather(store, Config(), now=NOW).candidates}


def test_an_item_finished_in_its_own_area_settles_the_timer_then(store: Store) -> None:
    from waitbuddy.checklists import library
    from waitbuddy.planner import accept

    seed_day(store)
    item = next(c for c in outlook.gather(store, Config(), now=NOW).candidates if c.kind == "checklist")
    accept.accept(store, item, now=NOW)
    assert timers.settle(store, now=NOW + timedelta(minutes=30)) is None  # not done yet
    library.complete(store, int(item.ref), now=NOW + timedelta(minutes=7))
    settled = timers.settle(store, now=NOW + timedelta(minutes=30))
    assert settled.outcome == "done" and settled.minutes == pytest.approx(7)
    assert timers.active(store) is None


def test_accepting_a_problem_starts_it_in_practice(store: Store) -> None:
    from waitbuddy.planner import accept

    seed_day(store)
    problem = next(c for c in outlook.gather(store, Config(), now=NOW).candidates if c.reason == "due review")
    accept.accept(store, problem, now=NOW)
    assert progress.states(store)[problem.ref].started_at == NOW
    progress.record_attempt(store, problem.ref, "good", now=NOW + timedelta(minutes=18))
    assert progress.attempts(store, problem.ref)[-1].minutes == 18
    assert timers.settle(store, now=NOW + timedelta(minutes=19)).minutes == pytest.approx(18)


def test_the_daily_updates_next_holds_the_plan_for_the_running_wait(tmp_path, capsys) -> None:
    with db_of(tmp_path) as store:
        seed_day(store)
    assert main(["standup"]) == 0
    assert "Next" not in capsys.readouterr().out  # nothing runs: no suggestions in a team update
    with db_of(tmp_path) as store:
        running(store, "bert-base", 40 * 60 + 30)
    assert main(["plan", "--json"]) == 0
    planned = json.loads(capsys.readouterr().out)["items"]
    assert main(["standup", "--format", "text"]) == 0
    out = capsys.readouterr().out
    assert "Next" in out and planned and all(item["title"][:20] in out for item in planned)


def test_accept_and_done_from_the_command_line(tmp_path, capsys) -> None:
    with db_of(tmp_path) as store:
        seed_day(store)
    assert main(["plan", "--done"]) == 1
    assert "nothing is being timed" in capsys.readouterr().err
    assert main(["plan", "--accept"]) == 1  # no run, no --minutes: nothing to accept
    assert "--minutes" in capsys.readouterr().err
    assert main(["plan", "--minutes", "30", "--json"]) == 0
    second = json.loads(capsys.readouterr().out)["items"][1]
    assert main(["plan", "--minutes", "30", "--accept", "2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("timing: ") and second["title"][:20] in out
    with db_of(tmp_path) as store:
        assert timers.active(store).ref == second["ref"]
    assert main(["plan", "--minutes", "30", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["timing"]["ref"] == second["ref"]
    assert main(["plan", "--done"]) == 0
    assert capsys.readouterr().out.startswith("done: ")
    with db_of(tmp_path) as store:
        assert timers.active(store) is None
    assert main(["plan", "--minutes", "30", "--accept", "9"]) == 1
