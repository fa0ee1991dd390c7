"""The one SQLite database: WAL, busy timeout, foreign keys, numbered migrations.

Migration N is ``MIGRATIONS[N - 1]``; ``PRAGMA user_version`` records how many have run. Each
migration runs in its own ``BEGIN IMMEDIATE`` transaction together with the version bump, so a
crash mid-migration leaves the previous version intact, and two processes opening a fresh
database at once apply each migration exactly once.

WAL with ``synchronous=NORMAL``: a process killed at any point loses no committed transaction
(a power cut may lose the last few), and readers never block the writer of another pane.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from waitbuddy import __version__

BUSY_TIMEOUT_SECONDS = 10.0

# Append only: never edit a migration that has shipped.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
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

SCHEMA_VERSION = len(MIGRATIONS)

# Keys of the settings table (state the app remembers, as opposed to config the user writes).
THEME_SETTING = "ui.theme"


class StoreError(Exception):
    """The database cannot be used; ``str()`` is the message for the user."""


class StoreBusy(StoreError):
    """Another process held the write lock for the whole busy timeout: trying again later may work."""


class Store:
    """A connection to the database, safe to share between threads (calls are serialized)."""

    def __init__(self, connection: sqlite3.Connection, path: str, *, busy_timeout: float = BUSY_TIMEOUT_SECONDS) -> None:
        self._connection = connection
        self._lock = threading.RLock()
        self.path = path
        self.busy_timeout = busy_timeout

    @classmethod
    def open(cls, path: Path | str, *, migrations: Sequence[Sequence[str]] = MIGRATIONS,
             busy_timeout: float | None = None) -> Store:
        """Open (creating if needed) and migrate the database at ``path`` (or ``":memory:"``).
        ``busy_timeout``: how long to wait for another process's write lock (default
        BUSY_TIMEOUT_SECONDS, read at each open so tests can shorten it)."""
        name = str(path)
        timeout = BUSY_TIMEOUT_SECONDS if busy_timeout is None else busy_timeout
        if name != ":memory:":
            try:
                Path(name).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create the data directory {Path(name).parent}: {exc.strerror or exc}") from None
        try:
            connection = sqlite3.connect(
                name, timeout=timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the database {name}: {exc}") from None
        try:
            _prepare(connection, name, migrations, timeout)
        except BaseException:
            connection.close()
            raise
        return cls(connection, name, busy_timeout=timeout)

    def close(self) -> None:
        with self._lock:
            self._connection.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        return self.query("PRAGMA user_version")[0][0]

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: committed when the block ends, rolled back if it raises.

        A locked, read-only or full database raises StoreError with a one-line reason, wherever
        it shows (BEGIN, a statement in the block, or COMMIT); nothing of the block is kept."""
        with self._lock:
            connection = self._connection
            try:
                connection.execute("BEGIN IMMEDIATE")
                try:
                    yield connection
                    connection.execute("COMMIT")
                except BaseException:
                    _rollback(connection)
                    raise
            except sqlite3.DatabaseError as exc:
                if not _is_environmental(exc):
                    raise
                raise _store_error(exc, self.path, self.busy_timeout) from None

    def query(self, sql: str, params: Sequence[object] = ()) -> list[sqlite3.Row]:
        with self._lock:
            try:
                return self._connection.execute(sql, params).fetchall()
            except sqlite3.DatabaseError as exc:
                if not _is_environmental(exc):
                    raise
                raise _store_error(exc, self.path, self.busy_timeout) from None

    def get_setting(self, key: str, default: str | None = None) -> str | None:
        rows = self.query("SELECT value FROM settings WHERE key = ?", (key,))
        return rows[0][0] if rows else default

    def set_setting(self, key: str, value: str) -> None:
        with self.transaction() as connection:
            connection.execute(
                """INSERT INTO settings (key, value) VALUES (?, ?)
                   ON CONFLICT (key) DO UPDATE SET value = excluded.value,
                   updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')""",
                (key, value),
            )


def store_problem(exc: sqlite3.Error, name: str, busy_timeout: float = BUSY_TIMEOUT_SECONDS) -> str:
    """One line for the user saying why the database at ``name`` could not be used."""
    primary = _primary_code(exc)
    text = str(exc).lower()
    if _is_busy(exc):
        return f"the database is locked by another process (waited {busy_timeout:g} s)"
    if primary == sqlite3.SQLITE_READONLY or "readonly" in text:
        return "the database is read-only"
    if primary == sqlite3.SQLITE_FULL or "disk is full" in text:
        return "the disk is full"
    return f"cannot use the database {name}: {exc}"


def _store_error(exc: sqlite3.Error, name: str, busy_timeout: float) -> StoreError:
    return (StoreBusy if _is_busy(exc) else StoreError)(store_problem(exc, name, busy_timeout))


def _primary_code(exc: sqlite3.Error) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)  # Python 3.11+
    return code & 0xFF if code is not None else None


def _is_busy(exc: sqlite3.Error) -> bool:
    return _primary_code(exc) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) or "locked" in str(exc).lower()


def _is_environmental(exc: sqlite3.Error) -> bool:
    """The database or its file is in the way (locked, read-only, full, I/O, corrupt), as opposed
    to a constraint or SQL error in the statement itself, which callers may expect and handle."""
    return isinstance(exc, sqlite3.OperationalError) or type(exc) is sqlite3.DatabaseError


def _rollback(connection: sqlite3.Connection) -> None:
    """Undo an open transaction; SQLite may already have rolled it back itself (e.g. SQLITE_FULL)."""
    if not connection.in_transaction:
        return
    try:
        connection.execute("ROLLBACK")
    except sqlite3.Error:
        pass  # the error that got us here says more; SQLite undoes the rest when the connection closes


def _prepare(connection: sqlite3.Connection, name: str, migrations: Sequence[Sequence[str]], timeout: float) -> None:
    connection.row_factory = sqlite3.Row
    try:
        connection.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        # Read the version before changing anything: a newer database is refused untouched.
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        if version > len(migrations):
            raise StoreError(
                f"the database {name} was written by a newer waitbuddy (schema {version}; "
                f"waitbuddy {__version__} knows up to {len(migrations)}). "
                "Upgrade waitbuddy, or point WAITBUDDY_DATA_DIR at another directory."
            )
        _set_wal(connection, timeout)
        connection.execute("PRAGMA synchronous = NORMAL")
        connection.execute("PRAGMA foreign_keys = ON")
        if version < len(migrations):
            _migrate(connection, name, migrations)
    except sqlite3.DatabaseError as exc:
        raise _store_error(exc, name, timeout) from None


def _set_wal(connection: sqlite3.Connection, timeout: float) -> None:
    """Switch to WAL. The switch needs a moment of exclusive access and SQLite may refuse it at
    once, without waiting, while another process is opening the same fresh database."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            connection.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _migrate(connection: sqlite3.Connection, name: str, migrations: Sequence[Sequence[str]]) -> None:
    while True:
        connection.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have migrated while we waited for the write lock.
            version = connection.execute("PRAGMA user_version").fetchone()[0]
            if version >= len(migrations):
                connection.execute("COMMIT")
                return
            for statement in migrations[version]:
                connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {version + 1}")
        except sqlite3.DatabaseError as exc:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise StoreError(f"migrating {name} to schema {version + 1} failed: {exc}") from None
        connection.execute("COMMIT")
