"""Figures for the reading backlog (issue 5).

    python bench/backlog.py [--items 10000]

* import: a generated Chrome-style bookmark file (nested folders, CRLF, a favicon data URI on
  every link, as Chrome writes them) through `waitbuddy import` as a user runs it (a new process:
  start-up, parse, store), and the parse and store steps alone;
* filter: the dashboard's Backlog pane with N items, in a headless Textual app: the pane's work
  for one keystroke in the filter box (filter, sort, reset the list), then rendering the visible
  rows (the only rows a frame draws);
* memory: Python heap held by the pane's items and index (tracemalloc), and the process RSS
  with the pane loaded.
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
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from processes import import_again, time_imports  # noqa: E402  (bench/, beside this script)

from waitbuddy.reading import backlog  # noqa: E402
from waitbuddy.reading.importers import parse_file  # noqa: E402
from waitbuddy.reading.query import Index  # noqa: E402
from waitbuddy.store import Store  # noqa: E402

WORDS = ("attention transformer diffusion scaling laws optimizer adam lora quantization rust python tmux "
         "kernel cuda triton flash sparse mixture experts retrieval agents reasoning benchmark").split()
ICON = "data:image/png;base64," + "iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAYAAAAf8/9hAAAA" * 20


def bookmark_file(path: Path, count: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    lines = ["<!DOCTYPE NETSCAPE-Bookmark-file-1>", "<!-- This is an automatically generated file.",
             "     It will be read and overwritten.", "     DO NOT EDIT! -->",
             '<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=UTF-8">', "<TITLE>Bookmarks</TITLE>",
             "<H1>Bookmarks</H1>", "<DL><p>",
             '    <DT><H3 ADD_DATE="1599750431" LAST_MODIFIED="1599750431" PERSONAL_TOOLBAR_FOLDER="true">'
             "Bookmarks bar</H3>", "    <DL><p>"]
    per_folder = 250
    for start in range(0, count, per_folder):
        lines.append(f'        <DT><H3 ADD_DATE="1600000000" LAST_MODIFIED="1600000000">{rng.choice(WORDS)}</H3>')
        lines.append("        <DL><p>")
        for n in range(start, min(start + per_folder, count)):
            title = " ".join(rng.sample(WORDS, 5)).replace("a", "&quot;a", 1)
            added = 1_400_000_000 + rng.randrange(300_000_000)
            lines.append(f'            <DT><A HREF="https://site{n % 300}.example.org/posts/{n}?utm_source=rss" '
                         f'ADD_DATE="{added}" ICON="{ICON}">{title} {n}</A>')
        lines.append("        </DL><p>")
    lines += ["    </DL><p>", "</DL><p>", ""]
    path.write_bytes("\r\n".join(lines).encode())


def bench_import(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / "bookmarks.html"
        bookmark_file(file, count)
        size = file.stat().st_size / 1e6
        walls, said = time_imports(file, Path(tmp), 3)
        print(f"import {count} bookmarks ({size:.1f} MB file), `waitbuddy import` wall time: "
              f"median {statistics.median(walls):.2f} s, min {min(walls):.2f} s  [{said}]")
        print(f"  the same file again: {import_again(file, Path(tmp))}")
        start = time.perf_counter()
        parsed = parse_file(file)
        parse = time.perf_counter() - start
        with Store.open(":memory:") as store:
            start = time.perf_counter()
            backlog.import_bookmarks(store, parsed, source="bench")
            stored = time.perf_counter() - start
            start = time.perf_counter()
            items = backlog.load_items(store)
            load = time.perf_counter() - start
            start = time.perf_counter()
            Index(items, now=backlog.utc_now(), seed=7)
            index = time.perf_counter() - start
        print(f"  parse {parse:.2f} s, store {stored:.2f} s; load {load * 1000:.0f} ms and index "
              f"{index * 1000:.0f} ms (the pane's background reload)")


async def bench_pane(count: int) -> None:
    from waitbuddy import config
    from waitbuddy.tui.app import WaitBuddy
    from waitbuddy.tui.widgets.backlog_pane import BacklogArea

    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / "bookmarks.html"
        bookmark_file(file, count)
        store = Store.open(Path(tmp) / "waitbuddy.db")
        backlog.import_bookmarks(store, parse_file(file), source="bench")
        app = WaitBuddy(config=config.parse('[backlog]\nfetch = "off"\n'), store=store)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("2")
            area = app.screen.query_one(BacklogArea)
            while not area.loaded:
                await pilot.pause(0.05)
            await pilot.press("/")
            timings: dict[str, list[float]] = {}
            for query in ("attention", "tag:rust", "fits:10", "age:>1000 kind:article", "cuda kernel -triton"):
                for sort in ("resurface", "priority", "shortest"):
                    area.sort = sort
                    for _ in range(5):
                        start = time.perf_counter()
                        area.query_text = query
                        area._apply(keep=area._current_id())
                        timings.setdefault(f"{query} / {sort}", []).append(time.perf_counter() - start)
                        area.query_text = ""
                        area._apply()
            from waitbuddy.tui.widgets.line_list import LineList

            lines = area.query_one(LineList)
            paints = []
            for query in ("attention", "tag:rust", ""):
                area.query_text = query
                area._apply()
                start = time.perf_counter()
                for y in range(lines.size.height):  # what the next frame draws: the visible rows, uncached
                    lines.render_line(y)
                paints.append(time.perf_counter() - start)
            worst = max(statistics.median(values) for values in timings.values())
            overall = statistics.median(value for values in timings.values() for value in values)
            print(f"filter+sort {count} items in the pane: median {overall * 1000:.1f} ms, worst query median "
                  f"{worst * 1000:.1f} ms; then drawing the {lines.size.height} visible rows: "
                  f"median {statistics.median(paints) * 1000:.1f} ms")
            rss = int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6
            print(f"  process RSS with the pane loaded: {rss:.0f} MB")
        store.close()

    with Store.open(":memory:") as store:
        with tempfile.TemporaryDirectory() as tmp:
            file = Path(tmp) / "bookmarks.html"
            bookmark_file(file, count)
            backlog.import_bookmarks(store, parse_file(file), source="bench")
        tracemalloc.start()
        items = backlog.load_items(store)
        index = Index(items, now=backlog.utc_now(), seed=7)
        held = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        print(f"  memory held by {len(index.items)} items and their index: {held / 1e6:.1f} MB")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=10_000)
    args = parser.parse_args()
    bench_import(args.items)
    asyncio.run(bench_pane(args.items))


if __name__ == "__main__":
    main()
