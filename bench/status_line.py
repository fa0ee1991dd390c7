"""`waitbuddy status --line` as tmux runs it, a whole process at a time (issue 15).

    python bench/status_line.py [--runs 40] [--store-runs 200]

A store in a temporary data directory gets ``--store-runs`` runs through the real registry: most
ended (completed, or failed with a reason), ten running with saved summaries (progress, ETA,
metrics). Then `python -m waitbuddy status --line` and the installed `waitbuddy` script are each
started ``--runs`` times, alternating, and the median and p90 of the wall time are reported,
beside `python -c pass` (the interpreter's own start) and the full command line
(`waitbuddy.cli.main(['status', '--line'])`: the same line through the parser, config and store,
as every command went before the fast path). Target: < 60 ms.

Byte-compiled files are written as an installed waitbuddy has them (PYTHONDONTWRITEBYTECODE is
dropped for the children), and one run of each command warms them before timing.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from waitbuddy.runs import registry
from waitbuddy.runs.snapshot import RunSnapshot, SnapshotError, SnapshotProgress
from waitbuddy.store import Store
from waitbuddy.timefmt import iso

TARGET_MS = 60.0


def seed(database: Path, count: int) -> None:
    now = time.time()
    with Store.open(database) as store:
        for index in range(count):
            path = f"/runs/exp-{index:03d}/train.log"
            record = registry.ensure_run(store, path, name=f"exp-{index:03d}")
            running = index >= count - 10
            failed = not running and index % 7 == 0
            status = "running" if running else ("failed" if failed else "completed")
            snapshot = RunSnapshot(
                path=path, name=record.name, status=status,
                progress=SnapshotProgress("step", 450 + index, 1000, 0.45 if running else 1.0),
                eta_seconds=600.0 + index * 30 if running else None, elapsed_seconds=500.0,
                metrics={"loss": 0.3 + index / 1000, "learning_rate": 3e-5},
                error=SnapshotError("cuda_oom", "CUDA out of memory (tried to allocate 2.00 GiB)") if failed else None,
                updated_at=iso(now - (0 if running else (count - index) * 600)),
                started_at=iso(now - 7200), ended_at=None if running else iso(now - (count - index) * 600),
            )
            registry.save_state(store, record.id, snapshot)


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one process, in ms. The CPU time says what the
    process costs when the machine is busy and the wall time waits for a core."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    elapsed = (time.perf_counter() - started) * 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"{command} failed ({result.returncode}): {result.stderr.strip()}")
    cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000
    return elapsed, cpu


def p90(values: list[float]) -> float:
    return sorted(values)[round(0.9 * (len(values) - 1))]


def report(label: str, wall: list[float], cpu: list[float], target: bool = False) -> None:
    verdict = ""
    if target:
        verdict = "  target < 60 ms: " + ("met" if p90(wall) < TARGET_MS else
                                         "met at the median" if statistics.median(wall) < TARGET_MS else "NOT met")
    print(f"{label:<44} wall median {statistics.median(wall):6.1f} p90 {p90(wall):6.1f} min {min(wall):6.1f}  "
          f"cpu median {statistics.median(cpu):6.1f} ms{verdict}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=40, help="process starts per command (default 40)")
    parser.add_argument("--store-runs", type=int, default=200, help="runs in the store (default 200)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        seed(data / "waitbuddy.db", args.store_runs)
        env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
        env.update(HOME=tmp, WAITBUDDY_DATA_DIR=str(data), WAITBUDDY_CONFIG=str(Path(tmp) / "none.toml"))
        script = shutil.which("waitbuddy", path=str(Path(sys.executable).parent))
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "python -m waitbuddy status --line": [sys.executable, "-m", "waitbuddy", "status", "--line"],
            # The same line through the full command line (its parser, config and store), as every
            # command went before the fast path.
            "status --line through waitbuddy.cli": [
                sys.executable, "-c", "import sys; from waitbuddy.cli import main; sys.exit(main(['status', '--line']))"],
        }
        if script is not None:
            commands["waitbuddy status --line (installed script)"] = [script, "status", "--line"]
        line = subprocess.run(commands["python -m waitbuddy status --line"], env=env, capture_output=True,
                              text=True, check=True).stdout.strip()
        print(f"{args.store_runs} runs in the store; the line: {line}")
        times: dict[str, list[tuple[float, float]]] = {label: [] for label in commands}
        for command in commands.values():
            timed(command, env)  # writes the byte-compiled files; not timed
        for _ in range(args.runs):
            for label, command in commands.items():  # alternating: a busy moment hits every command alike
                times[label].append(timed(command, env))
        print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
        for label, values in times.items():
            report(label, [wall for wall, _ in values], [cpu for _, cpu in values],
                   target="cli" not in label and "pass" not in label)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
