import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from waitbuddy.schema import DOMAINS
from waitbuddy.store import LAYOUT_VERSION, Store, StoreError

LATEST = {name: len(migrations) for name, migrations in DOMAINS}

WRITER = textwrap.dedent(
    """
    import sys
    from waitbuddy.store import Store
    store = Store.open(sys.argv[1])
    with store.transaction() as db:
        db.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, writer TEXT, n INTEGER)")
    count = int(sys.argv[3])
    n = 0
    while count < 0 or n < count:
        with store.transaction() as db:
            row = db.execute("INSERT INTO t (writer, n) VALUES (?, ?)", (sys.argv[2], n)).lastrowid
        print(row, flush=True)  # printed only after COMMIT returned
        n += 1
    """
)


def start_writer(db: Path, name: str, count: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db), name, str(count)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def test_fresh_database_is_migrated_with_wal_and_foreign_keys(tmp_path: Path):
    with Store.open(tmp_path / "sub" / "dir" / "w.db") as store:
        assert store.schema_versions == LATEST
        assert store.query("PRAGMA user_version")[0][0] == LAYOUT_VERSION
        assert store.query("PRAGMA journal_mode")[0][0] == "wal"
        assert store.query("PRAGMA foreign_keys")[0][0] == 1
        assert store.query("PRAGMA busy_timeout")[0][0] >= 5000


def test_reopening_keeps_data_and_does_not_migrate_again(tmp_path: Path):
    path = tmp_path / "w.db"
    with Store.open(path) as store:
        store.set_setting("k", "v")
    with Store.open(path) as store:
        assert store.get_setting("k") == "v"
        assert store.schema_versions == LATEST


def test_migrations_apply_in_order_from_an_older_version(tmp_path: Path):
    path = tmp_path / "w.db"
    first = (("CREATE TABLE a (x INTEGER)",),)
    with Store.open(path, domains=[("t", first)]) as store:
        assert store.schema_versions == {"t": 1}
    more = (*first, ("ALTER TABLE a ADD COLUMN y TEXT", "CREATE TABLE b (a_x INTEGER)"), ("CREATE INDEX i ON b (a_x)",))
    with Store.open(path, domains=[("t", more)]) as store:
        assert store.schema_versions == {"t": 3}
        assert [row[1] for row in store.query("PRAGMA table_info(a)")] == ["x", "y"]


def test_failed_migration_rolls_back_completely(tmp_path: Path):
    path = tmp_path / "w.db"
    good = (("CREATE TABLE a (x INTEGER)",),)
    with Store.open(path, domains=[("t", good)]):
        pass
    broken = (*good, ("CREATE TABLE b (y INTEGER)", "THIS IS NOT SQL"))
    with pytest.raises(StoreError, match="migrating .* to t schema 2 failed"):
        Store.open(path, domains=[("t", broken)])
    with Store.open(path, domains=[("t", good)]) as store:
        assert store.schema_versions == {"t": 1}
        assert not store.query("SELECT name FROM sqlite_master WHERE name = 'b'")


def test_newer_database_is_refused_and_left_untouched(tmp_path: Path):
    (tmp_path / "data").mkdir()
    path = tmp_path / "data" / "w.db"
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE future (x)")
    raw.execute(f"PRAGMA user_version = {LAYOUT_VERSION + 5}")
    raw.commit()
    raw.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match="written by a newer waitbuddy") as caught:
        Store.open(path)
    assert f"schema {LAYOUT_VERSION + 5}" in str(caught.value)
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["w.db"]  # no -wal/-shm: journal mode untouched


def test_not_a_database(tmp_path: Path):
    path = tmp_path / "w.db"
    path.write_bytes(b"this is not sqlite\n" * 200)
    with pytest.raises(StoreError, match="cannot use the database .*not a database"):
        Store.open(path)


def test_data_dir_that_cannot_be_created(tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(StoreError, match="cannot create the data directory"):
        Store.open(blocker / "sub" / "w.db")


def test_transaction_rolls_back_on_error(store: Store):
    store.set_setting("a", "1")
    with pytest.raises(RuntimeError):
        with store.transaction() as db:
            db.execute("UPDATE settings SET value = '2' WHERE key = 'a'")
            raise RuntimeError("boom")
    assert store.get_setting("a") == "1"


def test_settings_roundtrip_and_default(store: Store):
    assert store.get_setting("missing", "d") == "d"
    store.set_setting("ui.theme", "nord")
    store.set_setting("ui.theme", "gruvbox")
    assert store.get_setting("ui.theme") == "gruvbox"


def test_memory_database():
    with Store.open(":memory:") as store:
        assert store.schema_versions == LATEST


def test_two_connections_write_concurrently_from_threads(tmp_path: Path):
    path = tmp_path / "w.db"
    stores = [Store.open(path), Store.open(path)]
    with stores[0].transaction() as db:
        db.execute("CREATE TABLE t (writer INTEGER, n INTEGER)")

    def write(index: int) -> None:
        for n in range(200):
            with stores[index].transaction() as db:
                db.execute("INSERT INTO t VALUES (?, ?)", (index, n))

    threads = [threading.Thread(target=write, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    rows = stores[1].query("SELECT writer, COUNT(*) FROM t GROUP BY writer ORDER BY writer")
    assert [tuple(row) for row in rows] == [(0, 200), (1, 200)]
    for opened in stores:
        opened.close()


def test_two_processes_write_concurrently(tmp_path: Path):
    path = tmp_path / "w.db"
    writers = [start_writer(path, name, 300) for name in ("left-pane", "right-pane")]
    results = [writer.communicate(timeout=120) for writer in writers]
    outputs = [out.split() for out, _ in results]
    assert [writer.returncode for writer in writers] == [0, 0], [err for _, err in results]
    with Store.open(path) as store:
        rows = store.query("SELECT writer, COUNT(*) FROM t GROUP BY writer ORDER BY writer")
        assert [tuple(row) for row in rows] == [("left-pane", 300), ("right-pane", 300)]
    assert len(set(outputs[0]) | set(outputs[1])) == 600


def test_fresh_database_opened_by_several_processes_at_once(tmp_path: Path):
    path = tmp_path / "w.db"
    code = "import sys; from waitbuddy.store import Store; print(sorted(Store.open(sys.argv[1]).schema_versions.items()))"
    procs = [subprocess.Popen([sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE, text=True) for _ in range(4)]
    results = [proc.communicate(timeout=60)[0].strip() for proc in procs]
    assert results == [str(sorted(LATEST.items()))] * 4


def test_kill_9_during_a_write_loop_loses_no_committed_row(tmp_path: Path):
    path = tmp_path / "w.db"
    writer = start_writer(path, "doomed", -1)
    committed = []
    assert writer.stdout is not None
    for line in writer.stdout:
        committed.append(int(line))
        if len(committed) >= 500:
            break
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait(timeout=30)
    assert writer.returncode == -signal.SIGKILL
    with Store.open(path) as store:
        assert store.query("PRAGMA integrity_check")[0][0] == "ok"
        present = {row[0] for row in store.query("SELECT id FROM t")}
    assert set(committed) <= present
