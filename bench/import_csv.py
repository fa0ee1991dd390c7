"""Figure for issue 17: a 10,000-row Instapaper CSV through `waitbuddy import`, with dates and folders kept.

    python bench/import_csv.py [--rows 10000] [--runs 5]

Writes an Instapaper export as Instapaper writes it today (``URL,Title,Selection,Folder,Timestamp,Tags``:
the built-in ``Unread``/``Archive``/``Starred`` folders and the person's own, a JSON ``Tags`` cell, a
quoted selection on some rows), then imports it as a user does (a new ``python -m waitbuddy import``
process with its own data dir: start-up, parse, store), the median of ``--runs`` runs each into a new
store; then the parse and store steps alone, and a check of the stored dates and folder tags.
Run with ``PYTHONDONTWRITEBYTECODE`` unset, so start-up reads cached bytecode as an installed copy does.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from processes import import_again, time_imports  # bench/, beside this script

from waitbuddy.reading import backlog
from waitbuddy.reading.importers import parse_file
from waitbuddy.store import Store

WORDS = ["attention", "transformer", "diffusion", "scaling", "laws", "optimizer", "adam", "lora", "quantization",
         "rust", "python", "tmux", "kernel", "cuda", "triton", "flash", "sparse", "mixture", "experts", "retrieval",
         "agents", "reasoning", "benchmark"]
FOLDERS = ("Unread", "Unread", "Unread", "Archive", "Archive", "Starred", "Programming", "Articles to Read",
           "ML Papers")


def instapaper_file(path: Path, count: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    lines = ["URL,Title,Selection,Folder,Timestamp,Tags"]
    for n in range(count):
        title = " ".join(rng.sample(WORDS, 5)).capitalize()
        if n % 7 == 0:
            title = f'"{title}, ""part {n}"""'
        selection = f'"{" ".join(rng.sample(WORDS, 12))}, as quoted"' if n % 5 == 0 else ""
        tags = '"[""' + rng.choice(WORDS) + '""]"' if n % 3 == 0 else "[]"
        added = 1_400_000_000 + rng.randrange(300_000_000)
        lines.append(f"https://site{n % 300}.example.org/posts/{n}?utm_source=instapaper,{title},{selection},"
                     f"{rng.choice(FOLDERS)},{added},{tags}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        print("note: PYTHONDONTWRITEBYTECODE is set; start-up compiles every module (unset it for the figure)")
    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / "instapaper-export.csv"
        instapaper_file(file, args.rows)
        size = file.stat().st_size / 1e6
        database = Path(tmp) / "data" / "waitbuddy.db"
        walls, said = time_imports(file, Path(tmp), args.runs)
        print(f"import {args.rows} Instapaper rows ({size:.1f} MB file), `waitbuddy import` wall time: "
              f"median {statistics.median(walls):.2f} s, min {min(walls):.2f} s, max {max(walls):.2f} s  [{said}]")
        with sqlite3.connect(database) as db:
            dated, total = db.execute("SELECT count(*) FILTER (WHERE saved_at < '2020'), count(*) FROM items").fetchone()
            tagged = db.execute("SELECT count(*) FROM items WHERE tags LIKE '%programming%' "
                                "OR tags LIKE '%articles-to-read%' OR tags LIKE '%ml-papers%'").fetchone()[0]
            states = dict(db.execute("SELECT status, count(*) FROM items GROUP BY status").fetchall())
        print(f"  kept: {dated}/{total} dated before 2020 (file dates 2014-2023, none at import time), "
              f"{tagged} with a folder tag, statuses {states}")
        print(f"  the same file again: {import_again(file, Path(tmp))}")
        start = time.perf_counter()
        parsed = parse_file(file)
        parse = time.perf_counter() - start
        with Store.open(":memory:") as store:
            start = time.perf_counter()
            backlog.import_bookmarks(store, parsed, source="bench")
            stored = time.perf_counter() - start
        print(f"  in process: parse {parse:.2f} s, store {stored:.2f} s")


if __name__ == "__main__":
    main()
