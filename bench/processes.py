"""Timing whole commands as processes, the way a person (or tmux) starts them."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path


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


def time_imports(file: Path, folder: Path, runs: int) -> tuple[list[float], str]:
    """``waitbuddy import FILE`` as a person runs it (a new process: start-up, parse, store), ``runs``
    times, each into a new database under ``folder``; the seconds each took and what the last printed.
    The database is left as the last run wrote it (for a check, or an import again)."""
    database = folder / "data" / "waitbuddy.db"
    env = {**os.environ, "WAITBUDDY_DATA_DIR": str(database.parent), "WAITBUDDY_CONFIG": str(folder / "none.toml")}
    walls, said = [], ""
    for _ in range(runs):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "waitbuddy", "import", str(file)], env=env,
                              capture_output=True, text=True, check=True)
        walls.append(time.perf_counter() - start)
        said = done.stdout.strip()
    return walls, said


def import_again(file: Path, folder: Path) -> str:
    """What importing ``file`` into :func:`time_imports`'s database once more prints."""
    env = {**os.environ, "WAITBUDDY_DATA_DIR": str(folder / "data"), "WAITBUDDY_CONFIG": str(folder / "none.toml")}
    return subprocess.run([sys.executable, "-m", "waitbuddy", "import", str(file)], env=env, capture_output=True,
                          text=True, check=True).stdout.strip()
