"""Terminal escape sequences for alerts, built from sanitized text only.

Every builder runs its text through the one sanitizer first: a BEL or ESC inside a log line
would otherwise end the sequence early or inject one of its own.
"""

from __future__ import annotations

from collections.abc import Mapping

from waitbuddy.text import safe_line

BEL = b"\x07"
ST = b"\x1b\\"
PROTOCOLS = ("osc9", "osc777", "osc99")

# OSC 9;4 progress states (ConEmu, Windows Terminal, iTerm2, Ghostty)
PROGRESS_CLEAR, PROGRESS_NORMAL, PROGRESS_ERROR, PROGRESS_INDETERMINATE, PROGRESS_PAUSED = 0, 1, 2, 3, 4
MAX_TEXT = 200  # characters of a title or body; kitty allows 2048 bytes, shorter reads better


def _clean(text: str, limit: int = MAX_TEXT) -> bytes:
    return safe_line(text, limit=limit).encode("utf-8")


def bell() -> bytes:
    return BEL


def osc9(title: str, body: str = "") -> bytes:
    """iTerm2-style notification. The text starts with "waitbuddy: " so that terminals parsing
    ConEmu's OSC 9;<number> sub-commands never read a title such as "4; done" as one."""
    text = f"waitbuddy: {title}" + (f": {body}" if body else "")
    return b"\x1b]9;" + _clean(text, 2 * MAX_TEXT) + BEL


def osc777(title: str, body: str) -> bytes:
    """urxvt-style notification (WezTerm, Ghostty, foot, Windows Terminal); ';' separates fields."""
    return b"\x1b]777;notify;" + _clean(title).replace(b";", b",") + b";" + _clean(body) + BEL


def osc99(title: str, body: str, ident: str) -> bytes:
    """kitty's protocol: title then body under one id, ST-terminated."""
    ident = "".join(char for char in ident if char.isalnum() or char in "-_")[:32] or "waitbuddy"
    head = f"\x1b]99;i={ident}:d=0;".encode()
    tail = f"\x1b]99;i={ident}:p=body;".encode()
    return head + _clean(title) + ST + tail + _clean(body) + ST


def notification(protocol: str, title: str, body: str, ident: str = "waitbuddy") -> bytes:
    if protocol == "osc9":
        return osc9(title, body)
    if protocol == "osc777":
        return osc777(title, body)
    if protocol == "osc99":
        return osc99(title, body, ident)
    raise ValueError(f"unknown notification protocol {protocol!r}")


def progress(state: int, percent: float | None = None) -> bytes:
    """OSC 9;4: the terminal's own progress indicator (tab/taskbar)."""
    if state == PROGRESS_CLEAR:
        return b"\x1b]9;4;0" + ST
    value = 0 if percent is None else max(0, min(100, int(round(percent))))
    return f"\x1b]9;4;{state};{value}".encode() + ST


def tmux_wrap(sequence: bytes) -> bytes:
    """DCS passthrough: tmux hands the inner sequence to the outer terminal (needs
    allow-passthrough); every ESC inside is doubled."""
    return b"\x1bPtmux;" + sequence.replace(b"\x1b", b"\x1b\x1b") + ST


def detect_protocol(env: Mapping[str, str]) -> str | None:
    """The notification escape the outer terminal understands, from its environment; None
    for terminals known to have none (or unknown ones): the bell still works there."""
    program = env.get("TERM_PROGRAM", "")
    term = env.get("TERM", "")
    if env.get("KITTY_WINDOW_ID") or term == "xterm-kitty":
        return "osc99"
    if program == "iTerm.app":
        return "osc9"
    if (program in ("WezTerm", "ghostty") or env.get("WT_SESSION") or term.startswith("foot")
            or term in ("xterm-ghostty", "wezterm")):
        return "osc777"
    return None


def osc52(text: str) -> bytes:
    """Put ``text`` on the clipboard (OSC 52): the terminal decodes it, so it works over SSH.

    Only for text we chose to copy (a checked URL): a clipboard write armed by a feed title
    would paste into the person's shell."""
    import base64

    return b"\x1b]52;c;" + base64.b64encode(text.encode("utf-8")) + ST
