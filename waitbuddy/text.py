"""Untrusted text -> safe display text, and the one check for URLs we may open.

Log lines, feed and page titles and imported bookmarks come from outside. Before display they
go through :func:`safe_text`, which removes what a terminal would act on (escape sequences,
control characters, bidi overrides). The result is plain text: widgets must still show it as
plain ``Text``/``Content``, never parse it as markup.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

DEFAULT_LIMIT = 4096
ELLIPSIS = "…"

# Whole escape sequences go first, so that "ESC[31m" leaves nothing behind, not "[31m".
# Every branch is linear: character classes are disjoint and string sequences stop at the
# first possible terminator, so a long run of bar frames cannot make the regex backtrack.
_ESCAPE_SEQUENCE = re.compile(
    r"""
      (?:\x1b\[|\x9b) [0-?]* [ -/]* [@-~]?                  # CSI, 7- and 8-bit
    | (?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])               # OSC, DCS, SOS, PM, APC ...
      [^\x07\x1b\x9c]* (?:\x07|\x1b\\|\x9c)?                # ... up to BEL or ST
    | \x1b [ -/]* [0-~]?                                    # two-character escapes (ESC c, ESC ( B)
    """,
    re.VERBOSE,
)

_BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
# Invisible characters that only serve to disguise text (ZWJ/ZWNJ stay: emoji and scripts need them).
_INVISIBLE = "\u200b\u2060\ufeff"
_REMOVED = {
    **{code: None for code in range(0x00, 0x20) if chr(code) not in "\t\n"},
    0x7F: None,
    **{code: None for code in range(0x80, 0xA0)},
    **{ord(char): None for char in _BIDI_CONTROLS + _INVISIBLE},
}
_SURROGATES = re.compile("[\ud800-\udfff]")
_WHITESPACE_RUN = re.compile(r"\s+")


def safe_text(text: str | bytes | None, *, limit: int = DEFAULT_LIMIT, single_line: bool = False) -> str:
    """Return ``text`` with escape sequences and control characters removed.

    Keeps tab and newline (or, with ``single_line``, folds all whitespace into single spaces).
    Removes C0 controls, DEL, C1 controls (0x80-0x9f, including 8-bit CSI), bidi overrides,
    zero-width spaces and lone surrogates. The result is at most ``limit`` characters, ending in an ellipsis
    when it was cut.
    """
    if not text:
        return ""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    if len(text) <= limit and text.isascii() and text.isprintable():
        # Printable ASCII holds no escape or control character: the common case, 10x faster.
        return " ".join(text.split()) if single_line and ("  " in text or text[:1] == " " or text[-1:] == " ") \
            else text
    # Cap early so hostile megabyte titles cost little; escapes only ever shrink the text.
    text = text[: limit * 4 + 64]
    text = _ESCAPE_SEQUENCE.sub("", text)
    text = text.translate(_REMOVED)
    text = _SURROGATES.sub("", text)
    if single_line:
        text = _WHITESPACE_RUN.sub(" ", text).strip()
    if len(text) > limit:
        text = text[: max(limit - 1, 0)] + ELLIPSIS
    return text


def safe_line(text: str | bytes | None, *, limit: int = 300) -> str:
    """One-line safe text for titles, table cells and notifications."""
    return safe_text(text, limit=limit, single_line=True)


_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\x1b": "\\e", "\\": "\\\\"}
_SHOWN = re.compile("[\x00-\x1f\x7f-\x9f\\\\" + _BIDI_CONTROLS + _INVISIBLE + "\ud800-\udfff]")


def _show(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape): show the byte
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str | bytes | None, *, limit: int = 300) -> str:
    """A name or path for display: every control character, escape, bidi override and byte that
    was not UTF-8 shown as a visible escape (``\\n``, ``\\e``, ``\\x9b``, ``\\u202e``, ``\\xff``), so
    a crafted name can neither act on the terminal nor pass for something else (a newline
    faking another status line). One line, at most ``limit`` characters."""
    if not text:
        return ""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="surrogateescape")
    if not (text.isascii() and text.isprintable() and "\\" not in text):
        text = _SHOWN.sub(_show, text[: limit * 2 + 64])
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + ELLIPSIS


MAX_URL_LENGTH = 8192
_URL_FORBIDDEN = re.compile("[\x00-\x20\x7f-\x9f" + _BIDI_CONTROLS + "\ud800-\udfff]")


def openable_url(url: str | None) -> str | None:
    """Return ``url`` if it is safe to hand to a browser, else ``None``.

    Only ``http``/``https`` URLs with a host; no whitespace, control characters or bidi
    overrides anywhere; no leading ``-`` (it would read as an option to the opener).
    """
    if not isinstance(url, str):
        return None
    url = url.strip(" \t\r\n")
    if not url or len(url) > MAX_URL_LENGTH or url.startswith("-"):
        return None
    if _URL_FORBIDDEN.search(url):
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # e.g. an invalid IPv6 literal or port
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    if not parts.netloc or "\\" in parts.netloc:
        return None
    return url
