"""Migrations per domain (issue 12): databases of the old single numbered list upgrade in place,
with their rows, and nothing runs twice; a newer domain is refused; domains add migrations alone."""

import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from waitbuddy.schema import DOMAINS
from waitbuddy.store import LAYOUT_VERSION, Store, StoreError

from .legacy_db import LEGACY_MIGRATIONS, build_legacy

LATEST = {name: len(migrations) for name, migrations in DOMAINS}
DONE_AT = "2026-11-02T08:00:00Z"  # not the item's updated_at: re-running "done_at = updated_at" would show


def fill(connection: sqlite3.Connection, version: int) -> dict[str, list[tuple]]:
    """Rows in every table the legacy ``version`` has; returns them as read back."""
    if version >= 1:
        connection.execute("INSERT INTO settings (key, value) VALUES ('ui.theme', 'nord')")
    if version >= 2:
        connection.execute("INSERT INTO watches (pattern) VALUES ('/runs/*.log')")
        connection.execute("""INSERT INTO runs (path, name, source, command, status, ended_at, summary, muted, hidden)
                              VALUES ('/runs/a.log', 'a', 'launch', '["python", "t.py"]', 'completed',
                                      '2026-11-01T10:00:00Z', '{"status": "completed"}', 1, 0)""")
        connection.execute("INSERT INTO runs (path, name, source) VALUES ('/runs/b.log', 'b', 'demo')")
    if version >= 3:
        connection.execute("""INSERT INTO items (url, url_key, title, kind, saved_at, status, priority, tags,
                                                 fetch_state, updated_at)
                              VALUES ('https://a.example/p', 'a.example/p', 'A', 'paper', '2026-10-01T09:00:00Z',
                                      'done', 2, '["ml"]', 'done', '2026-11-30T09:00:00Z')""")
        connection.execute("""INSERT INTO items (url, url_key, saved_at, status, updated_at)
                              VALUES ('https://b.example/', 'b.example/', '2026-10-02T09:00:00Z', 'unread',
                                      '2026-10-02T09:00:00Z')""")
    if version >= 4:
        connection.execute("UPDATE items SET done_at = ? WHERE status = 'done'", (DONE_AT,))
    return read_rows(connection)


def read_rows(connection: sqlite3.Connection) -> dict[str, list[tuple]]:
    tables = [row[0] for row in connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('settings', 'watches', 'runs', 'items')")]
    return {table: [tuple(row) for row in connection.execute(f"SELECT * FROM {table} ORDER BY 1")]
            for table in sorted(tables)}


def schema_of(path: Path) -> dict[str, str]:
    """Every table and index, with its SQL (whitespace normalized)."""
    connection = sqlite3.connect(path)
    try:
        return {name: re.sub(r"\s+", " ", sql or "") for name, sql in connection.execute(
            "SELECT name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")}
    finally:
        connection.close()


@pytest.mark.parametrize("version", range(len(LEGACY_MIGRATIONS) + 1))
def test_a_legacy_database_upgrades_with_its_rows(tmp_path: Path, version: int):
    legacy = tmp_path / "legacy.db"
    connection = build_legacy(legacy, version)
    before = fill(connection, version)
    connection.close()

    with Store.open(legacy) as store:
        assert store.schema_versions == LATEST
        assert store.query("PRAGMA user_version")[0][0] == LAYOUT_VERSION
        assert store.query("PRAGMA integrity_check")[0][0] == "ok"
        assert store.query("PRAGMA foreign_keys")[0][0] == 1
    raw = sqlite3.connect(legacy)
    after = read_rows(raw)
    raw.close()
    for table, rows in before.items():
        if table == "items" and version == 3:  # done_at arrives, from the last edit
            rows = [(*row, row[23] if row[9] == "done" else None) for row in rows]
        assert after[table] == rows, table
    if version == 4:
        assert [row[-1] for row in after["items"]] == [DONE_AT, None]  # done_at's migration did not run again

    fresh = tmp_path / "fresh.db"
    Store.open(fresh).close()
    assert schema_of(legacy) == schema_of(fresh)


def test_enum_checks_are_gone_from_the_tables(store: Store):
    sql = " ".join(row[0] for row in store.query("SELECT sql FROM sqlite_master WHERE name IN ('runs', 'items')"))
    assert "CHECK" not in sql
    indexes = {row[0] for row in store.query("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"runs_by_status", "items_to_fetch", "items_done", "events_by_time"} <= indexes


def test_a_legacy_database_opened_by_several_processes_at_once_upgrades_once(tmp_path: Path):
    path = tmp_path / "w.db"
    connection = build_legacy(path, 4)
    before = fill(connection, 4)
    connection.close()
    code = "import sys; from waitbuddy.store import Store; print(sorted(Store.open(sys.argv[1]).schema_versions.items()))"
    procs = [subprocess.Popen([sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(4)]
    results = [proc.communicate(timeout=60) for proc in procs]
    assert [out.strip() for out, _ in results] == [str(sorted(LATEST.items()))] * 4, [err for _, err in results]
    raw = sqlite3.connect(path)
    assert read_rows(raw) == before
    raw.close()


def test_a_domain_newer_than_this_waitbuddy_is_refused(tmp_path: Path):
    path = tmp_path / "w.db"
    Store.open(path).close()
    raw = sqlite3.connect(path)
    raw.execute("UPDATE schema_versions SET version = version + 1 WHERE domain = 'runs'")
    raw.commit()
    raw.close()
    with pytest.raises(StoreError) as caught:
        Store.open(path)
    message = str(caught.value)
    assert "\n" not in message
    assert f"was written by a newer waitbuddy (schema runs {LATEST['runs'] + 1}; " in message
    assert f"knows up to {LATEST['runs']}). Upgrade waitbuddy" in message


def test_a_domain_this_waitbuddy_does_not_know_is_left_alone(tmp_path: Path):
    path = tmp_path / "w.db"
    Store.open(path).close()
    raw = sqlite3.connect(path)
    raw.execute("INSERT INTO schema_versions VALUES ('remote', 7)")
    raw.execute("CREATE TABLE remote (x)")
    raw.commit()
    raw.close()
    with Store.open(path) as store:
        assert store.schema_versions == {**LATEST, "remote": 7}


def test_a_new_domain_and_a_new_migration_number_only_their_own(tmp_path: Path):
    path = tmp_path / "w.db"
    Store.open(path).close()
    extra_runs = (*dict(DOMAINS)["runs"], ("ALTER TABLE runs ADD COLUMN host TEXT",))
    domains = [(name, extra_runs if name == "runs" else steps) for name, steps in DOMAINS]
    domains.append(("practice", (("CREATE TABLE attempts (id INTEGER PRIMARY KEY)",),)))
    with Store.open(path, domains=domains) as store:
        assert store.schema_versions == {**LATEST, "runs": LATEST["runs"] + 1, "practice": 1}
        assert "host" in {row[1] for row in store.query("PRAGMA table_info(runs)")}
    with Store.open(path, domains=domains) as store:  # nothing runs twice
        assert store.schema_versions == {**LATEST, "runs": LATEST["runs"] + 1, "practice": 1}


def test_the_old_waitbuddy_would_refuse_a_migrated_database(store: Store):
    # The old store refused any user_version above the length of its list: it must not take a
    # migrated database for a fresh one and run its migration 1 again.
    assert store.query("PRAGMA user_version")[0][0] > len(LEGACY_MIGRATIONS)


def test_a_rebuild_that_fails_leaves_the_table_as_it_was(tmp_path: Path):
    path = tmp_path / "w.db"
    connection = build_legacy(path, 4)
    before = fill(connection, 4)
    connection.close()
    rebuild = 3  # reading's migration 3 rebuilds the items table without its CHECKs
    broken = [(name, (*steps[:rebuild - 1], (*steps[rebuild - 1], "THIS IS NOT SQL"), *steps[rebuild:])
               if name == "reading" else steps) for name, steps in DOMAINS]
    with pytest.raises(StoreError, match=f"to reading schema {rebuild} failed"):
        Store.open(path, domains=broken)
    raw = sqlite3.connect(path)
    assert read_rows(raw) == before
    assert "CHECK" in raw.execute("SELECT sql FROM sqlite_master WHERE name = 'items'").fetchone()[0]
    raw.close()
    with Store.open(path) as store:
        assert store.schema_versions == LATEST
