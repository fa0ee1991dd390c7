"""The practice commands: ``waitbuddy practice next|done|start|stats|import|list``.

Titles and categories from user lists are untrusted: printed through :mod:`waitbuddy.text`
(``safe_line``), what the person typed through ``visible``, JSON through
:func:`~waitbuddy.commands.json_line`.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from waitbuddy.commands import EXIT_FAILED, EXIT_OK, EXIT_USAGE, declare, error, json_line, say
from waitbuddy.config import Config
from waitbuddy.paths import Paths
from waitbuddy.practice import lists, pick, progress
from waitbuddy.practice.lists import Catalog, ListError, Problem
from waitbuddy.practice.progress import State
from waitbuddy.store import Store
from waitbuddy.text import safe_line, visible
from waitbuddy.timefmt import iso_utc


def add_parsers(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    group = commands.add_parser("practice", parents=[common], help="LeetCode practice sized to the wait, with review",
                                description="LeetCode practice: the NeetCode 150 (and your own lists), spaced "
                                "review with FSRS, and a problem that fits the minutes left.")
    group.set_defaults(func=lambda args: _usage(group), needs_config=False)
    practice = group.add_subparsers(title="commands", metavar="COMMAND")

    sub = declare(practice, common, "next", cmd_next, help="the problem to do now",
                  description="A review due today first, else a new problem from your weakest category; only one "
                  "whose typical time (Easy 15, Medium 30, Hard 45 minutes, then your own median) fits --minutes. "
                  "Exit status 1 if nothing fits.", database=True)
    sub.add_argument("--minutes", "-m", type=_count, metavar="N", help="minutes available (default: no limit)")
    sub.add_argument("--blind75", action="store_true", help="only Blind 75 problems")
    sub.add_argument("--json", action="store_true", help="print one JSON object")

    sub = declare(practice, common, "done", cmd_done, help="record an attempt with its rating",
                  description="Record an attempt at SLUG (or its LeetCode URL): how it went (again: not solved; "
                  "hard, good, easy) and the minutes it took (default: since `practice start`). The rating "
                  "schedules its next review; nothing is due again the same day.", database=True)
    sub.add_argument("slug", metavar="SLUG")
    sub.add_argument("--rating", "-r", required=True, choices=progress.RATINGS)
    sub.add_argument("--minutes", "-m", type=_count, metavar="N", help="minutes spent")

    sub = declare(practice, common, "start", cmd_start, help="note that you start a problem now",
                  description="Record that you start SLUG now: `practice done` then counts the minutes.",
                  database=True)
    sub.add_argument("slug", metavar="SLUG")

    sub = declare(practice, common, "stats", cmd_stats, help="solved per category, reviews due, streak",
                  description="Solved/total per category, reviews due today, days in a row with an attempt.",
                  database=True)
    sub.add_argument("--json", action="store_true", help="print one JSON object")

    sub = declare(practice, common, "import", cmd_import, help="mark problems you already solved",
                  description="Mark the problems in FILE (slugs or LeetCode URLs, one a line; or a list file as "
                  "in [practice] lists) as solved, without inventing attempts: they are not reviewed until "
                  "you attempt them here.", database=True)
    sub.add_argument("file", metavar="FILE")

    sub = declare(practice, common, "list", cmd_list, help="list problems with their status",
                  description="List problems in roadmap order: status, difficulty, category, next review.",
                  database=True)
    sub.add_argument("--due", action="store_true", help="only reviews due today")
    sub.add_argument("--blind75", action="store_true", help="only Blind 75 problems")
    sub.add_argument("--json", action="store_true", help="print one JSON object per problem")


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return EXIT_USAGE


def _count(value: str) -> int:
    if not value.isdigit() or int(value) > progress.MAX_MINUTES:
        raise argparse.ArgumentTypeError(f"expected a whole number of minutes (0 to {progress.MAX_MINUTES}), "
                                         f"got {value!r}")
    return int(value)


def _catalog(config: Config) -> Catalog | None:
    try:
        return lists.catalog(lists.expand(config.practice.lists))
    except ListError as exc:
        error(visible(str(exc), limit=400))
        return None


def _problem(given: str, config: Config) -> lists.Problem | None:
    """The problem a SLUG or URL names in the lists, or None once the error is said."""
    found = _catalog(config)
    if found is None:
        return None
    slug = lists.slug_of(given)
    if slug is None or slug not in found.by_slug():
        error(f"no such problem: {visible(given, limit=120)} (`waitbuddy practice list` shows them)")
        return None
    return found.by_slug()[slug]


def cmd_next(args: argparse.Namespace, where: Paths, config: Config) -> int:
    found = _catalog(config)
    if found is None:
        return EXIT_USAGE
    now = progress.utc_now()
    with Store.open(where.database) as store:
        states, attempts = progress.states(store), progress.attempts(store)
    chosen = pick.pick_next(found, states, attempts, args.minutes, now, defaults=config.practice.typical_minutes,
                            blind75=args.blind75)
    if chosen is None:
        if args.json:
            say(json_line(None))
        else:
            print("nothing fits" + (f" in {args.minutes} minutes" if args.minutes is not None else ""),
                  file=sys.stderr)
        return EXIT_FAILED
    if args.json:
        say(json_line({**problem_json(chosen.problem, states.get(chosen.problem.slug)), "kind": chosen.kind,
                       "typical_minutes": chosen.minutes, "reason": chosen.reason}))
    else:
        problem = chosen.problem
        say(f"{chosen.kind}  {safe_line(problem.title, limit=120)}  {problem.difficulty} ~{chosen.minutes} min  "
            f"{safe_line(problem.category, limit=60)}{'  premium' if problem.premium else ''}")
        say(f"  {problem.url}")
        say(f"  {safe_line(chosen.reason, limit=200)}; then: waitbuddy practice done {problem.slug} --rating good")
    return EXIT_OK


def cmd_done(args: argparse.Namespace, where: Paths, config: Config) -> int:
    problem = _problem(args.slug, config)
    if problem is None:
        return EXIT_USAGE
    scheduler = progress.make_scheduler(config.practice.desired_retention)
    with Store.open(where.database) as store:
        progress.record_attempt(store, problem.slug, args.rating, args.minutes, scheduler=scheduler)
        state = progress.states(store)[problem.slug]
    say(f"{args.rating}  {safe_line(problem.title, limit=120)}: next review {_day(state.due)}")
    return EXIT_OK


def cmd_start(args: argparse.Namespace, where: Paths, config: Config) -> int:
    problem = _problem(args.slug, config)
    if problem is None:
        return EXIT_USAGE
    with Store.open(where.database) as store:
        progress.start(store, problem.slug)
    say(f"started  {safe_line(problem.title, limit=120)}  {problem.url}")
    return EXIT_OK


def cmd_stats(args: argparse.Namespace, where: Paths, config: Config) -> int:
    found = _catalog(config)
    if found is None:
        return EXIT_USAGE
    now = progress.utc_now()
    with Store.open(where.database) as store:
        result = pick.stats(found, progress.states(store), progress.attempts(store), now,
                            defaults=config.practice.typical_minutes)
    if args.json:
        say(json_line({"solved": result.solved, "total": result.total, "attempted": result.attempted,
                       "due": result.due, "streak": result.streak, "attempts": result.attempts,
                       "typical_minutes": result.typical,
                       "categories": [{"category": c.category, "solved": c.solved, "total": c.total}
                                      for c in result.categories]}))
        return EXIT_OK
    say(f"solved {result.solved}/{result.total}, {result.due} due today, streak {result.streak} "
        f"day{'' if result.streak == 1 else 's'}")
    width = max((len(safe_line(c.category, limit=40)) for c in result.categories), default=0)
    for c in result.categories:
        say(f"  {safe_line(c.category, limit=40):<{width}}  {c.solved:>3}/{c.total:<3}  {_bar(c.solved, c.total)}")
    return EXIT_OK


def _bar(done: int, total: int, width: int = 10) -> str:
    full = round(width * done / total) if total else 0
    return "#" * full + "." * (width - full)


def cmd_import(args: argparse.Namespace, where: Paths, config: Config) -> int:
    found = _catalog(config)
    if found is None:
        return EXIT_USAGE
    try:
        _title, problems = lists.load_list(Path(args.file), found.by_slug())
    except ListError as exc:
        error(visible(str(exc), limit=400))
        return EXIT_USAGE
    known = found.by_slug()
    slugs = [problem.slug for problem in problems if problem.slug in known]
    unknown = [problem.slug for problem in problems if problem.slug not in known]
    with Store.open(where.database) as store:
        changed, _undo = progress.import_solved(store, slugs)
    say(f"{visible(args.file, limit=200)}: {changed} marked solved, {len(slugs) - changed} already solved, "
        f"{len(unknown)} not on your lists")
    for slug in unknown[:10]:
        say(f"  not on your lists: {slug} (add it to a list in [practice] lists)")
    return EXIT_OK


def cmd_list(args: argparse.Namespace, where: Paths, config: Config) -> int:
    found = _catalog(config)
    if found is None:
        return EXIT_USAGE
    now = progress.utc_now()
    with Store.open(where.database) as store:
        states = progress.states(store)
    shown = 0
    for problem in found.problems:
        state = states.get(problem.slug)
        if args.blind75 and not problem.blind75:
            continue
        if args.due and (state is None or not progress.is_due(state, now)):
            continue
        shown += 1
        say(json_line(problem_json(problem, state)) if args.json else problem_line(problem, state))
    if not shown and not args.json:
        print("no reviews due today" if args.due else "no problems", file=sys.stderr)
    return EXIT_OK


def problem_line(problem: Problem, state: State | None) -> str:
    status = "new" if state is None else state.status
    due = f"  review {_day(state.due)}" if state is not None and state.due else ""
    return (f"{status:<9} {problem.difficulty:<6} {safe_line(problem.title, limit=80)}  "
            f"[{safe_line(problem.category, limit=40)}]{'  B75' if problem.blind75 else ''}"
            f"{'  premium' if problem.premium else ''}{due}  {problem.url}")


def problem_json(problem: Problem, state: State | None) -> dict[str, Any]:
    return {"slug": problem.slug, "title": problem.title, "url": problem.url, "difficulty": problem.difficulty,
            "category": problem.category, "blind75": problem.blind75, "premium": problem.premium,
            "lists": list(problem.lists), "status": "new" if state is None else state.status,
            "due": _iso(state.due if state else None), "solved_at": _iso(state.solved_at if state else None)}


def _iso(moment: datetime | None) -> str | None:
    return iso_utc(moment) or None


def _day(moment: datetime | None) -> str:
    return f"{moment.astimezone():%Y-%m-%d}" if moment else "not scheduled"
