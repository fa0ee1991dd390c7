"""Follow one log on another machine and hand it out as the local Tail does: ``read()`` -> Chunk.

A thread keeps one ssh session open running ``tail -c +N -F`` on the remote file (through the
host's shared connection, see remote.py) and counts every byte it receives, so after a dropped
link it starts again at exactly the next byte: nothing lost or repeated, also mid-line or
mid-character (the decoder carries over). Before tailing, the remote script reports the file's
inode and size; a different inode or a smaller size than our offset means the file was rotated
or truncated while we were away, and reading starts over at 0 with ``reset``. While connected,
``tail -F``'s own notices ("file truncated", "has appeared", "has become inaccessible") do the
same. The link's state is :attr:`RemoteTail.state`; while it is down, ``read()`` says so in
``Chunk.error`` once the bytes already received are handed out.
"""

from __future__ import annotations

import codecs
import os
import selectors
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from waitbuddy.runs.remote import (
    DATA_MARK,
    TAIL_SCRIPT,
    SshHosts,
    SshTarget,
    complete_lines,
    read_line,
    remote_command,
    ssh_reason,
)
from waitbuddy.runs.tail import DEFAULT_MAX_BYTES, DEFAULT_START_FROM_END, Chunk, sniff_encoding

READ_BYTES = 64 * 1024  # one os.read from the ssh pipe
BUFFER_LIMIT = 8 * 1024 * 1024  # received but not yet read(): past this, stop reading ssh (it waits)
BACKOFF_MIN = 1.0
BACKOFF_MAX = 60.0
STEADY_SECONDS = 10.0  # a session that lasted this long resets the backoff
HEADER = "waitbuddy-tail "
PUMP_WAKE_SECONDS = 10.0  # an idle session's thread looks at its stop flag this often
PREAMBLE_LIMIT = 64 * 1024  # what a login script may print on stdout before the log starts

_RESET = object()  # in the buffer: what follows starts at offset 0 of a new (or truncated) file


@dataclass(frozen=True)
class _Start:
    """In the buffer: what follows starts at this offset (a first open near the end of a big file)."""

    offset: int


@dataclass(frozen=True)
class ConnectionState:
    kind: str  # "connecting", "connected", "missing" (connected, no file), "disconnected", "error"
    since: float  # time.time() when it became so
    reason: str | None = None  # ssh's or the remote's one-line complaint

    def describe(self) -> str:
        if self.kind == "error":
            return f"error: {self.reason}"
        if self.kind == "disconnected":
            since = time.strftime("%H:%M:%S", time.localtime(self.since))
            return f"disconnected since {since}" + (f" ({self.reason})" if self.reason else "")
        if self.kind == "missing":
            return "error: file missing on the remote"
        return self.kind


class RemoteTail:
    """Incremental reader of one remote file, with :class:`~waitbuddy.runs.tail.Tail`'s interface
    (``offset``, ``read(max_bytes) -> Chunk``, ``close()``), so ``status.drain`` takes either.

    The ssh session starts on the first :meth:`read` (or :meth:`start`). ``start_from_end`` works
    as for Tail: a first open of a bigger file starts that far before its end, on a fresh line.
    """

    def __init__(self, target: SshTarget, hosts: SshHosts, *, start_from_end: int | None = DEFAULT_START_FROM_END,
                 backoff_min: float = BACKOFF_MIN, backoff_max: float = BACKOFF_MAX,
                 buffer_limit: int = BUFFER_LIMIT, on_change: Callable[[], None] | None = None) -> None:
        """``on_change`` is called from the session thread when bytes arrive or the link's state
        changes (the watcher wakes its engine with it: there is no inotify for a remote file)."""
        self.target = target
        self.hosts = hosts
        self._on_change = on_change
        self._back = -1 if start_from_end is None else start_from_end
        self._backoff = (backoff_min, backoff_max)
        self._buffer_limit = buffer_limit
        self._lock = threading.Condition()
        self._items: deque[bytes | object] = deque()  # bytes and _RESET marks, in stream order
        self._buffered = 0
        self._received = -1  # file offset after the last byte received; -1 before the first open
        self._inode = ""
        self._state = ConnectionState("connecting", time.time())
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._process: subprocess.Popen | None = None
        self._refusal: str | None = None  # why the remote script would not tail the path
        self._restart = False  # tail -F saw the file change under it: start over at 0, at once
        # The consumer's side (read() runs on the watcher's engine thread).
        self._offset = 0
        self._decoder: codecs.IncrementalDecoder | None = None
        self._binary = False
        self._skip_line = False
        self._leftover_errors = b""  # stderr read past the header line
        # At the first open: the file's size and how many seconds ago it was last written (None
        # when the remote cannot say). Bytes up to that size are old content, not new output.
        self.opened: tuple[int, float | None] | None = None
        self.attempts = 0  # ssh processes started: the backoff is visible in it
        self.bytes_received = 0  # from ssh's stdout, all sessions: compared with the file's bytes

    # -- the Tail interface -------------------------------------------------------------------

    @property
    def offset(self) -> int:
        """File offset of the next byte :meth:`read` returns."""
        return self._offset

    @property
    def state(self) -> ConnectionState:
        return self._state

    def start_offset(self) -> int | None:
        """Where the bytes :meth:`read` hands out first begin in the file: None until the file was
        opened, 0 from its start, more when a big file is followed from near its end (the reader
        may want the head for context, as ``status.prime`` reads it for a local log)."""
        with self._lock:
            if self._received < 0:
                return None
            first = self._items[0] if self._items else None
            return first.offset if isinstance(first, _Start) else self._offset

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=f"waitbuddy-ssh {self.target.host}", daemon=True)
            self._thread.start()

    def read(self, max_bytes: int = DEFAULT_MAX_BYTES) -> Chunk:
        """What arrived since the last call, at most ``max_bytes`` bytes of it; never blocks.

        Bytes already received come first; only then does a missing file or a link that is
        down show (``missing`` / ``error``). Empty text with an unchanged offset means nothing new."""
        if max_bytes < 1:
            raise ValueError("max_bytes must be at least 1")
        self.start()
        reset = False
        data = bytearray()
        with self._lock:
            while self._items and len(data) < max_bytes:
                item = self._items[0]
                if item is _RESET:
                    if data or reset:
                        break  # the new file's bytes go in the next chunk, after its own reset
                    self._items.popleft()
                    reset = True
                    self._offset, self._decoder, self._binary, self._skip_line = 0, None, False, False
                    continue
                if isinstance(item, _Start):
                    self._items.popleft()
                    self._offset = item.offset
                    continue
                assert isinstance(item, bytes)
                take = item[: max_bytes - len(data)]
                data += take
                if len(take) == len(item):
                    self._items.popleft()
                else:
                    self._items[0] = item[len(take):]
            self._buffered -= len(data)
            self._lock.notify_all()  # the reader thread may be waiting for room
            state = self._state
            pending = bool(self._items)
        text = self._consume(bytes(data))
        if data or reset or pending:
            return Chunk(text, reset=reset, binary=self._binary)
        if state.kind == "missing":
            return Chunk("", missing=True)
        if state.kind in ("disconnected", "error"):
            return Chunk("", error=state.describe())
        return Chunk("")

    def close(self) -> None:
        """Stop following: the ssh session ends (the host's connection stays for its other logs)."""
        self._stop.set()
        with self._lock:
            self._lock.notify_all()
        self._end_process()
        if self._thread is not None:
            self._thread.join(10)

    # -- decoding (consumer side) --------------------------------------------------------------

    def _consume(self, data: bytes) -> str:
        if not data:
            return ""
        start = self._offset
        self._offset += len(data)
        if self._decoder is None:
            encoding = sniff_encoding(data[:64] if start == 0 else b"", data[:8192])
            self._binary = encoding is None
            self._decoder = codecs.getincrementaldecoder(encoding or "utf-8")(errors="replace")
        if self._binary:
            return ""
        if self._skip_line:
            ends = [index for index in (data.find(b"\n"), data.find(b"\r")) if index >= 0]
            if not ends:
                return ""
            self._skip_line = False
            end = min(ends)
            if data[end:end + 2] == b"\r\n":
                end += 1
            data = data[end + 1:]
        return self._decoder.decode(data.replace(b"\x00", b"")).replace("\ufeff", "")

    # -- the session thread --------------------------------------------------------------------

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            began = time.monotonic()
            try:
                connected = self._session()
            except Exception as exc:  # noqa: BLE001 - the thread must live on: report, back off, retry
                connected = False
                self._set_state("error", f"internal error: {type(exc).__name__}: {exc}"[:200])
            finally:
                self._end_process()
            if self._stop.is_set():
                break
            if self._restart:
                self._restart = False
                continue
            if connected and time.monotonic() - began >= STEADY_SECONDS:
                failures = 0
            low, high = self._backoff
            delay = min(high, low * (2 ** failures))
            failures += 1
            self._stop.wait(delay)

    def _session(self) -> bool:
        """One ssh process from start to end; True if it got as far as the remote file."""
        want = self._received
        command = remote_command(TAIL_SCRIPT, self.target.path, str(want), self._inode, str(self._back))
        argv = self.hosts.argv(self.target, command)
        errors: list[str] = []
        with self.hosts.lock(self.target):  # the first session to a host opens its connection alone
            if self._stop.is_set():
                return False
            self.attempts += 1
            # Its own session: a Ctrl-C meant for the dashboard must not cut the link. Stdin is a
            # pipe we never write: the remote script takes its EOF as "the reader is gone".
            process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                       start_new_session=True)
            self._process = process
            header = self._await_header(process, errors)
        if header is None:
            return self._ended(process, errors, connected=False)
        self._apply_header(header, want)
        self._changed()
        self._pump(process, errors)
        return self._ended(process, errors, connected=True)

    def _await_header(self, process: subprocess.Popen, errors: list[str]) -> str | None:
        """Read stderr until the script says where it starts (stdout waits in its pipe)."""
        assert process.stderr is not None
        deadline = time.monotonic() + self.hosts.connect_timeout * 3 + 5
        pending = b""
        while not self._stop.is_set() and time.monotonic() < deadline:
            line, pending, eof = read_line(process.stderr, pending, timeout=0.5)
            if line is not None:
                if line.startswith(HEADER):
                    self._leftover_errors = pending
                    return line
                errors.append(line)
            elif eof:
                return None
        if not self._stop.is_set():
            errors.append("timed out waiting for the remote side")
        return None

    def _apply_header(self, header: str, want: int) -> None:
        words = header.split()
        with self._lock:
            if words[1] == "error":  # the script exits: _ended reports it, with backoff
                self._refusal = " ".join(words[2:])
                return
            if words[1] == "missing":
                self._state = ConnectionState("missing", time.time())
                if self._received > 0:
                    self._items.append(_RESET)
                self._received, self._inode = 0, ""
                return
            inode, start = words[2], int(words[4])
            if want < 0:  # the first open: how old its content is (the reader's "idle since modified")
                age = words[5] if len(words) > 5 else "-"
                self.opened = (int(words[3]), float(age) if age.isdigit() else None)
            if want >= 0 and start != want:
                self._items.append(_RESET)  # rotated or truncated while the link was down
            elif want < 0 and start > 0:
                self._items.append(_Start(start))
                self._skip_line = True  # started before the end: drop the partial line we land in
            self._received, self._inode = start, inode
            if self._state.kind != "connected":
                self._state = ConnectionState("connected", time.time())

    def _pump(self, process: subprocess.Popen, errors: list[str]) -> None:
        """Move stdout into the buffer and watch stderr for tail's notices, until stdout ends."""
        assert process.stdout is not None and process.stderr is not None
        selector = selectors.DefaultSelector()
        selector.register(process.stdout, selectors.EVENT_READ, "out")
        selector.register(process.stderr, selectors.EVENT_READ, "err")
        lines, pending = complete_lines(self._leftover_errors)
        for line in lines:
            self._notice(line, errors)
        preamble: bytearray | None = bytearray()  # stdout until DATA_MARK; None once past it
        try:
            while not self._stop.is_set():
                with self._lock:
                    while self._buffered >= self._buffer_limit and not self._stop.is_set():
                        self._lock.wait(0.5)
                # Long: close() ends the ssh process, and its stdout's EOF wakes us (20 idle logs
                # waking twice a second each doubled the dashboard's idle CPU).
                events = sorted(selector.select(PUMP_WAKE_SECONDS), key=lambda event: event[0].data != "out")
                for key, _mask in events:  # stdout first: its bytes were written before a notice
                    data = os.read(key.fd, READ_BYTES)
                    if key.data == "out":
                        if not data:
                            return
                        if preamble is not None:
                            preamble += data
                            mark = preamble.find(DATA_MARK)
                            if mark < 0:
                                if len(preamble) > PREAMBLE_LIMIT:
                                    errors.append("unexpected output from the remote shell before the log")
                                    return
                                continue
                            data, preamble = bytes(preamble[mark + len(DATA_MARK):]), None
                            if not data:
                                continue
                        self._received_bytes(data)
                    elif not data:
                        selector.unregister(key.fileobj)
                    else:
                        lines, pending = complete_lines(pending + data)
                        for line in lines:
                            self._notice(line, errors)
                        self._changed()
                        if self._restart:
                            return
        finally:
            selector.close()

    def _received_bytes(self, data: bytes) -> None:
        with self._lock:
            self._items.append(data)
            self._buffered += len(data)
            self._received += len(data)
            self.bytes_received += len(data)
            if self._state.kind == "missing":
                self._state = ConnectionState("connected", time.time())
        self._changed()

    def _changed(self) -> None:
        if self._on_change is not None:
            try:
                self._on_change()
            except Exception:  # noqa: BLE001, S110 - a consumer that cannot be told must not cut the link
                pass

    def _notice(self, line: str, errors: list[str]) -> None:
        """tail -F's notices on stderr, e.g. "tail: train.log: file truncated".

        tail goes on from the start of the new content by itself, but its stdout and stderr
        reach us through two pipes, so which bytes came before the notice is not known. The
        session is started over at offset 0 instead (with ``reset`` if anything was received),
        and what arrives after the notice is dropped with it."""
        with self._lock:
            if line.endswith(("file truncated", "following new file")) or "has been replaced" in line:
                if self._received > 0:
                    self._items.append(_RESET)
                self._received, self._inode = 0, ""
                self._restart = True
            elif "has become inaccessible" in line or "No such file" in line:
                self._state = ConnectionState("missing", time.time())
            else:
                errors.append(line)

    def _ended(self, process: subprocess.Popen, errors: list[str], *, connected: bool) -> bool:
        if self._restart or self._stop.is_set():
            self._end_process()  # it is still running: we are the ones leaving
            return connected
        try:
            returncode = process.wait(5)
        except subprocess.TimeoutExpired:
            returncode = None
        if process.stderr is not None:
            try:
                rest = process.stderr.read() if returncode is not None else b""
            except (OSError, ValueError):
                rest = b""
            errors += [line for line in rest.decode(errors="replace").splitlines() if line.strip()]
        if self._stop.is_set() or self._restart:
            return connected
        reason = ssh_reason("\n".join(errors), returncode)
        with self._lock:
            if self._refusal is not None:
                reason, self._refusal = self._refusal, None
                self._state = ConnectionState("error", time.time(), reason)
            elif connected or self._state.kind in ("connected", "missing", "disconnected"):
                since = self._state.since if self._state.kind == "disconnected" else time.time()
                self._state = ConnectionState("disconnected", since, reason)
            else:
                self._state = ConnectionState("error", time.time(), reason)
        self._changed()
        return connected

    def _set_state(self, kind: str, reason: str | None = None) -> None:
        with self._lock:
            self._state = ConnectionState(kind, time.time(), reason)

    def _end_process(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()  # our own child, by its PID
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        for pipe in (process.stdin, process.stdout, process.stderr):
            if pipe is not None:
                try:
                    pipe.close()
                except OSError:
                    pass
