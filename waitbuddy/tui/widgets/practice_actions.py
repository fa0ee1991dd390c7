"""What the Practice area's keys do: open the problem, start it, record it done with a rating,
skip it for today, jump to what fits the minutes left, undo. Every change runs on the area's store
thread (``_submit``) and returns progress's Undo for ``u``."""

from __future__ import annotations

import os
import time
from functools import partial
from typing import TYPE_CHECKING, Any

from waitbuddy.practice import pick, progress
from waitbuddy.text import openable_url, safe_line
from waitbuddy.tui.screens.link import LinkScreen, can_open_browser, copy_to_clipboard
from waitbuddy.tui.screens.prompt import Prompt

if TYPE_CHECKING:
    from collections.abc import Callable

    from waitbuddy.config import Config
    from waitbuddy.practice.lists import Catalog
    from waitbuddy.store import Store
    from waitbuddy.tui.widgets.practice_render import Item


def parse_done(answer: str) -> tuple[str, int | None]:
    """``good``, ``g 25``, ``again 40`` -> (rating, minutes or None); ValueError when unclear."""
    words = answer.lower().split()
    if not words or len(words) > 2:
        raise ValueError("answer a rating (again, hard, good, easy), then minutes if you like: good 25")
    chosen = [rating for rating in progress.RATINGS if rating.startswith(words[0])]
    if len(chosen) != 1:
        raise ValueError(f"not a rating: {safe_line(words[0], limit=20)} (again, hard, good or easy)")
    minutes = None
    if len(words) == 2:
        if not words[1].isdigit() or int(words[1]) > progress.MAX_MINUTES:
            raise ValueError(f"minutes: a whole number up to {progress.MAX_MINUTES}")
        minutes = int(words[1])
    return chosen[0], minutes


class PracticeActions:
    """Mixed into :class:`~waitbuddy.tui.widgets.practice_pane.PracticeArea`, which provides these:"""

    store: Store
    config: Config
    catalog: Catalog | None
    undo_stack: list[tuple[str, Any]]
    skipped: set[str]

    if TYPE_CHECKING:
        def current(self) -> Item | None: ...
        def skipped_today(self) -> frozenset[str]: ...
        def _apply(self, keep: str | None = None) -> None: ...
        def _current_slug(self) -> str | None: ...
        def _show_slug(self, slug: str) -> None: ...
        def _submit(self, change: Callable[[], object], note: str = "", *, undoable: bool = True,
                    label: str = "", select: str | None = None) -> None: ...

    def _title(self, item: Item) -> str:
        return safe_line(item.problem.title, limit=50) or item.problem.slug

    def action_start_problem(self) -> None:
        if (item := self.current()) is None:
            return
        title, slug = self._title(item), item.problem.slug
        self._submit(lambda: progress.start(self.store, slug), f"started: {title} (d when done)",
                     label=f"started: {title}")

    def action_done_problem(self) -> None:
        if (item := self.current()) is None:
            return
        title, slug = self._title(item), item.problem.slug
        started = item.state.started_at if item.state else None
        timed = (f" (started {max(1, round((progress.utc_now() - started).total_seconds() / 60))} min ago)"
                 if started else "")

        def answered(answer: str | None) -> None:
            if answer is None:
                return
            try:
                rating, minutes = parse_done(answer)
            except ValueError as exc:
                self.notify(str(exc), severity="warning", markup=False)
                return
            scheduler = progress.make_scheduler(self.config.practice.desired_retention)

            def record() -> tuple[str, Any]:
                undo = progress.record_attempt(self.store, slug, rating, minutes, scheduler=scheduler)
                return f"{rating}: {title} (u to undo)", undo

            self._submit(record, label=f"{rating}: {title}")

        self.app.push_screen(Prompt(f"How did {title} go{timed}? again / hard / good / easy, then minutes "
                                    f"if you like", placeholder="good  (or: good 25)"), answered)

    def action_skip_problem(self) -> None:
        """Not now: `n` passes over it for the rest of the day; the cursor goes to the next pick."""
        if (item := self.current()) is None:
            return
        self.skipped_today()
        self.skipped.add(item.problem.slug)
        self._apply(keep=item.problem.slug)
        self.action_next_problem()

    def action_next_problem(self) -> None:
        """The cursor on what `waitbuddy practice next` proposes for the minutes the run leaves."""
        if self.catalog is None:
            return
        found, exclude, defaults = self.catalog, self.skipped_today(), self.config.practice.typical_minutes

        def choose() -> tuple[str, None, str | None]:
            from waitbuddy.runs.registry import minutes_left

            minutes = minutes_left(self.store, time.time())
            chosen = pick.pick_next(found, progress.states(self.store), progress.attempts(self.store), minutes,
                                    progress.utc_now(), defaults=defaults, exclude=exclude)
            within = f" in {minutes} min" if minutes is not None else ""
            if chosen is None:
                return f"nothing fits{within}", None, None
            return (f"next{within}: {safe_line(chosen.problem.title, limit=50)} "
                    f"(~{chosen.minutes} min, {safe_line(chosen.reason, limit=60)})"), None, chosen.problem.slug

        self._submit(choose, undoable=False)

    def action_undo(self) -> None:
        if not self.undo_stack:
            self.notify("nothing to undo", markup=False)
            return
        *self.undo_stack, (label, undo) = self.undo_stack

        def restore() -> str:
            progress.undo(self.store, undo)
            return f"undone: {label}"

        self._submit(restore, undoable=False)

    # -- links ----------------------------------------------------------------------------------

    def action_open_problem(self) -> None:
        if (item := self.current()) is None or (url := openable_url(item.problem.url)) is None:
            return
        if can_open_browser(os.environ):
            self.app.run_worker(partial(self.app.open_url, url), thread=True, exit_on_error=False,
                                group="browser", description="open the browser")
            self.notify("opened in your browser (s to start the clock)", markup=False)
        else:
            self.app.push_screen(LinkScreen(url, item.problem.title))

    def action_copy_link(self) -> None:
        if (item := self.current()) is not None and (url := openable_url(item.problem.url)) is not None:
            copy_to_clipboard(self.app, url)
