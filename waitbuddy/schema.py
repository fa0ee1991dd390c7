"""Which domains own tables, in the order their migrations run: the one list a new domain joins.

Each domain declares its migrations beside its code (``waitbuddy/<domain>/schema.py``: a tuple of
migrations, each a tuple of SQL statements) and the store records per domain how many have run
(table ``schema_versions``). A domain appends migrations to its own tuple without renumbering
anyone else's; a new domain (feeds, practice, checklists, remote) adds one entry to
:data:`DOMAINS`, after the domains whose tables it refers to.

The list lives here, not in ``services.py``: every command opens the store itself
(``Store.open(path)``) and must get the whole schema without passing it, and the store imports
this module rather than the domain packages. This module and the domain schema modules are
plain data that import no waitbuddy code but each other, so the store can import them with no
cycle (``pyproject.toml`` holds that as an import-linter contract).

The core domain is the store's own ``settings`` and the ``events`` history
(:mod:`waitbuddy.history`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from waitbuddy.checklists import schema as checklists
from waitbuddy.feeds import schema as feeds
from waitbuddy.planner import schema as planner
from waitbuddy.practice import schema as practice
from waitbuddy.reading import schema as reading
from waitbuddy.runs import schema as runs

Migrations = Sequence[Sequence[str]]

# Append only: never edit a migration that has shipped.
CORE: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE settings (
               key TEXT PRIMARY KEY,
               value TEXT NOT NULL,
               updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
           )""",
    ),
    (
        # What happened, recorded once where it happens (an item marked done, a run that ended),
        # for the day's report. at: ISO-8601 UTC to the second; detail: a JSON object.
        """CREATE TABLE events (
               id INTEGER PRIMARY KEY,
               at TEXT NOT NULL,
               domain TEXT NOT NULL,
               kind TEXT NOT NULL,
               subject TEXT NOT NULL DEFAULT '',
               detail TEXT NOT NULL DEFAULT '{}'
           )""",
        "CREATE INDEX events_by_time ON events (at)",
    ),
)

DOMAINS: tuple[tuple[str, Migrations], ...] = (
    ("core", CORE),
    ("runs", runs.MIGRATIONS),
    ("reading", reading.MIGRATIONS),
    ("feeds", feeds.MIGRATIONS),
    ("checklists", checklists.MIGRATIONS),
    ("practice", practice.MIGRATIONS),
    ("planner", planner.MIGRATIONS),
)

# Before the per-domain scheme, one numbered list ran (PRAGMA user_version counted it):
# 1 settings, 2 watches and runs, 3 items, 4 items.done_at. Each of those is the first
# migrations of one domain above, unchanged, so an old version maps to per-domain counts.
_LEGACY_STEPS = ("core", "runs", "reading", "reading")


def legacy_versions(user_version: int) -> Mapping[str, int]:
    """How many of each domain's migrations a database of the old numbered scheme has run."""
    versions: dict[str, int] = {}
    for domain in _LEGACY_STEPS[:user_version]:
        versions[domain] = versions.get(domain, 0) + 1
    return versions


LEGACY_VERSIONS = len(_LEGACY_STEPS)
