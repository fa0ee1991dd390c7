"""A log whose name has glob characters is followed as itself (issue 10, item 16).

`watch 'x[1].log'` used to be read as a glob (matching x1.log) and never follow the file. An
existing path is a path; text with *, ? or [ is a glob only where no such file exists.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.test_watcher import append, done, step, watching
from waitbuddy.runs.patterns import expand, is_pattern, matches, watch_root


@pytest.mark.parametrize("name", ["x[1].log", "run*1.log", "what?.log"])
def test_an_existing_file_with_glob_characters_is_a_path(tmp_path, name):
    log = tmp_path / name
    log.write_text(step(1))
    (tmp_path / "x1.log").write_text(step(1))  # what the glob reading of x[1].log would match
    (tmp_path / "run_a1.log").write_text(step(1))  # ... and of run*1.log
    assert not is_pattern(str(log))
    assert expand(str(log)) == [str(log)]
    assert matches(str(log), str(log))
    assert not matches(str(log), str(tmp_path / "x1.log"))
    assert watch_root(str(log)) == str(tmp_path)


def test_text_naming_no_file_is_still_a_glob(tmp_path):
    (tmp_path / "x1.log").write_text("")
    assert is_pattern(str(tmp_path / "x[12].log"))
    assert expand(str(tmp_path / "x[12].log")) == [str(tmp_path / "x1.log")]


def test_a_glob_under_a_directory_with_glob_characters_in_its_name(tmp_path):
    run_dir = tmp_path / "exp[1]"
    (run_dir / "a").mkdir(parents=True)
    log = run_dir / "a" / "train.log"
    log.write_text("")
    decoy = tmp_path / "exp1" / "a" / "train.log"  # what exp[1] would match as a glob
    decoy.parent.mkdir(parents=True)
    decoy.write_text("")
    pattern = str(run_dir / "*" / "train.log")
    assert is_pattern(pattern)
    assert expand(pattern) == [str(log)]
    assert matches(pattern, str(log)) and not matches(pattern, str(decoy))
    assert watch_root(pattern) == str(run_dir)
    waited = str(run_dir / "later.log")  # not there yet: a path waited for, the brackets are the directory's
    assert not is_pattern(waited) and expand(waited) == [waited]


@pytest.mark.parametrize("name", ["x[1].log", "run*1.log"])
def test_the_watcher_follows_a_file_named_like_a_glob(tmp_path, name):
    log = tmp_path / name
    log.write_text(step(1))
    with watching([log]) as (watcher, seen):
        seen.wait_for(log, lambda s: done(s) == 1)
        written = append(log, step(2))
        seen.wait_for(log, lambda s: done(s) == 2, after=written)
        assert set(watcher.followed) == {str(log)}


def cli(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "waitbuddy", *args], check=False, capture_output=True, text=True,
                          env=env, timeout=60)


@pytest.fixture
def env(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text("")
    return {**os.environ, "WAITBUDDY_CONFIG": str(config), "WAITBUDDY_DATA_DIR": str(tmp_path / "data")}


def test_watch_json_follows_x_1_log_to_its_end(tmp_path, env):
    log = tmp_path / "x[1].log"
    log.write_text(step(3) + "Traceback (most recent call last):\n  File \"t.py\", line 1\nRuntimeError: boom\n")
    result = cli("watch", "--json", "--until-done", str(log), env=env)
    snapshots = [json.loads(line) for line in result.stdout.splitlines()]
    assert {snapshot["path"] for snapshot in snapshots} == {str(log)}, result.stderr
    assert snapshots[-1]["status"] == "failed"
    assert "Traceback" not in result.stderr


def test_watch_says_when_a_glob_matches_nothing(tmp_path, env):
    result = cli("watch", "--json", "--until-done", str(tmp_path / "y[1].log"), env=env)
    assert result.returncode != 0
    assert "no logs match" in result.stderr and "y[1].log" in result.stderr
    assert "Traceback" not in result.stderr
