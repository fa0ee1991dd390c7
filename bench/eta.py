"""ETA accuracy (issue 9): the ETA shown at 25, 50 and 75 % of a run against the time it really
had left.

    python bench/eta.py replay          the recorded real runs (tests/data/logs/timing/*.times.json),
                                        fed with the times their bytes were written
    python bench/eta.py demo [--seconds 60]
                                        `waitbuddy demo`'s simulated job, run for real now, its log
                                        polled every 20 ms as the watcher would read it
    python bench/eta.py all

"Truly left" is the time from the moment of the reading to the job's last output.
"""

from __future__ import annotations

import argparse
import codecs
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from waitbuddy.runs.run import Run  # noqa: E402 (after the path is set)

LOGS = ROOT / "tests" / "data" / "logs"
MARKS = (0.25, 0.5, 0.75)


def errors(readings: list[tuple[float, float | None, float | None]], last_output: float) -> dict[float, float | None]:
    """(seconds, fraction, eta) readings -> the relative ETA error at the first reading past each mark."""
    result: dict[float, float | None] = {}
    for seconds, fraction, eta in readings:
        for mark in MARKS:
            if mark not in result and fraction is not None and fraction >= mark:
                left = last_output - seconds
                result[mark] = None if eta is None or left <= 0 else (eta - left) / left
    return result


def replay(name: str) -> tuple[dict | None, dict]:
    timing = json.loads((LOGS / "timing" / f"{name}.times.json").read_text(encoding="utf-8"))
    data = (LOGS / name).read_bytes()
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    run, previous, start = Run(name), 0, 1_000_000_000.0
    readings = []
    for offset, seconds in timing["points"]:
        run.feed(decoder.decode(data[previous:offset]), start + seconds)
        previous = offset
        readings.append((seconds, run.fraction(), run.eta_seconds(start + seconds)))
    if run.status in ("failed", "interrupted"):
        return None, timing  # it ended early: "time left" is not what the ETA estimates
    return errors(readings, timing["last_output"]), timing


def demo(seconds: float) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "demo.log"
        with log.open("wb") as out:
            job = subprocess.Popen([sys.executable, "-m", "waitbuddy.runs.demo_job", str(seconds)], stdout=out,
                                   cwd=ROOT)
        started = time.monotonic()
        run, decoder, offset, readings, last_output = Run("demo"), codecs.getincrementaldecoder("utf-8")(), 0, [], 0.0
        with log.open("rb") as source:
            while True:
                data = source.read()
                now = time.monotonic() - started
                if data:
                    run.feed(decoder.decode(data), now)
                    offset += len(data)
                    last_output = now
                    readings.append((now, run.fraction(), run.eta_seconds(now)))
                elif job.poll() is not None:
                    break
                time.sleep(0.02)
        return errors(readings, last_output)


def show(label: str, result: dict) -> None:
    cells = "  ".join(f"{int(mark * 100)} %: " + ("-" if error is None else f"{error:+.0%}")
                      for mark, error in sorted(result.items()))
    print(f"{label:<44} {cells}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["replay", "demo", "all"])
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    print("ETA error at 25/50/75 % of the run (target: within ±20 %)")
    if args.what in ("replay", "all"):
        for timing in sorted((LOGS / "timing").glob("*.times.json")):
            name = timing.name.removesuffix(".times.json")
            result, info = replay(name)
            if result is not None:
                show(f"{name} ({info['last_output']:.0f} s)", result)
    if args.what in ("demo", "all"):
        show(f"demo job, live ({args.seconds:.0f} s)", demo(args.seconds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
