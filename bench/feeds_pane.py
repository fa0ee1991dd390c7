"""Figures for the Feeds pane (issue 13): 5,000 entries.

    python bench/feeds_pane.py [--entries 5000]

* filter: the function the pane runs on each keystroke in the filter box
  (``EntryIndex.select``: parse the filter, test every entry, sort by relevance or date), for
  every prefix of a few typed filters; then the pane's whole work for one keystroke in a headless
  Textual app (filter, sort, reset the list, status and detail) and drawing the visible rows;
* memory: Python heap held by the loaded entries and their index (tracemalloc around
  ``library.entries`` + ``ranker`` + ``EntryIndex``, what the pane's background load holds), and
  the process RSS with the pane loaded.

Entries are arXiv-like (title, 4 authors, a 1,200-character abstract, categories) stored through
``library.store_items`` under 10 sources; a few are saved so the ranker has something to say.
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
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from waitbuddy.feeds import library
from waitbuddy.feeds.model import FeedItem
from waitbuddy.feeds.query import EntryIndex, parse_filter
from waitbuddy.store import Store

WORDS = ["attention", "transformer", "diffusion", "scaling", "laws", "optimizer", "adam", "lora", "quantization", "sparse", "kernel", "cuda", "triton", "flash", "mixture", "experts", "retrieval", "agents", "reasoning", "benchmark", "graph", "neural", "reinforcement", "policy", "gradient", "variational", "bayesian", "contrastive", "representation", "tokenizer", "alignment", "preference", "reward", "distillation", "pruning", "federated", "privacy", "robustness", "adversarial", "causal", "inference", "protein", "molecule"]
FILTERS = ("diffusion", "source:arxiv-3", "tag:ml lora", "is:unread -transformer", "cat:stat.ML sparse")


def fill(store: Store, count: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    now = datetime.now(UTC)
    per_source = count // 10
    for number in range(10):
        source, _ = library.add_source(store, f"https://feeds{number}.example.org/rss.xml", name=f"arxiv-{number}",
                                       tags=("ml",) if number % 2 else ("papers",))
        items = []
        for n in range(number * per_source, (number + 1) * per_source):
            words = rng.sample(WORDS, 8)
            abstract = " ".join(rng.choice(WORDS) for _ in range(160))[:1200]
            items.append(FeedItem(
                guid=f"oai:arXiv.org:2401.{n:05d}", title=" ".join(words[:7]).capitalize() + f" {n}",
                link=f"https://arxiv.org/abs/2401.{n:05d}", authors=tuple(f"Author {rng.randrange(900)}" for _ in range(4)),
                published=now - timedelta(minutes=n), summary=abstract,
                categories=("cs.LG", "stat.ML") if n % 3 == 0 else ("cs.LG",), arxiv_id=f"2401.{n:05d}",
                arxiv_version=1, announce_type="new", primary_category="cs.LG", pages=10 + n % 20))
        library.store_items(store, source.id, items, now)
    chosen = [entry.id for entry in library.entries(store)[::250]]
    for entry_id in chosen[:10]:
        library.to_backlog(store, entry_id)  # the ranker learns what was saved
    library.set_read(store, chosen[10:])


def bench_filter(store: Store) -> None:
    entries = library.entries(store)
    index = EntryIndex(entries, library.ranker(store, ("diffusion", "lora")))
    timings: dict[str, list[float]] = {}
    for typed in FILTERS:
        for sort in ("relevance", "date"):
            for end in range(1, len(typed) + 1):  # every keystroke of typing it
                start = time.perf_counter()
                try:
                    shown = index.select(parse_filter(typed[:end]), sort=sort, unread_only=True)
                except ValueError:
                    continue
                timings.setdefault(f"{typed} / {sort}", []).append(time.perf_counter() - start)
    every = [value for values in timings.values() for value in values]
    worst_filter = max(timings, key=lambda name: max(timings[name]))
    print(f"filter {len(entries)} entries per keystroke (EntryIndex.select, {len(every)} keystrokes): "
          f"median {statistics.median(every) * 1000:.1f} ms, max {max(every) * 1000:.1f} ms ({worst_filter})")
    start = time.perf_counter()
    shown = index.select(parse_filter(""), sort="relevance")
    print(f"  no filter, by relevance: {(time.perf_counter() - start) * 1000:.1f} ms for {len(shown)} entries")


def bench_memory(store: Store) -> None:
    tracemalloc.start()
    entries = library.entries(store)
    index = EntryIndex(entries, library.ranker(store, ("diffusion", "lora")))
    held = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    start = time.perf_counter()
    entries = library.entries(store)
    loaded = time.perf_counter() - start
    start = time.perf_counter()
    EntryIndex(entries, library.ranker(store, ("diffusion", "lora")))
    indexed = time.perf_counter() - start
    print(f"memory held by {len(index)} entries and their index: {held / 1e6:.1f} MB; the background load takes "
          f"{loaded * 1000:.0f} ms to read them and {indexed * 1000:.0f} ms to index and rank them")


async def bench_pane(path: Path) -> None:
    from waitbuddy import config
    from waitbuddy.tui.app import WaitBuddy
    from waitbuddy.tui.widgets.feeds_pane import FeedsArea
    from waitbuddy.tui.widgets.line_list import LineList

    store = Store.open(path)
    app = WaitBuddy(config=config.parse('[backlog]\nfetch = "off"\n'), store=store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        area = app.screen.query_one(FeedsArea)
        while not area.loaded:
            await pilot.pause(0.05)
        if area._refresher is not None:
            area._refresher.stop()  # the sources are fake hosts: no network in a benchmark
        timings = []
        for typed in FILTERS:
            for end in range(1, len(typed) + 1):
                start = time.perf_counter()
                area.query_text = typed[:end]
                area._apply(keep=area._current_id())
                timings.append(time.perf_counter() - start)
        lines = area.query_one(LineList)
        paints = []
        for typed in ("diffusion", "tag:ml", ""):
            area.query_text = typed
            area._apply()
            start = time.perf_counter()
            for y in range(lines.size.height):  # what the next frame draws: the visible rows, uncached
                lines.render_line(y)
            paints.append(time.perf_counter() - start)
        print(f"the pane's work per keystroke ({len(area.index)} entries, filter + sort + list + status + detail): "
              f"median {statistics.median(timings) * 1000:.1f} ms, max {max(timings) * 1000:.1f} ms; drawing the "
              f"{lines.size.height} visible rows: median {statistics.median(paints) * 1000:.1f} ms")
        rss = int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6
        print(f"  process RSS with the pane loaded: {rss:.0f} MB")
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=5_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "waitbuddy.db"
        with Store.open(path) as store:
            fill(store, args.entries)
            bench_filter(store)
            bench_memory(store)
        asyncio.run(bench_pane(path))


if __name__ == "__main__":
    main()
