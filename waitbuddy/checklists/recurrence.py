"""When a checklist item is due again: pure functions of its recurrence, its completions and now.

An item is never "done for good": it is done *for the current period* when one of its completions
falls inside that period, and due otherwise. Nothing is stored when a period starts, so a machine
off for six weeks comes back to one due item, not six missed copies, and un-ticking is never needed
to reset a list (the history stays true for "last done 47 days ago" and streaks).

Periods are calendar periods in local time (a :class:`zoneinfo.ZoneInfo`): daily from midnight,
weekly from Monday, monthly from the 1st, quarterly from Jan/Apr/Jul/Oct 1st. Boundaries are
built as local dates and converted to UTC, so a 23- or 25-hour day around a DST change is still
one day, and month lengths and leap days come from the calendar, not from adding 30 days.
"Every N days" is due N local calendar days after the last completion. "Per run" is due again
once a training run started after the last completion.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

CALENDAR = ("daily", "weekly", "monthly", "quarterly")
PER_RUN = "per run"
MAX_DAYS = 3660
_EVERY = re.compile(r"(?:every\s+)?(\d+)\s*(?:d|days?)", re.IGNORECASE)
_RUN = re.compile(r"(?:once\s+)?(?:per|each|every)\s+run", re.IGNORECASE)
EXPECTED = 'daily, weekly, monthly, quarterly, "every N days" or "per run"'


@dataclass(frozen=True)
class Recurrence:
    kind: str  # one of CALENDAR, "days" or "run"
    days: int = 0  # for "days"

    def __str__(self) -> str:
        if self.kind == "days":
            return "daily" if self.days == 1 else f"every {self.days} days"
        return PER_RUN if self.kind == "run" else self.kind


def parse(text: str) -> Recurrence:
    """``daily``, ``weekly``, ``monthly``, ``quarterly``, ``every 3 days`` (``3d``), ``per run``
    (``once per run``). Raises ``ValueError`` with what is expected."""
    word = " ".join(str(text).split()).lower()
    if word in CALENDAR:
        return Recurrence(word)
    if _RUN.fullmatch(word) or word == "run":
        return Recurrence("run")
    if match := _EVERY.fullmatch(word):
        days = int(match.group(1))
        if not 1 <= days <= MAX_DAYS:
            raise ValueError(f"every N days: expected N from 1 to {MAX_DAYS}, got {days}")
        return Recurrence("days", days)
    raise ValueError(f"expected {EXPECTED}, got {text!r}")


def local_midnight(day: date, zone: tzinfo) -> datetime:
    """The first moment of ``day`` in ``zone`` as UTC (a zone whose midnight is skipped by DST
    starts the day at the first local time that exists)."""
    moment = datetime.combine(day, time(0), tzinfo=zone)
    there = moment.astimezone(UTC)
    if there.astimezone(zone).replace(tzinfo=None) != moment.replace(tzinfo=None):  # skipped: later
        there = moment.replace(fold=1).astimezone(UTC)
    return there


def period_start(recurrence: Recurrence, now: datetime, zone: tzinfo) -> datetime:
    """The start (UTC) of the calendar period ``now`` falls in."""
    return local_midnight(_first_day(recurrence, now.astimezone(zone).date()), zone)


def next_period_start(recurrence: Recurrence, now: datetime, zone: tzinfo) -> datetime:
    """The start (UTC) of the period after the one ``now`` falls in."""
    first = period_start(recurrence, now, zone).astimezone(zone).date()
    if recurrence.kind == "daily":
        after = first + timedelta(days=1)
    elif recurrence.kind == "weekly":
        after = first + timedelta(days=7)
    else:
        months = 1 if recurrence.kind == "monthly" else 3
        index = first.month - 1 + months
        after = date(first.year + index // 12, index % 12 + 1, 1)
    return local_midnight(after, zone)


def due_at(recurrence: Recurrence, completions: Sequence[datetime], zone: tzinfo,
           last_run_start: datetime | None = None) -> datetime | None:
    """When the item next becomes due (UTC); None when it is due already and has been since
    before any completion (never done, or a run started since). Completions in any order."""
    if not completions:
        return None
    last = max(completions)
    if recurrence.kind == "run":
        return None if last_run_start is not None and last_run_start > last else _NEVER
    if recurrence.kind == "days":
        return local_midnight(last.astimezone(zone).date() + timedelta(days=recurrence.days), zone)
    return next_period_start(recurrence, last, zone)


# "Per run" with no run since the last completion: not due until one starts.
_NEVER = datetime.max.replace(tzinfo=UTC)


def is_due(recurrence: Recurrence, completions: Sequence[datetime], now: datetime, zone: tzinfo,
           last_run_start: datetime | None = None, snoozed_until: datetime | None = None) -> bool:
    """Due at ``now``: not done in the current period (or N days, or since the last run started),
    and not snoozed past ``now``."""
    if snoozed_until is not None and now < snoozed_until:
        return False
    when = due_at(recurrence, completions, zone, last_run_start)
    return when is None or when <= now


def waiting_for_run(recurrence: Recurrence, completions: Sequence[datetime],
                    last_run_start: datetime | None) -> bool:
    """A per-run item done since the last run started: due when the next one starts."""
    return due_at(recurrence, completions, UTC, last_run_start) == _NEVER


def streak(recurrence: Recurrence, completions: Sequence[datetime], now: datetime, zone: tzinfo) -> int:
    """Consecutive periods, up to now, each with a completion; the current period counts when
    done and does not break the streak while still open. Every N days: completions each within
    N days of the one before (and the last within N days of now). Per run: 0 (no periods)."""
    if not completions or recurrence.kind == "run":
        return 0
    ordered = sorted(completions, reverse=True)
    if recurrence.kind == "days":
        count, reference = 0, now.astimezone(zone).date()
        for moment in ordered:
            day = moment.astimezone(zone).date()
            if (reference - day).days > recurrence.days:
                break
            if count == 0 or day != reference:
                count += 1
            reference = day
        return count
    # Periods as their first local day (plain date arithmetic: a year of daily completions is
    # read in a millisecond), walked back from now while each one has a completion.
    current = _first_day(recurrence, now.astimezone(zone).date())
    days = [moment.astimezone(zone).date() for moment in ordered if moment <= now]
    if not days:
        return 0
    expected = current if _first_day(recurrence, days[0]) == current else _first_day(
        recurrence, current - timedelta(days=1))
    count = 0
    for day in days:
        first = _first_day(recurrence, day)
        if first == expected:
            count += 1
            expected = _first_day(recurrence, expected - timedelta(days=1))
        elif first < expected:
            break
    return count


def _first_day(recurrence: Recurrence, today: date) -> date:
    """The first local day of the calendar period ``today`` is in."""
    if recurrence.kind == "daily":
        return today
    if recurrence.kind == "weekly":
        return today - timedelta(days=today.weekday())
    if recurrence.kind == "monthly":
        return today.replace(day=1)
    if recurrence.kind == "quarterly":
        return date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    raise ValueError(f"{recurrence} has no calendar period")
