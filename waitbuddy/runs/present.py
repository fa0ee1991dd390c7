"""Plain-text presentation of a run snapshot, shared by the CLI (and the TUI's row cells)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

from waitbuddy.runs.observe import is_loss_like
from waitbuddy.text import safe_line, safe_text, visible
from waitbuddy.timefmt import duration

if TYPE_CHECKING:
    from waitbuddy.runs.snapshot import RunSnapshot

STATUS_SYMBOLS = {
    # Single-width symbols (no emoji presentation), so columns stay aligned in every terminal.
    "waiting": "…", "running": "▶", "stalled": "‖", "completed": "✔", "failed": "✖", "interrupted": "■",
}


def number(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def percent_text(snapshot: RunSnapshot) -> str:
    """The whole run's share done, "45%", or '' when the log does not tell."""
    fraction = snapshot.fraction
    return f"{fraction * 100:.0f}%" if fraction is not None else ""


def epoch_text(snapshot: RunSnapshot) -> str:
    """"epoch 2/3" = the second of three is in progress (JSON's epoch.done counts finished ones)."""
    epoch = snapshot.epoch
    if epoch is None or epoch.done is None:
        return ""
    done, total = epoch.done, epoch.total
    current = done + 1 if snapshot.status in ("running", "stalled", "waiting") else done
    if total:
        current = min(current, total)
    return f"epoch {current}" + (f"/{total}" if total else "")


def count_text(snapshot: RunSnapshot) -> str:
    """The run's position in one short piece: ``ep 3/5 · 97/200`` (the epoch in progress and the
    loop's count within it), ``450/1000 step``, ``ep 3/5``, ``15 it``; '' when nothing is known.
    The same text in the Runs pane, the run view and ``status``."""
    epoch = epoch_text(snapshot).replace("epoch ", "ep ", 1)
    progress = snapshot.progress
    count = ""
    if progress is not None and progress.done is not None and not (epoch and progress.unit == "epoch"):
        # (a bar over epochs: the epoch says it; a finished run of unknown length: no count)
        done, total = progress.done, progress.total
        count = f"{number(done)}/{number(total)}" if total is not None else number(done)
        if not epoch or progress.unit not in ("it", "step", "batch"):
            count += f" {progress.unit}"
    return " · ".join(part for part in (epoch, count) if part)


def headline_name(metrics: Mapping[str, object]) -> str | None:
    """The metric a one-line summary shows: the loss if there is one."""
    for name in ("loss", "train_loss", "eval_loss", "val_loss"):
        if name in metrics:
            return name
    # "train/loss" (stable-baselines3, TensorBoard-style names) before "train/entropy_loss"
    if plain := next((name for name in metrics if name.rsplit("/", 1)[-1] in ("loss", "train_loss")), None):
        return plain
    return next((name for name in metrics if is_loss_like(name)), next(iter(metrics), None))


def headline(snapshot: RunSnapshot) -> str:
    metrics = snapshot.metrics
    name = headline_name(metrics)
    return f"{name} {number(metrics[name])}" if name is not None else ""


def one_line(snapshot: RunSnapshot) -> str:
    """`▶ bert-base  running  45%  ep 3/5 · 97/200  ETA 1m40s  loss 0.31`"""
    status = snapshot.status
    parts = [f"{STATUS_SYMBOLS.get(status, '?')} {visible(snapshot.name, limit=200)}", status]
    if status in ("failed", "interrupted") and snapshot.error is not None:
        parts.append(safe_line(snapshot.error.message, limit=500))
    elif status == "stalled" and snapshot.stall:
        parts.append(safe_line(snapshot.stall, limit=200))
    parts.append(percent_text(snapshot))
    parts.append(count_text(snapshot))
    if not snapshot.ended and snapshot.eta_seconds is not None:
        parts.append(f"ETA {duration(snapshot.eta_seconds)}")
    if line := headline(snapshot):
        parts.append(line)
    if snapshot.note:
        parts.append(f"({safe_line(snapshot.note, limit=200)})")
    # Names come from paths and reasons from logs: every part is one line of safe text (a name
    # shows its control characters visibly), so no crafted name can fake another status line.
    return safe_text("  ".join(part for part in parts if part and part != "-"), limit=2000)


def json_number(value: float | None) -> float | int | None:
    if value is None or not math.isfinite(value):
        return None
    if float(value).is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def json_metric(value: float) -> float | int | str:
    """JSON has no NaN: a non-finite metric is the string "nan", "inf" or "-inf"."""
    if math.isfinite(value):
        return json_number(value)  # type: ignore[return-value]
    return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")


def default_name(path: str) -> str:
    parts = [part for part in path.replace("\\", "/").split("/") if part]
    if not parts:
        return path
    stem = parts[-1].rsplit(".", 1)[0] if "." in parts[-1] else parts[-1]
    # runs/bert-base/train.log -> "bert-base/train" reads better than "train"
    if stem in ("train", "log", "output", "stdout", "stderr", "out") and len(parts) > 1:
        return f"{parts[-2]}/{stem}"
    return stem
