"""Backlog items as text for people and JSON for scripts; snooze times. Headless."""

from __future__ import annotations

from datetime import datetime, timedelta

from waitbuddy.reading.backlog import to_text
from waitbuddy.reading.model import Item
from waitbuddy.text import safe_line


def describe(item: Item) -> str:
    """One line about an item's fetched state: title and length, or why the fetch failed."""
    if item.fetch_state in ("pending", "failed") and item.fetch_error:
        later = "will try again later" if item.fetch_state == "pending" else "won't retry"
        return f"could not fetch: {item.fetch_error} (saved; {later})"
    length = f"{item.minutes} min" if item.minutes is not None else "length unknown"
    return f"{item.title or '(no title)'}  [{item.kind}, {length}]"


def item_json(item: Item) -> dict:
    return {
        "id": item.id, "url": item.url, "title": item.title, "kind": item.kind, "status": item.status,
        "priority": item.priority, "tags": list(item.tags), "note": item.note, "source": item.source,
        "saved_at": to_text(item.saved_at), "minutes": item.minutes,
        "snoozed_until": to_text(item.snoozed_until), "done_at": to_text(item.done_at),
        "fetch": {"state": item.fetch_state, "error": item.fetch_error or None},
    }


def age_text(saved: datetime, now: datetime) -> str:
    """How long ago, in the largest whole unit: 3d, 2w, 5mo, 1y."""
    days = max((now - saved).days, 0)
    for size, unit in ((365, "y"), (30, "mo"), (7, "w")):
        if days >= size:
            return f"{days // size}{unit}"
    return f"{days}d"


def item_line(item: Item, now: datetime) -> str:
    minutes = f"{item.minutes}m" if item.minutes is not None else "?"
    flags = "!" * item.priority
    tags = "  ".join(f"#{tag}" for tag in item.tags)
    title = safe_line(item.title or item.url, limit=200)  # stored clean; cleaned again as output
    return (f"{item.id:>5} {item.status:<8} {item.kind:<7} {minutes:>5} {age_text(item.saved_at, now):>4} {flags:<3} "
            f"{title}  {safe_line(tags)}").rstrip()


def snooze_until(answer: str, now: datetime) -> datetime | None:
    """``1d``/``3d``/``1w``/``2w`` from now, or a date (its morning, local time); None if neither."""
    answer = answer.strip().lower()
    for suffix, unit in (("d", 1), ("w", 7)):
        number = answer.removesuffix(suffix)
        if answer.endswith(suffix) and number.isdigit() and 0 < int(number) <= 3650:
            return now + timedelta(days=int(number) * unit)
    try:
        day = datetime.strptime(answer, "%Y-%m-%d")
    except ValueError:
        return None
    moment = day.replace(hour=8).astimezone()
    return moment if moment > now else None
