"""Figures for Practice (issue 14).

    python bench/practice.py [--runs 20]

* pane: in a headless dashboard (80x24) over a database with 60 problems attempted (200
  attempts), the time from the Practice pane's mount to its first rows on screen (the store
  thread's load applied), and from the dashboard being up (``on_ready``) to the same moment; then
  one filter keystroke (rows rebuilt and the list reset);
* cli: ``waitbuddy practice next`` and ``practice stats`` as whole processes over the same
  database, beside ``python -c pass`` run the same way (the interpreter's own start), median and
  spread of ``--runs`` runs, interleaved so a busy machine weighs on all alike.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from processes import time_commands  # bench/, beside this script

from waitbuddy.practice import lists, progress
from waitbuddy.store import Store


def fill(store: Store, seed: int = 1) -> None:
    rng = random.Random(seed)
    problems = lists.bundled()
    scheduler = progress.make_scheduler(fuzzing=False)
    now = progress.utc_now()
    chosen = rng.sample(problems, 60)
    for n in range(200):
        problem = chosen[n % 60]
        at = now - timedelta(days=200 - n, minutes=rng.randrange(600))
        progress.record_attempt(store, problem.slug, rng.choice(progress.RATINGS), rng.randrange(10, 60), now=at,
                                scheduler=scheduler)


async def bench_pane(database: Path, repeat: int) -> None:
    from waitbuddy import config
    from waitbuddy.tui.app import WaitBuddy
    from waitbuddy.tui.widgets import practice_pane
    from waitbuddy.tui.widgets.line_list import LineList

    moments: dict[str, float] = {}
    original_mount, original_apply = practice_pane.PracticeArea.on_mount, practice_pane.PracticeArea._apply

    def on_mount(self) -> None:
        moments.setdefault("mount", time.perf_counter())
        original_mount(self)

    def apply(self, keep=None) -> None:  # the first load's rows go on screen here
        original_apply(self, keep)
        if self.query_one(LineList).count:
            moments.setdefault("rows", time.perf_counter())

    practice_pane.PracticeArea.on_mount = on_mount  # type: ignore[method-assign]
    practice_pane.PracticeArea._apply = apply  # type: ignore[method-assign]
    after_mount, after_ready, keystroke = [], [], []
    for _ in range(repeat):
        moments.clear()
        with Store.open(database) as store:
            app = WaitBuddy(config=config.parse('[backlog]\nfetch = "off"\n'), store=store)
            async with app.run_test(size=(80, 24)) as pilot:
                ready = time.perf_counter()  # run_test returns once the app is ready
                deadline = time.monotonic() + 10
                while "rows" not in moments:
                    assert time.monotonic() < deadline, "the pane never showed its rows"
                    await pilot.pause(0.001)
                after_mount.append(moments["rows"] - moments["mount"])
                after_ready.append(moments["rows"] - ready)
                await pilot.press("4")
                area = app.screen.query_one(practice_pane.PracticeArea)
                area.query_one("#practice-filter").display = True
                start = time.perf_counter()
                area.query_text = "tree"
                area._apply()
                keystroke.append(time.perf_counter() - start)
    print(f"pane: first rows {statistics.median(after_mount) * 1000:.1f} ms after mount "
          f"(max {max(after_mount) * 1000:.1f}); {statistics.median(after_ready) * 1000:+.1f} ms from the "
          f"dashboard being up (negative: already there; max {max(after_ready) * 1000:+.1f}); "
          f"one filter keystroke {statistics.median(keystroke) * 1000:.1f} ms  [{repeat} starts]")


def bench_cli(database: Path, runs: int) -> None:
    env = {**os.environ, "WAITBUDDY_DATA_DIR": str(database.parent), "HOME": str(database.parent),
           "XDG_CONFIG_HOME": str(database.parent / "config")}  # no config file: the defaults
    commands = {"python -c pass": [sys.executable, "-c", "pass"],
                "practice next": [sys.executable, "-m", "waitbuddy", "practice", "next"],
                "practice next --minutes 20": [sys.executable, "-m", "waitbuddy", "practice", "next", "-m", "20"],
                "practice stats": [sys.executable, "-m", "waitbuddy", "practice", "stats"]}
    times = time_commands(commands, env, runs, ok=(0, 1))
    for name, values in times.items():
        values.sort()
        print(f"cli: {name:<28} median {statistics.median(values):.3f} s  (min {values[0]:.3f}, "
              f"max {values[-1]:.3f})  [{runs} runs]")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--starts", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "waitbuddy.db"
        with Store.open(database) as store:
            fill(store)
        asyncio.run(bench_pane(database, args.starts))
        bench_cli(database, args.runs)


if __name__ == "__main__":
    main()
