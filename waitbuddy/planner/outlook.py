"""The plan for now, put together: how long the wait is, what could fill it, what is being timed.

One function for the CLI (``waitbuddy plan``), the dashboard's strip and the daily update's Next,
so the three never disagree.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from waitbuddy.config import Config
from waitbuddy.planner import candidates, timers
from waitbuddy.planner.model import KINDS, Candidate, Plan, Prefs
from waitbuddy.planner.plan import make_plan
from waitbuddy.planner.wait import Wait, next_finish
from waitbuddy.store import Store


@dataclass(frozen=True)
class Outlook:
    minutes: int | None  # the time to plan for; None: no run with an ETA and no timer given
    wait: Wait | None  # the run the minutes come from (None when the person gave the minutes)
    plan: Plan
    timer: timers.Timer | None  # what the person is timing now
    problems: tuple[str, ...] = ()


def prefs(config: Config, *, from_run: bool) -> Prefs:
    """``[planner]`` as the plan reads it; the margin only applies to a run's ETA (minutes the
    person gives are theirs to use)."""
    settings = config.planner
    return Prefs(balance=settings.balance, leave_out=frozenset(settings.leave_out), max_items=settings.max_items,
                 margin=settings.margin_minutes if from_run else 0)


def zone_of(config: Config):
    from waitbuddy.checklists.library import local_zone

    return local_zone(config.checklist_settings.timezone)


def gather(store: Store, config: Config, *, now: datetime,
           exclude: Sequence[str] = ()) -> candidates.Gathered:
    """What could fill the wait, of the kinds ``[planner]`` lets a plan pick (a kind left out or
    weighted 0 is not gathered)."""
    wanted = prefs(config, from_run=False)
    return candidates.gather(store, config, now=now, zone=zone_of(config), pace=timers.pace(store), exclude=exclude,
                             kinds=[kind for kind in KINDS if wanted.weight(kind) > 0])


def plan_for(minutes: int, found: Sequence[Candidate], config: Config, *, now: datetime, from_run: bool,
             recent: dict[str, float] | None = None, skipped: Sequence[str] = ()) -> Plan:
    local_day = now.astimezone(zone_of(config)).date()
    return make_plan(minutes, found, prefs(config, from_run=from_run), day=local_day, recent=recent, skipped=skipped)


def outlook(store: Store, config: Config, *, now: datetime | None = None, minutes: int | None = None,
            skipped: Sequence[str] = ()) -> Outlook:
    """The plan for ``minutes`` if given, else for the time until the soonest-ending run."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    wait = None if minutes is not None else next_finish(store, now.timestamp() if now else time.time())
    if minutes is None and wait is not None:
        minutes = wait.minutes
    timer = timers.active(store)
    if minutes is None:
        return Outlook(None, None, Plan(0, ()), timer)
    found = gather(store, config, now=now, exclude=[timer.key] if timer else ())
    plan = plan_for(minutes, found.candidates, config, now=now, from_run=wait is not None,
                    recent=timers.recent_minutes(store, now), skipped=skipped)
    return Outlook(minutes, wait, plan, timer, found.problems)


def queue(store: Store, config: Config, *, now: datetime | None = None) -> list[str]:
    """The planner's queue for the daily update's Next: what fits the running job's wait, as short
    lines (``read "..." (article, 12m)``); nothing when no job runs (a day's update is no place
    for suggestions from a list)."""
    from waitbuddy.planner import words

    return words.queue(outlook(store, config, now=now).plan)
