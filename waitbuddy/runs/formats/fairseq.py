"""fairseq's simple progress format: ``epoch 001:   2800 / 160368 loss=9.255, ppl=611.12, ...,
num_updates=2800, lr=2.8e-05, ...`` (inside an epoch), ``epoch 001 | loss 9.2 | ppl 611 | ...``
(its summary), ``epoch 001 | valid on 'valid' subset | loss 6.43 | ...`` (validation), and
``done training in 1234.5 seconds``. The plan is ``max_update`` / ``max_epoch`` in the printed
Namespace or config; ``num_updates`` counts the run's updates across epochs."""

from __future__ import annotations

import re

from waitbuddy.runs.formats import fields
from waitbuddy.runs.observe import Observation, Progress, observation

_INNER = re.compile(r"(?<![\w])epoch (?P<e>\d{3,}):\s+(?P<i>\d+) / (?P<n>\d+) ")
_SUMMARY = re.compile(r"(?<![\w])epoch (?P<e>\d{3,}) \| (?P<valid>valid on '[^']{1,40}' subset \| )?")
_UPDATES = re.compile(r"num_updates[= ](\d+)")
_NOT_METRICS = ("wps", "ups", "wpb", "bsz", "train_wall", "wall", "gb_free", "clip", "loss_scale", "oom",
                "num_updates", "best_loss")


def _metrics(text: str, *, spaced: bool) -> dict[str, float]:
    metrics = fields.pairs(text, spaced=spaced)
    for name in _NOT_METRICS:
        metrics.pop(name, None)
    return metrics


def recognize(line: str) -> Observation | None:
    if "epoch " not in line[:300]:
        return None
    if match := _INNER.search(line, 0, 300):
        metrics = _metrics(line[match.end():], spaced=False)
        updates = _UPDATES.search(line, match.end())
        if updates:
            progress = Progress(done=float(updates.group(1)), total=None, unit="update", per_epoch=False)
        else:
            progress = Progress(done=float(match["i"]), total=float(match["n"]), unit="step", per_epoch=True)
        return observation(framework="fairseq", progress=progress, metrics=metrics, epoch_label=float(match["e"]))
    if match := _SUMMARY.search(line, 0, 300):
        rest = line[match.end():].replace(" | ", "  ")
        metrics = _metrics(rest, spaced=True)
        if match["valid"]:
            metrics = {name if name.startswith("valid") else f"valid_{name}": value for name, value in metrics.items()}
            return observation(framework="fairseq", metrics=metrics)
        return observation(framework="fairseq", metrics=metrics, epoch_label=float(match["e"]), epoch_end=True)
    return None


SAMPLES = [
    ("2020-07-17 07:11:02 | INFO | train_inner | epoch 001:   2800 / 160368 loss=9.255, ppl=611.12, wps=57.3, ups=0.04, "
     "wpb=1613, bsz=80, num_updates=2800, lr=2.8e-05, gnorm=3.23, train_wall=13, wall=1236",
     {"framework": "fairseq", "done": 2800, "total": None, "unit": "update", "epoch_label": 1,
      "metrics": {"loss": 9.255, "gnorm": 3.23}}),
    ("2020-07-17 08:00:00 | INFO | valid | epoch 008 | valid on 'valid' subset | loss 6.43844 | nll_loss 5.23288 | "
     "ppl 37.61 | num_updates 21896 | best_loss 6.43844", {"metrics": {"valid_loss": 6.43844}}),
    ("2020-07-17 08:00:00 | INFO | train | epoch 008 | loss 6.9 | ppl 120.1 | wps 3000 | num_updates 21896",
     {"epoch_label": 8, "metrics": {"loss": 6.9}}),
]
