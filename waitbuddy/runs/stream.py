"""The output of `watch --json` and `--notify`: its rate, and its end when the reader leaves.

A training loop that logs its loss every step changes the snapshot many times a second; a
script reading the stream wants to hear at once when a run starts, stalls, fails or ends, and
only now and then how far it got (:class:`Throttle`, pure: the caller owns the clock and lock).
"""

from __future__ import annotations

import os
import select
import sys
import threading
from collections.abc import Callable

from waitbuddy.runs.snapshot import RunSnapshot

DEFAULT_INTERVAL = 1.0


def _state(snapshot: RunSnapshot) -> tuple:
    """What makes a snapshot news to print at once (progress and metrics are not)."""
    return (snapshot.status, snapshot.error, snapshot.note, snapshot.exit_code, snapshot.exit_signal)


class Throttle:
    """Passes each run's first snapshot and every state change to ``write`` at once, and its
    other changes at most once per ``interval`` seconds (the newest one; none is lost for good:
    :meth:`flush` sends what waited)."""

    def __init__(self, write: Callable[[RunSnapshot], None], interval: float = DEFAULT_INTERVAL) -> None:
        self.write = write
        self.interval = interval
        self._sent: dict[str, tuple[float, tuple]] = {}  # path -> (when sent, state sent)
        self._waiting: dict[str, RunSnapshot] = {}  # path -> newest snapshot not sent yet

    def offer(self, snapshot: RunSnapshot, now: float) -> None:
        path = snapshot.path
        sent = self._sent.get(path)
        if sent is None or sent[1] != _state(snapshot) or now - sent[0] >= self.interval:
            self._send(snapshot, now)
        else:
            self._waiting[path] = snapshot

    def flush(self, now: float, *, everything: bool = False) -> None:
        """Send what has waited a whole interval (or all that waits, at the end)."""
        for path, snapshot in list(self._waiting.items()):
            if everything or now - self._sent[path][0] >= self.interval:
                self._send(snapshot, now)

    def _send(self, snapshot: RunSnapshot, now: float) -> None:
        path = snapshot.path
        self._waiting.pop(path, None)  # a newer snapshot supersedes the one waiting
        self._sent[path] = (now, _state(snapshot))
        self.write(snapshot)


class Output:
    """Standard output of a headless watch, written from the watcher's engine thread under
    :attr:`lock`. When the reader goes away (`watch --json | head -1`) it notes it once, points
    stdout at /dev/null and the command exits quietly: a headless command ends with its output."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.closed = threading.Event()

    def line(self, text: str) -> None:
        if self.closed.is_set():
            return
        try:
            sys.stdout.write(text + "\n")
            sys.stdout.flush()
        except (BrokenPipeError, ValueError):  # ValueError: stdout is closed
            self.close()

    def close(self) -> None:
        self.closed.set()
        silence_stdout()

    def reader_gone(self) -> bool:
        """True once the reader has left, noticed even while nothing is written (an idle run)."""
        if not self.closed.is_set() and _pipe_reader_gone(sys.stdout):
            self.close()
        return self.closed.is_set()


def silence_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's flush at exit raises no BrokenPipeError
    (what the Python docs on SIGPIPE recommend)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def _pipe_reader_gone(stream) -> bool:
    """A pipe whose read end is closed polls as POLLERR; a terminal or a file never does."""
    try:
        poller = select.poll()
        poller.register(stream.fileno(), 0)  # POLLERR and POLLHUP are reported without asking
        return any(events & select.POLLERR for _fd, events in poller.poll(0))
    except (OSError, ValueError, AttributeError):  # not a real file (captured in tests), or no poll()
        return False
