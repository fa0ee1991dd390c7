"""The practice domain's tables (see :mod:`waitbuddy.schema`): progress per problem and attempts.

``practice_problems`` holds one row per problem the person has touched (a problem without a row is
new): ``status`` (attempted / solved, checked in Python), ``card`` the fsrs ``Card.to_dict()`` JSON
(NULL for a problem imported as solved and never attempted here), ``due`` when it is next due (the
card's due, but never the same local day as the last attempt), ``started_at`` when the person last
started it. ``practice_attempts`` is every attempt: when, minutes spent (NULL if not given), rating
(again / hard / good / easy). Times are ISO-8601 UTC text (``timefmt.iso``).

Append only: never edit a migration that has shipped. Plain SQL, importing nothing.
"""

from __future__ import annotations

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE practice_problems (
               slug TEXT PRIMARY KEY,
               status TEXT NOT NULL,
               card TEXT,
               due TEXT,
               started_at TEXT,
               solved_at TEXT,
               imported_at TEXT
           )""",
        "CREATE INDEX practice_problems_by_due ON practice_problems (due)",
        """CREATE TABLE practice_attempts (
               id INTEGER PRIMARY KEY,
               slug TEXT NOT NULL,
               at TEXT NOT NULL,
               minutes INTEGER,
               rating TEXT NOT NULL
           )""",
        "CREATE INDEX practice_attempts_by_slug ON practice_attempts (slug, at)",
    ),
)
