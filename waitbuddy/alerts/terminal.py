"""Channels that reach the person through their terminal: the bell, desktop notifications and
progress as terminal escapes, routed around tmux. (tmux's status line, notify-send and the user's
command are in programs.py.)

tmux forwards only the bell from a pane by default; an OSC notification gets out either through
DCS passthrough (``allow-passthrough``; "on" only while the pane is visible) or by writing it
straight to the tty of each attached tmux client. Every send() returns a Delivery and never
raises; every external call is an argv list with a short timeout.
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import subprocess
import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Self

from waitbuddy.alerts import escapes
from waitbuddy.alerts.channel import FAILED, SENT, SKIPPED, Delivery
from waitbuddy.alerts.events import AlertEvent
from waitbuddy.text import safe_line

TMUX_TIMEOUT = 1.0
# A tty whose buffer is full (stalled SSH link, Ctrl-S) must not hang the alert thread.
WRITE_TIMEOUT = 0.5
PASSTHROUGH_VALUES = ("off", "on", "all")
NO_PROTOCOL = "terminal has no known notification escape; bell only"

Runner = Callable[..., "subprocess.CompletedProcess[str]"]


@dataclass(frozen=True)
class Tmux:
    """What we know about the tmux we run inside."""

    socket: str
    pane: str
    passthrough: str  # "off" | "on" | "all"
    pane_visible: bool  # the pane is shown by an attached client (tmux drops "on" passthrough otherwise)
    client_ttys: tuple[str, ...]  # ttys of the clients attached to the pane's session
    terminals: tuple[str, ...] = ()  # those clients' outer $TERM (xterm-kitty, ...), to pick an escape


def tmux_facts(env: Mapping[str, str], run: Runner = subprocess.run) -> Tmux | None:
    """Ask the tmux server named by $TMUX about $TMUX_PANE; None when not inside tmux.

    A failing call yields safe defaults (passthrough off, not visible, no clients), which route
    notifications nowhere rather than into a pane that would swallow them."""
    value, pane = env.get("TMUX", ""), env.get("TMUX_PANE", "")
    socket = value.rsplit(",", 2)[0]  # "$TMUX" is "<socket path>,<server pid>,<session index>"
    if not socket or not pane.startswith("%") or not pane[1:].isdigit():
        return None

    def ask(*args: str) -> str | None:
        return _tmux(run, socket, *args)

    fields = (ask("display-message", "-p", "-t", pane,
                  "#{session_id}|#{window_active}|#{session_attached}|#{window_zoomed_flag}|#{pane_active}")
              or "").strip().split("|")
    if len(fields) != 5:
        return Tmux(socket, pane, "off", False, ())
    session, window_active, attached, zoomed, pane_active = fields
    # A zoomed window shows only its active pane: the others are as hidden as a background window.
    visible = (window_active == "1" and attached.isdigit() and int(attached) > 0
               and (zoomed != "1" or pane_active == "1"))
    passthrough = (ask("show-options", "-Apv", "-t", pane, "allow-passthrough") or "").strip()
    if passthrough not in PASSTHROUGH_VALUES:  # tmux < 3.3 has no such option
        passthrough = "off"
    ttys, terminals = [], []
    clients = ask("list-clients", "-t", session, "-F", "#{client_control_mode}|#{client_tty}|#{client_termname}")
    for line in (clients or "").splitlines():
        control, _, rest = line.partition("|")
        tty, _, term = rest.partition("|")
        # Control-mode clients (iTerm2's tmux integration) speak a protocol on their tty: never write there.
        if control != "1" and tty.startswith("/dev/"):
            ttys.append(tty)
            terminals.append(term)
    return Tmux(socket, pane, passthrough, visible, tuple(ttys), tuple(terminals))


def tmux_facts_every(env: Mapping[str, str], seconds: float = 5.0, run: Runner = subprocess.run,
                     clock: Callable[[], float] = time.monotonic) -> Callable[[], Tmux | None]:
    """A source of fresh facts for long-lived channels: the person attaches, detaches and switches
    windows while waitbuddy runs. Asks tmux again after `seconds` (three short calls)."""
    cache: list[tuple[float, Tmux | None]] = []

    def facts() -> Tmux | None:
        if not cache or clock() - cache[0][0] >= seconds:
            cache[:] = [(clock(), tmux_facts(env, run))]
        return cache[0][1]

    return facts


TmuxSource = Tmux | Callable[[], Tmux | None] | None


def resolve_tmux(source: TmuxSource) -> Tmux | None:
    return source() if callable(source) else source


def _tmux(run: Runner, socket: str, *args: str, timeout: float = TMUX_TIMEOUT) -> str | None:
    """stdout of one tmux command on our server (-S: the socket from $TMUX), None on any failure."""
    try:
        result = run(["tmux", "-S", socket, *args], capture_output=True, text=True, errors="replace",
                     timeout=timeout, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    return result.stdout if result.returncode == 0 else None


class Terminal:
    """Where escape bytes go: a file descriptor (/dev/tty, a client's tty) or a writer function
    (e.g. one that queues the bytes behind the TUI's frames)."""

    def __init__(self, fd: int | None = None, *, writer: Callable[[bytes], None] | None = None,
                 owns_fd: bool = True) -> None:
        if (fd is None) == (writer is None):
            raise ValueError("give a file descriptor or a writer")
        self._fd, self._writer, self._owns_fd = fd, writer, owns_fd

    @staticmethod
    def open_controlling() -> Terminal | None:
        """This process's terminal; None when there is none (under nohup, setsid, cron)."""
        return Terminal.open_path("/dev/tty")

    @staticmethod
    def open_path(path: str) -> Terminal | None:
        # O_NOCTTY: never become this tty's controlling process. O_NONBLOCK: a full buffer is an
        # error, not a hang (it is a flag of this open file only, not of the TUI's own stdout).
        flags = os.O_WRONLY | os.O_NOCTTY | os.O_NONBLOCK | os.O_CLOEXEC
        try:
            fd = os.open(path, flags)
        except OSError:
            return None
        if not os.isatty(fd):
            os.close(fd)
            return None
        return Terminal(fd)

    @staticmethod
    def from_writer(writer: Callable[[bytes], None]) -> Terminal:
        return Terminal(writer=writer)

    def write(self, data: bytes) -> None:
        """One write per sequence: the kernel keeps a single tty write whole, so it cannot land
        inside another writer's escape sequence. Raises OSError (TimeoutError when stuck)."""
        if self._writer is not None:
            self._writer(data)
            return
        if self._fd is None:
            raise OSError(errno.EBADF, "the terminal is closed")
        view, deadline = memoryview(data), time.monotonic() + WRITE_TIMEOUT
        while view:
            try:
                view = view[os.write(self._fd, view):]
            except BlockingIOError:
                pass
            if view:  # only when the tty buffer is full: wait a little for room
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError("the terminal is not accepting output")
                select.select([], [self._fd], [], remaining)

    def close(self) -> None:
        if self._fd is not None and self._owns_fd:
            fd, self._fd = self._fd, None
            with contextlib.suppress(OSError):
                os.close(fd)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


TtyOpener = Callable[[str], "Terminal | None"]


def reason_of(exc: BaseException) -> str:
    return safe_line(getattr(exc, "strerror", None) or str(exc) or type(exc).__name__, limit=120)


def _write_to(channel: str, terminal: Terminal | None, data: bytes) -> Delivery:
    if terminal is None:
        return Delivery(channel, SKIPPED, "no terminal")
    try:
        terminal.write(data)
    except Exception as exc:  # noqa: BLE001 - a writer function may raise anything; send() must not
        return Delivery(channel, FAILED, f"cannot write to the terminal: {reason_of(exc)}")
    return Delivery(channel, SENT)


class _Route:
    """The tmux routing rules (notes §3) for one escape sequence, shared by notify and progress."""

    def __init__(self, terminal: Terminal | None, tmux: TmuxSource, open_tty: TtyOpener) -> None:
        self.terminal, self.tmux, self.open_tty = terminal, tmux, open_tty

    def deliver(self, channel: str, sequence: bytes) -> Delivery:
        tmux = resolve_tmux(self.tmux)
        if tmux is None:
            return _write_to(channel, self.terminal, sequence)
        passes = tmux.passthrough == "all" or (tmux.passthrough == "on" and tmux.pane_visible)
        if passes and self.terminal is not None:
            return _write_to(channel, self.terminal, escapes.tmux_wrap(sequence))
        if not tmux.client_ttys:
            return Delivery(channel, SKIPPED, "no tmux client attached")
        # Straight to each client's tty: bypasses tmux, so it works from a hidden window too.
        errors = []
        for tty in tmux.client_ttys:
            client = self.open_tty(tty)
            if client is None:
                errors.append(f"cannot open {tty}")
                continue
            with client:
                delivery = _write_to(channel, client, sequence)
            if delivery.outcome != SENT:
                errors.append(f"{tty}: {delivery.reason}")
        if len(errors) == len(tmux.client_ttys):
            return Delivery(channel, FAILED, "; ".join(errors))
        return Delivery(channel, SENT)


class BellChannel:
    """BEL to our own terminal: tmux forwards it even from a hidden window and flags the window."""

    name = "bell"

    def __init__(self, terminal: Terminal | None) -> None:
        self.terminal = terminal

    def send(self, event: AlertEvent) -> Delivery:
        return _write_to(self.name, self.terminal, escapes.bell())


def notification_protocol(env: Mapping[str, str], tmux: Tmux | None = None) -> str | None:
    """The escape the outer terminal understands. Inside tmux $TERM_PROGRAM says "tmux", so also
    look at the $TERM each attached client reported (xterm-kitty, foot: forwarded over SSH too)."""
    candidates = [env, *({"TERM": term} for term in (tmux.terminals if tmux is not None else ()))]
    return next(filter(None, map(escapes.detect_protocol, candidates)), None)


class TerminalNotifyChannel:
    """A desktop notification through the terminal's own escape (OSC 9 / 777 / 99)."""

    name = "terminal"

    def __init__(self, env: Mapping[str, str], terminal: Terminal | None, tmux: TmuxSource,
                 protocol: str | None = None, open_tty: TtyOpener = Terminal.open_path) -> None:
        if protocol in (None, "auto"):
            protocol = notification_protocol(env, resolve_tmux(tmux))
        elif protocol not in escapes.PROTOCOLS:
            raise ValueError(f"unknown notification protocol {protocol!r}")
        self.protocol = protocol
        self._route = _Route(terminal, tmux, open_tty)

    def send(self, event: AlertEvent) -> Delivery:
        if self.protocol is None:
            return Delivery(self.name, SKIPPED, NO_PROTOCOL)
        # kitty ties the title and body chunks together by id; one id per event.
        ident = f"wb{zlib.crc32(f'{event.path}|{event.kind}|{event.at}'.encode()):08x}"
        sequence = escapes.notification(self.protocol, event.title, event.body, ident=ident)
        return self._route.deliver(self.name, sequence)


_PROGRESS_PROGRAMS = ("iTerm.app", "ghostty")
_PROGRESS_TERMS = ("xterm-ghostty",)


def progress_supported(env: Mapping[str, str], tmux: Tmux | None = None) -> bool:
    """Only terminals known to implement OSC 9;4: on one that knows OSC 9 but not 9;4 (older
    iTerm2, kitty) the sequence would pop up a notification reading "4;1;45"."""
    terms = (env.get("TERM", ""), *(tmux.terminals if tmux is not None else ()))
    return bool(env.get("WT_SESSION")) or env.get("TERM_PROGRAM") in _PROGRESS_PROGRAMS or any(
        term in _PROGRESS_TERMS for term in terms)


class ProgressChannel:
    """The primary run's progress in the terminal's tab or taskbar (OSC 9;4); not an alert
    channel but a small helper with the same routing rules."""

    name = "progress"

    def __init__(self, env: Mapping[str, str], terminal: Terminal | None, tmux: TmuxSource,
                 supported: bool | None = None, open_tty: TtyOpener = Terminal.open_path) -> None:
        self.supported = progress_supported(env, resolve_tmux(tmux)) if supported is None else supported
        self._route = _Route(terminal, tmux, open_tty)
        self._shown: tuple[int, int] | None = None  # (state, percent) on screen now; skip repeats

    def update(self, percent: float) -> Delivery:
        return self._show(escapes.PROGRESS_NORMAL, percent)

    def error(self, percent: float | None = None) -> Delivery:
        """Red bar, at the last percent shown unless told."""
        if percent is None:
            percent = self._shown[1] if self._shown else 100
        return self._show(escapes.PROGRESS_ERROR, percent)

    def clear(self) -> Delivery:
        return self._show(escapes.PROGRESS_CLEAR, 0)

    def _show(self, state: int, percent: float) -> Delivery:
        if not self.supported:
            return Delivery(self.name, SKIPPED, "terminal not known to show OSC 9;4 progress")
        shown = (state, max(0, min(100, round(percent))))
        if shown == self._shown:  # a 10 Hz bar must not become 10 tty writes a second
            return Delivery(self.name, SKIPPED, "unchanged")
        delivery = self._route.deliver(self.name, escapes.progress(*shown))
        if delivery.outcome == SENT:
            self._shown = None if state == escapes.PROGRESS_CLEAR else shown
        return delivery


def send_escape(channel: str, sequence: bytes, env: Mapping[str, str]) -> Delivery:
    """Write one escape sequence to the person's terminal with the tmux routing rules (blocking:
    call it from a worker thread). Used for OSC 52 copies, which tmux drops from applications
    under its default ``set-clipboard external``."""
    terminal = Terminal.open_controlling()
    try:
        return _Route(terminal, tmux_facts(env), Terminal.open_path).deliver(channel, sequence)
    finally:
        if terminal is not None:
            terminal.close()
