"""Figures for watching training runs (issue 3). Generated logs go to a temporary directory.

    python bench/runs.py status-vs-wc [--gb 1]    `waitbuddy status` on a big tqdm log vs `wc -l`
    python bench/runs.py history [--mb 200]       history scan throughput (the run view's catch-up)
    python bench/runs.py latency [--poll]         line appended -> JSON event from `watch --json`
    python bench/runs.py idle [--logs 50]         idle CPU and RSS of `watch --json` on idle logs
    python bench/runs.py dashboard [--hz 10]      CPU of the open dashboard while a bar updates at 10 Hz
    python bench/runs.py all
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from waitbuddy.runs.run import Run  # noqa: E402
from waitbuddy.runs.tail import Tail  # noqa: E402

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
FRAME = "\rEpoch {epoch}/{epochs}:  {pct:2d}%|{bar}| {step}/2000 [12:34<15:12,  2.19it/s, loss={loss:.4f}, lr=3.0e-05]"
EPOCH_BYTES = 2000 * 87  # about one epoch of the frames above


def tqdm_log(path: Path, size: int) -> None:
    """Epochs of tqdm frames (one physical line per epoch) with an eval line after each."""
    epochs = max(size // EPOCH_BYTES, 1)
    with path.open("w", encoding="utf-8") as out:
        written, epoch = 0, 1
        while written < size:
            frames = []
            for step in range(1, 2001):
                pct = step * 100 // 2000
                bar = ("█" * (pct // 10)).ljust(10)
                frames.append(FRAME.format(epoch=epoch, epochs=epochs, pct=pct, bar=bar, step=step,
                                           loss=2.0 / (epoch + step / 2000)))
            block = "".join(frames) + f"\nepoch {epoch}/{epochs} eval_loss={1.9 / epoch:.4f} accuracy=0.5\n"
            out.write(block)
            written += len(block.encode())
            epoch += 1


def bench_status_vs_wc(gigabytes: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "big.log"
        tqdm_log(log, int(gigabytes * 1e9))
        size = log.stat().st_size
        status_command = [sys.executable, "-m", "waitbuddy", "status", "--json", str(log)]
        for cold in (False, True):
            if cold and not _drop_caches():
                print("  (cannot drop the page cache here: no cold-cache figures)")
                break
            if not cold:
                subprocess.run(["cat", str(log)], stdout=subprocess.DEVNULL, check=True)  # warm the page cache
            wc = _best_of(3, ["wc", "-l", str(log)], cold)
            status = _best_of(3, status_command, cold)
            python = _best_of(3, [sys.executable, "-m", "waitbuddy", "--version"], cold)
            cache = "cold page cache" if cold else "warm page cache"
            print(f"status on a {size / 1e9:.2f} GB tqdm log, {cache}: {status:.3f} s (Python start and imports "
                  f"alone: {python:.3f} s); wc -l: {wc:.3f} s (target: faster than wc -l)")
        result = json.loads(subprocess.run(status_command, capture_output=True, text=True, check=True).stdout)
    print(f"  it read: {result['status']}, {result['progress']}, epoch {result['epoch']}")


def _drop_caches() -> bool:
    try:
        subprocess.run(["sync"], check=True)
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return True
    except OSError:
        return False


def _best_of(times: int, command: list[str], cold: bool = False) -> float:
    best = float("inf")
    for _ in range(times):
        if cold:
            _drop_caches()
        started = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        best = min(best, time.perf_counter() - started)
    return best


def bench_history(megabytes: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "history.log"
        tqdm_log(log, int(megabytes * 1e6))
        size = log.stat().st_size
        subprocess.run(["cat", str(log)], stdout=subprocess.DEVNULL, check=True)
        for scan_raw in (False, True):
            run = Run(str(log))
            run.scan_raw = scan_raw
            run.sample_finely(size)  # as the run view does
            tail = Tail(log, start_from_end=None)
            started = time.perf_counter()
            cpu = time.process_time()
            while chunk := tail.read():
                if not chunk.text and tail.offset >= size:
                    break
                run.feed(chunk.text, 0.0)
            run.end_of_content(0.0)
            elapsed = time.perf_counter() - started
            cpu = time.process_time() - cpu
            tail.close()
            label = "catch-up (terminal view only)" if not scan_raw else "live mode (+ raw marker scan)"
            points = len(run.history.get("eval_loss").points)
            loss_points = len(run.history.get("loss").points)
            print(f"history scan, {label}: {size / 1e6:.0f} MB in {elapsed:.2f} s = {size / 1e6 / elapsed:.1f} MB/s "
                  f"({size / 1e6 / cpu:.1f} MB/s of CPU); points kept: eval_loss {points}, loss (from bars) "
                  f"{loss_points} (target >= 50 MB/s)")


def bench_latency(poll: bool, samples: int = 40) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "train.log"
        log.write_text("epoch 0/1000 loss=1.0\n")
        env = {**os.environ, "WAITBUDDY_DATA_DIR": str(Path(tmp) / "data"), "WAITBUDDY_CONFIG": str(Path(tmp) / "c.toml")}
        command = [sys.executable, "-m", "waitbuddy", "watch", "--json", str(log)] + (["--poll"] if poll else [])
        watcher = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
        events: list[tuple[float, dict]] = []
        reader = threading.Thread(target=lambda: [events.append((time.perf_counter(), json.loads(line)))
                                                  for line in watcher.stdout], daemon=True)
        reader.start()
        _wait(lambda: events, 10)
        latencies = []
        for epoch in range(1, samples + 1):
            seen = len(events)
            with log.open("a") as out:
                sent = time.perf_counter()
                out.write(f"epoch {epoch}/1000 loss={1 / (epoch + 1):.4f}\n")
            _wait(lambda: any(e["epoch"] and e["epoch"]["done"] == epoch for _, e in events[seen:]), 10)
            arrival = next(t for t, e in events[seen:] if e["epoch"] and e["epoch"]["done"] == epoch)
            latencies.append((arrival - sent) * 1000)
            time.sleep(0.05)
        watcher.terminate()
        watcher.wait(10)
    latencies.sort()
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    mode = "polling every 1 s" if poll else "inotify"
    print(f"line appended -> JSON event ({mode}): median {statistics.median(latencies):.0f} ms, "
          f"p95 {p95:.0f} ms, max {max(latencies):.0f} ms over {len(latencies)} lines "
          f"(target p95 < 100 ms with inotify, within one poll interval when polling)")


def bench_idle(logs: int, seconds: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp) / "runs"
        directory.mkdir()
        for index in range(logs):
            frames = "".join(FRAME.format(epoch=1, epochs=100, pct=s * 100 // 2000, bar=" " * 10, step=s, loss=1 / s)
                             for s in range(1, 300))
            (directory / f"run{index:02d}.log").write_text(frames + "\nepoch 1/100 eval_loss=0.5\n")
        env = {**os.environ, "WAITBUDDY_DATA_DIR": str(Path(tmp) / "data"), "WAITBUDDY_CONFIG": str(Path(tmp) / "c.toml")}
        watcher = subprocess.Popen([sys.executable, "-m", "waitbuddy", "watch", "--json", str(directory / "*.log")],
                                   stdout=subprocess.DEVNULL, env=env)
        time.sleep(5)  # first reads, database rows
        cpu_before, started = _cpu(watcher.pid), time.perf_counter()
        time.sleep(seconds)
        cpu = _cpu(watcher.pid) - cpu_before
        wall = time.perf_counter() - started
        rss = _rss_mb(watcher.pid)
        watcher.terminate()
        watcher.wait(10)
    print(f"watch --json on {logs} idle logs: {100 * cpu / wall:.2f} % of one core over {wall:.0f} s "
          f"(target < 1 %); RSS {rss:.1f} MB (target < 100 MB)")


def bench_dashboard(hz: float, seconds: float) -> None:
    """The dashboard in a real pty beside a log whose tqdm bar updates ``hz`` times a second."""
    from startup import PtyApp  # bench/startup.py

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        log = home / "train.log"
        log.write_text("")
        app = PtyApp((120, 40), home, args=["watch", str(log)])
        app.wait_for_frame()
        stop = threading.Event()

        def write() -> None:
            step = 0
            with log.open("a", encoding="utf-8") as out:
                while not stop.is_set():
                    step += 1
                    out.write(FRAME.format(epoch=1, epochs=100, pct=step * 100 // 2000 % 100, bar=" " * 10,
                                           step=step % 2000, loss=1 / step))
                    out.flush()
                    time.sleep(1 / hz)

        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        app.pump(3.0)
        cpu_before, started = app.cpu_seconds(), time.perf_counter()
        app.pump(seconds)
        cpu = app.cpu_seconds() - cpu_before
        wall = time.perf_counter() - started
        stop.set()
        writer.join()
        app.quit()
    print(f"dashboard with one bar updating at {hz:.0f} Hz: {100 * cpu / wall:.1f} % of one core over {wall:.0f} s")


def _cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _wait(condition, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met")
        time.sleep(0.002)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["status-vs-wc", "history", "latency", "idle", "dashboard", "all"])
    parser.add_argument("--hz", type=float, default=10.0)
    parser.add_argument("--gb", type=float, default=1.0)
    parser.add_argument("--mb", type=float, default=200.0)
    parser.add_argument("--poll", action="store_true")
    parser.add_argument("--logs", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    if args.what in ("status-vs-wc", "all"):
        bench_status_vs_wc(args.gb)
    if args.what in ("history", "all"):
        bench_history(args.mb)
    if args.what in ("latency", "all"):
        bench_latency(args.poll)
        if args.what == "all":
            bench_latency(True)
    if args.what in ("idle", "all"):
        bench_idle(args.logs, args.seconds)
    if args.what in ("dashboard", "all"):
        bench_dashboard(args.hz, min(args.seconds, 20.0))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
