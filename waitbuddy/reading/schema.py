"""The reading domain's table: the backlog (see :mod:`waitbuddy.schema`).

Append only: never edit a migration that has shipped. Plain SQL, importing nothing: the store
imports this module (through :mod:`waitbuddy.schema`) before any domain code.
"""

from __future__ import annotations

MIGRATIONS: tuple[tuple[str, ...], ...] = (
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
    (
        # The CHECKs on kind, status, priority and fetch_state move to Python (reading.model:
        # KINDS, STATUSES, PRIORITY_MIN/MAX, FETCH_STATES; checked by backlog before it writes):
        # a new kind then needs no table rebuild. SQLite's procedure: build anew, copy, drop, rename.
        """CREATE TABLE items_rebuilt (
               id INTEGER PRIMARY KEY,
               url TEXT NOT NULL,
               url_key TEXT NOT NULL UNIQUE,
               title TEXT NOT NULL DEFAULT '',
               description TEXT NOT NULL DEFAULT '',
               kind TEXT NOT NULL DEFAULT 'article',
               kind_locked INTEGER NOT NULL DEFAULT 0,
               source TEXT NOT NULL DEFAULT 'manual',
               saved_at TEXT NOT NULL,
               status TEXT NOT NULL DEFAULT 'unread',
               priority INTEGER NOT NULL DEFAULT 0,
               tags TEXT NOT NULL DEFAULT '[]',
               note TEXT NOT NULL DEFAULT '',
               words INTEGER,
               pages INTEGER,
               duration_seconds INTEGER,
               minutes INTEGER,
               snoozed_until TEXT,
               surfaced_at TEXT,
               fetch_state TEXT NOT NULL DEFAULT 'pending',
               fetch_error TEXT NOT NULL DEFAULT '',
               fetch_attempts INTEGER NOT NULL DEFAULT 0,
               fetched_at TEXT,
               updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
               done_at TEXT
           )""",
        """INSERT INTO items_rebuilt (id, url, url_key, title, description, kind, kind_locked, source, saved_at,
                                      status, priority, tags, note, words, pages, duration_seconds, minutes,
                                      snoozed_until, surfaced_at, fetch_state, fetch_error, fetch_attempts,
                                      fetched_at, updated_at, done_at)
           SELECT id, url, url_key, title, description, kind, kind_locked, source, saved_at, status, priority, tags,
                  note, words, pages, duration_seconds, minutes, snoozed_until, surfaced_at, fetch_state,
                  fetch_error, fetch_attempts, fetched_at, updated_at, done_at FROM items""",
        "DROP TABLE items",
        "ALTER TABLE items_rebuilt RENAME TO items",
        "CREATE INDEX items_to_fetch ON items (fetch_state, fetch_attempts)",
        "CREATE INDEX items_done ON items (done_at) WHERE done_at IS NOT NULL",
    ),
    (
        # The planner's question (backlog.plannable): open items with a known length, highest
        # priority first, then oldest. Without this every `waitbuddy plan` sorted the whole backlog
        # (~8 ms for 10,000 items); with it the first few hundred are read in order.
        ("CREATE INDEX items_plannable ON items (priority DESC, saved_at) "
         "WHERE status IN ('unread', 'reading') AND minutes > 0"),
    ),
)
