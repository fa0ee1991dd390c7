"""Megatron-LM and Megatron-DeepSpeed: `` iteration     5800/  500000 | consumed samples: ... |
elapsed time per iteration (ms): 812.3 | learning rate: 2.999E-04 | global batch size: 8 | lm loss:
2.345E+00 | loss scale: 1.0 | grad norm: 0.512 | number of skipped iterations:   0 | ...`` and
``validation loss at iteration 1000 | lm loss value: 2.3E+00 | lm loss PPL: 9.9E+00 |``."""

from __future__ import annotations

import re

from waitbuddy.runs.formats import fields
from waitbuddy.runs.observe import Observation, Progress, observation

_ITERATION = re.compile(r"(?<![\w])iteration\s+(?P<i>\d+)\s*/\s*(?P<n>\d+)\s*\|")
_VALIDATION = re.compile(r"(?P<phase>validation|test) loss at (?:the end of training for (?:val|test) data|iteration \d+)[^|]{0,40}\|",
                         re.IGNORECASE)
_KEEP = re.compile(r"loss|norm|learning rate|ppl", re.IGNORECASE)


def _segments(text: str) -> dict[str, float]:
    metrics = {}
    for segment in text.split("|"):
        name, _, value = segment.partition(":")
        name = name.strip()
        if not name or not _KEEP.search(name) or "scale" in name:
            continue
        number = fields.count(value.strip()) if value.strip().replace(",", "").replace(".", "").isdigit() else None
        if number is None:
            number = fields.pairs(f"value: {value.strip()}", spaced=False).get("value")
        if number is not None:
            metrics[fields.normalize(name.replace("-", " "))] = number
    return metrics


def recognize(line: str) -> Observation | None:
    if "iteration" not in line[:400]:
        return None
    if match := _ITERATION.search(line, 0, 200):
        progress = Progress(done=float(match["i"]), total=float(match["n"]), unit="iteration", per_epoch=False)
        return observation(framework="megatron", progress=progress, metrics=_segments(line[match.end():]))
    if match := _VALIDATION.search(line, 0, 400):
        prefix = "val_" if match["phase"].lower() == "validation" else "test_"
        metrics = {prefix + name: value for name, value in _segments(line[match.end():]).items()}
        return observation(framework="megatron", metrics=metrics)
    return None


SAMPLES = [
    (" iteration     5800/  500000 | consumed samples:        43408 | elapsed time per iteration (ms): 812.3 | "
     "learning rate: 2.999E-04 | global batch size:     8 | lm loss: 2.345E+00 | loss scale: 1.0 | grad norm: 0.512 | "
     "number of skipped iterations:   0 | number of nan iterations:   0 |",
     {"framework": "megatron", "done": 5800, "total": 500000, "metrics": {"lm_loss": 2.345, "grad_norm": 0.512,
                                                                          "learning_rate": 2.999e-4}}),
    (" validation loss at iteration 1000 | lm loss value: 2.300E+00 | lm loss PPL: 9.974E+00 | ",
     {"metrics": {"val_lm_loss_value": 2.3}}),
]
