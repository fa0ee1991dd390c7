"""Alerts wired end to end: a headless `watch --json --notify` sees a run fail and a real HTTP
server on 127.0.0.1 receives the ntfy push; `notify --test` reports every channel."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from waitbuddy import config
from waitbuddy.alerts.channel import SKIPPED
from waitbuddy.alerts.events import AlertEvent
from waitbuddy.alerts.setup import FocusAware, build_channels, enabled

from .conftest import run_cli
from .test_net import LocalServer

EVENT = AlertEvent("failed", "/r/a.log", "a", "a failed", "boom", "error", 0.0)


def test_defaults_without_a_terminal_tmux_or_push_configuration():
    channels = build_channels(config.Config().alerts, {})
    assert [channel.name for channel in channels] == [
        "bell", "terminal", "tmux", "notify-send", "ntfy", "webhook", "command"]
    results = {channel.name: channel.send(EVENT) for channel in channels}
    assert all(delivery.outcome == SKIPPED for delivery in results.values())
    assert "no topic" in results["ntfy"].reason and "no URL" in results["webhook"].reason
    assert [channel.name for channel in enabled(channels)] == ["bell", "terminal", "tmux", "notify-send"]


def test_push_channels_come_from_the_environment_too():
    channels = build_channels(config.Config().alerts, {"WAITBUDDY_NTFY_TOPIC": "wb-test", "WAITBUDDY_WEBHOOK_URL": "http://127.0.0.1:9/x"})
    assert {"ntfy", "webhook"} <= {channel.name for channel in enabled(channels)}


def test_focus_aware_skips_while_focused():
    class Sent:
        name = "terminal"

        def send(self, event):
            return "sent"

    focused = [True]
    channel = FocusAware(Sent(), lambda: focused[0])
    assert channel.send(EVENT).outcome == SKIPPED
    focused[0] = False
    assert channel.send(EVENT) == "sent"


def test_notify_test_reports_each_channel(tmp_path: Path):
    result = run_cli("notify", "--test")
    lines = result.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == ["bell", "terminal", "tmux", "notify-send", "ntfy", "webhook", "command"]
    assert result.returncode == 1  # nothing could be sent from a pipe without configuration


def test_watch_notify_pushes_a_failure_to_ntfy(tmp_path: Path):
    server = LocalServer()
    try:
        log = tmp_path / "train.log"
        log.write_text("step 1/100 loss=2.0\n")
        cfg = tmp_path / "config.toml"
        cfg.write_text(f'[alerts.ntfy]\nserver = "{server.url}"\ntopic = "wb-test-topic"\n')
        env = {**os.environ, "WAITBUDDY_CONFIG": str(cfg), "WAITBUDDY_DATA_DIR": str(tmp_path / "data")}
        watcher = subprocess.Popen(
            [sys.executable, "-m", "waitbuddy", "watch", "--json", "--notify", "--until-done", str(log)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )
        try:
            assert json.loads(watcher.stdout.readline())["status"] == "running"
            with log.open("a") as out:
                out.write("Traceback (most recent call last):\n  File \"train.py\", line 3, in <module>\n"
                          "RuntimeError: CUDA error: device-side assert triggered\n")
            deadline = time.monotonic() + 15
            while not server.requests:
                assert time.monotonic() < deadline, "no push arrived"
                time.sleep(0.05)
            assert watcher.wait(timeout=15) == 1  # --until-done: the run ended, and not well
        finally:
            if watcher.poll() is None:
                watcher.kill()
        (request,) = server.requests
        assert request.method == "POST" and request.path == "/wb-test-topic"
        assert request.headers["Title"].endswith("/train failed")  # runs/<dir>/train.log is named <dir>/train
        assert b"CUDA error: device-side assert triggered" in request.body
    finally:
        server.close()


def test_watch_notify_without_json_prints_each_alert(tmp_path: Path):
    log = tmp_path / "job.log"
    log.write_text("step 1/100 loss=2.0\n")
    env = {**os.environ, "WAITBUDDY_CONFIG": str(tmp_path / "none.toml"), "WAITBUDDY_DATA_DIR": str(tmp_path / "data")}
    # --remember: the run's state is saved in the database, which is how this test sees it running.
    watcher = subprocess.Popen([sys.executable, "-m", "waitbuddy", "watch", "--notify", "--until-done", "--remember",
                                str(log)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        # Seen running first (an end seen at first sight is history, not news): wait until the
        # watcher has saved the run's state.
        from waitbuddy.runs import registry
        from waitbuddy.store import Store

        deadline = time.monotonic() + 15
        while True:
            database = tmp_path / "data" / "waitbuddy.db"
            if database.exists():
                with Store.open(database) as store:
                    if [record for record in registry.runs(store) if record.status == "running"]:
                        break
            assert time.monotonic() < deadline, "the watcher never saw the run"
            time.sleep(0.05)
        with log.open("a") as out:
            out.write("step 100/100 loss=0.1\nKilled\n")
        out_text, _ = watcher.communicate(timeout=20)
    finally:
        if watcher.poll() is None:
            watcher.kill()
    assert watcher.returncode == 1
    (line,) = out_text.splitlines()
    assert "✖ job failed" in line and line.endswith("killed (SIGKILL): probably out of host memory")


def test_watch_pid_reaches_the_dashboard_watcher_through_the_store(tmp_path: Path):
    """`watch --pid` records the PID on the run, so the dashboard's watcher (which takes no
    --pid) ends the run when that process exits, and forgets the PID afterwards."""
    from waitbuddy.runs import registry
    from waitbuddy.runs.watcher import Watcher
    from waitbuddy.store import Store

    log = tmp_path / "train.log"
    log.write_text("step 100/100 loss=0.1\n")
    sleeper = subprocess.Popen(["sleep", "30"])
    with Store.open(tmp_path / "w.db") as store:
        record = registry.ensure_run(store, str(log), name="train")
        registry.watch_pid(store, record.id, sleeper.pid)
        seen: list[dict] = []
        watcher = Watcher([], on_snapshots=seen.extend, store=store, follow_store=True)
        registry.add_watch(store, str(log))
        watcher.start()
        try:
            deadline = time.monotonic() + 10
            while not any(snapshot.status == "running" for snapshot in seen):
                assert time.monotonic() < deadline
                time.sleep(0.05)
            sleeper.kill()
            sleeper.wait()
            while not any(snapshot.status == "completed" for snapshot in seen):
                assert time.monotonic() < deadline + 10, seen[-1:]
                time.sleep(0.05)
        finally:
            watcher.stop()
        assert registry.get(store, run_id=record.id).pid is None
