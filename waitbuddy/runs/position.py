"""Where a run is: its loops (epochs, the batches of one, bars around bars), how much of the whole
run that is, the ETA, and the x of its metric history. Fed by ``Run``; no text parsing here.

The fraction is the whole run's: an epoch's batch bar at 48 % in the third of five epochs is
(2 + 0.48) / 5, never 48 %; with nested bars each outer bar counts finished loops of the one
inside it. Where the log does not say how many epochs there are, a per-epoch loop gives no
fraction rather than one epoch's share.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from waitbuddy.runs import live
from waitbuddy.runs.observe import Observation, Progress
from waitbuddy.runs.series import Pace

# Frameworks whose progress bar spans the whole run rather than one epoch.
GLOBAL_BAR = frozenset({"transformers", "xgboost", "lightgbm", "catboost", "optuna", "sklearn"})
ELAPSED_TRUSTED = 10.0  # seconds of a loop's printed elapsed time (whole seconds) worth trusting


class Position:
    def __init__(self) -> None:
        self.framework: str | None = None  # kept up to date by the run (it decides nesting)
        self.progress: Progress | None = None  # the innermost training loop
        self.outer: tuple[Progress, ...] = ()  # the bars around it on screen, outermost first
        self.epoch: tuple[float, float | None] | None = None  # (completed, total)
        self.epoch_total: float | None = None
        self.total_steps: float | None = None  # e.g. HF "Total optimization steps = 375"
        self.plan_epochs: float | None = None  # from the configuration printed at the head
        self.plan_steps: float | None = None
        self._replan = False  # training started again in the file: the next plan is the new run's
        self._epoch_base: int | None = None  # 0 once an "epoch 0" was seen: printed numbers start at 0
        self._progress_epoch = 0.0  # epochs done when the progress was last set
        self._count = 0.0  # for counted progress (scikit-learn fits)
        self._pace = Pace()  # the fraction over time, for the ETA
        self.x = 0.0  # x axis for metric history: the run's step, else its epoch, else a line count
        self.x_unit = "line"

    # --- what the log says ---------------------------------------------------------------------

    def epoch_from(self, found: Observation) -> None:
        if found.epoch is not None and _finite(found.epoch[0]) and _finite(found.epoch[1] or 0.0):
            self.set_epoch(*found.epoch)
        elif found.epoch_label is not None and _finite(found.epoch_label):
            if found.epoch_label == 0:
                self._epoch_base = 0
            elif (self._epoch_base is None and not found.epoch_end and self.epoch is not None
                  and found.epoch_label == self.epoch[0]):
                # "epoch 2" while a counter says 2 epochs are done: the labels count from 0 (the
                # "epoch 0" lines were bars overwritten on screen before they could be read).
                self._epoch_base = 0
            base = self._epoch_base if self._epoch_base is not None else 1
            total = found.label_total if found.label_total and _finite(found.label_total) else None
            if total is not None and base == 0 and found.epoch_label >= total:
                total = None  # "[5/5]" counted from 1 after all
            completed = found.epoch_label - base + (1 if found.epoch_end else 0)
            self.set_epoch(max(completed, 0.0), total)
        if found.plan:
            self.apply_plan(found.plan)

    def apply_plan(self, plan: Mapping[str, float]) -> None:
        """Totals from the configuration at the head of the log; a counter's own total wins."""
        # The first plan of a run is its own: a later dump is often a loaded model's config. After
        # a new start in the same file, the next plan replaces it.
        replan, self._replan = self._replan, False
        if (epochs := plan.get("epochs")) and _finite(epochs) and (self.plan_epochs is None or replan):
            if self.epoch_total is None or self.epoch_total == self.plan_epochs:  # not a counter's own
                self.epoch_total = epochs
                if self.epoch is not None:
                    self.epoch = (self.epoch[0], epochs)
            self.plan_epochs = epochs
        if (steps := plan.get("steps")) and _finite(steps) and (self.plan_steps is None or replan):
            if self.total_steps is None or self.total_steps == self.plan_steps:
                self.total_steps = steps
            self.plan_steps = steps

    def new_segment(self) -> None:
        """Training starts again in the same file (a resumed run): the loops start over; totals
        and the history's x stay until the new run says otherwise."""
        self.progress = None
        self.outer = ()
        self._pace = Pace()
        self._replan = True  # a plan printed from here on is the new run's

    def set_epoch(self, completed: float, total: float | None) -> None:
        if total:
            self.epoch_total = total
        self.epoch = (completed, total or self.epoch_total)
        if self.x_unit == "line":
            self.x_unit, self.x = "epoch", completed
        elif self.x_unit == "epoch":
            self.x = completed

    def settled_bar(self, found: Observation, now: float) -> bool:
        """A bar (or counter) on a settled line: the last word on its loop. True if it moved the run."""
        progress = found.progress
        if progress is None or not _finite(progress.done) or not _finite(progress.total or 0.0):
            return False
        self.outer = ()  # nesting is read from the rows on screen
        alone = live.combine([found])  # a bar over epochs counts epochs
        if alone.epoch is not None:
            self.set_epoch(*alone.epoch)
        return self.advance(alone.progress or progress, now)

    def screen(self, screen: live.Screenful, now: float, *, tentative: bool) -> bool:
        """The bars on screen, read together; True if they moved the run. ``tentative``: perhaps
        half a frame: shown until the next read, deciding nothing."""
        if not tentative and screen.epoch is not None and all(_finite(value or 0.0) for value in screen.epoch):
            self.set_epoch(*screen.epoch)
        bar = screen.progress
        if bar is None or not _finite(bar.done) or not _finite(bar.total or 0.0) or self._inner_loop_ended(screen):
            return False
        self.outer = screen.outer
        if not tentative:
            return self.advance(bar, now)
        self.progress = self._as_run_progress(bar)
        self._progress_epoch = self._epochs_done()
        return False

    def _inner_loop_ended(self, screen: live.Screenful) -> bool:
        """The bar over epochs alone again, at the count it had around the batch bar: the batch
        loop ended (its bar erased, validation may run for minutes) and the epoch bar has not
        moved yet. The epoch is as far as its batches got, not back at its start."""
        bar = screen.progress
        return bar is not None and not screen.outer and bar.loop == "epoch" and any(
            outer.loop == "epoch" and (outer.done, outer.total) == (bar.done, bar.total) for outer in self.outer)

    def advance(self, progress: Progress, now: float) -> bool:
        """New progress of a training loop; False for a validation loop, which is not the run's."""
        if progress.eval:
            return False
        if progress.increment:
            self._count += progress.done
            total = self.progress.total if self.progress and self.progress.unit == progress.unit else None
            progress = Progress(done=self._count, total=total, unit=progress.unit)
        elif progress.unit == "fit":
            self._count = progress.done
        self.progress = progress = self._as_run_progress(progress)
        self._progress_epoch = self._epochs_done()
        self.x_unit = "step"
        self.x = self._loops_done() * (progress.total or 0) + progress.done
        if (fraction := self.fraction()) is not None:
            self._pace.add(now, fraction)
        return True

    def _as_run_progress(self, progress: Progress) -> Progress:
        if self.framework == "transformers" and progress.unit == "it":
            # The Trainer's bar counts optimizer steps over the whole run.
            return Progress(done=progress.done, total=progress.total or self.total_steps, unit="step",
                            per_epoch=False, remaining_seconds=progress.remaining_seconds,
                            elapsed_seconds=progress.elapsed_seconds)
        if (progress.total is None and self.total_steps and progress.per_epoch is not True
                and progress.unit in ("step", "iteration", "update", "timestep")):
            # "iter: 3999" with the run's max_iter from the configuration at the head.
            return Progress(done=progress.done, total=self.total_steps, unit=progress.unit, per_epoch=False,
                            remaining_seconds=progress.remaining_seconds, elapsed_seconds=progress.elapsed_seconds)
        return progress

    def next_line(self) -> None:
        """A settled line went by: the x of a log that counts nothing else."""
        if self.x_unit == "line":
            self.x += 1

    # --- derived -------------------------------------------------------------------------------

    def complete(self) -> bool:
        """Does the latest progress say the whole run is done? (A 100 % data-loading bar followed
        by a training bar at 3 % is not a finished run: it follows the latest.)"""
        fraction = self.fraction()
        return fraction is not None and fraction >= 1.0

    def fraction(self) -> float | None:
        """How much of the whole run is done (0..1), or None when the log does not tell."""
        progress = self.progress
        if progress is None or not progress.total:
            if self.epoch_total and self.epoch:
                return _clamp(self.epoch[0] / self.epoch_total)
            if progress is None and self.epoch is None and (self.plan_epochs or self.plan_steps):
                return 0.0  # the plan is known and no loop has started (loading data, building the model)
            return None
        within = _clamp(progress.done / progress.total)
        if not math.isfinite(within):
            return None
        if self.outer:  # nested bars: each outer bar counts finished loops of the one inside it
            fraction = within
            for bar in reversed(self.outer):
                if not bar.total:
                    return None
                fraction = _clamp((bar.done + fraction) / bar.total)
            return fraction
        if self._nested(progress):
            if self._epochs_done() > self._progress_epoch:
                within = 0.0  # the loop shown is an earlier epoch's: the next one has not started
            if self.epoch_total:
                return _clamp((self._epochs_done() + within) / self.epoch_total)
            if progress.per_epoch:
                return None  # one epoch's share of an unknown number of epochs
        return within

    def eta_seconds(self) -> float | None:
        """Seconds left from the pace of the whole run, or else from the framework's own times."""
        fraction = self.fraction()
        if fraction is None:
            progress = self.progress
            # A framework that prints the whole run's time left where no total is in the log
            # (detectron2's eta without the config dump) still says when the run will end.
            if progress is not None and progress.total is None and progress.per_epoch is False:
                return progress.remaining_seconds
            return None
        if fraction >= 1.0:
            return 0.0
        if rate := self._pace.rate():
            return (1.0 - fraction) / rate
        progress = self.progress
        if progress is None or not progress.total:
            return None
        # Only the framework's own times for the current loop: seconds per loop, times loops left.
        within = _clamp(progress.done / progress.total)
        elapsed, remaining = progress.elapsed_seconds, progress.remaining_seconds
        # Both are printed in whole seconds: the elapsed time is the better measure once it is
        # long enough for that not to matter, the framework's remaining time before.
        if elapsed and within >= 0.05 and (elapsed >= ELAPSED_TRUSTED or remaining is None or within >= 1.0):
            seconds_per_loop = elapsed / within
        elif remaining and within < 1.0:  # "00:00" left of a loop not done says nothing (sub-second)
            seconds_per_loop = remaining / (1.0 - within)
        else:
            return None
        return seconds_per_loop * (1.0 - fraction) * self._loops()

    def epoch_snapshot(self) -> dict | None:
        """``{"done": finished epochs, "total": ...}`` for the JSON, or None."""
        if self.epoch is None:
            return None
        done = math.floor(self.epoch[0])
        progress = self.progress
        if (progress is not None and progress.total and progress.done >= progress.total and self._nested(progress)
                and self._progress_epoch == self.epoch[0]):
            done += 1  # the epoch's own loop has finished: that epoch is done too
        if self.epoch_total:
            done = min(done, int(self.epoch_total))
        return {"done": done, "total": self.epoch_total}

    def marks(self) -> tuple[float, float]:
        """(epochs done, the loop's count): to tell whether a run moved on since an error."""
        return (self._epochs_done(), self.progress.done if self.progress else 0.0)

    def _nested(self, progress: Progress) -> bool:
        """Does this loop run once per epoch (so epochs multiply it)?"""
        if progress.per_epoch is not None:
            return progress.per_epoch
        return self.framework not in GLOBAL_BAR and self.epoch_total is not None

    def _epochs_done(self) -> float:
        return self.epoch[0] if self.epoch else 0.0

    def _loops_done(self) -> float:
        """Finished runs of the innermost loop before the current one."""
        if self.outer:
            done = 0.0
            for bar in self.outer:
                done = done * (bar.total or 0) + bar.done
            return done
        progress = self.progress
        return self._epochs_done() if progress is not None and self._nested(progress) else 0.0

    def _loops(self) -> float:
        """How many times the innermost loop runs in the whole run."""
        if self.outer:
            return math.prod(bar.total or 1 for bar in self.outer)
        progress = self.progress
        return self.epoch_total if progress is not None and self._nested(progress) and self.epoch_total else 1.0


def _finite(value: float) -> bool:
    return math.isfinite(value)


def _clamp(value: float) -> float:
    return min(max(value, 0.0), 1.0)
