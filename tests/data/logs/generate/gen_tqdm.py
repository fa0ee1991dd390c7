"""tqdm bars: known/unknown total, slow s/it, unit_scale, set_postfix, nested bars, tqdm.write."""

import sys
import time

from tqdm import tqdm, trange


def known_total():
    for _ in trange(40, desc="train"):
        time.sleep(0.02)


def unknown_total():
    def batches():
        for i in range(30):
            time.sleep(0.02)
            yield i
    for _ in tqdm(batches(), desc="batches"):
        pass


def slow_steps():
    for _ in trange(4, desc="slow"):
        time.sleep(1.3)


def unit_scale():
    with tqdm(total=3_000_000, unit="B", unit_scale=True, unit_divisor=1024, desc="download") as bar:
        for _ in range(30):
            time.sleep(0.02)
            bar.update(100_000)


def postfix():
    loss, acc = 2.0, 0.1
    with trange(30, desc="Epoch 1") as bar:
        for _ in bar:
            time.sleep(0.03)
            loss *= 0.9
            acc = min(1.0, acc + 0.03)
            bar.set_postfix(loss=loss, acc=acc)


def nested():
    for epoch in trange(3, desc="epochs", position=0):
        for _ in trange(15, desc=f"epoch {epoch} batches", position=1, leave=False):
            time.sleep(0.02)
        tqdm.write(f"epoch {epoch} done, val_loss={1.0 / (epoch + 1):.4f}")


def logging_redirect():
    import logging
    from tqdm.contrib.logging import logging_redirect_tqdm
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    log = logging.getLogger("train")
    with logging_redirect_tqdm():
        for i in trange(30, desc="train"):
            time.sleep(0.02)
            if i % 10 == 9:
                log.info("step %d: loss=%.4f", i + 1, 1.0 / (i + 1))


def disable_none():
    for _ in tqdm(range(30), desc="train", disable=None):  # no TTY -> no bar at all
        time.sleep(0.01)
    print("finished 30 steps")


JOBS = dict(known_total=known_total, unknown_total=unknown_total, slow_steps=slow_steps,
            unit_scale=unit_scale, postfix=postfix, nested=nested, logging_redirect=logging_redirect,
            disable_none=disable_none)

if __name__ == "__main__":
    if len(sys.argv) > 1:
        JOBS[sys.argv[1]]()
    else:
        from _common import run
        for name in JOBS:
            run(f"tqdm_{name}.log", __file__, name)
        for name in ("postfix", "nested", "disable_none"):
            run(f"tqdm_{name}.pty.log", __file__, name, pty=True)
