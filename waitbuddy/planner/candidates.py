"""What could fill the wait, from every domain, each with an estimate, an urgency and a reason.

Each domain is asked through its own headless API; each gathering is bounded (the best few
hundred of a 10k backlog, the newest unread feed entries), so ``waitbuddy plan`` stays fast. A
domain that fails (a broken problem list) costs its candidates, never the plan: the failure is
named in :attr:`Gathered.problems`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from waitbuddy.config import Config
from waitbuddy.planner.model import KINDS, Candidate
from waitbuddy.planner.timers import Pace
from waitbuddy.store import Store

READING_LIMIT = 300  # backlog items considered (by priority, then oldest)
PAPER_LIMIT = 200  # newest unread feed entries ranked
PAPER_SHORTLIST = 40  # ranked on their title and the abstract's opening, the best this many again in full
PAPER_KEEP = 20  # the best of them that become candidates
OPENING_CHARS = 300
NEW_PROBLEMS = 3  # new problems offered besides the due reviews (one per difficulty at most)
SKIM_MINUTES = 5  # a paper from a feed is skimmed (abstract, figures, conclusion), not read through


@dataclass(frozen=True)
class Gathered:
    candidates: tuple[Candidate, ...]
    problems: tuple[str, ...] = field(default=())  # "practice: <why>" for a domain that could not be asked


def gather(store: Store, config: Config, *, now: datetime, zone: tzinfo, pace: Pace,
           exclude: Sequence[str] = (), kinds: Collection[str] = KINDS) -> Gathered:
    """Every candidate of ``kinds``, less those whose key is in ``exclude`` (the item being timed).
    A domain whose kind is not asked for is not asked at all (ranking the feeds is most of a plan)."""
    found: list[Candidate] = []
    problems: list[str] = []
    sources: tuple[tuple[str, str, Callable[[], list[Candidate]]], ...] = (
        ("backlog", "reading", lambda: reading(store, config, now, pace)),
        ("feeds", "paper", lambda: papers(store, config, pace)),
        ("practice", "practice", lambda: practice(store, config, now)),
        ("checklists", "checklist", lambda: checklists(store, config, now, zone, pace)),
    )
    for name, kind, source in sources:
        if kind not in kinds:
            continue
        try:
            found += source()
        except Exception as exc:  # noqa: BLE001 - one domain's trouble must not cost the whole plan
            problems.append(f"{name}: {exc}")
    skip = set(exclude)
    return Gathered(tuple(candidate for candidate in found if candidate.key not in skip), tuple(problems))


def _age(moment: datetime | None, now: datetime) -> float:
    return 0.0 if moment is None else max((now - moment).total_seconds() / 86400, 0.0)


def reading(store: Store, config: Config, now: datetime, pace: Pace) -> list[Candidate]:
    """Open backlog items with a known length: priority first, then the longest forgotten."""
    from waitbuddy.reading import backlog

    out = []
    for item in backlog.plannable(store, now=now, limit=READING_LIMIT):
        days = _age(item.saved_at, now)
        minutes, own = pace.minutes("reading", item.minutes or 1)
        score = 0.3 + 0.15 * item.priority + 0.25 * min(days / 60, 1.0) + (0.15 if item.status == "reading" else 0.0)
        if item.priority >= 2:
            reason = "priority " + "!" * item.priority
        elif item.status == "reading":
            reason = "started"
        elif days >= 2:
            reason = f"saved {int(days)} days ago"
        else:
            reason = "saved recently"
        out.append(Candidate("reading", str(item.id), item.title or item.url, minutes, min(score, 1.0), reason,
                             url=item.url, detail=item.kind, pace=own))
    return out


def papers(store: Store, config: Config, pace: Pace) -> list[Candidate]:
    """The best-ranked unread feed entries not saved or dismissed, to skim."""
    from waitbuddy.feeds import library, marks

    entries = [entry for entry in library.entries(store, unread=True, limit=PAPER_LIMIT,
                                                  default_minutes=config.feed_settings.refresh_minutes)
               if entry.saved_at is None and entry.backlog_id is None and entry.item.link]
    if not entries:
        return []
    model = marks.ranker(store, config.feed_settings.interests)
    # Scoring a whole abstract costs ~0.5 ms: a cheap first pass keeps `plan` fast on 5,000 entries.
    first = sorted(((model.score(f"{entry.item.title}\n{entry.item.summary[:OPENING_CHARS]}"), index, entry)
                    for index, entry in enumerate(entries)), key=lambda scored: (-scored[0], scored[1]))
    ranked = sorted(((model.score(entry.item), index, entry) for _score, index, entry in first[:PAPER_SHORTLIST]),
                    key=lambda scored: (-scored[0], scored[1]))[:PAPER_KEEP]
    wpm = max(config.backlog.words_per_minute, 1)
    out = []
    for score, _index, entry in ranked:
        words = len(entry.item.summary.split())
        minutes, own = pace.minutes("paper", SKIM_MINUTES + math.ceil(words / wpm))
        why = model.explain(entry.item, limit=2) if score > 0 else []
        reason = "matches " + ", ".join(why) if why else "new in " + (entry.source or "your feeds")
        detail = entry.item.primary_category or entry.source
        out.append(Candidate("paper", str(entry.id), entry.item.title, minutes, 0.25 + 0.5 * min(score, 1.0),
                             reason, url=entry.item.link or "", detail=detail, pace=own))
    return out


def practice(store: Store, config: Config, now: datetime) -> list[Candidate]:
    """Reviews due today (most overdue first), and a new problem per difficulty from the least
    solved category: LeetCode practice by the person's own minutes per difficulty."""
    from waitbuddy.practice import lists, pick, progress

    catalog = lists.catalog(lists.expand(config.practice.lists))
    states = progress.states(store)
    attempts = progress.attempts(store)
    typical = pick.typical_minutes(catalog, attempts, config.practice.typical_minutes)
    by_slug = catalog.by_slug()
    timed: dict[str, int] = {}
    for attempt in attempts:
        problem = by_slug.get(attempt.slug)
        if problem is not None and attempt.minutes:
            timed[problem.difficulty] = timed.get(problem.difficulty, 0) + 1
    own = {difficulty: timed.get(difficulty, 0) >= pick.OWN_TIMES_AFTER for difficulty in typical}

    out = []
    for problem in catalog.problems:
        state = states.get(problem.slug)
        if state is not None and progress.is_due(state, now):
            overdue = _age(state.due, now)
            out.append(Candidate("practice", problem.slug, problem.title, typical[problem.difficulty],
                                 min(0.8 + 0.02 * overdue, 1.0), "due review", url=problem.url,
                                 detail=problem.difficulty, pace=own[problem.difficulty]))
    shares = pick.solved_shares(catalog, states)
    fresh = sorted((shares[problem.category], index, problem) for index, problem in enumerate(catalog.problems)
                   if problem.slug not in states and not problem.premium)
    offered: set[str] = set()
    for share, _index, problem in fresh:
        if len(offered) >= NEW_PROBLEMS:
            break
        if problem.difficulty in offered:
            continue
        offered.add(problem.difficulty)
        out.append(Candidate("practice", problem.slug, problem.title, typical[problem.difficulty],
                             0.45 - 0.1 * share, f"new in {problem.category}", url=problem.url,
                             detail=problem.difficulty, pace=own[problem.difficulty]))
    return out


def checklists(store: Store, config: Config, now: datetime, zone: tzinfo, pace: Pace) -> list[Candidate]:
    """Checklist items due now, at the minutes they took the person before when known."""
    from waitbuddy.checklists import library

    library.sync(store, config, now=now)
    out = []
    for item in library.items(store, now=now, zone=zone):
        if not item.due:
            continue
        learned = pace.checklist_minutes.get(str(item.id))
        reason = "due this run" if item.recurrence.startswith("per") else f"due {item.recurrence}"
        out.append(Candidate("checklist", str(item.id), item.title, learned or item.minutes,
                             0.55 + (0.1 if item.streak else 0.0), reason, detail=item.list_name,
                             pace=learned is not None))
    return out
