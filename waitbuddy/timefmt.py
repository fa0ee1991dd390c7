"""Times and durations, written and read one way (DESIGN: one time formatter). Stdlib only.

Stored and streamed times are ISO 8601 in UTC with a Z (``iso``); what was written is read
back with ``timestamp``. Durations are shown as ``duration`` (tables) or ``short_duration``
(sentences). Training logs' own durations (``1:02:03``, ``5.2s``) are parsed where logs are
understood, in ``runs.observe.parse_duration``.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo


def duration(seconds: float | None) -> str:
    """1h02m, 14m05s, 9s; '-' when unknown."""
    if seconds is None:
        return "-"
    seconds = round(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}h{(seconds % 3600) // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"


def short_duration(seconds: float) -> str:
    """20s, 1m40s, 6m, 14m, 1h02m: whole minutes from 10 minutes up (alert and stall texts)."""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 600 and seconds % 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    return f"{seconds // 3600}h{(seconds % 3600) // 60:02d}m"


def iso(timestamp: float | None = None) -> str:
    """ISO 8601 in UTC with a Z, to the second (now when no timestamp is given)."""
    moment = datetime.now(UTC) if timestamp is None else datetime.fromtimestamp(timestamp, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_utc(when: datetime | None) -> str:
    """``2024-01-02T03:04:05Z`` (microseconds only when there are some); empty for no date.
    A naive ``when`` is taken to be UTC."""
    if when is None:
        return ""
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    return when.isoformat().replace("+00:00", "Z")


def local(moment: datetime, zone: tzinfo | None = None, *, year: bool = False) -> str:
    """``Mon 30 Nov 09:00`` (``Mon 30 Nov 2026 09:00`` with ``year``): a moment as people read it,
    in ``zone`` (the system's when None)."""
    here = moment.astimezone(zone)
    return f"{here:%a} {here.day} {here:%b}{f' {here.year}' if year else ''} {here:%H:%M}"


def parse_iso(text: str) -> datetime:
    """An ISO 8601 time (``2024-01-02T03:04:05.123Z``, ``...+02:00``, a date alone); a trailing
    ``z`` counts as ``Z``. Without a zone the result is naive. Raises ``ValueError``."""
    text = text.strip()
    if text[-1:] in ("z", "Z"):
        text = text[:-1] + "+00:00"
    return datetime.fromisoformat(text)


def timestamp(text: str | None) -> float | None:
    """Seconds since the epoch of an ISO 8601 time as ``iso`` writes it; None when empty or unreadable."""
    if not text:
        return None
    try:
        return parse_iso(text).timestamp()
    except ValueError:
        return None
