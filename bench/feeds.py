"""Figures for feeds (issue 13): refreshing 100 feeds.

    python bench/feeds.py [--feeds 100] [--items 20] [--latency 0.05] [--workers 16] [--rounds 3]

100 feeds on 100 distinct loopback hosts (127.0.0.1 ... 127.0.0.100, each its own HTTP server
bound to that address, all loopback on Linux), so the client's per-host limits apply as they would
for 100 real sites. The servers run in a child process: their work must not take the measured
process's CPU or GIL. Each answer waits ``--latency`` seconds first (a far server), serves an RSS 2.0
feed of ``--items`` items with an ETag, and answers a matching If-None-Match with a 304.

* first refresh: empty store, every feed downloaded, parsed and stored, through the production
  client policy (`reading.metadata.make_client`, what `Services.http` builds) and `feeds.refresh`;
* second refresh: every feed answers 304: no body bytes, no parse;
* the split of the first refresh: seconds spent in parse_feed and in the store, summed over the
  worker threads (they overlap with each other and with the network).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from waitbuddy.feeds import library, refresh
from waitbuddy.reading.metadata import make_client
from waitbuddy.store import Store

WORDS = ["attention", "transformer", "diffusion", "scaling", "laws", "optimizer", "adam", "lora", "quantization",
         "rust", "python", "tmux", "kernel", "cuda", "triton", "flash", "sparse", "mixture", "experts", "retrieval",
         "agents", "reasoning", "benchmark"]


def feed_bytes(number: int, items: int) -> bytes:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    head = (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Blog {number}</title>'
            f"<link>https://blog{number}.example/</link><description>d</description>")
    parts = [head]
    for item in range(items):
        words = " ".join(WORDS[(number * 7 + item * 3 + k) % len(WORDS)] for k in range(60))
        parts.append(f"<item><title>Post {item} of blog {number}: {WORDS[item % len(WORDS)]}</title>"
                     f"<link>https://blog{number}.example/{item}</link><guid>https://blog{number}.example/{item}</guid>"
                     f"<pubDate>{format_datetime(now - timedelta(hours=item))}</pubDate>"
                     f"<description>&lt;p&gt;{words}&lt;/p&gt;</description></item>")
    parts.append("</channel></rss>")
    return "".join(parts).encode()


class Counters:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.body_bytes = 0
        self.statuses: dict[int, int] = {}


def serve(host: str, body: bytes, latency: float, counters: Counters) -> ThreadingHTTPServer:
    etag = f'"{hash(body) & 0xFFFFFFFF:x}"'

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            if self.path == "/stats":
                with counters.lock:
                    stats = json.dumps({"body_bytes": counters.body_bytes, "statuses": counters.statuses}).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(stats)))
                self.end_headers()
                self.wfile.write(stats)
                return
            time.sleep(latency)
            fresh = self.headers.get("If-None-Match") == etag
            self.send_response(304 if fresh else 200)
            self.send_header("ETag", etag)
            if not fresh:
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not fresh:
                self.wfile.write(body)
            with counters.lock:
                counters.body_bytes += 0 if fresh else len(body)
                counters.statuses[304 if fresh else 200] = counters.statuses.get(304 if fresh else 200, 0) + 1

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer((host, 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server


def run_servers(feeds: int, items: int, latency: float) -> None:
    """The child: start the servers, print their ports as one JSON line, serve until stdin closes."""
    counters = Counters()
    servers = [serve(f"127.0.0.{n}", feed_bytes(n, items), latency, counters) for n in range(1, feeds + 1)]
    print(json.dumps([server.server_address[1] for server in servers]), flush=True)
    sys.stdin.read()


def body_bytes(ports: list[int]) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{ports[0]}/stats", timeout=5) as answer:
        return json.loads(answer.read())["body_bytes"]


def one_round(args: argparse.Namespace, directory: Path) -> dict[str, float]:
    child = subprocess.Popen([sys.executable, __file__, "--serve", "--feeds", str(args.feeds), "--items",
                              str(args.items), "--latency", str(args.latency)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    ports = json.loads(child.stdout.readline())
    try:
        with Store.open(directory / "bench.db") as store:
            for n, port in enumerate(ports, start=1):
                library.add_source(store, f"http://127.0.0.{n}:{port}/feed.xml")
            client = make_client()
            rows = library.sources(store)
            started = time.perf_counter()
            first = refresh.refresh(store, client, rows, workers=args.workers)
            first_seconds = time.perf_counter() - started
            assert all(outcome.status == "new" for outcome in first), {o.status: o.error for o in first}
            first_bytes = body_bytes(ports)
            rows = library.sources(store)
            started = time.perf_counter()
            second = refresh.refresh(store, client, rows, workers=args.workers)
            second_seconds = time.perf_counter() - started
            assert all(outcome.status == "unchanged" for outcome in second), {o.status for o in second}
            return {"first": first_seconds, "second": second_seconds, "first_bytes": first_bytes,
                    "second_bytes": body_bytes(ports) - first_bytes,
                    "parse": sum(outcome.parse_seconds for outcome in first),
                    "store": sum(outcome.store_seconds for outcome in first),
                    "items": sum(outcome.new_items for outcome in first)}
    finally:
        child.stdin.close()
        child.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=100)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--workers", type=int, default=refresh.WORKERS)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        run_servers(args.feeds, args.items, args.latency)
        return
    results = []
    for _ in range(args.rounds):
        with tempfile.TemporaryDirectory() as directory:
            results.append(one_round(args, Path(directory)))
    print(f"{args.feeds} feeds x {args.items} items, {args.latency * 1000:.0f} ms latency, {args.workers} workers, "
          f"median of {args.rounds}:")
    median = {key: statistics.median(result[key] for result in results) for key in results[0]}
    print(f"  first refresh   {median['first']:.3f} s  ({median['items']:.0f} items, "
          f"{median['first_bytes'] / 1e6:.2f} MB of bodies)")
    print(f"    parse (summed over threads) {median['parse']:.3f} s, store {median['store']:.3f} s")
    print(f"  second refresh  {median['second']:.3f} s  (every feed 304, {median['second_bytes']:.0f} body bytes)")
    for result in results:
        print(f"  round: first {result['first']:.3f} s, second {result['second']:.3f} s")


if __name__ == "__main__":
    main()
