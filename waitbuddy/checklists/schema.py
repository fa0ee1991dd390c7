"""The checklists domain's tables (see :mod:`waitbuddy.schema`): items and every completion.

``checklist_items.key`` is stable (``profile/linkedin-photo`` for a built-in, ``LIST/TITLE`` slugs
for the person's own); ``origin`` is builtin, config or user (checked in Python); ``edited`` marks
a built-in or config item whose text the person changed, which syncing then leaves alone.
Completions are never overwritten: "done" for a period is derived from them
(:mod:`waitbuddy.checklists.recurrence`). Times are ISO-8601 UTC text.

Append only: never edit a migration that has shipped. Plain SQL, importing nothing.
"""

from __future__ import annotations

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE checklist_items (
               id INTEGER PRIMARY KEY,
               key TEXT NOT NULL UNIQUE,
               list_key TEXT NOT NULL,
               list_name TEXT NOT NULL,
               title TEXT NOT NULL,
               minutes INTEGER NOT NULL,
               recurrence TEXT NOT NULL,
               origin TEXT NOT NULL,
               enabled INTEGER NOT NULL DEFAULT 1,
               edited INTEGER NOT NULL DEFAULT 0,
               position INTEGER NOT NULL DEFAULT 0,
               snoozed_until TEXT,
               added_at TEXT NOT NULL
           )""",
        """CREATE TABLE checklist_completions (
               id INTEGER PRIMARY KEY,
               item_id INTEGER NOT NULL REFERENCES checklist_items (id) ON DELETE CASCADE,
               done_at TEXT NOT NULL
           )""",
        "CREATE INDEX checklist_completions_by_item ON checklist_completions (item_id, done_at)",
    ),
)
