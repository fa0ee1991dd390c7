"""The one way a pane (or the app) does background reads: a refresher.

A refresher runs ``work`` on its own daemon thread, again every ``interval`` seconds and at once when
asked (:meth:`Refresher.now`). ``work`` may return the seconds to wait before the next round (more
to do soon, nothing to do for a minute); ``None`` keeps the interval. Its thread never dies: an
exception is handed to ``on_error`` as one line, once until the work succeeds again (a database
locked for a minute is one message, not twelve), and after ``retry`` seconds the work is tried
again. Results reach the UI the way the caller chooses, usually ``widget.post_message`` (safe from
any thread). No Textual import here: the thread is plain, so a test drives it without an app.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

Work = Callable[[threading.Event], "float | None"]


class Refresher:
    def __init__(self, name: str, work: Work, *, interval: float, retry: float | None = None,
                 on_error: Callable[[str], None] | None = None, start_delay: float = 0.0) -> None:
        """``work(stop)`` gets the stop event so a long round can end early when the app quits."""
        self.name = name
        self.work = work
        self.interval = interval
        self.retry = interval if retry is None else retry
        self.on_error = on_error
        self.start_delay = start_delay
        self.rounds = 0  # finished rounds, failed ones included (tests and benchmarks read it)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._told: str | None = None

    def start(self) -> Refresher:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
            self._thread.start()
        return self

    def now(self) -> None:
        """Run a round as soon as the current one (if any) is done."""
        self._wake.set()

    def stop(self) -> None:
        """Never waits: a round in progress ends on its own (the thread is a daemon)."""
        self._stop.set()
        self._wake.set()

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _loop(self) -> None:
        if self.start_delay:
            self._wake.wait(self.start_delay)
        while not self._stop.is_set():
            self._wake.clear()
            try:
                wait = self.work(self._stop)
                self._told = None
            except Exception as error:  # noqa: BLE001 - a locked database, a bug: said on the pane, tried again
                wait = self.retry
                self._report(f"{type(error).__name__}: {error}")
            self.rounds += 1
            if self._stop.is_set():
                break
            self._wake.wait(self.interval if wait is None else wait)

    def _report(self, problem: str) -> None:
        problem = problem[:300]
        if problem == self._told or self.on_error is None or self._stop.is_set():
            return
        self._told = problem
        try:
            self.on_error(problem)
        except Exception:  # noqa: BLE001, S110 - the pane is gone (quitting): nothing left to tell
            pass
