"""Series a run keeps: bounded metric histories, and its pace for the ETA."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

HISTORY_POINTS = 1000  # per metric; older points are thinned, not dropped
RATE_WINDOW_SECONDS = 300.0
RATE_SLICES = 10
RATE_SAMPLES = 800  # progress samples kept for the ETA; thinned by half when full
BEHIND_RESTART = 5  # readings in a row below the last that mean progress really went back
_MINIMIZED = re.compile(r"loss|err|rmse|mse|mae|l1|l2|ppl|perplexity|wer|cer", re.IGNORECASE)
_MAXIMIZED = re.compile(r"acc|f1|auc|score|precision|recall|map|bleu|rouge|r2|iou|dice", re.IGNORECASE)


@dataclass
class History:
    """A bounded series of (x, value): when full, every other point is dropped and the
    sampling stride doubles, so a long run keeps its whole shape at lower resolution."""

    points: list[tuple[float, float]] = field(default_factory=list)
    stride: int = 1
    _skipped: int = 0

    def add(self, x: float, value: float) -> None:
        self._skipped += 1
        if self._skipped < self.stride:
            return
        self._skipped = 0
        self.points.append((x, value))
        if len(self.points) >= HISTORY_POINTS:
            self.points = self.points[::2]
            self.stride *= 2


def best_direction(name: str) -> int:
    """-1 if smaller is better, +1 if larger is, 0 if unknown."""
    if _MINIMIZED.search(name):
        return -1
    if _MAXIMIZED.search(name):
        return 1
    return 0


class Pace:
    """The run's overall progress (0..1) over time, sampled sparsely enough to cover the run."""

    def __init__(self) -> None:
        self.samples: list[tuple[float, float]] = []  # (time, fraction)
        self._behind = 0  # samples in a row below the last one kept

    def add(self, now: float, fraction: float) -> None:
        samples = self.samples
        # A run's progress does not go back: one reading below the last is a stale frame (tqdm
        # redraws an outer bar's old count before advancing it); several in a row are a new
        # start (the first bar was not the run's), and the pace starts over from them.
        if samples and fraction < samples[-1][1]:
            self._behind += 1
            if self._behind < BEHIND_RESTART:
                return
            samples.clear()
        self._behind = 0
        spacing = max(0.5, (now - samples[0][0]) / (RATE_SAMPLES / 2)) if samples else 0.0
        if samples and now - samples[-1][0] < spacing:
            return
        samples.append((now, fraction))
        if len(samples) > RATE_SAMPLES:
            self.samples = samples[:-1:2] + samples[-1:]

    def rate(self) -> float | None:
        """Fraction per second: the median over ten slices of a recent window (5 minutes, or half
        the run if longer). A validation pause or the slow first steps spoil a few slices, not
        the median. None until there are 20 s of history."""
        samples = self.samples
        if len(samples) < 3:
            return None
        t_first, t_now = samples[0][0], samples[-1][0]
        elapsed = t_now - t_first
        if elapsed < 20.0:
            return None
        window = min(elapsed, max(RATE_WINDOW_SECONDS, 0.5 * elapsed))
        width = window / RATE_SLICES
        times = [t for t, _ in samples]
        edges = [_interpolate(samples, times, t_now - window + index * width) for index in range(RATE_SLICES + 1)]
        rates = sorted((edges[index + 1] - edges[index]) / width for index in range(RATE_SLICES))
        rate = (rates[RATE_SLICES // 2 - 1] + rates[RATE_SLICES // 2]) / 2
        return rate if rate > 0 else None


def _interpolate(samples: list[tuple[float, float]], times: list[float], at: float) -> float:
    """The fraction at time ``at``, linear between the samples around it."""
    index = bisect.bisect_left(times, at)
    if index <= 0:
        return samples[0][1]
    if index >= len(samples):
        return samples[-1][1]
    (t0, f0), (t1, f1) = samples[index - 1], samples[index]
    return f0 if t1 == t0 else f0 + (f1 - f0) * (at - t0) / (t1 - t0)
