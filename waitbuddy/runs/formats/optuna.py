"""Optuna study logs. A failed trial is a warning: the study goes on."""

from __future__ import annotations

import re

from waitbuddy.runs.observe import WARNING, Marker, Observation, Progress, observation, parse_number

_PREFIX = r"(?:\[[IWE] [\d\- :,]+\] )?"
_FINISHED = re.compile(_PREFIX + r"Trial (\d+) finished with values?: (.+?) and parameters: ")
_BEST = re.compile(r"Best is trial (\d+) with value: (\S+?)\.?$")
_PRUNED = re.compile(_PREFIX + r"Trial (\d+) pruned\.")
_FAILED = re.compile(_PREFIX + r"Trial (\d+) failed with (?:parameters|value)")
_STUDY = re.compile(_PREFIX + r"A new study created")


def recognize(line: str) -> Observation | None:
    if "Trial " not in line and "study" not in line:
        return None
    if match := _FINISHED.match(line):
        metrics = {}
        if (value := parse_number(match.group(2))) is not None:
            metrics["value"] = value
        if (best := _BEST.search(line)) and (best_value := parse_number(best.group(2))) is not None:
            metrics["best_value"] = best_value
        return observation(framework="optuna", progress=Progress(done=int(match.group(1)) + 1, unit="trial"), metrics=metrics)
    if match := _PRUNED.match(line):
        return observation(framework="optuna", progress=Progress(done=int(match.group(1)) + 1, unit="trial"))
    if match := _FAILED.match(line):
        message = f"trial {match.group(1)} failed"
        return observation(
            framework="optuna", progress=Progress(done=int(match.group(1)) + 1, unit="trial"),
            marker=Marker(WARNING, message),
        )
    if _STUDY.match(line):
        return observation(framework="optuna")
    return None


def starts_trial_failure(line: str) -> bool:
    """The line that introduces a failed trial's traceback (which is not a job failure)."""
    return bool(_FAILED.match(line)) and "because of the following error" in line


SAMPLES = [
    ("[I 2026-11-22 12:10:54,121] Trial 0 finished with value: 20.376878919443293 and parameters: {'x': 6.5}. "
     "Best is trial 0 with value: 20.376878919443293.",
     {"framework": "optuna", "done": 1, "unit": "trial", "metrics": {"value": 20.376878919443293, "best_value": 20.376878919443293}}),
    ("[I 2026-11-22 12:10:54,135] Trial 3 pruned. ", {"done": 4}),
    ("[W 2026-11-22 12:10:54,137] Trial 5 failed with parameters: {'x': -0.9} because of the following error: "
     "ValueError('boom in trial 5').", {"marker": "warning", "done": 6}),
    ("[W 2026-11-22 12:10:56,460] Trial 1 failed with value nan.", {"marker": "warning"}),
    ("[I 2026-11-22 12:10:54,114] A new study created in memory with name: demo", {"framework": "optuna"}),
]
