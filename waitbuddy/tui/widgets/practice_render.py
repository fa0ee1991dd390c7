"""How the Practice area looks and what its filter means: category header rows, problem rows and
the filter words (``due``, ``blind75``, a difficulty, a status, anything else: words of the title,
slug or category). Titles and categories from user lists are untrusted: they pass ``safe_line``
and are only ever placed in ``Content`` as text, never parsed as markup."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from textual.content import Content

from waitbuddy.practice.lists import Problem
from waitbuddy.practice.progress import STATUSES, State, is_due
from waitbuddy.reading.present import age_text
from waitbuddy.text import safe_line

VIEWS = ("all", "due", "blind75")
STATUS_MARK = {"new": "·", "attempted": "◐", "solved": "✓"}
STATUS_STYLE = {"new": "$text-muted", "attempted": "$text-warning", "solved": "$text-success"}
DIFFICULTY_STYLE = {"Easy": "$text-success", "Medium": "$text-warning", "Hard": "$text-error"}
FLAGS = {"due", "blind75", "b75", "easy", "medium", "hard", *STATUSES, "skipped"}


@dataclass(frozen=True)
class Header:
    category: str
    solved: int
    total: int


@dataclass(frozen=True)
class Item:
    problem: Problem
    state: State | None
    last: datetime | None  # the last attempt
    due: bool
    skipped: bool = False

    @property
    def status(self) -> str:
        return "new" if self.state is None else self.state.status


def parse_filter(text: str) -> tuple[frozenset[str], tuple[str, ...]]:
    """(flags, words): ``due``, ``blind75``, a difficulty or a status are flags; the rest are words."""
    flags, words = set(), []
    for word in text.lower().split():
        if word in FLAGS:
            flags.add("blind75" if word == "b75" else word)
        else:
            words.append(word)
    return frozenset(flags), tuple(words)


def matches(item: Item, flags: frozenset[str], words: Sequence[str]) -> bool:
    problem = item.problem
    if "due" in flags and not item.due or "blind75" in flags and not problem.blind75:
        return False
    if "skipped" in flags and not item.skipped:
        return False
    difficulties = flags & {"easy", "medium", "hard"}
    if difficulties and problem.difficulty.lower() not in difficulties:
        return False
    statuses = flags & set(STATUSES)
    if statuses and item.status not in statuses:
        return False
    text = f"{problem.title} {problem.slug} {problem.category}".lower()
    return all(word in text for word in words)


def build_rows(problems: Sequence[Problem], states: Mapping[str, State], last: Mapping[str, datetime],
               skipped: frozenset[str], now: datetime, view: str, query: str) -> list[Header | Item]:
    """Problems in roadmap order, grouped by category (a header before each group shown)."""
    flags, words = parse_filter(query)
    if view != "all":
        flags = flags | {view}
    groups: dict[str, list[Item]] = {}
    totals: dict[str, list[int]] = {}
    for problem in problems:
        state = states.get(problem.slug)
        item = Item(problem, state, last.get(problem.slug), state is not None and is_due(state, now),
                    problem.slug in skipped)
        counts = totals.setdefault(problem.category, [0, 0])
        counts[0] += item.status == "solved"
        counts[1] += 1
        if matches(item, flags, words):
            groups.setdefault(problem.category, []).append(item)
    rows: list[Header | Item] = []
    for category, items in groups.items():
        rows.append(Header(category, *totals[category]))
        rows.extend(items)
    return rows


def header_row(header: Header, width: int) -> Content:
    name = safe_line(header.category, limit=60) or "(no category)"
    right = f" {header.solved}/{header.total}"
    bar_width = 10 if width >= 50 else 0
    full = round(bar_width * header.solved / header.total) if header.total else 0
    bar = (" " + "█" * full + "░" * (bar_width - full)) if bar_width else ""
    body = Content(name).stylize("bold").truncate(max(width - len(right) - len(bar), 1), ellipsis=True, pad=True)
    return Content.assemble(body, (right, "$text-muted"), (bar, "$text-accent"))


def item_row(item: Item, width: int, now: datetime) -> Content:
    """``  ✓ Two Sum          B75 Easy   solved   due  3d``: status mark, title, Blind 75 mark,
    difficulty, status, due marker, the last attempt's age."""
    problem = item.problem
    status = item.status
    compact = width < 60
    due = "due" if item.due else ("skip" if item.skipped else "")
    age = age_text(item.last, now) if item.last else ""
    if compact:
        right = Content.assemble(" ", (problem.difficulty[0], DIFFICULTY_STYLE.get(problem.difficulty, "")),
                                 (f" {due:>4}", "$text-accent"))
    else:
        right = Content.assemble(
            (" B75" if problem.blind75 else "    ", "$text-muted"), " ",
            (f"{problem.difficulty:<6}", DIFFICULTY_STYLE.get(problem.difficulty, "")), " ",
            (f"{status:<10}", STATUS_STYLE.get(status, "")),
            (f"{due:<4}", "$text-accent"), (f" {age:>3}", "$text-muted"))
    left = Content.assemble("  ", (STATUS_MARK.get(status, " "), STATUS_STYLE.get(status, "")), " ")
    title = safe_line(problem.title, limit=200) or problem.slug
    room = max(width - left.cell_length - right.cell_length, 1)
    body = Content(title).stylize("dim" if item.skipped else "").truncate(room, ellipsis=True, pad=True)
    return Content.assemble(left, body, right)
