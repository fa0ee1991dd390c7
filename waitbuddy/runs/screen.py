"""A tiny terminal: collapse what a real terminal would overwrite, so a progress bar is one line.

Logs of progress bars are one physical line rewritten over and over: tqdm redraws with ``\\r``,
Keras backs up with ``\\b`` first, nested bars go down a row and come back with ``ESC[A``.
:class:`TerminalView` replays those moves on a small window of rows and hands out a row once
nothing can reach it any more ("settled"). What it keeps is bounded: a few rows of at most
``max_columns`` characters each, and one incomplete escape sequence of bounded length.

Deliberate simplifications (a log is not a screen):

* ``\\n`` acts as CR+LF, like a cooked tty; other C0 controls (VT, FF, BEL, NUL ...) are dropped.
* Tab is kept as a literal ``\\t`` (XGBoost and CatBoost separate fields with tabs).
* One character is one column; wide characters are not given two.
* ``CSI B`` (down) stops at the lowest row written so far, as at the bottom of a real screen;
  moving to a new row takes ``\\n``. ``CSI A`` (up) past the oldest live row brings back the
  rows settled last (at most ``MAX_REACH``): the program is redrawing them (the outer bar of
  nested tqdm bars, written before the first move up told us rows were being redrawn). A row
  brought back is handed out again only if it changes. From then on ``CSI nA`` keeps n+1 rows
  live.
* ``CSI J`` clears live rows only: settled lines were already handed out and stay as they were.
* SGR and every other CSI (``?25l``, ``H``, ...), OSC/DCS/APC/PM/SOS strings and two-character
  escapes are dropped without effect. A string sequence also ends at any C0 control other than
  its terminators, so a broken OSC cannot swallow the log lines after it.
* A sequence longer than its bound (see ``_CSI_BOUND``/``_STRING_BOUND``) is given up: what was
  read of it is dropped and what follows is text again.
"""

from __future__ import annotations

import re
from collections import deque

DEFAULT_MAX_COLUMNS = 4096
DEFAULT_LIVE_ROWS = 2
MAX_REACH = 8  # rows a cursor-up can bring back or keep live (deeply nested bars, Rich displays)

# Real CSI sequences are a handful of bytes; 256 is generous and keeps the pending buffer small.
_CSI_BOUND = 256
# OSC 8 hyperlinks carry a whole URL, so strings get more room before being given up.
_STRING_BOUND = 4096

# One pass splits the input into tokens. Alternatives that need handling are single groups, so
# ``lastindex`` says which kind matched; everything dropped without effect (complete escapes
# other than cursor moves, stray controls) matches no group, which keeps SGR-heavy Keras frames
# cheap. Each escape kind is tried complete first, then as an unfinished prefix: at the end of
# the input that prefix waits for more, elsewhere it is malformed and dropped. Escape
# quantifiers are bounded (so is what waits) and neighbouring classes are disjoint, so nothing
# backtracks on long input.
_CSI_INTRO = r"(?:\x1b\[|\x9b)"
_CSI_PARAMS = rf"[0-?]{{0,{_CSI_BOUND - 16}}}[ -/]{{0,13}}"
_STRING_INTRO = r"(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])"  # OSC, DCS, SOS, PM, APC
_STRING_BODY = rf"[^\x00-\x1f\x9c]{{0,{_STRING_BOUND}}}"
_PRINTABLE = r"[^\x00-\x08\x0a-\x1f\x7f-\x9f]"  # tab included
_SGR = r"\x1b\[[0-9;:]{0,64}m"
_SGR_ONLY = re.compile(_SGR)
_TEXT, _FRAMES, _LF, _BS, _CURSOR, _UNFINISHED_CSI, _UNFINISHED_STRING, _UNFINISHED_ESCAPE = range(1, 9)
_TOKEN = re.compile(
    # Printable text with the colour codes inside it (Keras colours every part of a frame):
    # one token instead of a dozen, the codes then cut out at C speed.
    rf"({_PRINTABLE}+(?:(?:{_SGR})+{_PRINTABLE}+)*)"
    # A run of frames, each started by \r (tqdm) or by \b... then \r (Keras: the backspaces
    # cannot matter, \r goes to column 0 anyway): collapsed in one step, not frame by frame.
    rf"|((?:\x08*\r+{_PRINTABLE}*(?:(?:{_SGR})+{_PRINTABLE}*)*)+)"
    r"|(\n)"
    r"|(\x08+)"
    rf"|({_CSI_INTRO}[0-9;]{{0,{_CSI_BOUND - 16}}}[ABCDJK])"  # cursor moves and erases
    rf"|{_CSI_INTRO}{_CSI_PARAMS}[@-~]"  # any other CSI (SGR, ?25l, H ...)
    rf"|({_CSI_INTRO}{_CSI_PARAMS})"
    rf"|{_STRING_INTRO}{_STRING_BODY}(?:\x07|\x1b\\|\x9c)"
    rf"|({_STRING_INTRO}{_STRING_BODY})"
    r"|\x1b[ -/]{0,13}[0-~]"  # two-character escapes (ESC c, ESC ( B, ESC 7 ...)
    r"|(\x1b[ -/]{0,13})"
    r"|[\x00-\x1f\x7f-\x9f]"  # any other control
)


class TerminalView:
    """Replay terminal output; hand out each line once a terminal could no longer change it."""

    def __init__(
        self, max_columns: int = DEFAULT_MAX_COLUMNS, live_rows: int = DEFAULT_LIVE_ROWS, *,
        until_cursor_up: int | None = None,
    ) -> None:
        """``until_cursor_up``: keep this many live rows until the output first moves the cursor
        up (nested bars), then ``live_rows``. With 1, a plain log's lines settle as soon as they
        end, so the last line of a traceback is seen at once rather than when more output comes."""
        if max_columns < 1 or live_rows < 1 or (until_cursor_up is not None and until_cursor_up < 1):
            raise ValueError("max_columns and live_rows must be at least 1")
        self._max_columns = max_columns
        self._live_rows = until_cursor_up or live_rows
        self._nested_live_rows = live_rows
        # rows[0] is the oldest live row; rows below the cursor exist after nested-bar moves.
        self._rows: list[str] = [""]
        # Per row: what it was when handed out before (a row brought back by a move up), else None.
        self._handed: list[str | None] = [None]
        self._recent: deque[str] = deque(maxlen=MAX_REACH)  # the last rows handed out
        self._row = 0
        # Tracked past max_columns so that \r and \b still land where the program meant.
        self._col = 0
        self._pending = ""  # an escape sequence cut off at the end of the last feed()

    def feed(self, text: str) -> list[str]:
        """Apply ``text``; return the lines that became final because of it, oldest first."""
        data = self._pending + text if self._pending else text
        self._pending = ""
        settled: list[str] = []
        rows, row, col = self._rows, self._row, self._col
        max_columns, live_rows = self._max_columns, self._live_rows
        # The hot path (text, frames, \n, \b) is inlined on local variables: a bar that never ends
        # its line is millions of tokens, and attribute access per token would dominate.
        for match in _TOKEN.finditer(data):
            kind = match.lastindex
            if kind == _TEXT:
                chunk = match.group(_TEXT)
                if "\x1b" in chunk:
                    chunk = _SGR_ONLY.sub("", chunk)
                width = len(chunk)
                if col < max_columns:
                    if width > max_columns - col:
                        chunk = chunk[: max_columns - col]
                    line = rows[row]
                    length = len(line)
                    if col == length:
                        rows[row] = line + chunk
                    elif col == 0 and len(chunk) >= length:
                        rows[row] = chunk
                    elif col > length:
                        rows[row] = line + " " * (col - length) + chunk
                    else:
                        rows[row] = line[:col] + chunk + line[col + len(chunk) :]
                col += width
            elif kind == _FRAMES:
                run = match.group(_FRAMES)
                if "\x1b" in run:
                    run = _SGR_ONLY.sub("", run)
                if "\x08" in run:
                    run = run.replace("\x08", "")  # each \b run here is followed by \r
                frames = run.split("\r")
                rows[row] = _overwrite_frames(rows[row], frames)[:max_columns]
                col = len(frames[-1])
            elif kind == _LF:
                row += 1
                col = 0
                if row == len(rows):
                    rows.append("")
                    self._handed.append(None)
                if row >= live_rows:  # one row has moved out of reach of the cursor
                    line = rows.pop(0).rstrip(" ")
                    if self._handed.pop(0) != line:
                        settled.append(line)
                    self._recent.append(line)
                    row -= 1
            elif kind == _BS:
                col = max(col - len(match.group(_BS)), 0)
            elif kind == _CURSOR:
                row, col = self._control(match.group(_CURSOR), row, col)
                live_rows = self._live_rows
            elif kind is not None and match.end() == len(data):
                # An escape cut off by the end of this text: finish it with the next feed().
                self._pending = match.group(kind)  # bounded by the regex quantifiers
                break
        self._row, self._col = row, col
        return settled

    def held(self) -> tuple[list[str], int]:
        """Every row not yet handed out, top first (trailing spaces stripped, trailing empty rows
        left out), and the index of the cursor's row: the rows below it are nested bars."""
        return _trim([line.rstrip(" ") for line in self._rows]), self._row

    def live(self) -> list[str]:
        """The rows that may still change: the cursor row and the live rows above it.

        Oldest first, trailing spaces stripped, trailing empty rows left out.
        """
        return _trim([line.rstrip(" ") for line in self._rows[: self._row + 1]])

    def flush(self) -> list[str]:
        """Settle every row (end of file, process exit) and start over on a fresh row.

        Returns the rows still held, including any below the cursor; trailing empty rows and an
        incomplete escape sequence are dropped.
        """
        lines = _trim([line.rstrip(" ") for line in self._rows])
        handed = self._handed
        lines = [line for index, line in enumerate(lines) if handed[index] != line]
        self._recent.extend(lines)
        self._rows, self._handed = [""], [None]
        self._row = self._col = 0
        self._pending = ""
        return lines

    def _control(self, sequence: str, row: int, col: int) -> tuple[int, int]:
        """Apply one complete CSI sequence; return the new cursor."""
        final = sequence[-1]
        params = sequence[2:-1] if sequence[0] == "\x1b" else sequence[1:-1]
        first = params.split(";", 1)[0]
        number = int(first) if first else 0
        rows = self._rows
        if final == "A":
            up = min(max(number, 1), MAX_REACH)
            self._live_rows = max(self._live_rows, self._nested_live_rows, up + 1)
            back = min(up - row, len(self._recent))
            if back > 0:  # rows already handed out are being redrawn: bring them back
                returning = [self._recent.pop() for _ in range(back)][::-1]
                rows[:0] = returning
                self._handed[:0] = returning
                row += back
            return max(row - up, 0), col
        if final == "B":
            return min(row + max(number, 1), len(rows) - 1), col
        if final == "C":
            return row, col + max(number, 1)
        if final == "D":
            return row, max(col - max(number, 1), 0)
        if final == "K":
            rows[row] = _erase_in_line(rows[row], col, number)
        elif number in (2, 3):  # J: whole screen, i.e. every live row
            rows[:] = [""] * len(rows)
        elif number == 1:  # J: from the top to the cursor
            rows[:row] = [""] * row
            rows[row] = _erase_in_line(rows[row], col, 1)
        elif number == 0:  # J: from the cursor to the end
            rows[row + 1 :] = [""] * (len(rows) - row - 1)
            rows[row] = _erase_in_line(rows[row], col, 0)
        return row, col


def _overwrite_frames(line: str, frames: list[str]) -> str:
    """``line`` after each of ``frames`` was written over it from column 0, in order.

    Each column shows the last frame long enough to reach it, so walk back from the newest
    frame only until the longest one is covered: usually one step, as tqdm pads its frames.
    """
    result = frames[-1]
    covered = len(result)
    longest = max(len(line), max(map(len, frames)))
    index = len(frames) - 2
    while covered < longest and index >= 0:
        frame = frames[index]
        if len(frame) > covered:
            result += frame[covered:]
            covered = len(frame)
        index -= 1
    if len(line) > covered:
        result += line[covered:]
    return result


def _erase_in_line(line: str, col: int, mode: int) -> str:
    """EL: 0 = cursor to end, 1 = start to cursor, 2 = whole line (blanks, as spaces or cut)."""
    if mode == 0:
        return line[:col]
    if mode == 1:
        return "" if col + 1 >= len(line) else " " * (col + 1) + line[col + 1 :]
    if mode == 2:
        return ""
    return line


def _trim(lines: list[str]) -> list[str]:
    while lines and not lines[-1]:
        lines.pop()
    return lines
