"""A list pane's one ordered store thread: a key's change runs there (the database may wait on
another process's lock), then the pane reads back what it shows, in the order keys asked.

What a change returns says what to tell and what ``u`` can take back: the library's Undo, a note,
``(note, undo)``, or ``(note, undo, *extra)`` for what the pane does next (the problem to select).
An exception becomes a one-line error on the pane, never a traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Outcome:
    message: str
    undo: tuple[str, Any] | None  # (label, the library's Undo) for `u`
    severity: str = "information"
    extra: tuple[Any, ...] = ()


def run_change(change: Callable[[], object], note: str, *, undoable: bool, label: str, area: str) -> Outcome:
    """Run ``change`` (on the store thread) and read what it returned."""
    try:
        result = change()
    except Exception as exc:  # noqa: BLE001 - reported in the app, never a traceback
        return Outcome(f"{area}: {exc}", None, "error")
    message, extra = note, ()
    if isinstance(result, tuple):
        message, result, *rest = result
        extra = tuple(rest)
    if isinstance(result, str):
        return Outcome(result, None, extra=extra)
    # An Undo that changed nothing (feeds: count 0) is nothing to take back.
    keep = result is not None and undoable and getattr(result, "count", 1)
    return Outcome(message, (label or message, result) if keep else None, extra=extra)


class StoreThread:
    """One worker thread, in order; a reload asked for while one waits its turn is not queued twice."""

    def __init__(self, name: str) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self.reload_queued = False  # the job that clears it reads what a later change needs

    def submit(self, job: Callable[[], None]) -> None:
        try:
            self._pool.submit(job)
        except RuntimeError:  # shutting down
            pass

    def reload(self, submit_reload: Callable[[], None]) -> None:
        if not self.reload_queued:
            self.reload_queued = True
            submit_reload()

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
