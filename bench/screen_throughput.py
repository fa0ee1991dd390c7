"""Throughput of the terminal view on progress-bar output, the bulk of a training log.

    python bench/screen_throughput.py [--megabytes 100] [--chunk 65536]

Generates realistic tqdm output (``\\r`` frames with bar glyphs and a postfix, a closing
``\\n`` per epoch, a nested validation bar with ``ESC[A``) and Keras frames (``\\b`` runs and SGR
codes), then feeds it through :class:`TerminalView` in chunks as the tail would deliver them.
Prints MB/s of UTF-8 input for each kind and for one bar that never ends its line.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from waitbuddy.runs.screen import TerminalView  # noqa: E402

BLOCKS = " ▏▎▍▌▋▊▉█"


def tqdm_bar(desc: str, done: int, total: int, rate: float, postfix: str = "") -> str:
    fraction = done / total
    full, part = divmod(int(fraction * 10 * 8), 8)
    bar = ("█" * full + (BLOCKS[part] if full < 10 else "")).ljust(10)
    return f"{desc}: {fraction * 100:3.0f}%|{bar}| {done}/{total} [00:{done % 60:02d}<01:{total % 60:02d}, {rate:5.2f}it/s{postfix}]"


def tqdm_log(size: int, steps_per_epoch: int = 2000) -> str:
    """Epochs of a tqdm train bar, each followed by a nested validation bar."""
    parts: list[str] = []
    length = epoch = 0
    while length < size:
        for step in range(steps_per_epoch + 1):
            frame = "\r" + tqdm_bar(f"Epoch {epoch}", step, steps_per_epoch, 40 + step % 7, f", loss={1 / (step + 1):.4f}")
            parts.append(frame)
            length += len(frame)
        for step in range(21):
            frame = "\n\r" + tqdm_bar("Validation", step, 20, 300.0) + "\x1b[A"
            parts.append(frame)
            length += len(frame)
        parts.append("\n")
        epoch += 1
    return "".join(parts)


def keras_log(size: int, steps: int = 500) -> str:
    parts: list[str] = []
    length = epoch = 0
    while length < size:
        parts.append(f"Epoch {epoch + 1}/1000\n")
        for step in range(1, steps + 1):
            done = step * 20 // steps
            frame = (
                f"\r\x1b[1m{step:>3}/{steps}\x1b[0m \x1b[32m{'━' * done}\x1b[0m\x1b[37m{'━' * (20 - done)}\x1b[0m "
                f"\x1b[1m0s\x1b[0m 13ms/step - accuracy: 0.{step:04d} - loss: 0.{steps - step:04d}" + "\b" * 73
            )
            parts.append(frame)
            length += len(frame)
        parts.append("\n")
        epoch += 1
    return "".join(parts)


def measure(name: str, text: str, chunk: int) -> None:
    megabytes = len(text.encode()) / 1e6
    view = TerminalView()
    started = time.perf_counter()
    settled = 0
    for start in range(0, len(text), chunk):
        settled += len(view.feed(text[start : start + chunk]))
    settled += len(view.flush())
    elapsed = time.perf_counter() - started
    print(f"{name:<28} {megabytes:7.1f} MB  {elapsed:6.2f} s  {megabytes / elapsed:7.1f} MB/s  {settled} lines")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--megabytes", type=float, default=100.0, help="input size per kind (characters, ~MB)")
    parser.add_argument("--chunk", type=int, default=65536, help="characters per feed() call")
    args = parser.parse_args()
    size = int(args.megabytes * 1_000_000)
    frame = "\r" + tqdm_bar("train", 4200, 10000, 50.23, ", loss=0.1234, lr=1e-4")
    measure("tqdm epochs + nested bar", tqdm_log(size), args.chunk)
    measure("keras verbose=1", keras_log(size), args.chunk)
    measure("one bar, no newline", frame * (size // len(frame)), args.chunk)


if __name__ == "__main__":
    main()
