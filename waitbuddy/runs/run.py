"""The state of one training run, folded from the text of its log.

``Run.feed(text, now)`` takes newly read text; ``tick(now)`` lets time pass (stall detection);
``exited(...)`` reports the process ending; ``snapshot(now)`` is the state every consumer reads (a
:class:`~waitbuddy.runs.snapshot.RunSnapshot`).

Status: ``waiting -> running <-> stalled -> completed | failed | interrupted``. Further progress
after a failure means the error was handled (a traceback that a framework caught and logged),
so the run goes back to running; a NaN clears only when that metric is finite again.

Two kinds of text: lines the terminal view has settled (final: they make best values, history,
the traceback state) and rows it still shows, which may be redrawn (bars). The rows are read
together after each read (``live.combine``: nested bars), their metrics are the current ones
while they show, and failure lines among them count at once. What a run ends up as therefore
does not depend on how the bytes were chunked.
"""

from __future__ import annotations

import functools
import math
import re
from collections import deque
from dataclasses import replace
from types import MappingProxyType

from waitbuddy.runs import formats, live
from waitbuddy.runs.formats import failures, hf, lifecycle, optuna, table
from waitbuddy.runs.observe import COMPLETED, FAILED, INTERRUPTED, WARNING, Marker, Observation, Progress, is_loss_like
from waitbuddy.runs.position import Position
from waitbuddy.runs.present import default_name, headline_name, json_metric, json_number
from waitbuddy.runs.screen import TerminalView
from waitbuddy.runs.series import History, best_direction
from waitbuddy.runs.snapshot import RunSnapshot, SnapshotEpoch, SnapshotError, SnapshotProgress
from waitbuddy.text import safe_line
from waitbuddy.timefmt import iso, short_duration

WAITING, RUNNING, STALLED = "waiting", "running", "stalled"
ENDED = (COMPLETED, FAILED, INTERRUPTED)

DEFAULT_STALL_FLOOR = 600.0  # seconds
STALL_MULTIPLE = 3.0  # stalled after this many "usual" gaps without output (and the floor)
SOFT_COMPLETION_IDLE = 60.0  # seconds of silence after a finished-looking last frame = completed
MAX_FRAME = 8192  # longest frame judged whole by its closing "]"
# Text is read in pieces of at most this size, the rows on screen read after each: a long read
# (a history scan, `status`) still samples the bars' metrics for the chart every few frames.
PIECE = 64 * 1024
RECOVERY_STEPS = 3  # progress after an error that means it was handled
# The most specific framework seen names the run; these only when nothing better shows up.
WEAK_FRAMEWORKS = ("generic", "jsonl", "tqdm", "deepspeed")  # weakest first (the launcher before the trainer)
# How specific a failure's reason is: a later marker replaces the reason only if at least as specific.
_SPECIFICITY = {"exit_status": 0, "killed": 1, "terminated": 1, "interrupted": 1, "nan": 1, "exception": 2}
_AFTER_TRAIN = re.compile(r"total training time|overall training speed", re.IGNORECASE)
_EARLY_STOP = re.compile(r"early|overfitting detector|shrink model|best iteration|signaling trainer to stop|"
                         r"no improvement", re.IGNORECASE)


class Run:
    def __init__(self, path: str, name: str | None = None, *, stall_floor: float = DEFAULT_STALL_FLOOR,
                 extra_recognizers: tuple = ()) -> None:
        self.path = path
        self.name = name or default_name(path)
        self.stall_floor = stall_floor
        self.extra_recognizers = extra_recognizers
        # Also search the raw text for failure markers that later frames overwrite; a history
        # scan (catching up on a long log) may turn it off for speed.
        self.scan_raw = True
        self.piece = PIECE  # see PIECE; a history scan of a small log sets it finer (sample_finely)
        self.view = TerminalView(until_cursor_up=1)
        self.tracebacks = failures.Tracebacks()
        self.tables = table.Tables()  # column tables under a header row (YOLO)
        self._shapes: dict[str, int] = {}  # which recognizer read each shape of line (formats.recognize_named)
        self.status = WAITING
        self.framework: str | None = None
        self.position = Position()  # loops, epochs, the fraction, the ETA, the history's x
        self._settled_metrics: dict[str, float] = {}  # last value of each metric in settled lines
        self._live_metrics: dict[str, float] = {}  # metrics on the rows the terminal still shows
        self.best: dict[str, float] = {}  # from settled lines only: the same for any chunking
        self.history: dict[str, History] = {}
        self.error: Marker | None = None
        self.warnings: deque[str] = deque(maxlen=20)
        self.note: str | None = None  # e.g. "not a text log", "file missing"
        self.soft_complete = False
        self.exit_code: int | None = None
        self.exit_signal: int | None = None
        self.started_at: float | None = None
        self.updated_at: float | None = None  # last time new bytes arrived
        self.ended_at: float | None = None
        self.stall_message: str | None = None
        self.disconnected_since: float | None = None  # set by the watcher: a remote log's link is down
        self.job: str | None = None  # set by the watcher: the Slurm job writing it ("12_3")
        self.array: str | None = None  # and its array's tasks ("8/10 done, 1 failed")
        self._gaps: deque[float] = deque(maxlen=200)
        self._unterminated = ""  # text written since the last \r or \n (the frame being drawn)
        self._error_position: tuple[float, float] | None = None
        self._nan_from_bar = False  # the failure is a NaN on a bar, not yet on a settled line
        self._stopped_early = False  # completed by early stopping: the fraction is what the log shows
        self._evaluating = False  # between "Eval begin..." and the next epoch: lines are evaluation's
        self._loop_ended = False  # the training loop said it ended: later progress is no recovery
        self._segment_started = False  # a new run started in the piece being read
        self._version = 0  # bumped on every visible change
        self.lines_read = 0  # settled lines so far (line numbers for explanations)
        # With explain on: where each reading came from, {"status"|"progress"|"plan"|"epoch"|
        # "error"|"metric:NAME": (line number or None, text, recognizer)} (runs/explain.py).
        self.explained: dict[str, tuple[int | None, str, str]] | None = None
        self._source: tuple[int | None, str, str] | None = None

    # --- input -------------------------------------------------------------------------------

    def feed(self, text: str, now: float) -> None:
        """Newly read text of the log (any chunking)."""
        if not text:
            return
        if self.updated_at is not None:
            self._gaps.append(now - self.updated_at)
        if self.started_at is None:
            self.started_at = now
        self.updated_at = now
        self.note = None
        if self.status in (WAITING, STALLED):
            self._set_status(RUNNING)
        self.stall_message = None
        piece = self.piece
        for start in range(0, len(text), piece):
            self._feed(text[start : start + piece], now, last=start + piece >= len(text))
        self._version += 1

    def _feed(self, text: str, now: float, *, last: bool = True) -> None:
        """One piece of a read; ``last``: nothing follows it for now (its half frame may show)."""
        self._segment_started = False
        # A frame is known to be whole only up to the last \r or \n. What follows may be half a
        # frame ("loss: 0." of "loss: 0.0989", or a new frame's start over an old frame's end):
        # the rows are read before it is drawn, and again only once it is whole (a tqdm frame
        # ends with "]").
        end = max(text.rfind("\r"), text.rfind("\n")) + 1
        for line in self.view.feed(text[:end]):
            self._settled(line, now)
        if end:
            self._read_rows(now)
        if end < len(text):
            for line in self.view.feed(text[end:]):
                self._settled(line, now)
            self._unterminated = (text[end:] if end else self._unterminated + text)[-MAX_FRAME:]
            if last:
                self._read_rows(now, tentative=not self._unterminated.rstrip(" ").endswith("]"))
        else:
            self._unterminated = ""
        # Markers in the raw text last, so that the frames of this same read are not taken for
        # progress made after the failure; not when a new run started in this piece (the raw
        # text still holds the earlier run's failure).
        if self.scan_raw and not self._segment_started:
            for marker in failures.scan(text):  # markers that later frames overwrote on screen
                self._marker(marker)

    def sample_finely(self, size: int) -> None:
        """Before reading a whole log of ``size`` bytes at once: read the rows on screen about
        2000 times over it (from every 1 KiB to every PIECE), so a short log's chart has its shape."""
        self.piece = min(max(size // 2000, 1024), PIECE)

    def end_of_content(self, now: float) -> None:
        """No more text will come (the writer is gone): settle what the terminal still shows."""
        lines = self.view.flush()
        self._live_metrics = {}
        for line in lines:
            self._settled(line, now)
        if lines:
            self._version += 1

    def skip(self) -> None:
        """Bytes were skipped (the middle of a big file): the next text starts a fresh view."""
        self.view = TerminalView(until_cursor_up=1)

    def reset(self, now: float) -> None:
        """The file was truncated or replaced: a new run is being written to it."""
        path, name, floor, extra = self.path, self.name, self.stall_floor, self.extra_recognizers
        version, job, array = self._version, self.job, self.array
        self.__init__(path, name, stall_floor=floor, extra_recognizers=extra)  # type: ignore[misc]
        self.job, self.array = job, array  # still the same job's output
        self.started_at = now
        self._version = version + 1  # versions only grow: watchers compare them to what they sent

    def set_note(self, note: str | None) -> None:
        if note != self.note:
            self.note = note
            self._version += 1

    def tick(self, now: float) -> bool:
        """Let time pass; returns True if the status changed (stalled)."""
        if self.status != RUNNING or self.updated_at is None:
            return False
        idle = now - self.updated_at
        if self.soft_complete and idle >= max(SOFT_COMPLETION_IDLE, STALL_MULTIPLE * (self.usual_interval() or 0)):
            # Everything looked finished and nothing more came: it finished, unless what the
            # terminal still shows says otherwise once settled (a failure under the last bars).
            self.end_of_content(self.updated_at)
            if self.status == RUNNING and self.soft_complete:
                self._set_status(COMPLETED)
            return True
        threshold = self.stall_threshold()
        if idle < threshold:
            return False
        usual = self.usual_interval()
        usually = f" (usually every {short_duration(usual)})" if usual is not None else ""
        self.stall_message = f"no output for {short_duration(idle)}{usually}"
        self._set_status(STALLED)
        return True

    def exited(self, code: int | None, signal: int | None, now: float, *, at: float | None = None) -> None:
        """The process writing this log ended (code/signal None: a watched PID, outcome unknown),
        ``at`` that time if it is known (an exit recorded by `waitbuddy run`), else ``now``."""
        self.end_of_content(now)
        self._source = (None, f"the process ended (exit code {code}, signal {signal})", "process exit")
        self.exit_code, self.exit_signal = code, signal
        self.ended_at = now if at is None else at
        if self.status in (FAILED, INTERRUPTED):
            self._version += 1
            return
        marker = failures.exit_marker(code, signal)
        fraction = self.fraction()
        if code is None and signal is None and not self.soft_complete and fraction is not None and fraction < 0.999:
            # A watched PID is gone, outcome unknown: midway and with no sign of completion, it
            # more likely died (killed, OOM) than finished.
            marker = Marker(FAILED, f"the process ended at {fraction:.0%} with no sign of completion "
                                    "(exit status unknown: killed?)", "exit_status")
        if marker.kind == COMPLETED:
            self._set_status(COMPLETED)
        else:
            self._fail(marker)
        self._version += 1

    def scheduled_end(self, marker: Marker, now: float, *, code: int | None = None, signal: int | None = None,
                      at: float | None = None) -> None:
        """The scheduler says the job ended (``marker``: completed, or why not). Its state wins over
        what the log suggested; a specific reason found in the log (a traceback, CUDA out of memory)
        is kept where the scheduler only knows an exit code."""
        self.end_of_content(now)
        self._source = (None, f"Slurm: {marker.message}", "scheduler")
        self.exit_code, self.exit_signal = code, signal
        self.ended_at = at if at is not None else (self.updated_at or now)
        if marker.kind == COMPLETED:
            self.error = None
            self._error_position = None
            self._set_status(COMPLETED)
        else:
            specific = self.error is not None and _SPECIFICITY.get(self.error.error_kind, 3) >= 2
            if not (specific and marker.error_kind in ("exit_status", "killed", "terminated")
                    and self.status == marker.kind):
                self.error = marker
                self._note("error")
            self._set_status(marker.kind)
        self._version += 1

    def decide_idle(self, idle_seconds: float) -> None:
        """For a log nobody is writing any more: decide from content and how long it has been idle."""
        self.end_of_content(self.updated_at or 0.0)
        if self.explained is not None and self.soft_complete:
            self._note("status", self.explained.get("progress") or self.explained.get("epoch"))
            self._source = None
        if self.status in ENDED or self.status == WAITING:
            return
        if self.soft_complete:
            self._set_status(COMPLETED)
        elif idle_seconds >= self.stall_threshold():
            self.stall_message = f"no output for {short_duration(idle_seconds)}"
            self._set_status(STALLED)

    # --- derived -----------------------------------------------------------------------------

    def touch(self) -> None:
        """Something outside the log changed (name, mute): publish a new snapshot."""
        self._version += 1

    @property
    def version(self) -> int:
        return self._version

    def usual_interval(self) -> float | None:
        gaps = sorted(gap for gap in self._gaps if gap > 0.01)
        if len(gaps) < 5:
            return None
        return gaps[int(0.9 * (len(gaps) - 1))]

    def stall_threshold(self) -> float:
        usual = self.usual_interval()
        return max(self.stall_floor, STALL_MULTIPLE * usual) if usual is not None else self.stall_floor

    @property
    def progress(self) -> Progress | None:
        """The innermost training loop's progress (its count is what rows show)."""
        return self.position.progress

    def fraction(self) -> float | None:
        """How much of the whole run is done (0..1), or None when the log does not tell. A run
        that completed is done, unless it stopped early: then what the log shows."""
        if self.status == COMPLETED and not self._stopped_early:
            return 1.0
        return self.position.fraction()

    def eta_seconds(self, now: float) -> float | None:
        if self.status in ENDED:
            return 0.0 if self.status == COMPLETED else None
        return self.position.eta_seconds()

    @property
    def metrics(self) -> dict[str, float]:
        """The current value of each metric: the rows on screen over the settled lines."""
        return {**self._settled_metrics, **self._live_metrics}

    def headline(self) -> tuple[str, float] | None:
        """The metric to show in a one-line summary: a loss if there is one."""
        name = headline_name(self.metrics)
        return None if name is None else (name, self.metrics[name])

    def spark(self, points: int) -> list[float]:
        """``points`` values of the headline metric spread over the whole run (for a sparkline)."""
        headline = self.headline()
        history = self.history.get(headline[0]) if headline else None
        if history is None:
            return []
        values = [value for _x, value in history.points if math.isfinite(value)]
        if len(values) <= points:
            return values
        step = len(values) / points
        return [values[int(index * step)] for index in range(points - 1)] + [values[-1]]

    @property
    def x_unit(self) -> str:
        """What the x of ``series()`` counts: "step" (the run's overall step), "epoch" or "line"."""
        return self.position.x_unit

    def series(self) -> dict[str, list[tuple[float, float]]]:
        """Every metric's history over the whole run, x in ``x_unit``; bounded per metric."""
        return {name: list(history.points) for name, history in self.history.items()}

    def snapshot(self, now: float) -> RunSnapshot:
        progress = self.progress
        fraction = self.fraction()
        eta = self.eta_seconds(now)
        end = self.ended_at if self.ended_at is not None else now
        elapsed = None if self.started_at is None else max(end - self.started_at, 0.0)
        epoch = self.position.epoch_snapshot()
        shown = None if fraction is None else round(fraction, 4)
        if progress is not None:
            progress_state = SnapshotProgress(progress.unit, json_number(progress.done), json_number(progress.total), shown)
        elif fraction is not None and epoch is not None:
            progress_state = SnapshotProgress("epoch", epoch["done"], json_number(epoch["total"]), shown)
        elif fraction is not None:
            progress_state = SnapshotProgress(None, None, None, shown)  # finished; its length unknown
        else:
            progress_state = None
        return RunSnapshot(
            path=self.path,
            name=self.name,
            status=self.status,
            framework=self.framework,
            progress=progress_state,
            epoch=None if epoch is None else SnapshotEpoch(json_number(epoch["done"]), json_number(epoch["total"])),
            eta_seconds=None if eta is None else round(eta, 1),
            elapsed_seconds=None if elapsed is None else round(elapsed, 1),
            metrics={name: json_metric(value) for name, value in self.metrics.items()},
            best={name: json_number(value) for name, value in self.best.items()},
            error=None if self.error is None else SnapshotError(self.error.error_kind, self.error.message),
            stall=self.stall_message if self.status == STALLED else None,
            note=self.note,
            exit_code=self.exit_code,
            exit_signal=self.exit_signal,
            updated_at=None if self.updated_at is None else iso(self.updated_at),
            started_at=None if self.started_at is None else iso(self.started_at),
            ended_at=None if self.ended_at is None or self.status not in ENDED else iso(self.ended_at),
            disconnected_since=None if self.disconnected_since is None else iso(self.disconnected_since),
            job=self.job,
            array=self.array,
        )

    # --- folding -----------------------------------------------------------------------------

    def explain(self) -> None:
        """Remember where each reading comes from (for `status --explain`; off by default)."""
        self.explained = {}

    def _note(self, key: str, source: tuple[int | None, str, str] | None = None) -> None:
        if self.explained is not None and (source or self._source) is not None:
            self.explained[key] = source or self._source  # type: ignore[assignment]

    def _settled(self, line: str, now: float) -> None:
        self.lines_read += 1
        line = formats.strip_prefix(line)
        if self.explained is not None:
            self._source = (self.lines_read, line, "ending or start (lifecycle)")
        if (phase := lifecycle.phase(line)) is not None:
            self._evaluating = phase == "eval"
        if (event := lifecycle.recognize(line)) is not None:
            if event.start:
                self._new_segment()
            elif event.marker is not None:
                self._marker(event.marker)
        if self.explained is not None:
            self._source = (self.lines_read, line, "failure (failures)")
        if marker := failures.recognize(line):
            self._marker(marker)
        if self.explained is not None:
            self._source = (self.lines_read, line, "traceback (failures)")
        was_inside = self.tracebacks.inside
        if marker := self.tracebacks.feed(line, handled=optuna.starts_trial_failure(line)):
            self._marker(marker)
        if was_inside and self.tracebacks.inside:
            return  # a frame or source line of a traceback: not training output
        position = self.position
        if (steps := hf.total_steps(line)) is not None:
            position.total_steps = float(steps)
        position.next_line()
        if self.tables.header(line):
            return
        name: str | None = "table"
        if (found := self.tables.read(line)) is None:
            name, found = formats.recognize_named(line, self.extra_recognizers, self._shapes)
        if found is None:
            return
        if self._evaluating:
            found = _as_evaluation(found)
        if self.explained is not None:
            self._source = (self.lines_read, line, name or "")
            if found.plan:
                self._note("plan")
            if found.epoch is not None or found.epoch_label is not None:
                self._note("epoch")
        if found.framework:
            self._framework(found.framework)
        position.epoch_from(found)
        if found.progress is not None and position.settled_bar(found, now):
            self._note("progress")
            self.soft_complete = position.complete()
        elif found.progress is None and (found.epoch is not None or found.epoch_end) and position.progress is None:
            self.soft_complete = position.complete()  # "Epoch 1000 loss 0.05" of 1000 planned
        for raw_name, value in found.metrics.items():
            name, direction = _metric_name(raw_name)
            self._settled_metrics[name] = value
            self._live_metrics.pop(name, None)
            if direction and math.isfinite(value):
                current = self.best.get(name)
                if current is None or (value - current) * direction > 0:
                    self.best[name] = value
            self.history.setdefault(name, History()).add(position.x, value)
            if self.explained is not None:
                self._note(f"metric:{name}")
            self._check_finite(name, value, settled=True)
        if found.marker is not None:
            self._marker(found.marker)
        self._maybe_recovered()

    def _read_rows(self, now: float, *, tentative: bool = False) -> None:
        """Read the rows the terminal still shows, together (nested bars), after a read.
        ``tentative``: the cursor's row may be half a frame: show its progress and the values of
        metrics already known, and decide nothing from it."""
        rows, _cursor = self.view.held()
        rows = [formats.strip_prefix(row) for row in rows]
        named = [("table", found) if (found := self.tables.read(row)) is not None
                 else formats.recognize_named(row, self.extra_recognizers, self._shapes) for row in rows]
        observations = [_as_evaluation(found) if self._evaluating and found is not None else found
                        for _name, found in named]
        screen = live.combine(observations)
        position = self.position
        if tentative:
            position.screen(screen, now, tentative=True)
            for name, value in screen.metrics.items():
                if name in self._live_metrics:
                    self._live_metrics[name] = value
            return
        self._probe(rows)
        for found in observations:
            if found is None:
                continue
            if found.framework:
                self._framework(found.framework)
            position.epoch_from(found)
            if found.marker is not None and found.marker.kind == COMPLETED:
                self.soft_complete = True  # a completion line that may still change: decided when it settles
        for row in rows[-2:]:
            event = lifecycle.recognize(row)
            if event is not None and event.marker is not None:
                self.soft_complete = True  # "Training finished" right after the last frame, still on screen
        if position.screen(screen, now, tentative=False):
            self.soft_complete = position.complete()
            if self.explained is not None:
                for index, (name, found) in enumerate(named):
                    if found is not None and found.progress is not None:
                        self._note("progress", (self.lines_read + 1 + index, rows[index], f"{name} (on screen)"))
        self._live_metrics = {safe_line(name, limit=64): value for name, value in screen.metrics.items()}
        if self.explained is not None:
            for index, (name, found) in enumerate(named):
                for metric in found.metrics if found is not None else ():
                    self._note(f"metric:{safe_line(metric, limit=64)}",
                               (self.lines_read + 1 + index, rows[index], f"{name} (on screen)"))
        for name, value in self._live_metrics.items():
            history = self.history.setdefault(name, History())
            if not history.points or history.points[-1][0] != position.x:  # a bar's postfix: once per step
                history.add(position.x, value)
            self._check_finite(name, value, settled=False)
        self._maybe_recovered()

    def _probe(self, rows: list[str]) -> None:
        """Failure lines among the rows on screen count now, not once they settle: after nested
        bars, the last lines of a traceback may stay on screen until the log ends."""
        tracebacks = self.tracebacks.copy()
        for index, row in enumerate(rows):
            if self.explained is not None:
                self._source = (self.lines_read + 1 + index, row, "failure (failures, on screen)")
            marker = failures.recognize(row)
            in_traceback = tracebacks.feed(row, handled=optuna.starts_trial_failure(row))
            for found in (marker, in_traceback):
                if found is not None and found.kind != WARNING:  # warnings are noted once, when settled
                    self._marker(found)

    def _framework(self, name: str) -> None:
        if self.framework is None or _rank(name) > _rank(self.framework):
            self.framework = self.position.framework = name

    def _check_finite(self, name: str, value: float, *, settled: bool) -> None:
        """A loss that is NaN or infinite fails the run, named by the first settled line that
        shows one (the same for any chunking), or until there is one, by the bar that showed it;
        it recovers when that metric is finite again."""
        if not is_loss_like(name):
            return
        nan = self.error is not None and self.error.error_kind == "nan"
        if not math.isfinite(value):
            if not (nan and self.status == FAILED) or (settled and self._nan_from_bar):
                self._fail(Marker(FAILED, f"{name} is {value} (NaN/inf)", "nan"))
                self._nan_from_bar = not settled
        elif nan and self.error is not None and self.error.message.startswith(f"{name} is"):
            self._recover()

    def _maybe_recovered(self) -> None:
        if (self.error is not None and self.error.error_kind != "nan" and not self._loop_ended
                and self._advanced_since_error()):
            self._recover()

    def _marker(self, marker: Marker) -> None:
        if marker.kind == WARNING:
            self.warnings.append(safe_line(marker.message))
        elif marker.kind == COMPLETED:
            fraction = self.position.fraction()
            if (self.framework == "detectron2" and _AFTER_TRAIN.match(marker.message) and fraction is not None
                    and fraction < 0.98):
                # detectron2's after-train hook prints its summary however the loop ended.
                self._fail(Marker(INTERRUPTED, f"training stopped at {fraction:.0%} of its iterations "
                                               "(no error in the log)", "interrupted"))
                self._loop_ended = True  # the hook's last metrics that follow are not recovery
                return
            if _EARLY_STOP.search(marker.message):
                self._stopped_early = True
            if marker.soft:
                self.soft_complete = True
            elif self.status not in (FAILED, INTERRUPTED):
                self._set_status(COMPLETED)
        else:
            self._fail(marker)

    def _fail(self, marker: Marker) -> None:
        if marker == self.error and self.status in (FAILED, INTERRUPTED):
            return  # seen again (a line on screen, then settled): the run failed once, at the first
        if self.error is not None and self.status in (FAILED, INTERRUPTED):
            # Keep the most specific reason: "CUDA out of memory", an NCCL timeout or Slurm's time
            # limit beat the exception they raise, which beats the kills and the exit status that
            # follow (a launcher killing the other ranks).
            new, old = _SPECIFICITY.get(marker.error_kind, 3), _SPECIFICITY.get(self.error.error_kind, 3)
            if new < old or new == old == 3:
                return  # (of two specific reasons, the first: the cause comes before its echoes)
        self.error = marker
        self._note("error")
        self._nan_from_bar = False
        self._error_position = self.position.marks()
        self._set_status(INTERRUPTED if marker.kind == INTERRUPTED else FAILED)

    def _new_segment(self) -> None:
        """Training starts again in the same file (an appended or resumed run): an ending or a
        failure before it is history and does not decide today's status."""
        if self.status == WAITING or self.exit_code is not None or self.exit_signal is not None:
            return
        if self.status in ENDED:
            self.error = None
            self._error_position = None
            self._nan_from_bar = False
            self._set_status(RUNNING)
        self._loop_ended = self._stopped_early = False
        self.soft_complete = False
        self.position.new_segment()
        self.tracebacks = failures.Tracebacks()
        self._segment_started = True

    def _recover(self) -> None:
        self.error = None
        self._error_position = None
        self._set_status(RUNNING)

    def _advanced_since_error(self) -> bool:
        """Clearly more progress than when the error appeared (Lightning redraws its bar, one step
        on, after a traceback: that is not recovery)."""
        if self._error_position is None or self.status not in (FAILED, INTERRUPTED) or self.exit_code is not None:
            return False
        (epoch, done), (error_epoch, error_done) = self.position.marks(), self._error_position
        return epoch > error_epoch or (epoch == error_epoch and done >= error_done + RECOVERY_STEPS)

    def _set_status(self, status: str) -> None:
        if status != self.status:
            self.status = status
            if self.explained is not None:
                if status == STALLED:
                    self.explained["status"] = (None, self.stall_message or "no output", "time")
                elif status != RUNNING or self.explained.get("status") is None:
                    self._note("status")
            # A run ends with its last output (not when a quiet spell confirmed it), unless the
            # process exit says when (exited() sets it first).
            if status not in ENDED:
                self.ended_at = None
            elif self.ended_at is None:
                self.ended_at = self.updated_at
            self._version += 1


@functools.lru_cache(maxsize=1024)
def _metric_name(name: str) -> tuple[str, int]:
    """The name as shown (JSON-line keys are arbitrary text) and which way is better."""
    shown = safe_line(name, limit=64)
    return shown, best_direction(shown)


def _as_evaluation(found: Observation) -> Observation:
    """A line of an evaluation pass: its metrics under evaluation names, its count not the run's."""
    metrics = {name if name.lower().startswith(("val", "eval", "test")) else f"eval_{name}": value
               for name, value in found.metrics.items()}
    progress = None if found.progress is None else replace(found.progress, eval=True)
    return replace(found, metrics=MappingProxyType(metrics), progress=progress, epoch=None, epoch_label=None)


def _rank(framework: str) -> int:
    return WEAK_FRAMEWORKS.index(framework) if framework in WEAK_FRAMEWORKS else len(WEAK_FRAMEWORKS)
