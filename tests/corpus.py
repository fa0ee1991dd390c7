"""The real-framework log corpus (tests/data/logs) and what waitbuddy must read from each log.

`python -m tests.corpus` prints the current reading of every log as JSON, to review by eye
before updating tests/data/logs/expected.json.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from waitbuddy.runs.run import Run
from waitbuddy.runs.status import read_once

LOGS = Path(__file__).parent / "data" / "logs"
EXPECTED = LOGS / "expected.json"


def reading(run: Run, now: float) -> dict:
    """The fields the corpus test pins down."""
    snapshot = run.snapshot(now)
    progress = snapshot.progress
    headline = run.headline()
    return {
        "status": snapshot.status,
        "framework": snapshot.framework,
        "progress": None if progress is None else [progress.done, progress.total, progress.unit],
        "error": None if snapshot.error is None else snapshot.error.kind,
        "headline": None if headline is None else [headline[0], snapshot.metrics[headline[0]]],
    }


def read_log(path: Path) -> dict:
    # As if the writer had finished a few seconds ago: the result must not depend on the
    # checkout time of the file.
    now = os.stat(path).st_mtime + 5.0
    return reading(read_once(path, now=now), now)


def logs() -> list[Path]:
    return sorted(LOGS.glob("*.log"))


if __name__ == "__main__":
    print(json.dumps({path.name: read_log(path) for path in logs()}, indent=1, ensure_ascii=False))
