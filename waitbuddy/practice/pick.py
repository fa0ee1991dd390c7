"""What to practise next, sized to the minutes left, and the stats. Pure functions of the catalog,
the stored progress and the time: the same inputs on the same day give the same answer.

:func:`pick_next`: a review due today first (oldest due first), else a new problem, favouring the
categories with the lowest solved share, in roadmap order within them. A problem is proposed only if
its typical time fits the minutes given: Easy 15, Medium 30, Hard 45 (``[practice]``), replaced by the
person's own median minutes for a difficulty once they have recorded at least
:data:`OWN_TIMES_AFTER` attempts of it with minutes.
"""

from __future__ import annotations

import statistics
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from waitbuddy.practice.lists import DIFFICULTIES, Catalog, Problem
from waitbuddy.practice.progress import Attempt, State, is_due, local_day

DEFAULT_MINUTES = {"Easy": 15, "Medium": 30, "Hard": 45}
OWN_TIMES_AFTER = 3


@dataclass(frozen=True)
class Pick:
    problem: Problem
    kind: str  # "review" or "new"
    minutes: int  # its typical time
    reason: str


def typical_minutes(catalog: Catalog, attempts: Sequence[Attempt],
                    defaults: Mapping[str, int] = DEFAULT_MINUTES) -> dict[str, int]:
    """Minutes a problem of each difficulty takes this person: the median of their own timed
    attempts once there are enough, else the default."""
    by_slug = catalog.by_slug()
    spent: dict[str, list[int]] = {difficulty: [] for difficulty in DIFFICULTIES}
    for attempt in attempts:
        problem = by_slug.get(attempt.slug)
        if problem is not None and attempt.minutes:
            spent[problem.difficulty].append(attempt.minutes)
    return {difficulty: (round(statistics.median(spent[difficulty])) if len(spent[difficulty]) >= OWN_TIMES_AFTER
                         else defaults[difficulty]) for difficulty in DIFFICULTIES}


def status_of(slug: str, states: Mapping[str, State]) -> str:
    state = states.get(slug)
    return "new" if state is None else state.status


def pick_next(catalog: Catalog, states: Mapping[str, State], attempts: Sequence[Attempt], minutes: int | None,
              now: datetime, *, defaults: Mapping[str, int] = DEFAULT_MINUTES, blind75: bool = False,
              exclude: Collection[str] = ()) -> Pick | None:
    """The next problem to do within ``minutes`` (None: no limit), or None if nothing fits."""
    typical = typical_minutes(catalog, attempts, defaults)

    def fits(problem: Problem) -> bool:
        return (minutes is None or typical[problem.difficulty] <= minutes) and problem.slug not in exclude \
            and (not blind75 or problem.blind75)

    problems = catalog.problems
    due = [(states[p.slug].due, index, p) for index, p in enumerate(problems)
           if p.slug in states and is_due(states[p.slug], now) and fits(p)]
    if due:
        _due, _index, problem = min(due, key=lambda entry: (entry[0], entry[1]))
        return Pick(problem, "review", typical[problem.difficulty], "due for review")
    shares = solved_shares(catalog, states)
    fresh = [(shares[p.category], index, p) for index, p in enumerate(problems)
             if p.slug not in states and fits(p)]
    if not fresh:
        return None
    share, _index, problem = min(fresh, key=lambda entry: (entry[0], entry[1]))
    return Pick(problem, "new", typical[problem.difficulty],
                f"new in {problem.category} ({round(share * 100)}% solved)")


def solved_shares(catalog: Catalog, states: Mapping[str, State]) -> dict[str, float]:
    totals: dict[str, list[int]] = {}
    for problem in catalog.problems:
        counts = totals.setdefault(problem.category, [0, 0])
        counts[0] += status_of(problem.slug, states) == "solved"
        counts[1] += 1
    return {category: solved / total for category, (solved, total) in totals.items()}


@dataclass(frozen=True)
class CategoryStats:
    category: str
    solved: int
    total: int


@dataclass(frozen=True)
class Stats:
    categories: tuple[CategoryStats, ...]
    solved: int
    total: int
    attempted: int
    due: int
    streak: int  # days in a row with an attempt, up to today (or yesterday, if none yet today)
    attempts: int
    typical: dict[str, int] = field(default_factory=dict)


def stats(catalog: Catalog, states: Mapping[str, State], attempts: Sequence[Attempt], now: datetime, *,
          defaults: Mapping[str, int] = DEFAULT_MINUTES) -> Stats:
    per: dict[str, list[int]] = {}
    for problem in catalog.problems:
        counts = per.setdefault(problem.category, [0, 0])
        counts[0] += status_of(problem.slug, states) == "solved"
        counts[1] += 1
    known = catalog.by_slug()
    return Stats(
        categories=tuple(CategoryStats(category, solved, total) for category, (solved, total) in per.items()),
        solved=sum(solved for solved, _ in per.values()), total=len(catalog.problems),
        attempted=sum(1 for slug, state in states.items() if slug in known and state.status == "attempted"),
        due=sum(1 for slug, state in states.items() if slug in known and is_due(state, now)),
        streak=streak({local_day(attempt.at) for attempt in attempts}, local_day(now)),
        attempts=len(attempts), typical=typical_minutes(catalog, attempts, defaults))


def streak(days: Collection[date], today: date) -> int:
    day = today if today in days else today - timedelta(days=1)
    count = 0
    while day in days:
        count += 1
        day -= timedelta(days=1)
    return count
