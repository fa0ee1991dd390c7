"""Accepting a suggestion and finishing it: the timer, and what it means in the item's own area.

Accepting starts the item's timer and starts the item where its area keeps that: a backlog item
becomes "reading", a problem is started in Practice (so its done counts the minutes), a feed
entry is read by opening it. Finishing ends the timer as done and finishes the item where one
key can: a backlog item is marked read, a checklist item ticked. A problem is rated in Practice
(``d`` there): its rating is the person's to give.
"""

from __future__ import annotations

from datetime import UTC, datetime

from waitbuddy.planner import timers
from waitbuddy.planner.model import Candidate
from waitbuddy.store import Store


def accept(store: Store, candidate: Candidate, *, now: datetime | None = None) -> timers.Timer:
    now = (now or datetime.now(UTC)).astimezone(UTC)
    timer = timers.start(store, candidate, now=now)
    if candidate.kind == "reading" and candidate.ref.isdigit():
        from waitbuddy.reading import backlog

        item = backlog.get_item(store, int(candidate.ref))
        if item is not None and item.status == "unread":
            backlog.update(store, [item.id], "reading", now=now, status="reading")
    elif candidate.kind == "practice":
        from waitbuddy.practice import progress

        progress.start(store, candidate.ref, now=now)
    elif candidate.kind == "paper" and candidate.ref.isdigit():
        from waitbuddy.feeds import marks

        marks.set_read(store, [int(candidate.ref)], now=now)
    return timer


def finish(store: Store, *, now: datetime | None = None) -> timers.Timer | None:
    """End the running timer as done and finish its item where that takes no more input; None
    when no timer runs."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    timer = timers.active(store)
    if timer is None:
        return None
    if timers.finished_at(store, timer) is None:  # not already finished in its own area
        if timer.kind == "reading" and timer.ref.isdigit():
            from waitbuddy.reading import backlog

            if backlog.get_item(store, int(timer.ref)) is not None:
                backlog.update(store, [int(timer.ref)], "done", now=now, status="done")
        elif timer.kind == "checklist" and timer.ref.isdigit():
            from waitbuddy.checklists import library

            if library.get(store, int(timer.ref)) is not None:
                library.complete(store, int(timer.ref), now=now)
    return timers.finish(store, now=now)
