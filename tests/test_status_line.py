"""`waitbuddy status --line`: the main run in one short line for tmux's status bar, from the store
alone. The store is filled through the real registry, as the watchers and `waitbuddy run` do."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from waitbuddy import paths, statusline
from waitbuddy.__main__ import fast_options
from waitbuddy.cli import main as cli_main
from waitbuddy.runs import registry
from waitbuddy.runs.observe import ERROR_KINDS
from waitbuddy.runs.present import STATUS_SYMBOLS, headline_name
from waitbuddy.runs.snapshot import RunSnapshot, SnapshotError, SnapshotProgress
from waitbuddy.store import Store
from waitbuddy.timefmt import iso, timestamp

PLAIN = statusline.Options(tmux=False)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "data"
    monkeypatch.setenv("WAITBUDDY_DATA_DIR", str(directory))
    return directory


@pytest.fixture
def store(data_dir: Path):
    with Store.open(data_dir / "waitbuddy.db") as opened:
        yield opened


def save(store: Store, name: str, status: str = "running", *, fraction: float | None = 0.45,
         eta: float | None = 600.0, metrics: dict | None = None, error: SnapshotError | None = None,
         ended_at: float | None = None, updated_at: float | None = None) -> float:
    """A run as a watcher saves it; returns when it was saved (the store's saved_at)."""
    record = registry.ensure_run(store, f"/runs/{len(registry.runs(store, include_hidden=True))}/train.log", name=name)
    snapshot = RunSnapshot(
        path=record.path, name=name, status=status,
        progress=None if fraction is None else SnapshotProgress("step", 450, 1000, fraction),
        eta_seconds=eta, metrics={"loss": 0.31214, "learning_rate": 3e-05} if metrics is None else metrics,
        error=error, updated_at=None if updated_at is None else iso(updated_at),
        ended_at=None if ended_at is None else iso(ended_at),
    )
    registry.save_state(store, record.id, snapshot)
    return timestamp(registry.get(store, run_id=record.id).summary.saved_at)


def line(store: Store, now: float, options: statusline.Options = PLAIN) -> str:
    text, status = statusline.status_line(store.path, now, options)
    assert status == 0
    return text


def test_a_running_run_shows_progress_eta_less_the_time_since_saved_and_the_loss(store: Store):
    saved = save(store, "bert-base")
    assert line(store, saved + 60) == "▶ bert-base 45% ETA 9m loss 0.3121"


def test_of_several_running_the_one_ending_soonest_with_a_count_of_the_others(store: Store):
    save(store, "long", eta=3000.0)
    save(store, "no-eta", eta=None)
    saved = save(store, "short", eta=900.0, metrics={"val_loss": 1.5, "accuracy": 0.9})
    save(store, "finished", "completed", ended_at=time.time())
    assert line(store, saved) == "▶ short 45% ETA 15m val_loss 1.5 +2"


def test_a_run_past_its_eta_goes_after_those_still_to_end(store: Store):
    saved = save(store, "overdue", eta=60.0)
    save(store, "later", eta=3000.0)
    assert line(store, saved + 120).startswith("▶ later 45% ETA 48m")


def test_a_completed_run_says_how_long_ago(store: Store):
    now = int(time.time())  # whole seconds, as the store keeps times
    save(store, "bert", "completed", fraction=1.0, eta=None, ended_at=now - 12 * 60)
    assert line(store, now) == "✔ bert completed 12m ago"


def test_a_failed_run_gives_its_reason_short(store: Store):
    now = int(time.time())  # whole seconds, as the store keeps times
    save(store, "bert", "failed", eta=None, ended_at=now - 180,
         error=SnapshotError("cuda_oom", "CUDA out of memory (tried to allocate 2.00 GiB)"))
    assert line(store, now) == "✖ bert failed 3m ago: CUDA OOM"


def test_a_failure_without_a_short_name_gives_its_message(store: Store):
    now = int(time.time())  # whole seconds, as the store keeps times
    save(store, "job", "failed", eta=None, ended_at=now - 60,
         error=SnapshotError("exception", "ValueError: shapes (3,) and (4,) not aligned"))
    assert line(store, now) == "✖ job failed 1m ago: ValueError: shapes…"
    assert line(store, now, statusline.Options(tmux=False, limit=80)).endswith("ValueError: shapes (3,) and (4,) not aligned")


def test_the_newest_end_is_shown_and_an_old_one_is_not(store: Store):
    now = int(time.time())  # whole seconds, as the store keeps times
    save(store, "older", "completed", ended_at=now - 3600)
    save(store, "newer", "interrupted", ended_at=now - 600, error=SnapshotError("interrupted", "interrupted (SIGINT)"))
    assert line(store, now) == "■ newer interrupted 10m ago"
    assert line(store, now + statusline.RECENT_SECONDS - 3000) == "■ newer interrupted 11h20m ago"
    assert line(store, now + statusline.RECENT_SECONDS) == ""  # 12 hours on: nothing to show


def test_a_stalled_run_says_since_when(store: Store):
    now = int(time.time())  # whole seconds, as the store keeps times
    save(store, "bert", "stalled", updated_at=now - 14 * 60)
    assert line(store, now) == "‖ bert stalled 14m 45%"


def test_an_old_state_says_so_instead_of_an_eta(store: Store):
    """No watcher saved it for 25 minutes: the progress is what was known then, and says so."""
    saved = save(store, "bert")
    assert line(store, saved + 25 * 60) == "▶ bert 45% loss 0.3121 (25m old)"
    assert statusline.OLD_SECONDS == 600


def test_a_launched_run_no_watcher_has_read_says_it_runs(store: Store):
    record = registry.ensure_run(store, "/runs/a/train.log", name="train", source="launch")
    started = int(time.time()) - 300
    registry.restart(store, record.id, name=None, command=["python", "train.py"], pid=os.getpid(), started=started)
    assert line(store, started + 300) == "▶ train running 5m"
    # Still running (its process lives) a day later: shown; once the process is gone, not any more.
    assert line(store, started + 86400) == "▶ train running 24h00m"
    registry.restart(store, record.id, name=None, command=["python", "train.py"], pid=2**22 + 12345, started=started)
    assert line(store, started + 86400) == ""


def test_nothing_to_show_prints_nothing(store: Store):
    assert line(store, time.time()) == ""
    now = int(time.time())  # whole seconds, as the store keeps times
    save(store, "yesterday", "completed", ended_at=now - 13 * 3600)
    assert line(store, now) == ""


def test_a_missing_database_is_nothing_and_is_not_created(tmp_path: Path):
    database = tmp_path / "none" / "waitbuddy.db"
    assert statusline.status_line(str(database), time.time()) == ("", 0)
    assert not database.parent.exists()


def test_a_damaged_or_locked_database_is_a_short_marker(tmp_path: Path, store: Store):
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    assert statusline.status_line(str(damaged), time.time()) == (statusline.ERROR_LINE, 2)
    save(store, "bert")
    store.close()  # an exclusive lock in WAL mode needs the other connections gone
    locker = sqlite3.connect(store.path, isolation_level=None)
    try:
        locker.execute("PRAGMA locking_mode = EXCLUSIVE")
        locker.execute("BEGIN EXCLUSIVE")
        locker.execute("UPDATE runs SET name = 'x'")
        started = time.monotonic()
        assert statusline.status_line(store.path, time.time()) == (statusline.ERROR_LINE, 2)
        assert time.monotonic() - started < 2  # tmux asks again in a few seconds; never hang its job
    finally:
        locker.execute("ROLLBACK")
        locker.close()


def test_reading_never_writes_the_database(store: Store):
    saved = save(store, "bert")
    store.close()  # the last connection: SQLite folds the WAL into the file and removes it
    before = (os.stat(store.path).st_mtime_ns, Path(store.path).read_bytes())
    assert line(store, saved) == "▶ bert 45% ETA 10m loss 0.3121"
    assert (os.stat(store.path).st_mtime_ns, Path(store.path).read_bytes()) == before


def test_hostile_names_and_reasons_carry_no_control_characters(store: Store):
    now = int(time.time())  # whole seconds, as the store keeps times
    save(store, "\x1b]0;pwned\x07ev\u202eil\x9b31m\nfake", "failed", ended_at=now,
         error=SnapshotError("exception", "Boom\x1b[2J\r\nroot\x07"))
    text = line(store, now, statusline.Options(tmux=False, limit=200))
    assert all(char.isprintable() for char in text), repr(text)
    assert text == "✖ \\e]0;pwned\\x07ev\\u202eil\\x9b31m\\nfake failed 0s ago: Boom root"


def test_hash_signs_are_escaped_for_tmux(store: Store):
    """tmux expands #() output, then draws it: see the e2e test for what it shows."""
    assert statusline.tmux_escape("#[fg=red]x") == "##[fg=red]x"
    assert statusline.tmux_escape("a#b ##c #(x) #{y} d#") == "a####b ########c ####(x) ####{y} d####"
    assert statusline.tmux_escape("##[") == "####["
    assert statusline.tmux_escape("plain") == "plain"
    saved = save(store, "run#1")
    assert line(store, saved, statusline.Options()).startswith("▶ run####1 45%")
    assert line(store, saved, PLAIN).startswith("▶ run#1 45%")


def test_format_placeholders(store: Store):
    saved = save(store, "bert", metrics={"loss": 0.5})
    save(store, "other", eta=5000.0)
    fmt = "[{status}] {name}: {percent} eta {eta} {metric} {others} {{braces}} {reason}{ago}{old}"
    assert line(store, saved, statusline.Options(format=fmt, tmux=False, limit=80)) == \
        "[running] bert: 45% eta 10m loss 0.5 +1 {braces}"
    assert line(store, saved, statusline.Options(format="{symbol}{percent}", tmux=False)) == "▶45%"
    assert statusline.format_problem("{nope}").startswith("unknown placeholder {nope}")
    assert statusline.format_problem("{name") is not None and statusline.format_problem("a}b") is not None
    assert statusline.format_problem("{{ok}} {state}") is None
    assert set(statusline.PLACEHOLDERS) == {"symbol", "name", "status", "percent", "eta", "metric", "ago", "reason",
                                            "old", "others", "state"}


def test_a_long_line_shortens_the_name_first(store: Store):
    saved = save(store, "a-very-long-experiment-name-for-a-sweep-42")
    text = line(store, saved)
    assert text == "▶ a-very-long-e… 45% ETA 10m loss 0.3121"
    assert len(text) <= statusline.DEFAULT_MAX
    narrow = line(store, saved, statusline.Options(tmux=False, limit=20))
    assert narrow == "▶ a-very… 45% ETA 1…" and len(narrow) == 20
    wide = line(store, save(store, "实验" * 20, eta=1.0), statusline.Options(tmux=False, limit=30))
    assert statusline._width(wide) <= 30


def test_without_sqlites_json_functions_the_json_module_reads_the_same(store: Store, monkeypatch):
    saved = save(store, "bert", metrics={"lr": 1e-5, "train/loss": 0.25})
    save(store, "other", "stalled", eta=3000.0, updated_at=saved - 60)
    expected = line(store, saved + 30)
    assert expected == "▶ bert 45% ETA 9m30s train/loss 0.25 +1"
    monkeypatch.setattr(statusline, "_QUERY", statusline._QUERY.replace("json_type", "json_type_missing"))
    assert line(store, saved + 30) == expected


def test_damaged_summaries_read_what_they_can(store: Store):
    saved = save(store, "bert")
    with store.transaction() as db:
        db.execute("""UPDATE runs SET summary = json_set(summary, '$.eta_seconds', json('true'),
                      '$.metrics', json('{"flag": true, "loss": "x", "acc": 0.5}'))""")
    assert line(store, saved) == "▶ bert 45% acc 0.5"
    with store.transaction() as db:
        db.execute("UPDATE runs SET summary = '{not json'")
    assert line(store, saved) == "▶ bert running"


def test_the_copies_of_slow_modules_agree_with_them():
    """statusline repeats a few things so as not to import their modules (tens of ms each)."""
    assert statusline.SYMBOLS == STATUS_SYMBOLS
    assert set(statusline.SHORT_REASONS) <= set(ERROR_KINDS)
    for metrics in ({}, {"acc": 1}, {"lr": 1, "loss": 2}, {"eval_loss": 1, "train_loss": 2}, {"val_loss": 1},
                    {"train/entropy_loss": 1, "train/loss": 2}, {"a": 1, "grad_norm": 2}, {"loss_scale": 1, "ppl": 2},
                    {"x": 1, "weight_norm": 2}, {"Validation Loss": 3, "acc": 1}, {"scaling_loss": 1, "z": 2}):
        assert statusline.headline_name(metrics) == headline_name(metrics), metrics


@pytest.mark.parametrize("env", [
    {"WAITBUDDY_DATA_DIR": "/srv/wb"},
    {"WAITBUDDY_DATA_DIR": "rel/dir"},
    {"WAITBUDDY_DATA_DIR": "~/wb-$USER", "USER": "me"},
    {"XDG_DATA_HOME": "/xdg/data"},
    {"XDG_DATA_HOME": "relative/ignored"},
    {"XDG_DATA_HOME": ""},
    {},
])
def test_the_database_is_where_paths_resolve_puts_it(env, isolated_home: Path, monkeypatch):
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    fast = statusline.data_dir(os.environ)
    assert fast is not None
    assert Path(fast) == paths.resolve().data_dir
    assert statusline.database_path() == str(paths.resolve().database)


def test_without_a_usable_home_the_slow_answer_is_used(monkeypatch):
    monkeypatch.setenv("HOME", "relative-home")
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    assert statusline.data_dir(os.environ) is None
    assert statusline.database_path() == str(paths.resolve().database)


def test_the_fast_path_takes_only_what_it_understands(tmp_path: Path):
    config = tmp_path / "c.toml"
    config.write_text("")
    fast = fast_options
    assert fast(["status", "--line"]) is not None
    options = fast(["--config", str(config), "status", "--line", "--format={name}", "--max", "60", "--plain"])
    assert (options.format, options.limit, options.tmux) == ("{name}", 60, False)
    assert fast([f"--config={config}", "status", "--line"]) is not None
    for argv in (["status"], ["status", "--line", "--help"], ["status", "--line", "x.log"], ["runs", "--line"],
                 ["status", "--line", "--json"], ["status", "--line", "--format"], ["status", "--line", "--format", "{x}"],
                 ["status", "--line", "--max", "3"], ["status", "--line", "--max", "abc"],
                 ["status", "--line", "--config", str(tmp_path / "missing.toml")], ["status", "--line=1"]):
        assert fast(argv) is None, argv


def run(*args: str, env: dict[str, str] | None = None, code: str | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", code, *args] if code else [sys.executable, "-m", "waitbuddy", *args]
    return subprocess.run(command, check=False, capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})})


def test_the_fast_path_and_the_command_line_agree(store: Store, tmp_path: Path, capsys):
    # No ETA: the seconds left would tick between the two processes. Without one, the newest is the main run.
    save(store, "other", eta=None)
    save(store, "b#rt\x1b[31m", eta=None, metrics={"loss": 0.25})
    config = tmp_path / "config.toml"
    config.write_text("[runs]\nstall_minutes = 5\n")
    for args in ([], ["--plain"], ["--format", "{name}|{percent}|{others}", "--max", "25"]):
        fast = run("status", "--line", *args)
        assert fast.returncode == 0 and fast.stderr == ""
        assert cli_main(["--config", str(config), "status", "--line", *args]) == 0
        through_cli = capsys.readouterr().out
        assert fast.stdout == through_cli != "", args
    assert fast.stdout == "b####rt\\e[31m|45%|+1\n"


def test_the_fast_path_imports_neither_the_command_line_nor_json(store: Store):
    save(store, "bert")
    # (what the interpreter had loaded before is not the line's cost: a site hook may import re)
    probe = ("import sys; before = set(sys.modules); from waitbuddy.__main__ import main; "
             "status = main(['status', '--line']); "
             "print(sorted(m for m in ('waitbuddy.cli', 'waitbuddy.config', 'waitbuddy.runs', 'platformdirs', 'json', "
             "'re', 'waitbuddy.text', 'typing', 'textual') if m in sys.modules and m not in before), status)")
    result = run(code=probe)
    shown, imported = result.stdout.splitlines()
    assert shown.startswith("▶ bert 45% ETA ") and imported == "[] 0", result.stdout + result.stderr


def test_command_line_errors_and_markers(store: Store, tmp_path: Path):
    result = run("status", "--line", "--format", "{nope}")
    assert result.returncode == 2 and "unknown placeholder {nope}" in result.stderr
    result = run("status", "--line", "train.log")
    assert result.returncode == 2 and "--line reads the database only" in result.stderr
    result = run("status", "--format", "{name}")
    assert result.returncode == 2 and "go with --line" in result.stderr
    result = run("status", "--help")
    assert "--line" in result.stdout and "{percent}" in result.stdout and "{others}" in result.stdout
    store.close()
    Path(store.path).write_bytes(b"not a database at all" * 100)
    result = run("status", "--line")
    assert (result.returncode, result.stdout) == (2, statusline.ERROR_LINE + "\n")
    assert "Traceback" not in result.stderr
    result = run("status", "--line", env={"WAITBUDDY_DATA_DIR": str(tmp_path / "nothing-here")})
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert not (tmp_path / "nothing-here").exists()


def test_a_data_directory_with_uri_characters_in_its_name(tmp_path: Path):
    """The database is opened by a file: URI (read-only): ?, # and % in the path are data."""
    directory = tmp_path / "a?b#c%20d"
    with Store.open(directory / "waitbuddy.db") as odd:
        saved = save(odd, "bert")
        assert line(odd, saved) == "▶ bert 45% ETA 10m loss 0.3121"
