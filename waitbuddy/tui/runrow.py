"""Runs as rows of the Runs pane: one set of columns for every row, fitted to the width.

``Columns.fit(snapshots, width)`` decides which columns the rows share and how wide each is,
so a row without a bar, or a muted one, lines up with the others; ``row()`` draws one run.

``▶ ⊘ running  bert-base  ━━━━━╸────  45%  ep 2/3 · 4500/10000  ETA 1h41m  1h23m  loss 0.3121  ▇▆▅▄▃▂``

When the width is short the least useful columns go first: elapsed time, the status word (the
symbol and its colour say it), the sparkline, the metric; the name, bar, percent, count and ETA
stay. A failure, stall or note takes the place of bar, count and ETA on its row.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from rich.cells import cell_len, set_cell_size
from rich.style import Style
from rich.text import Text

from waitbuddy.runs.present import STATUS_SYMBOLS, count_text, headline
from waitbuddy.runs.snapshot import RunSnapshot
from waitbuddy.text import safe_line, visible
from waitbuddy.timefmt import duration

if TYPE_CHECKING:
    from textual.theme import Theme

SPARK = "▁▂▃▄▅▆▇█"
MUTED = "⊘"  # single width (a bell-off emoji takes two cells in most terminals)
ENDED = ("completed", "failed", "interrupted")
GAP = 2  # spaces between columns (1 where that saves the metric)
NAME_MIN = 12
BAR_MIN, BAR_MAX = 8, 16
SPARK_WIDTH, SPARK_MIN = 12, 8


def status_colors(theme: Theme) -> dict[str, str]:
    """Status -> colour, from the theme (the symbol carries the meaning too, not colour alone)."""
    plain = theme.foreground or ""
    return {
        # "running" keeps the plain foreground: the highlighted row's background is the primary colour.
        "waiting": plain, "running": plain, "stalled": theme.warning or theme.primary,
        "completed": theme.success or theme.primary, "failed": theme.error or theme.primary,
        "interrupted": theme.warning or theme.primary,
    }


def bar(fraction: float | None, width: int) -> str:
    if fraction is None:
        return " " * width
    fraction = min(max(fraction, 0.0), 1.0)
    filled = fraction * width
    whole = int(filled)
    half = "╸" if filled - whole >= 0.5 and whole < width else ""
    return "━" * whole + half + "─" * (width - whole - len(half))


def sparkline(values: list[float], width: int) -> str:
    """``width`` values spread over the whole series (the last one included), as block heights."""
    if len(values) > width:
        step = (len(values) - 1) / (width - 1) if width > 1 else 0
        values = [values[round(index * step)] for index in range(width)]
    if len(values) < 2:
        return ""
    low, high = min(values), max(values)
    span = high - low or 1.0
    return "".join(SPARK[min(int((value - low) / span * (len(SPARK) - 1) + 0.5), len(SPARK) - 1)] for value in values)


def reason(snapshot: RunSnapshot) -> str:
    """What replaces the progress columns: why it failed or stalled, or a note about the log."""
    status = snapshot.status
    if status in ("failed", "interrupted") and snapshot.error is not None:
        return safe_line(snapshot.error.message, limit=200)
    if status == "stalled" and snapshot.stall:
        return safe_line(snapshot.stall, limit=120)
    if snapshot.note:
        return safe_line(snapshot.note, limit=120)
    return ""


def position(snapshot: RunSnapshot) -> str:
    """``ep 3/5 · 97/200``: the unit comes from the log, so it is untrusted text too."""
    return safe_line(count_text(snapshot), limit=60)


def widest_position(snapshot: RunSnapshot) -> str:
    """The position text at its widest in this run (the loop's count at its total), so the
    columns do not shift by one each time a count grows a digit."""
    progress, epoch = snapshot.progress, snapshot.epoch
    if progress is not None and progress.total is not None:
        progress = replace(progress, done=progress.total)
    if epoch is not None and epoch.total:
        epoch = replace(epoch, done=max(epoch.total - 1, 0))
    return position(replace(snapshot, progress=progress, epoch=epoch))


ETA_WIDTH = len("ETA 1m40s")  # as wide as an ETA gets below 100 hours: the column keeps its place


def eta_text(snapshot: RunSnapshot) -> str:
    if snapshot.status in ("running", "stalled") and snapshot.eta_seconds is not None:
        return f"ETA {duration(snapshot.eta_seconds)}"
    return ""


def elapsed_text(snapshot: RunSnapshot) -> str:
    return duration(snapshot.elapsed_seconds) if snapshot.elapsed_seconds is not None else ""


def metric_text(snapshot: RunSnapshot) -> str:
    return safe_line(headline(snapshot), limit=40)


@dataclass(frozen=True)
class Columns:
    """Widths shared by every row (0: the column is not shown)."""

    width: int
    gap: int = GAP
    mute: int = 0
    status: int = 0
    name: int = NAME_MIN
    bar: int = BAR_MIN
    count: int = 0
    eta: int = 0
    elapsed: int = 0
    metric: int = 0
    spark: int = 0

    def used(self) -> int:
        """Cells the fixed columns take (the metric counts as its widest value)."""
        total = 1 + 1 + self.name  # symbol, space, name
        total += self.mute + 1 if self.mute else 0
        total += self.status + 1 if self.status else 0
        total += self.gap + self.bar + 1 + 4  # bar, space, "100%"
        for column in (self.count, self.eta, self.elapsed, self.metric, self.spark):
            total += self.gap + column if column else 0
        return total

    @classmethod
    def fit(cls, snapshots: list[RunSnapshot], width: int) -> Columns:
        if not snapshots:
            return cls(width=width)
        names = max(cell_len(visible(snapshot.name, limit=80)) for snapshot in snapshots)
        sparks = any(len(snapshot.spark) >= 2 for snapshot in snapshots)
        full = cls(
            width=width,
            mute=1 if any(snapshot.muted for snapshot in snapshots) else 0,
            status=max(len(snapshot.status) for snapshot in snapshots),
            name=max(min(names, 24, max(width // 3, NAME_MIN)), 4),
            count=min(max(cell_len(position(snapshot)) for snapshot in snapshots), 24),
            eta=max(len(eta_text(snapshot)) for snapshot in snapshots),
            elapsed=max(len(elapsed_text(snapshot)) for snapshot in snapshots),
            metric=max(cell_len(metric_text(snapshot)) for snapshot in snapshots),
            spark=SPARK_WIDTH if sparks else 0,
        )
        # Give up columns, least useful first, until the rest fits.
        steps = (
            lambda c: replace(c, elapsed=0),
            lambda c: replace(c, status=0),
            lambda c: replace(c, spark=min(c.spark, SPARK_MIN)),
            lambda c: replace(c, spark=0),
            lambda c: replace(c, gap=1),
            lambda c: replace(c, metric=0),
            lambda c: replace(c, name=min(c.name, NAME_MIN)),
            lambda c: replace(c, bar=5),
            lambda c: replace(c, eta=0),
            lambda c: replace(c, count=0),
        )
        columns = full
        for step in steps:
            if columns.used() <= width:
                break
            columns = step(columns)
        if columns.metric == 0 and full.metric:
            # No room for the widest metric: each row shows its own if it fits whole.
            columns = replace(columns, metric=max(width - columns.used() - columns.gap, 0))
            if columns.metric < 6:
                columns = replace(columns, metric=0)
        # Room to spare goes first to steady columns: the position as wide as it will get in
        # this run (its count at its total) and the ETA as wide as "ETA 1m40s", so the bar and
        # the percent do not shift a cell each time a count grows a digit; then to the bar.
        if columns.count:
            widest = min(max(cell_len(widest_position(snapshot)) for snapshot in snapshots), 24)
            columns = replace(columns, count=max(columns.count, min(widest, columns.count + width - columns.used())))
        if columns.eta:
            columns = replace(columns, eta=max(columns.eta, min(ETA_WIDTH, columns.eta + width - columns.used())))
        spare = width - columns.used()
        if spare > 0:  # a longer bar reads better than empty space
            columns = replace(columns, bar=min(columns.bar + spare, max(columns.bar, BAR_MAX)))
        return columns


def row(snapshot: RunSnapshot, columns: Columns, colors: dict[str, str]) -> Text:
    status = snapshot.status
    color = colors.get(status) or None
    status_style = Style(color=color, bold=status != "waiting")
    dim = Style(dim=True)
    text = Text(no_wrap=True, overflow="ellipsis", end="")
    text.append(STATUS_SYMBOLS.get(status, "?"), status_style)
    text.append(" ")
    if columns.mute:
        text.append(MUTED if snapshot.muted else " ", dim)
        text.append(" ")
    if columns.status:
        text.append(f"{status:<{columns.status}}", status_style)
        text.append(" ")
    text.append(_fit(visible(snapshot.name, limit=200), columns.name), Style(bold=True))

    gap = " " * columns.gap
    why = reason(snapshot)
    text.append(gap)
    if why:
        # The reason takes the progress columns; if it needs more, the rest of the row.
        style = Style(color=color) if status in ("failed", "interrupted", "stalled") else dim
        span = columns.bar + 1 + 4
        for column in (columns.count, columns.eta, columns.elapsed):
            span += columns.gap + column if column else 0
        if cell_len(why) > span:
            text.append(_fit(why, max(columns.width - text.cell_len, 1)), style)
            return _finish(text, columns)
        text.append(_fit(why, span), style)
    else:
        fraction = snapshot.fraction
        percent = f"{fraction * 100:3.0f}%" if fraction is not None else "    "
        text.append(bar(fraction, columns.bar), Style(color=color) if status in ENDED else Style())
        text.append(f" {percent}")
        if columns.count:
            text.append(gap + _fit(position(snapshot), columns.count))
        if columns.eta:
            text.append(gap + _fit(eta_text(snapshot), columns.eta))
        if columns.elapsed:
            text.append(gap + f"{elapsed_text(snapshot):>{columns.elapsed}}", dim)
    metric = metric_text(snapshot)
    if columns.metric and metric and cell_len(metric) <= columns.metric:
        text.append(gap + _fit(metric, columns.metric))
        if columns.spark:
            spark = sparkline(list(snapshot.spark), columns.spark)
            if spark:
                text.append(gap + spark, Style(color=color) if status in ENDED else Style())
    return _finish(text, columns)


def _fit(value: str, width: int) -> str:
    """``value`` in exactly ``width`` cells: padded, or cut with an ellipsis."""
    if cell_len(value) > width:
        return set_cell_size(value, max(width - 1, 0)) + "…" if width else ""
    return set_cell_size(value, width)


def _finish(text: Text, columns: Columns) -> Text:
    text.rstrip()
    text.truncate(columns.width, overflow="ellipsis")
    return text
