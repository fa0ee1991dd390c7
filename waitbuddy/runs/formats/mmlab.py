"""OpenMMLab: mmcv 1.x runners (``Epoch [1][50/500]\tlr: 1.000e-03, eta: 7 days, 15:55:58, ...,
loss: 0.9186``, ``Iter [50/90000]``) and mmengine (``Epoch(train)  [1][ 50/500]  ...``,
``Iter(train) [  50/90000]``, ``Epoch(val) [1][50/500]`` and the validation results line).
Epochs and iterations are counted from 1; ``max_epochs`` / ``max_iters`` are in the config dump.
"""

from __future__ import annotations

import re

from waitbuddy.runs.formats import fields
from waitbuddy.runs.observe import Observation, Progress, observation, parse_duration

_ROW = re.compile(
    r"(?<![\w])(?P<what>Epoch|Iter)(?:\((?P<mode>train|val|test)\))?\s{0,4}(?:\[\s*(?P<epoch>\d+)\s*\])?"
    r"\[\s*(?P<i>\d+)(?:\s*/\s*(?P<n>\d+))?\s*\]"
)
_ETA = re.compile(r"eta: (?P<eta>\d+ days?, [\d:]+|[\d:]+)")
_NOT_METRICS = ("time", "data_time", "memory", "eta", "base_lr")


def recognize(line: str) -> Observation | None:
    if "Epoch" not in line and "Iter" not in line:
        return None
    match = _ROW.search(line, 0, 400)
    if match is None:
        return None
    rest = line[match.end():]
    mode = match["mode"] or "train"
    if mode == "train" and match["n"] is None and match["epoch"] is not None and "(" not in match.group(0):
        mode = "val"  # mmcv's "Epoch(val) [1][500]" once had no mode and no total
    metrics = fields.pairs(rest, spaced=False)
    for name in _NOT_METRICS:
        metrics.pop(name, None)
    if mode != "train":
        metrics = {name if name.startswith(("val", "test", "coco/", "pascal")) else f"{mode}_{name}": value
                   for name, value in metrics.items()}
        return observation(framework="mmlab", metrics=metrics)
    if match["n"] is None:
        return None
    eta = _ETA.search(rest, 0, 400)
    remaining = parse_duration(eta["eta"]) if eta else None
    done, total = float(match["i"]), float(match["n"])
    if match["what"] == "Iter":
        progress = Progress(done=done, total=total, unit="iteration", per_epoch=False, remaining_seconds=remaining)
        return observation(framework="mmlab", progress=progress, metrics=metrics)
    progress = Progress(done=done, total=total, unit="step", per_epoch=True, remaining_seconds=remaining)
    epoch = float(match["epoch"]) - 1 if match["epoch"] else None
    return observation(framework="mmlab", progress=progress, metrics=metrics,
                       epoch=None if epoch is None else (epoch, None))


SAMPLES = [
    ("2021-11-22 01:32:34,502 - mmocr - INFO - Epoch [1][200/62598]\tlr: 1.000e-03, eta: 7 days, 15:55:58, time: 0.705, "
     "data_time: 0.002, memory: 7239, loss_ce: 0.5921, loss: 0.9186, grad_norm: 3.9772",
     {"framework": "mmlab", "epoch": (0, None), "done": 200, "total": 62598, "remaining": 7 * 86400 + 15 * 3600 + 55 * 60 + 58,
      "metrics": {"loss": 0.9186, "loss_ce": 0.5921}}),
    ("12/01 10:00:00 - mmengine - INFO - Epoch(train)  [3][ 50/500]  base_lr: 2.0e-02 lr: 2.0e-02  eta: 1:10:00  "
     "time: 0.5  data_time: 0.01  memory: 3000  loss: 1.2  loss_cls: 0.3",
     {"epoch": (2, None), "done": 50, "total": 500, "metrics": {"loss": 1.2}}),
    ("12/01 10:00:00 - mmengine - INFO - Iter(train) [  50/90000]  lr: 2.0e-02  eta: 1 day, 2:00:00  loss: 1.5",
     {"done": 50, "total": 90000, "unit": "iteration"}),
    ("12/01 10:00:00 - mmengine - INFO - Epoch(val) [12][5000/5000]    coco/bbox_mAP: 0.3740  coco/bbox_mAP_50: 0.5810",
     {"metrics": {"coco/bbox_mAP": 0.374}}),
]
