"""Scheduler queries with 50 watched Slurm jobs, and the time from a job's end to the Poller's
state change (issue 16). Starts its own single-node Slurm (tests/slurm_cluster.py; needs
slurm-wlm and munge) in a temporary directory and stops it by PID at the end.

    python bench/slurm.py [--jobs 50] [--minutes 3] [--interval 60]

The jobs are `sleep` scripts of different lengths (the node has few CPUs, so most wait in the
queue and start as others end): over the run some are pending, some running, some ending. The
Poller runs as the dashboard would, asked every second whether it is due. Latency: the moment
the poll that first saw a job ended returned, minus Slurm's EndTime for it (1 s resolution).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.slurm_cluster import missing_programs, start, write_config
from waitbuddy.runs.slurm_poll import Poller, submit
from waitbuddy.timefmt import timestamp


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=50)
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--interval", type=float, default=60.0)
    options = parser.parse_args()
    if missing := missing_programs():
        sys.exit(f"Slurm is not installed (missing {', '.join(missing)})")

    with tempfile.TemporaryDirectory(prefix="wb-slurm-") as scratch:
        cluster = write_config(Path(scratch) / "cluster")
        start(cluster)
        try:
            run(cluster, Path(scratch), options)
        finally:
            cluster.stop()


def run(cluster, scratch: Path, options: argparse.Namespace) -> None:
    work = scratch / "jobs"
    work.mkdir()
    ids = []
    for number in range(options.jobs):
        script = work / f"job{number}.sh"
        script.write_text(f"#!/bin/sh\nsleep {3 + number % 7 * 4}\n")
        script.chmod(0o755)
        ids.append(submit(str(script), [f"--chdir={work}"], env=cluster.env).job_id)

    poller = Poller(interval=options.interval, env=cluster.env)
    poller.watch(ids)
    seen_ended: dict[str, float] = {}
    seen_live: set[str] = set()  # only jobs seen before they ended count for the latency
    query_times: list[float] = []
    started = time.monotonic()
    while time.monotonic() - started < options.minutes * 60:
        if poller.due():
            before, t0 = poller.queries, time.perf_counter()
            reports = poller.poll()
            took = time.perf_counter() - t0
            if poller.queries > before:
                query_times.append(took)
            now = time.time()
            for job_id in ids:
                report = reports[job_id]
                if not report.ended:
                    seen_live.add(job_id)
                elif job_id in seen_live and job_id not in seen_ended:
                    seen_ended[job_id] = now - (timestamp(report.jobs[0].ended_at) or now)
        time.sleep(1.0)
    minutes = (time.monotonic() - started) / 60
    latencies = list(seen_ended.values())
    states: dict[str, int] = {}
    for job_id in ids:
        for job in poller.reports[job_id].jobs:
            states[job.state] = states.get(job.state, 0) + 1

    print(f"{options.jobs} watched jobs, interval {options.interval:.0f} s, {minutes:.1f} min")
    print(f"  queries: {poller.queries} = {poller.queries / minutes:.2f} per minute "
          f"(each one squeue for all not-ended jobs)")
    if query_times:
        print(f"  poll wall time: median {statistics.median(query_times) * 1000:.0f} ms, "
              f"max {max(query_times) * 1000:.0f} ms")
    print(f"  states at the end: {dict(sorted(states.items()))}")
    if latencies:
        print(f"  job end -> state change ({len(latencies)} jobs): median {statistics.median(latencies):.1f} s, "
              f"max {max(latencies):.1f} s, min {min(latencies):.1f} s")


if __name__ == "__main__":
    main()
