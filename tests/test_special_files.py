"""FIFOs, sockets and devices are never logs: refused without being opened, never a busy loop.

Real special files: a FIFO from os.mkfifo, a bound Unix socket, /dev/null (a character device).
Opening a FIFO for reading blocks until a writer comes, so every test that could block runs the
read on a thread with a deadline.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import pytest

from waitbuddy.runs import registry
from waitbuddy.runs import tail as tail_module
from waitbuddy.runs.patterns import expand
from waitbuddy.runs.tail import Tail
from waitbuddy.runs.targets import check_target, unfollowable
from waitbuddy.runs.watcher import Watcher


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "train.log"
    os.mkfifo(path)
    return path


@pytest.fixture
def unix_socket(tmp_path: Path):
    path = tmp_path / "s.log"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    yield path
    server.close()


@pytest.fixture
def opens(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every path os.open is asked for, by anyone (the tail, the watcher, the status reader)."""
    seen: list[str] = []
    real_open = os.open

    def recording_open(path, *args, **kwargs):
        seen.append(os.fspath(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", recording_open)
    return seen


def within(seconds: float, function):
    """Run ``function`` on a thread; fail (instead of hanging the suite) if it blocks."""
    result: list = []
    thread = threading.Thread(target=lambda: result.append(function()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"{function} blocked for {seconds}s"
    return result[0]


def test_check_target_names_each_kind_without_opening(tmp_path, fifo, unix_socket, opens):
    log = tmp_path / "ok.log"
    log.write_text("step 1/2\n")
    link = tmp_path / "link.log"
    link.symlink_to(fifo)
    assert check_target(str(log)) is None
    assert check_target(str(tmp_path)) is None  # a directory names logs
    assert check_target(str(tmp_path / "later.log")) is None  # not there yet: the caller decides
    assert check_target(str(fifo)) == "not a regular file (a FIFO)"
    assert check_target(str(link)) == "not a regular file (a FIFO)"
    assert check_target(str(unix_socket)) == "not a regular file (a socket)"
    assert check_target("/dev/null") == "not a regular file (a character device)"
    assert opens == []


@pytest.mark.parametrize("kind", ["fifo", "unix_socket", "device"])
def test_tail_never_opens_a_special_file(kind, request, opens):
    path = "/dev/null" if kind == "device" else str(request.getfixturevalue(kind))
    tail = Tail(path)
    chunk = within(2.0, tail.read)
    assert chunk.text == "" and chunk.error is not None and chunk.error.startswith("not a regular file (")
    assert path not in opens


def test_tail_of_a_directory_says_so(tmp_path):
    assert Tail(tmp_path).read().error == "is a directory"


def test_expand_skips_special_files(tmp_path, fifo, unix_socket):
    log = tmp_path / "real.log"
    log.write_text("x\n")
    assert expand(str(fifo)) == []
    assert expand(str(unix_socket)) == []
    assert expand("/dev/null") == []
    assert expand(str(tmp_path)) == [str(log)]
    assert expand(str(tmp_path / "*.log")) == [str(log)]
    assert expand(str(tmp_path / "later.log")) == [str(tmp_path / "later.log")]  # waited for


def test_unfollowable_messages(tmp_path, fifo):
    empty = tmp_path / "empty"
    empty.mkdir()
    fifo_problem = unfollowable(str(fifo), missing_ok=True, empty_ok=True)
    assert fifo_problem is not None and fifo_problem.permanent
    assert fifo_problem.message == (f"{fifo}: not a regular file (a FIFO); "
                                    "only log files, directories and globs can be watched")
    missing = unfollowable(str(tmp_path / "nope.log"), missing_ok=False, empty_ok=True)
    assert missing is not None and not missing.permanent
    assert missing.message == f"{tmp_path / 'nope.log'}: no such file; --wait waits for it"
    assert unfollowable(str(tmp_path / "nope.log"), missing_ok=True, empty_ok=False) is None
    no_logs = unfollowable(str(empty), missing_ok=False, empty_ok=False)
    assert no_logs is not None and no_logs.message.startswith(f"no logs in {empty} (*.log, ")
    assert unfollowable(str(empty), missing_ok=False, empty_ok=True) is None
    glob = unfollowable(str(empty / "*.log"), missing_ok=False, empty_ok=False)
    assert glob is not None and glob.message.startswith(f"no logs match {empty / '*.log'} (")


def count_reads(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    reads: list[float] = []
    real_read = Watcher._read

    def counting(self, path, followed, now):
        reads.append(time.monotonic())
        return real_read(self, path, followed, now)

    monkeypatch.setattr(Watcher, "_read", counting)
    return reads


@pytest.mark.parametrize("polling", ["auto", "always"])
def test_a_watch_on_a_fifo_does_not_spin(fifo, monkeypatch, opens, polling):
    """The old loop: open the FIFO (non-blocking), refuse it, close it; inotify reports the open
    and the close, which wakes the engine to open it again: thousands of times a second."""
    reads = count_reads(monkeypatch)
    watcher = Watcher([str(fifo)], on_snapshots=lambda batch: None, polling=polling, poll_seconds=0.1)
    watcher.start()
    time.sleep(2.0)
    within(6.0, watcher.stop)
    assert str(fifo) not in opens
    assert len(reads) <= 25, f"{len(reads)} reads of a FIFO in 2 s"


def test_a_stored_watch_of_a_fifo_from_an_older_version(fifo, store, monkeypatch, opens):
    """The dashboard follows what the store holds: a FIFO stored before it was refused is skipped."""
    registry.add_watch(store, str(fifo))
    registry.ensure_run(store, str(fifo), name="train")
    reads = count_reads(monkeypatch)
    seen: list[dict] = []
    watcher = Watcher([], on_snapshots=seen.extend, store=store, follow_store=True)
    watcher.start()
    time.sleep(2.0)
    within(6.0, watcher.stop)
    assert str(fifo) not in opens
    assert len(reads) <= 5


def test_a_waited_for_path_that_turns_out_a_fifo(tmp_path, monkeypatch, opens):
    path = tmp_path / "later.log"
    reads = count_reads(monkeypatch)
    seen: list[dict] = []
    watcher = Watcher([str(path)], on_snapshots=seen.extend)
    watcher.start()
    time.sleep(0.3)
    os.mkfifo(path)
    time.sleep(2.0)
    within(6.0, watcher.stop)
    assert str(path) not in opens
    assert len(reads) <= 10, f"{len(reads)} reads in 2.3 s"
    assert [snapshot.note for snapshot in seen][-1] == "not a regular file (a FIFO)"


def test_tail_module_checks_before_open(fifo, monkeypatch):
    """Even if a FIFO appears between the stat and the open, the open cannot block (O_NONBLOCK)."""
    monkeypatch.setattr(tail_module, "_refuse_before_open", lambda path: None)
    chunk = within(2.0, Tail(fifo).read)
    assert chunk.error == "not a regular file (a FIFO)"
