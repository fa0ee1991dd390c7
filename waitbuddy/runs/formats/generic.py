"""Plain prints: ``epoch 3/10``, ``step 1200/5000``, ``key=value`` / ``key: value`` metrics, JSON lines."""

from __future__ import annotations

import json
import re

from waitbuddy.runs.observe import Observation, Progress, observation, parse_number

_COUNTER = re.compile(
    r"(?<![\w])(?P<what>epoch|step|iter(?:ation)?|batch|it)s?\b[\s:=#\[]{0,3}(?P<n>\d+)\s*/\s*(?P<total>\d+)",
    re.IGNORECASE,
)
_KEY_VALUE = re.compile(
    r"(?<![\w.])(?P<key>[A-Za-z_][\w./-]{0,40}?)\s?(?:=|: )\s*"
    r"(?P<value>[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+)|[-+]?(?:nan|inf)\b|tensor\([-+]?(?:nan|inf|[\d.e+-]+)\))"
    r"(?![\w:/.]|\.\d)",
    re.IGNORECASE,
)
_PROGRESS_KEYS = {"epoch", "step", "iter", "iteration", "batch", "it", "global_step", "trial"}
_TOTAL_KEYS = {"epochs": "epoch", "num_epochs": "epoch", "max_epochs": "epoch", "total_steps": "step", "max_steps": "step"}
MAX_JSON_LENGTH = 64 * 1024
# A lone "key=value" in prose ("... (max_iter=3).") is not a metric unless the key looks like one.
_METRIC_NAME = re.compile(
    r"loss|acc|lr$|learning_rate|score|f1|auc|ppl|perplexity|err|mse|mae|rmse|reward|return|grad|norm|"
    r"bleu|rouge|wer|cer|precision|recall|map|iou|dice|kl|entropy",
    re.IGNORECASE,
)


def _json_line(text: str) -> Observation | None:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    metrics: dict[str, float] = {}
    counters: dict[str, float] = {}
    totals: dict[str, float] = {}
    for key, value in data.items():
        number = value if isinstance(value, (int, float)) and not isinstance(value, bool) else None
        if isinstance(value, str):
            number = parse_number(value)
        if number is None or not isinstance(key, str):
            continue
        lowered = key.lower()
        if lowered in _PROGRESS_KEYS:
            counters[lowered] = number
        elif lowered in _TOTAL_KEYS:
            totals[_TOTAL_KEYS[lowered]] = number
        else:
            metrics[key] = float(number)
    if not metrics and not counters:
        return None
    epoch = (counters["epoch"], totals.get("epoch")) if "epoch" in counters else None
    step = next((counters[key] for key in ("step", "global_step", "iteration", "iter", "it") if key in counters), None)
    progress = Progress(done=step, total=totals.get("step"), unit="step") if step is not None else None
    return observation(framework="jsonl", metrics=metrics, epoch=epoch, progress=progress)


def recognize(line: str) -> Observation | None:
    text = line.strip()
    if text.startswith("{") and text.endswith("}") and '"' in text and len(text) <= MAX_JSON_LENGTH:
        return _json_line(text)
    epoch = progress = None
    for match in _COUNTER.finditer(line[:2000]):
        what, done, total = match["what"].lower(), float(match["n"]), float(match["total"])
        if what == "epoch":
            epoch = (done, total)  # adjusted below once we know whether a step counter follows
        elif progress is None and total > 0:
            progress = Progress(done=done, total=total, unit="step" if what in ("step", "batch") else "iteration")
    if epoch is not None:
        # "epoch 3/10 step 200/500": the third epoch is in progress; "epoch 3/10 loss=...": it ended.
        epoch = (epoch[0] - 1, epoch[1]) if progress is not None else epoch
        if progress is not None:
            progress = Progress(done=progress.done, total=progress.total, unit=progress.unit, per_epoch=True)
    metrics = {}
    for match in _KEY_VALUE.finditer(line[:2000]):
        key = match["key"]
        if key.lower() in _PROGRESS_KEYS or key.lower() in _TOTAL_KEYS:
            continue
        number = parse_number(match["value"])
        if number is not None:
            metrics[key] = number
    if epoch is None and progress is None and len(metrics) == 1 and not _METRIC_NAME.search(next(iter(metrics))):
        metrics = {}
    if epoch is None and progress is None and not metrics:
        return None
    return observation(framework="generic", epoch=epoch, progress=progress, metrics=metrics)


SAMPLES = [
    ("epoch 3/10 step 1200/5000 loss=0.3121 lr=3e-4",
     {"framework": "generic", "epoch": (2, 10), "done": 1200, "total": 5000, "metrics": {"loss": 0.3121, "lr": 3e-4}}),
    ("Epoch 3/10 - loss: 0.512 - acc: 0.81", {"epoch": (3, 10), "metrics": {"loss": 0.512, "acc": 0.81}}),
    ("step 1200/5000 | loss: 2.31 | grad_norm: nan", {"done": 1200, "total": 5000, "metrics": {"grad_norm": float("nan")}}),
    ("iter 40/100 train_loss=1.5e-01", {"done": 40, "unit": "iteration", "metrics": {"train_loss": 0.15}}),
    ('{"epoch": 2, "step": 300, "train_loss": 0.41, "lr": "1e-4", "tag": "x"}',
     {"framework": "jsonl", "epoch": (2, None), "done": 300, "metrics": {"train_loss": 0.41, "lr": 1e-4}}),
    ("[2026-11-22 12:00:00] loading data at 12:00", None),
    ("time: 0.705s, data_time: 0.002, memory: 7239", {"metrics": {"data_time": 0.002, "memory": 7239}}),
    ('  File "train.py", line 46, in <module>', None),
    ("Increase the number of iterations to improve the convergence (max_iter=3).", None),
    ("loss=0.25", {"metrics": {"loss": 0.25}}),
]
