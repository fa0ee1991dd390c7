"""Keras 3 and tf-keras ``model.fit`` output (verbose 1 and 2), on the terminal view."""

from __future__ import annotations

import re

from waitbuddy.runs.observe import COMPLETED, Marker, Observation, Progress, observation, parse_duration, parse_number

_EPOCH_HEADER = re.compile(r"Epoch (\d+)/(\d+)")
_FRAME = re.compile(r"\s*(?P<n>\d+)/(?P<total>\d+|Unknown)\s+(?P<bar>━+\s+|\[[=.>]*\]\s+)?(?P<rest>(?:-\s+)?\S.*)")
_STEP_TIME = re.compile(r"\d+(?:\.\d+)?[mu]?s/step")
_ETA = re.compile(r"(?:ETA: )?(\d+:\d\d(?::\d\d)?|\d+s)\s")
_METRIC = re.compile(r"\s-\s([A-Za-z_][\w./]*):\s(\S+)")
_EARLY_STOP = re.compile(r"Epoch (\d+): early stopping")


def recognize(line: str) -> Observation | None:
    if match := _EPOCH_HEADER.fullmatch(line.strip()):
        return observation(framework="keras", epoch=(int(match.group(1)) - 1, float(match.group(2))))
    if match := _EARLY_STOP.match(line):
        return observation(framework="keras", marker=Marker(COMPLETED, f"early stopping at epoch {match.group(1)}"))
    match = _FRAME.fullmatch(line)
    if match is None:
        return None
    rest = match["rest"]
    if not (_STEP_TIME.search(rest[:80]) or rest.startswith(("ETA:", "- "))):
        return None
    done = float(match["n"])
    total = None if match["total"] == "Unknown" else float(match["total"])
    remaining = None
    if total is not None and done < total and (eta := _ETA.match(rest.removeprefix("- "))):
        remaining = parse_duration(eta.group(1))
    metrics = {}
    for name, value in _METRIC.findall(" " + rest):
        if (number := parse_number(value)) is not None:
            metrics[name] = number
    progress = Progress(done=done, total=total, unit="step", per_epoch=True, remaining_seconds=remaining)
    return observation(framework="keras", progress=progress, metrics=metrics)


SAMPLES = [
    ("Epoch 2/3", {"framework": "keras", "epoch": (1, 3)}),
    ("20/20 ━━━━━━━━━━━━━━━━━━━━ 0s 13ms/step - accuracy: 0.5200 - loss: 0.8800 - val_accuracy: 0.5000 - val_loss: 0.9000",
     {"done": 20, "total": 20, "unit": "step", "metrics": {"accuracy": 0.52, "loss": 0.88, "val_accuracy": 0.5, "val_loss": 0.9}}),
    (" 5/20 ━━━━━━━━━━━━━━━━━━━━ 1s 13ms/step - accuracy: 0.5000 - loss: 0.9000",
     {"done": 5, "total": 20, "remaining": 1}),
    ("      5/Unknown 0s 60ms/step - loss: 0.2000", {"done": 5, "total": None, "metrics": {"loss": 0.2}}),
    ("20/20 - 0s - 12ms/step - accuracy: 0.5200 - loss: 0.8800", {"done": 20, "metrics": {"loss": 0.88}}),
    ("  32/1875 [..............................] - ETA: 2s - loss: 1.1000 - accuracy: 0.6000",
     {"done": 32, "total": 1875, "remaining": 2, "metrics": {"loss": 1.1, "accuracy": 0.6}}),
    ("1875/1875 - 3s - loss: 0.2959 - accuracy: 0.9140 - 3s/epoch - 2ms/step", {"done": 1875, "metrics": {"loss": 0.2959}}),
    ("Epoch 7: early stopping", {"marker": "completed"}),
    ("3/10 of the data is ready", None),
]
