"""The simulated training job behind `waitbuddy demo`: tqdm-style bars and losses, no model.

Run as `python -m waitbuddy.runs.demo_job [SECONDS]`. It prints what a real PyTorch loop with
tqdm would print to a log, clearly labelled, and ends like a real run.
"""

from __future__ import annotations

import math
import random
import sys
import time

EPOCHS = 3
STEPS = 200
BAR = " ▏▎▍▌▋▊▉█"


def bar(fraction: float, width: int = 10) -> str:
    filled = fraction * width
    whole = int(filled)
    part = BAR[int((filled - whole) * 8)] if whole < width else ""
    return ("█" * whole + part).ljust(width)


def clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


def main(total_seconds: float) -> int:
    step_seconds = total_seconds / (EPOCHS * STEPS + EPOCHS * 10)
    rng = random.Random(7)
    out = sys.stdout
    out.write("=== waitbuddy demo: a SIMULATED training run (nothing is trained) ===\n")
    out.write(f"model: demo-transformer  epochs: {EPOCHS}  steps/epoch: {STEPS}\n")
    out.flush()
    loss = 2.3
    for epoch in range(1, EPOCHS + 1):
        started = time.monotonic()
        for step in range(1, STEPS + 1):
            time.sleep(step_seconds)
            progress = (epoch - 1 + step / STEPS) / EPOCHS
            loss = 0.35 + 1.95 * math.exp(-4.0 * progress) + rng.uniform(-0.04, 0.04)
            elapsed = time.monotonic() - started
            rate = step / elapsed if elapsed else 0.0
            remaining = (STEPS - step) / rate if rate else 0.0
            out.write(
                f"\rEpoch {epoch}/{EPOCHS}: {100 * step // STEPS:3d}%|{bar(step / STEPS)}| {step}/{STEPS} "
                f"[{clock(elapsed)}<{clock(remaining)}, {rate:5.2f}it/s, loss={loss:.3f}, lr=3e-05]"
            )
            out.flush()
        out.write("\n")
        time.sleep(step_seconds * 10)  # "validation"
        eval_loss = loss + 0.05 + rng.uniform(0, 0.03)
        out.write(f"epoch {epoch}/{EPOCHS} eval_loss={eval_loss:.4f} accuracy={0.55 + 0.12 * epoch:.3f}\n")
        out.flush()
    out.write("Training finished (simulated). Try `waitbuddy watch your-log.log` on a real run.\n")
    out.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(float(sys.argv[1]) if len(sys.argv) > 1 else 60.0))
