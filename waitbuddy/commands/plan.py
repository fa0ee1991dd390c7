"""`waitbuddy plan`: what fits in the minutes the run leaves, printed once (the dashboard's strip
shows the same plan)."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from waitbuddy.commands import EXIT_FAILED, EXIT_OK, EXIT_USAGE, declare, error, json_line, say
from waitbuddy.config import Config
from waitbuddy.paths import Paths
from waitbuddy.store import Store

MAX_MINUTES = 24 * 60


def add_parsers(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    sub = declare(commands, common, "plan", cmd_plan, help="what fits in the minutes the run leaves",
                  description="Propose what fits in the wait: backlog items, papers from your feeds, LeetCode "
                  "reviews and new problems, due checklist items; never more than the minutes there are. The "
                  "minutes are the soonest-finishing run's ETA (less [planner] margin_minutes), or --minutes. "
                  "Weights per kind and what to leave out are in [planner].", database=True)
    sub.add_argument("--minutes", type=int, metavar="N", help="plan for N minutes instead of the run's ETA")
    sub.add_argument("--json", action="store_true", help="print one JSON object")
    timer = sub.add_mutually_exclusive_group()
    timer.add_argument("--accept", type=int, nargs="?", const=1, metavar="N",
                       help="accept suggestion N (default 1): start its timer (and the item: a reading "
                       "becomes 'reading', a problem is started) and print its link")
    timer.add_argument("--done", action="store_true",
                       help="done with the accepted item: record its minutes (a reading is marked read, a "
                       "checklist item ticked)")


def cmd_plan(args: argparse.Namespace, where: Paths, config: Config) -> int:
    from waitbuddy.planner import words
    from waitbuddy.planner.outlook import outlook

    if args.minutes is not None and not 0 <= args.minutes <= MAX_MINUTES:
        error(f"--minutes: expected 0 to {MAX_MINUTES}, got {args.minutes}")
        return EXIT_USAGE
    with Store.open(where.database) as store:
        if args.done:
            return _done(store)
        found = outlook(store, config, now=datetime.now(UTC), minutes=args.minutes)
        if args.accept is not None:
            return _accept(store, found, args.accept)
    if args.json:
        say(json_line(_as_json(found)))
        return EXIT_OK
    say(words.headline(found.minutes, found.wait))
    if found.timer is not None:
        now = datetime.now(UTC)
        say(f"  timing: {words.safe_line(found.timer.title, limit=60)} "
            f"({int(found.timer.elapsed(now))} of ~{found.timer.estimate or '?'} min)")
    for pick in found.plan.picks:
        say(f"  {words.item(pick.candidate)} · {words.safe_line(pick.why, limit=40)}")
    if found.minutes:
        if found.plan.picks:
            say(f"  {found.plan.planned} of {found.minutes} min planned")
        else:
            say("  Nothing fits: no backlog item, paper, problem or checklist item is short enough.")
    for problem in found.problems:
        error(words.safe_line(problem, limit=300))
    return EXIT_OK


def _accept(store: Store, found, number: int) -> int:
    from waitbuddy.planner import accept, words
    from waitbuddy.text import openable_url

    picks = found.plan.picks
    if not 1 <= number <= len(picks):
        error(f"--accept {number}: the plan has {len(picks)} suggestion{'s' * (len(picks) != 1)}"
              + ("" if found.minutes is not None else "; no run has an ETA: add --minutes N"))
        return EXIT_FAILED
    candidate = picks[number - 1].candidate
    accept.accept(store, candidate)
    say(f"timing: {words.item(candidate)}; `waitbuddy plan --done` when you are")
    if (url := openable_url(candidate.url)) is not None:
        say(url)
    return EXIT_OK


def _done(store: Store) -> int:
    from waitbuddy.planner import accept, words

    ended = accept.finish(store)
    if ended is None:
        error("nothing is being timed: accept a suggestion first (waitbuddy plan --accept)")
        return EXIT_FAILED
    planned = f" (planned {ended.estimate})" if ended.estimate else ""
    say(f'done: "{words.safe_line(ended.title, limit=60)}" took {round(ended.minutes or 0)} min{planned}')
    if ended.kind == "practice":
        say("rate it: waitbuddy practice done " + ended.ref + " --rating good|hard|again|easy")
    return EXIT_OK


def _as_json(found) -> dict:
    wait = found.wait
    timer = found.timer
    return {
        "minutes": found.minutes,
        "source": "run" if wait is not None else ("timer" if found.minutes is not None else None),
        "run": {"id": wait.run_id, "name": wait.name, "seconds_left": round(wait.seconds)} if wait else None,
        "planned": found.plan.planned,
        "items": [{"kind": pick.candidate.kind, "ref": pick.candidate.ref, "title": pick.candidate.title,
                   "url": pick.candidate.url, "detail": pick.candidate.detail, "minutes": pick.candidate.minutes,
                   "your_pace": pick.candidate.pace, "why": pick.why} for pick in found.plan.picks],
        "timing": None if timer is None else {"kind": timer.kind, "ref": timer.ref, "title": timer.title,
                                              "started_at": timer.started_at.isoformat(), "estimate": timer.estimate},
        "problems": list(found.problems),
    }
