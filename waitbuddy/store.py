"""The one SQLite database: WAL, busy timeout, foreign keys, numbered migrations per domain.

Each domain numbers its own migrations (:mod:`waitbuddy.schema` lists the domains in the order
they run); the table ``schema_versions`` records how many of each domain's have run. Each
migration runs in its own ``BEGIN IMMEDIATE`` transaction together with its version bump, so a
crash mid-migration leaves the previous version intact, and two processes opening a fresh
database at once apply each migration exactly once. A database of the old single numbered list
(``PRAGMA user_version`` 1-4) is taken over as it is: its count becomes per-domain counts.

WAL with ``synchronous=NORMAL``: a process killed at any point loses no committed transaction
(a power cut may lose the last few), and readers never block the writer of another pane.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from waitbuddy import __version__, schema
from waitbuddy.schema import DOMAINS

BUSY_TIMEOUT_SECONDS = 10.0

# PRAGMA user_version of a database whose migrations are counted per domain (schema_versions);
# 1-4 are the old single numbered list (see schema.legacy_versions), 0 a database never migrated.
# Waitbuddy before this refuses 5 as "newer" instead of running its migration 1 again.
LAYOUT_VERSION = schema.LEGACY_VERSIONS + 1

Domains = Sequence[tuple[str, schema.Migrations]]  # (name, migrations) in the order they run

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
    def open(cls, path: Path | str, *, domains: Domains = DOMAINS,
             busy_timeout: float | None = None) -> Store:
        """Open (creating if needed) and migrate the database at ``path`` (or ``":memory:"``).
        ``domains``: ``(name, migrations)`` in the order they run (tests pass their own).
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
            _prepare(connection, name, domains, timeout)
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
    def schema_versions(self) -> dict[str, int]:
        """How many migrations of each domain have run."""
        return {row[0]: row[1] for row in self.query("SELECT domain, version FROM schema_versions")}

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


def _prepare(connection: sqlite3.Connection, name: str, domains: Domains,
             timeout: float) -> None:
    connection.row_factory = sqlite3.Row
    try:
        connection.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        # Read the versions before changing anything: a newer database is refused untouched.
        layout = connection.execute("PRAGMA user_version").fetchone()[0]
        if layout > LAYOUT_VERSION:
            raise _newer(name, str(layout), LAYOUT_VERSION)
        done = _domain_versions(connection) if layout == LAYOUT_VERSION else {}
        _refuse_newer(name, domains, done)
        _set_wal(connection, timeout)
        connection.execute("PRAGMA synchronous = NORMAL")
        if layout < LAYOUT_VERSION or any(done.get(domain, 0) < len(steps) for domain, steps in domains):
            _migrate(connection, name, domains)
        connection.execute("PRAGMA foreign_keys = ON")
    except sqlite3.DatabaseError as exc:
        raise _store_error(exc, name, timeout) from None


def _newer(name: str, version: str, known: int) -> StoreError:
    return StoreError(
        f"the database {name} was written by a newer waitbuddy (schema {version}; "
        f"waitbuddy {__version__} knows up to {known}). "
        "Upgrade waitbuddy, or point WAITBUDDY_DATA_DIR at another directory."
    )


def _domain_versions(connection: sqlite3.Connection) -> dict[str, int]:
    return {row[0]: row[1] for row in connection.execute("SELECT domain, version FROM schema_versions")}


def _refuse_newer(name: str, domains: Domains, done: Mapping[str, int]) -> None:
    """A domain migrated further than this waitbuddy knows. (A domain it does not know at all is
    left alone: its tables are nobody's here.)"""
    for domain, steps in domains:
        if done.get(domain, 0) > len(steps):
            raise _newer(name, f"{domain} {done[domain]}", len(steps))


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


def _migrate(connection: sqlite3.Connection, name: str, domains: Domains) -> None:
    # Foreign keys off while tables are rebuilt (SQLite's procedure; the pragma is a no-op inside
    # a transaction); each migration checks them before it commits.
    connection.execute("PRAGMA foreign_keys = OFF")
    _adopt_layout(connection, name)
    for domain, steps in domains:
        while _migrate_one(connection, name, domain, steps):
            pass


def _adopt_layout(connection: sqlite3.Connection, name: str) -> None:
    """A fresh database, or one of the old numbered list: start counting per domain."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        # Another process may have done it while we waited for the write lock.
        layout = connection.execute("PRAGMA user_version").fetchone()[0]
        if layout < LAYOUT_VERSION:
            connection.execute(
                "CREATE TABLE schema_versions (domain TEXT PRIMARY KEY, version INTEGER NOT NULL)")
            connection.executemany("INSERT INTO schema_versions (domain, version) VALUES (?, ?)",
                                   schema.legacy_versions(layout).items())
            connection.execute(f"PRAGMA user_version = {LAYOUT_VERSION}")
        elif layout > LAYOUT_VERSION:
            raise _newer(name, str(layout), LAYOUT_VERSION)
    except sqlite3.DatabaseError as exc:
        _rollback(connection)
        raise StoreError(f"migrating {name} to per-domain schema versions failed: {exc}") from None
    except BaseException:
        _rollback(connection)
        raise
    connection.execute("COMMIT")


def _migrate_one(connection: sqlite3.Connection, name: str, domain: str, steps: Sequence[Sequence[str]]) -> bool:
    """Run the next migration of ``domain``, if any; False when it is up to date."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        # Another process may have migrated while we waited for the write lock.
        done = _domain_versions(connection).get(domain, 0)
        _refuse_newer(name, ((domain, steps),), {domain: done})
        if done == len(steps):
            connection.execute("COMMIT")
            return False
        try:
            for statement in steps[done]:
                connection.execute(statement)
            if connection.execute("PRAGMA foreign_key_check").fetchone() is not None:
                raise sqlite3.IntegrityError("a foreign key no longer holds")
            connection.execute(
                """INSERT INTO schema_versions (domain, version) VALUES (?, ?)
                   ON CONFLICT (domain) DO UPDATE SET version = excluded.version""", (domain, done + 1))
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"migrating {name} to {domain} schema {done + 1} failed: {exc}") from None
    except BaseException:
        _rollback(connection)
        raise
    connection.execute("COMMIT")
    return True
