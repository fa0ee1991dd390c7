"""timm's ``train.py``: ``Train: 4 [ 100/1251 (  8%)]  Loss: 6.95 (6.95)  Time: ...  LR: 1.000e-05``,
``Test: [  48/48]  Time: ...  Loss:   0.912 ( 0.903)  Acc@1:  76.1 ( 75.2)``; the plan in
``Scheduled epochs: 300``; epochs counted from 0, batch indices too."""

from __future__ import annotations

import re

from waitbuddy.runs.formats import fields
from waitbuddy.runs.observe import Observation, Progress, observation

_TRAIN = re.compile(r"^Train: (?P<epoch>\d+) \[\s*(?P<i>\d+)/(?P<n>\d+) \(\s*\d+%\)\]")
_TEST = re.compile(r"^(?P<name>Test|Test \(EMA\)|Eval): \[\s*(?P<i>\d+)/(?P<last>\d+)\]")
_NOT_METRICS = ("Time", "Data", "time", "data")


def _metrics(text: str) -> dict[str, float]:
    metrics = fields.pairs(text, spaced=False)
    for name in _NOT_METRICS:
        metrics.pop(name, None)
    return metrics


def recognize(line: str) -> Observation | None:
    if not line.startswith(("Train: ", "Test", "Eval: ")):
        return None
    if match := _TRAIN.match(line):
        progress = Progress(done=float(match["i"]) + 1, total=float(match["n"]), unit="step", per_epoch=True)
        return observation(framework="timm", progress=progress, epoch=(float(match["epoch"]), None),
                           metrics=_metrics(line[match.end():]))
    if match := _TEST.match(line):
        progress = Progress(done=float(match["i"]), total=float(match["last"]), unit="step", eval=True)
        metrics = {f"test_{name.lower()}": value for name, value in _metrics(line[match.end():]).items()}
        return observation(framework="timm", progress=progress, metrics=metrics)
    return None


SAMPLES = [
    ("Train: 4 [ 100/1251 (  8%)]  Loss: 6.95 (6.95)  Time: 3.412s,   75.03/s  (3.412s,   75.03/s)  LR: 1.000e-05  "
     "Data: 1.902 (1.902)", {"framework": "timm", "epoch": (4, None), "done": 101, "total": 1251,
                             "metrics": {"Loss": 6.95, "LR": 1e-05}}),
    ("Test: [  48/48]  Time: 1.234 (1.234)  Loss:   0.912 ( 0.903)  Acc@1:  76.1 ( 75.2)",
     {"eval": True, "metrics": {"test_loss": 0.912, "test_acc@1": 76.1}}),
]
