"""The runs domain's tables: what to watch, one row per log file, and notes on runs (see
:mod:`waitbuddy.schema`).

Append only: never edit a migration that has shipped. Plain SQL, importing nothing: the store
imports this module (through :mod:`waitbuddy.schema`) before any domain code.
"""

from __future__ import annotations

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        # What to watch: a file, a directory or a glob; new matching files become runs.
        """CREATE TABLE watches (
               id INTEGER PRIMARY KEY,
               pattern TEXT NOT NULL UNIQUE,
               created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
           )""",
        # One row per log file; finished runs stay as history ("hidden" only leaves the dashboard).
        """CREATE TABLE runs (
               id INTEGER PRIMARY KEY,
               path TEXT NOT NULL UNIQUE,
               name TEXT NOT NULL,
               source TEXT NOT NULL DEFAULT 'watch' CHECK (source IN ('watch', 'launch', 'demo')),
               command TEXT,
               pid INTEGER,
               status TEXT NOT NULL DEFAULT 'waiting',
               error_kind TEXT,
               error_message TEXT,
               exit_code INTEGER,
               exit_signal INTEGER,
               started_at TEXT,
               ended_at TEXT,
               updated_at TEXT,
               summary TEXT,
               muted INTEGER NOT NULL DEFAULT 0,
               hidden INTEGER NOT NULL DEFAULT 0,
               created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
           )""",
        "CREATE INDEX runs_by_status ON runs (hidden, status)",
    ),
    (
        # The CHECK on source moves to Python (registry.SOURCES): a new source then needs no table
        # rebuild. SQLite's procedure for changing a table: build it anew, copy, drop, rename.
        """CREATE TABLE runs_rebuilt (
               id INTEGER PRIMARY KEY,
               path TEXT NOT NULL UNIQUE,
               name TEXT NOT NULL,
               source TEXT NOT NULL DEFAULT 'watch',
               command TEXT,
               pid INTEGER,
               status TEXT NOT NULL DEFAULT 'waiting',
               error_kind TEXT,
               error_message TEXT,
               exit_code INTEGER,
               exit_signal INTEGER,
               started_at TEXT,
               ended_at TEXT,
               updated_at TEXT,
               summary TEXT,
               muted INTEGER NOT NULL DEFAULT 0,
               hidden INTEGER NOT NULL DEFAULT 0,
               created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
           )""",
        """INSERT INTO runs_rebuilt (id, path, name, source, command, pid, status, error_kind, error_message,
                                     exit_code, exit_signal, started_at, ended_at, updated_at, summary, muted,
                                     hidden, created_at)
           SELECT id, path, name, source, command, pid, status, error_kind, error_message, exit_code, exit_signal,
                  started_at, ended_at, updated_at, summary, muted, hidden, created_at FROM runs""",
        "DROP TABLE runs",
        "ALTER TABLE runs_rebuilt RENAME TO runs",
        "CREATE INDEX runs_by_status ON runs (hidden, status)",
    ),
    (
        # Experiment notes (runs/notes.py): the question a run answers, what was learned, and
        # "next" experiments to try. kind is checked in Python, as source is (no rebuild to add one).
        # Runs are only hidden today; the cascade keeps notes from outliving a run if that changes.
        """CREATE TABLE run_notes (
               id INTEGER PRIMARY KEY,
               run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
               at TEXT NOT NULL,
               kind TEXT NOT NULL,
               text TEXT NOT NULL
           )""",
        "CREATE INDEX run_notes_by_run ON run_notes (run_id, at)",
        "CREATE INDEX run_notes_by_time ON run_notes (at)",
    ),
)
