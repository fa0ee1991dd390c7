"""File and run names that are not UTF-8 (issue 10, item 6).

`$'bad\\xffname.log'`, a script or `--name`/`--log` with a byte that is not UTF-8 crashed `watch`
and `run` in registry.ensure_run (UnicodeEncodeError: SQLite text must be UTF-8). Such names are
stored as their bytes and come back the same; on screen they are shown escaped (``\\xff``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from waitbuddy.runs import registry
from waitbuddy.store import Store

BAD = os.fsdecode(b"bad\xffname.log")  # what Python makes of the name: the byte as a lone surrogate


@pytest.fixture
def db(tmp_path):
    with Store.open(tmp_path / "data" / "waitbuddy.db") as store:
        yield store


def test_a_path_and_name_with_a_bad_byte_go_in_and_come_back_the_same(db, tmp_path):
    path = str(tmp_path / BAD)
    record = registry.ensure_run(db, path, name=os.fsdecode(b"n\xffm"), source="launch",
                                 command=["python", os.fsdecode(b"tr\xffain.py")])
    assert (record.path, record.name) == (path, os.fsdecode(b"n\xffm"))
    assert record.command == ["python", os.fsdecode(b"tr\xffain.py")]
    assert registry.get(db, path=path) == record
    assert registry.ensure_run(db, path, name="again") == record  # found again, not a second row
    registry.rename(db, record.id, os.fsdecode(b"\xfe\xff"))
    registry.restart(db, record.id, name=os.fsdecode(b"x\x80"), command=["true"], pid=1, started=0.0)
    assert registry.get(db, run_id=record.id).name == os.fsdecode(b"x\x80")
    assert [run.path for run in registry.runs(db)] == [path]


def test_utf8_names_stay_text_in_the_database(db, tmp_path):
    registry.ensure_run(db, str(tmp_path / "é.log"), name="é")
    registry.ensure_run(db, str(tmp_path / BAD), name=BAD)
    kinds = db.query("SELECT typeof(path), typeof(name) FROM runs ORDER BY id")
    assert [tuple(row) for row in kinds] == [("text", "text"), ("blob", "blob")]


def test_a_watched_pattern_with_a_bad_byte_is_remembered(db, tmp_path):
    pattern = str(tmp_path / os.fsdecode(b"exp\xff") / "*.log")
    assert registry.add_watch(db, pattern)
    assert not registry.add_watch(db, pattern)
    assert registry.watches(db) == [pattern]


# -- the CLI, with real files whose names hold b"\xff" ------------------------------------------


@pytest.fixture
def env(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text("")
    # C.UTF-8: stdout passes a name's bad bytes through (under en_US.UTF-8, `watch --json` prints
    # nothing for such a log: its JSON lines are written with ensure_ascii=False; see the issue note).
    return {**os.environ, "WAITBUDDY_CONFIG": str(config), "WAITBUDDY_DATA_DIR": str(tmp_path / "data"),
            "LC_ALL": "C.UTF-8"}


def cli(*args: str | bytes, env: dict, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "waitbuddy", *args], check=False, capture_output=True, env=env,
                          cwd=cwd, timeout=60)


FAILED_LOG = b"step 3/10 loss=0.5\nTraceback (most recent call last):\n  File \"t.py\", line 1\nRuntimeError: boom\n"


def test_watch_follows_and_records_a_log_named_with_a_bad_byte(tmp_path, env):
    log = os.path.join(os.fsencode(tmp_path), b"bad\xffname.log")
    with open(log, "wb") as out:
        out.write(FAILED_LOG)
    result = cli("watch", "--json", "--until-done", "--remember", log, env=env)
    assert b"Traceback" not in result.stderr and b"database" not in result.stderr, result.stderr
    snapshots = [json.loads(line.decode("utf-8", "surrogateescape")) for line in result.stdout.splitlines()]
    assert snapshots[-1]["path"] == os.fsdecode(log) and snapshots[-1]["status"] == "failed"
    listed = cli("runs", env=env)
    assert listed.returncode == 0 and b"bad\\xffname" in listed.stdout  # shown escaped, never the raw byte
    assert b"\xff" not in listed.stdout and not listed.stderr


def test_run_starts_and_records_a_command_with_bad_bytes_in_its_names(tmp_path, env):
    script = tmp_path / os.fsdecode(b"tr\xffain.py")
    script.write_text("print('the job ran')\n")
    log = os.path.join(os.fsencode(tmp_path), b"r\xff.log")
    result = cli("run", "--name", b"n\xffm", "--log", log, "--", sys.executable, os.fsencode(script), env=env)
    assert result.returncode == 0, result.stderr
    assert b"the job ran" in result.stdout
    assert not result.stderr  # no warning: the run was recorded
    with open(log, "rb") as written:
        assert b"the job ran" in written.read()
    listed = cli("runs", env=env).stdout
    assert b"n\\xffm" in listed and b"completed" in listed and b"\xff" not in listed


def test_run_names_the_run_after_a_script_with_a_bad_byte(tmp_path, env):
    script = tmp_path / os.fsdecode(b"tr\xffain.py")
    script.write_text("print('the job ran')\n")
    result = cli("run", "--", sys.executable, os.fsencode(script), env=env)
    assert result.returncode == 0 and b"the job ran" in result.stdout, result.stderr
    assert not result.stderr
    listed = cli("runs", env=env).stdout
    assert b"tr\\xffain" in listed and b"\xff" not in listed


def test_json_output_of_a_name_that_is_not_utf8_is_valid_and_reads_back(tmp_path):
    import json as json_module
    import os as os_module

    from .conftest import run_cli as cli

    log = os_module.fsdecode(os_module.fsencode(str(tmp_path)) + b"/bad\xffname.log")
    with open(log, "w", encoding="utf-8") as out:
        out.write("step 1/3 loss=0.5\n")
    result = cli("status", "--json", log, env={"PYTHONIOENCODING": "utf-8"})  # strict, as a UTF-8 locale is
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    (item,) = [json_module.loads(line) for line in result.stdout.splitlines()]
    assert os_module.fsencode(item["path"]) == os_module.fsencode(log)
