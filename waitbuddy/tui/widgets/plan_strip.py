"""The plan strip at the top of the dashboard: what fits in the minutes the run leaves.

One line. It shows the wait and the plan's suggestions, or the item being timed; focused (``p``),
the first suggestion is the current one: accept it, skip it, plan again, or say it is done. The
plan itself is kept by a headless :class:`~waitbuddy.planner.follow.Follower` stepped on a
refresher thread; this widget only shows the :class:`~waitbuddy.planner.follow.View` it sends.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

from textual.content import Content
from textual.message import Message
from textual.widget import Widget

from waitbuddy.config import Config
from waitbuddy.keys import APP_KEYS, display_keys
from waitbuddy.planner import words
from waitbuddy.planner.follow import Follower, View
from waitbuddy.planner.model import KIND_NAMES, Candidate
from waitbuddy.store import Store
from waitbuddy.text import openable_url, safe_line
from waitbuddy.tui.bindings import bindings_for
from waitbuddy.tui.refresher import Refresher

# The wait is read from the store as often as watchers save it: a run that ends or starts shows on
# the strip within seconds, and a step that plans nothing again costs ~0.15 ms.
STEP_SECONDS = 5.0


class PlanStrip(Widget, can_focus=True):
    BINDINGS = bindings_for("plan")
    DEFAULT_CSS = """
    PlanStrip {
        height: 1;
        padding: 0 1;
        background: $panel;
        color: $text-muted;
    }
    PlanStrip:focus {
        background: $boost;
        color: $text;
    }
    """

    @dataclass
    class Stepped(Message, bubble=False):
        view: View

        def can_replace(self, message: Message) -> bool:  # a newer view makes an older one moot
            return isinstance(message, PlanStrip.Stepped)

    @dataclass
    class Said(Message, bubble=False):
        text: str
        error: bool = False

    def __init__(self, store: Store, config: Config) -> None:
        super().__init__(id="plan-strip")
        self.store = store
        self.config = config
        self.follower = Follower(store, config)
        # The strip names the key that focuses it (the footer has no room for it at 80 columns).
        bound = dict(config.keymap).get("plan-focus") or next(spec.keys for spec in APP_KEYS if spec.id == "plan-focus")
        self.key_hint = display_keys(bound.split(",")[0])
        self.view: View | None = None
        self._came_from: Widget | None = None
        self._shown_news = ""
        self._refresher = Refresher("plan", self._step, interval=STEP_SECONDS, start_delay=0.5,
                                    on_error=lambda text: self.post_message(self.Said(f"plan: {text}", True)))

    # -- the background step -----------------------------------------------------------------------

    def on_mount(self) -> None:
        self._refresher.start()
        self.app.store_changed_signal.subscribe(self, lambda _: self._changed())
        self.set_interval(60, self.refresh)  # a timer's minutes count up on screen

    def on_unmount(self) -> None:
        self._refresher.stop()

    def _step(self, stop) -> None:  # the refresher's thread: the store may wait on a lock
        self.post_message(self.Stepped(self.follower.step()))

    def _changed(self) -> None:
        self.follower.changed()
        self._refresher.now()

    def on_plan_strip_stepped(self, message: Stepped) -> None:
        self.view = message.view
        if message.view.news and message.view.news != self._shown_news:
            self.notify(message.view.news, title="plan", markup=False, timeout=8)
        self._shown_news = message.view.news
        self.refresh()

    def on_plan_strip_said(self, message: Said) -> None:
        self.notify(message.text, severity="error" if message.error else "information", markup=False)

    # -- what shows --------------------------------------------------------------------------------

    def render(self) -> Content:
        view = self.view
        if view is None:
            return Content("planning…")
        width = max(self.size.width - 2, 20)
        parts: list[str | tuple[str, str]] = [] if self.has_focus else [(self.key_hint, "bold $accent"), " "]
        # Focused on a suggestion, the suggestion matters more (the news was a toast too).
        if view.news and not (self.has_focus and view.plan.picks):
            parts += [(view.news, "$warning"), " · "]
        headline = self._headline(view)
        if view.timer is not None:
            elapsed = f"{int(view.timer.elapsed(datetime.now(UTC)))}m"
            rest = f" of ~{view.timer.estimate or '?'}m "
            verb = KIND_NAMES.get(view.timer.kind, "do")
            used = Content.assemble(*parts).cell_length + 2 + len(elapsed) + len(rest) + len(verb) + 6 + len(headline)
            title = safe_line(view.timer.title, limit=max(min(width - used, 50), 12))
            parts += [("⏱ ", "$accent"), (elapsed, "bold"), rest, f'{verb} "{title}"', " · "]
        parts.append((headline, "bold") if view.minutes is not None else headline)
        if view.minutes is None:
            return Content.assemble(*parts)
        picks = view.plan.picks
        if not picks and view.minutes:
            parts.append(" · nothing fits that time")
        room = width - Content.assemble(*parts).cell_length
        if self.has_focus and picks:
            parts += _focused(picks, room)
        elif view.timer is None or room > 30:
            parts += _glance(picks, room)
        return Content.assemble(*parts)

    @staticmethod
    def _headline(view: View) -> str:
        return words.headline(view.minutes, view.wait, short=True)

    def current(self) -> Candidate | None:
        if self.view is None or not self.view.plan.picks:
            return None
        return self.view.plan.picks[0].candidate

    # -- keys --------------------------------------------------------------------------------------

    def on_focus(self) -> None:
        self.follower.changed()  # the person looks: ask the areas again (their own changes included)
        self._refresher.now()
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def focus_from(self, previous: Widget | None) -> None:
        self._came_from = previous if previous is not self else self._came_from
        self.focus()

    def action_leave(self) -> None:
        target = self._came_from
        if target is not None and target.is_attached:
            target.focus()
        else:
            self.screen.focus_next()

    def action_accept(self) -> None:
        if (candidate := self.current()) is None:
            return
        self.app.run_worker(partial(self._accept, candidate), thread=True, exit_on_error=False,
                            group="plan", description="start the timer")
        self._open(candidate)

    def _accept(self, candidate: Candidate) -> None:  # a worker thread
        from waitbuddy.planner import accept

        accept.accept(self.store, candidate)
        self._changed()
        self.app.call_from_thread(self._tell_the_areas)

    def _open(self, candidate: Candidate) -> None:
        if candidate.kind == "checklist":
            self.screen.action_show_area("checklists")
            return
        if (url := openable_url(candidate.url)) is None:
            return
        from waitbuddy.tui.screens.link import LinkScreen, can_open_browser

        if can_open_browser(os.environ):
            # webbrowser.open may run a program and wait for it: never on the UI thread.
            self.app.run_worker(partial(self.app.open_url, url), thread=True, exit_on_error=False,
                                group="browser", description="open the browser")
            self.notify(f"opened in your browser; timing it ({words.estimate(candidate)})", markup=False)
        else:
            self.app.push_screen(LinkScreen(url, candidate.title))

    def action_skip(self) -> None:
        if (candidate := self.current()) is None:
            return
        self.follower.skip(candidate.key)
        self._refresher.now()

    def action_replan(self) -> None:
        self.follower.replan()
        self._refresher.now()

    def action_finish(self) -> None:
        if self.view is None or self.view.timer is None:
            self.notify("nothing is being timed: accept a suggestion first", markup=False)
            return
        self.app.run_worker(self._finish, thread=True, exit_on_error=False, group="plan",
                            description="record the minutes")

    def _finish(self) -> None:  # a worker thread
        from waitbuddy.planner import accept

        ended = accept.finish(self.store)
        if ended is not None:
            text = f'done: "{safe_line(ended.title, limit=40)}" took {round(ended.minutes or 0)} min'
            if ended.estimate:
                text += f" (planned {ended.estimate})"
            if ended.kind == "practice":
                text += "; rate it in Practice (4, then d)"
            self.post_message(self.Said(text))
        self._changed()
        self.app.call_from_thread(self._tell_the_areas)

    def _tell_the_areas(self) -> None:
        """The areas reload what the plan changed (a reading started or done, a checklist item ticked)."""
        self.app.store_changed_signal.publish(None)

    def set_minutes(self, minutes: int | None) -> None:
        self.follower.set_minutes(minutes)
        self._refresher.now()


def _title_room(candidate: Candidate, room: int) -> int:
    """How many cells the title may take for the whole suggestion to fit ``room`` (12 at least)."""
    whole = words.item(candidate, limit=1000)
    overhead = len(whole) - len(safe_line(candidate.title, limit=1000))
    return max(min(room - overhead, 60), 12)


def _glance(picks, room: int) -> list[str | tuple[str, str]]:
    """Unfocused: as many suggestions as fit, then how many more."""
    parts: list[str | tuple[str, str]] = []
    for index, pick in enumerate(picks):
        more = f" · +{len(picks) - index} more"
        after = len(f" · +{len(picks) - index - 1} more") if index + 1 < len(picks) else 0
        if index == 0:
            text = " · " + words.item(pick.candidate, limit=_title_room(pick.candidate, room - after - 3))
        else:
            text = " · " + words.item(pick.candidate, limit=28)
        if index and len(text) + after > room:
            parts.append(more)
            break
        parts.append(text)
        room -= len(text)
    return parts


def _focused(picks, room: int) -> list[str | tuple[str, str]]:
    """Focused: the current suggestion (what enter accepts) with its reason, and its place."""
    pick = picks[0]
    place = f" · {1}/{len(picks)} " if len(picks) > 1 else " · "
    why = f" · {safe_line(pick.why, limit=30)}"
    title_room = room - len(place) - 2 - len(why)
    if title_room - (len(words.item(pick.candidate, limit=1000)) - len(safe_line(pick.candidate.title, limit=1000))) < 12:
        why = ""  # a narrow terminal: the suggestion itself matters more than why
        title_room = room - len(place) - 2
        if title_room - (len(words.item(pick.candidate, limit=1000)) - len(safe_line(pick.candidate.title, limit=1000))) < 12:
            return []  # no room at all (a timer's line takes it): enter still accepts it
    text = words.item(pick.candidate, limit=_title_room(pick.candidate, title_room))
    return [place, ("▸ " + text, "reverse"), why]
