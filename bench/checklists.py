"""Figures for the Checklists pane and command (issue 14).

    python bench/checklists.py [--repeat 5]

* pane: in a headless dashboard (120x40), the time from the dashboard being up (``App.on_ready``,
  the first frame) to the Checklists list holding its rows (the pane's first load: sync the
  built-in and configured lists, read every item with its completions, group them), and the
  same load alone on this thread (``library.sync`` + ``library.items``);
* command: ``waitbuddy checklists --due`` as a whole process (``python -m waitbuddy``), wall time,
  best and median of a few runs, on a database with a year of history.

The database holds the 16 built-in items, 20 of the person's own and a year of completions
(daily items every day), so the figures are for a list in use, not an empty one.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from waitbuddy import config
from waitbuddy.checklists import library
from waitbuddy.store import Store

TOML = '[backlog]\nfetch = "off"\n'


def fill(path: Path) -> None:
    now = datetime.now(UTC)
    with Store.open(path) as store:
        library.sync(store, config.parse(TOML), now=now)
        for n in range(20):
            library.add(store, f"Mine {n % 4}", f"My own item {n}", every="daily" if n % 2 else "weekly",
                        now=now - timedelta(days=366))
        for item in library.items(store, now=now):
            step = 1 if item.recurrence == "daily" else 7
            with store.transaction() as db:
                db.executemany("INSERT INTO checklist_completions (item_id, done_at) VALUES (?, ?)",
                               ((item.id, (now - timedelta(days=day)).strftime("%Y-%m-%dT%H:%M:%SZ"))
                                for day in range(365, 0, -step)))


async def pane_once(path: Path) -> tuple[float, float]:
    """(dashboard up -> the first load's rows in the list, the UI thread's part of that: grouping
    the items into rows and resetting the list)."""
    from textual import events

    from waitbuddy.tui.app import WaitBuddy
    from waitbuddy.tui.widgets.checklists_pane import ChecklistsArea

    marks: dict[str, float] = {}

    def seen(message: object) -> None:  # called as each message is handled
        if isinstance(message, events.Ready):
            marks.setdefault("ready", time.perf_counter())
        elif isinstance(message, ChecklistsArea.Loaded):
            marks.setdefault("loaded", time.perf_counter())

    store = Store.open(path)
    try:
        app = WaitBuddy(config=config.parse(TOML), store=store)
        async with app.run_test(size=(120, 40), message_hook=seen) as pilot:
            area = app.screen.query_one(ChecklistsArea)
            while not area.loaded:
                await pilot.pause(0.001)
            done = time.perf_counter()
            assert area.rows, "no rows"
            start = time.perf_counter()
            area._apply()
            applied = time.perf_counter() - start
    finally:
        store.close()
    # The Loaded message is handled (the rows set) right after the hook sees it; the poll above
    # only bounds it, so the figure is hook-to-hook plus the measured UI part.
    del done
    return marks["loaded"] - marks["ready"] + applied, applied


def load_once(path: Path) -> float:
    with Store.open(path) as store:
        start = time.perf_counter()
        library.sync(store, config.parse(TOML))
        found = library.items(store, zone=library.local_zone())
        library.grouped(found)
        return time.perf_counter() - start


def command_once(path: Path, cache: Path | None) -> float:
    """One ``checklists --due``; with ``cache``, bytecode is written there and read back (as an
    installed package has it), without, every module is compiled from source each time (what
    PYTHONDONTWRITEBYTECODE=1 does, as in this development environment)."""
    env = {**os.environ, "XDG_DATA_HOME": str(path.parent.parent), "XDG_CONFIG_HOME": str(path.parent / "none")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if cache is None:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    else:
        env["PYTHONPYCACHEPREFIX"] = str(cache)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "waitbuddy", "checklists", "--due"], check=True, env=env, cwd=ROOT,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "waitbuddy" / "waitbuddy.db"
        path.parent.mkdir()
        fill(path)
        with Store.open(path) as store:
            count = len(library.items(store))
            done = store.query("SELECT count(*) FROM checklist_completions")[0][0]
        print(f"database: {count} items, {done} completions")
        loads = [load_once(path) for _ in range(args.repeat)]
        print(f"first load alone (sync + items + grouped): best {min(loads) * 1000:.1f} ms, "
              f"median {statistics.median(loads) * 1000:.1f} ms")
        runs = [asyncio.run(pane_once(path)) for _ in range(args.repeat)]
        panes, ui = [run[0] for run in runs], [run[1] for run in runs]
        print(f"pane: dashboard up -> Checklists rows: best {min(panes) * 1000:.1f} ms, "
              f"median {statistics.median(panes) * 1000:.1f} ms, max {max(panes) * 1000:.1f} ms "
              f"(of which the UI thread: median {statistics.median(ui) * 1000:.2f} ms)")
        for cache, what in ((Path(folder) / "pycache", "bytecode cached (an installed package)"),
                            (None, "compiled from source every time (PYTHONDONTWRITEBYTECODE=1)")):
            command_once(path, cache)  # writes the bytecode
            commands = [command_once(path, cache) for _ in range(args.repeat)]
            print(f"`waitbuddy checklists --due` (whole process), {what}: best {min(commands) * 1000:.0f} ms, "
                  f"median {statistics.median(commands) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
