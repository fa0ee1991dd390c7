"""One run as one line of the Runs pane, fitted to the width it gets."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.theme import Theme

from waitbuddy.runs.present import STATUS_SYMBOLS, duration, epoch_text, headline, number
from waitbuddy.text import safe_line

SPARK = "▁▂▃▄▅▆▇█"


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
        return "·" * width
    filled = fraction * width
    whole = int(filled)
    half = "╸" if filled - whole >= 0.5 and whole < width else ""
    return "━" * whole + half + "─" * (width - whole - len(half))


def sparkline(values: list[float], width: int) -> str:
    values = values[-width:]
    if len(values) < 2:
        return ""
    low, high = min(values), max(values)
    span = high - low or 1.0
    return "".join(SPARK[min(int((value - low) / span * (len(SPARK) - 1) + 0.5), len(SPARK) - 1)] for value in values)


def row(snapshot: dict, width: int, colors: dict[str, str]) -> Text:
    """``▶ running   bert-base  ━━━━━╸────  45%  450/1000 step  ETA 1m40s  12m05s  loss 0.312 ▇▆▅▄▃``"""
    status = snapshot["status"]
    color = colors.get(status, "")
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"{STATUS_SYMBOLS.get(status, '?')} {status:<11}", Style(color=color, bold=status != "waiting"))
    name_width = max(8, min(24, width // 5))
    text.append(f" {safe_line(snapshot['name'], limit=name_width):<{name_width}}", Style(bold=True))
    if snapshot.get("muted"):
        text.append(" (muted)", Style(dim=True))
    left = width - text.cell_len
    progress = snapshot.get("progress")
    fraction = progress.get("fraction") if progress else None
    parts: list[tuple[str, int]] = []  # (text, priority): lower priority goes first when space is short
    if status in ("failed", "interrupted") and snapshot.get("error"):
        parts.append((" " + safe_line(snapshot["error"]["message"], limit=200), 0))
    elif status == "stalled" and snapshot.get("stall"):
        parts.append((" " + safe_line(snapshot["stall"], limit=120), 0))
    elif snapshot.get("note"):
        parts.append((" " + safe_line(snapshot["note"], limit=120), 0))
    if progress:
        bar_width = 12 if left >= 70 else 8
        percent = f"{fraction * 100:3.0f}%" if fraction is not None else "  ? "
        if status not in ("failed", "interrupted", "stalled") or left >= 90:
            parts.append((f" {bar(fraction, bar_width)} {percent}", 1))
        total = progress.get("total")
        count = f"{number(progress['done'])}/{number(total)}" if total is not None else number(progress["done"])
        parts.append((f"  {count} {progress['unit']}", 4))
    if snapshot.get("epoch"):
        parts.append((f"  {epoch_text(snapshot)}", 5))
    if status in ("running", "stalled") and snapshot.get("eta_seconds") is not None:
        parts.append((f"  ETA {duration(snapshot['eta_seconds'])}", 2))
    if snapshot.get("elapsed_seconds") is not None:
        parts.append((f"  {duration(snapshot['elapsed_seconds'])}", 6))
    metric = headline(snapshot)
    if metric:
        parts.append((f"  {safe_line(metric, limit=40)}", 3))
    spark = sparkline(snapshot.get("spark") or [], 12)
    if spark:
        parts.append((f" {spark}", 7))
    # Drop the least important parts until the rest fits; the reason (priority 0) is cut instead.
    while len(parts) > 1 and sum(len(part) for part, _ in parts) > left:
        parts.remove(max(parts, key=lambda item: item[1]))
    for part, _priority in parts:
        text.append(part)
    text.truncate(width, overflow="ellipsis")
    return text
