"""Ultralytics' own progress bar (8.1+): ``desc: 12% ━━━───────── 1/8 3.0it/s 0.1s<2.3s``.
Its training rows and validation tables are columns under a header: see ``table.py``."""

from __future__ import annotations

import re

from waitbuddy.runs.observe import Observation, Progress, observation, parse_duration

_BAR = re.compile(
    r"(?P<pct>\d{1,3})% [━─╸ ]{1,80}\s(?P<n>\d+)/(?P<total>\d+)(?: (?P<rate>[\d.]+)(?P<unit>it/s|s/it))?"
    r"(?: (?P<elapsed>[\d.:]+s?)(?:<(?P<remaining>[\d.:]+s?))?)?"
)


def _seconds(text: str | None) -> float | None:
    if not text:
        return None
    text = text.removesuffix("s")
    if ":" in text:
        return parse_duration(text)
    try:
        return float(text)
    except ValueError:
        return None


def recognize(line: str) -> Observation | None:
    if "━" not in line and "─" not in line:
        return None
    match = _BAR.search(line, 0, 2000)
    if match is None:
        return None
    desc = line[: match.start()].lower()
    is_eval = "class" in desc and "images" in desc
    progress = Progress(done=float(match["n"]), total=float(match["total"]), unit="it", eval=is_eval,
                        elapsed_seconds=_seconds(match["elapsed"]), remaining_seconds=_seconds(match["remaining"]))
    return observation(framework="yolo", progress=progress)


SAMPLES = [
    ("        1/3         0G      1.213      2.301      1.402         21        640: 12% ━╸────────── 1/8 3.0it/s 0.1s<2.3s",
     {"framework": "yolo", "done": 1, "total": 8, "remaining": 2.3}),
    ("                 Class     Images  Instances      Box(P          R      mAP50  mAP50-95): 100% ━━━━━━━━━━━━ 4/4 33.1it/s 0.1s",
     {"eval": True, "done": 4}),
    ("─────────── a rule", None),
]
