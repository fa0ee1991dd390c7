"""The planner domain's table (see :mod:`waitbuddy.schema`): the timers that teach the estimates.

A timer starts when the person accepts a suggestion and ends when they finish it, move on to
another, or the run it was filling ends. ``kind`` is reading, paper, practice or checklist (checked
in Python); ``ref`` is the item's key in its own domain (a backlog id, a feed entry id, a problem
slug, a checklist item id); ``estimate`` the minutes the plan said; ``minutes`` what it took;
``outcome`` done, replaced, stopped or run-ended: only ``done`` timers teach a pace. Times are
ISO-8601 UTC text.

Append only: never edit a migration that has shipped. Plain SQL, importing nothing.
"""

from __future__ import annotations

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE plan_timers (
               id INTEGER PRIMARY KEY,
               kind TEXT NOT NULL,
               ref TEXT NOT NULL,
               title TEXT NOT NULL DEFAULT '',
               url TEXT NOT NULL DEFAULT '',
               estimate INTEGER,
               started_at TEXT NOT NULL,
               ended_at TEXT,
               minutes REAL,
               outcome TEXT
           )""",
        "CREATE INDEX plan_timers_open ON plan_timers (ended_at)",
        "CREATE INDEX plan_timers_by_kind ON plan_timers (kind, outcome)",
    ),
)
