"""Scripts and bad input (issue 9, items 15-17 and the watch --json rate): what a script gets
from `watch` and `status` given a FIFO, a missing path or a directory, and how fast."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from waitbuddy.cli import main
from waitbuddy.runs import registry
from waitbuddy.store import Store

from .conftest import run_cli

FAILED_LOG = "step 1/10 loss=2.0\nTraceback (most recent call last):\n  File \"t.py\", line 1\nValueError: boom\n"


@pytest.fixture
def data(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("WAITBUDDY_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def stored(data: Path) -> tuple[list[str], list[str]]:
    """(watch patterns, run paths) in the database, or nothing if it was never created."""
    if not (data / "waitbuddy.db").exists():
        return [], []
    with Store.open(data / "waitbuddy.db") as store:
        return registry.watches(store), [record.path for record in registry.runs(store, include_hidden=True)]


# --- 15: FIFOs, sockets and devices are refused, and never stored ------------------------------


@pytest.mark.parametrize("mode", [[], ["--json"], ["--notify"]])
def test_watch_refuses_a_fifo_and_stores_nothing(tmp_path: Path, data: Path, capsys, mode):
    fifo = tmp_path / "train.log"
    os.mkfifo(fifo)
    assert main(["watch", *mode, str(fifo)]) == 2
    captured = capsys.readouterr()
    assert captured.err == (f"waitbuddy: {fifo}: not a regular file (a FIFO); "
                            "only log files, directories and globs can be watched\n")
    assert captured.out == ""
    assert stored(data) == ([], [])


def test_watch_refuses_a_socket_and_a_device(tmp_path: Path, data: Path, capsys):
    path = tmp_path / "s.log"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    try:
        assert main(["watch", str(path), "/dev/null"]) == 2
    finally:
        server.close()
    reason = "only log files, directories and globs can be watched"
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"waitbuddy: {path}: not a regular file (a socket); {reason}",
        f"waitbuddy: /dev/null: not a regular file (a character device); {reason}",
    ]
    assert stored(data) == ([], [])


def test_status_refuses_a_fifo_without_blocking(tmp_path: Path, data: Path):
    fifo = tmp_path / "train.log"
    os.mkfifo(fifo)
    result = run_cli("status", str(fifo))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.endswith("not a regular file (a FIFO); only log files, directories and globs can be watched\n")


# --- 16: script modes leave the dashboard's watch set alone -----------------------------------


@pytest.mark.parametrize("mode", [["--json"], ["--notify"], ["--json", "--notify"]])
def test_script_modes_store_nothing(tmp_path: Path, data: Path, capsys, mode):
    log = tmp_path / "job.log"
    log.write_text(FAILED_LOG)
    assert main(["watch", *mode, "--until-done", str(log)]) == 1
    assert stored(data) == ([], [])


def test_remember_adds_the_watch_and_the_run(tmp_path: Path, data: Path, capsys):
    log = tmp_path / "job.log"
    log.write_text(FAILED_LOG)
    assert main(["watch", "--json", "--until-done", "--remember", str(log)]) == 1
    assert stored(data) == ([str(log)], [str(log)])
    with Store.open(data / "waitbuddy.db") as store:
        assert registry.get(store, path=str(log)).status == "failed"  # its state is saved too


def test_a_run_recorded_by_waitbuddy_run_keeps_its_exit_under_watch_json(tmp_path: Path, data: Path, capsys):
    log = tmp_path / "job.log"
    log.write_text("step 10/10 loss=0.1\n")
    data.mkdir()
    with Store.open(data / "waitbuddy.db") as store:
        record = registry.ensure_run(store, str(log), name="job", source="launch")
        registry.record_exit(store, record.id, code=3, signal=None, ended=time.time())
    assert main(["watch", "--json", "--until-done", str(log)]) == 1
    last = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert last["status"] == "failed" and last["exit_code"] == 3
    assert stored(data) == ([], [str(log)])  # nothing added


def test_watch_pid_is_still_recorded_in_script_mode(tmp_path: Path, data: Path, capsys):
    log = tmp_path / "job.log"
    log.write_text("step 10/10 loss=0.1\n")
    done = subprocess.Popen([sys.executable, "-c", "pass"])
    done.wait()
    assert main(["watch", "--json", "--until-done", "--pid", str(done.pid), str(log)]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["status"] == "completed"
    assert stored(data) == ([], [str(log)])  # the pid's run, as asked; no watch pattern


# --- 17: missing paths, directories and globs --------------------------------------------------


def test_status_of_a_missing_path_is_an_error(tmp_path: Path, data: Path, capsys):
    assert main(["status", str(tmp_path / "nope.log")]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"waitbuddy: {tmp_path / 'nope.log'}: no such file; --wait waits for it\n"


def test_status_still_reads_the_other_paths(tmp_path: Path, data: Path, capsys):
    log = tmp_path / "a.log"
    log.write_text(FAILED_LOG)
    assert main(["status", "--json", str(tmp_path / "nope.log"), str(log)]) == 1
    (line,) = capsys.readouterr().out.splitlines()
    assert json.loads(line)["status"] == "failed"


def test_status_expands_a_directory_and_a_glob_as_watch_does(tmp_path: Path, data: Path, capsys):
    runs = tmp_path / "runs"
    runs.mkdir()
    (runs / "a.log").write_text(FAILED_LOG)
    (runs / "b.out").write_text("step 1/10 loss=2.0\n")
    (runs / "notes.md").write_text("not a log\n")
    assert main(["status", "--json", str(runs)]) == 0
    assert [json.loads(line)["path"] for line in capsys.readouterr().out.splitlines()] == [
        str(runs / "a.log"), str(runs / "b.out")]
    assert main(["status", "--json", str(runs / "*.log")]) == 0
    assert [json.loads(line)["path"] for line in capsys.readouterr().out.splitlines()] == [str(runs / "a.log")]


def test_status_of_an_empty_directory_is_an_error(tmp_path: Path, data: Path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["status", str(empty)]) == 1
    assert capsys.readouterr().err == (f"waitbuddy: no logs in {empty} (*.log, *.out, *.err, *.txt, *.jsonl); "
                                       "--wait waits for one\n")


def test_status_of_a_directory_it_cannot_list_is_one_line_and_the_others_are_read(
    tmp_path: Path, data: Path, capsys, monkeypatch,
):
    locked, ok = tmp_path / "locked", tmp_path / "ok"
    locked.mkdir()
    (locked / "train.log").write_text(FAILED_LOG)
    ok.mkdir()
    (ok / "train.log").write_text(FAILED_LOG)
    real = os.scandir

    def scandir(path="."):  # chmod 0 does not stop root, which CI runs as
        if os.fspath(path) == str(locked):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    assert main(["status", "--json", str(locked), str(ok)]) == 1
    captured = capsys.readouterr()
    assert captured.err == f"waitbuddy: {locked}: cannot list the directory: Permission denied\n"
    assert [json.loads(line)["path"] for line in captured.out.splitlines()] == [str(ok / "train.log")]


def appear_later(path: Path, text: str, seconds: float = 0.6) -> threading.Thread:
    def write() -> None:
        time.sleep(seconds)
        path.write_text(text)

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return thread


def test_status_wait_waits_for_the_file(tmp_path: Path, data: Path, capsys):
    log = tmp_path / "later.log"
    writer = appear_later(log, FAILED_LOG)
    started = time.monotonic()
    assert main(["status", "--wait", "--json", str(log)]) == 0
    assert time.monotonic() - started >= 0.5
    assert json.loads(capsys.readouterr().out)["status"] == "failed"
    writer.join()


def test_status_wait_waits_for_a_log_in_a_directory(tmp_path: Path, data: Path, capsys):
    runs = tmp_path / "runs"
    runs.mkdir()
    writer = appear_later(runs / "train.log", FAILED_LOG)
    assert main(["status", "--wait", "--json", str(runs)]) == 0
    assert json.loads(capsys.readouterr().out)["path"] == str(runs / "train.log")
    writer.join()


def test_watch_json_until_done_on_an_empty_directory_is_an_error(tmp_path: Path, data: Path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["watch", "--json", "--until-done", str(empty)]) == 1
    assert capsys.readouterr().err.startswith(f"waitbuddy: no logs in {empty} (")
    assert stored(data) == ([], [])


def test_watch_json_of_a_missing_file_is_an_error_unless_waited_for(tmp_path: Path, data: Path, capsys):
    log = tmp_path / "later.log"
    assert main(["watch", "--json", "--until-done", str(log)]) == 1
    assert capsys.readouterr().err == f"waitbuddy: {log}: no such file; --wait waits for it\n"
    writer = appear_later(log, FAILED_LOG)
    assert main(["watch", "--json", "--until-done", "--wait", str(log)]) == 1  # the run failed
    statuses = [json.loads(line)["status"] for line in capsys.readouterr().out.splitlines()]
    assert statuses[0] == "waiting" and statuses[-1] == "failed"
    writer.join()


def test_the_dashboard_still_waits_for_a_missing_file(tmp_path: Path, data: Path, monkeypatch):
    opened: list[bool] = []
    monkeypatch.setattr("waitbuddy.commands.dashboard.open_dashboard", lambda where, loaded, store: opened.append(True) or 0)
    assert main(["watch", str(tmp_path / "later.log"), str(tmp_path / "empty-glob-*.log")]) == 0
    assert opened == [True]
    assert stored(data)[0] == [str(tmp_path / "later.log"), str(tmp_path / "empty-glob-*.log")]


# --- watch --json: a rate, and an end when the reader leaves ----------------------------------


def write_steps(log: Path, steps: int, pause: float, end: str = "") -> threading.Thread:
    def write() -> None:
        for step in range(2, steps + 1):
            time.sleep(pause)
            with log.open("a") as out:
                out.write(f"step {step}/100 loss={1 / step:.5f}\n")
        with log.open("a") as out:
            out.write(end)

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return thread


def test_watch_json_prints_progress_at_most_once_per_interval(tmp_path: Path, data: Path, capsys):
    log = tmp_path / "job.log"
    log.write_text("step 1/100 loss=1.0\n")
    writer = write_steps(log, 40, 0.05, end=FAILED_LOG)  # 2 s of steps, then a traceback
    started = time.monotonic()
    assert main(["watch", "--json", "--until-done", "--interval", "1", str(log)]) == 1
    elapsed = time.monotonic() - started
    snapshots = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    writer.join()
    assert snapshots[0]["status"] == "running" and snapshots[-1]["status"] == "failed"
    running = [s for s in snapshots if s["status"] == "running"]
    assert len(running) <= elapsed / 1.0 + 2, [s["progress"] for s in running]  # not one per step (40)


def test_watch_json_interval_zero_prints_every_change(tmp_path: Path, data: Path, capsys):
    log = tmp_path / "job.log"
    log.write_text("step 1/100 loss=1.0\n")
    writer = write_steps(log, 12, 0.15, end=FAILED_LOG)
    assert main(["watch", "--json", "--until-done", "--interval", "0", str(log)]) == 1
    writer.join()
    done = [json.loads(line)["progress"]["done"] for line in capsys.readouterr().out.splitlines()]
    assert len(set(done)) >= 8


@pytest.mark.parametrize("value", ["-1", "nan", "inf", "soon"])
def test_interval_must_be_seconds(value, capsys):
    with pytest.raises(SystemExit) as caught:
        main(["watch", "--json", "--interval", value, "x.log"])
    assert caught.value.code == 2
    assert "--interval" in capsys.readouterr().err


@pytest.mark.parametrize("writing", [True, False], ids=["writing", "idle"])
def test_watch_json_exits_quietly_when_its_reader_leaves(tmp_path: Path, writing: bool):
    """`watch --json ... | head -1`: the reader closes the pipe after one line; watch must end,
    whether the run keeps writing (a write fails) or is idle (nothing is written)."""
    log = tmp_path / "job.log"
    log.write_text("step 1/100 loss=1.0\n")
    env = {**os.environ, "WAITBUDDY_DATA_DIR": str(tmp_path / "d"), "WAITBUDDY_CONFIG": str(tmp_path / "none.toml")}
    watch = subprocess.Popen([sys.executable, "-m", "waitbuddy", "watch", "--json", "--interval", "0", str(log)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    writer = None
    try:
        assert json.loads(watch.stdout.readline())["status"] == "running"
        watch.stdout.close()  # what head does after its line
        if writing:
            writer = write_steps(log, 60, 0.05)
        assert watch.wait(timeout=10) == 0
        stderr = watch.stderr.read().decode()
        assert stderr == "", stderr
    finally:
        if watch.poll() is None:
            watch.kill()
        watch.stderr.close()
        if writer is not None:
            writer.join()


def test_watch_json_head_in_a_real_shell_pipeline(tmp_path: Path):
    log = tmp_path / "job.log"
    log.write_text("step 1/100 loss=1.0\n")
    env = {**os.environ, "WAITBUDDY_DATA_DIR": str(tmp_path / "d"), "WAITBUDDY_CONFIG": str(tmp_path / "none.toml")}
    result = subprocess.run(
        ["sh", "-c", f'"{sys.executable}" -m waitbuddy watch --json "{log}" | head -1'],
        capture_output=True, text=True, timeout=20, env=env, check=False,
    )
    assert result.returncode == 0
    assert json.loads(result.stdout)["status"] == "running"
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr


def test_throttle_passes_state_changes_at_once_and_progress_once_per_interval():
    from waitbuddy.runs.snapshot import RunSnapshot, SnapshotProgress
    from waitbuddy.runs.stream import Throttle

    def frame(status: str, done: int, path: str = "/a.log") -> RunSnapshot:
        return RunSnapshot(path=path, name="a", status=status, progress=SnapshotProgress("step", done, 100, done / 100))

    sent: list[tuple] = []
    throttle = Throttle(lambda snapshot: sent.append((snapshot.status, snapshot.progress.done)), interval=1.0)
    throttle.offer(frame("running", 1), now=0.0)  # first: at once
    for step in range(2, 10):
        throttle.offer(frame("running", step), now=step / 10)
    assert sent == [("running", 1)]
    throttle.flush(now=0.95)
    assert sent == [("running", 1)]
    throttle.flush(now=1.0)  # the newest waiting one, once the interval is over
    assert sent == [("running", 1), ("running", 9)]
    throttle.offer(frame("running", 10), now=1.1)
    throttle.offer(frame("stalled", 10), now=1.2)  # a state change: at once
    throttle.offer(frame("running", 1, "/b.log"), now=1.2)  # another run's first
    throttle.flush(now=5.0)
    assert sent == [("running", 1), ("running", 9), ("stalled", 10), ("running", 1)]
    throttle.offer(frame("stalled", 11), now=5.1)
    throttle.flush(now=5.2, everything=True)  # at the end, nothing waits
    assert sent[-1] == ("stalled", 11)


# --- 19: `import` of a FIFO or a program -----------------------------------------------------------


def test_import_of_a_fifo_or_a_program_is_one_line_and_never_hangs(tmp_path: Path):
    fifo = tmp_path / "bookmarks.html"
    os.mkfifo(fifo)
    env = {"WAITBUDDY_DATA_DIR": str(tmp_path / "d")}
    result = run_cli("import", str(fifo), env=env)  # run_cli's timeout fails the test if it hangs
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == "waitbuddy: bookmarks.html: not a regular file (a FIFO), not a bookmarks export\n"
    program = Path(sys.executable).resolve()  # a real binary, like /bin/ls
    result = run_cli("import", str(program), env=env)
    assert result.returncode == 2
    assert result.stderr.startswith(f"waitbuddy: {program.name}: a program (")
    assert result.stderr.endswith("executable), not a bookmarks export\n")


# --- the adversarial pass (issue 10): a data dir path longer than PATH_MAX --------------------------


@pytest.mark.parametrize("command", [["runs"], ["backlog"], ["status"], ["export", "-"], ["fetch"],
                                     ["add", "--no-fetch", "https://example.org/x"]])
def test_a_data_dir_path_past_path_max_is_one_line_exit_2(tmp_path: Path, monkeypatch, capsys, command):
    data_dir = str(tmp_path / ("d" * 250)) * 20
    monkeypatch.setenv("WAITBUDDY_DATA_DIR", data_dir)
    assert main(command) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    (line,) = captured.err.splitlines()
    assert line.startswith(f"waitbuddy: cannot use the data directory {data_dir[:100]}")
    assert line.endswith(": File name too long") and len(line) < 300


def test_paths_shows_a_data_dir_past_path_max_without_a_traceback(tmp_path: Path, monkeypatch, capsys):
    monkeypatch.setenv("WAITBUDDY_DATA_DIR", str(tmp_path / ("d" * 250)) * 20)
    assert main(["paths", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["database_exists"] is False
