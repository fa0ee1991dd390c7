"""`waitbuddy run -- CMD`: start a command, pass its output through, tee it to a log, record the run.

The child shares waitbuddy's process group, so the terminal's Ctrl-C reaches it directly; this
process only survives that Ctrl-C to record the outcome. The child's stdout and stderr arrive as
one stream (like ``2>&1``) and pass through byte for byte. The dashboard follows the log file like
any other; this module never parses it live, only once at the end for the final state.
"""

from __future__ import annotations

import os
import queue
import re
import selectors
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from waitbuddy.runs import registry, status
from waitbuddy.runs.targets import not_regular
from waitbuddy.store import Store, StoreBusy
from waitbuddy.text import visible

CHUNK_BYTES = 65536
EXIT_CANNOT_LOG = 2
EXIT_CANNOT_EXECUTE = 126
EXIT_NOT_FOUND = 127
# How often to look whether the child has exited while its output pipe stays open.
EXIT_CHECK_SECONDS = 0.5
# After the child exits, how long to keep passing on output that processes it left behind (a
# `tensorboard &` started by a script) still write: they hold the pipe open, possibly for hours.
DRAIN_SECONDS = 1.0
# The run's record is written off the main thread (runs/launch.py _Recorder). At the child's exit,
# how long to let it catch up before the child is reaped; when the command has ended, how long a
# database locked by another process is waited for before the record is given up.
EXIT_RECORD_SECONDS = 1.0
RECORD_WAIT_SECONDS = 30.0
BUSY_RETRY_SECONDS = 0.1

_SCRIPT_SUFFIXES = frozenset({".py", ".sh", ".bash", ".zsh", ".ipynb", ".jl", ".r", ".lua", ".pl", ".rb", ".js"})
# `python -m <one of these> ... train.py`: the script, not the launcher, names the run.
_LAUNCHER_MODULES = frozenset({
    "torch.distributed.run", "torch.distributed.launch", "accelerate.commands.launch", "deepspeed",
    "deepspeed.launcher.runner",
})
_MODULE = re.compile(r"[A-Za-z_][\w.]*")
_UNSAFE_IN_FILE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_FILE_NAME_LIMIT = 80


def run_command(
    argv: list[str], *, log_path: Path, store: Store | None, name: str | None = None,
    stall_floor: float = 600.0, out: BinaryIO | None = None,
) -> int:
    """Start argv, pass its output through unchanged, tee it to log_path, register and finish the run;
    return the exit status to exit with (128+N when the child died of signal N)."""
    if not argv:
        raise ValueError("no command to run")
    log_path = Path(log_path)
    try:
        log = _open_log(log_path)
    except _NotALogFile as exc:
        _say(f"cannot write log {visible(str(log_path), limit=500)}: {exc}; give --log a file")
        return EXIT_CANNOT_LOG
    except OSError as exc:
        _say(f"cannot write log {log_path}: {_reason(exc)}")
        return EXIT_CANNOT_LOG
    if out is None:
        out = _terminal()
    recorder = _Recorder(store, log_path, argv, name, stall_floor)
    try:
        recorder.register()
        with _SignalGuard() as guard:
            returncode = _supervise(argv, _Tee(out, log, log_path), guard, recorder)
            log.close()  # everything is on disk before the final read
            recorder.finish()
    finally:
        log.close()
        recorder.close()
    return _shell_status(returncode)


def default_name(argv: list[str]) -> str:
    """A run name from the command: the script it runs ("python -u train.py" -> "train"), the module
    (`python -m pkg.train` -> "train"), else the program ("make train" -> "make")."""
    if not argv:
        return "run"
    program = Path(argv[0])
    if program.suffix.lower() in _SCRIPT_SUFFIXES:
        return program.stem
    args = argv[1:]
    for index, arg in enumerate(args):
        module = _module_after(args, index)
        if module is not None:
            if module not in _LAUNCHER_MODULES:
                return _module_name(module)
        elif not arg.startswith("-") and "=" not in arg and Path(arg).suffix.lower() in _SCRIPT_SUFFIXES:
            return Path(arg).stem or "run"
    return program.name or "run"


def default_log_path(data_dir: Path, name: str, now: float) -> Path:
    """``data_dir/logs/<safe name>-<YYYYmmdd-HHMMSS>.log`` in local time; "-2", "-3"... when that
    file already exists (the same command started again within the second)."""
    stem = f"{_safe_file_name(name)}-{time.strftime('%Y%m%d-%H%M%S', time.localtime(now))}"
    logs = Path(data_dir) / "logs"
    path = logs / f"{stem}.log"
    number = 2
    while path.exists():
        path = logs / f"{stem}-{number}.log"
        number += 1
    return path


# --- the child -------------------------------------------------------------------------------------


def _supervise(argv: list[str], tee: _Tee, guard: _SignalGuard, recorder: _Recorder) -> int:
    """Run the child to its end; its returncode (negative for a signal), or 127/126 if it never started."""
    try:
        child = _spawn(argv)
    except OSError as exc:
        code = EXIT_NOT_FOUND if isinstance(exc, FileNotFoundError) else EXIT_CANNOT_EXECUTE
        # A name that is not UTF-8 (its bytes held as surrogates) or holds escapes is shown visibly.
        message = f"cannot run '{visible(argv[0], limit=4096)}': {_reason(exc)}"
        _say(message)
        tee.write_log(f"waitbuddy: {message}\n".encode())  # so the log explains the failed run
        recorder.exited(code, time.time())
        return code
    guard.attach(child)
    recorder.started(child.pid, time.time())
    try:
        returncode = _pump(child, tee)
        # Recorded before the child is reaped: a watcher that sees its PID gone finds the outcome stored.
        recorder.exited(returncode, time.time())
    finally:
        guard.detach()  # from here on its PID may be reused: never signal it again
        child.stdout.close()  # type: ignore[union-attr]
    return child.wait()


def _spawn(argv: list[str]) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env.setdefault("PYTHONUNBUFFERED", "1")  # piped Python output would otherwise arrive in 8 KB bursts
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, bufsize=0)


def _pump(child: subprocess.Popen[bytes], tee: _Tee) -> int:
    """Pass output on until the pipe closes, or until the child has exited and the output it left is
    drained; returns the child's returncode, the child not yet reaped where the OS allows."""
    fd = child.stdout.fileno()  # type: ignore[union-attr]
    returncode: int | None = None
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        next_check = time.monotonic() + EXIT_CHECK_SECONDS
        drain_until: float | None = None
        while True:
            if selector.select(EXIT_CHECK_SECONDS):
                chunk = os.read(fd, CHUNK_BYTES)
                if not chunk:
                    break
                tee.write(chunk)
            now = time.monotonic()
            if drain_until is not None:
                if now >= drain_until:
                    break
            elif now >= next_check:
                returncode = _exit_status(child, block=False)
                if returncode is not None:
                    drain_until = now + DRAIN_SECONDS
                next_check = now + EXIT_CHECK_SECONDS
    return returncode if returncode is not None else _exit_status(child, block=True)  # type: ignore[return-value]


def _exit_status(child: subprocess.Popen[bytes], *, block: bool) -> int | None:
    """The child's returncode once it has exited (None if not yet and not ``block``). Uses WNOWAIT
    where available so the child stays a zombie, its PID not reusable, until the outcome is stored."""
    if child.returncode is not None or not hasattr(os, "waitid"):
        return child.wait() if block else child.poll()
    flags = os.WEXITED | os.WNOWAIT | (0 if block else os.WNOHANG)
    try:
        info = os.waitid(os.P_PID, child.pid, flags)
    except ChildProcessError:  # reaped elsewhere (e.g. a SIGCHLD handler): Popen still knows
        return child.wait() if block else child.poll()
    if info is None:
        return None
    return info.si_status if info.si_code == os.CLD_EXITED else -info.si_status


def _shell_status(returncode: int) -> int:
    """Popen's -N for "killed by signal N" becomes the shell's 128+N."""
    return 128 - returncode if returncode < 0 else returncode


# --- output ------------------------------------------------------------------------------------------


class _Tee:
    """The terminal and the log. A terminal that goes away (EPIPE, hangup, closed) is dropped and the
    log goes on; a log that fails is reported once and the terminal goes on."""

    def __init__(self, out: BinaryIO | None, log: BinaryIO, log_path: Path) -> None:
        self.out = out
        self.log: BinaryIO | None = log
        self.log_path = log_path

    def write(self, chunk: bytes) -> None:
        if self.out is not None:
            try:
                _write_all(self.out, chunk)
                self.out.flush()
            except (OSError, ValueError):  # ValueError: the stream was closed
                self.out = None
        self.write_log(chunk)

    def write_log(self, chunk: bytes) -> None:
        if self.log is None:
            return
        try:
            _write_all(self.log, chunk)
        except OSError as exc:  # e.g. the disk is full
            _say(f"cannot write log {self.log_path}: {_reason(exc)}")
            self.log = None


class _NotALogFile(OSError):
    """The log path is there and is not a regular file: a FIFO would block the open (the command
    would never start), a device or socket is no log to read back."""


def _open_log(path: Path) -> BinaryIO:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None:
        _refuse_not_regular(mode)
    # O_NONBLOCK: a FIFO swapped in after the stat fails or opens at once instead of blocking.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_NONBLOCK | os.O_CLOEXEC, 0o666)
    try:
        _refuse_not_regular(os.fstat(fd).st_mode)
        os.ftruncate(fd, 0)
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    # Unbuffered: every chunk is on disk for the dashboard at once, and closing never has to flush.
    return open(fd, "wb", buffering=0)


def _refuse_not_regular(mode: int) -> None:
    if stat.S_ISDIR(mode):
        raise _NotALogFile("is a directory")
    if (reason := not_regular(mode)) is not None:
        raise _NotALogFile(reason)


def _write_all(stream: BinaryIO, chunk: bytes) -> None:
    """Raw streams may write only part of a chunk."""
    view = memoryview(chunk)
    while view:
        written = stream.write(view)
        if written is None:  # a non-blocking stream that would block
            raise BlockingIOError("output would block")
        view = view[written:]


def _terminal() -> BinaryIO | None:
    if sys.stdout is None:
        return None
    try:
        sys.stdout.flush()  # text printed before must come out before the child's bytes
    except (OSError, ValueError):
        return None  # the terminal is already gone
    return getattr(sys.stdout, "buffer", None)


def _say(message: str) -> None:
    print(f"waitbuddy: {message}", file=sys.stderr, flush=True)


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


# --- signals -----------------------------------------------------------------------------------------


class _SignalGuard:
    """While the child runs: survive Ctrl-C (the terminal delivers it to the child too, being in the
    same process group) and pass SIGTERM and SIGHUP on to the child. A SIGINT the terminal did not
    deliver to the child's group (a supervisor's `kill -INT <our pid>`) is passed on as well: a second
    SIGINT would interrupt a Python child's own cleanup. Handlers are Python functions,
    never SIG_IGN: an ignored signal stays ignored across exec, and a Python child would then
    ignore Ctrl-C. A signal that was ignored before (nohup, a script's background job) stays
    ignored, so the child inherits that as it would without waitbuddy."""

    def __init__(self) -> None:
        self._child: subprocess.Popen[bytes] | None = None
        self._pending: list[int] = []
        self._previous: dict[int, object] = {}

    def __enter__(self) -> _SignalGuard:
        if threading.current_thread() is not threading.main_thread():
            return self  # only the main thread may set handlers; its signals are not ours to handle
        for signum, handler in (
            (signal.SIGINT, self._interrupt), (signal.SIGTERM, self._forward), (signal.SIGHUP, self._forward),
        ):
            previous = signal.getsignal(signum)
            if previous == signal.SIG_IGN:
                continue
            self._previous[signum] = previous
            signal.signal(signum, handler)
        return self

    def __exit__(self, *exc_info: object) -> None:
        for signum, previous in self._previous.items():
            # None: a handler set outside Python, which cannot be put back; the default is closest.
            signal.signal(signum, previous if previous is not None else signal.SIG_DFL)  # type: ignore[arg-type]
        self._previous.clear()

    def attach(self, child: subprocess.Popen[bytes]) -> None:
        self._child = child
        for signum in self._pending:  # arrived while the child was being started
            self._send(child, signum)
        self._pending.clear()

    def detach(self) -> None:
        self._child = None

    def _interrupt(self, signum: int, frame: object) -> None:
        """A Ctrl-C at the terminal reached the child too: we only stay to record how it ends."""
        child = self._child
        if child is not None and _terminal_interrupts(child.pid):
            return
        self._forward(signum, frame)

    def _forward(self, signum: int, frame: object) -> None:
        child = self._child
        if child is None:
            self._pending.append(signum)
        else:
            self._send(child, signum)

    @staticmethod
    def _send(child: subprocess.Popen[bytes], signum: int) -> None:
        try:
            os.kill(child.pid, signum)
        except ProcessLookupError:
            pass


def _terminal_interrupts(pid: int) -> bool:
    """Whether process ``pid`` is in the foreground process group of our controlling terminal, so a
    SIGINT from the terminal's Ctrl-C reached it as it reached us. Python's handler cannot see who
    sent a signal; with no terminal, or the child in a background group, it must have come from
    someone signalling us alone. (Someone signalling us alone while we run in the foreground still
    looks like Ctrl-C; that case stays ambiguous.)"""
    try:
        tty = os.open("/dev/tty", os.O_RDONLY | os.O_NOCTTY)
    except OSError:  # no controlling terminal
        return False
    try:
        return os.tcgetpgrp(tty) == os.getpgid(pid)
    except OSError:
        return False
    finally:
        os.close(tty)


# --- the store ---------------------------------------------------------------------------------------


class _Recorder:
    """The run's row in the store, written by a thread of its own so that the database never delays
    or stops the job: a database locked by another process is tried again until it frees up (with
    one warning); any other database problem is reported once and the run goes unrecorded.

    An exit the store has not taken when the child exits (read-only, locked, no store at all) is
    left beside the log instead (registry.write_exit_file), where `status` and the dashboard read
    it as a recorded exit; it is removed again if the store takes the exit after all."""

    def __init__(self, store: Store | None, log_path: Path, argv: list[str], name: str | None,
                 stall_floor: float) -> None:
        self.store = store
        self.log_path = log_path
        self.argv = list(argv)
        self.given_name = name
        self.name = name or default_name(argv)
        self.stall_floor = stall_floor
        self.run_id: int | None = None
        self.started_at: float | None = None
        self.code: int | None = None
        self.signal: int | None = None
        self.ended_at: float | None = None
        self.pid: int | None = None
        self.exit_left: Path | None = None  # where the exit was left beside the log
        self._exit_stored = False
        self._warned = False
        self._busy = False
        self._given_up = threading.Event()
        self._steps: queue.Queue[tuple[Callable[[], None], bool] | None] = queue.Queue()
        self._writer: threading.Thread | None = None

    def register(self) -> None:
        registry.remove_exit_file(self.log_path)  # an earlier run's: the log starts again
        if self.store is None:
            return
        self._writer = threading.Thread(target=self._write, name="waitbuddy-run-recorder", daemon=True)
        self._writer.start()
        self._submit(self._register, needs_row=False)

    def started(self, pid: int, when: float) -> None:
        self.started_at = when
        self.pid = pid
        self._submit(lambda: registry.restart(self.store, self.run_id, name=self.given_name, command=self.argv,
                                              pid=pid, started=when))

    def exited(self, returncode: int, when: float) -> None:
        self.code, self.signal = (returncode, None) if returncode >= 0 else (None, -returncode)
        self.ended_at = when
        code, signal_number = self.code, self.signal

        def record() -> None:
            registry.record_exit(self.store, self.run_id, code=code, signal=signal_number, ended=when)
            self._exit_stored = True

        self._submit(record)
        # The child is not reaped yet: a watcher that sees its PID gone should find the outcome
        # stored. Worth a short wait, the job being over; a locked database is not waited for here,
        # and an exit not stored by then goes beside the log.
        self._wait(EXIT_RECORD_SECONDS)
        if not self._exit_stored:
            self._leave_exit()

    def finish(self) -> None:
        """Decide the final state from the whole log plus the exit status, and store it."""
        if self.ended_at is not None:
            self._submit(self._save_final_state)

    def close(self) -> None:
        """Wait (bounded, Ctrl-C skips) for what is still to be written: the job is over, and the
        process exiting would lose it."""
        if self._writer is None:
            return
        self._steps.put(None)
        if self._busy and self._writer.is_alive():
            _say(f"the command has ended; waiting up to {RECORD_WAIT_SECONDS:g} s for the database "
                 "to record the run (Ctrl-C skips)")
        try:
            self._writer.join(RECORD_WAIT_SECONDS)
        except KeyboardInterrupt:
            pass
        if self._writer.is_alive():
            self._given_up.set()  # the thread ends after its current try; the caller may close the store
            kept = f"; its exit is kept beside the log in {self.exit_left}" if self.exit_left is not None else ""
            _say(f"warning: the run was not recorded: the database is still locked by another process{kept}")
        elif self._exit_stored and self.exit_left is not None:  # the store took it after all
            registry.remove_exit_file(self.log_path)

    def _register(self) -> None:
        record = registry.ensure_run(self.store, str(self.log_path.absolute()), name=self.name, source="launch",
                                     command=self.argv)
        self.run_id = record.id
        self.name = self.given_name or record.name  # a known log keeps its name unless --name says otherwise

    def _leave_exit(self) -> None:
        outcome = registry.LaunchExit(self.code, self.signal, self.started_at, self.ended_at, self.pid, self.name)
        try:
            self.exit_left = registry.write_exit_file(self.log_path, outcome)
        except (OSError, ValueError) as exc:
            reason = _reason(exc) if isinstance(exc, OSError) else str(exc)
            _say(f"warning: cannot keep the run's exit beside the log either: {reason}")
            return
        if self.store is None:  # the caller said why there is no store
            _say(f"the run's exit is kept beside the log in {self.exit_left}")

    def _save_final_state(self) -> None:
        now = time.time()
        run = status.read_once(self.log_path, name=self.name, stall_floor=self.stall_floor)
        run.started_at = self.started_at  # unknown from the log alone; gives the elapsed time
        run.exited(self.code, self.signal, self.ended_at)
        registry.save_state(self.store, self.run_id, run.snapshot(now))

    def _submit(self, step: Callable[[], None], *, needs_row: bool = True) -> None:
        if self._writer is not None:
            self._steps.put((step, needs_row))

    def _wait(self, seconds: float) -> None:
        """Until every step submitted so far is written, or ``seconds`` have passed."""
        if self._writer is None:
            return
        done = threading.Event()
        self._submit(done.set, needs_row=False)
        done.wait(seconds)

    def _write(self) -> None:
        """The writer thread: each step in order; a step after a failed registration has no row to write."""
        while (item := self._steps.get()) is not None and not self._given_up.is_set():
            step, needs_row = item
            if needs_row and self.run_id is None:
                continue
            self._attempt(step)

    def _attempt(self, step: Callable[[], None]) -> None:
        while not self._given_up.is_set():
            try:
                step()
                return
            except StoreBusy as exc:  # each try already waited the busy timeout
                if not self._busy:
                    self._busy = True
                    _say(f"warning: {exc}; the command runs on and the run is recorded when the database frees up")
                time.sleep(BUSY_RETRY_SECONDS)
            except Exception as exc:  # noqa: BLE001 - never let bookkeeping kill the thread silently
                if not self._warned and not self._given_up.is_set():
                    self._warned = True
                    kept = "" if self._exit_stored else \
                        f"; its exit is kept beside the log in {registry.exit_file(self.log_path)}"
                    _say(f"warning: cannot record the run in the database: {exc}{kept}")
                return


# --- names -------------------------------------------------------------------------------------------


def _module_after(args: list[str], index: int) -> str | None:
    """The module of `-m MODULE` / `--module MODULE` / `-mMODULE` at ``index``, if that is one."""
    arg = args[index]
    if arg in ("-m", "--module"):
        module = args[index + 1] if index + 1 < len(args) else ""
    elif arg.startswith("-m") and not arg.startswith("--"):
        module = arg[2:]
    else:
        return None
    return module if _MODULE.fullmatch(module) else None


def _module_name(module: str) -> str:
    if Path(module).suffix.lower() in _SCRIPT_SUFFIXES:  # `-m train.py`, a common slip
        return Path(module).stem
    parts = [part for part in module.split(".") if part and part != "__main__"]
    return parts[-1] if parts else "run"


def _safe_file_name(name: str) -> str:
    """Letters, digits, '.', '_' and '-' only: no separators, no hidden file, no leading '-'."""
    safe = _UNSAFE_IN_FILE_NAME.sub("-", name)
    safe = re.sub(r"-{2,}", "-", safe).strip(".-")[:_FILE_NAME_LIMIT].rstrip(".-")
    return safe or "run"
