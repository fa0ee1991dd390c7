"""The Runs area: one row per watched run, fed by the watcher thread in batches."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from waitbuddy.alerts.events import AlertEvent, AlertPolicy
from waitbuddy.config import Config
from waitbuddy.runs import registry, sources
from waitbuddy.runs.snapshot import RunSnapshot
from waitbuddy.runs.targets import check_target
from waitbuddy.store import Store
from waitbuddy.text import safe_line, visible
from waitbuddy.tui.areas import AreaSpec
from waitbuddy.tui.bindings import bindings_for
from waitbuddy.tui.run_order import ACTIVE, RunOrder
from waitbuddy.tui.runrow import Columns, row, status_colors
from waitbuddy.tui.screens.prompt import Prompt
from waitbuddy.tui.widgets.area import EmptyState, Pane

if TYPE_CHECKING:
    from waitbuddy.alerts.dispatch import Alerter
    from waitbuddy.runs.watcher import Watcher

REFRESH_SECONDS = 0.25  # rows are redrawn at most this often, however fast logs update
WATCH_DELAY_SECONDS = 0.4  # after the first frame, which takes longer on a big terminal
TOAST_SECONDS = 6.0  # the bell and the other channels carry the alert on; the list must stay readable
FADE_CHECK_SECONDS = 60.0  # finished runs fade out of the pane with time, not only on updates


class RunList(OptionList, inherit_bindings=False):
    """The rows. ``enter`` is left to the Runs area's ``open-run`` binding (so it shows in the
    footer and help, and can be rebound); ``moved_by_person`` says the person picked a row."""

    # The list keys of the one table (j/k as in Backlog); enter is the Runs area's open-run.
    BINDINGS: ClassVar[list[BindingType]] = bindings_for("list", {
        "list-up": "cursor_up", "list-down": "cursor_down", "list-page-up": "page_up",
        "list-page-down": "page_down", "list-first": "first", "list-last": "last",
    })
    moved_by_person = False

    def action_cursor_up(self) -> None:
        self.moved_by_person = True
        super().action_cursor_up()

    def action_cursor_down(self) -> None:
        self.moved_by_person = True
        super().action_cursor_down()

    def action_first(self) -> None:
        self.moved_by_person = True
        super().action_first()

    def action_last(self) -> None:
        self.moved_by_person = True
        super().action_last()

    def action_page_up(self) -> None:
        self.moved_by_person = True
        super().action_page_up()

    def action_page_down(self) -> None:
        self.moved_by_person = True
        super().action_page_down()

    def on_click(self, event: events.Click) -> None:
        if event.style.meta.get("option") is not None:
            self.moved_by_person = True


class RunsArea(Pane):
    BINDINGS = bindings_for("runs")
    CONTENT = ("#runs-list",)

    @dataclass
    class Updated(Message, bubble=False):
        snapshots: list[RunSnapshot]

    @dataclass
    class Problem(Message, bubble=False):
        message: str

    def __init__(self, spec: AreaSpec, store: Store, config: Config) -> None:
        super().__init__(spec)
        self.store = store
        self.config = config
        self.snapshots: dict[str, RunSnapshot] = {}  # every followed run, shown or faded out
        self.order = RunOrder()
        self.shown: list[RunSnapshot] = []  # the rows, in order
        self._dirty = False
        self._reported = False  # the watcher has said what there is (possibly nothing)
        self._closing = False
        self.watcher: Watcher | None = None
        self.policy: AlertPolicy | None = None  # the app's services say what deserves an alert
        self.alerter: Alerter | None = None
        self.progress = None  # the terminal's own progress indicator (OSC 9;4), for the main run
        self._progress_shown: tuple[str, int] | None = None

    def compose(self) -> ComposeResult:
        yield EmptyState(self.spec)
        yield RunList(id="runs-list", compact=True)

    def on_mount(self) -> None:
        self.policy = self.app.services.alert_policy()
        # Nothing shows until the watcher's first report says whether there are runs at all (Pane).
        # The watcher and the log parsers it imports start once the first frame is out, in a
        # thread: importing and compiling them must not hold up the first frame.
        self.set_timer(WATCH_DELAY_SECONDS, self._start_watching)
        self.set_interval(REFRESH_SECONDS, self._refresh_rows)
        self.set_interval(FADE_CHECK_SECONDS, self._rearrange)

    @work(thread=True, exclusive=True, exit_on_error=False, group="watcher", description="start watching runs")
    def _start_watching(self) -> None:
        if self._closing:  # unmounted before it started: nothing to leave behind
            return
        services = self.app.services
        self.watcher = services.watcher(
            on_snapshots=lambda snapshots: self.post_message(self.Updated(snapshots)), follow_store=True,
            spark_points=24, on_error=lambda message: self.post_message(self.Problem(message)),
        )
        self.alerter = services.alerter
        self.progress = services.progress

    def on_unmount(self) -> None:
        self._closing = True  # the app closes the services it built (the watcher, the alerter)

    def on_focus(self) -> None:
        runs = self.query_one(OptionList)
        if runs.option_count:
            runs.focus()

    @on(Updated)
    def _updated(self, event: Updated) -> None:
        now = time.time()
        alerted = False
        for snapshot in event.snapshots:
            self.snapshots[snapshot.path] = snapshot
            for alert in self.policy.observe(snapshot, now) if self.policy is not None else ():
                self._alert(alert)
                alerted = True
        self._dirty = True
        if not self._reported or alerted:
            self._reported = True
            # The first report decides between the list and the empty state at once; after an
            # alert, the row says what the toast says.
            self._refresh_rows()

    def _alert(self, alert: AlertEvent) -> None:
        """A toast here; the other channels (bell, terminal, tmux, push) on their own threads."""
        if self.config.alerts.toast:
            severity = {"error": "error", "warning": "warning"}.get(alert.severity, "information")
            self.notify(alert.text, severity=severity, markup=False, timeout=TOAST_SECONDS)
        if self.alerter is not None:
            self.alerter.submit([alert])

    @on(Problem)
    def _problem(self, event: Problem) -> None:
        self.notify(event.message, severity="error", markup=False)

    def on_resize(self) -> None:
        self._dirty = True
        self._refresh_rows()

    def _rearrange(self) -> None:
        self._dirty = True

    def _refresh_rows(self) -> None:
        if not self._dirty:
            return
        self._dirty = False
        runs = self.query_one(RunList)
        colors = status_colors(self.app.current_theme)
        self.shown = shown = self.order.arrange(self.snapshots.values(), time.time())
        # The list's width before it is first shown, less the scrollbar once the rows overflow.
        width = self.content_region.width
        if len(shown) > self.content_region.height:
            width -= runs.styles.scrollbar_size_vertical
        columns = Columns.fit(shown, max(width, 20))
        paths = [snapshot.path for snapshot in shown]
        current = runs.highlighted_option.id if runs.highlighted_option is not None else None
        if paths != [option.id for option in runs.options]:
            # Reordered, added or removed: rebuild (a few dozen rows at most) and keep the place.
            scroll_y = runs.scroll_y
            runs.clear_options()
            runs.add_options(Option(row(snapshot, columns, colors), id=snapshot.path) for snapshot in shown)
            runs.scroll_to(y=scroll_y, animate=False, immediate=True)
        else:
            for index, snapshot in enumerate(shown):
                runs.replace_option_prompt_at_index(index, row(snapshot, columns, colors))
        self._highlight(runs, shown, current)
        self.border_subtitle = array_line(shown, max(width - 4, 10))
        has_runs = bool(shown)
        if self._reported and self.show_content(has_runs) and has_runs and self.has_focus:
            runs.focus()
        self._show_progress()

    @staticmethod
    def _highlight(runs: RunList, shown: list[RunSnapshot], current: str | None) -> None:
        """The person's choice stays on its run; until they make one, the newest running run
        (stalled if none is running)."""
        paths = [snapshot.path for snapshot in shown]
        if runs.moved_by_person and current in paths:
            target = current
        else:
            runs.moved_by_person = False
            active = next((snapshot.path for snapshot in shown if snapshot.status == "running"), None)
            active = active or next((snapshot.path for snapshot in shown if snapshot.status in ACTIVE), None)
            target = active or (current if current in paths else None) or (paths[0] if paths else None)
        if target is not None and runs.highlighted != (index := paths.index(target)):
            runs.highlighted = index

    def _show_progress(self) -> None:
        """The first active run's progress in the terminal's tab: red on failure, gone when over."""
        if self.progress is None:
            return
        state = ("clear", 0)
        for snapshot in self.shown:
            fraction = snapshot.fraction
            if snapshot.status in ("running", "stalled") and fraction is not None:
                state = ("update", round(fraction * 100))
                break
            if snapshot.status == "failed" and state[0] == "clear":
                state = ("error", round((fraction or 0) * 100))
        if state != self._progress_shown:
            self._progress_shown = state
            self.run_worker(partial(self._write_progress, *state), thread=True, exclusive=True,
                            exit_on_error=False, group="progress", description="terminal progress")

    def _write_progress(self, state: str, percent: int) -> None:  # a worker thread: tmux calls can take a moment
        if state == "update":
            self.progress.update(percent)
        elif state == "error":
            self.progress.error(percent)
        else:
            self.progress.clear()

    def selected(self) -> RunSnapshot | None:
        runs = self.query_one(RunList)
        option = runs.highlighted_option
        return self.snapshots.get(option.id) if option is not None and option.id else None

    @on(OptionList.OptionSelected, "#runs-list")
    def _clicked(self, event: OptionList.OptionSelected) -> None:
        self._open(self.snapshots.get(event.option.id or ""))

    def action_open_run(self) -> None:
        self._open(self.selected())

    def _open(self, snapshot: RunSnapshot | None) -> None:
        if snapshot is None:
            return
        from waitbuddy.runs.formats.user import compile_formats
        from waitbuddy.tui.screens.run_detail import RunScreen

        floor = self.config.runs.stall_minutes * 60
        extra = compile_formats(self.config.runs.formats)
        path = snapshot.path
        # The view shows the watcher's state of the run (the same as this row), read on the UI thread.
        open_tail = None
        if sources.is_remote(path) and self.watcher is not None:  # read over the host's one connection
            remote = self.watcher.remote
            open_tail = partial(remote.tail, on_change=lambda: None)  # the screen polls it
        self.app.push_screen(RunScreen(path, snapshot.name, floor, extra, latest=partial(self.snapshots.get, path),
                                       open_tail=open_tail))

    def action_add_watch(self) -> None:
        def add(text: str | None) -> None:
            if not text:
                return
            try:
                patterns = sources.watch_patterns(text)
            except ValueError as exc:
                self.app.notify(str(exc), severity="error", markup=False)
                return
            for pattern in patterns:
                self._in_background("save the watch", self._add_watch, pattern)

        self.app.push_screen(
            Prompt("Watch a log, a directory or a glob (runs/*/train.log), a log on another machine "
                   "(ssh://host/path) or Slurm jobs (slurm:1234,1235 or slurm-user:NAME):",
                   placeholder="path, glob, ssh://host/path or slurm:JOBID"), add)

    def _add_watch(self, pattern: str) -> None:  # a worker thread: stat and the store can wait (NFS, a lock)
        shown = visible(pattern, limit=200)
        if not sources.is_local(pattern):
            registry.add_watch(self.store, pattern)
            if self.watcher is not None:
                self.watcher.add_pattern(pattern)
            self.app.call_from_thread(self.notify, f"watching {shown}", markup=False)
            return
        if (reason := check_target(pattern)) is not None:  # a FIFO would spin every dashboard, forever
            self.post_message(self.Problem(f"{shown}: {reason}; only log files, directories and globs can be watched"))
            return
        registry.add_watch(self.store, pattern)
        if self.watcher is not None:
            self.watcher.add_pattern(pattern)
        exists = os.path.exists(pattern) or any(char in pattern for char in "*?[")
        self.app.call_from_thread(self.notify, f"watching {shown}" + ("" if exists else " (waiting for it to appear)"),
                                  markup=False)

    def _in_background(self, description: str, function, *args) -> None:
        """Store writes can wait on another pane's transaction: never on the UI thread."""
        self.run_worker(partial(function, *args), thread=True, exit_on_error=False, group="store",
                        description=description)

    def _selected_run(self) -> RunSnapshot | None:
        """The highlighted run, if it is in the store (every followed run is, unless the store failed)."""
        snapshot = self.selected()
        return snapshot if snapshot is not None and snapshot.run_id is not None else None

    def action_remove_run(self) -> None:
        if (snapshot := self._selected_run()) is None:
            return
        path = snapshot.path
        self._in_background("remove the run", registry.hide, self.store, snapshot.run_id)
        if self.watcher is not None:
            self.watcher.unfollow(path)
        self.snapshots.pop(path, None)
        self.order.forget(path)
        self._dirty = True
        self._refresh_rows()
        self.notify(f"removed {visible(snapshot.name)} from the dashboard; `waitbuddy runs --all` still lists it",
                    markup=False)

    def action_unwatch_run(self) -> None:
        if (snapshot := self._selected_run()) is None:
            return
        self._in_background("stop watching", self._unwatch, snapshot.path, snapshot.name)

    def _unwatch(self, path: str, name: str) -> None:  # a worker thread: the store may wait on a lock
        from waitbuddy.runs.patterns import watches_finding

        patterns = watches_finding(self.store, path)
        for pattern in patterns:
            registry.remove_watch(self.store, pattern)
        if patterns:
            shown = ", ".join(visible(pattern, limit=120) for pattern in patterns)
            message = f"stopped watching {shown}: new logs there no longer appear (x removes {visible(name)})"
        else:
            message = f"no watched path, directory or glob names {visible(name)} (it was added another way: x removes it)"
        self.app.call_from_thread(self.notify, message, markup=False)

    def action_rename_run(self) -> None:
        if (snapshot := self._selected_run()) is None:
            return

        def rename(name: str | None) -> None:
            if not name:
                return
            name = safe_line(name, limit=80)
            self._in_background("rename the run", registry.rename, self.store, snapshot.run_id, name)
            self.snapshots[snapshot.path] = replace(snapshot, name=name)
            if self.watcher is not None:
                self.watcher.rename(snapshot.path, name)
            self._dirty = True

        self.app.push_screen(Prompt("New name for this run:", value=snapshot.name), rename)

    def action_note_run(self) -> None:
        if (snapshot := self._selected_run()) is None:
            return
        from waitbuddy.tui.screens.run_detail import ask_for_note

        ask_for_note(self, self.store, snapshot.run_id, snapshot.name)

    def action_mute_run(self) -> None:
        if (snapshot := self._selected_run()) is None:
            return
        muted = not snapshot.muted
        self._in_background("mute the run", registry.set_muted, self.store, snapshot.run_id, muted)
        self.snapshots[snapshot.path] = replace(snapshot, muted=muted)
        if self.watcher is not None:
            self.watcher.set_muted(snapshot.path, muted)
        self._dirty = True
        self.notify(f"alerts {'muted' if muted else 'on'} for {visible(snapshot.name)}", markup=False)


def array_line(shown: list[RunSnapshot], width: int) -> str:
    """How each Slurm array on screen stands, for the area's lower border: "array 12: 8/10 done,
    1 failed" (the scheduler's count, pending tasks included); "" when no array is shown."""
    arrays: dict[str, str] = {}
    for snapshot in shown:
        if snapshot.job and snapshot.array and "_" in snapshot.job:
            arrays.setdefault(snapshot.job.partition("_")[0], snapshot.array)
    text = " · ".join(f"array {job}: {summary}" for job, summary in arrays.items())
    return safe_line(text, limit=width) if text else ""
