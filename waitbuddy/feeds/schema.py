"""The feeds domain's tables (see :mod:`waitbuddy.schema`): sources, items, and which source
brought which item.

One row per item KEY (the arXiv id, else the feed's guid), not per (source, item): a paper listed
in cs.LG and in stat.ML, or found by a search too, is one paper the person reads, saves or
dismisses once, and the ranker learns from it once. ``feed_item_sources`` records every source
that listed it (to filter by source, and so removing one source keeps items another still lists);
``feed_items.source_id`` is the first of them, the one the item is shown under.

Times are ISO-8601 UTC text (``timefmt.iso``). Enumerations (kind, origin, announce_type) are
checked in Python (:mod:`waitbuddy.feeds.library`), not with SQL CHECKs. ``seen_at`` is the last
time a fetch found the item in a feed: retention prunes by it, so an item a feed still lists is
never pruned (it would come back as new at the next fetch). The ranker's learned state is a JSON
setting (``settings.feeds.ranker``), not a table.

Append only: never edit a migration that has shipped. Plain SQL, importing nothing.
"""

from __future__ import annotations

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE feed_sources (
               id INTEGER PRIMARY KEY,
               spec TEXT NOT NULL UNIQUE,
               key TEXT NOT NULL UNIQUE,
               kind TEXT NOT NULL,
               url TEXT NOT NULL,
               name TEXT NOT NULL DEFAULT '',
               tags TEXT NOT NULL DEFAULT '[]',
               refresh_minutes INTEGER,
               origin TEXT NOT NULL DEFAULT 'user',
               title TEXT NOT NULL DEFAULT '',
               etag TEXT,
               last_modified TEXT,
               fresh_until TEXT,
               retry_at TEXT,
               checked_at TEXT,
               ok_at TEXT,
               parsed_at TEXT,
               error TEXT,
               added_at TEXT NOT NULL
           )""",
        """CREATE TABLE feed_items (
               id INTEGER PRIMARY KEY,
               key TEXT NOT NULL UNIQUE,
               source_id INTEGER REFERENCES feed_sources (id) ON DELETE SET NULL,
               guid TEXT NOT NULL,
               title TEXT NOT NULL DEFAULT '',
               link TEXT,
               authors TEXT NOT NULL DEFAULT '[]',
               published TEXT,
               updated TEXT,
               summary TEXT NOT NULL DEFAULT '',
               categories TEXT NOT NULL DEFAULT '[]',
               arxiv_id TEXT,
               arxiv_version INTEGER,
               announce_type TEXT,
               primary_category TEXT,
               pdf_url TEXT,
               comment TEXT NOT NULL DEFAULT '',
               pages INTEGER,
               first_seen_at TEXT NOT NULL,
               seen_at TEXT NOT NULL,
               read_at TEXT,
               saved_at TEXT,
               dismissed_at TEXT,
               backlog_id INTEGER
           )""",
        "CREATE INDEX feed_items_by_date ON feed_items (coalesce(published, updated, first_seen_at))",
        "CREATE INDEX feed_items_by_seen ON feed_items (seen_at)",
        """CREATE TABLE feed_item_sources (
               item_id INTEGER NOT NULL REFERENCES feed_items (id) ON DELETE CASCADE,
               source_id INTEGER NOT NULL REFERENCES feed_sources (id) ON DELETE CASCADE,
               PRIMARY KEY (item_id, source_id)
           ) WITHOUT ROWID""",
        "CREATE INDEX feed_item_sources_by_source ON feed_item_sources (source_id, item_id)",
    ),
)
