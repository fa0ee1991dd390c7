"""TOML config -> frozen, validated objects.

The schema is the dataclasses below: each field's type and default is the rule, its ``doc`` the
documentation. ``render_example()`` writes ``config.toml.example`` from the same schema, so the
example documents every key with its real default.

Errors name the file, the line (found in the text, as tomllib does not report it for values),
the key path and what was expected; unknown keys get a did-you-mean suggestion.
"""

from __future__ import annotations

import difflib
import json
import math
import os
import re
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from waitbuddy import keys
from waitbuddy.text import openable_url, safe_line

# Real configs are a few KB. A file past MAX_FILE_BYTES is refused unread; within it, more than
# MAX_SETTINGS_CHARS besides comments and blank lines is refused before tomllib sees it (a 10 MB
# string costs it ~0.5 GB). A dotted key deeper than MAX_KEY_DEPTH (nothing in the schema nests
# past three) is refused first too: tomllib's cost grows with the square of the depth.
MAX_FILE_BYTES = 64 << 20
MAX_SETTINGS_CHARS = 1 << 20
MAX_KEY_DEPTH = 64
MESSAGE_LIMIT = 1000  # a problem's message, whatever it quotes

LAYOUTS = ("auto", "stacked", "side-by-side")
SIDE_BY_SIDE_MIN_WIDTH = 160


def _doc(text: str, **extra: Any) -> dict[str, Any]:
    return {"doc": text, **extra}


@dataclass(frozen=True)
class UIConfig:
    theme: str = field(
        default="",
        metadata=_doc(
            "Colour theme, any Textual theme name (textual-dark, textual-light, nord, gruvbox,\n"
            "dracula, tokyo-night, monokai, solarized-light, ...). Leave empty to start with the\n"
            "theme you last picked in the app (command palette -> Theme), or textual-dark."
        ),
    )
    layout: str = field(
        default="auto",
        metadata=_doc(
            "Dashboard layout: \"stacked\" puts Runs above the other areas, \"side-by-side\" puts\n"
            f"Runs on the left; \"auto\" is side-by-side from {SIDE_BY_SIDE_MIN_WIDTH} columns up.",
            choices=LAYOUTS,
        ),
    )


POLLING = ("auto", "always")
# Named groups of a user format that are progress, not metrics.
FORMAT_PROGRESS_GROUPS = ("done", "total", "epoch", "epochs")


@dataclass(frozen=True)
class UserFormat:
    """A log format of the user's: a regex with named groups, checked against sample lines."""

    name: str
    pattern: str
    samples: tuple[str, ...]


@dataclass(frozen=True)
class RunsConfig:
    stall_minutes: float = field(
        default=10.0,
        metadata=_doc(
            "A run is \"stalled\" after this many minutes without new output, or after three of its\n"
            "usual gaps between updates if those are longer (validation, checkpointing).",
            minimum=1, maximum=10080,  # a week
        ),
    )
    polling: str = field(
        default="auto",
        metadata=_doc(
            "How logs are followed: \"auto\" uses inotify and falls back to polling where events\n"
            "do not arrive (NFS, Lustre, the inotify watch limit); \"always\" polls every log.",
            choices=POLLING,
        ),
    )
    # Below a tenth of a second polling is a busy loop; past an hour a finished run goes unnoticed.
    poll_seconds: float = field(
        default=1.0, metadata=_doc("Seconds between polls of a log that is polled.", minimum=0.1, maximum=3600),
    )
    formats: tuple[UserFormat, ...] = field(default=(), metadata=_doc("", table_array=UserFormat))


PROTOCOLS = ("auto", "osc9", "osc777", "osc99")
NOTIFY_SEND = ("auto", "off")
WEBHOOK_STYLES = ("slack", "discord", "json")


@dataclass(frozen=True)
class NtfyConfig:
    server: str = field(default="https://ntfy.sh", metadata=_doc("The ntfy server (ntfy.sh or your own).", url=True))
    topic: str = field(
        default="",
        metadata=_doc("The topic to publish to; empty: off. The topic is the secret: make it unguessable.\n"
                      "WAITBUDDY_NTFY_TOPIC in the environment is used when this is empty."),
    )
    token: str = field(default="", metadata=_doc("An access token (tk_...), if the server needs one; or WAITBUDDY_NTFY_TOKEN."))
    include_path: bool = field(default=False, metadata=_doc("Also send the log's path (off: only the run's name and status)."))


@dataclass(frozen=True)
class WebhookConfig:
    url: str = field(
        default="",
        metadata=_doc("A Slack- or Discord-compatible webhook URL; empty: off. Or WAITBUDDY_WEBHOOK_URL.",
                      url=True, empty_ok=True),
    )
    style: str = field(
        default="slack",
        metadata=_doc('"slack" sends {"text": ...}, "discord" {"content": ...}, "json" the whole alert.',
                      choices=WEBHOOK_STYLES),
    )


@dataclass(frozen=True)
class AlertsConfig:
    toast: bool = field(default=True, metadata=_doc("A toast in the dashboard."))
    bell: bool = field(
        default=True,
        metadata=_doc("The terminal bell: reaches you from a hidden tmux window and marks it in tmux's status line."),
    )
    terminal: bool = field(
        default=True,
        metadata=_doc("A desktop notification through the terminal's own escape sequence (works over SSH)."),
    )
    protocol: str = field(
        default="auto",
        metadata=_doc("Which escape: \"auto\" from the terminal's environment (kitty: osc99; iTerm2: osc9;\n"
                      "WezTerm, Ghostty, foot, Windows Terminal: osc777), or one of osc9, osc777, osc99.",
                      choices=PROTOCOLS),
    )
    progress: bool = field(default=True, metadata=_doc("Show the main run's progress in the terminal's tab/taskbar (OSC 9;4)."))
    tmux: bool = field(default=True, metadata=_doc("A message in tmux's status line, when inside tmux."))
    notify_send: str = field(
        default="auto",
        metadata=_doc("notify-send: \"auto\" uses it where a desktop session bus exists, \"off\" never.",
                      choices=NOTIFY_SEND),
    )
    skip_when_focused: bool = field(
        default=True, metadata=_doc("No desktop notification while the dashboard has focus (the toast is enough)."),
    )
    eta_reminder_minutes: float = field(
        default=0.0,
        metadata=_doc("Remind when a run has about this many minutes left; 0: off.", minimum=0, maximum=1440),
    )
    milestones: tuple[int, ...] = field(
        default=(),
        metadata=_doc("Progress milestones to announce, in percent, e.g. [50, 90].", item=int, minimum=1, maximum=99),
    )
    command: tuple[str, ...] = field(
        default=(),
        metadata=_doc("A command to run for each alert, as a list (no shell), e.g. [\"/home/me/bin/alert\"];\n"
                      "the alert is in WAITBUDDY_EVENT, WAITBUDDY_RUN, WAITBUDDY_TEXT, ... Empty: off.", item=str),
    )
    mute: tuple[str, ...] = field(
        default=(),
        metadata=_doc("Runs to keep quiet, by name or log path; shell-style patterns, e.g. [\"sweep-*\", \"*/debug.log\"].\n"
                      "(In the dashboard, m mutes the selected run.)", item=str),
    )
    ntfy: NtfyConfig = field(default_factory=NtfyConfig, metadata=_doc("Push notifications through ntfy."))
    webhook: WebhookConfig = field(default_factory=WebhookConfig, metadata=_doc("A chat webhook (Slack, Discord, ...)."))


BACKLOG_FETCH = ("new", "all", "off")


@dataclass(frozen=True)
class BacklogConfig:
    words_per_minute: int = field(
        default=230,
        metadata=_doc("Your reading speed, for the minutes shown beside each item (common estimates: 200-265).",
                      minimum=50, maximum=2000),
    )
    fetch: str = field(
        default="new",
        metadata=_doc("Fetch titles and lengths of pages in the background: \"new\" for what you add (imported\n"
                      "items are fetched when you select them), \"all\" also works through imports, \"off\" never.",
                      choices=BACKLOG_FETCH),
    )
    bankruptcy_days: int = field(
        default=90,
        metadata=_doc("Declaring bankruptcy archives unread items older than this many days (asked each time).",
                      minimum=1, maximum=36500),
    )


@dataclass(frozen=True)
class Config:
    ui: UIConfig = field(default_factory=UIConfig)
    runs: RunsConfig = field(default_factory=RunsConfig)
    alerts: AlertsConfig = field(default_factory=AlertsConfig)
    backlog: BacklogConfig = field(default_factory=BacklogConfig)
    keymap: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    path: Path | None = field(default=None, compare=False)  # where it was read from; not a key


_SECTIONS: dict[str, type] = {"ui": UIConfig, "runs": RunsConfig, "alerts": AlertsConfig, "backlog": BacklogConfig}
_TABLES = (*_SECTIONS, "keymap")


@dataclass(frozen=True)
class Problem:
    where: str  # "[ui] theme"
    message: str
    line: int | None = None


class ConfigError(Exception):
    """One or more problems with a config file; ``str()`` is the message for the user."""

    def __init__(self, path: Path | str, problems: list[Problem]) -> None:
        self.path = Path(path)
        self.problems = sorted(problems, key=lambda problem: problem.line or 1 << 30)
        super().__init__(str(self))

    @classmethod
    def for_key(cls, path: Path, table: str, key: str, message: str) -> ConfigError:
        """A problem found after loading (e.g. a theme Textual lacks), located in the file."""
        try:
            line = _Locator(_read(path).decode("utf-8"))(table, key)
        except (OSError, UnicodeDecodeError, ConfigError):
            line = None
        return cls(path, [Problem(f"[{table}] {key}", message, line)])

    def __str__(self) -> str:
        lines = []
        for problem in self.problems:
            place = f"{self.path}:{problem.line}" if problem.line else f"{self.path}"
            where = f" {problem.where}:" if problem.where else ""
            message = problem.message if len(problem.message) <= MESSAGE_LIMIT else \
                problem.message[: MESSAGE_LIMIT - 1] + "\u2026"
            lines.append(f"{place}:{where} {message}")
        return "\n".join(lines)


def load(path: Path, *, must_exist: bool = False) -> Config:
    """Read and validate ``path``. A missing file means defaults unless ``must_exist``."""
    try:
        data = _read(path)
    except FileNotFoundError:
        if must_exist:
            raise ConfigError(path, [Problem("", "config file not found")]) from None
        return Config(path=None)
    except IsADirectoryError:
        raise ConfigError(path, [Problem("", "is a directory, expected a TOML file")]) from None
    except OSError as exc:
        raise ConfigError(path, [Problem("", f"cannot read: {exc.strerror or exc}")]) from None
    return parse(data, path)


def _read(path: Path) -> bytes:
    """The bytes of a config file. Anything but a regular file is refused without being opened
    (a FIFO blocks until a writer comes, /dev/zero never ends), and a file too big to be a config
    without being read; raises OSError for the caller to word."""
    from waitbuddy.runs.targets import special_kind

    info = os.stat(path)
    if stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(path)
    if kind := special_kind(info.st_mode):
        raise ConfigError(path, [Problem("", f"not a regular file ({kind}), expected a TOML file")])
    if info.st_size > MAX_FILE_BYTES:
        raise ConfigError(path, [_too_big(info.st_size)])
    # O_NONBLOCK: should a FIFO be swapped in after the stat, opening it does not wait for a writer.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(fd, "rb") as file:
        if kind := special_kind(os.fstat(fd).st_mode):
            raise ConfigError(path, [Problem("", f"not a regular file ({kind}), expected a TOML file")])
        data = file.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise ConfigError(path, [_too_big(len(data))])
    return data


def _too_big(size: int) -> Problem:
    return Problem("", f"too big to be a config: {size:,} bytes, over {MAX_FILE_BYTES >> 20} MiB even with comments; "
                       "a config is a few KB")


_NOT_SETTINGS = re.compile(r"^[ \t]*(?:#[^\n]*)?(?:\n|\Z)", re.MULTILINE)  # blank and comment lines


def _precheck(text: str) -> Problem | None:
    """What tomllib should not be given: too much text besides comments, or a dotted key so deep
    it costs seconds and gigabytes. Cheap scans; the line is found only when something is wrong."""
    if len(text) > MAX_SETTINGS_CHARS and len(_NOT_SETTINGS.sub("", text)) > MAX_SETTINGS_CHARS:
        total = 0
        for number, line in enumerate(text.split("\n"), start=1):
            if not _NOT_SETTINGS.fullmatch(line):
                total += len(line) + 1
            if total > MAX_SETTINGS_CHARS:
                return Problem("", f"too big to be a config: past {MAX_SETTINGS_CHARS >> 20} MiB of settings by this "
                                   "line (comments aside); a config is a few KB", number)
    if text.count(".") > MAX_KEY_DEPTH:
        for number, line in enumerate(text.split("\n"), start=1):
            if line.count(".") <= MAX_KEY_DEPTH:
                continue
            stripped = line.lstrip()
            if stripped.startswith("["):  # a [table.header] or [[array.header]]
                head = stripped.split("]", 1)[0]
            elif "=" in stripped and not stripped.startswith("#"):
                head = stripped.split("=", 1)[0]  # a dotted.key = value
            else:
                continue
            if (depth := head.count(".") + 1) > MAX_KEY_DEPTH:
                return Problem("", f"a key {depth} levels deep (at most {MAX_KEY_DEPTH}); nothing in a config "
                                   "nests that deep", number)
    return None


def parse(data: bytes | str, path: Path | str = "config.toml") -> Config:
    """Validate TOML text into a :class:`Config`; raise :class:`ConfigError` listing every problem."""
    path = Path(path)
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise ConfigError(path, [Problem("", "not UTF-8 text (TOML files must be UTF-8)", line)]) from None
    else:
        text = data
    if (problem := _precheck(text)) is not None:
        raise ConfigError(path, [problem])
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, [_syntax_problem(str(exc))]) from None
    except RecursionError:  # tomllib recurses per level: a = [[[[...]]]] thousands deep
        raise ConfigError(path, [Problem("", "arrays or tables nested too deeply to be a config")]) from None

    problems: list[Problem] = []
    locate = _Locator(text)
    for name, value in raw.items():
        if name in _TABLES:
            continue
        if isinstance(value, dict):
            hint = suggest(name, _TABLES, "[", "]")
            problems.append(Problem(f"[{_show_key(name)}]", "unknown table" + hint, locate(name)))
        else:
            home = [table for table, cls in _SECTIONS.items() if name in {f.name for f in fields(cls)}]
            hint = f"; it belongs in the [{home[0]}] table" if home else suggest(name, _TABLES, "[", "]")
            problems.append(Problem(_show_key(name), "unknown top-level key" + hint, locate(None, name)))

    sections: dict[str, Any] = {}
    for name, cls in _SECTIONS.items():
        table = raw.get(name, {})
        if not isinstance(table, dict):
            problems.append(Problem(f"[{name}]", f"expected a table, got {_show(table)}", locate.table(None, name)))
            continue
        sections[name] = _build(cls, name, table, problems, locate)

    keymap = _build_keymap(raw.get("keymap", {}), problems, locate)
    if problems:
        raise ConfigError(path, problems)
    return Config(**sections, keymap=MappingProxyType(keymap), path=path)


def _build(cls: Any, section: str, table: dict[str, Any], problems: list[Problem], locate: _Locator) -> Any:
    cls = cls if isinstance(cls, type) else type(cls)
    known = {f.name: f for f in fields(cls)}
    values = {}
    for key, value in table.items():
        where = f"[{section}] {_show_key(key)}"
        spec = known.get(key)
        if spec is None:
            problems.append(Problem(where, "unknown key" + suggest(key, known), locate(section, key)))
            continue
        if spec.metadata.get("table_array"):
            values[key] = _build_formats(value, f"{section}.{key}", problems, locate)
            continue
        if is_dataclass(spec.default_factory() if callable(spec.default_factory) else None):
            if not isinstance(value, dict):
                problems.append(Problem(where, f"expected a table, got {_show(value)}", locate.table(section, key)))
                continue
            values[key] = _build(spec.default_factory(), f"{section}.{key}", value, problems, locate)
            continue
        if item := spec.metadata.get("item"):
            if problem := _list_problem(value, item, spec):
                problems.append(Problem(where, problem, locate(section, key)))
                continue
            values[key] = tuple(value)
            continue
        if problem := _check(value, type(spec.default), spec.metadata.get("choices")) or _out_of_range(value, spec) \
                or _url_problem(value, spec):
            problems.append(Problem(where, problem, locate(section, key)))
            continue
        values[key] = value
    return cls(**values)


def _build_formats(value: Any, table: str, problems: list[Problem], locate: _Locator) -> tuple[UserFormat, ...]:
    """``[[runs.formats]]``: each needs a name, a regex with named groups, and samples it matches."""
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        problems.append(Problem(f"[[{table}]]", "expected [[runs.formats]] tables", locate(None, table)))
        return ()
    built = []
    for index, item in enumerate(value, start=1):
        where = f"[[{table}]] #{index}"
        line = locate.nth_array_table(table, index)
        unknown = set(item) - {"name", "pattern", "samples"}
        if unknown:
            key = min(unknown)
            problems.append(Problem(f"{where} {_show_key(key)}", "unknown key" + suggest(key, ("name", "pattern", "samples")), line))
            continue
        name, pattern, samples = item.get("name"), item.get("pattern"), item.get("samples")
        if not isinstance(name, str) or not name:
            problems.append(Problem(f"{where} name", f"expected a name (a string), got {_show(name)}", line))
            continue
        where = f"[[{table}]] {json.dumps(safe_line(name, limit=40))}"
        if not isinstance(pattern, str):
            problems.append(Problem(f"{where} pattern", f"expected a regular expression string, got {_show(pattern)}", line))
            continue
        if not isinstance(samples, list) or not samples or not all(isinstance(sample, str) for sample in samples):
            problems.append(Problem(f"{where} samples", "expected a list of sample log lines the pattern matches", line))
            continue
        if problem := format_problem(pattern, samples):
            problems.append(Problem(f"{where} pattern", problem, line))
            continue
        built.append(UserFormat(name=name, pattern=pattern, samples=tuple(samples)))
    return tuple(built)


def format_problem(pattern: str, samples: list[str]) -> str | None:
    """Why a user format is unusable, or None."""
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        return f"not a valid regular expression: {safe_line(str(exc), limit=200)}"
    except OverflowError:  # a{4294967296}: past what re can count
        return "not a usable regular expression: a repeat count too large (at most 4294967294)"
    except (RecursionError, MemoryError):  # groups nested thousands deep
        return "not a usable regular expression: too deeply nested or too large"
    if not compiled.groupindex:
        return "needs named groups: (?P<done>...), (?P<total>...), (?P<epoch>...), (?P<epochs>...) or a metric such as (?P<loss>...)"
    backtracking = _backtracking(pattern)
    if backtracking == "nested":
        return ("repeats a group that itself repeats, like (a+)+: on a long line that can take hours; repeat once, "
                "or make the inner repeat possessive (a++) or atomic ((?>a+))")
    if backtracking == "alternation":
        return ("repeats a choice whose alternatives can match the same text, like (a|a)* or (a|aa)+: on a long line "
                "that can take hours; use a character class ([ab]+), or make the repeat possessive ((?:x|y)*+) or "
                "the choice atomic ((?>x|y)*)")
    for number, sample in enumerate(samples, start=1):
        match = compiled.search(sample)
        if match is None:
            return f"does not match sample {number}: {json.dumps(safe_line(sample, limit=80))}"
        for group, text in match.groupdict().items():
            if text is not None and not _NUMERIC.fullmatch(text.strip()):
                return f"group {group!r} matched {json.dumps(safe_line(text, limit=40))} in sample {number}, expected a number"
    return None


# A repeat of at most this many turns around a choice costs at most 2**ALTERNATION_REPEATS tries.
ALTERNATION_REPEATS = 10


def _backtracking(pattern: str) -> str | None:
    """Would ``pattern`` backtrack catastrophically on a long line? "nested" if it repeats
    something that already repeats ((a+)+), "alternation" if it repeats a choice between
    alternatives that can match the same text ((a|a)*, (a|aa)+), else None."""
    import re._constants as sre  # the parser Python's re uses: the same reading of the pattern
    import re._parser as parser

    repeats = (sre.MAX_REPEAT, sre.MIN_REPEAT)

    def children(op: Any, av: Any) -> list[Any]:
        if op in repeats:
            return [av[2]]
        if op is sre.SUBPATTERN:
            return [av[3]]
        if op is sre.BRANCH:
            return list(av[1])
        if op in (sre.ASSERT, sre.ASSERT_NOT):
            return [av[1]]
        if op is sre.GROUPREF_EXISTS:
            return [branch for branch in av[1:] if branch is not None]
        return []  # ATOMIC_GROUP and POSSESSIVE_REPEAT never backtrack into themselves

    def repeats_inside(sub: Any) -> bool:
        return any((op in repeats and op_av[1] > 1) or any(repeats_inside(child) for child in children(op, op_av))
                   for op, op_av in sub)

    def nested(sub: Any) -> bool:
        for op, av in sub:
            if op in repeats and av[1] > 1 and repeats_inside(av[2]):
                return True
            if any(nested(child) for child in children(op, av)):
                return True
        return False

    def case_inside(op: Any, av: Any, ignore_case: bool) -> bool:
        """Whether letters' case is ignored inside ``op``: (?i:...) and (?-i:...) change it."""
        if op is not sre.SUBPATTERN:
            return ignore_case
        return bool((ignore_case or av[1] & sre.SRE_FLAG_IGNORECASE) and not av[2] & sre.SRE_FLAG_IGNORECASE)

    def literal_prefix(sub: Any, ignore_case: bool) -> list[Any]:
        """The literal characters a branch starts with, as far as they go."""
        prefix: list[Any] = []
        for op, av in sub:
            if op is sre.LITERAL:
                prefix.append((chr(av), ignore_case))
            elif op is sre.SUBPATTERN:
                inner = literal_prefix(av[3], case_inside(op, av, ignore_case))
                prefix += inner
                if len(inner) < len(av[3]):
                    break
            else:
                break
        return prefix

    def ambiguous(branches: list[Any], ignore_case: bool) -> bool:
        """Can two alternatives match the same text? Only when the literal text each starts with
        tells them apart (foo|bar|baz) is the choice decided by the line; the parser already made
        (a|b) a class and took a common prefix out of (ab|ac)."""
        def same(one: tuple[str, bool], other: tuple[str, bool]) -> bool:
            if one[1] or other[1]:
                return one[0].casefold() == other[0].casefold()
            return one[0] == other[0]

        prefixes = [literal_prefix(branch, ignore_case) for branch in branches]
        for index, first in enumerate(prefixes):
            for second in prefixes[index + 1:]:
                if all(map(same, first, second)):  # one runs out before they differ
                    return True
        return False

    def choice_inside(sub: Any, ignore_case: bool) -> bool:
        for op, av in sub:
            if op is sre.BRANCH and ambiguous(av[1], ignore_case):
                return True
            inner = case_inside(op, av, ignore_case)
            if any(choice_inside(child, inner) for child in children(op, av)):
                return True
        return False

    def repeated_choice(sub: Any, ignore_case: bool) -> bool:
        for op, av in sub:
            if op in repeats and av[1] > ALTERNATION_REPEATS and choice_inside(av[2], ignore_case):
                return True
            inner = case_inside(op, av, ignore_case)
            if any(repeated_choice(child, inner) for child in children(op, av)):
                return True
        return False

    try:
        parsed = parser.parse(pattern)
        if nested(parsed):
            return "nested"
        ignore_case = bool(parsed.state.flags & sre.SRE_FLAG_IGNORECASE)
        return "alternation" if repeated_choice(parsed, ignore_case) else None
    except (re.error, RecursionError, OverflowError):
        return None  # compile() has had its say


_NUMERIC = re.compile(r"[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+)|[-+]?(?:nan|inf)", re.IGNORECASE)


def _check(value: Any, expected: type, choices: tuple[str, ...] | None) -> str | None:
    if expected is bool:
        ok, wanted = isinstance(value, bool), "true or false"
    elif expected is int:
        ok, wanted = isinstance(value, int) and not isinstance(value, bool), "a whole number"
    elif expected is float:
        ok, wanted = isinstance(value, (int, float)) and not isinstance(value, bool), "a number"
    else:
        ok, wanted = isinstance(value, expected), "a string"
    if choices is not None:
        ok, wanted = value in choices, "one of " + ", ".join(json.dumps(c) for c in choices)
    return None if ok else f"expected {wanted}, got {_show(value)}"


def _list_problem(value: Any, item: type, spec: Any) -> str | None:
    wanted = "whole numbers" if item is int else "strings"
    if not isinstance(value, list) or not all(_check(entry, item, None) is None for entry in value):
        return f"expected a list of {wanted}, got {_show(value)}"
    for entry in value:
        if _out_of_range(entry, spec):
            return f"expected {wanted} from {_bounds(spec)}, got {_show(entry)}"
    return None


def _out_of_range(value: Any, spec: Any) -> str | None:
    """Values that type-check but break the product: a NaN stall limit stalls every run at
    once, an infinite poll interval kills the watcher thread, a zero one is a busy loop."""
    if isinstance(value, float) and not math.isfinite(value):
        return f"expected a finite number, got {_show(value)}"
    low, high = spec.metadata.get("minimum"), spec.metadata.get("maximum")
    if (low is not None and value < low) or (high is not None and value > high):
        return f"expected a value from {_bounds(spec)}, got {_show(value)}"
    return None


def _bounds(spec: Any) -> str:
    return f"{spec.metadata['minimum']:g} to {spec.metadata['maximum']:g}"


def _url_problem(value: Any, spec: Any) -> str | None:
    """Alerts are only ever sent to http(s) URLs with a host (text.openable_url, the one check)."""
    if not spec.metadata.get("url") or (value == "" and spec.metadata.get("empty_ok")):
        return None
    if openable_url(value) is None:
        return f"expected an http:// or https:// URL with a host, got {_show(value)}"
    return None


def _build_keymap(table: Any, problems: list[Problem], locate: _Locator) -> dict[str, str]:
    if not isinstance(table, dict):
        problems.append(Problem("[keymap]", f"expected a table, got {_show(table)}", locate.table(None, "keymap")))
        return {}
    keymap = {}
    for binding_id, value in table.items():
        where = f"[keymap] {_show_key(binding_id)}"
        line = locate("keymap", binding_id)
        if binding_id not in keys.BINDING_IDS:
            message = "unknown binding id" + suggest(binding_id, keys.BINDING_IDS)
            problems.append(Problem(where, message + " (`waitbuddy keys` lists them)", line))
        elif not isinstance(value, str):
            problems.append(Problem(where, f'expected keys as a string such as "ctrl+q" or "x,f2", got {_show(value)}', line))
        elif problem := keys.invalid_key_list(value):
            problems.append(Problem(where, f"{safe_line(problem, limit=200)} in {_show(value)}", line))
        else:
            keymap[binding_id] = ",".join(key.strip() for key in value.split(","))
    for binding_id, message in _key_collisions(keymap):
        problems.append(Problem(f"[keymap] {_show_key(binding_id)}", message, locate("keymap", binding_id)))
    return keymap


def _key_contexts() -> list[list[keys.KeySpec]]:
    """Bindings that must not share a key: those of one scope, and with them the app's priority
    bindings (ctrl+p), which win everywhere. A screen or area may shadow an app key on purpose
    (the help and run screens close with q), so different scopes are not compared."""
    priority = [spec for spec in keys.APP_KEYS if spec.scope == "app" and spec.priority]
    scopes = dict.fromkeys(spec.scope for spec in keys.APP_KEYS)
    return [[*(priority if scope != "app" else ()), *(spec for spec in keys.APP_KEYS if spec.scope == scope)]
            for scope in scopes]


def _canonical_key(key: str) -> str:
    """One spelling per key: "question_mark" and "?" are the same key, modifiers ignore case."""
    key = key.strip()
    if len(key) == 1:  # "+" too
        return key
    *modifiers, base = key.split("+")
    return "+".join([*(modifier.lower() for modifier in modifiers), keys.display_keys(base)])


def _key_collisions(keymap: dict[str, str]) -> list[tuple[str, str]]:
    """(binding id, message) for each rebound key that another binding of the same scope also
    has: one of the two would never fire. Reported once per pair, on the binding set later in
    the file (or the only one the user set)."""
    order = list(keymap)
    clashes: dict[tuple[str, str], list[str]] = {}  # (binding id, key) -> the other bindings with it
    for context in _key_contexts():
        bound = {spec.id: {_canonical_key(key) for key in keymap.get(spec.id, spec.keys).split(",")}
                 for spec in context}
        for index, binding_id in enumerate(order):
            for other, other_keys in bound.items() if binding_id in bound else ():
                if other == binding_id or (other in keymap and order.index(other) > index):
                    continue  # a pair of rebound keys is reported on the later one
                for key in sorted(bound[binding_id] & other_keys):
                    others = clashes.setdefault((binding_id, key), [])
                    if other not in others:
                        others.append(other)
    return [(binding_id, f'"{key}" is also the key of {", ".join(others)}; bind one of them to another key')
            for (binding_id, key), others in clashes.items()]


def suggest(word: str, options: Any, before: str = '"', after: str = '"') -> str:
    if len(word) > 100:  # no option is that long, and difflib's cost grows with it
        return ""
    matches = difflib.get_close_matches(word, sorted(options), n=1, cutoff=0.6)
    return f"; did you mean {before}{matches[0]}{after}?" if matches else ""


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(safe_line(value, limit=60), ensure_ascii=False)
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return safe_line(str(value), limit=60)


def _show_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(safe_line(key, limit=60))


_AT_LINE = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


def _syntax_problem(message: str) -> Problem:
    match = _AT_LINE.search(message)
    if not match:
        return Problem("", f"invalid TOML: {message}")
    detail = message[: match.start()]
    return Problem("", f"invalid TOML at column {match.group(2)}: {detail}", int(match.group(1)))


class _Locator:
    """Finds the line of ``[table]`` / ``key = ...`` in the source (tomllib gives no positions)."""

    _HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(?:#.*)?$")
    _KEY = re.compile(r"""^\s*("(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_-]+)\s*=""")

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def table(self, section: str | None, key: str) -> int | None:
        """Line of a value that should have been a table: ``key = ...``, or ``[[section.key]]``."""
        return self(section, key) or self.nth_array_table(f"{section}.{key}" if section else key, 1)

    def nth_array_table(self, table: str, index: int) -> int | None:
        """Line of the index-th (1-based) ``[[table]]`` header."""
        seen = 0
        for number, line in enumerate(self.lines, start=1):
            if line.strip().replace(" ", "").startswith(f"[[{table}]]"):
                seen += 1
                if seen == index:
                    return number
        return None

    def __call__(self, table: str | None, key: str | None = None) -> int | None:
        current: str | None = None
        for number, line in enumerate(self.lines, start=1):
            if header := self._HEADER.match(line):
                current = header.group(1).strip().strip("\"'")
                if key is None and current == table:
                    return number
                continue
            if match := self._KEY.match(line):
                name = match.group(1).strip("\"'")
                if current == table and name == key:
                    return number
                if current is None and table is None and name == key:
                    return number
        return None


def render_example() -> str:
    """The text of ``config.toml.example``: every key, its default and what it does."""
    out = [
        "# waitbuddy configuration. Every key is shown with its default value.",
        "# Put this file where `waitbuddy paths` says (`waitbuddy config init` does it for you),",
        "# then change what you need. Unknown keys are errors, so a typo never goes unnoticed;",
        "# `waitbuddy config check` validates the file without starting the app.",
    ]
    defaults = Config()
    for name in _SECTIONS:
        section = getattr(defaults, name)
        out += ["", f"[{name}]"]
        assert is_dataclass(section)
        _render_table(out, section)
        for spec in fields(section):
            value = getattr(section, spec.name)
            if is_dataclass(value):
                out += ["", f"[{name}.{spec.name}]"] + [f"# {line}" for line in spec.metadata["doc"].splitlines()]
                _render_table(out, value)
        if name == "runs":
            out += [
                "",
                "# Your own log formats (none by default). Each is a regular expression with named groups:",
                "# done, total (progress), epoch, epochs, and any other name is a metric. It is searched in",
                "# each line of the log as a terminal shows it; every sample line must match, or the config",
                "# is refused. Keep patterns simple (no nested repetition): they run on every line.",
                "# [[runs.formats]]",
                "# name = \"my-trainer\"",
                "# pattern = 'it (?P<done>\\d+)/(?P<total>\\d+) .*loss (?P<loss>[\\d.]+)'",
                "# samples = [\"it 120/5000 took 0.31s loss 2.3041\"]",
            ]
    out += [
        "",
        "[keymap]",
        "# Rebind keys by binding id: id = \"key\" or \"key1,key2\". Keys are Textual key names:",
        "# a character (\"x\", \"?\"), a named key (\"f2\", \"escape\", \"pageup\") or modifiers",
        "# joined with + (\"ctrl+q\", \"shift+tab\"). The defaults:",
    ]
    for spec in keys.APP_KEYS:
        out.append(f"# {spec.id} = {json.dumps(spec.keys)}  # {spec.description}")
    return "\n".join(out) + "\n"


def _render_table(out: list[str], section: Any) -> None:
    for spec in fields(section):
        value = getattr(section, spec.name)
        if spec.metadata.get("table_array") or is_dataclass(value):
            continue  # documented after the section's plain keys
        out += [f"# {line}" if line else "#" for line in spec.metadata["doc"].splitlines()]
        if rule := _rule(spec):
            out.append(f"# {rule}")
        out.append(f"{spec.name} = {_toml_value(value)}")


def _rule(spec: Any) -> str:
    """What the validator accepts beyond the type, in words, from the same metadata it checks."""
    if spec.metadata.get("url"):
        return "An http:// or https://" + (" URL, or empty." if spec.metadata.get("empty_ok") else " URL.")
    if "minimum" in spec.metadata:
        return ("Each from " if spec.metadata.get("item") else "From ") + _bounds(spec) + "."
    return ""


def _toml_value(value: Any) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    return str(value)
