"""A line chart of one metric over the whole run, drawn with braille dots (2x4 per cell).

The metric's evaluation counterpart (``val_loss`` beside ``loss``) is drawn on the same axes
in a second colour, so overfitting shows as the two lines parting.
"""

from __future__ import annotations

import math
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from waitbuddy.runs.present import number
from waitbuddy.text import safe_line

# Braille dot bits by (x, y) inside a cell, y from the top.
_DOTS = ((0x01, 0x02, 0x04, 0x40), (0x08, 0x10, 0x20, 0x80))
_TRAIN_PREFIXES = ("train", "training")
_EVAL_PREFIXES = ("val", "eval", "valid", "validation", "test")
_SEPARATORS = ("_", "/", "-", ".")

Points = list[tuple[float, float]]
Bounds = tuple[float, float, float, float]  # x0, x1, y0, y1


def finite(points: Points) -> Points:
    return [(x, y) for x, y in points if math.isfinite(x) and math.isfinite(y)]


def bounds(*series: Points) -> Bounds | None:
    points = [point for each in series for point in finite(each)]
    if not points:
        return None
    xs, ys = [x for x, _ in points], [y for _, y in points]
    return min(xs), max(xs), min(ys), max(ys)


def cells(points: Points, width: int, height: int, box: Bounds | None = None) -> list[list[int]]:
    """Braille bits per cell for the polyline through ``points`` (finite ones), within ``box``."""
    points = finite(points)
    grid = [[0] * width for _ in range(height)]
    box = box or bounds(points)
    if not points or box is None or width <= 0 or height <= 0:
        return grid
    x0, x1, y0, y1 = box
    dots_w, dots_h = width * 2, height * 4

    def dot(x: float, y: float) -> tuple[int, int]:
        dx = 0 if x1 == x0 else round((x - x0) / (x1 - x0) * (dots_w - 1))
        dy = dots_h // 2 if y1 == y0 else round((y1 - y) / (y1 - y0) * (dots_h - 1))
        return min(max(dx, 0), dots_w - 1), min(max(dy, 0), dots_h - 1)

    previous = None
    for x, y in points:
        current = dot(x, y)
        for px, py in _line(previous or current, current):
            grid[py // 4][px // 2] |= _DOTS[px % 2][py % 4]
        previous = current
    return grid


def plot(points: Points, width: int, height: int) -> list[str]:
    """Rows of braille characters drawing the polyline through ``points`` (finite ones only)."""
    return ["".join(chr(0x2800 + bits) if bits else " " for bits in line) for line in cells(points, width, height)]


def _line(start: tuple[int, int], end: tuple[int, int]) -> list[tuple[int, int]]:
    (x0, y0), (x1, y1) = start, end
    steps = max(abs(x1 - x0), abs(y1 - y0), 1)
    return [(round(x0 + (x1 - x0) * i / steps), round(y0 + (y1 - y0) * i / steps)) for i in range(steps + 1)]


def companion(name: str, names: object) -> str | None:
    """The evaluation metric that goes with ``name`` (``loss`` -> ``val_loss``/``eval_loss``,
    ``train/acc`` -> ``val/acc``), if ``names`` has one; None for an evaluation metric itself."""
    lower = name.lower()
    if any(lower.startswith(prefix + sep) for prefix in _EVAL_PREFIXES for sep in _SEPARATORS):
        return None
    base = name
    for prefix in _TRAIN_PREFIXES:
        for sep in _SEPARATORS:
            if lower.startswith(prefix + sep):
                base = name[len(prefix) + 1:]
    for prefix in _EVAL_PREFIXES:
        for sep in _SEPARATORS:
            candidate = f"{prefix}{sep}{base}"
            if candidate in names:  # type: ignore[operator]
                return candidate
    return None


class MetricChart(Widget):
    DEFAULT_CSS = """
    MetricChart {
        height: 1fr;
        min-height: 6;
        color: $primary;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    MetricChart > .metric-chart--eval {
        color: $warning;
    }
    MetricChart > .metric-chart--axis {
        color: $text-muted;
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {"metric-chart--eval", "metric-chart--axis"}

    series: reactive[dict[str, Points]] = reactive(dict, always_update=True)
    metric: reactive[str | None] = reactive(None)
    x_unit: reactive[str] = reactive("step")

    def shown(self) -> tuple[str | None, str | None]:
        """The metric drawn, and its evaluation counterpart drawn beside it (or None)."""
        name = self.metric if self.metric in self.series else next(iter(self.series), None)
        return name, (companion(name, self.series) if name is not None else None)

    def render(self) -> Text:
        width, height = self.size.width, self.size.height
        name, other = self.shown()
        if name is None:
            return Text("No metrics yet: the chart appears once the log prints a loss or other metric.",
                        style="italic")
        main = self.series[name]
        second = self.series.get(other, []) if other else []
        eval_style = self.get_component_rich_style("metric-chart--eval", partial=True)
        axis_style = self.get_component_rich_style("metric-chart--axis", partial=True)
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        text.append(_legend(name, main), Style(bold=True))
        if other:
            text.append("   ")
            text.append(_legend(other, second), eval_style + Style(bold=True))
        text.append("\n")
        box = bounds(main, second)
        label_width = 10
        plot_width, plot_height = max(width - label_width - 1, 1), max(height - 2, 1)
        first = cells(main, plot_width, plot_height, box)
        extra = cells(second, plot_width, plot_height, box)
        for index in range(plot_height):
            label = ""
            if box is not None and index == 0:
                label = number(box[3])
            elif box is not None and index == plot_height - 1:
                label = number(box[2])
            text.append(f"{label:>{label_width}} ", axis_style)
            for own, theirs in zip(first[index], extra[index], strict=True):
                if own or not theirs:
                    text.append(chr(0x2800 + (own | theirs)) if own or theirs else " ")
                else:
                    text.append(chr(0x2800 + theirs), eval_style)
            text.append("\n")
        if box is not None:
            unit = safe_line(self.x_unit, limit=20)
            text.append(f"{'':>{label_width}} {unit} {number(_integral(box[0]))} … {number(_integral(box[1]))}",
                        axis_style)
        return text


def _legend(name: str, points: Points) -> str:
    values = [y for _, y in finite(points)]
    title = f"{safe_line(name, limit=40)}  last {number(values[-1]) if values else '-'}"
    if values:
        title += f"  min {number(min(values))}  max {number(max(values))}"
    return title


def _integral(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value
