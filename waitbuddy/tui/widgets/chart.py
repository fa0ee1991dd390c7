"""A line chart of one metric against step, drawn with braille dots (2x4 per cell)."""

from __future__ import annotations

import math

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from waitbuddy.runs.present import number
from waitbuddy.text import safe_line

# Braille dot bits by (x, y) inside a cell, y from the top.
_DOTS = ((0x01, 0x02, 0x04, 0x40), (0x08, 0x10, 0x20, 0x80))


def plot(points: list[tuple[float, float]], width: int, height: int) -> list[str]:
    """Rows of braille characters drawing the polyline through ``points`` (finite ones only)."""
    points = [(x, y) for x, y in points if math.isfinite(x) and math.isfinite(y)]
    cells = [[0] * width for _ in range(height)]
    if len(points) >= 1 and width > 0 and height > 0:
        xs, ys = [x for x, _ in points], [y for _, y in points]
        x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
        dots_w, dots_h = width * 2, height * 4

        def dot(x: float, y: float) -> tuple[int, int]:
            dx = 0 if x1 == x0 else round((x - x0) / (x1 - x0) * (dots_w - 1))
            dy = dots_h // 2 if y1 == y0 else round((y1 - y) / (y1 - y0) * (dots_h - 1))
            return dx, dy

        previous = None
        for x, y in points:
            current = dot(x, y)
            for px, py in _line(previous or current, current):
                cells[py // 4][px // 2] |= _DOTS[px % 2][py % 4]
            previous = current
    return ["".join(chr(0x2800 + bits) if bits else " " for bits in line) for line in cells]


def _line(start: tuple[int, int], end: tuple[int, int]) -> list[tuple[int, int]]:
    (x0, y0), (x1, y1) = start, end
    steps = max(abs(x1 - x0), abs(y1 - y0), 1)
    return [(round(x0 + (x1 - x0) * i / steps), round(y0 + (y1 - y0) * i / steps)) for i in range(steps + 1)]


class MetricChart(Widget):
    DEFAULT_CSS = """
    MetricChart {
        height: 1fr;
        min-height: 6;
        color: $primary;
    }
    """

    series: reactive[dict[str, list[tuple[float, float]]]] = reactive(dict, always_update=True)
    metric: reactive[str | None] = reactive(None)

    def render(self) -> Text:
        width, height = self.size.width, self.size.height
        name = self.metric if self.metric in self.series else next(iter(self.series), None)
        if name is None:
            return Text("No metrics yet: the chart appears once the log prints a loss or other metric.",
                        style="italic")
        points = self.series[name]
        values = [y for _, y in points if math.isfinite(y)]
        title = f"{safe_line(name, limit=40)}  last {number(values[-1]) if values else '-'}"
        if values:
            title += f"  min {number(min(values))}  max {number(max(values))}  ({len(points)} points)"
        label_width = 10
        rows = plot(points, max(width - label_width - 1, 1), max(height - 2, 1))
        text = Text(title + "\n", style="bold")
        for index, line in enumerate(rows):
            label = number(max(values)) if index == 0 and values else (
                number(min(values)) if index == len(rows) - 1 and values else "")
            text.append(f"{label:>{label_width}} ", style="dim")
            text.append(line + "\n")
        if points:
            text.append(f"{'':>{label_width}} step {number(points[0][0])} … {number(points[-1][0])}", style="dim")
        return text
