"""The planner as a pure function: properties over many random inputs, and the scenarios people meet."""

from __future__ import annotations

import random
from datetime import date

import pytest

from waitbuddy.planner.model import KINDS, Candidate, Prefs
from waitbuddy.planner.plan import make_plan

DAY = date(2026, 12, 1)


def candidate(kind: str, ref: str, minutes: int, score: float = 0.5, reason: str = "why") -> Candidate:
    return Candidate(kind, ref, f"{kind} {ref}", minutes, score, reason)


def random_candidates(rng: random.Random, count: int) -> list[Candidate]:
    return [candidate(rng.choice(KINDS), str(index), rng.choice([0, 1, 3, 5, 8, 12, 15, 25, 30, 45, 90]),
                      round(rng.random(), 3)) for index in range(count)]


def random_prefs(rng: random.Random) -> Prefs:
    balance = {kind: rng.choice([0, 5, 10, 30, 70]) for kind in KINDS}
    leave_out = frozenset(kind for kind in KINDS if rng.random() < 0.15)
    return Prefs(balance=balance, leave_out=leave_out, max_items=rng.randint(1, 6), margin=rng.choice([0, 0, 2, 5]))


@pytest.mark.parametrize("seed", range(300))
def test_never_over_the_time_and_only_eligible_items(seed: int) -> None:
    rng = random.Random(seed)
    found = random_candidates(rng, rng.randint(0, 40))
    prefs = random_prefs(rng)
    minutes = rng.choice([0, 1, 5, 10, 23, 45, 90, 240])
    skipped = {c.key for c in found if rng.random() < 0.1}
    plan = make_plan(minutes, found, prefs, day=DAY, skipped=skipped)
    assert plan.planned <= max(minutes - prefs.margin, 0)
    assert len(plan.picks) <= prefs.max_items
    keys = [pick.candidate.key for pick in plan.picks]
    assert len(keys) == len(set(keys))
    for pick in plan.picks:
        assert pick.candidate in found
        assert prefs.weight(pick.candidate.kind) > 0
        assert pick.candidate.key not in skipped
        assert pick.candidate.minutes >= 1
        assert pick.why
    # It stops only when nothing else fits (or the plan is full).
    left = max(minutes - prefs.margin, 0) - plan.planned
    if len(plan.picks) < prefs.max_items:
        unchosen = [c for c in found if c.key not in keys and c.key not in skipped and prefs.weight(c.kind) > 0]
        assert all(not 1 <= c.minutes <= left for c in unchosen)


@pytest.mark.parametrize("seed", range(100))
def test_the_same_inputs_give_the_same_plan_whatever_their_order(seed: int) -> None:
    rng = random.Random(seed)
    found = random_candidates(rng, 30)
    prefs = random_prefs(rng)
    first = make_plan(45, found, prefs, day=DAY)
    shuffled = found[:]
    rng.shuffle(shuffled)
    assert make_plan(45, shuffled, prefs, day=DAY) == first
    assert make_plan(45, found, prefs, day=DAY) == first


def test_equal_candidates_mix_kinds_within_a_plan() -> None:
    found = [candidate(kind, str(index), 10) for kind in KINDS for index in range(5)]
    plan = make_plan(40, found, Prefs(balance={kind: 25 for kind in KINDS}), day=DAY)
    assert sorted(pick.candidate.kind for pick in plan.picks) == sorted(KINDS)


def test_equal_candidates_rotate_from_day_to_day() -> None:
    found = [candidate("reading", str(index), 10) for index in range(20)]
    prefs = Prefs(max_items=1)
    firsts = {make_plan(10, found, prefs, day=date(2026, 12, day)).picks[0].candidate.ref for day in range(1, 15)}
    assert len(firsts) > 3


def test_a_kind_neglected_in_the_last_days_comes_first() -> None:
    found = [candidate("reading", "r", 10), candidate("practice", "p", 10)]
    prefs = Prefs(balance={"reading": 50, "practice": 50}, max_items=1)
    assert make_plan(10, found, prefs, day=DAY, recent={"reading": 120}).picks[0].candidate.kind == "practice"
    assert make_plan(10, found, prefs, day=DAY, recent={"practice": 120}).picks[0].candidate.kind == "reading"


def test_urgency_wins_over_the_same_kind_of_lesser_item() -> None:
    found = [candidate("practice", "old", 15, 0.45, "new in Trees"), candidate("practice", "due", 15, 0.9, "due review")]
    plan = make_plan(15, found, Prefs(), day=DAY)
    assert [(pick.candidate.ref, pick.why) for pick in plan.picks] == [("due", "due review")]


def test_weights_of_zero_and_left_out_kinds_are_never_planned() -> None:
    found = [candidate(kind, "x", 5, 1.0) for kind in KINDS]
    plan = make_plan(60, found, Prefs(balance={"reading": 0, "paper": 10, "practice": 10, "checklist": 10},
                                      leave_out=frozenset({"practice"})), day=DAY)
    assert {pick.candidate.kind for pick in plan.picks} == {"paper", "checklist"}


# -- scenarios: 0, 5, 23 and 90 minutes, and nothing to plan ------------------------------------

A_DAY = [
    candidate("reading", "1", 12, 0.55, "saved 41 days ago"),
    candidate("reading", "2", 35, 0.6, "priority !!"),
    candidate("reading", "3", 4, 0.35, "saved recently"),
    candidate("paper", "77", 7, 0.6, "matches lora"),
    candidate("practice", "two-sum-ii", 15, 0.85, "due review"),
    candidate("practice", "lru-cache", 30, 0.45, "new in Linked List"),
    candidate("checklist", "3", 5, 0.55, "due weekly"),
    candidate("checklist", "8", 30, 0.55, "due monthly"),
]


def test_zero_minutes_plans_nothing() -> None:
    plan = make_plan(0, A_DAY, Prefs(), day=DAY)
    assert plan.picks == () and plan.planned == 0


def test_five_minutes_takes_only_what_is_that_short() -> None:
    plan = make_plan(5, A_DAY, Prefs(), day=DAY)
    assert plan.planned <= 5
    assert len(plan.picks) == 1 and plan.picks[0].candidate.minutes in (4, 5)


def test_twenty_three_minutes_mixes_the_due_review_with_another_kind() -> None:
    plan = make_plan(23, A_DAY, Prefs(), day=DAY)
    kinds = [pick.candidate.kind for pick in plan.picks]
    assert plan.planned <= 23 and len(set(kinds)) >= 2
    assert "two-sum-ii" in {pick.candidate.ref for pick in plan.picks}  # the due review is not left for tomorrow


def test_ninety_minutes_fills_most_of_the_time_with_every_kind() -> None:
    plan = make_plan(90, A_DAY, Prefs(max_items=6), day=DAY)
    assert 60 <= plan.planned <= 90
    assert {pick.candidate.kind for pick in plan.picks} == set(KINDS)


def test_an_empty_store_plans_nothing_for_any_time() -> None:
    for minutes in (0, 5, 23, 90):
        assert make_plan(minutes, [], Prefs(), day=DAY).picks == ()


def test_the_margin_is_kept_free() -> None:
    plan = make_plan(12, [candidate("reading", "1", 12, 1.0), candidate("reading", "2", 9, 0.1)], Prefs(margin=2),
                     day=DAY)
    assert [pick.candidate.ref for pick in plan.picks] == ["2"]
