"""The dashboard's plan, kept current: it follows the run's ETA without re-planning at every tick.

A :class:`Follower` is stepped on a background thread (every few seconds, and at once when the
person asks for something). Each step reads the wait and the running timer from the store; it
plans again only when asked, when the run it follows changes or ends, or when the ETA moved by
more than :data:`FOLLOW_MINUTES` from what the plan expected (the minutes counting down as time
passes is not a move). Candidates are gathered again only when the store changed, after an
accept or finish, or every :data:`REGATHER_SECONDS`. Headless: the strip only shows the
:class:`View` each step returns.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from waitbuddy.config import Config
from waitbuddy.planner import outlook, timers
from waitbuddy.planner.candidates import Gathered
from waitbuddy.planner.model import KIND_NAMES, Plan
from waitbuddy.planner.wait import Wait, next_finish, run_name
from waitbuddy.runs import registry
from waitbuddy.store import Store
from waitbuddy.text import safe_line

FOLLOW_MINUTES = 3  # an ETA that moves by more than this (against the plan's countdown) re-plans
REGATHER_SECONDS = 300.0  # candidates are asked again at least this often (due items come due)
NEWS_SECONDS = 60.0  # how long a piece of news stays on the strip
ENDED = ("completed", "failed", "interrupted")


@dataclass(frozen=True)
class View:
    """What the strip shows after a step."""

    minutes: int | None  # the time planned for now; None: no run with an ETA and no timer given
    wait: Wait | None  # the run the minutes come from (None: the person's own minutes)
    plan: Plan
    timer: timers.Timer | None
    news: str = ""  # "bert-base finished: 6 min left on your reading"
    problems: tuple[str, ...] = field(default=())
    deadline: float | None = None  # the person's "I have N minutes", as a time


class Follower:
    def __init__(self, store: Store, config: Config, *, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.config = config
        self.clock = clock
        self._lock = threading.Lock()
        # Asked for from the UI thread, taken by the next step:
        self._replan = True
        self._regather = True
        self._skipped: list[str] = []
        self._deadline: float | None = None
        # The step's own (only the stepping thread touches these):
        self._found: Gathered | None = None
        self._found_at = 0.0
        self._found_for: str | None = None  # the timer key excluded when gathering
        self._plan = Plan(0, ())
        self._planned: tuple[int, float, int | None, str] | None = None  # minutes, when, run id, source
        self._following: tuple[int, str] | None = None  # the run whose ETA the plan fills
        self._news = ("", 0.0)

    # -- asked from the UI thread --------------------------------------------------------------

    def skip(self, key: str) -> None:
        with self._lock:
            self._skipped.append(key)
            self._replan = True

    def replan(self) -> None:
        """Plan again from scratch: candidates asked again, skips forgotten."""
        with self._lock:
            self._skipped.clear()
            self._replan = self._regather = True

    def changed(self) -> None:
        """Something was written (here or by another process): gather again at the next step."""
        with self._lock:
            self._replan = self._regather = True

    def set_minutes(self, minutes: int | None) -> None:
        """The person's "I have N minutes" (0 or None: back to the run's ETA)."""
        with self._lock:
            self._deadline = self.clock() + minutes * 60 if minutes else None
            self._replan = True

    # -- on the stepping thread ----------------------------------------------------------------

    def step(self) -> View:
        now = self.clock()
        moment = datetime.fromtimestamp(now, UTC)
        with self._lock:
            replan, regather, skipped, deadline = self._replan, self._regather, tuple(self._skipped), self._deadline
            self._replan = self._regather = False
        if (settled := timers.settle(self.store, now=moment)) is not None:
            self._say(f"{_doing(settled)}: done in {round(settled.minutes or 0)} min", now)
            replan = regather = True
        if deadline is not None and deadline <= now:
            with self._lock:
                if self._deadline == deadline:
                    self._deadline = None
            deadline = None
            self._say("your time is up", now)
            replan = True
        wait = None if deadline is not None else next_finish(self.store, now)
        minutes = int((deadline - now) // 60) if deadline is not None else (wait.minutes if wait else None)
        if self._following is not None and (wait is None or wait.run_id != self._following[0]):
            if self._run_ended(self._following, moment, now):
                regather = True
            replan = True
        self._following = (wait.run_id, wait.name) if wait is not None else None
        timer = timers.active(self.store)
        timer_key = timer.key if timer is not None else None
        if timer_key != self._found_for:
            regather = True
        source = "timer" if deadline is not None else "run"
        if minutes is None:
            self._plan, self._planned = Plan(0, ()), None
        elif replan or self._moved(minutes, now, wait, source):
            if self._planned is not None and not replan:
                self._say("ETA moved, planned again", now)
            if regather or self._found is None or now - self._found_at >= REGATHER_SECONDS:
                self._found = outlook.gather(self.store, self.config, now=moment,
                                             exclude=[timer_key] if timer_key else ())
                self._found_at, self._found_for = now, timer_key
            self._plan = outlook.plan_for(minutes, self._found.candidates, self.config, now=moment,
                                          from_run=deadline is None, recent=timers.recent_minutes(self.store, moment),
                                          skipped=skipped)
            self._planned = (minutes, now, wait.run_id if wait else None, source)
        news, said = self._news
        return View(minutes, wait, self._plan, timer, news if now - said < NEWS_SECONDS else "",
                    self._found.problems if self._found else (), deadline)

    def _moved(self, minutes: int, now: float, wait: Wait | None, source: str) -> bool:
        if self._planned is None:
            return True
        planned, at, run_id, planned_source = self._planned
        if source != planned_source or (wait.run_id if wait else None) != run_id:
            return True
        expected = planned - (now - at) / 60
        return abs(expected - minutes) > FOLLOW_MINUTES

    def _run_ended(self, following: tuple[int, str], moment: datetime, now: float) -> bool:
        """The run the plan filled is no longer running: if it ended, say so (and how much of the
        timed item is left), and end the timer. True when candidates should be asked again."""
        record = registry.get(self.store, run_id=following[0])
        if record is None or record.status not in ENDED:
            return False
        name = safe_line(run_name(record), limit=40)
        ended = timers.finish(self.store, outcome="run-ended", now=moment)
        if ended is not None:
            left = max(round((ended.estimate or 0) - (ended.minutes or 0)), 0)
            rest = f"{left} min left on your {_doing(ended)}" if left else f"your {_doing(ended)} took {round(ended.minutes or 0)} min"
            self._say(f"{name} {record.status}: {rest}", now)
        else:
            self._say(f"{name} {record.status}", now)
        return True

    def _say(self, text: str, now: float) -> None:
        self._news = (text, now)


def _doing(timer: timers.Timer) -> str:
    """``reading "Scaling laws for ..."``."""
    verb = {"read": "reading", "skim": "skim", "solve": "problem", "do": "checklist item"}[KIND_NAMES[timer.kind]]
    return f'{verb} "{safe_line(timer.title, limit=30)}"'
