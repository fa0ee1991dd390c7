"""scikit-learn searches (``Fitting K folds ...`` + ``[CV ...] END`` lines) and verbose estimators."""

from __future__ import annotations

import re

from waitbuddy.runs.observe import Observation, Progress, observation, parse_number

_FITTING = re.compile(r"Fitting (\d+) folds? for each of (\d+) candidates?, totalling (\d+) fits")
_CV_END = re.compile(r"\[CV(?: [\d/; ]+)?\] END .*?(?:score=(?:\(train=\S+, test=)?([-\d.]+)\)?)?\s+total time=")
_MLP = re.compile(r"Iteration (\d+), loss = (\S+)")
_SGD_EPOCH = re.compile(r"-- Epoch (\d+)")
_AVG_LOSS = re.compile(r"Avg\. loss: ([-\d.e+]+)")


def recognize(line: str) -> Observation | None:
    if match := _FITTING.match(line):
        return observation(framework="sklearn", progress=Progress(done=0, total=float(match.group(3)), unit="fit"))
    if line.startswith("[CV") and " START " in line[:40]:
        return observation(framework="sklearn")  # its parameters (C=0.1) are not metrics
    if line.startswith("[CV") and (match := _CV_END.match(line)):
        metrics = {}
        if match.group(1) and (score := parse_number(match.group(1))) is not None:
            metrics["score"] = score
        # One more fit finished: counted by the run (fits finish out of order with n_jobs).
        return observation(framework="sklearn", progress=Progress(done=1, unit="fit", increment=True), metrics=metrics)
    if match := _MLP.fullmatch(line):
        loss = parse_number(match.group(2))
        return observation(
            framework="sklearn", progress=Progress(done=int(match.group(1)), unit="iteration"),
            metrics={"loss": loss} if loss is not None else {},
        )
    if match := _SGD_EPOCH.fullmatch(line):
        return observation(framework="sklearn", epoch=(int(match.group(1)) - 1, None))
    if line.startswith("Norm: ") and (match := _AVG_LOSS.search(line)):
        loss = parse_number(match.group(1))
        return observation(framework="sklearn", metrics={"loss": loss} if loss is not None else {})
    return None


SAMPLES = [
    ("Fitting 3 folds for each of 2 candidates, totalling 6 fits", {"framework": "sklearn", "done": 0, "total": 6, "unit": "fit"}),
    ("[CV 1/3] END .............................C=0.1;, score=0.920 total time=   0.1s", {"done": 1, "metrics": {"score": 0.92}}),
    ("[CV] END ..............................................C=0.1; total time=   0.1s", {"done": 1}),
    ("[CV 1/3; 1/2] END ........................C=0.1;, score=0.920 total time=   0.0s", {"metrics": {"score": 0.92}}),
    ("[CV 1/3; 1/2] START C=0.1.......................................................", {"framework": "sklearn"}),
    ("Iteration 1, loss = 0.69028108", {"done": 1, "metrics": {"loss": 0.69028108}}),
    ("Norm: 155.39, NNZs: 20, Bias: 18.926450, T: 300, Avg. loss: 9.458729, Objective: 10.204532", {"metrics": {"loss": 9.458729}}),
]
