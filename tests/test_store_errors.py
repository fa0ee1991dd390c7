"""A locked, read-only or full database: one line naming the reason, exit 2, nothing half-written.

Real SQLite throughout: another connection holds the write lock (BEGIN IMMEDIATE), a read-only
connection mode stands in for a read-only file (chmod does not stop root), and
``PRAGMA max_page_count`` fills the "disk"."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from waitbuddy import store as store_module
from waitbuddy.cli import main
from waitbuddy.store import Store, StoreError

LOCKED = "the database is locked by another process (waited 0.2 s)"


@contextmanager
def write_locked(path: Path) -> Iterator[None]:
    """Another process's writer, mid-transaction: holds the write lock until the block ends."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data dir with a migrated database, and a busy timeout short enough for a test."""
    monkeypatch.setenv("WAITBUDDY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_SECONDS", 0.2)
    database = tmp_path / "data" / "waitbuddy.db"
    Store.open(database).close()
    return database


@pytest.fixture
def read_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every store the command opens refuses writes, as a read-only file does for a non-root user."""
    real_open = Store.open.__func__  # type: ignore[attr-defined]

    def open_read_only(cls, *args, **kwargs):
        opened = real_open(cls, *args, **kwargs)
        opened._connection.execute("PRAGMA query_only = ON")
        return opened

    monkeypatch.setattr(Store, "open", classmethod(open_read_only))


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err and "OperationalError" not in err
    return err.strip()


def item_count(database: Path) -> int:
    with sqlite3.connect(database) as db:
        return db.execute("SELECT count(*) FROM items").fetchone()[0]


# --- the store ---------------------------------------------------------------------------------------


def test_a_write_while_another_process_holds_the_lock_says_so(data: Path):
    with Store.open(data) as store, write_locked(data), pytest.raises(StoreError) as caught:
        store.set_setting("a", "1")
    assert str(caught.value) == LOCKED
    with Store.open(data) as store:
        assert store.get_setting("a") is None


def test_the_message_names_the_wait_actually_configured(tmp_path: Path):
    database = tmp_path / "w.db"
    expected = r"^the database is locked by another process \(waited 0.1 s\)$"
    with Store.open(database, busy_timeout=0.1) as store, write_locked(database), pytest.raises(StoreError, match=expected):
        store.set_setting("a", "1")
    assert store_module.store_problem(sqlite3.OperationalError("database is locked"), "x") == (
        "the database is locked by another process (waited 10 s)")


def test_a_read_only_database_says_so_and_reads_still_work(data: Path):
    with Store.open(data) as store:
        store.set_setting("a", "1")
        store._connection.execute("PRAGMA query_only = ON")
        with pytest.raises(StoreError, match="^the database is read-only$"):
            store.set_setting("a", "2")
        assert store.get_setting("a") == "1"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to a chmod 444 file anyway")
def test_a_read_only_file_says_so(data: Path):
    data.chmod(0o444)
    try:
        with Store.open(data) as store, pytest.raises(StoreError, match="^the database is read-only$"):
            store.set_setting("a", "1")
    finally:
        data.chmod(0o644)


def test_a_full_disk_says_so_and_keeps_nothing_of_the_transaction(data: Path):
    with Store.open(data) as store:
        store.set_setting("kept", "1")
        pages = store.query("PRAGMA page_count")[0][0]
        store._connection.execute(f"PRAGMA max_page_count = {pages}")
        with pytest.raises(StoreError, match="^the disk is full$"), store.transaction() as db:
            db.execute("INSERT INTO settings (key, value) VALUES ('first', 'x')")
            for n in range(200):
                db.execute("INSERT INTO settings (key, value) VALUES (?, ?)", (f"big{n}", "x" * 4000))
        assert not store._connection.in_transaction
        assert [row[0] for row in store.query("SELECT key FROM settings")] == ["kept"]
        store._connection.execute("PRAGMA max_page_count = 1073741823")
        store.set_setting("after", "1")  # the store is usable again once there is room
    assert sqlite3.connect(data).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_query_wraps_the_database_trouble_too(data: Path):
    with Store.open(data) as store:
        store._connection.execute("PRAGMA query_only = ON")
        with pytest.raises(StoreError, match="^the database is read-only$"):
            store.query("DELETE FROM settings")


def test_constraint_errors_stay_what_they_are(store: Store):
    """A caller may expect and handle a conflict; only the database's own trouble becomes StoreError."""
    with pytest.raises(sqlite3.IntegrityError), store.transaction() as db:
        db.execute("INSERT INTO settings (key, value) VALUES ('k', NULL)")


# --- the commands --------------------------------------------------------------------------------------


def test_add_under_a_lock_prints_one_line_and_exits_2(data: Path, capsys):
    with write_locked(data):
        assert main(["add", "https://example.com/a", "--no-fetch"]) == 2
    assert one_line_error(capsys) == f"waitbuddy: {LOCKED}"
    assert item_count(data) == 0


def test_import_under_a_lock_prints_one_line_and_exits_2(data: Path, tmp_path: Path, capsys):
    bookmarks = tmp_path / "b.json"
    bookmarks.write_text(json.dumps([{"url": f"https://example.com/{n}", "title": str(n)} for n in range(50)]))
    with write_locked(data):
        assert main(["import", str(bookmarks)]) == 2
    assert one_line_error(capsys) == f"waitbuddy: {LOCKED}"
    assert item_count(data) == 0


def test_watch_under_a_lock_prints_one_line_and_exits_2(data: Path, tmp_path: Path, capsys):
    log = tmp_path / "train.log"
    log.write_text("epoch 1\n")
    with write_locked(data):
        assert main(["watch", "--json", "--remember", "--until-done", str(log)]) == 2
    assert one_line_error(capsys) == f"waitbuddy: {LOCKED}"


def test_add_to_a_read_only_database_prints_one_line_and_exits_2(data: Path, read_only, capsys):
    assert main(["add", "https://example.com/a", "--no-fetch"]) == 2
    assert one_line_error(capsys) == "waitbuddy: the database is read-only"
    assert item_count(data) == 0


def test_import_into_a_read_only_database_prints_one_line_and_exits_2(data: Path, read_only, tmp_path: Path, capsys):
    bookmarks = tmp_path / "b.json"
    bookmarks.write_text(json.dumps([{"url": "https://example.com/a", "title": "a"}]))
    assert main(["import", str(bookmarks)]) == 2
    assert one_line_error(capsys) == "waitbuddy: the database is read-only"
    assert item_count(data) == 0
