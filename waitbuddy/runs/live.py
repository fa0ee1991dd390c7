"""What the rows a terminal still shows say together: nested bars and the metrics on screen.

Nested tqdm bars (an outer bar over epochs, an inner one over batches with ``position=1``) are
several rows that are redrawn together. Read one row at a time, whichever row was drawn last
would decide the run's progress; read together, the outer bars say how many of their loops
are done and the innermost bar how far the current one is. Pure: no state, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from waitbuddy.runs.observe import Observation, Progress


@dataclass(frozen=True)
class Screenful:
    """The combined reading of the rows on screen, top to bottom."""

    progress: Progress | None = None  # the innermost training loop shown
    outer: tuple[Progress, ...] = ()  # the loops around it, outermost first
    epoch: tuple[float, float | None] | None = None  # (completed, total) from an outer epoch bar
    metrics: dict[str, float] = field(default_factory=dict)  # every row's, the lower row winning


def combine(observations: list[Observation | None]) -> Screenful:
    bars = [found.progress for found in observations
            if found is not None and found.progress is not None and not found.progress.eval
            and not found.progress.increment]
    metrics: dict[str, float] = {}
    for found in observations:
        if found is not None:
            metrics.update(found.metrics)
    if not bars:
        return Screenful(metrics=metrics)
    inner, outer = bars[-1], tuple(bars[:-1])
    epoch = None
    epoch_bars = [bar for bar in outer if bar.loop == "epoch"]
    if epoch_bars:
        epoch = (epoch_bars[-1].done, epoch_bars[-1].total)
        # The loop inside an epoch loop runs once per epoch, whatever its description says.
        if inner.per_epoch is None:
            inner = _with(inner, per_epoch=True)
    elif inner.loop == "epoch" and not outer:
        # A lone bar over epochs: it is the run's progress, counted in epochs.
        epoch = (inner.done, inner.total)
        inner = _with(inner, unit="epoch", per_epoch=False)
    return Screenful(progress=inner, outer=outer, epoch=epoch, metrics=metrics)


def _with(progress: Progress, **changes: object) -> Progress:
    from dataclasses import replace

    return replace(progress, **changes)
