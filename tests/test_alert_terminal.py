"""Terminal, tmux, notify-send and command alert channels: routing logic against fake tmux facts
and pipes/ptys, then the real thing in a private tmux server with a client attached via `script`."""

from __future__ import annotations

import fcntl
import json
import os
import select
import shlex
import shutil
import subprocess
import sys
import time
import tty
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from waitbuddy.alerts import escapes
from waitbuddy.alerts.channel import FAILED, SENT, SKIPPED
from waitbuddy.alerts.events import COMPLETED, AlertEvent
from waitbuddy.alerts.events import FAILED as FAILED_KIND
from waitbuddy.alerts.programs import CommandChannel, NotifySendChannel, TmuxMessageChannel
from waitbuddy.alerts.terminal import (
    NO_PROTOCOL,
    BellChannel,
    ProgressChannel,
    Terminal,
    TerminalNotifyChannel,
    Tmux,
    tmux_facts,
    tmux_facts_every,
)

HOSTILE = "x\x07\x1b]52;c;cm0gLXJmIH4=\x07\x1b[2J\x9b31m\nnext"
NO_BUS_UID = 987_654_321  # no /run/user/<uid>/bus for this one


def event(kind: str = FAILED_KIND, title: str = "bert failed after 3h", body: str = "CUDA out of memory",
          name: str = "bert", path: str = "/runs/bert.log") -> AlertEvent:
    severity = "error" if kind == FAILED_KIND else "info"
    return AlertEvent(kind, path, name, title, body, severity, 1700000000.0)


def tmux(**changes) -> Tmux:
    facts = {"socket": "/tmp/tmux-1/default", "pane": "%3", "passthrough": "off", "pane_visible": False,
             "client_ttys": ()}
    return Tmux(**{**facts, **changes})


def drain(fd: int, want: Callable[[bytes], bool] = bool, timeout: float = 2.0) -> bytes:
    """Bytes from fd until want(bytes) or the deadline."""
    data, deadline = b"", time.monotonic() + timeout
    while not want(data):
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
            break
        data += os.read(fd, 65536)
    return data


def pending(fd: int) -> bytes:
    """Whatever is readable right now (nothing written -> b"")."""
    return os.read(fd, 65536) if select.select([fd], [], [], 0)[0] else b""


@pytest.fixture
def pane() -> Iterator[tuple[Terminal, int]]:
    """Our 'own terminal': a Terminal on a pipe, and the read end."""
    read, write = os.pipe()
    terminal = Terminal(write)
    yield terminal, read
    terminal.close()
    os.close(read)


@pytest.fixture
def client_ptys() -> Iterator[list[tuple[str, int]]]:
    """Two real ptys standing in for tmux clients' ttys: (slave path, master fd)."""
    opened = []
    for _ in range(2):
        master, slave = os.openpty()
        tty.setraw(slave)  # bytes arrive as written, no \n -> \r\n
        opened.append((master, slave))
    yield [(os.ttyname(slave), master) for master, slave in opened]
    for master, slave in opened:
        os.close(master)
        os.close(slave)


# ---------------------------------------------------------------------------------------------
# routing, without tmux


def test_outside_tmux_the_bare_sequence_goes_to_the_terminal(pane):
    terminal, read = pane
    delivery = TerminalNotifyChannel({"TERM_PROGRAM": "iTerm.app"}, terminal, None).send(event())
    assert (delivery.outcome, delivery.channel) == (SENT, "terminal")
    assert pending(read) == escapes.osc9("bert failed after 3h", "CUDA out of memory")


def test_passthrough_on_and_pane_visible_wraps_for_tmux(pane):
    terminal, read = pane
    channel = TerminalNotifyChannel({}, terminal, tmux(passthrough="on", pane_visible=True, client_ttys=("/x",)),
                                    protocol="osc777")
    assert channel.send(event()).outcome == SENT
    assert pending(read) == escapes.tmux_wrap(escapes.osc777("bert failed after 3h", "CUDA out of memory"))


def test_passthrough_all_wraps_even_from_a_hidden_pane(pane):
    terminal, read = pane
    channel = TerminalNotifyChannel({}, terminal, tmux(passthrough="all"), protocol="osc9")
    assert channel.send(event()).outcome == SENT
    assert pending(read).startswith(b"\x1bPtmux;\x1b\x1b]9;waitbuddy: ")


@pytest.mark.parametrize("facts", [{"passthrough": "off", "pane_visible": True}, {"passthrough": "on", "pane_visible": False}])
def test_otherwise_the_bare_sequence_goes_to_every_client_tty(pane, client_ptys, facts):
    terminal, read = pane
    ttys = tuple(path for path, _ in client_ptys)
    channel = TerminalNotifyChannel({}, terminal, tmux(client_ttys=ttys, **facts), protocol="osc99")
    assert channel.send(event()).outcome == SENT
    for _, master in client_ptys:
        received = drain(master, lambda data: data.count(b"\x1b\\") == 2)
        assert received.startswith(b"\x1b]99;i=wb") and b";bert failed after 3h\x1b\\" in received
        assert received.endswith(b":p=body;CUDA out of memory\x1b\\")
    assert pending(read) == b""  # tmux would drop it from the pane


def test_no_client_attached_or_no_known_terminal_is_skipped(pane):
    terminal, read = pane
    hidden = TerminalNotifyChannel({}, terminal, tmux(), protocol="osc9").send(event())
    assert (hidden.outcome, hidden.reason) == (SKIPPED, "no tmux client attached")
    unknown = TerminalNotifyChannel({"TERM": "xterm-256color"}, terminal, None).send(event())
    assert (unknown.outcome, unknown.reason) == (SKIPPED, NO_PROTOCOL)
    assert pending(read) == b""


def test_inside_tmux_the_protocol_comes_from_the_clients_terminal():
    facts = tmux(client_ttys=("/dev/pts/9",), terminals=("xterm-kitty",))
    assert TerminalNotifyChannel({"TERM_PROGRAM": "tmux", "TERM": "tmux-256color"}, None, facts).protocol == "osc99"
    assert TerminalNotifyChannel({"TERM_PROGRAM": "tmux"}, None, tmux()).protocol is None
    with pytest.raises(ValueError):
        TerminalNotifyChannel({}, None, None, protocol="osc1337")


def test_one_bad_client_tty_does_not_stop_the_others(client_ptys, tmp_path):
    (path, master), _ = client_ptys
    not_a_tty = tmp_path / "file"
    not_a_tty.write_text("")
    facts = tmux(client_ttys=(str(tmp_path / "gone"), str(not_a_tty), path))
    assert TerminalNotifyChannel({}, None, facts, protocol="osc9").send(event()).outcome == SENT
    assert drain(master, lambda data: data.endswith(b"\x07")).startswith(b"\x1b]9;waitbuddy: bert")
    assert not_a_tty.read_text() == ""  # a path that is not a tty is never written
    facts = tmux(client_ttys=(str(tmp_path / "gone"),))
    delivery = TerminalNotifyChannel({}, None, facts, protocol="osc9").send(event())
    assert delivery.outcome == FAILED and "cannot open" in delivery.reason


def test_a_terminal_that_is_gone_or_stuck_fails_quickly_without_raising():
    read, write = os.pipe()
    os.close(read)
    with Terminal(write) as gone:  # EPIPE: the terminal went away
        delivery = BellChannel(gone).send(event())
    assert delivery.outcome == FAILED and "cannot write to the terminal" in delivery.reason
    read, write = os.pipe()
    fcntl.fcntl(write, fcntl.F_SETFL, os.O_NONBLOCK)
    try:
        while True:  # fill the pipe, as a stalled SSH link fills a tty's buffer
            os.write(write, b"x" * 65536)
    except BlockingIOError:
        pass
    started = time.monotonic()
    delivery = TerminalNotifyChannel({}, Terminal(write), None, protocol="osc9").send(event())
    assert delivery.outcome == FAILED and time.monotonic() - started < 2
    os.close(read)
    os.close(write)


def test_a_writer_function_can_stand_in_for_the_terminal():
    written: list[bytes] = []
    assert BellChannel(Terminal.from_writer(written.append)).send(event()).outcome == SENT

    def broken(data: bytes) -> None:
        raise RuntimeError("driver gone")

    assert BellChannel(Terminal.from_writer(broken)).send(event()).outcome == FAILED
    assert written == [b"\x07"]


def test_bell(pane):
    terminal, read = pane
    assert BellChannel(terminal).send(event()).outcome == SENT
    assert pending(read) == b"\x07"
    assert BellChannel(None).send(event()).outcome == SKIPPED


def test_progress_writes_only_changes_and_follows_the_tmux_rules(pane):
    terminal, read = pane
    progress = ProgressChannel({"TERM_PROGRAM": "ghostty"}, terminal, None)
    assert progress.update(45.4).outcome == SENT
    assert progress.update(45.1).reason == "unchanged"
    assert progress.error().outcome == SENT
    assert progress.clear().outcome == SENT
    assert pending(read) == b"\x1b]9;4;1;45\x1b\\" + b"\x1b]9;4;2;45\x1b\\" + b"\x1b]9;4;0\x1b\\"
    wrapped = ProgressChannel({}, terminal, tmux(passthrough="on", pane_visible=True), supported=True)
    assert wrapped.update(10).outcome == SENT
    assert pending(read) == escapes.tmux_wrap(b"\x1b]9;4;1;10\x1b\\")
    unknown = ProgressChannel({"TERM_PROGRAM": "tmux"}, terminal, tmux())
    assert unknown.update(50).outcome == SKIPPED and pending(read) == b""
    # Over SSH inside tmux the client's $TERM still tells: Ghostty.
    assert ProgressChannel({}, None, tmux(terminals=("xterm-ghostty",))).supported


# ---------------------------------------------------------------------------------------------
# tmux facts and the status-line message, with a fake tmux


class FakeTmux:
    def __init__(self, answers: dict[str, str | None] | None = None, raises: Exception | None = None) -> None:
        self.answers = answers or {}
        self.raises = raises
        self.calls: list[tuple[list[str], dict]] = []

    def __call__(self, argv: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
        self.calls.append((argv, kwargs))
        if self.raises:
            raise self.raises
        answer = self.answers.get(argv[3])
        return subprocess.CompletedProcess(argv, 1 if answer is None else 0, answer or "", "boom")


ENV = {"TMUX": "/tmp/tmux-1000/default,4242,0", "TMUX_PANE": "%7"}


def test_tmux_facts_asks_our_server_about_our_pane():
    fake = FakeTmux({"display-message": "$2|1|1|0|1\n", "show-options": "on\n",
                     "list-clients": "0|/dev/pts/4|xterm-kitty\n1|/dev/pts/5|xterm\n0|/dev/pts/6|foot\n"})
    facts = tmux_facts(ENV, run=fake)
    assert facts == Tmux("/tmp/tmux-1000/default", "%7", "on", True, ("/dev/pts/4", "/dev/pts/6"),
                         ("xterm-kitty", "foot"))  # the control-mode client (iTerm2 -CC) is left out
    argvs = [argv for argv, _ in fake.calls]
    assert all(argv[:3] == ["tmux", "-S", "/tmp/tmux-1000/default"] for argv in argvs)
    assert argvs[1][3:] == ["show-options", "-Apv", "-t", "%7", "allow-passthrough"]
    assert argvs[2][3:6] == ["list-clients", "-t", "$2"]
    assert all(kwargs["timeout"] <= 1 for _, kwargs in fake.calls)


@pytest.mark.parametrize("shown", ["$2|0|1|0|1", "$2|1|0|0|1", "$2|1|1|1|0"])
def test_a_pane_in_a_background_window_unattached_session_or_zoomed_away_is_not_visible(shown):
    facts = tmux_facts(ENV, run=FakeTmux({"display-message": shown, "show-options": "off"}))
    assert facts is not None and not facts.pane_visible


def test_tmux_facts_failures_give_none_or_safe_defaults():
    assert tmux_facts({}, run=FakeTmux()) is None
    assert tmux_facts({"TMUX": ENV["TMUX"], "TMUX_PANE": "; rm -rf ~"}, run=FakeTmux()) is None
    safe = Tmux("/tmp/tmux-1000/default", "%7", "off", False, ())
    assert tmux_facts(ENV, run=FakeTmux(raises=subprocess.TimeoutExpired("tmux", 1))) == safe
    assert tmux_facts(ENV, run=FakeTmux(raises=FileNotFoundError("tmux"))) == safe
    # an old tmux without allow-passthrough, and a value we do not know
    assert tmux_facts(ENV, run=FakeTmux({"display-message": "$1|1|1|0|1"})).passthrough == "off"
    assert tmux_facts(ENV, run=FakeTmux({"display-message": "$1|1|1|0|1", "show-options": "maybe"})).passthrough == "off"


def test_long_lived_channels_follow_fresh_facts(pane):
    terminal, read = pane
    now = [0.0]
    fake = FakeTmux({"display-message": "$1|0|1|0|1", "show-options": "on", "list-clients": ""})
    source = tmux_facts_every(ENV, seconds=5, run=fake, clock=lambda: now[0])
    channel = TerminalNotifyChannel({}, terminal, source, protocol="osc9")
    assert channel.send(event()).reason == "no tmux client attached"  # hidden, nobody attached
    assert len(fake.calls) == 3
    fake.answers["display-message"] = "$1|1|1|0|1"  # the person switches to our window
    assert channel.send(event()).outcome == SKIPPED and len(fake.calls) == 3  # asked 0 s ago: cached
    now[0] = 5.0
    assert channel.send(event()).outcome == SENT and len(fake.calls) == 6
    assert pending(read).startswith(b"\x1bPtmux;")


def test_tmux_message_escapes_the_format_language_and_reaches_each_client():
    fake = FakeTmux({"display-message": ""})
    facts = tmux(client_ttys=("/dev/pts/4", "/dev/pts/5"))
    hostile = event(title="50% #(touch /tmp/pwned) #{pane_id} %H" + HOSTILE, body="-x")
    assert TmuxMessageChannel(facts, run=fake).send(hostile).outcome == SENT
    assert [argv[:-1] for argv, _ in fake.calls] == [
        ["tmux", "-S", "/tmp/tmux-1/default", "display-message", "-c", tty, "-d", "5000", "-t", "%3", "--"]
        for tty in ("/dev/pts/4", "/dev/pts/5")]
    text = fake.calls[0][0][-1]
    assert text == "✖ 50%% ##(touch /tmp/pwned) ##{pane_id} %%Hx next: -x"
    assert TmuxMessageChannel(None).send(event()).reason == "not in tmux"
    assert TmuxMessageChannel(tmux(), run=fake).send(event()).reason == "no tmux client attached"
    failing = TmuxMessageChannel(facts, run=FakeTmux()).send(event())
    assert failing.outcome == FAILED and "boom" in failing.reason
    timing_out = TmuxMessageChannel(facts, run=FakeTmux(raises=subprocess.TimeoutExpired("tmux", 1))).send(event())
    assert timing_out.outcome == FAILED


# ---------------------------------------------------------------------------------------------
# notify-send and the user's command, with real (tiny) programs


def fake_program(directory: Path, name: str, body: str) -> Path:
    directory.mkdir(exist_ok=True)
    program = directory / name
    program.write_text(f"#!{sys.executable}\n{body}")
    program.chmod(0o755)
    return program


def test_notify_send_needs_a_session_bus_and_the_program(tmp_path):
    bin_dir = tmp_path / "bin"
    fake_program(bin_dir, "notify-send", "")
    no_bus = NotifySendChannel({"PATH": str(bin_dir)}, uid=NO_BUS_UID).send(event())
    assert (no_bus.outcome, no_bus.reason) == (SKIPPED, "no D-Bus session bus on this machine")
    no_program = NotifySendChannel({"PATH": str(tmp_path), "DBUS_SESSION_BUS_ADDRESS": "unix:path=/x"}).send(event())
    assert (no_program.outcome, no_program.reason) == (SKIPPED, "notify-send is not installed")


def test_notify_send_gets_an_argv_list(tmp_path):
    bin_dir, record = tmp_path / "bin", tmp_path / "argv.json"
    fake_program(bin_dir, "notify-send",
                 "import json, os, sys\n"
                 f"json.dump([sys.argv[1:], os.environ['DBUS_SESSION_BUS_ADDRESS']], open({str(record)!r}, 'w'))\n")
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "DBUS_SESSION_BUS_ADDRESS": "unix:path=/run/user/1000/bus"}
    hostile = event(title="-u low" + HOSTILE, body="<b>loss</b> & " + HOSTILE)
    assert NotifySendChannel(env, uid=NO_BUS_UID).send(hostile).outcome == SENT
    argv, bus = json.loads(record.read_text())
    assert argv == ["-a", "waitbuddy", "-u", "critical", "--", "-u lowx next",
                    "&lt;b&gt;loss&lt;/b&gt; &amp; x next"]
    assert bus == "unix:path=/run/user/1000/bus"
    fake_program(bin_dir, "notify-send", "import sys\nsys.stderr.write('no daemon\\n')\nsys.exit(1)\n")
    failed = NotifySendChannel(env, uid=NO_BUS_UID).send(event(COMPLETED, "done", ""))
    assert failed.outcome == FAILED and "status 1: no daemon" in failed.reason


def test_command_gets_the_event_in_its_environment(tmp_path):
    record = tmp_path / "env.json"
    program = fake_program(tmp_path / "bin", "hook",
                           "import json, os, sys\n"
                           f"json.dump({{k: v for k, v in os.environ.items() if k.startswith('WAITBUDDY_')}} | "
                           f"{{'argv': sys.argv[1:]}}, open({str(record)!r}, 'w'))\n")
    hostile = event(title="bert failed" + HOSTILE, body="OOM")
    delivery = CommandChannel([str(program), "--flag", "$HOME"], {"PATH": os.defpath}).send(hostile)
    assert delivery.outcome == SENT
    assert json.loads(record.read_text()) == {
        "argv": ["--flag", "$HOME"],  # no shell: nothing expands
        "WAITBUDDY_EVENT": "failed", "WAITBUDDY_RUN": "bert", "WAITBUDDY_PATH": "/runs/bert.log",
        "WAITBUDDY_TITLE": "bert failedx next", "WAITBUDDY_BODY": "OOM", "WAITBUDDY_TEXT": "✖ bert failedx next: OOM",
        "WAITBUDDY_SEVERITY": "error",
    }


def test_command_failures_are_reported_not_raised(tmp_path):
    failing = fake_program(tmp_path / "bin", "fail", "import sys\nprint('bad token', file=sys.stderr)\nsys.exit(3)\n")
    delivery = CommandChannel([str(failing)], {}).send(event())
    assert (delivery.outcome, delivery.reason) == (FAILED, "exited with status 3: bad token")
    missing = CommandChannel([str(tmp_path / "nope")], {}).send(event())
    assert missing.outcome == FAILED and "cannot run" in missing.reason
    assert CommandChannel([], {}).send(event()).outcome == SKIPPED


def test_a_hanging_command_is_killed_with_its_children(tmp_path):
    hanging = tmp_path / "hang.sh"
    hanging.write_text("#!/bin/sh\nsleep 30 &\nsleep 30\n")  # the background child keeps stderr open
    hanging.chmod(0o755)
    started = time.monotonic()
    delivery = CommandChannel([str(hanging)], {"PATH": os.defpath}, timeout=0.3).send(event())
    assert (delivery.outcome, delivery.reason) == (FAILED, "timed out after 0.3s")
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("protocol", escapes.PROTOCOLS)
def test_hostile_event_text_never_reaches_the_tty_raw(pane, client_ptys, protocol):
    terminal, read = pane
    hostile = event(title=HOSTILE, body=HOSTILE)
    terminator = b"\x1b\\" if protocol == "osc99" else b"\x07"
    starts = 2 if protocol == "osc99" else 1  # exactly the sequences the builder writes

    assert TerminalNotifyChannel({}, terminal, None, protocol=protocol).send(hostile).outcome == SENT
    bare = pending(read)
    assert TerminalNotifyChannel({}, terminal, tmux(passthrough="all"), protocol=protocol).send(hostile).outcome == SENT
    wrapped = pending(read)
    assert wrapped.startswith(b"\x1bPtmux;") and wrapped.endswith(b"\x1b\\") and wrapped.count(b"\x1bP") == 1
    unwrapped = wrapped[len(b"\x1bPtmux;"):-2].replace(b"\x1b\x1b", b"\x1b")
    (path, master), _ = client_ptys
    TerminalNotifyChannel({}, None, tmux(client_ttys=(path,)), protocol=protocol).send(hostile)
    direct = drain(master, lambda data: data.count(terminator) == starts)
    for data in (bare, unwrapped, direct):
        assert data.count(b"\x1b]") == starts and data.count(terminator) == starts and data.endswith(terminator)
        assert data.count(b"\x1b") == starts * (2 if protocol == "osc99" else 1)  # no ESC from the text
        assert b"52;" not in data and b"\x9b" not in data and b"\n" not in data


# ---------------------------------------------------------------------------------------------
# the real thing: a private tmux server


def need(program: str) -> None:
    if shutil.which(program) is None:
        if os.environ.get("WAITBUDDY_REQUIRE_TMUX"):
            pytest.fail(f"{program} is required for the tmux tests (WAITBUDDY_REQUIRE_TMUX is set)")
        pytest.skip(f"{program} is not installed")


def wait_until(condition: Callable[[], object], what: str, timeout: float = 5.0) -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


class Server:
    """A private tmux server: own socket name, own config, never the user's."""

    def __init__(self, name: str, config: Path) -> None:
        self.name, self.config = name, config
        # Our own tmux calls must not think they run inside the user's tmux.
        self.env = {key: value for key, value in os.environ.items() if key not in ("TMUX", "TMUX_PANE")}
        self.env["TERM"] = "xterm-256color"

    def __call__(self, *args: str) -> str:
        result = subprocess.run(["tmux", "-L", self.name, "-f", str(self.config), *args], capture_output=True,
                                text=True, timeout=10, env=self.env, stdin=subprocess.DEVNULL, check=False)
        assert result.returncode == 0, result.stderr
        return result.stdout

    def show(self, target: str, fmt: str) -> str:
        return self("display-message", "-p", "-t", target, fmt).strip()

    def facts(self, target: str) -> Tmux | None:
        """tmux_facts as a process in that pane would see them ($TMUX, $TMUX_PANE as tmux sets them)."""
        socket, pane = self.show(target, "#{socket_path}|#{pane_id}").split("|")
        return tmux_facts({"TMUX": f"{socket},1,0", "TMUX_PANE": pane})


class Client:
    """A tmux client attached through `script`: its log holds every byte the outer terminal got."""

    def __init__(self, server: Server, log: Path) -> None:
        self.log = log
        attach = shlex.join(["tmux", "-L", server.name, "-f", str(server.config), "attach", "-t", "wb"])
        # stdin stays an open pipe: an EOF would reach the pane as ^D.
        self.process = subprocess.Popen(["script", "-qfc", attach, str(log)], stdin=subprocess.PIPE,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=server.env)
        self.tty = wait_until(lambda: server("list-clients", "-F", "#{client_tty}").strip(), "the client to attach")

    def received(self, data: bytes, timeout: float = 5.0) -> bytes:
        wait_until(lambda: data in self.log.read_bytes(), f"{data!r} in the client's output", timeout)
        return self.log.read_bytes()

    def stop(self) -> None:
        try:
            self.process.wait(timeout=5)  # the server is gone, so the client ends
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    need("tmux")
    config = tmp_path / "tmux.conf"
    config.write_text("set -g remain-on-exit on\n")
    server = Server(f"wb-alert-{os.getpid()}-{tmp_path.name}", config)
    server("new-session", "-d", "-s", "wb", "-x", "80", "-y", "24", "sleep 600")
    server("new-window", "-d", "-t", "wb:", "sleep 600")  # window 1 stays in the background
    socket = Path(server.show("wb:0", "#{socket_path}"))
    yield server
    subprocess.run(["tmux", "-L", server.name, "kill-server"], capture_output=True, env=server.env, timeout=10,
                   check=False)
    socket.unlink(missing_ok=True)  # tmux 3.3a's kill-server leaves the socket file behind


@pytest.fixture
def client(server: Server, tmp_path: Path) -> Iterator[Client]:
    need("script")
    attached = Client(server, tmp_path / "client.log")
    yield attached
    subprocess.run(["tmux", "-L", server.name, "kill-server"], capture_output=True, env=server.env, timeout=10,
                   check=False)
    attached.stop()


BELL_SCRIPT = """
import dataclasses, json, os, sys
from waitbuddy.alerts.events import AlertEvent
from waitbuddy.alerts.terminal import BellChannel, Terminal, tmux_facts
facts = tmux_facts(os.environ)
terminal = Terminal.open_controlling()
delivery = BellChannel(terminal).send(AlertEvent("failed", "/r.log", "r", "r failed", "boom", "error", 0.0))
with open(sys.argv[1] + ".tmp", "w") as out:
    json.dump({"facts": dataclasses.asdict(facts), "outcome": delivery.outcome}, out)
os.replace(sys.argv[1] + ".tmp", sys.argv[1])
"""


@pytest.mark.e2e
def test_a_bell_from_a_background_window_sets_its_bell_flag(server: Server, tmp_path: Path):
    script, result = tmp_path / "bell.py", tmp_path / "bell.json"
    script.write_text(BELL_SCRIPT)
    server("new-window", "-d", "-t", "wb:", shlex.join([sys.executable, str(script), str(result)]))  # window 2
    wait_until(result.exists, "the script in the pane")
    report = json.loads(result.read_text())
    assert report["outcome"] == SENT
    assert report["facts"] == {"socket": server.show("wb:2", "#{socket_path}"), "pane": server.show("wb:2", "#{pane_id}"),
                               "passthrough": "off", "pane_visible": False, "client_ttys": [], "terminals": []}
    wait_until(lambda: server.show("wb:2", "#{window_bell_flag}") == "1", "the bell flag")
    assert server.show("wb:0", "#{window_bell_flag}") == "0"


@pytest.mark.e2e
def test_tmux_message_reaches_the_status_line_literally(server: Server, client: Client, tmp_path: Path):
    marker = tmp_path / "pwned"
    facts = server.facts("wb:0")
    assert facts is not None and facts.client_ttys == (client.tty,) and facts.pane_visible
    alert = event(title=f"bert 50% done %H #(touch {marker}) #{{pane_id}}\x1b]52;c;eA==\x07")
    assert TmuxMessageChannel(facts).send(alert).outcome == SENT
    expected = f"✖ bert 50% done %H #(touch {marker}) #{{pane_id}}: CUDA out of memory"
    messages = wait_until(lambda: expected in server("show-messages") and server("show-messages"), "the message")
    assert f"{client.tty} message: {expected}" in messages  # tmux logs what it displayed, unexpanded
    client.received(expected[:60].encode())  # the status line is 80 columns wide
    assert not marker.exists()


@pytest.mark.e2e
def test_passthrough_on_reaches_the_client_byte_exact_from_a_visible_pane(server: Server, client: Client):
    server("set-option", "-g", "allow-passthrough", "on")
    facts = server.facts("wb:0")
    assert facts is not None and (facts.passthrough, facts.pane_visible) == ("on", True)
    with Terminal.open_path(server.show("wb:0", "#{pane_tty}")) as pane_terminal:  # what the pane's program writes to
        assert TerminalNotifyChannel({}, pane_terminal, facts, protocol="osc99").send(event()).outcome == SENT
        assert ProgressChannel({}, pane_terminal, facts, supported=True).update(45).outcome == SENT
    output = client.received(b"\x1b]9;4;1;45\x1b\\")
    assert b"\x1b]99;i=wb" in output and b":d=0;bert failed after 3h\x1b\\" in output
    assert b":p=body;CUDA out of memory\x1b\\" in output
    assert b"tmux;" not in output  # tmux unwrapped the DCS


@pytest.mark.e2e
@pytest.mark.parametrize("passthrough", ["off", "on"])  # "on" passes nothing from a hidden window either
def test_from_a_hidden_window_it_goes_to_the_client_tty(server: Server, client: Client, passthrough: str):
    server("set-option", "-g", "allow-passthrough", passthrough)
    facts = server.facts("wb:1")
    assert facts is not None and (facts.passthrough, facts.pane_visible) == (passthrough, False)
    assert facts.client_ttys == (client.tty,) and facts.terminals == ("xterm-256color",)
    with Terminal.open_path(server.show("wb:1", "#{pane_tty}")) as pane_terminal:
        assert TerminalNotifyChannel({}, pane_terminal, facts, protocol="osc777").send(event()).outcome == SENT
    client.received(escapes.osc777("bert failed after 3h", "CUDA out of memory"))
