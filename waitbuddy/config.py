"""TOML config -> frozen, validated objects.

The schema is the dataclasses below: each field's type and default is the rule, its ``doc`` the
documentation. ``render_example()`` writes ``config.toml.example`` from the same schema, so the
example documents every key with its real default.

The engine knows no section by name. A field whose default is a dataclass is a ``[table]``; one
with ``table_array=Cls`` in its metadata is an array of tables (``[[runs.formats]]``), each entry
built as ``Cls`` with the same checks, and rendered from the field's ``example``. Other metadata:
``choices``, ``minimum``/``maximum``, ``url``/``empty_ok``, ``item`` (a list of that type),
``nonempty``, ``wanted`` (the words for what is expected), ``label`` (the entry field that names an
entry in errors), ``builder`` (a table validated by its own function, like ``[keymap]``) and
``not_a_key``. A field without a default is required. A dataclass's ``validate()`` method, if it
has one, returns ``(key, message)`` pairs for what only the type can judge (a regex and its samples).

Errors name the file, the line (found in the text, as tomllib does not report it for values),
the key path and what was expected; unknown keys get a did-you-mean suggestion.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar

from waitbuddy.format_check import format_problem
from waitbuddy.text import openable_url, safe_line

if TYPE_CHECKING:  # the key bindings are imported where [keymap] is read or written: most configs have none
    from waitbuddy import keys

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

    name: str = field(metadata=_doc("What the format is called.", label=True, nonempty=True,
                                    wanted="a name (a string)"))
    pattern: str = field(metadata=_doc("The regular expression.", wanted="a regular expression string"))
    samples: tuple[str, ...] = field(
        metadata=_doc("Log lines the pattern must match.", item=str, nonempty=True,
                      wanted="a list of sample log lines the pattern matches"),
    )

    def validate(self) -> list[tuple[str, str]]:
        """A regex that compiles, names its groups, matches every sample and cannot backtrack for hours."""
        problem = format_problem(self.pattern, self.samples)
        return [("pattern", problem)] if problem else []


FORMATS_EXAMPLE = """\
# Your own log formats (none by default). Each is a regular expression with named groups:
# done, total (progress), epoch, epochs, and any other name is a metric. It is searched in
# each line of the log as a terminal shows it; every sample line must match, or the config
# is refused. Keep patterns simple (no nested repetition): they run on every line.
# [[runs.formats]]
# name = "my-trainer"
# pattern = 'it (?P<done>\\d+)/(?P<total>\\d+) .*loss (?P<loss>[\\d.]+)'
# samples = ["it 120/5000 took 0.31s loss 2.3041"]
"""


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
    ssh_command: tuple[str, ...] = field(
        default=("ssh",),
        metadata=_doc("The ssh program and any options of your own, for logs on other machines\n"
                      "(watch ssh://host/path). Your ~/.ssh/config, keys, agent and jump hosts apply;\n"
                      "e.g. [\"ssh\", \"-F\", \"/home/me/.ssh/cluster_config\"].", item=str, nonempty=True),
    )
    # Every squeue is an RPC to the cluster's one controller: Slurm asks users to keep them rare.
    slurm_poll_seconds: float = field(
        default=60.0,
        metadata=_doc("Seconds between the one batched squeue that asks Slurm about every watched job.",
                      minimum=30, maximum=600),
    )
    formats: tuple[UserFormat, ...] = field(
        default=(), metadata=_doc("", table_array=UserFormat, example=FORMATS_EXAMPLE),
    )


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


FEED_REFRESH_MINUTES = (5, 10080)  # at least 5 minutes (politeness), at most a week


@dataclass(frozen=True)
class Feed:
    """A feed to follow: a URL, ``arxiv:cs.LG`` (categories joined with +) or ``arxiv-search:"..."``."""

    url: str = field(metadata=_doc("A feed URL, arxiv:CATEGORIES or arxiv-search:QUERY.", label=True, nonempty=True,
                                   wanted="a feed URL, arxiv:CATEGORY or arxiv-search:QUERY (a string)"))
    name: str = field(default="", metadata=_doc("Shown instead of the feed's own title."))
    tags: tuple[str, ...] = field(default=(), metadata=_doc("Tags, to filter by (tag:papers).", item=str))
    refresh_minutes: int = field(
        default=0, metadata=_doc("Minutes between refreshes; 0: [feed_settings] refresh_minutes.", minimum=0,
                                 maximum=FEED_REFRESH_MINUTES[1]))

    def validate(self) -> list[tuple[str, str]]:
        """The source must be one ``waitbuddy feeds add`` accepts; an interval, if set, at least 5 minutes."""
        from waitbuddy.feeds.sources import parse_source  # only when [[feeds]] are configured

        problems = []
        try:
            parse_source(self.url)
        except ValueError as exc:
            problems.append(("url", str(exc)))
        if 0 < self.refresh_minutes < FEED_REFRESH_MINUTES[0]:
            low, high = FEED_REFRESH_MINUTES
            problems.append(("refresh_minutes", f"expected 0 or {low} to {high}, got {self.refresh_minutes}"))
        return problems


FEEDS_EXAMPLE = """\
# Feeds to follow (none by default; `waitbuddy feeds add` adds more without editing this file).
# url is a feed URL (RSS, Atom), arxiv:CATEGORIES (arxiv:cs.LG+stat.ML: one request for both)
# or arxiv-search:QUERY (arxiv-search:"diffusion transformer", ti:lora AND au:hu).
# [[feeds]]
# url = "arxiv:cs.LG"
# name = "arXiv cs.LG"
# tags = ["papers"]
# refresh_minutes = 0
"""


@dataclass(frozen=True)
class FeedSettings:
    interests: tuple[str, ...] = field(
        default=(),
        metadata=_doc("Words or phrases you care about, e.g. [\"diffusion\", \"LoRA\"]: items naming them rank higher\n"
                      "(shown as \"matches: ...\" beside the item).", item=str),
    )
    mute: tuple[str, ...] = field(
        default=(), metadata=_doc("Words or phrases whose items are never stored or shown, e.g. [\"crypto\"].", item=str),
    )
    retention_days: int = field(
        default=30,
        metadata=_doc("Items no feed has listed for this many days are forgotten (saved items are kept).",
                      minimum=1, maximum=36500),
    )
    refresh_minutes: int = field(
        default=60, metadata=_doc("Minutes between refreshes of a feed (each [[feeds]] entry may set its own).",
                                  minimum=FEED_REFRESH_MINUTES[0], maximum=FEED_REFRESH_MINUTES[1]),
    )
    show_replacements: bool = field(
        default=False, metadata=_doc("Show arXiv replacements (new versions of older papers), not only new ones."),
    )


@dataclass(frozen=True)
class ChecklistItem:
    title: str = field(metadata=_doc("What to do, in a line.", label=True, nonempty=True))
    minutes: int = field(default=15, metadata=_doc("Estimate in minutes.", minimum=1, maximum=600))
    every: str = field(default="weekly", metadata=_doc(
        'daily, weekly, monthly, quarterly, "every N days" or "per run" (a new training run started).'))

    def validate(self) -> list[tuple[str, str]]:
        from waitbuddy.checklists.recurrence import parse  # only when [[checklists]] are configured

        try:
            parse(self.every)
        except ValueError as exc:
            return [("every", str(exc))]
        return []


@dataclass(frozen=True)
class Checklist:
    """A list of your own: its items each tick off again when their period comes round."""

    name: str = field(metadata=_doc("The list's name (the name of a built-in list adds to it).", label=True,
                                    nonempty=True))
    enabled: bool = field(default=True, metadata=_doc("false: hide the list, keeping its history."))
    items: tuple[ChecklistItem, ...] = field(default=(), metadata=_doc("", table_array=ChecklistItem))


CHECKLISTS_EXAMPLE = """\
# Your own checklists (none by default; `waitbuddy checklists add LIST TITLE` adds items too).
# every: daily, weekly, monthly, quarterly, "every N days" or "per run".
# [[checklists]]
# name = "Research"
# items = [
#   { title = "Skim the new papers of my subfield", minutes = 20, every = "weekly" },
#   { title = "Back up the experiment notes", minutes = 5, every = "every 3 days" },
# ]
"""


@dataclass(frozen=True)
class ChecklistSettings:
    profile: bool = field(default=True, metadata=_doc(
        "The built-in Profile list (LinkedIn, résumé, GitHub profile, portfolio)."))
    community: bool = field(default=True, metadata=_doc(
        "The built-in Community list (answer a question, read a notebook, try a library)."))
    while_it_trains: bool = field(default=True, metadata=_doc(
        "The built-in While it trains list (the run's question, next experiments, tests, progress note)."))
    timezone: str = field(default="", metadata=_doc(
        'Where days, weeks and months start, e.g. "Europe/Berlin"; empty: the system\'s time zone.'))

    def validate(self) -> list[tuple[str, str]]:
        if not self.timezone:
            return []
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            return [("timezone", f"expected an IANA time zone such as \"Europe/Berlin\", got {_show(self.timezone)}")]
        return []


@dataclass(frozen=True)
class PracticeConfig:
    lists: tuple[str, ...] = field(
        default=(),
        metadata=_doc("Your own problem lists besides the bundled NeetCode 150, e.g. [\"~/my-list.toml\"]: TOML\n"
                      "([[problems]] with slug, difficulty, category, title), CSV (slug or URL, difficulty,\n"
                      "category, title) or a plain list of LeetCode URLs, one a line.", item=str),
    )
    easy_minutes: int = field(
        default=15, metadata=_doc("Typical minutes for an Easy problem, until you have timed 3 of your own.",
                                  minimum=1, maximum=600))
    medium_minutes: int = field(
        default=30, metadata=_doc("Typical minutes for a Medium problem, until you have timed 3 of your own.",
                                  minimum=1, maximum=600))
    hard_minutes: int = field(
        default=45, metadata=_doc("Typical minutes for a Hard problem, until you have timed 3 of your own.",
                                  minimum=1, maximum=600))
    desired_retention: float = field(
        default=0.9, metadata=_doc("Spaced review (FSRS): the chance of still solving a problem when it comes back\n"
                                   "(higher: more frequent reviews).", minimum=0.7, maximum=0.99))

    @property
    def typical_minutes(self) -> dict[str, int]:
        return {"Easy": self.easy_minutes, "Medium": self.medium_minutes, "Hard": self.hard_minutes}


PLAN_KINDS = ("reading", "paper", "practice", "checklist")  # waitbuddy.planner.model.KINDS


@dataclass(frozen=True)
class PlannerConfig:
    reading: int = field(default=40, metadata=_doc(
        "How the wait is shared between kinds, as weights (40/20/30/10 is 40% of the minutes for the\n"
        "backlog, ...); 0 leaves a kind out. Reading: the backlog.", minimum=0, maximum=100))
    paper: int = field(default=20, metadata=_doc("Papers and posts from your feeds, to skim.", minimum=0, maximum=100))
    practice: int = field(default=30, metadata=_doc("LeetCode practice: due reviews and new problems.",
                                                    minimum=0, maximum=100))
    checklist: int = field(default=10, metadata=_doc("Checklist items that are due.", minimum=0, maximum=100))
    leave_out: tuple[str, ...] = field(default=(), metadata=_doc(
        "Kinds never to suggest, e.g. [\"practice\"] (the same as a weight of 0).", item=str))
    max_items: int = field(default=4, metadata=_doc("Suggestions in a plan at most.", minimum=1, maximum=20))
    margin_minutes: int = field(default=2, metadata=_doc(
        "Minutes kept free before the run ends (to look at its results).", minimum=0, maximum=120))

    def validate(self) -> list[tuple[str, str]]:
        unknown = [kind for kind in self.leave_out if kind not in PLAN_KINDS]
        if unknown:
            return [("leave_out", f"unknown kind {_show(unknown[0])} (expected some of {', '.join(PLAN_KINDS)})")]
        if not any(getattr(self, kind) for kind in PLAN_KINDS if kind not in self.leave_out):
            return [("reading", "every kind is left out: the planner would have nothing to suggest")]
        return []

    @property
    def balance(self) -> dict[str, int]:
        return {kind: getattr(self, kind) for kind in PLAN_KINDS}


@dataclass(frozen=True)
class Config:
    ui: UIConfig = field(default_factory=UIConfig)
    runs: RunsConfig = field(default_factory=RunsConfig)
    alerts: AlertsConfig = field(default_factory=AlertsConfig)
    backlog: BacklogConfig = field(default_factory=BacklogConfig)
    feed_settings: FeedSettings = field(default_factory=FeedSettings)
    feeds: tuple[Feed, ...] = field(default=(), metadata=_doc("", table_array=Feed, example=FEEDS_EXAMPLE))
    practice: PracticeConfig = field(default_factory=PracticeConfig)
    checklist_settings: ChecklistSettings = field(default_factory=ChecklistSettings)
    checklists: tuple[Checklist, ...] = field(default=(), metadata=_doc("", table_array=Checklist,
                                                                         example=CHECKLISTS_EXAMPLE))
    planner: PlannerConfig = field(default_factory=PlannerConfig)
    keymap: Mapping[str, str] = field(
        default_factory=lambda: MappingProxyType({}),
        metadata=_doc("", builder=lambda table, problems, locate: MappingProxyType(
            _build_keymap(table, problems, locate)), example=lambda: _keymap_example()),
    )
    path: Path | None = field(default=None, compare=False, metadata=_doc("", not_a_key=True))  # where it was read from


_Root = TypeVar("_Root")  # Config, or a test's own root declared the same way


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


def load(path: Path, *, must_exist: bool = False, root: type[_Root] = Config) -> _Root:  # type: ignore[assignment]
    """Read and validate ``path``. A missing file means defaults unless ``must_exist``."""
    try:
        data = _read(path)
    except FileNotFoundError:
        if must_exist:
            raise ConfigError(path, [Problem("", "config file not found")]) from None
        return root(**_path_field(root, None))
    except IsADirectoryError:
        raise ConfigError(path, [Problem("", "is a directory, expected a TOML file")]) from None
    except OSError as exc:
        raise ConfigError(path, [Problem("", f"cannot read: {exc.strerror or exc}")]) from None
    return parse(data, path, root=root)


def _read(path: Path) -> bytes:
    """The bytes of a config file. Anything but a regular file is refused without being opened
    (a FIFO blocks until a writer comes, /dev/zero never ends), and a file too big to be a config
    without being read; raises OSError for the caller to word."""
    info = os.stat(path)  # no config file (the defaults): FileNotFoundError before any import below
    if stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(path)
    from waitbuddy.runs.targets import special_kind

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


def parse(data: bytes | str, path: Path | str = "config.toml", root: type[_Root] = Config) -> _Root:  # type: ignore[assignment]
    """Validate TOML text into a :class:`Config` (or another ``root`` dataclass declared the same
    way); raise :class:`ConfigError` listing every problem."""
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
    import tomllib  # here, not at the top: with no config file (the defaults) it is never needed

    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, [_syntax_problem(str(exc))]) from None
    except RecursionError:  # tomllib recurses per level: a = [[[[...]]]] thousands deep
        raise ConfigError(path, [Problem("", "arrays or tables nested too deeply to be a config")]) from None

    problems: list[Problem] = []
    built = _build(root, _Place(None, ""), raw, problems, _Locator(text), _path_field(root, path))
    if problems:
        raise ConfigError(path, problems)
    return built


def _path_field(root: type, path: Path | None) -> dict[str, Any]:
    """Where a root was read from, for a root that keeps it (``Config.path``)."""
    return {"path": path} if "path" in {spec.name for spec in fields(root)} else {}


def _sections(root: type) -> dict[str, type]:
    """A root's ``[tables]`` that are dataclasses (ui, runs, ...), by name."""
    return {spec.name: section for spec in fields(root) if (section := _section_class(spec)) is not None}


def _section_class(spec: Any) -> type | None:
    """The dataclass a field holds as a ``[table]``, or None."""
    if not callable(spec.default_factory) or spec.metadata.get("builder"):
        return None
    value = spec.default_factory()
    return type(value) if is_dataclass(value) else None


_SECTIONS = _sections(Config)


@dataclass(frozen=True)
class _Place:
    """A table being built: its TOML path, how problems name it, and for an array entry the line
    of its ``[[header]]``, where all of its problems are shown."""

    name: str | None  # "runs", "alerts.ntfy", "runs.formats"; None at the top level
    where: str  # "[runs]", '[[runs.formats]] "mine"'; "" at the top level
    line: int | None = None  # an array entry's; a table's keys are found one by one

    def key(self, key: str) -> str:
        return f"{self.where} {_show_key(key)}" if self.where else _show_key(key)

    def dotted(self, key: str) -> str:
        return f"{self.name}.{key}" if self.name else key

    def line_of(self, locate: _Locator, key: str | None) -> int | None:
        return self.line or locate(self.name, key)


_BAD = object()  # a value with a problem, left out of what is built


def _build(cls: type, place: _Place, table: dict[str, Any], problems: list[Problem], locate: _Locator,
           extra: dict[str, Any] | None = None) -> Any:
    """``table`` as a ``cls``: each key checked by its field, unknown keys reported with a
    suggestion, required keys demanded, then the type's own ``validate()``. ``_BAD`` if any problem."""
    known = {spec.name: spec for spec in fields(cls) if not spec.metadata.get("not_a_key")}
    before = len(problems)
    values: dict[str, Any] = {}
    suggested = set()
    for key, value in table.items():
        spec = known.get(key)
        if spec is None:
            problems.append(_unknown(cls, place, key, value, known, locate))
            suggested.add(_closest(key, known))
        elif (built := _value(spec, place, key, value, problems, locate)) is not _BAD:
            values[key] = built
    for name, spec in known.items():
        if name not in table and name not in suggested and spec.default is MISSING and spec.default_factory is MISSING:
            problems.append(Problem(place.key(name), f"expected {_wanted(spec)}, got None", place.line_of(locate, None)))
    if len(problems) > before:
        return _BAD
    built = cls(**values, **(extra or {}))
    for key, message in built.validate() if callable(getattr(built, "validate", None)) else ():
        problems.append(Problem(place.key(key), message, place.line_of(locate, key)))
    return _BAD if len(problems) > before else built


def _unknown(cls: type, place: _Place, key: str, value: Any, known: dict[str, Any], locate: _Locator) -> Problem:
    if place.name is not None:
        return Problem(place.key(key), "unknown key" + suggest(key, known), place.line_of(locate, key))
    tables = {name: spec for name, spec in known.items() if _is_table(spec)}
    match = _closest(key, tables)
    hint = f"; did you mean {_header(match, tables[match])}?" if match else ""
    if isinstance(value, dict) or (isinstance(value, list) and value and all(isinstance(v, dict) for v in value)):
        where = _header(_show_key(key), None, array=isinstance(value, list))
        return Problem(where, "unknown table" + hint, locate(key))
    home = [name for name, section in _sections(cls).items() if key in {spec.name for spec in fields(section)}]
    if home:
        hint = f"; it belongs in the [{home[0]}] table"
    return Problem(_show_key(key), "unknown top-level key" + hint, locate(None, key))


def _is_table(spec: Any) -> bool:
    return bool(spec.metadata.get("builder") or spec.metadata.get("table_array") or _section_class(spec))


def _header(name: str, spec: Any, array: bool = False) -> str:
    return f"[[{name}]]" if array or (spec is not None and spec.metadata.get("table_array")) else f"[{name}]"


def _value(spec: Any, place: _Place, key: str, value: Any, problems: list[Problem], locate: _Locator) -> Any:
    """One key's value, checked against its field; ``_BAD`` (and a problem) if it does not fit."""
    where, line = place.key(key), place.line_of(locate, key)
    if builder := spec.metadata.get("builder"):
        return builder(value, problems, locate)
    if entry := spec.metadata.get("table_array"):
        return _build_array(entry, place, key, value, problems, locate)
    if section := _section_class(spec):
        name = place.dotted(key)
        if not isinstance(value, dict):
            where = where if place.name is not None else f"[{name}]"
            problems.append(Problem(where, f"expected a table, got {_show(value)}", place.line or locate.table(place.name, key)))
            return _BAD
        inner = _Place(name, where, place.line) if place.line else _Place(name, f"[{name}]")
        return _build(section, inner, value, problems, locate)
    if item := spec.metadata.get("item"):
        problem = _list_problem(value, item, spec)
    else:
        problem = _check(value, _field_type(spec), spec.metadata.get("choices"), spec.metadata.get("wanted")) \
            or _out_of_range(value, spec) or _url_problem(value, spec)
    if problem is None and spec.metadata.get("nonempty") and not value:
        problem = f"expected {_wanted(spec)}, got {_show(value)}"
    if problem:
        problems.append(Problem(where, problem, line))
        return _BAD
    return tuple(value) if item else value


def _build_array(cls: type, parent: _Place, key: str, value: Any, problems: list[Problem], locate: _Locator) -> Any:
    """``[[name]]``: each entry built as ``cls``, its problems named by its label (or number) and
    shown at its header line."""
    name = parent.dotted(key)
    header = f"[[{name}]]"
    fallback = parent.line or locate.table(parent.name, key)  # written inline: name = [{...}]
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        problems.append(Problem(header, f"expected {header} tables, got {_show(value)}", fallback))
        return _BAD
    label = next((spec.name for spec in fields(cls) if spec.metadata.get("label")), None)
    built = []
    for index, item in enumerate(value, start=1):
        title = item.get(label) if label else None
        where = f"{header} {_show(title)}" if isinstance(title, str) and title else f"{header} #{index}"
        line = (locate.nth_array_table(name, index) if not parent.line else None) or fallback
        if (entry := _build(cls, _Place(name, where, line), item, problems, locate)) is not _BAD:
            built.append(entry)
    return tuple(built)


def _field_type(spec: Any) -> type:
    if spec.default is not MISSING:
        return type(spec.default)
    if isinstance(spec.type, str):  # from __future__ import annotations
        return {"str": str, "int": int, "float": float, "bool": bool}[spec.type]
    return spec.type


_WANTED = {bool: "true or false", int: "a whole number", float: "a number", str: "a string"}


def _wanted(spec: Any) -> str:
    """What a field expects, in words: its own ``wanted`` or its type's."""
    if wanted := spec.metadata.get("wanted"):
        return wanted
    if item := spec.metadata.get("item"):
        return "a list of " + ("whole numbers" if item is int else "strings")
    return _WANTED.get(_field_type(spec), "a string")


def _check(value: Any, expected: type, choices: tuple[str, ...] | None, wanted: str | None = None) -> str | None:
    if expected is bool:
        ok = isinstance(value, bool)
    elif expected is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif expected is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    else:
        ok = isinstance(value, expected)
    wanted = wanted or _WANTED.get(expected, "a string")
    if choices is not None:
        ok, wanted = value in choices, "one of " + ", ".join(json.dumps(c) for c in choices)
    return None if ok else f"expected {wanted}, got {_show(value)}"


def _list_problem(value: Any, item: type, spec: Any) -> str | None:
    wanted = "whole numbers" if item is int else "strings"
    if not isinstance(value, list) or not all(_check(entry, item, None) is None for entry in value):
        return f"expected {_wanted(spec)}, got {_show(value)}"
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
    from waitbuddy import keys

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
    from waitbuddy import keys

    priority = [spec for spec in keys.APP_KEYS if spec.scope == "app" and spec.priority]
    scopes = dict.fromkeys(spec.scope for spec in keys.APP_KEYS)
    return [[*(priority if scope != "app" else ()), *(spec for spec in keys.APP_KEYS if spec.scope == scope)]
            for scope in scopes]


def _canonical_key(key: str) -> str:
    """One spelling per key: "question_mark" and "?" are the same key, modifiers ignore case."""
    from waitbuddy import keys

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
    match = _closest(word, options)
    return f"; did you mean {before}{match}{after}?" if match else ""


def _closest(word: str, options: Any) -> str | None:
    if len(word) > 100:  # no option is that long, and difflib's cost grows with it
        return None
    import difflib  # only a mistake needs it

    matches = difflib.get_close_matches(word, sorted(options), n=1, cutoff=0.6)
    return matches[0] if matches else None


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(safe_line(value, limit=60), ensure_ascii=False)
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array" if value else "an empty array"
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
    _ARRAY_HEADER = re.compile(r"^\s*\[\[\s*([^\[\]]+?)\s*\]\]\s*(?:#.*)?$")
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
            if header := self._HEADER.match(line) or self._ARRAY_HEADER.match(line):
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


def render_example(root: type = Config) -> str:
    """The text of ``config.toml.example``: every key, its default and what it does."""
    out = [
        "# waitbuddy configuration. Every key is shown with its default value.",
        "# Put this file where `waitbuddy paths` says (`waitbuddy config init` does it for you),",
        "# then change what you need. Unknown keys are errors, so a typo never goes unnoticed;",
        "# `waitbuddy config check` validates the file without starting the app.",
    ]
    defaults = root()
    _render_table(out, defaults)
    _render_children(out, None, defaults)
    return "\n".join(out) + "\n"


def _render_table(out: list[str], table: Any) -> None:
    """A table's plain keys, each with its doc, its rule and its default."""
    for spec in fields(table):
        value = getattr(table, spec.name)
        if _is_table(spec) or spec.metadata.get("not_a_key"):
            continue  # documented after the table's plain keys
        out += [f"# {line}" if line else "#" for line in spec.metadata["doc"].splitlines()]
        if rule := _rule(spec):
            out.append(f"# {rule}")
        out.append(f"{spec.name} = {_toml_value(value)}")


def _render_children(out: list[str], name: str | None, table: Any) -> None:
    """A table's tables, in field order: ``[name.key]`` with its keys, or the field's example."""
    for spec in fields(table):
        if example := spec.metadata.get("example"):
            out += ["", *(example() if callable(example) else example).splitlines()]
        elif spec.metadata.get("table_array"):
            raise TypeError(f"{spec.name}: an array of tables needs an example= to document it")
        elif _section_class(spec):
            dotted = f"{name}.{spec.name}" if name else spec.name
            out += ["", f"[{dotted}]", *(f"# {line}" for line in spec.metadata.get("doc", "").splitlines())]
            _render_table(out, getattr(table, spec.name))
            _render_children(out, dotted, getattr(table, spec.name))


def _keymap_example() -> str:
    from waitbuddy import keys

    lines = [
        "[keymap]",
        "# Rebind keys by binding id: id = \"key\" or \"key1,key2\". Keys are Textual key names:",
        "# a character (\"x\", \"?\"), a named key (\"f2\", \"escape\", \"pageup\") or modifiers",
        "# joined with + (\"ctrl+q\", \"shift+tab\"). The defaults:",
    ]
    lines += [f"# {spec.id} = {json.dumps(spec.keys)}  # {spec.description}" for spec in keys.APP_KEYS]
    return "\n".join(lines)


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
