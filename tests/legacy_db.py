"""Databases as waitbuddy wrote them before migrations were per domain (issue 12): the old single
numbered list, copied verbatim from waitbuddy/store.py as it shipped (PRAGMA user_version counted
how many had run). Fixtures only: never import this from waitbuddy."""

from __future__ import annotations

import sqlite3
from pathlib import Path

# Frozen: this is what users' databases hold.
LEGACY_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE settings (
               key TEXT PRIMARY KEY,
               value TEXT NOT NULL,
               updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
           )""",
    ),
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
        # The reading backlog. url_key is the normalized URL (reading/urls.py) that dedupes items;
        # tags is a JSON array; times are ISO-8601 UTC text. saved_at is when the person saved it
        # (from an import: the original date), never when waitbuddy learned of it.
        """CREATE TABLE items (
               id INTEGER PRIMARY KEY,
               url TEXT NOT NULL,
               url_key TEXT NOT NULL UNIQUE,
               title TEXT NOT NULL DEFAULT '',
               description TEXT NOT NULL DEFAULT '',
               kind TEXT NOT NULL DEFAULT 'article'
                   CHECK (kind IN ('article', 'paper', 'video', 'repo', 'docs')),
               kind_locked INTEGER NOT NULL DEFAULT 0,
               source TEXT NOT NULL DEFAULT 'manual',
               saved_at TEXT NOT NULL,
               status TEXT NOT NULL DEFAULT 'unread'
                   CHECK (status IN ('unread', 'reading', 'done', 'archived')),
               priority INTEGER NOT NULL DEFAULT 0 CHECK (priority BETWEEN 0 AND 3),
               tags TEXT NOT NULL DEFAULT '[]',
               note TEXT NOT NULL DEFAULT '',
               words INTEGER,
               pages INTEGER,
               duration_seconds INTEGER,
               minutes INTEGER,
               snoozed_until TEXT,
               surfaced_at TEXT,
               fetch_state TEXT NOT NULL DEFAULT 'pending'
                   CHECK (fetch_state IN ('pending', 'done', 'failed', 'off')),
               fetch_error TEXT NOT NULL DEFAULT '',
               fetch_attempts INTEGER NOT NULL DEFAULT 0,
               fetched_at TEXT,
               updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
           )""",
        "CREATE INDEX items_to_fetch ON items (fetch_state, fetch_attempts)",
    ),
    (
        # When an item was marked done (updated_at moves on every edit): "what did I read
        # yesterday". Items done before this existed get their last edit, the best there is.
        "ALTER TABLE items ADD COLUMN done_at TEXT",
        "UPDATE items SET done_at = updated_at WHERE status = 'done'",
        "CREATE INDEX items_done ON items (done_at) WHERE done_at IS NOT NULL",
    ),
)


def build_legacy(path: Path, version: int) -> sqlite3.Connection:
    """A database at legacy ``user_version`` ``version`` (0-4), built the way the old store did;
    returns an open connection (autocommit) to fill it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode = WAL")
    for number, statements in enumerate(LEGACY_MIGRATIONS[:version], start=1):
        connection.execute("BEGIN IMMEDIATE")
        for statement in statements:
            connection.execute(statement)
        connection.execute(f"PRAGMA user_version = {number}")
        connection.execute("COMMIT")
    return connection
