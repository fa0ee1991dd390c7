"""A real OpenSSH server on 127.0.0.1 for the remote-log tests: its own host key, config and a
throwaway client key, started once per test session and stopped by its PID.

Import the fixture into a test module (``from tests.sshd import sshd  # noqa: F401``). Where
``/usr/sbin/sshd`` is missing the tests that use it are skipped, unless ``WAITBUDDY_REQUIRE_SSHD``
is set (CI installs ``openssh-server``), in which case they fail.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

SSHD = "/usr/sbin/sshd"
HOST = "127.0.0.1"
START_SECONDS = 15.0


@dataclass
class Sshd:
    pid: int  # the listening sshd; each connection is served by a child of it
    port: int
    directory: Path
    client_config: Path  # `ssh -F client_config wbtest` logs in with the authorized key
    refused_config: Path  # the same server, with a key that is not authorized
    alias: str = "wbtest"
    process: subprocess.Popen | None = field(default=None, repr=False)

    def children(self) -> list[int]:
        """PIDs of the sshd processes serving connections (one per TCP connection)."""
        result = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.pid)], check=False, capture_output=True,
                                text=True, timeout=10)
        return [int(word) for word in result.stdout.split()]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _keygen(path: Path) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "waitbuddy-test", "-f", str(path)],
                   check=True, capture_output=True, timeout=30)


def _client_config(path: Path, port: int, key: Path, known_hosts: Path) -> None:
    # IdentitiesOnly: an agent or ~/.ssh keys of whoever runs the tests must not change the outcome.
    path.write_text(
        "Host wbtest\n"
        f"  HostName {HOST}\n"
        f"  Port {port}\n"
        f"  User {_user()}\n"
        f"  IdentityFile {key}\n"
        "  IdentitiesOnly yes\n"
        f"  UserKnownHostsFile {known_hosts}\n"
        "  StrictHostKeyChecking accept-new\n"
        "  BatchMode yes\n"
        "  PasswordAuthentication no\n"
        "  LogLevel ERROR\n"
    )


def _user() -> str:
    import pwd

    return pwd.getpwuid(os.getuid()).pw_name


def _answers(port: int) -> bool:
    """Does the port speak SSH (its banner), not just accept?"""
    try:
        with socket.create_connection((HOST, port), timeout=1.0) as connection:
            return connection.recv(4).startswith(b"SSH-")
    except OSError:
        return False


def start_server(directory: Path) -> Sshd:
    """Start an sshd serving from ``directory`` (also used by bench/remote.py)."""
    port = _free_port()
    host_key = directory / "host_ed25519"
    client_key = directory / "client_ed25519"
    refused_key = directory / "refused_ed25519"
    for key in (host_key, client_key, refused_key):
        _keygen(key)
    authorized = directory / "authorized_keys"
    authorized.write_text((directory / "client_ed25519.pub").read_text())
    pid_file = directory / "sshd.pid"
    config = directory / "sshd_config"
    lines = [
        f"ListenAddress {HOST}", f"Port {port}", f"HostKey {host_key}", f"PidFile {pid_file}",
        f"AuthorizedKeysFile {authorized}", "StrictModes no", "PasswordAuthentication no",
        "KbdInteractiveAuthentication no", "PubkeyAuthentication yes", "UsePAM no",
        "PrintMotd no", "PrintLastLog no", "LogLevel ERROR", "MaxStartups 50", "MaxSessions 20",
    ]
    if os.getuid() == 0:
        lines.append("PermitRootLogin prohibit-password")
        # sshd refuses to start without its privilege-separation directory (a systemd unit or the
        # init script creates it; a container started without either has none).
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
    config.write_text("\n".join(lines) + "\n")
    log = directory / "sshd.log"
    # -D: not daemonised, so the PID we hold is the listener's and Popen reaps it. -E: errors to a file.
    process = subprocess.Popen([SSHD, "-D", "-f", str(config), "-E", str(log)], stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + START_SECONDS
    while not _answers(port):
        if process.poll() is not None:
            error = process.stderr.read().decode(errors="replace") if process.stderr else ""
            raise RuntimeError(f"sshd exited with {process.returncode}: {error.strip()} {log.read_text()[-500:]}")
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"sshd did not answer on {HOST}:{port} within {START_SECONDS:.0f} s")
        time.sleep(0.05)
    known_hosts = directory / "known_hosts"
    client_config = directory / "ssh_config"
    refused_config = directory / "ssh_config_refused"
    _client_config(client_config, port, client_key, known_hosts)
    _client_config(refused_config, port, refused_key, known_hosts)
    sshd = Sshd(pid=process.pid, port=port, directory=directory, client_config=client_config,
                refused_config=refused_config, process=process)
    return sshd


def stop_server(sshd: Sshd) -> None:
    """Stop it by its PID, and any connection it still serves."""
    process = sshd.process
    assert process is not None
    for child in sshd.children():  # connections left open by a failed test
        try:
            os.kill(child, signal.SIGTERM)
        except ProcessLookupError:
            pass
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)
    if process.stderr is not None:
        process.stderr.close()


@pytest.fixture(scope="session")
def sshd() -> Iterator[Sshd]:
    if not os.path.exists(SSHD) or shutil.which("ssh") is None or shutil.which("ssh-keygen") is None:
        message = f"{SSHD} (package openssh-server) and ssh/ssh-keygen (openssh-client) are needed for the remote-log tests"
        if os.environ.get("WAITBUDDY_REQUIRE_SSHD"):
            pytest.fail(message + " (WAITBUDDY_REQUIRE_SSHD is set)")
        pytest.skip(message)
    # Short path on purpose: ssh's ControlPath sockets must fit in sun_path (~104 bytes).
    directory = Path(tempfile.mkdtemp(prefix="wb-sshd-"))
    try:
        server = start_server(directory)
    except Exception:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    try:
        yield server
    finally:
        stop_server(server)
        shutil.rmtree(directory, ignore_errors=True)
