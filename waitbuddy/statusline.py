"""`waitbuddy status --line`: one short line about the main run, for tmux's status bar.

tmux runs it every `status-interval` seconds (``#(waitbuddy status --line)`` in `status-right`),
so the whole process must cost little (< 60 ms): it reads only the store, read-only, never a
log, and imports sqlite3 and waitbuddy.timefmt; waitbuddy.text only for a name or reason that
has something to remove, the json module only where SQLite lacks its JSON functions. Not the
command line, the config, platformdirs or the runs domain: each costs more than that budget.
What it repeats of them (where the database is, the headline metric, the status symbols) is
pinned to them by tests/test_status_line.py. waitbuddy/__main__.py recognises the arguments.

The main run is the running or stalled run that should end soonest (``+N`` counts the others);
with none, the run that ended last if it ended within :data:`RECENT_SECONDS`; else the line
is empty, so tmux shows nothing.
"""

from __future__ import annotations

import math
import os
import sqlite3
import sys
import time

from waitbuddy.timefmt import iso, short_duration, timestamp

RECENT_SECONDS = 12 * 3600  # an ended run is shown this long; a running one not heard of for as long is left out
# A watcher saves a running run's state at least every few seconds while it writes, and calls it
# stalled after [runs] stall_minutes (default 10) without output: a "running" state older than
# that was saved by a watcher that has stopped (or the log prints less often than that).
OLD_SECONDS = 10 * 60
BUSY_SECONDS = 0.2  # a writer holds the database this long at most in practice; tmux asks again soon
DEFAULT_MAX = 40  # tmux's default status-right-length
MIN_MAX = 10
ERROR_LINE = "waitbuddy: ?"  # the database cannot be read: a short marker, never a traceback

# Same as runs.present.STATUS_SYMBOLS (a test holds them equal; importing it costs ~50 ms).
SYMBOLS = {"waiting": "…", "running": "▶", "stalled": "‖", "completed": "✔", "failed": "✖", "interrupted": "■"}
_NARROW = frozenset("".join(SYMBOLS.values()) + "…")
ACTIVE = ("running", "stalled")
# Failure kinds (runs.observe.ERROR_KINDS) that have a name shorter than their message.
SHORT_REASONS = {
    "cuda_oom": "CUDA OOM", "cuda_error": "CUDA error", "nccl_timeout": "NCCL timeout", "nan": "NaN",
    "killed": "killed", "slurm_time_limit": "time limit", "slurm_cancelled": "cancelled", "slurm_oom": "OOM",
    "slurm_node_fail": "node failure", "slurm_boot_fail": "boot failure", "slurm_deadline": "deadline",
}

PLACEHOLDERS = {
    "symbol": "the status symbol: ▶ running, ‖ stalled, ✔ completed, ✖ failed, ■ interrupted",
    "name": "the run's name (shortened first when the line is too long)",
    "status": "running, stalled, completed, failed or interrupted",
    "percent": "how much of the run is done: 45%",
    "eta": "the time left: 12m (its ETA less the time since it was saved; empty when the state is old)",
    "metric": "the headline metric: loss 0.3121",
    "ago": "how long since the run ended, or since a stalled run's last output: 12m",
    "reason": "why it failed or was interrupted: CUDA OOM",
    "old": "for a running run whose saved state is old (no watcher following it): 25m old",
    "others": "how many other runs are running or stalled: +2",
    "state": "what the default format shows after the name (progress, ETA and metric, or the end)",
}
DEFAULT_FORMAT = "{symbol} {name} {state} {others}"

# The saved summary is RunSnapshot JSON plus saved_at (runs.registry.save_state). SQLite reads
# the few values the line needs, so the json module (and re under it, ~12 ms) is not imported;
# a value of the wrong JSON type reads as missing, as RunSnapshot.from_json has it.
_VALUE = ("CASE WHEN NOT json_valid(summary) THEN NULL WHEN json_type(summary, '{0}') IN ({1}) "
          "THEN json_extract(summary, '{0}') END")
_NUMBER, _TEXT = "'integer', 'real'", "'text'"
_SUMMARY = ", ".join((_VALUE.format("$.progress.fraction", _NUMBER), _VALUE.format("$.eta_seconds", _NUMBER),
                      _VALUE.format("$.saved_at", _TEXT), _VALUE.format("$.updated_at", _TEXT)))
_COLUMNS = "id, name, status, error_kind, error_message, pid, started_at, ended_at, updated_at"
_WHERE = ("WHERE hidden = 0 AND (status IN ('running', 'stalled') "
          "OR (status IN ('completed', 'failed', 'interrupted') AND ended_at >= ?))")
_QUERY = f"SELECT {_COLUMNS}, {_SUMMARY} FROM runs {_WHERE}"
# (an array of metrics gives integer keys, a damaged summary no rows: both are left out)
_METRICS = "SELECT key, value, type FROM json_each((SELECT summary FROM runs WHERE id = ? AND json_valid(summary)), '$.metrics')"
# Without SQLite's JSON functions (before 3.38 they were a compile-time option): the json module.
_PLAIN_QUERY = f"SELECT {_COLUMNS}, summary FROM runs {_WHERE}"
_PLAIN_METRICS = "SELECT summary FROM runs WHERE id = ?"


class Options:
    """What `status --line` was asked: the format, the length cap, and whether to escape for tmux."""

    __slots__ = ("format", "limit", "tmux")

    def __init__(self, format: str = DEFAULT_FORMAT, limit: int = DEFAULT_MAX, tmux: bool = True) -> None:
        self.format, self.limit, self.tmux = format, limit, tmux


def format_problem(fmt: str) -> str | None:
    """Why ``fmt`` is not a usable --format (an unknown placeholder, a lone brace), or None."""
    try:
        _parse(fmt)
    except ValueError as exc:
        return str(exc)
    return None


def _parse(fmt: str) -> list[tuple[str, str | None]]:
    """``fmt`` as (literal text, placeholder name or None) pairs; ValueError says what is wrong.
    (By hand, not with the re module: importing it costs ~8 ms of the line's 60.)"""
    parts: list[tuple[str, str | None]] = []
    literal, index = [], 0
    while index < len(fmt):
        char = fmt[index]
        if char in "{}" and fmt[index + 1:index + 2] == char:
            literal.append(char)
            index += 2
            continue
        if char == "{":
            end = fmt.find("}", index)
            name = fmt[index + 1:end] if end != -1 and "{" not in fmt[index + 1:end] else None
            if name is None:
                raise ValueError("a lone '{' in the format (write {{ for the brace itself)")
            if name not in PLACEHOLDERS:
                known = ", ".join("{" + key + "}" for key in PLACEHOLDERS)
                raise ValueError(f"unknown placeholder {{{_clean(name, 40)}}} (known: {known})")
            parts.append(("".join(literal), name))
            literal, index = [], end + 1
            continue
        if char == "}":
            raise ValueError("a lone '}' in the format (write }} for the brace itself)")
        literal.append(char)
        index += 1
    parts.append(("".join(literal), None))
    return parts


def data_dir(env: dict[str, str] | os._Environ = os.environ) -> str | None:
    """The data directory as waitbuddy.paths.resolve() finds it, without importing platformdirs
    (~40 ms): WAITBUDDY_DATA_DIR, else $XDG_DATA_HOME or the platform's place on Linux and macOS.
    None when only platformdirs can say (another platform, a relative or missing HOME)."""
    if given := env.get("WAITBUDDY_DATA_DIR"):
        expanded = os.path.expanduser(os.path.expandvars(given))
        return expanded if os.path.isabs(expanded) else os.path.join(os.getcwd(), expanded)
    if sys.platform not in ("linux", "darwin"):
        return None
    if os.path.isabs(xdg := env.get("XDG_DATA_HOME", "")):
        return os.path.join(xdg, "waitbuddy")
    home = env.get("HOME", "")
    if not os.path.isabs(home):
        return None
    base = ".local/share" if sys.platform == "linux" else "Library/Application Support"
    return os.path.join(home, base, "waitbuddy")


def database_path() -> str:
    directory = data_dir()
    if directory is None:
        from waitbuddy import paths  # the slow, general answer

        return str(paths.resolve().database)
    return os.path.join(directory, "waitbuddy.db")


def status_line(database: str, now: float, options: Options | None = None) -> tuple[str, int]:
    """The line (without its newline; '' for nothing to show) and the exit status: 0, or 2 when
    the database exists but cannot be read (the line is then :data:`ERROR_LINE`)."""
    options = options or Options()
    try:
        os.stat(database)
    except FileNotFoundError:
        return "", 0  # no waitbuddy run yet: nothing to show
    except (OSError, ValueError):
        return ERROR_LINE, 2
    try:
        # Read-only: the line never creates, migrates or locks the database for writing.
        uri = "file:" + database.replace("%", "%25").replace("?", "%3f").replace("#", "%23") + "?mode=ro"
        connection = sqlite3.connect(uri, uri=True, timeout=BUSY_SECONDS)
        try:
            fields = _main_run(connection, now)
        finally:
            connection.close()
    except (sqlite3.Error, OSError, ValueError):
        return ERROR_LINE, 2
    if fields is None:
        return "", 0
    text = _fit(options.format, fields, options.limit)
    return (tmux_escape(text) if options.tmux else text), 0


def tmux_escape(text: str) -> str:
    """Make tmux show ``text`` as it is. tmux expands a ``#()`` command's output as a format
    (``##`` -> ``#``; ``#{...}``, ``#(...)``, ``#[...]`` and ``#X`` act) and then draws the
    status line (where ``##`` -> ``#`` again and ``#[...]`` is a style): so n ``#`` reach the
    screen as n only when written as 4n, or as 2n before ``[`` (tmux's expansion copies those
    through untouched). An even count also leaves a ``#[...]`` of the status line after ours intact."""
    if "#" not in text:
        return text
    out, index = [], 0
    while index < len(text):
        end = index
        while end < len(text) and text[end] == "#":
            end += 1
        if end == index:
            end = text.find("#", index)
            end = len(text) if end == -1 else end
            out.append(text[index:end])
        else:
            out.append("#" * ((end - index) * (2 if text[end:end + 1] == "[" else 4)))
        index = end
    return "".join(out)


# A run as the line reads it: the row's columns, then what the saved summary says.
ID, NAME, STATUS, ERROR_KIND, ERROR_MESSAGE, PID, STARTED, ENDED, UPDATED, FRACTION, ETA, SAVED, OUTPUT = range(13)


def _main_run(connection: sqlite3.Connection, now: float) -> dict[str, str] | None:
    since = iso(now - RECENT_SECONDS)
    try:
        rows, plain = connection.execute(_QUERY, (since,)).fetchall(), False
    except sqlite3.OperationalError as exc:
        if "no such function" not in str(exc):
            raise
        rows, plain = [_from_summary(row) for row in connection.execute(_PLAIN_QUERY, (since,))], True
    active, ended = [], None
    for row in rows:
        if row[STATUS] in ACTIVE:
            if _heard_of(row, now):
                active.append(row)
        elif ended is None or (row[ENDED], row[ID]) > (ended[ENDED], ended[ID]):
            ended = row
    if not active and ended is None:
        return None
    # The run that should end soonest (one without an ETA after those with one), then the newest.
    active.sort(key=lambda row: (_left(row, now) or math.inf, -row[ID]))
    main = active[0] if active else ended
    fields = _fields(main, _metrics(connection, main[ID], plain), now)
    fields["others"] = f"+{len(active) - 1}" if len(active) > 1 else ""
    return fields


def _from_summary(row: tuple) -> tuple:
    """A row of _PLAIN_QUERY as _QUERY gives it, the summary read with the json module."""
    summary = _summary(row[-1])
    progress = summary.get("progress")
    fraction = _number(progress.get("fraction")) if isinstance(progress, dict) else None
    return (*row[:-1], fraction, _number(summary.get("eta_seconds")), _text(summary.get("saved_at")),
            _text(summary.get("updated_at")))


def _summary(text: str | bytes | None) -> dict:
    if not text:
        return {}
    import json

    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return {}
    return data if isinstance(data, dict) else {}


def _metrics(connection: sqlite3.Connection, run_id: int, plain: bool) -> dict[str, object]:
    """The run's current metrics in their saved order, as RunSnapshot.from_json keeps them:
    finite numbers, or "nan"/"inf"/"-inf" (never a bool)."""
    if plain:
        found = connection.execute(_PLAIN_METRICS, (run_id,)).fetchone()
        metrics = _summary(found[0] if found else None).get("metrics")
        items = metrics.items() if isinstance(metrics, dict) else ()
    else:
        items = [(key, value) for key, value, kind in connection.execute(_METRICS, (run_id,))
                 if kind in ("integer", "real", "text")]
    return {name: value for name, value in items
            if isinstance(name, str) and (_number(value) is not None or value in ("nan", "inf", "-inf"))}


def _heard_of(row: tuple, now: float) -> bool:
    """A running run is shown unless nothing was heard of it for RECENT_SECONDS and the process
    `waitbuddy run` recorded is gone: a watcher stopped long ago left it "running"."""
    times = [timestamp(row[column]) for column in (SAVED, UPDATED, STARTED)]
    heard = max((value for value in times if value is not None), default=None)
    if heard is None or now - heard < RECENT_SECONDS:  # (no time at all: nothing says it is old)
        return True
    return _alive(row[PID])


def _alive(pid: object) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except PermissionError:
        return True
    except (OSError, OverflowError):
        return False
    return True


def _left(row: tuple, now: float) -> float | None:
    """Seconds until the run should end: its ETA less the time since it was saved (as
    runs.registry.minutes_left counts it); None when unknown or already past."""
    eta, saved = _number(row[ETA]), timestamp(row[SAVED])
    if eta is None or saved is None:
        return None
    left = eta - max(now - saved, 0.0)
    return left if left > 0 else None


def _fields(row: tuple, metrics: dict[str, object], now: float) -> dict[str, str]:
    status = row[STATUS]
    name = row[NAME].decode("utf-8", "surrogateescape") if isinstance(row[NAME], bytes) else str(row[NAME])
    fields = dict.fromkeys(PLACEHOLDERS, "")
    fields.update(symbol=SYMBOLS.get(status, "?"), name=_visible(name, 200), status=status)
    if (fraction := _number(row[FRACTION])) is not None:
        fields["percent"] = f"{min(max(fraction, 0.0), 1.0) * 100:.0f}%"
    if (metric := headline_name(metrics)) is not None:
        fields["metric"] = _clean(f"{metric} {_number_text(metrics[metric])}", 40)
    saved = timestamp(row[SAVED])
    if status == "running":
        if saved is not None and now - saved > OLD_SECONDS:
            fields["old"] = f"{short_duration(now - saved)} old"
        elif (left := _left(row, now)) is not None:
            fields["eta"] = short_duration(left)
    elif status == "stalled":
        if (last_output := timestamp(row[UPDATED]) or timestamp(row[OUTPUT])) is not None:
            fields["ago"] = short_duration(max(now - last_output, 0.0))
    elif (ended := timestamp(row[ENDED])) is not None:
        fields["ago"] = short_duration(max(now - ended, 0.0))
    if status in ("failed", "interrupted"):
        kind, message = row[ERROR_KIND], row[ERROR_MESSAGE]
        fields["reason"] = SHORT_REASONS.get(kind) or _clean(message, 120) or _clean(kind, 40)
    fields["state"] = _state(fields, started=timestamp(row[STARTED]), now=now)
    return fields


def _state(fields: dict[str, str], *, started: float | None, now: float) -> str:
    status, ago = fields["status"], fields["ago"]
    if status == "running":
        eta = f"ETA {fields['eta']}" if fields["eta"] else ""
        old = f"({fields['old']})" if fields["old"] else ""
        if not fields["percent"] and not fields["metric"]:
            # Nothing read from the log yet (a bare `waitbuddy run`, no watcher): it runs, since when.
            since = short_duration(max(now - started, 0.0)) if started is not None and not old else ""
            return " ".join(part for part in ("running", since, eta, old) if part)
        return " ".join(part for part in (fields["percent"], eta, fields["metric"], old) if part)
    if status == "stalled":
        return " ".join(part for part in ("stalled", ago, fields["percent"]) if part)
    when = f" {ago} ago" if ago else ""
    reason = f": {fields['reason']}" if fields["reason"] and status == "failed" else ""
    return f"{status}{when}{reason}"


def _fit(fmt: str, fields: dict[str, str], limit: int) -> str:
    """The format filled in, on one line, at most ``limit`` cells: the name is shortened first
    (to 6 characters at least), then the end of the line."""
    parts = _parse(fmt)
    text = _render(parts, fields)
    excess = _width(text) - limit
    if excess > 0 and fields["name"]:
        name = fields["name"]
        keep = max(len(name) - excess - 1, min(len(name), 6))
        if keep < len(name):
            text = _render(parts, {**fields, "name": name[:keep].rstrip() + "…"})
    if _width(text) > limit:
        text = text[: limit - 1]
        while _width(text) > limit - 1:  # wide characters
            text = text[:-1]
        text = text.rstrip() + "…"
    return text


def _render(parts: list[tuple[str, str | None]], fields: dict[str, str]) -> str:
    # The format's own text goes through the sanitizer too (the values already did), and an
    # empty placeholder leaves no double space behind.
    text = "".join(_clean(literal, 1000) + (fields[name] if name else "") for literal, name in parts)
    return " ".join(text.split())


def _clean(text: object, limit: int) -> str:
    """One line of safe text (waitbuddy.text.safe_line). Imported only for text that needs it:
    printable ASCII has nothing to remove, and importing text.py costs ~15 ms of the 60."""
    if not isinstance(text, str) or not text:
        return ""
    if text.isascii() and text.isprintable():
        return text if len(text) <= limit else text[: limit - 1] + "…"
    from waitbuddy.text import safe_line

    return safe_line(text, limit=limit)


def _visible(name: str, limit: int) -> str:
    """A name with its control characters shown (waitbuddy.text.visible), as every view shows
    names; imported only when the name has something to show."""
    if name.isascii() and name.isprintable() and "\\" not in name:
        return name if len(name) <= limit else name[: limit - 1] + "…"
    from waitbuddy.text import visible

    return visible(name, limit=limit)


def _width(text: str) -> int:
    """Cells on a terminal: wide (East Asian) characters take two."""
    if text.isascii() or all(ord(char) < 0x1100 or char in _NARROW for char in text):
        return len(text)  # (no wide character below U+1100; the symbols are narrow too)
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


# The headline metric, as runs.present.headline_name chooses it (a test holds them equal).
def headline_name(metrics: dict[str, object]) -> str | None:
    for name in ("loss", "train_loss", "eval_loss", "val_loss"):
        if name in metrics:
            return name
    if plain := next((name for name in metrics if name.rsplit("/", 1)[-1] in ("loss", "train_loss")), None):
        return plain
    return next((name for name in metrics if _loss_like(name)), next(iter(metrics), None))


def _loss_like(name: str) -> bool:  # runs.observe.is_loss_like
    lowered = name.lower()
    if "scale" in lowered or "scaling" in lowered:
        return False
    return "loss" in lowered or "grad_norm" in lowered or lowered.endswith("norm") or lowered in ("ppl", "perplexity")


def _number(value: object) -> float | int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value if isinstance(value, int) or math.isfinite(value) else None


def _number_text(value: object) -> str:  # runs.present.number
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def main(options: Options) -> int:
    """Print the line (nothing when there is nothing to show); never a traceback: tmux would
    show it in the status bar."""
    try:
        text, status = status_line(database_path(), time.time(), options)
    except Exception as exc:  # noqa: BLE001 - a bug must not reach the status bar as a traceback
        print(f"waitbuddy: status --line: {type(exc).__name__}: {exc}", file=sys.stderr)
        text, status = ERROR_LINE, 2
    write(text)
    return status


def write(text: str) -> None:
    """The line and a newline on stdout, in UTF-8 whatever the locale (tmux reads UTF-8; a
    Latin-1 locale must not turn the symbol into an exception); nothing for an empty line."""
    if not text:
        return
    try:
        sys.stdout.flush()
        sys.stdout.buffer.write(text.encode("utf-8", "replace") + b"\n")
        sys.stdout.buffer.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
