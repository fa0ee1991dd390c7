"""Remote logs over a real sshd on 127.0.0.1 (tests/sshd.py): the bytes that arrive are exactly
the file's bytes, across dropped links, rotations and hostile file names; one connection per
host; clear errors with backoff. Plus the ssh:// target parsing, which needs no server."""

from __future__ import annotations

import os
import pwd
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sshd import Sshd, sshd  # noqa: F401 - the fixture
from waitbuddy.runs.remote import SshHosts, SshTarget, parse_target, remote_command, ssh_reason
from waitbuddy.runs.remote_tail import RemoteTail

# -- targets (no server) ---------------------------------------------------------------------


@pytest.mark.parametrize(("text", "user", "host", "port", "path"), [
    ("ssh://gpu1/var/log/train.log", None, "gpu1", None, "/var/log/train.log"),
    ("ssh://me@gpu1:2222/runs/*/train.log", "me", "gpu1", 2222, "/runs/*/train.log"),
    ("ssh://me@[::1]:22/x.log", "me", "::1", 22, "/x.log"),
    ("ssh://box/~/logs/a b?.log", None, "box", None, "logs/a b?.log"),
    ("ssh://a.b-c_d/x#1.log", None, "a.b-c_d", None, "/x#1.log"),
])
def test_targets_parse(text, user, host, port, path):
    target = parse_target(text)
    assert (target.user, target.host, target.port, target.path) == (user, host, port, path)
    assert parse_target(target.url()) == target


@pytest.mark.parametrize("text", [
    "ssh://gpu1", "ssh://gpu1/", "ssh://-oProxyCommand=touch%20x/a.log", "ssh://gpu1:0/a", "ssh://gpu1:99999/a",
    "ssh://gpu1:x/a", "ssh://-l@gpu1/a", "ssh://[zz/a", "http://gpu1/a", "ssh://gpu1/a\x00b", "ssh://h/~/",
])
def test_bad_targets_are_refused_with_a_reason(text):
    with pytest.raises(ValueError, match=r"\S"):
        parse_target(text)


def test_globs_are_recognised_and_the_command_is_quoted_words():
    assert parse_target("ssh://h/runs/*/train.log").is_glob()
    assert not parse_target("ssh://h/runs/1/train.log").is_glob()
    command = remote_command("echo \"$1\"", "a b'; $(touch x)")
    assert command.startswith("sh -c ")
    import shlex

    assert shlex.split(command) == ["sh", "-c", "echo \"$1\"", "waitbuddy", "a b'; $(touch x)"]


def test_ssh_reason_is_one_clear_line():
    assert ssh_reason("root@127.0.0.1: Permission denied (publickey).\n", 255) == "Permission denied (publickey)"
    assert ssh_reason("ssh: Could not resolve hostname nope: Name or service not known\n", 255).startswith(
        "Could not resolve hostname nope")
    assert ssh_reason("", 255) == "ssh exited with status 255"


# -- against the real sshd ---------------------------------------------------------------------


@pytest.fixture
def hosts(sshd: Sshd) -> Iterator[SshHosts]:  # noqa: F811
    runtime = tempfile.mkdtemp(prefix="wb-rt-")
    pool = SshHosts(options=["-F", str(sshd.client_config)], runtime_dir=runtime, persist_seconds=30)
    yield pool
    pool.close()
    os.rmdir(runtime)


@pytest.fixture
def logs() -> Iterator[Path]:
    # Outside pytest's tmp_path: its HOME is isolated, but the remote side is the real account.
    directory = Path(tempfile.mkdtemp(prefix="wb-remote-logs-"))
    yield directory
    for path in directory.rglob("*"):
        if path.is_file():
            path.unlink()
    for path in sorted(directory.rglob("*"), reverse=True):
        path.rmdir()
    directory.rmdir()


def follow(hosts: SshHosts, path: Path, **kwargs) -> RemoteTail:
    kwargs.setdefault("start_from_end", None)
    kwargs.setdefault("backoff_min", 0.3)
    return RemoteTail(SshTarget("wbtest", str(path)), hosts, **kwargs)


def collect(tail: RemoteTail, expected: bytes, timeout: float = 20.0, received: list[str] | None = None) -> bytes:
    """Read until the text received equals ``expected`` (or time runs out); return it as bytes."""
    received = [] if received is None else received
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        chunk = tail.read(max_bytes=4096)
        assert not chunk.reset, "no reset expected here"
        received.append(chunk.text)
        got = "".join(received).encode()
        if got == expected:
            return got
        assert expected.startswith(got), f"diverged after {len(got)} bytes"
        if not chunk.text:
            time.sleep(0.02)
    return "".join(received).encode()


def after_reset(tail: RemoteTail, expected: bytes, timeout: float = 15.0) -> bytes:
    """Read until a reset came and the text since the last reset is ``expected``. (Bytes of the
    new file may arrive before tail's notice does; the reset then starts them over.)"""
    since: list[str] | None = None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        chunk = tail.read()
        if chunk.reset:
            since = []
        if since is not None:
            since.append(chunk.text)
            if "".join(since).encode() == expected:
                break
        time.sleep(0.02)
    assert since is not None, "no reset"
    return "".join(since).encode()


def wait_for(predicate, timeout: float = 15.0, step: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(step)


def writer(path: Path, lines: int, pause: float) -> threading.Thread:
    def write() -> None:
        for number in range(lines):
            with open(path, "ab") as log:
                log.write(f"step {number:05d} loss={1 / (number + 1):.6f}\n".encode())
            time.sleep(pause)

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return thread


def kill_connections(sshd: Sshd) -> list[int]:  # noqa: F811
    """Cut every link to the test server: kill the sshd processes serving them, by PID."""
    children = sshd.children()
    for pid in children:
        os.kill(pid, signal.SIGKILL)
    return children


def test_a_growing_log_arrives_complete_and_in_order(hosts, logs):
    log = logs / "train.log"
    log.write_bytes(b"header line\n")
    woken = threading.Event()
    tail = follow(hosts, log, on_change=woken.set)
    try:
        tail.start()
        assert woken.wait(15)  # connected: the watcher would be woken to read
        writer(log, 300, 0.003).join()
        assert collect(tail, log.read_bytes()) == log.read_bytes()
        woken.clear()
        with open(log, "ab") as handle:
            handle.write(b"one more\n")
        assert woken.wait(15)  # new bytes wake it too
        assert collect(tail, b"one more\n") == b"one more\n"
        assert tail.state.describe() == "connected"
        assert tail.offset == log.stat().st_size
    finally:
        tail.close()


def test_a_killed_connection_resumes_with_no_line_lost_or_repeated(sshd, hosts, logs):  # noqa: F811
    log = logs / "train.log"
    log.write_bytes(b"")
    tail = follow(hosts, log)
    received: list[str] = []
    try:
        thread = writer(log, 400, 0.005)
        wait_for(lambda: (received.append(tail.read().text) or True) and tail.bytes_received > 2000)
        assert kill_connections(sshd), "the tail's connection is served by an sshd child"
        seen_down = []
        wait_for(lambda: (received.append(tail.read().text) or True)
                 and (seen_down.append(tail.state.kind) or tail.attempts >= 2) and tail.state.kind == "connected")
        assert "disconnected" in seen_down
        thread.join()
        assert collect(tail, log.read_bytes(), received=received) == log.read_bytes()
        assert tail.attempts >= 2
    finally:
        tail.close()


def test_a_drop_mid_line_and_mid_character_loses_nothing(sshd, hosts, logs):  # noqa: F811
    log = logs / "train.log"
    log.write_bytes(b"epoch 1 done\nepoch 2: caf\xc3")  # a line and a character cut in two
    tail = follow(hosts, log)
    received: list[str] = []
    try:
        wait_for(lambda: (received.append(tail.read().text) or True) and tail.bytes_received == log.stat().st_size)
        kill_connections(sshd)
        wait_for(lambda: (received.append(tail.read().text) or True) and tail.state.kind != "connected")
        with open(log, "ab") as handle:
            handle.write(b"\xa9 100%|##########| 10/10\nepoch 3 done\n")
        expected = log.read_bytes()
        assert collect(tail, expected, received=received) == expected
        assert "".join(received).splitlines()[1] == "epoch 2: café 100%|##########| 10/10"
    finally:
        tail.close()


def test_two_logs_on_one_host_share_one_connection(sshd, hosts, logs):  # noqa: F811
    first, second = logs / "a.log", logs / "b.log"
    first.write_bytes(b"a\n" * 100)
    second.write_bytes(b"b\n" * 100)
    tails = [follow(hosts, first), follow(hosts, second)]
    try:
        for tail, path in zip(tails, (first, second), strict=True):
            assert collect(tail, path.read_bytes()) == path.read_bytes()
        assert len(sshd.children()) == 1  # one TCP connection, two sessions on it
        assert len(os.listdir(hosts.runtime_dir)) == 1  # one control socket
    finally:
        for tail in tails:
            tail.close()


def test_a_refused_key_is_a_clear_error_with_backoff(sshd, logs):  # noqa: F811
    log = logs / "train.log"
    log.write_bytes(b"never read\n")
    runtime = tempfile.mkdtemp(prefix="wb-rt-")
    refused = SshHosts(options=["-F", str(sshd.refused_config)], runtime_dir=runtime)
    tail = follow(refused, log, backoff_min=0.5)
    try:
        began = time.monotonic()
        wait_for(lambda: tail.read().error is not None)
        chunk = tail.read()
        assert chunk.error == "error: Permission denied (publickey)"
        assert chunk.text == "" and not chunk.missing
        time.sleep(max(0.0, 4.0 - (time.monotonic() - began)))
        # 0.5 s doubling: tries at about 0, 0.5, 1.5, 3.5 s. A retry loop without backoff
        # would have started dozens of ssh processes in 4 s.
        assert 2 <= tail.attempts <= 5, tail.attempts
    finally:
        tail.close()
        refused.close()
        os.rmdir(runtime)


def test_an_unreachable_host_is_a_clear_error(sshd, logs):  # noqa: F811
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    runtime = tempfile.mkdtemp(prefix="wb-rt-")
    pool = SshHosts(options=["-F", str(sshd.client_config)], runtime_dir=runtime)
    tail = RemoteTail(SshTarget("127.0.0.1", str(logs / "x.log"), port=port), pool, backoff_min=5.0)
    try:
        wait_for(lambda: tail.read().error is not None)
        assert tail.read().error.startswith("error: Connection refused"), tail.state
    finally:
        tail.close()
        pool.close()
        os.rmdir(runtime)


def test_output_before_the_log_is_not_taken_for_it(sshd, logs):  # noqa: F811
    """A remote .bashrc that echoes lands on the same stdout before the log: an ssh that prints
    such a banner first stands in for it (the test account's real rc files stay untouched)."""
    noisy = logs / "noisy-ssh"
    noisy.write_text("#!/bin/sh\nprintf 'Welcome to gpu1!\\nload: 0.42 no newline at the end'\nexec ssh \"$@\"\n")
    noisy.chmod(0o755)
    log = logs / "train.log"
    log.write_bytes(b"the log itself\n")
    runtime = tempfile.mkdtemp(prefix="wb-rt-")
    pool = SshHosts(ssh=str(noisy), options=["-F", str(sshd.client_config)], runtime_dir=runtime)
    tail = follow(pool, log)
    try:
        assert collect(tail, log.read_bytes()) == log.read_bytes()
        assert tail.bytes_received == log.stat().st_size
    finally:
        tail.close()
        pool.close()
        os.rmdir(runtime)
        noisy.unlink()


def test_a_missing_remote_file_is_reported_and_followed_once_it_appears(hosts, logs):
    log = logs / "later.log"
    tail = follow(hosts, log)
    try:
        wait_for(lambda: tail.read().missing)
        assert tail.state.describe() == "error: file missing on the remote"
        log.write_bytes(b"it exists now\n")
        assert collect(tail, b"it exists now\n") == b"it exists now\n"
        assert tail.state.kind == "connected"
    finally:
        tail.close()


# Each command, if a shell ever ran it, would leave a file with a name nothing else uses.
def test_a_directory_is_refused_with_a_reason(hosts, logs):
    tail = follow(hosts, logs, backoff_min=5.0)
    try:
        wait_for(lambda: tail.read().error is not None)
        assert tail.read().error == "error: is a directory"
        assert tail.attempts == 1
    finally:
        tail.close()


HOSTILE = "we ird 'q\" $(touch wb-pwned-1); touch wb-pwned-2 `touch wb-pwned-3`\nnext line.log"


def test_hostile_remote_paths_reach_tail_as_one_argument(hosts, logs):
    remote_home = Path(pwd.getpwuid(os.getuid()).pw_dir)  # where the remote shell starts
    planted = [place / name for place in (remote_home, logs, Path("/tmp")) for name in ("wb-pwned-1", "wb-pwned-2", "wb-pwned-3")]
    assert not any(path.exists() for path in planted)
    log = logs / HOSTILE
    log.write_bytes(b"hostile but fine\n")
    tail = follow(hosts, log)
    try:
        assert collect(tail, log.read_bytes()) == log.read_bytes()
        # A glob whose fixed part is hostile names exactly that file.
        pattern = SshTarget("wbtest", str(logs / "we ird 'q\" $(touch wb-pwned-1)*.log"))
        assert [found.path for found in hosts.expand(pattern)] == [str(log)]
        assert hosts.expand(SshTarget("wbtest", str(logs / "*.nothing"))) == []
    finally:
        tail.close()
    assert not any(path.exists() for path in planted)


def test_truncation_while_connected_and_rotation_while_away_reset_the_reader(sshd, hosts, logs):  # noqa: F811
    log = logs / "train.log"
    log.write_bytes(b"first run line 1\nfirst run line 2\n")
    tail = follow(hosts, log)
    try:
        assert collect(tail, log.read_bytes()) == log.read_bytes()
        log.write_bytes(b"second\n")  # truncated in place and rewritten
        assert after_reset(tail, b"second\n", timeout=3.0) == b"second\n"  # a restart, not a 5 s wait
        # Rotated while the link is down: the resumed offset belongs to the old file.
        kill_connections(sshd)
        wait_for(lambda: tail.state.kind != "connected")
        log.rename(logs / "train.log.1")
        log.write_bytes(b"third run, a longer first line than before\n")
        assert after_reset(tail, log.read_bytes()) == log.read_bytes()
    finally:
        tail.close()


def test_a_big_log_starts_near_its_end_on_a_fresh_line(hosts, logs):
    log = logs / "big.log"
    log.write_bytes(b"".join(f"line {number:06d}\n".encode() for number in range(20000)))
    size = log.stat().st_size
    tail = follow(hosts, log, start_from_end=1000)
    parts: list[str] = []
    try:
        wait_for(lambda: (parts.append(tail.read().text) or True) and tail.offset == size)
    finally:
        tail.close()
    lines = "".join(parts).splitlines()
    assert lines[-1] == "line 019999"
    assert all(len(line) == len("line 000000") for line in lines)  # the first one whole, not a cut piece
    assert len(lines) == 83  # the whole 12-byte lines in the last 1000 bytes, not the whole file
    assert tail.bytes_received <= 1001


def remote_tails_of(path: Path) -> list[int]:
    """PIDs of `tail` processes (the remote side, on this same machine) following ``path``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                argv = (entry / "cmdline").read_bytes().split(b"\x00")
            except OSError:
                continue
            if argv and argv[0].endswith(b"tail") and os.fsencode(path) in argv:
                found.append(int(entry.name))
    return found


def test_the_remote_tail_ends_with_the_link_and_the_master_with_close(sshd, logs):  # noqa: F811
    # A remote `tail -F` blocked on a quiet log would otherwise outlive its session forever.
    log = logs / "quiet.log"
    log.write_bytes(b"one line, then silence\n")
    runtime = tempfile.mkdtemp(prefix="wb-rt-")
    pool = SshHosts(options=["-F", str(sshd.client_config)], runtime_dir=runtime)
    tail = follow(pool, log)
    try:
        assert collect(tail, log.read_bytes()) == log.read_bytes()
        assert len(remote_tails_of(log)) == 1
        kill_connections(sshd)  # the link drops; the log stays quiet
        wait_for(lambda: tail.state.kind == "connected" and tail.attempts >= 2)
        wait_for(lambda: len(remote_tails_of(log)) == 1)  # the old one gone, the new one there
        check = subprocess.run(pool.argv(tail.target, control=["-O", "check"]), capture_output=True, text=True,
                               timeout=10, check=False)
        master = int(check.stderr.split("pid=")[1].split(")")[0])
        private = pool.runtime_dir
    finally:
        tail.close()
    wait_for(lambda: remote_tails_of(log) == [])
    pool.close()
    wait_for(lambda: not Path(f"/proc/{master}").exists() or "Z" in Path(f"/proc/{master}/stat").read_text().split()[2])
    assert not os.path.exists(private)  # the control socket's directory
    os.rmdir(runtime)


def test_drain_feeds_a_run_from_a_remote_tail_and_says_when_the_link_is_down(sshd, hosts, logs):  # noqa: F811
    from waitbuddy.runs.run import Run
    from waitbuddy.runs.status import drain

    log = logs / "train.log"
    log.write_bytes(b"".join(f"Epoch 1/1 step {step}/100 loss={1 / step:.4f}\n".encode() for step in range(1, 41)))
    target = SshTarget("wbtest", str(log))
    tail = RemoteTail(target, hosts, start_from_end=None, backoff_min=2.0)
    run = Run(target.url())
    try:
        wait_for(lambda: (drain(run, tail, time.time()) or True) and tail.offset == log.stat().st_size)
        snapshot = run.snapshot(time.time())
        assert snapshot.progress is not None and snapshot.progress.done == 40 and snapshot.progress.total == 100
        kill_connections(sshd)
        wait_for(lambda: (drain(run, tail, time.time()) or True) and (run.note or "").startswith("disconnected since"))
    finally:
        tail.close()


@pytest.mark.parametrize(("required", "outcome"), [("", "1 skipped"), ("1", "1 error")])
def test_without_sshd_the_tests_skip_unless_required(tmp_path, required, outcome):
    """CI sets WAITBUDDY_REQUIRE_SSHD=1: a missing openssh-server must fail there, not skip."""
    import sys

    probe = tmp_path / "test_probe.py"
    probe.write_text("import tests.sshd as server\nserver.SSHD = '/nonexistent/sshd'\n"
                     "from tests.sshd import sshd  # noqa: F401\n\ndef test_needs_it(sshd):\n    pass\n")
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(root), "WAITBUDDY_REQUIRE_SSHD": required}
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", str(probe)],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert outcome in result.stdout, result.stdout[-2000:]
    assert "openssh-server" in result.stdout
