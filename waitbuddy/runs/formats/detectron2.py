"""detectron2 (and projects built on it): ``d2.utils.events`` lines.

``[11/18 18:09:59] d2.utils.events INFO:  eta: 17:59:48  iter: 15999  total_loss: 0.1634 ...``:
``iter`` is 0-based (the 16,000th iteration); the total is ``SOLVER.MAX_ITER`` in the config dump
at the head (read as a plan); ``eta`` is the whole run's.
"""

from __future__ import annotations

import re

from waitbuddy.runs.formats import fields
from waitbuddy.runs.observe import Observation, Progress, observation, parse_duration

_EVENTS = re.compile(r"(?:eta: (?P<eta>[\d:]+(?:\s*days?,\s*[\d:]+)?)\s+)?iter: (?P<iter>\d+)\s")


def recognize(line: str) -> Observation | None:
    start = line.find("d2.utils.events")
    if start < 0:
        return None
    match = _EVENTS.search(line, start, start + 400)
    if match is None:
        return None
    metrics = fields.pairs(line[match.end():], spaced=False)
    for name in ("time", "data_time", "eta"):
        metrics.pop(name, None)
    remaining = parse_duration(match["eta"]) if match["eta"] else None
    progress = Progress(done=float(match["iter"]) + 1, total=None, unit="iteration", per_epoch=False,
                        remaining_seconds=remaining)
    return observation(framework="detectron2", progress=progress, metrics=metrics)


SAMPLES = [
    ("[11/18 18:09:59] d2.utils.events INFO:  eta: 17:59:48  iter: 15999  total_loss: 0.1634  loss_cls: 0.05801  "
     "time: 0.6832  data_time: 0.0641  lr: 0.02  max_mem: 11811M",
     {"framework": "detectron2", "done": 16000, "total": None, "metrics": {"total_loss": 0.1634, "lr": 0.02}}),
    ("[11/18 14:20:11] detectron2 INFO: Environment info:", None),
]
