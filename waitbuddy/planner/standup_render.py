"""The daily update as text: Markdown for the team channel, plain text, and JSON (see
:mod:`waitbuddy.planner.standup`, which builds it and re-exports these).

What the report holds is clean already (:mod:`waitbuddy.text`); Markdown escapes it as well, so
a title can make no link, emphasis, code or block of its own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from waitbuddy import history
from waitbuddy.runs.present import number
from waitbuddy.timefmt import local, short_duration

if TYPE_CHECKING:
    from waitbuddy.planner.standup import Metric, RunEnd, Solved, Standup, Step

SHOWN = 8  # items a section lists before "and N more"

Segment = str | tuple[str, str]  # plain text, or (title, url): a link


def to_markdown(standup: Standup) -> str:
    """For Slack, Teams, GitHub, Discord: ``**Update**``, ``*Runs*`` and ``- `` items, links as
    ``[title](url)``; every untrusted text escaped."""
    return _render(standup, markdown=True)


def to_text(standup: Standup) -> str:
    """Plain text for channels that show Markdown raw: links as ``title — url``."""
    return _render(standup, markdown=False)


def _render(standup: Standup, *, markdown: bool) -> str:
    other_year = standup.since.astimezone(standup.zone).year != standup.until.astimezone(standup.zone).year
    since = local(standup.since, standup.zone, year=other_year)
    lines: list[str] = []
    if standup.nothing_done:
        lines.append(f"Nothing recorded since {since}.")
    else:
        lines.append(f"**Update** since {since}" if markdown else f"Update since {since}")
        for title, items, tail in _update_sections(standup):
            if items or tail:
                lines += ["", f"*{title}*" if markdown else f"{title}:"]
                lines += _items(items, markdown)
                lines += [f"- {tail}"] if tail else []
    upcoming = [*([run_note.run, ": ", run_note.text] for run_note in standup.next_notes),
                *([entry] for entry in standup.queue)]
    if upcoming:
        lines += ["", "**Next**" if markdown else "Next:"]
        lines += _items(upcoming, markdown)
    return "\n".join(lines) + "\n"


def _update_sections(standup: Standup) -> list[tuple[str, list[list[Segment]], str]]:
    """(title, items, a last line shown whatever the cap: ours, never escaped)."""
    entries = standup.feed_entries_read
    skimmed = f"{entries} feed {'entry' if entries == 1 else 'entries'} marked read" if entries else ""
    return [
        ("Runs", [[run.name, ": ", _run_text(run)] for run in standup.runs], ""),
        ("Learned", [[note.run, ": ", note.text] for note in standup.learned], ""),
        ("Read", [[(link.title, link.url)] for link in standup.read], skimmed),
        ("Papers saved", [[(link.title, link.url)] for link in standup.saved], ""),
        ("Problems", [[(problem.title, problem.url), _problem_text(problem)] for problem in standup.problems], ""),
        ("Checklists", [[_step_text(step)] for step in standup.steps], ""),
    ]


def _run_text(run: RunEnd) -> str:
    took = "" if run.duration_seconds is None else \
        f" {'in' if run.status == 'completed' else 'after'} {short_duration(run.duration_seconds)}"
    parts = [f"{run.status}{took}"]
    parts += [_metric_text(metric) for metric in run.metrics]
    reason = run.reason
    if reason.lower().startswith(run.status):  # "interrupted (KeyboardInterrupt)" after "interrupted"
        reason = reason[len(run.status):].strip(" :()")
    if reason:
        parts.append(reason)
    return " · ".join(parts)


def _metric_text(metric: Metric) -> str:
    final = number(metric.final)
    if metric.best is None or number(metric.best) == final:
        return f"{metric.name} {final}"
    return f"{metric.name} {final} (best {number(metric.best)})"


def _problem_text(problem: Solved) -> str:
    said = [problem.difficulty] if problem.difficulty else []
    said.append("not solved yet" if problem.rating == "again" else problem.rating)
    if problem.minutes is not None:
        said.append(f"{problem.minutes} min")
    return f" ({', '.join(said)})"


def _step_text(step: Step) -> str:
    where = f" ({step.list_name})" if step.list_name else ""
    return f"{step.title}{where}" + (f" ×{step.times}" if step.times > 1 else "")


def _items(items: Sequence[Sequence[Segment]], markdown: bool) -> list[str]:
    shown = SHOWN + 1 if len(items) == SHOWN + 1 else SHOWN  # "and 1 more" says no more than the item
    lines = ["- " + "".join(_segment(segment, markdown, first=index == 0) for index, segment in enumerate(item))
             for item in items[:shown]]
    if len(items) > shown:
        lines.append(f"- and {len(items) - shown} more")
    return lines


def _segment(segment: Segment, markdown: bool, *, first: bool) -> str:
    if isinstance(segment, tuple) and segment[1]:
        title, url = segment
        return f"[{_escape(title)}]({_destination(url)})" if markdown else f"{title} — {url}"
    text = segment if isinstance(segment, str) else segment[0]
    return _escape(text, first=first) if markdown else text


# What Markdown would take as markup anywhere in a line: "_" only where it could start or end
# emphasis (not inside a word: run and metric names such as eval_acc stay readable), "!" not at
# all (an image needs the "[" escaped here); and what starts a block at the start of an item.
_MARKUP = re.compile(r"[\\`*\[\]<~]|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")
_BLOCK_START = re.compile(r"^(?:[#>+=-]|\d+[.)])")


def _escape(text: str, *, first: bool = False) -> str:
    escaped = _MARKUP.sub(lambda match: "\\" + match.group(), text)
    if first:
        escaped = _BLOCK_START.sub(lambda match: match.group()[:-1] + "\\" + match.group()[-1], escaped)
    return escaped


def _destination(url: str) -> str:
    """A link target no renderer misreads: what would end or break it percent-encoded (the URL
    still means the same)."""
    return url.translate(_DESTINATION)


_DESTINATION = {ord(char): f"%{ord(char):02X}" for char in "()<> \\"}


def to_json(standup: Standup) -> dict:
    """The report as one JSON object (``standup --json``); times ISO 8601 UTC."""
    return {
        "since": history.stamp(standup.since),
        "until": history.stamp(standup.until),
        "nothing_done": standup.nothing_done,
        "runs": [{"id": run.run_id, "name": run.name, "status": run.status, "ended_at": history.stamp(run.ended_at),
                  "duration_seconds": run.duration_seconds, "reason": run.reason or None,
                  "metrics": [{"name": metric.name, "final": metric.final, "best": metric.best}
                              for metric in run.metrics]} for run in standup.runs],
        "learned": [{"run_id": note.run_id, "run": note.run, "text": note.text} for note in standup.learned],
        "read": [{"title": link.title, "url": link.url or None} for link in standup.read],
        "feed_entries_read": standup.feed_entries_read,
        "saved": [{"title": link.title, "url": link.url or None} for link in standup.saved],
        "problems": [{"slug": problem.slug, "title": problem.title, "difficulty": problem.difficulty or None,
                      "rating": problem.rating, "minutes": problem.minutes, "url": problem.url or None} for problem in standup.problems],
        "checklists": [{"title": step.title, "list": step.list_name, "times": step.times} for step in standup.steps],
        "next": [*({"text": note.text, "run_id": note.run_id, "run": note.run, "from": "note"}
                   for note in standup.next_notes),
                 *({"text": entry, "run_id": None, "run": None, "from": "planner"} for entry in standup.queue)],
    }
