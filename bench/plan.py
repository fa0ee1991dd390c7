"""Figures for the wait planner (issue 15).

    python bench/plan.py [--runs 20]

A database with 10,000 backlog items (90 % with a known length, the rest imported unfetched;
some prioritised, snoozed, read),
5,000 feed entries over 20 sources (a ranker trained on 300 saves and dismissals), 150 problems
with 60 attempted, the built-in checklists and one running job with a 40-minute ETA. Then, as
whole processes (``python -m waitbuddy``, no config file), interleaved so a busy machine weighs
on all alike, median and spread of ``--runs`` runs:

* ``plan --json`` (target < 150 ms), ``plan --minutes 90 --json``, beside ``python -c pass``;
* and in-process, the parts: gathering candidates per domain, and the plan itself;
* ``--idle S``: the dashboard in a real pseudo-terminal over the same database, watching a real
  log (a tqdm bar, ~23 minutes left) so the plan strip shows a plan; its CPU over S quiet seconds
  (target < 0.5 % of a core), beside the same with no run (the strip has nothing to follow).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from processes import time_commands  # bench/, beside this script

from waitbuddy.store import Store


def fill(store: Store, seed: int = 1) -> None:
    from waitbuddy.feeds import library as feeds
    from waitbuddy.feeds import marks
    from waitbuddy.feeds.model import FeedItem
    from waitbuddy.practice import lists, progress
    from waitbuddy.runs import registry
    from waitbuddy.runs.snapshot import RunSnapshot

    rng = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    words = ["model", "training", "loss", "attention", "diffusion", "lora", "transformer", "scaling", "data",
             "eval", "benchmark"]
    rows = []
    for n in range(10_000):
        saved = now - timedelta(days=rng.randrange(400), minutes=rng.randrange(1440))
        status = rng.choices(["unread", "reading", "done", "archived"], [80, 5, 10, 5])[0]
        minutes = rng.randrange(2, 60) if rng.random() < 0.9 else None
        snoozed = (now + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ") if rng.random() < 0.03 else None
        rows.append((f"https://site{n % 500}.example.org/post/{n}", f"site{n % 500}.example.org/post/{n}",
                     f"Post {n}: " + " ".join(rng.sample(words, 4)), saved.strftime("%Y-%m-%dT%H:%M:%SZ"),
                     status, rng.choice([0, 0, 0, 1, 2, 3]), minutes, snoozed, "done" if minutes else "off"))
    with store.transaction() as db:
        db.executemany("INSERT INTO items (url, url_key, title, saved_at, status, priority, minutes, snoozed_until,"
                       " fetch_state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    for s in range(20):
        source, _ = feeds.add_source(store, f"https://feeds{s}.example.org/rss.xml", now=now)
        items = [FeedItem(f"g{s}-{n}", f"Paper {s}-{n}: " + " ".join(rng.sample(words, 5)),
                          link=f"https://arxiv.example.org/abs/{s}.{n}",
                          summary=" ".join(rng.choices(words, k=150)), published=now - timedelta(hours=n))
                 for n in range(250)]
        # checked just now: the dashboard's feeds refresh leaves them alone (no lookups of hosts
        # that do not exist while the idle CPU is measured)
        feeds.store_items(store, source.id, items, now, ok_at=now, fresh_until=now + timedelta(hours=6))
    ids = [row[0] for row in store.query("SELECT id FROM feed_items")]
    picked = rng.sample(ids, 300)
    marks.set_read(store, picked[:150], now=now)  # reads and dismissals train the ranker
    marks.dismiss(store, picked[150:], now=now)
    scheduler = progress.make_scheduler(fuzzing=False)
    for n, problem in enumerate(rng.sample(lists.bundled(), 60)):
        progress.record_attempt(store, problem.slug, rng.choice(progress.RATINGS), rng.randrange(10, 60),
                                now=now - timedelta(days=rng.randrange(1, 60), minutes=n), scheduler=scheduler)
    record = registry.ensure_run(store, "/runs/bert-base.log", name="bert-base")
    registry.save_state(store, record.id, RunSnapshot("/runs/bert-base.log", "bert-base", "running", eta_seconds=2400))


def bench_parts(database: Path, runs: int) -> None:
    from waitbuddy.config import Config
    from waitbuddy.planner import candidates, outlook, timers

    config = Config()
    with Store.open(database) as store:
        now = datetime.now(UTC)
        pace = timers.pace(store)
        zone = outlook.zone_of(config)
        parts = {
            "reading": lambda: candidates.reading(store, config, now, pace),
            "papers": lambda: candidates.papers(store, config, pace),
            "practice": lambda: candidates.practice(store, config, now),
            "checklists": lambda: candidates.checklists(store, config, now, zone, pace),
        }
        found = outlook.gather(store, config, now=now).candidates
        parts["plan (pure)"] = lambda: outlook.plan_for(40, found, config, now=now, from_run=True)
        for name, part in parts.items():
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                part()
                times.append(time.perf_counter() - start)
            print(f"part: {name:<12} median {statistics.median(times) * 1000:6.1f} ms  (max {max(times) * 1000:.1f})")
        print(f"      {len(found)} candidates")


def bench_cli(database: Path, runs: int) -> None:
    env = {**os.environ, "WAITBUDDY_DATA_DIR": str(database.parent), "HOME": str(database.parent),
           "XDG_CONFIG_HOME": str(database.parent / "config")}  # no config file: the defaults
    commands = {"python -c pass": [sys.executable, "-c", "pass"],
                "plan --json": [sys.executable, "-m", "waitbuddy", "plan", "--json"],
                "plan --minutes 90 --json": [sys.executable, "-m", "waitbuddy", "plan", "--minutes", "90", "--json"]}
    times = time_commands(commands, env, runs)
    for name, values in times.items():
        values.sort()
        print(f"cli: {name:<26} median {statistics.median(values) * 1000:6.1f} ms  (min {values[0] * 1000:.1f}, "
              f"p90 {values[int(len(values) * 0.9) - 1] * 1000:.1f})  [{runs} runs]")


def bench_idle(folder: Path, database: Path, seconds: float, size: tuple[int, int]) -> None:
    import shutil

    from startup import PtyApp

    for label, with_run in (("no run", False), ("a run ~23 min from its end", True)):
        home = folder / ("idle-run" if with_run else "idle")
        (home / "data").mkdir(parents=True)
        shutil.copy(database, home / "data" / "waitbuddy.db")
        with Store.open(home / "data" / "waitbuddy.db") as store:
            with store.transaction() as db:  # fill()'s run has no log: the watcher would only wait for it
                db.execute("DELETE FROM runs")
            if with_run:
                from waitbuddy.runs import registry

                log = home / "train.log"
                log.write_text("Epoch 1/1\n\rtrain:  30%|###       | 300/1000 [10:00<23:20, 0.50it/s, loss=0.42]")
                registry.add_watch(store, str(log))
        app = PtyApp(size, home)
        app.wait_for_frame()
        app.pump(20.0)  # the first plan, the first loads of every area
        shown = "min until" in _text(app)
        cpu_before, wall_before = app.cpu_seconds(), time.perf_counter()
        app.pump(seconds)
        cpu, wall = app.cpu_seconds() - cpu_before, time.perf_counter() - wall_before
        app.quit()
        print(f"idle: {label:<28} {100 * cpu / wall:.2f} % of one core over {wall:.0f} s "
              f"(strip showed a plan: {shown})")


def _text(app) -> str:
    from waitbuddy.text import safe_text

    return safe_text(bytes(app.output), limit=10**7)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--idle", type=float, default=0.0, help="seconds of idle CPU measurement (0: skip)")
    parser.add_argument("--size", default="80x24")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "waitbuddy.db"
        with Store.open(database) as store:
            fill(store)
        bench_parts(database, 5)
        bench_cli(database, args.runs)
        if args.idle:
            sys.path.insert(0, str(Path(__file__).resolve().parent))
            bench_idle(Path(folder), database, args.idle, tuple(int(part) for part in args.size.split("x")))


if __name__ == "__main__":
    main()
