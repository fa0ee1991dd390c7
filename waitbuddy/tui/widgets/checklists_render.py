"""How a checklist row looks: a list's header (its name, what is due and the minutes it adds up
to) and an item (marker, title, estimate, recurrence, when it was last done, a snooze). Titles
the person or a config wrote pass ``safe_line`` and are placed in ``Content`` as text, never
parsed as markup."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, tzinfo

from textual.content import Content

from waitbuddy.checklists.library import Item, ago
from waitbuddy.text import safe_line

DUE, DONE, SNOOZED, NEXT_RUN = "○", "✓", "z", "·"


def marker(item: Item) -> str:
    if item.due:
        return DUE
    if item.snoozed_until is not None:
        return SNOOZED
    return NEXT_RUN if item.waiting_for_run and not item.completions else DONE


def header_row(name: str, members: Sequence[Item], width: int) -> Content:
    """``Profile  3 due · 35 min`` (the count muted; ``all done`` when nothing is due)."""
    due = [item for item in members if item.due]
    summary = f"{len(due)} due · {sum(item.minutes for item in due)} min" if due else "all done"
    body = Content.assemble((safe_line(name, limit=80), "bold"), "  ", (summary, "$text-muted"))
    return body.truncate(max(width, 1), ellipsis=True, pad=True)


def item_row(item: Item, width: int, now: datetime, zone: tzinfo) -> Content:
    """``  ○ title  ~10 min · weekly · last done 47 days ago  z 3d``: the title bold while due, the
    facts muted, cut from the title first so they stay in view."""
    mark = marker(item)
    left = f"  {mark} "
    facts = f"~{item.minutes} min · {item.recurrence} · last done {ago(item.last_done, now, zone)}"
    snooze = ""
    if item.snoozed_until is not None:
        days = max(-(-(item.snoozed_until - now) // timedelta(days=1)), 1)  # 3 days and a second: 4d
        snooze = f"  snoozed {days}d"
    title = safe_line(item.title, limit=300) or "(no title)"
    title_style = "bold" if item.due else ""
    mark_style = "$text-accent" if item.due else "$text-success" if mark == DONE else "$text-muted"
    room = max(width - len(left), 1)
    tail = Content.assemble("  ", (facts, "$text-muted"), (snooze, "$text-warning"))
    if len(title) + tail.cell_length > room:
        title_room = max(room - tail.cell_length, min(room, 12))
        body = Content.assemble(Content(title).stylize(title_style).truncate(title_room, ellipsis=True), tail)
    else:
        body = Content.assemble((title, title_style), tail)
    body = body.truncate(room, ellipsis=True, pad=True)
    return Content.assemble(("  ", ""), (mark, mark_style), " ", body)
