"""Import of a 10,000-item Chrome profile ``Bookmarks`` file (issue 17).

    python bench/import_json.py [--items 10000] [--runs 5]

Generates a Chromium ``Bookmarks`` file (nested folders three deep, ``date_added`` in µs since
1601, pretty-printed with sorted keys as Chromium writes it), then imports it through the real
import path (``stream_file`` → ``backlog.import_bookmarks``) into a real SQLite store on disk,
a new store each run; prints the median and minimum of the runs, and checks that every date and
folder tag was kept. The Netscape HTML file of bench/backlog.py is timed the same way beside it.
A last line times ``waitbuddy import`` in a new process (start-up included), as bench/backlog.py does.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from processes import time_imports  # bench/, beside this script

from bench.backlog import WORDS, bookmark_file
from waitbuddy.reading import backlog
from waitbuddy.reading.importers import stream_file
from waitbuddy.store import Store

WEBKIT = 11_644_473_600


def chrome_file(path: Path, count: int, seed: int = 1) -> dict[str, tuple[int, tuple[str, ...]]]:
    """Write the file; returns url -> (unix seconds, folder tags) to check the import against."""
    rng = random.Random(seed)
    ids = iter(range(1, 10 * count))
    expected: dict[str, tuple[int, tuple[str, ...]]] = {}

    def folder(name: str, children: list) -> dict:
        return {"children": children, "date_added": "13244224031000000", "date_last_used": "0",
                "date_modified": "13244224031000000", "guid": f"f{next(ids):035d}", "id": str(next(ids)),
                "name": name, "type": "folder"}

    top, n = [], 0
    while n < count:
        subs = []
        for sub in range(4):
            leaves = []
            for _ in range(25):
                if n >= count:
                    break
                added = 1_400_000_000 + rng.randrange(300_000_000)
                url = f"https://site{n % 300}.example.org/posts/{n}"
                tags = (f"topic-{len(top)}", f"sub-{sub}")
                expected[url] = (added, tags)
                leaves.append({"date_added": str((added + WEBKIT) * 1_000_000), "date_last_used": "0",
                               "guid": f"e{next(ids):035d}", "id": str(next(ids)),
                               "name": " ".join(rng.sample(WORDS, 5)) + f" {n}", "type": "url", "url": url})
                n += 1
            subs.append(folder(f"Sub {sub}", leaves))
        top.append(folder(f"Topic {len(top)}", subs))
    roots = {"bookmark_bar": folder("Bookmarks bar", top[: len(top) // 2]),
             "other": folder("Other bookmarks", top[len(top) // 2:]), "synced": folder("Mobile bookmarks", [])}
    path.write_text(json.dumps({"checksum": "0" * 32, "roots": roots, "version": 1}, indent=3, sort_keys=True))
    return expected


def timed_import(path: Path, db: Path) -> tuple[float, object]:
    db.unlink(missing_ok=True)
    for extra in ("-wal", "-shm"):
        Path(str(db) + extra).unlink(missing_ok=True)
    with Store.open(db) as store:
        start = time.perf_counter()
        report = backlog.import_bookmarks(store, stream_file(path), source=path.name)
        elapsed = time.perf_counter() - start
        items = backlog.load_items(store)
    return elapsed, (report, items)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        chrome = Path(tmp) / "Bookmarks"
        expected = chrome_file(chrome, args.items)
        html = Path(tmp) / "bookmarks.html"
        bookmark_file(html, args.items)
        db = Path(tmp) / "waitbuddy.db"
        for label, path in (("Chrome Bookmarks (JSON)", chrome), ("Netscape HTML (bench/backlog.py)", html)):
            walls, result = [], None
            for _ in range(args.runs):
                elapsed, result = timed_import(path, db)
                walls.append(elapsed)
            report, items = result  # type: ignore[misc]
            print(f"{label}: {args.items:,} items, {path.stat().st_size / 1e6:.1f} MB: parse + store median "
                  f"{statistics.median(walls):.2f} s, min {min(walls):.2f} s ({args.runs} runs); "
                  f"{report.added:,} added, {len(report.invalid)} invalid")
            if path is chrome:
                by_url = {item.url: item for item in items}
                kept = sum(1 for url, (added, tags) in expected.items() if url in by_url
                           and by_url[url].saved_at == datetime.fromtimestamp(added, UTC)
                           and by_url[url].tags == tags)
                print(f"  dates and folder tags kept: {kept:,} of {len(expected):,}")
        walls, said = time_imports(chrome, Path(tmp), 3)
        print(f"`waitbuddy import Bookmarks` (new process): median {statistics.median(walls):.2f} s, "
              f"min {min(walls):.2f} s [{said}]")


if __name__ == "__main__":
    main()
