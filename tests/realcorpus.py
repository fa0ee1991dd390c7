"""Logs written by other people (tests/data/logs/real): what a careful reader concludes from each,
and how waitbuddy's reading compares.

Each log's expectations were written by reading the log, not by running waitbuddy (the manifest
records the source repository, path and commit of every file). ``python -m tests.realcorpus``
prints the comparison; ``bench/real_logs.py`` reports the shares for the issue's figures.
"""

from __future__ import annotations

import json
import math
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from waitbuddy.runs.status import read_once

REAL = Path(__file__).parent / "data" / "logs" / "real"
HELDOUT = Path(__file__).parent / "data" / "logs" / "heldout"  # read only for the figure, then fixed against
FRACTION_TOLERANCE = 0.02


def manifest(directory: Path = REAL) -> list[dict]:
    entries = []
    for path in sorted(directory.glob("manifest*.json")):
        entries.extend(json.loads(path.read_text(encoding="utf-8")))
    return sorted(entries, key=lambda entry: entry["file"])


def _key(name: str) -> str:
    key = "_".join(name.lower().replace("-", " ").split())
    return key.removesuffix("_loss") if key != "loss" else key


@dataclass
class Verdict:
    file: str
    status: bool
    error: bool
    fraction: bool
    losses: bool
    got: dict = field(default_factory=dict)
    expected: dict = field(default_factory=dict)

    @property
    def all_right(self) -> bool:
        return self.status and self.error and self.fraction and self.losses


def reading(path: Path) -> dict:
    """What waitbuddy reads from a log, as if its writer had finished a few seconds ago."""
    now = os.stat(path).st_mtime + 5.0
    snapshot = read_once(path, now=now).snapshot(now)
    return {
        "status": snapshot.status,
        "error": None if snapshot.error is None else snapshot.error.kind,
        "fraction": snapshot.fraction,
        "metrics": snapshot.metrics,
        "framework": snapshot.framework,
    }


def _same_value(expected: float, got: object) -> bool:
    if isinstance(got, str):  # the JSON's "nan", "inf"
        try:
            got = float(got)
        except ValueError:
            return False
    if not isinstance(got, (int, float)):
        return False
    if math.isnan(got) or math.isnan(expected):
        return math.isnan(got) and math.isnan(expected)
    return math.isclose(got, expected, rel_tol=1e-3, abs_tol=1e-9)


def judge(entry: dict, directory: Path = REAL) -> Verdict:
    expected = entry["expect"]
    got = reading(directory / entry["file"])
    want_fraction, got_fraction = expected.get("fraction"), got["fraction"]
    if want_fraction is None:
        fraction_ok = got_fraction is None
    else:
        fraction_ok = got_fraction is not None and abs(got_fraction - want_fraction) <= FRACTION_TOLERANCE
    metrics = {_key(name): value for name, value in got["metrics"].items()}
    losses = expected.get("losses") or {}
    losses_ok = all(_key(name) in metrics and _same_value(float(value), metrics[_key(name)])
                    for name, value in losses.items())
    return Verdict(
        file=entry["file"], status=got["status"] == expected["status"], error=got["error"] == expected.get("error"),
        fraction=fraction_ok, losses=losses_ok, got=got, expected=expected,
    )


def main(argv: list[str] | None = None) -> int:
    directory = HELDOUT if "--heldout" in (sys.argv[1:] if argv is None else argv) else REAL
    verdicts = [judge(entry, directory) for entry in manifest(directory)]
    for verdict in verdicts:
        marks = "".join("." if ok else "x" for ok in (verdict.status, verdict.error, verdict.fraction, verdict.losses))
        print(f"{marks}  {verdict.file}")
        if not verdict.all_right:
            got = {**verdict.got, "metrics": {k: v for k, v in list(verdict.got["metrics"].items())[:12]}}
            print(f"      expected {json.dumps(verdict.expected)}\n      got      {json.dumps(got)}")
    total = len(verdicts) or 1
    for name in ("status", "error", "fraction", "losses", "all_right"):
        right = sum(1 for verdict in verdicts if getattr(verdict, name))
        print(f"{name:10} {right}/{len(verdicts)}  {100 * right / total:.0f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
