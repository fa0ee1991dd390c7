"""Replay a recorded log with the times its bytes were written (tests/data/logs/timing/).

Each `<log>.times.json` beside the corpus holds `points`: [file size in bytes, seconds since the
job started] at every moment the growing file was seen larger (see tests/data/logs/README.md).
No framework is needed: only the committed bytes and times are read.
"""

from __future__ import annotations

import json
from pathlib import Path

LOGS = Path(__file__).parent / "data" / "logs"
TIMING = LOGS / "timing"


def _record(log_name: str) -> dict:
    return json.loads((TIMING / f"{log_name}.times.json").read_text(encoding="utf-8"))


def timed_logs() -> list[str]:
    """The names of the logs that have timing data."""
    return sorted(path.name[: -len(".times.json")] for path in TIMING.glob("*.times.json"))


def chunks(log_name: str) -> list[tuple[float, bytes]]:
    """(seconds since the job started, the bytes written since the previous point), in order.
    Joined, the bytes are exactly the log file."""
    data = (LOGS / log_name).read_bytes()
    result: list[tuple[float, bytes]] = []
    offset = 0
    for size, seconds in _record(log_name)["points"]:
        result.append((float(seconds), data[offset:size]))
        offset = size
    if offset != len(data):
        raise ValueError(f"{log_name}: timing covers {offset} of {len(data)} bytes")
    return result


def truth(log_name: str) -> dict:
    """What was measured while the job ran: `exit_status` (pty: that of `script`, i.e. python's),
    `duration` (seconds from the start to the python process's exit), `end` (the same, seconds
    since the start), `end_unix` / `start_unix` (wall clock), `first_output` / `last_output`
    (seconds since the start), `wrapper_end` (pty: when `script` exited), `mode`, `size`."""
    return {key: value for key, value in _record(log_name).items() if key != "points"}
