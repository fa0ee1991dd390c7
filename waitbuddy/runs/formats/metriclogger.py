"""torchvision's reference ``MetricLogger`` and the codebases that copied it (DeiT, DINO, MAE, BEiT,
DETR): ``Epoch: [3/100]  [1530/1562]  eta: 0:00:16  loss: 9.684171 (9.910054)  lr: ...``,
``Epoch: [115]  [1298/1299]  ...``, ``Test:  [ 0/50]  ...``, ``Averaged stats: ...``.

Epochs are counted from 0 (``range(start_epoch, epochs)``) and the batch index is 0-based: the
last row of an epoch is ``[N-1/N]``. The epoch count, when not on the line, is in the printed
``Namespace(epochs=...)``.
"""

from __future__ import annotations

import re

from waitbuddy.runs.formats import fields
from waitbuddy.runs.observe import Observation, Progress, observation, parse_duration

_ROW = re.compile(
    r"^(?P<phase>Epoch|Train|Test|Val|Eval)[\w ]{0,20}:\s*(?:\[\s*(?P<epoch>\d+)(?:\s*/\s*(?P<epochs>\d+))?\s*\]\s*)?"
    r"\[\s*(?P<i>\d+)\s*/\s*(?P<n>\d+)\s*\]\s+eta: (?P<eta>[\d:]+(?:\s*days?,\s*[\d:]+)?)",
)
_NOT_METRICS = ("time", "data", "max_mem", "eta")


def recognize(line: str) -> Observation | None:
    if "eta: " not in line[:200]:
        return None
    text = line.lstrip()
    match = _ROW.match(text)
    if match is None:
        return None
    metrics = fields.pairs(text[match.end():], spaced=False)
    for name in _NOT_METRICS:
        metrics.pop(name, None)
    metrics.pop("mem", None)
    is_eval = match["phase"] in ("Test", "Val", "Eval")
    progress = Progress(done=float(match["i"]) + 1, total=float(match["n"]), unit="step",
                        per_epoch=match["epoch"] is not None or None, eval=is_eval,
                        remaining_seconds=parse_duration(match["eta"]))
    if is_eval:
        metrics = {f"test_{name.lower()}": value for name, value in metrics.items()}
        return observation(framework="metriclogger", progress=progress, metrics=metrics)
    epoch = None
    if match["epoch"] is not None:
        epoch = (float(match["epoch"]), float(match["epochs"]) if match["epochs"] else None)
    return observation(framework="metriclogger", progress=progress, epoch=epoch, metrics=metrics)


SAMPLES = [
    ("Epoch: [3/100]  [1530/1562]  eta: 0:00:16  loss: 9.684171 (9.910054)  lr: 0.000050 (0.000044)  "
     "time: 0.504494  data: 0.000175  max mem: 11664",
     {"framework": "metriclogger", "epoch": (3, 100), "done": 1531, "total": 1562, "metrics": {"loss": 9.684171}}),
    ("Epoch: [115]  [1298/1299]  eta: 0:00:00  lr: 0.001435  loss: 6.5993 (6.5971)  grad_norm: 0.3922 (nan)",
     {"epoch": (115, None), "done": 1299, "metrics": {"loss": 6.5993, "grad_norm": 0.3922}}),
    ("Test:  [ 0/50]  eta: 0:01:02  loss: 0.7 (0.7)  acc1: 83.3 (83.3)  time: 1.2", {"eval": True,
                                                                                  "metrics": {"test_loss": 0.7}}),
]
