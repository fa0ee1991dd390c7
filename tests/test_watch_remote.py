"""The watcher follows logs on another machine (ssh://) through a real sshd on 127.0.0.1: the run
reads as a local one would, a dropped link shows as "disconnected" (not stalled, not failed) and
resumes with no line lost or repeated, a refused key is a clear note, globs find new logs, and
`watch --json` does it all from the command line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sshd import Sshd, sshd  # noqa: F401 - the fixture
from waitbuddy.alerts.events import DISCONNECTED, RECOVERED, AlertPolicy
from waitbuddy.runs.snapshot import RunSnapshot
from waitbuddy.runs.watcher import Watcher

from .watching import Seen, wait_for


@pytest.fixture
def logs() -> Iterator[Path]:
    # Outside pytest's tmp_path: its HOME is isolated, but the remote side is the real account.
    directory = Path(tempfile.mkdtemp(prefix="wb-watch-remote-"))
    yield directory
    for path in sorted(directory.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    directory.rmdir()


def url(path: Path) -> str:
    return f"ssh://wbtest{path}"


def step_line(step: int, total: int = 100) -> bytes:
    return f"Epoch 1/1 step {step}/{total} loss={1 / step:.4f}\n".encode()


def watcher(config: Path, patterns: list[str], seen: Seen, **options) -> Watcher:
    options.setdefault("stall_floor", 600.0)
    found = Watcher(patterns, on_snapshots=seen, ssh_command=("ssh", "-F", str(config)), **options)
    found.start()
    return found


def test_a_remote_log_reads_as_a_local_one(sshd: Sshd, logs: Path):  # noqa: F811
    log = logs / "train.log"
    log.write_bytes(b"".join(step_line(step) for step in range(1, 31)))
    seen = Seen()
    watch = watcher(sshd.client_config, [url(log)], seen)
    try:
        wait_for(lambda: (s := seen.get(url(log))) is not None and s.progress is not None and s.progress.done == 30,
                 what="the first 30 steps")
        with open(log, "ab") as out:
            out.write(b"".join(step_line(step) for step in range(31, 101)))
        wait_for(lambda: seen.get(url(log)).progress.done == 100, what="the last step")
        snapshot = seen.get(url(log))
        assert snapshot.status == "running" and snapshot.note is None and snapshot.disconnected_since is None
        assert snapshot.metrics["loss"] == pytest.approx(0.01)
        assert snapshot.name == f"wbtest:{logs.name}/train"  # the machine, then the name a local log would have
    finally:
        watch.stop()


def test_a_big_remote_log_reads_as_the_same_log_read_here(sshd: Sshd, logs: Path):  # noqa: F811
    """Past 1 MB a log is followed from near its end, and the totals only its head gives (here
    ``Namespace(epochs=60)``) come from reading the head first, as for a local log: the remote
    reading equals `status` on the same file here, and no line of the head is read twice."""
    from waitbuddy.runs.status import read_once

    log = logs / "train.log"
    lines = ["Namespace(batch_size=64, epochs=60, lr=0.1, model='resnet50')\n"]
    size, step = len(lines[0]), 0
    while size < 2_200_000:
        epoch, batch = divmod(step, 500)
        lines.append(f"Epoch: [{epoch}]  [{batch:3d}/500]  eta: 0:01:00  lr: 0.100000  loss: {1 / (step + 1):.6f}"
                     "  time: 0.1200  data: 0.0100  max mem: 3000\n")
        size += len(lines[-1])
        step += 1
    log.write_text("".join(lines))
    here = read_once(log).snapshot(time.time())
    assert here.epoch.total == 60  # from the head alone
    seen = Seen()
    watch = watcher(sshd.client_config, [url(log)], seen)
    try:
        wait_for(lambda: (s := seen.get(url(log))) is not None and s.progress is not None
                 and s.progress.done == here.progress.done, what="the end of the log")
        there = seen.get(url(log))
        assert (there.epoch, there.progress, there.framework) == (here.epoch, here.progress, here.framework)
        assert watch.followed[url(log)].tail.bytes_received < 1_200_000  # it did start near the end
    finally:
        watch.stop()


def test_a_remote_log_last_written_long_ago_is_judged_by_its_age(sshd: Sshd, logs: Path):  # noqa: F811
    """As for a local log found at start (its mtime): a remote log silent for two hours is
    stalled, and one that looks finished is completed, at once, not "running" until its bytes
    have been silent here too. The age is the remote's own (its clock and the file's time)."""
    stopped, finished = logs / "stopped.log", logs / "finished.log"
    stopped.write_bytes(b"".join(step_line(step) for step in range(1, 41)))
    finished.write_bytes(b"".join(step_line(step, 40) for step in range(1, 41)))
    two_hours_ago = time.time() - 7200
    for log in (stopped, finished):
        os.utime(log, (two_hours_ago, two_hours_ago))
    seen = Seen()
    watch = watcher(sshd.client_config, [url(stopped), url(finished)], seen)
    try:
        wait_for(lambda: (s := seen.get(url(stopped))) is not None and s.status == "stalled", what="stalled")
        wait_for(lambda: (s := seen.get(url(finished))) is not None and s.status == "completed", what="completed")
        assert seen.get(url(stopped)).stall.startswith("no output for 2h")
        assert seen.get(url(stopped)).progress.done == 40
    finally:
        watch.stop()
    fresh = logs / "fresh.log"
    fresh.write_bytes(b"".join(step_line(step) for step in range(1, 11)))
    seen = Seen()
    watch = watcher(sshd.client_config, [url(fresh)], seen)
    try:
        wait_for(lambda: (s := seen.get(url(fresh))) is not None and s.progress is not None
                 and s.progress.done == 10, what="a log written just now")
        time.sleep(1.5)
        assert seen.get(url(fresh)).status == "running"
    finally:
        watch.stop()


def test_a_dropped_link_is_disconnected_not_stalled_and_resumes_exactly(sshd: Sshd, logs: Path):  # noqa: F811
    """The listening sshd is paused and every connection killed: the run says "disconnected", does
    not stall although its floor passes, and once the server is back every line written meanwhile
    arrives, once (the history has each step exactly once)."""
    log = logs / "train.log"
    log.write_bytes(b"".join(step_line(step) for step in range(1, 21)))
    seen = Seen()
    watch = watcher(sshd.client_config, [url(log)], seen, stall_floor=2.0)
    paused = False
    try:
        wait_for(lambda: (s := seen.get(url(log))) is not None and s.progress is not None and s.progress.done == 20,
                 what="the first 20 steps")
        os.kill(sshd.pid, signal.SIGSTOP)  # new connections hang in the listen queue
        paused = True
        for pid in sshd.children():
            os.kill(pid, signal.SIGKILL)
        wait_for(lambda: seen.get(url(log)).disconnected_since is not None, what="disconnected")
        with open(log, "ab") as out:  # written while the link is down
            out.write(b"".join(step_line(step) for step in range(21, 61)))
        time.sleep(3.5)  # past the 2 s stall floor
        snapshot = seen.get(url(log))
        assert snapshot.status == "running", snapshot
        assert (snapshot.note or "").startswith("disconnected since"), snapshot.note
        assert snapshot.progress.done == 20
        os.kill(sshd.pid, signal.SIGCONT)
        paused = False
        wait_for(lambda: seen.get(url(log)).progress.done == 60, timeout=60, what="the lines written while away")
        wait_for(lambda: seen.get(url(log)).disconnected_since is None, what="connected again")
        snapshot = seen.get(url(log))
        assert snapshot.status == "running" and snapshot.note is None
        run = watch.followed[url(log)].run
        steps = [x for x, _value in run.series()["loss"]]
        assert steps == sorted(set(steps)) and len(steps) == 60  # none lost, none repeated
    finally:
        if paused:
            os.kill(sshd.pid, signal.SIGCONT)
        watch.stop()


def test_an_outage_is_an_alert_only_once_it_lasts():
    policy = AlertPolicy()
    now = time.time()
    base = RunSnapshot(path="ssh://box/train.log", name="bert", status="running")
    assert policy.observe(base, now) == []
    since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
    down = RunSnapshot(path=base.path, name="bert", status="running", disconnected_since=since,
                       note="disconnected since 12:00:00 (Connection refused)")
    assert policy.observe(down, now + 60) == []  # a blip is not news
    [event] = policy.observe(down, now + 301)
    assert event.kind == DISCONNECTED and "cannot be reached" in event.title and "Connection refused" in event.body
    assert policy.observe(down, now + 900) == []  # once per outage
    [back] = policy.observe(base, now + 960)
    assert back.kind == RECOVERED and "reached again" in back.title


def test_a_refused_key_is_a_clear_note(sshd: Sshd, logs: Path):  # noqa: F811
    log = logs / "train.log"
    log.write_bytes(step_line(1))
    seen = Seen()
    watch = watcher(sshd.refused_config, [url(log)], seen)
    try:
        wait_for(lambda: "Permission denied" in ((s := seen.get(url(log))) and s.note or ""), what="the refusal")
        snapshot = seen.get(url(log))
        assert snapshot.status == "waiting" and snapshot.note.startswith("error: Permission denied")
    finally:
        watch.stop()


def test_a_remote_glob_picks_up_new_logs(sshd: Sshd, logs: Path, monkeypatch):  # noqa: F811
    from waitbuddy.runs import cluster_watch

    monkeypatch.setattr(cluster_watch, "RELIST_SECONDS", 1.0)
    (logs / "a").mkdir()
    (logs / "a" / "train.log").write_bytes(step_line(5))
    seen = Seen()
    watch = watcher(sshd.client_config, [f"ssh://wbtest{logs}/*/train.log"], seen)
    try:
        wait_for(lambda: seen.get(url(logs / "a" / "train.log")) is not None, what="the first log")
        (logs / "b").mkdir()
        (logs / "b" / "train.log").write_bytes(step_line(7))
        wait_for(lambda: (s := seen.get(url(logs / "b" / "train.log"))) is not None and s.progress is not None
                 and s.progress.done == 7, what="the new log")
    finally:
        watch.stop()


def test_watch_json_follows_a_remote_log_until_it_completes(sshd: Sshd, logs: Path, tmp_path: Path):  # noqa: F811
    """From the command line, as a user would: the ssh command comes from [runs] ssh_command."""
    log = logs / "train.log"
    log.write_bytes(b"".join(step_line(step, 10) for step in range(1, 6)))
    config = tmp_path / "config.toml"
    config.write_text(f'[runs]\nssh_command = ["ssh", "-F", "{sshd.client_config}"]\n')
    env = {**os.environ, "WAITBUDDY_CONFIG": str(config), "WAITBUDDY_DATA_DIR": str(tmp_path / "data")}
    process = subprocess.Popen([sys.executable, "-m", "waitbuddy", "watch", url(log), "--json", "--until-done",
                                "--interval", "0"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        first = json.loads(process.stdout.readline())
        assert first["path"] == url(log)
        with open(log, "ab") as out:
            out.write(b"".join(step_line(step, 10) for step in range(6, 11)))
            out.write(b"Training completed. Do not forget to share your model on huggingface.co/models =)\n")
        out_text, err_text = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    last = json.loads(out_text.strip().splitlines()[-1])
    assert process.returncode == 0, err_text
    assert last["status"] == "completed" and last["progress"]["done"] == 10


def test_bad_remote_patterns_are_refused_by_watch(tmp_path: Path):
    env = {"WAITBUDDY_DATA_DIR": str(tmp_path / "data")}
    from tests.conftest import run_cli

    result = run_cli("watch", "ssh://-oProxyCommand=x/y", "--json", env=env)
    assert result.returncode == 2 and "not a valid host name" in result.stderr
    result = run_cli("watch", "ssh://host", "--json", env=env)
    assert result.returncode == 2 and "needs a path" in result.stderr
