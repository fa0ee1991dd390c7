"""DeepSpeed's own lines: the engine's ``[Rank 0] step=1840, skipped=20, lr=[...], mom=[...]``
every ``steps_per_print`` steps and the timer's ``epoch=0/micro_step=1840/global_step=1840,
RunningAvgSamplesPerSec=..., CurrSamplesPerSec=..., MemAllocated=...GB``. Both count the run's
optimizer steps; the total is the plan (``train_iters``, ``max_steps``) or a framework's bar.
Launcher endings (``exits successfully``, ``exits with return code``) are in lifecycle/failures."""

from __future__ import annotations

import re

from waitbuddy.runs.observe import Observation, Progress, observation, parse_number

_ENGINE = re.compile(r"\[Rank \d+\] step=(?P<step>\d+), skipped=(?P<skipped>\d+)")
_TIMER = re.compile(r"epoch=(?P<epoch>\d+)/micro_step=\d+/global_step=(?P<step>\d+),")
_SAMPLES = re.compile(r"(?:RunningAvg|Curr)SamplesPerSec=(?P<value>[\d.]+)")


def recognize(line: str) -> Observation | None:
    if "step=" not in line:
        return None
    if match := _ENGINE.search(line, 0, 400):
        progress = Progress(done=float(match["step"]), total=None, unit="step", per_epoch=False)
        return observation(framework="deepspeed", progress=progress)
    if match := _TIMER.search(line, 0, 400):
        metrics = {}
        if (samples := _SAMPLES.search(line, match.end())) and (value := parse_number(samples["value"])) is not None:
            metrics["samples_per_second"] = value
        progress = Progress(done=float(match["step"]), total=None, unit="step", per_epoch=False)
        return observation(framework="deepspeed", progress=progress, metrics=metrics)
    return None


SAMPLES = [
    ("[2023-04-18 03:45:02,742] [INFO] [logging.py:96:log_dist] [Rank 0] step=1840, skipped=20, lr=[9.65e-06], "
     "mom=[(0.9, 0.95)]", {"framework": "deepspeed", "done": 1840, "total": None}),
    ("[2023-04-18 03:45:02,743] [INFO] [timer.py:199:stop] epoch=0/micro_step=1840/global_step=1840, "
     "RunningAvgSamplesPerSec=49.3, CurrSamplesPerSec=51.2, MemAllocated=4.1GB, MaxMemAllocated=9.3GB",
     {"done": 1840, "metrics": {"samples_per_second": 49.3}}),
    ("step=10 loss=0.5", None),
]
