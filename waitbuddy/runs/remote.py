"""Logs on other machines, reached through the user's own ``ssh``: targets and connections.

A target is ``ssh://[user@]host[:port]/path``; the path may be a glob. Everything goes through
the ``ssh`` program with an argv list, so the user's ``~/.ssh/config``, keys, agent and jump hosts
apply. ssh itself hands the remote side one command *string* (its login shell runs it): that
string is built only with :func:`shlex.join` around a fixed script, and paths travel as the
script's positional arguments, never inside its text. The remote side needs a POSIX ``sh``,
``tail`` with ``-c +N -F`` (GNU coreutils, BusyBox, BSD), ``ls``, ``wc`` and ``cat``. A login shell
that is not POSIX-like (csh, fish) may mangle single-quoted newlines: such paths are refused there.

All logs of one host share one SSH connection: ``ControlMaster=auto`` with a ``ControlPath`` in a
private directory and ``ControlPersist``, so the master outlives each session briefly and then
goes by itself; :meth:`SshHosts.close` ends it at once. Reading a file is ``remote_tail.py``.
"""

from __future__ import annotations

import os
import re
import selectors
import shlex
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass

SCHEME = "ssh://"
CONNECT_TIMEOUT = 10  # seconds for the TCP connection and the key exchange
PERSIST_SECONDS = 60  # an idle master connection lingers this long after its last log
ALIVE_INTERVAL = 15  # keepalives: a silently dead link is noticed within ALIVE_INTERVAL * ALIVE_COUNT
ALIVE_COUNT = 3

_HOST = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")  # never starting with "-": it would be an ssh option
_USER = re.compile(r"[A-Za-z0-9_.][A-Za-z0-9_.@-]*")

# Lists the regular files a glob names, NUL-separated. The pattern is "$1": with IFS empty it is
# not split into words, but unquoted it is still expanded as a pathname pattern (set +f).
# The first $2 bytes of $1 (dd is POSIX, head -c is not); one read of a regular file gives them all.
HEAD_SCRIPT = 'exec dd if="$1" bs="$2" count=1 2>/dev/null'
LIST_SCRIPT = 'IFS=; set +f; for f in $1; do if [ -f "$f" ]; then printf "%s\\0" "$f"; fi; done'


@dataclass(frozen=True)
class SshTarget:
    host: str
    path: str  # absolute, or relative to the login directory (written ssh://host/~/logs/x.log)
    user: str | None = None
    port: int | None = None

    @property
    def destination(self) -> str:
        return f"{self.user}@{self.host}" if self.user else self.host

    @property
    def key(self) -> tuple[str, str | None, int | None]:
        """One connection per key."""
        return (self.host, self.user, self.port)

    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = f":{self.port}" if self.port is not None else ""
        path = self.path if self.path.startswith("/") else f"/~/{self.path}"
        user = f"{self.user}@" if self.user else ""
        return f"{SCHEME}{user}{host}{port}{path}"

    def with_path(self, path: str) -> SshTarget:
        return SshTarget(self.host, path, self.user, self.port)

    def is_glob(self) -> bool:
        return any(char in self.path for char in "*?[")


def is_remote(text: str) -> bool:
    return text.startswith(SCHEME)


def parse_target(text: str) -> SshTarget:
    """``ssh://[user@]host[:port]/path`` -> SshTarget; ValueError with a one-line reason.

    Not a general URL parser on purpose: ``?`` and ``#`` are glob or file-name characters here,
    and nothing is percent-decoded (a path is taken as typed)."""
    if not is_remote(text):
        raise ValueError(f"not an ssh:// target: {text[:80]!r}")
    rest = text[len(SCHEME):]
    authority, slash, path = rest.partition("/")
    if not slash or not path:
        raise ValueError("an ssh:// target needs a path after the host: ssh://host/path/to/train.log")
    if "\x00" in path:
        raise ValueError("a path cannot contain a NUL byte")
    user = None
    if "@" in authority:
        user, _, authority = authority.rpartition("@")
        if not _USER.fullmatch(user):
            raise ValueError(f"not a valid user name: {user[:40]!r}")
    port = None
    if authority.startswith("["):  # [IPv6]:port
        host, bracket, tail = authority[1:].partition("]")
        if not bracket or not host or not re.fullmatch(r"[0-9A-Fa-f:.%A-Za-z]+", host):
            raise ValueError(f"not a valid IPv6 host: {authority[:60]!r}")
        if tail:
            if not tail.startswith(":"):
                raise ValueError(f"unexpected text after the host: {tail[:40]!r}")
            port = _port(tail[1:])
    else:
        host, colon, port_text = authority.partition(":")
        if colon:
            port = _port(port_text)
        if not _HOST.fullmatch(host):
            raise ValueError(f"not a valid host name: {host[:60]!r}")
    if path.startswith("~/"):
        path = path[2:]  # relative to the login directory, where ssh starts the remote command
        if not path:
            raise ValueError("an ssh:// target needs a file after ~/")
    else:
        path = "/" + path
    return SshTarget(host=host, path=path, user=user, port=port)


def _port(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"not a valid port: {text[:20]!r}")
    return int(text)


def remote_command(script: str, *args: str) -> str:
    """The one command string ssh sends: ``sh -c SCRIPT NAME ARGS...``, every word quoted."""
    if any("\x00" in arg for arg in args):
        raise ValueError("an argument cannot contain a NUL byte")
    return shlex.join(["sh", "-c", script, "waitbuddy", *args])


# $1 file, $2 offset to resume at (-1: first open), $3 inode seen before ('' if none), $4 bytes
# from the end to start at on a first open (-1: from the beginning). Tells where it starts on
# stderr, then tails. Stdin stays open as long as our ssh lives: its EOF (the link is gone)
# kills tail, which would otherwise wait on the remote until the log is written again. The
# DATA_MARK line on stdout comes right before tail's bytes: anything a login script printed
# before it (a .bashrc that echoes) is not the log's.
DATA_MARK = b"\x1ewaitbuddy-data\x1e\n"
TAIL_SCRIPT = r"""set -f
f=$1 want=$2 ino=$3 back=$4
if [ ! -e "$f" ]; then
  echo "waitbuddy-tail missing" >&2; start=0
elif [ -d "$f" ]; then
  echo "waitbuddy-tail error is a directory" >&2; exit 3
elif [ ! -f "$f" ]; then
  echo "waitbuddy-tail error not a regular file" >&2; exit 3
elif [ ! -r "$f" ]; then
  echo "waitbuddy-tail error permission denied on the remote file" >&2; exit 3
else
  set -- $(ls -Lid -- "$f")
  now=$1
  size=$(wc -c < "$f") || exit 2
  size=$((size + 0))
  if [ "$want" -ge 0 ] && [ "$size" -ge "$want" ] && { [ -z "$ino" ] || [ "$ino" = "$now" ]; }; then
    start=$want
  elif [ "$want" -lt 0 ] && [ "$back" -ge 0 ] && [ "$size" -gt "$back" ]; then
    start=$((size - back - 1))
  else
    start=0
  fi
  # How long ago it was last written, by the remote's own clock (no skew): GNU, BusyBox and
  # recent BSD date read a file's time with -r; elsewhere "-" (unknown).
  age=-
  m=$(date -r "$f" +%s 2>/dev/null) || m=
  case $m in ''|*[!0-9]*) ;; *) age=$(( $(date +%s) - m )) ;; esac
  echo "waitbuddy-tail ok $now $size $start $age" >&2
fi
exec 3<&0 0</dev/null
printf '\036waitbuddy-data\036\n'
tail -c +$((start + 1)) -F -- "$f" &
t=$!
{ cat <&3; kill "$t"; } >/dev/null 2>&1 &
exec 3<&-
wait "$t"
"""


class SshHosts:
    """The SSH connections of one process: one per host, shared by all its logs.

    ``ssh``: the program; ``options``: extra leading arguments (``["-F", config]`` in tests).
    """

    def __init__(self, *, ssh: str = "ssh", options: Sequence[str] = (), runtime_dir: str | None = None,
                 persist_seconds: int = PERSIST_SECONDS, connect_timeout: int = CONNECT_TIMEOUT) -> None:
        self.ssh = ssh
        self.options = list(options)
        self.persist_seconds = persist_seconds
        self.connect_timeout = connect_timeout
        # Private (0700) and short: a control socket path must fit in ~104 bytes, and anyone able
        # to connect to the socket could run commands on the remote host as the user.
        base = runtime_dir or os.environ.get("XDG_RUNTIME_DIR") or None
        if base is not None and not os.path.isdir(base):
            base = None
        self._runtime_dir: str | None = None
        self._base = base
        self._locks: dict[tuple, threading.Lock] = {}
        self._used: dict[tuple, SshTarget] = {}
        self._guard = threading.Lock()

    @property
    def runtime_dir(self) -> str:
        with self._guard:
            if self._runtime_dir is None:
                self._runtime_dir = tempfile.mkdtemp(prefix="wb-ssh-", dir=self._base)
            return self._runtime_dir

    def control_path(self) -> str:
        return os.path.join(self.runtime_dir, "%C")  # %C: a hash of local host, remote host, port, user

    def lock(self, target: SshTarget) -> threading.Lock:
        """Held while a session is being opened: the first one to a host becomes its master,
        the others wait and then ride on it (two at once would each open a connection)."""
        with self._guard:
            self._used[target.key] = target
            return self._locks.setdefault(target.key, threading.Lock())

    def argv(self, target: SshTarget, command: str | None = None, *, control: Sequence[str] = ()) -> list[str]:
        argv = [self.ssh, *self.options, "-T",
                "-o", "BatchMode=yes",  # never a password or host-key prompt: there is no one to answer
                "-o", "ControlMaster=auto", "-o", f"ControlPath={self.control_path()}",
                "-o", f"ControlPersist={self.persist_seconds}",
                "-o", f"ConnectTimeout={self.connect_timeout}",
                "-o", f"ServerAliveInterval={ALIVE_INTERVAL}", "-o", f"ServerAliveCountMax={ALIVE_COUNT}",
                *control]
        if target.port is not None:
            argv += ["-p", str(target.port)]
        if target.user is not None:
            argv += ["-l", target.user]
        argv += ["--", target.host]
        if command is not None:
            argv.append(command)
        return argv

    def expand(self, target: SshTarget, timeout: float = 30.0) -> list[SshTarget]:
        """The files a glob target names now on its host (a plain path names itself). Blocking:
        call it off the UI thread. Raises OSError with ssh's one-line reason on failure."""
        if not target.is_glob():
            return [target]
        with self.lock(target):
            result = subprocess.run(self.argv(target, remote_command(LIST_SCRIPT, target.path)),
                                    stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout, check=False,
                                    start_new_session=True)
        if result.returncode != 0:
            raise OSError(ssh_reason(result.stderr.decode(errors="replace"), result.returncode))
        names = [os.fsdecode(name) for name in result.stdout.split(b"\x00") if name]
        return [target.with_path(name) for name in sorted(names)]

    def head(self, target: SshTarget, size: int, timeout: float = 30.0) -> bytes:
        """The first ``size`` bytes of the file (fewer if it is shorter). Blocking: call it off the
        UI thread. Raises OSError with ssh's one-line reason on failure."""
        with self.lock(target):
            result = subprocess.run(self.argv(target, remote_command(HEAD_SCRIPT, target.path, str(size))),
                                    stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout, check=False,
                                    start_new_session=True)
        if result.returncode != 0:
            raise OSError(ssh_reason(result.stderr.decode(errors="replace"), result.returncode))
        return result.stdout[:size]

    def close(self) -> None:
        """End every master connection this process opened and remove the private directory."""
        with self._guard:
            used, self._used = list(self._used.values()), {}
            directory = self._runtime_dir
        if directory is None:
            return
        for target in used:
            subprocess.run(self.argv(target, control=["-O", "exit"]), stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=15, check=False)
        shutil.rmtree(directory, ignore_errors=True)


_REASONS = (
    "Permission denied", "Host key verification failed", "Could not resolve hostname", "Connection refused",
    "Connection timed out", "No route to host", "Network is unreachable", "Connection closed",
    "Connection reset", "closed by remote host", "Too many authentication failures", "not found",
)


def ssh_reason(stderr: str, returncode: int | None) -> str:
    """ssh's complaint as one line, e.g. "Permission denied (publickey)"."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in reversed(lines):
        for reason in _REASONS:
            if reason in line:
                start = line.find(reason) if reason[0].isupper() else 0
                # "user@host: Permission denied (publickey)." -> the reason without who or the dot
                return line[start:].rstrip(".")[:200]
    if lines:
        return lines[-1][:200]
    return f"ssh exited with status {returncode}" if returncode is not None else "ssh ended"


def complete_lines(data: bytes) -> tuple[list[str], bytes]:
    """The whole lines in ``data`` (stripped, blank ones dropped) and the incomplete rest."""
    *lines, rest = data.split(b"\n")
    return [line.decode(errors="replace").strip() for line in lines if line.strip()], rest


def read_line(pipe, pending: bytes, *, timeout: float) -> tuple[str | None, bytes, bool]:
    """One line from ``pipe`` (a line already in ``pending`` first): (line or None, rest, eof)."""
    if b"\n" in pending:
        line, _, rest = pending.partition(b"\n")
        return line.decode(errors="replace").strip(), rest, False
    with selectors.DefaultSelector() as selector:
        selector.register(pipe, selectors.EVENT_READ)
        if not selector.select(timeout):
            return None, pending, False
    data = os.read(pipe.fileno(), 4096)
    if not data:
        return (pending.decode(errors="replace").strip() or None), b"", True
    pending += data
    if b"\n" in pending:
        line, _, rest = pending.partition(b"\n")
        return line.decode(errors="replace").strip(), rest, False
    return None, pending, False
