"""One bad watch never stops the others (issue 10, 4): a symlink loop among the logs, a directory
that cannot be listed, a consumer that raises. The engine thread reports and goes on."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from waitbuddy.runs.patterns import expand
from waitbuddy.runs.watcher import Watcher

DEADLINE = 5.0


def wait_until(condition, timeout: float = DEADLINE) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_a_symlink_loop_among_the_logs_hides_nothing_else(tmp_path: Path):
    (tmp_path / "a.log").symlink_to(tmp_path / "b.log")
    (tmp_path / "b.log").symlink_to(tmp_path / "a.log")
    (tmp_path / "ok.log").write_text("step 1/5 loss=0.5\n")
    assert expand(str(tmp_path)) == [str(tmp_path / "ok.log")]


@pytest.mark.skipif(os.geteuid() == 0, reason="root lists any directory")
def test_an_unreadable_directory_is_reported_and_the_other_watches_go_on(tmp_path: Path):
    locked = tmp_path / "locked"
    locked.mkdir()
    (tmp_path / "ok").mkdir()
    (tmp_path / "ok" / "train.log").write_text("step 1/5 loss=0.5\n")
    locked.chmod(0)
    try:
        errors, seen = [], {}
        watcher = Watcher([str(locked), str(tmp_path / "ok")], on_error=errors.append,
                          on_snapshots=lambda batch: seen.update((s.path, s) for s in batch), polling="always",
                          poll_seconds=0.1)
        watcher.start()
        try:
            wait_until(lambda: str(tmp_path / "ok" / "train.log") in seen and errors)
        finally:
            watcher.stop()
        assert "cannot follow the watch" in errors[0] and "locked" in errors[0]
        assert watcher._thread is not None and not watcher._thread.is_alive()  # stopped by us, not by the error
    finally:
        locked.chmod(0o755)


def test_a_discovery_failure_is_reported_once_and_the_thread_lives_on(tmp_path: Path, monkeypatch):
    log = tmp_path / "train.log"
    log.write_text("step 1/5 loss=0.5\n")
    calls = {"n": 0}
    real = os.scandir

    def failing_scandir(path):
        if str(path) == str(tmp_path):
            calls["n"] += 1
            raise PermissionError(13, "Permission denied")
        return real(path)

    monkeypatch.setattr(os, "scandir", failing_scandir)
    errors: list[str] = []
    batches: list[list[dict]] = []
    other = tmp_path / "other"
    other.mkdir()
    (other / "run.log").write_text("step 2/5 loss=0.4\n")
    watcher = Watcher([str(tmp_path), str(other / "run.log")], on_error=errors.append,
                      on_snapshots=batches.append, polling="always", poll_seconds=0.05)
    watcher.start()
    try:
        wait_until(lambda: calls["n"] >= 2 and any(s.path == str(other / "run.log") for b in batches for s in b))
    finally:
        watcher.stop()
    assert errors == [f"cannot follow the watch {tmp_path}: Permission denied; the others go on"]


def test_a_consumer_that_raises_does_not_kill_the_watch(tmp_path: Path):
    log = tmp_path / "train.log"
    log.write_text("step 1/5 loss=0.5\n")
    errors: list[str] = []
    calls = threading.Semaphore(0)

    def broken(batch: list[dict]) -> None:
        calls.release()
        raise RuntimeError("the consumer broke")

    watcher = Watcher([str(log)], on_error=errors.append, on_snapshots=broken, polling="always", poll_seconds=0.05)
    watcher.start()
    try:
        assert calls.acquire(timeout=DEADLINE)
        with log.open("a") as out:
            out.write("step 2/5 loss=0.4\n")
        assert calls.acquire(timeout=DEADLINE)  # still publishing after the consumer raised
        assert watcher._thread.is_alive()
    finally:
        watcher.stop()
    assert errors == ["internal error in the watcher: RuntimeError: the consumer broke"]


def test_a_removed_run_is_not_rediscovered_before_its_store_write_lands(tmp_path: Path, store):
    from waitbuddy.runs import registry

    log = tmp_path / "train.log"
    log.write_text("step 1/5 loss=0.5\n")
    registry.ensure_run(store, str(log), name="train")
    watcher = Watcher([], on_snapshots=lambda batch: None, store=store, follow_store=True, polling="always",
                      poll_seconds=0.05)
    watcher.start()
    try:
        wait_until(lambda: str(log) in watcher.followed)
        watcher.unfollow(str(log))  # the pane hides it in the store on a worker thread, a moment later
        wait_until(lambda: str(log) not in watcher.followed)
        time.sleep(2.5)  # past a discovery pass (every 2 s) that still finds the run shown in the store
        assert str(log) not in watcher.followed
    finally:
        watcher.stop()
