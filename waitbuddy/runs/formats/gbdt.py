"""Gradient-boosting libraries: XGBoost, LightGBM and CatBoost iteration lines."""

from __future__ import annotations

import re

from waitbuddy.runs.observe import COMPLETED, Marker, Observation, Progress, observation, parse_duration, parse_number

_VALUE = r"[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|nan|inf)"
_ITERATION = re.compile(r"\[(\d+)\]\t(.+)")
_XGB_ITEM = re.compile(rf"([\w.]+)-([\w@.:-]+?):({_VALUE})(?:\+{_VALUE})?(?=\t|$)")
_LGB_ITEM = re.compile(rf"([\w.]+)'s ([\w@.:-]+): ({_VALUE})")
_CATBOOST = re.compile(r"(\d+):\t(.+)")
_CAT_ITEM = re.compile(rf"(learn|test|best|[A-Za-z_][\w]*): ({_VALUE})")
_CAT_REMAINING = re.compile(r"\ttotal: ([^\t]+)\tremaining: ([^\t]+)$")
_LGB_END = ("Early stopping, best iteration is:", "Did not meet early stopping. Best iteration is:")
_CAT_END = ("Shrink model to first ", "Stopped by overfitting detector")


def _metrics(pattern: re.Pattern[str], text: str, join: str) -> dict[str, float]:
    metrics = {}
    for dataset, name, value in pattern.findall(text):
        number = parse_number(value)
        if number is not None:
            metrics[f"{dataset}{join}{name}"] = number
    return metrics


def recognize(line: str) -> Observation | None:
    if match := _ITERATION.fullmatch(line):
        number, rest = int(match.group(1)), match.group(2)
        if "'s " in rest:  # LightGBM: 1-based "[10]\ttraining's l2: 2831.22"
            metrics = _metrics(_LGB_ITEM, rest, "_")
            framework, done = "lightgbm", number
        else:  # XGBoost: 0-based "[0]\ttrain-rmse:172.06904"
            metrics = _metrics(_XGB_ITEM, rest, "-")
            framework, done = "xgboost", number + 1
        if not metrics:
            return None
        return observation(framework=framework, progress=Progress(done=done, unit="iteration"), metrics=metrics)
    if line.startswith("[LightGBM] "):
        return observation(framework="lightgbm")
    if line.startswith(_LGB_END):
        return observation(framework="lightgbm", marker=Marker(COMPLETED, line.rstrip(":")))
    if line.startswith(_CAT_END):
        return observation(framework="catboost", marker=Marker(COMPLETED, line.strip()))
    if (match := _CATBOOST.fullmatch(line)) and "\ttotal: " in line:
        rest = match.group(2)
        metrics = {}
        for name, value in _CAT_ITEM.findall(rest.split("\ttotal: ")[0]):
            if (number := parse_number(value)) is not None:
                metrics[name] = number
        remaining = elapsed = total = None
        done = int(match.group(1)) + 1
        if timing := _CAT_REMAINING.search(rest):
            elapsed, remaining = parse_duration(timing.group(1)), parse_duration(timing.group(2))
        if elapsed and remaining is not None:
            # CatBoost's "remaining" is its elapsed time per iteration times the iterations left.
            total = float(round(done * (elapsed + remaining) / elapsed))
        progress = Progress(done=done, total=total, unit="iteration", remaining_seconds=remaining,
                            elapsed_seconds=elapsed)
        marker = Marker(COMPLETED, "last iteration", soft=True) if remaining == 0 else None
        return observation(framework="catboost", progress=progress, metrics=metrics, marker=marker)
    return None


SAMPLES = [
    ("[0]\ttrain-rmse:172.06904\teval-rmse:191.35603",
     {"framework": "xgboost", "done": 1, "metrics": {"train-rmse": 172.06904, "eval-rmse": 191.35603}}),
    ("[0]\tvalidation_0-logloss:0.49820\tvalidation_0-error:0.06800", {"metrics": {"validation_0-error": 0.068}}),
    ("[0]\ttrain-rmse:0.82798+0.03749\ttest-rmse:1.08080+0.00869", {"metrics": {"test-rmse": 1.0808}}),
    ("[10]\ttraining's l2: 2831.22\tvalid_1's l2: 9077.55",
     {"framework": "lightgbm", "done": 10, "metrics": {"training_l2": 2831.22, "valid_1_l2": 9077.55}}),
    ("[1]\tvalid's l2: 40199.9 + 1988.34", {"metrics": {"valid_l2": 40199.9}}),
    ("[3]\tvalid_0's l2: nan", {"metrics": {"valid_0_l2": float("nan")}}),
    ("Early stopping, best iteration is:", {"framework": "lightgbm", "marker": "completed"}),
    ("0:\tlearn: 6528.4893755\ttest: 6938.2194253\tbest: 6938.2194253 (0)\ttotal: 76.5ms\tremaining: 1m 54s",
     {"framework": "catboost", "done": 1, "remaining": 114, "metrics": {"learn": 6528.4893755, "test": 6938.2194253}}),
    ("999:\tlearn: 0.1\ttotal: 4.94s\tremaining: 0us", {"done": 1000, "remaining": 0, "marker": "completed"}),
    ("Shrink model to first 147 iterations.", {"framework": "catboost", "marker": "completed"}),
    ("[2026-01-01 10:00:00] starting", None),
]
