"""Timing whole commands as processes, the way a person (or tmux) starts them."""

from __future__ import annotations

import subprocess
import tempfile
import time
from collections.abc import Collection, Mapping, Sequence


def time_commands(commands: Mapping[str, Sequence[str]], env: Mapping[str, str], runs: int, *,
                  ok: Collection[int] = (0,)) -> dict[str, list[float]]:
    """Seconds each command took, ``runs`` times, interleaved so a busy machine weighs on all alike;
    each exit status must be in ``ok``."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, argv in commands.items():
            start = time.perf_counter()
            done = subprocess.run(list(argv), env=dict(env), capture_output=True, cwd=tempfile.gettempdir(),
                                  check=False)
            times[name].append(time.perf_counter() - start)
            assert done.returncode in ok, done.stderr.decode()
    return times
