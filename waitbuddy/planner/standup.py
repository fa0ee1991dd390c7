"""The daily update people paste in the team channel: what happened in a window of time (runs that
ended, what was read and saved, problems solved, checklist steps, what runs taught) and what is next.

Built from facts recorded once (:mod:`waitbuddy.history`, the run registry, run notes), never from
``updated_at``. :func:`build` reads the store; :func:`to_markdown`, :func:`to_text` and
:func:`to_json` (from :mod:`~waitbuddy.planner.standup_render`) only format. Every title, name and note is untrusted: cleaned through
:mod:`waitbuddy.text` when read, and Markdown-escaped when written as Markdown, so no escape code
and no crafted link (``](javascript:…)``) reaches the output. Headless: never imports Textual.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

from waitbuddy import history
from waitbuddy.feeds import library
from waitbuddy.planner.standup_render import to_json, to_markdown, to_text  # beside: it only reads a Standup
from waitbuddy.practice import lists
from waitbuddy.reading import backlog
from waitbuddy.runs import notes, registry
from waitbuddy.runs.observe import is_loss_like
from waitbuddy.runs.snapshot import RunSnapshot
from waitbuddy.text import openable_url, safe_line, visible
from waitbuddy.timefmt import parse_iso, timestamp

if TYPE_CHECKING:
    from waitbuddy.store import Store

__all__ = ["FORMATS", "Link", "Metric", "RunEnd", "RunNote", "SinceError", "Solved", "Standup", "Step", "build", "key_metrics",
           "parse_since", "to_json", "to_markdown", "to_text", "until_now"]

FORMATS = ("markdown", "text")
NEXT_NOTES = 20  # open "next" notes read (newest first)
TITLE_LIMIT = 160
REASON_LIMIT = 160
NOTE_LIMIT = 300


# -- the report --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Metric:
    name: str
    final: int | float | str  # a number, or "nan"/"inf"/"-inf"
    best: int | float | None = None


@dataclass(frozen=True)
class RunEnd:
    run_id: int
    name: str
    status: str  # completed, failed or interrupted
    ended_at: datetime
    duration_seconds: float | None
    metrics: tuple[Metric, ...] = ()
    reason: str = ""  # why it failed or was interrupted


@dataclass(frozen=True)
class Link:
    title: str
    url: str  # an http(s) URL with a host, or "" when there is none to show


@dataclass(frozen=True)
class Solved:
    slug: str
    title: str
    difficulty: str  # Easy, Medium, Hard, or "" for a problem no list knows
    rating: str  # again (not solved), hard, good, easy
    minutes: int | None

    @property
    def url(self) -> str:
        """Its LeetCode page; "" for a subject that is no slug (a damaged event)."""
        return lists.URL_TEMPLATE.format(slug=self.slug) if lists.slug_of(self.slug) == self.slug else ""


@dataclass(frozen=True)
class Step:
    title: str
    list_name: str
    times: int = 1  # done this often in the window (a daily item over a week)


@dataclass(frozen=True)
class RunNote:
    run_id: int
    run: str  # the run's name
    text: str


@dataclass(frozen=True)
class Standup:
    since: datetime
    until: datetime
    zone: tzinfo | None = None  # where times are shown (None: the system's)
    runs: tuple[RunEnd, ...] = ()
    read: tuple[Link, ...] = ()
    feed_entries_read: int = 0  # counted, not listed: a feed is marked read 200 at a time
    saved: tuple[Link, ...] = ()
    problems: tuple[Solved, ...] = ()
    steps: tuple[Step, ...] = ()
    learned: tuple[RunNote, ...] = ()
    next_notes: tuple[RunNote, ...] = ()
    queue: tuple[str, ...] = ()  # the planner's upcoming suggestions

    @property
    def nothing_done(self) -> bool:
        return not (self.runs or self.read or self.feed_entries_read or self.saved or self.problems or self.steps
                    or self.learned)


# -- the window --------------------------------------------------------------------------------------


def until_now() -> datetime:
    """The end of a window that ends now: events are stamped to the second, and what happened in
    this second is in (the end is exclusive)."""
    return datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)


class SinceError(ValueError):
    """A ``--since`` that cannot be understood; ``str()`` says what is expected."""


_SPAN = re.compile(r"(\d{1,5})\s*(m|min|h|d|w)")
_UNIT = {"m": 60, "min": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_since(text: str, now: datetime, zone: tzinfo | None = None) -> datetime:
    """The start of the window: ``24h``, ``90m``, ``3d``, ``1w`` back from ``now``, or an ISO date
    or time (``2026-11-30``: that day's local midnight; a time without a zone is local). Raises
    :class:`SinceError` for anything else, or a start that is not before ``now``."""
    given = text.strip().lower()
    if match := _SPAN.fullmatch(given):
        start = now - timedelta(seconds=int(match.group(1)) * _UNIT[match.group(2)])
    else:
        try:
            start = parse_iso(given)
        except ValueError:
            raise SinceError(f"expected a span such as 24h, 3d or 1w, or a date such as 2026-11-30; "
                             f"got {visible(text, limit=60)!r}") from None
        if start.tzinfo is None:
            start = start.replace(tzinfo=zone) if zone is not None else start.astimezone()
    if start >= now:
        raise SinceError(f"{visible(text, limit=60)!r} is not in the past")
    return start


# -- building it -------------------------------------------------------------------------------------


def build(store: Store, *, since: datetime, until: datetime, queue: Sequence[str] = (), zone: tzinfo | None = None,
          catalog: lists.Catalog | None = None) -> Standup:
    """What happened with ``since <= at < until``, and what is next. ``queue`` is the planner's
    upcoming suggestions as short lines; ``catalog`` names problems (the bundled lists when None)."""
    runs: dict[int, RunEnd] = {}
    read: dict[str, Link] = {}
    feed_reads = 0
    added_papers: dict[int, Link] = {}  # backlog item id -> link
    feed_saves: list[tuple[int, Link]] = []  # (feed entry id, link)
    problems: list[Solved] = []
    steps: dict[tuple[str, str], int] = {}
    known = None
    names: dict[int, str] = {}
    for event in history.events(store, since, until):
        match event.domain, event.kind:
            case "runs", "ended":
                if (run := _run_end(store, event)) is not None:
                    runs.pop(run.run_id, None)  # ended again (relaunched): the last end stands, in its place
                    runs[run.run_id] = run
            case "reading", "done":
                read.pop(event.subject, None)  # done, taken back, done again: once, when it was last done
                read[event.subject] = _reading_link(store, event.subject, event.detail)
            case "reading", "added":
                if (paper := _paper(store, event.subject)) is not None:
                    added_papers[int(event.subject)] = paper
            case "feeds", "read":
                feed_reads += _count(event.detail)
            case "feeds", "saved":
                if event.subject.isdigit():
                    feed_saves.append((int(event.subject), _link(event.detail.get("title"), event.detail.get("url"))))
            case "practice", "done":
                if known is None:
                    known = (catalog or lists.catalog(())).by_slug()
                problems.append(_solved(event.subject, event.detail, known))
            case "checklists", "done":
                key = (safe_line(_str(event.detail.get("title")), limit=TITLE_LIMIT) or "(untitled)",
                       safe_line(_str(event.detail.get("list")), limit=80))
                steps[key] = steps.get(key, 0) + 1
    return Standup(
        since=since, until=until, zone=zone, runs=tuple(runs.values()), read=tuple(read.values()),
        feed_entries_read=feed_reads, saved=_saved(store, added_papers, feed_saves), problems=tuple(problems),
        steps=tuple(Step(title, list_name, times) for (title, list_name), times in steps.items()),
        learned=tuple(_run_note(store, note, names) for note in notes.between(store, since, until, kind="note")),
        next_notes=tuple(_run_note(store, note, names) for note in notes.open_next(store, limit=NEXT_NOTES)),
        queue=tuple(line for line in (safe_line(entry, limit=NOTE_LIMIT) for entry in queue) if line),
    )


def _str(value: object) -> str:
    """Text from an event's detail, "" for anything else (a damaged or foreign event)."""
    return value if isinstance(value, str) else ""


def _count(detail: dict) -> int:
    """One item's event, or many marked at once (``count``)."""
    count = detail.get("count", 1)
    return count if isinstance(count, int) and not isinstance(count, bool) and count > 0 else 1


def _link(title: object, url: object) -> Link:
    shown = openable_url(url) if isinstance(url, str) else None
    cleaned = safe_line(_str(title), limit=TITLE_LIMIT)
    return Link(cleaned or safe_line(shown, limit=TITLE_LIMIT) or "(untitled)", shown or "")


def _reading_link(store: Store, subject: str, detail: dict) -> Link:
    """The item as it is now (a title fetched since it was done), else as the event told it."""
    item = backlog.get_item(store, int(subject)) if subject.isdigit() else None
    if item is not None:
        return _link(item.title or detail.get("title"), item.url)
    return _link(detail.get("title"), detail.get("url"))


def _paper(store: Store, subject: str) -> Link | None:
    """A backlog item added in the window that is a paper (its kind as it is now: fetched since)."""
    item = backlog.get_item(store, int(subject)) if subject.isdigit() else None
    return _link(item.title, item.url) if item is not None and item.kind == "paper" else None


def _saved(store: Store, added_papers: dict[int, Link], feed_saves: list[tuple[int, Link]]) -> tuple[Link, ...]:
    """Papers added to the backlog and feed entries saved; a feed entry saved into the backlog is
    both, and is listed once."""
    saved = dict(added_papers)
    for entry_id, link in feed_saves:
        entry = library.get_entry(store, entry_id)
        backlog_id = entry.backlog_id if entry is not None else None
        if backlog_id is None or backlog_id not in saved:
            saved[backlog_id if backlog_id is not None else -entry_id] = link
    return tuple(saved.values())


def _solved(slug: str, detail: dict, known: dict) -> Solved:
    problem = known.get(slug)
    title = problem.title if problem is not None else slug.replace("-", " ").capitalize()
    minutes = detail.get("minutes")
    return Solved(slug=slug, title=safe_line(title, limit=TITLE_LIMIT), difficulty=problem.difficulty if problem else "",
                  rating=safe_line(_str(detail.get("rating")), limit=10),
                  minutes=minutes if isinstance(minutes, int) and not isinstance(minutes, bool) else None)


def _run_note(store: Store, note: notes.Note, names: dict[int, str]) -> RunNote:
    if note.run_id not in names:
        record = registry.get(store, run_id=note.run_id)
        names[note.run_id] = visible(record.name, limit=80) if record is not None else f"run {note.run_id}"
    return RunNote(note.run_id, names[note.run_id], safe_line(note.text, limit=NOTE_LIMIT))


def _run_end(store: Store, event: history.Event) -> RunEnd | None:
    if not event.subject.isdigit():
        return None
    detail, run_id = event.detail, int(event.subject)
    record = registry.get(store, run_id=run_id)
    status = safe_line(_str(detail.get("status")), limit=20)
    # The saved summary tells of this end only while the run's end is still this one: relaunched
    # since, it tells of a later life (no metrics, no reason from it then).
    summary = record.summary if record is not None and _same_end(record.ended_at, event.at) else None
    name = record.name if record is not None else _str(detail.get("name")) or f"run {run_id}"
    reason = ""
    if status != "completed":
        if summary is not None and record is not None:
            reason = record.error_message or (summary.error.message if summary.error else "")
        reason = safe_line(reason or _str(detail.get("error_kind")), limit=REASON_LIMIT)
    return RunEnd(run_id=run_id, name=visible(name, limit=80), status=status, ended_at=event.at,
                  duration_seconds=_duration(record, summary), reason=reason,
                  metrics=key_metrics(summary.metrics, summary.best) if summary is not None else ())


SAME_END_SECONDS = 120  # `waitbuddy run` and a watcher may each stamp the one end, a second or so apart


def _same_end(ended_at: str | None, at: datetime) -> bool:
    """The run's recorded end is the one this event tells of (not a later life's)."""
    ended = timestamp(ended_at)
    return ended is not None and abs(ended - at.timestamp()) <= SAME_END_SECONDS


def _duration(record: registry.RunRecord | None, summary: RunSnapshot | None) -> float | None:
    """From the launch to the end when `waitbuddy run` started it, else as long as its log ran."""
    if record is None or summary is None:
        return None
    start, end = timestamp(record.started_at), timestamp(record.ended_at)
    if start is not None and end is not None:
        return max(end - start, 0.0)
    return summary.elapsed_seconds


# Not results: the optimizer's state and the loop's bookkeeping.
_BOOKKEEPING = re.compile(r"(^|_)(lr|learning_rate|epoch|step|global_step|it|iter|samples|runtime|time|"
                          r"per_second|grad_norm|momentum|batch|memory|mem)($|_)")
_SCORE = re.compile(r"(^|_)(acc|accuracy|top1|top5|f1|auc|roc_auc|map|bleu|rouge\w*|exact_match|em|r2|"
                    r"precision|recall|iou|miou|dice|wer|cer|ppl|perplexity|mae|rmse|mse|ndcg|mrr)($|_|@)")
_HELD_OUT = re.compile(r"(^|[_/])(val|valid|validation|eval|test|dev)($|[_/])")


def key_metrics(metrics: dict, best: dict, limit: int = 3) -> tuple[Metric, ...]:
    """The few numbers a team wants from a run: the training loss, the held-out loss, and the
    held-out score (accuracy, F1, BLEU …); what is missing is filled by the first other results
    the log printed. Bookkeeping (learning rate, epoch, step, grad norm) is left out."""
    names = [name for name in metrics if not _BOOKKEEPING.search(name.rsplit("/", 1)[-1].lower())]
    base = {name: name.rsplit("/", 1)[-1].lower() for name in names}
    losses = [name for name in names if is_loss_like(base[name])]
    scores = [name for name in names if name not in losses and _SCORE.search(base[name])]
    held_out = [name for name in losses if _HELD_OUT.search(name.lower())]
    training = [name for name in losses if name not in held_out]
    chosen = [*training[:1], *held_out[:1],
              *sorted(scores, key=lambda name: not _HELD_OUT.search(name.lower()))[:1]]
    chosen += [name for name in names if name not in chosen]
    return tuple(Metric(safe_line(name, limit=40), metrics[name], best.get(name)) for name in chosen[:limit])
