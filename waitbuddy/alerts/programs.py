"""Alert channels that are other programs: tmux's status line, notify-send, the user's command.
Every call is an argv list (no shell) with a short timeout; send() never raises."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from typing import IO

from waitbuddy.alerts.channel import FAILED, SENT, SKIPPED, Delivery
from waitbuddy.alerts.events import AlertEvent
from waitbuddy.alerts.terminal import TMUX_TIMEOUT, Runner, Tmux, TmuxSource, reason_of, resolve_tmux
from waitbuddy.text import safe_line

NOTIFY_SEND_TIMEOUT = 3.0
COMMAND_TIMEOUT = 10.0
MESSAGE_MILLISECONDS = 5000

def tmux_message_text(text: str, limit: int = 200) -> str:
    """display-message expands its text as a format: '#(cmd)' runs a shell command, '#{..}' and
    '#[..]' expand, and '%H' goes through strftime. Doubling '#' and '%' leaves literal text."""
    return safe_line(text, limit=limit).replace("#", "##").replace("%", "%%")


class TmuxMessageChannel:
    """The alert in the status line of every client attached to our session."""

    name = "tmux"

    def __init__(self, tmux: TmuxSource, run: Runner = subprocess.run,
                 milliseconds: int = MESSAGE_MILLISECONDS) -> None:
        self.tmux, self.run, self.milliseconds = tmux, run, milliseconds

    def argvs(self, tmux: Tmux, event: AlertEvent) -> list[list[str]]:
        """One display-message per client (without -c tmux picks only one of them); "--" so that
        text starting with "-" is not an option."""
        text = tmux_message_text(event.text)
        return [["tmux", "-S", tmux.socket, "display-message", "-c", tty, "-d", str(self.milliseconds),
                 "-t", tmux.pane, "--", text] for tty in tmux.client_ttys]

    def send(self, event: AlertEvent) -> Delivery:
        tmux = resolve_tmux(self.tmux)
        if tmux is None:
            return Delivery(self.name, SKIPPED, "not in tmux")
        if not tmux.client_ttys:
            return Delivery(self.name, SKIPPED, "no tmux client attached")
        errors = []
        for argv in self.argvs(tmux, event):
            try:
                result = self.run(argv, capture_output=True, text=True, errors="replace",
                                  timeout=TMUX_TIMEOUT, stdin=subprocess.DEVNULL)
            except (OSError, subprocess.SubprocessError, ValueError) as exc:
                errors.append(reason_of(exc))
                continue
            if result.returncode != 0:
                errors.append(safe_line(result.stderr, limit=120) or f"tmux exited with status {result.returncode}")
        if len(errors) == len(tmux.client_ttys):
            return Delivery(self.name, FAILED, "; ".join(errors))
        return Delivery(self.name, SENT)


URGENCY = {"error": "critical", "warning": "normal", "info": "normal"}


def _markup_escape(text: str) -> str:
    # Notification servers may read the body as markup; a log line like "<a href=..." stays text.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class NotifySendChannel:
    """A desktop notification through libnotify, when this machine has a session bus."""

    name = "notify-send"

    def __init__(self, env: Mapping[str, str], run: Runner = subprocess.run, uid: int | None = None) -> None:
        self.env, self.run = env, run
        self.uid = os.getuid() if uid is None else uid

    def _bus(self) -> str | None:
        address = self.env.get("DBUS_SESSION_BUS_ADDRESS")
        if address:
            return address
        socket = f"/run/user/{self.uid}/bus"  # systemd's user bus, found even when the variable is unset
        return f"unix:path={socket}" if os.path.exists(socket) else None

    def argv(self, event: AlertEvent) -> list[str]:
        # "--": a title such as "-u low" is text, not an option.
        return ["notify-send", "-a", "waitbuddy", "-u", URGENCY.get(event.severity, "normal"), "--",
                safe_line(event.title, limit=200), _markup_escape(safe_line(event.body, limit=400))]

    def send(self, event: AlertEvent) -> Delivery:
        bus = self._bus()
        if bus is None:
            return Delivery(self.name, SKIPPED, "no D-Bus session bus on this machine")
        program = shutil.which("notify-send", path=self.env.get("PATH", os.defpath))
        if program is None:
            return Delivery(self.name, SKIPPED, "notify-send is not installed")
        env = {**self.env, "DBUS_SESSION_BUS_ADDRESS": bus}
        try:
            result = self.run(self.argv(event), executable=program, env=env, capture_output=True, text=True,
                              errors="replace", timeout=NOTIFY_SEND_TIMEOUT, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return Delivery(self.name, FAILED, f"notify-send timed out after {NOTIFY_SEND_TIMEOUT:g}s")
        except (OSError, subprocess.SubprocessError, ValueError) as exc:
            return Delivery(self.name, FAILED, reason_of(exc))
        if result.returncode != 0:
            detail = safe_line(result.stderr, limit=120)
            return Delivery(self.name, FAILED, f"notify-send exited with status {result.returncode}"
                            + (f": {detail}" if detail else ""))
        return Delivery(self.name, SENT)


def event_environment(event: AlertEvent) -> dict[str, str]:
    return {
        "WAITBUDDY_EVENT": event.kind, "WAITBUDDY_RUN": safe_line(event.name, limit=200),
        "WAITBUDDY_PATH": safe_line(event.path, limit=4096), "WAITBUDDY_TITLE": safe_line(event.title),
        "WAITBUDDY_BODY": safe_line(event.body), "WAITBUDDY_TEXT": safe_line(event.text, limit=600),
        "WAITBUDDY_SEVERITY": event.severity,
    }


class CommandChannel:
    """The user's own program (an argv list, no shell), told about the event in its environment."""

    name = "command"

    def __init__(self, argv: Sequence[str], env: Mapping[str, str], timeout: float = COMMAND_TIMEOUT) -> None:
        self.argv, self.env, self.timeout = list(argv), env, timeout

    def send(self, event: AlertEvent) -> Delivery:
        if not self.argv:
            return Delivery(self.name, SKIPPED, "no command configured")
        try:
            with tempfile.TemporaryFile() as errors:
                status = self._run(event, errors)
                errors.seek(0)
                lines = errors.read()[-4000:].decode("utf-8", "replace").strip().splitlines()
                detail = safe_line(lines[-1] if lines else "", limit=120)  # the last line says most
        except subprocess.TimeoutExpired:
            return Delivery(self.name, FAILED, f"timed out after {self.timeout:g}s")
        except (OSError, subprocess.SubprocessError, ValueError) as exc:
            return Delivery(self.name, FAILED, f"cannot run {safe_line(self.argv[0], limit=80)}: {reason_of(exc)}")
        if status == 0:
            return Delivery(self.name, SENT)
        reason = f"killed by signal {-status}" if status < 0 else f"exited with status {status}"
        return Delivery(self.name, FAILED, reason + (f": {detail}" if detail else ""))

    def _run(self, event: AlertEvent, errors: IO[bytes]) -> int:
        # Its output must never reach our terminal (it would draw over the TUI), and it gets a
        # session of its own: the terminal's Ctrl-C is not for it, and on timeout the whole group
        # goes (stderr goes to a file, so a leftover grandchild cannot keep us waiting on a pipe).
        process = subprocess.Popen(self.argv, env={**self.env, **event_environment(event)},
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errors,
                                   start_new_session=True)
        try:
            return process.wait(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(OSError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise
