"""An ordinary PyTorch script with nested tqdm bars, recorded with the time of every write.

The job: a plain MLP on synthetic 10-class data (6400 train / 1600 val samples), a DataLoader
with batch_size=32 (200 batches per epoch), Adam, 5 epochs. Outer bar over the epochs, inner bar
over the batches (`position=1, leave=False`) with `set_postfix(loss=...)` every batch; after each
epoch a validation pass and one `tqdm.write` summary line. tqdm is used with its defaults.

The model alone takes ~2 ms a batch on this 2-core CPU, so each batch also sleeps 70 ms (as if the
batches came from a slow disk) to make one run last about 80 s, like a small real job. Training is
real: the loss, the NaN and the traceback below are what torch and Python produce.

The recordings were made with OMP_NUM_THREADS=1 in the job's environment (as a shared machine or a
Slurm job often sets it): the box was shared with other test runs, and torch's default two
intra-op threads, which wait for each other at every op, then made batches 3-10x slower at random
moments (one epoch 34 s, another 20 s). It changes the timing only, not what is printed.

Variants (the argument):
  nested             exactly the above
  nested_desc_total  inner desc f"Epoch {epoch+1}/5" instead of f"epoch {epoch+1}"
  nested_crash       the checkpoint (every 500 steps, all variants) goes to /dev/full (always
                     full), so the first save, mid-epoch 3, fails with the kernel's
                     ENOSPC: `OSError: [Errno 28] No space left on device` through 4 frames; exit 1
  nested_nan         one corrupt sample (an inf feature) in the first batch of epoch 2: the
                     weights become NaN and training goes on to the end with loss=nan
  nested_short       2 epochs of 10 batches (~5 s), for quick tests

With no argument: runs every variant in file mode and in pty mode, writes
../torch_<variant>.log / .pty.log and ../timing/<log>.times.json (see _common.run_recorded).
"""

import io
import sys
import time

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
from tqdm import tqdm

EPOCHS = 5
BATCH = 32
TRAIN, VAL = 6400, 1600          # 200 batches per epoch
SLEEP = 0.07                     # per batch: stands in for a slow data pipeline (see above)
CKPT_EVERY = 500                 # steps


def _write_file(path, data):
    with open(path, "wb") as f:
        f.write(data)


def save_checkpoint(model, optimizer, step, path):
    buf = io.BytesIO()
    torch.save({"step": step, "model": model.state_dict(), "optimizer": optimizer.state_dict()}, buf)
    _write_file(path, buf.getvalue())


def make_data(n_train, n_val, generator):
    centers = torch.randn(10, 32, generator=generator) * 0.6
    labels = torch.randint(0, 10, (n_train + n_val,), generator=generator)
    features = centers[labels] + torch.randn(n_train + n_val, 32, generator=generator)
    return (TensorDataset(features[:n_train], labels[:n_train]),
            TensorDataset(features[n_train:], labels[n_train:]))


def train(variant):
    epochs, n_train, n_val = (2, 10 * BATCH, 5 * BATCH) if variant == "nested_short" else (EPOCHS, TRAIN, VAL)
    torch.manual_seed(0)
    train_set, val_set = make_data(n_train, n_val, torch.Generator().manual_seed(1))
    loader = DataLoader(train_set, batch_size=BATCH, shuffle=True)
    val_loader = DataLoader(val_set, batch_size=256)
    model = nn.Sequential(nn.Linear(32, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    ckpt_path = "/dev/full" if variant == "nested_crash" else "checkpoint.pt"
    step = 0

    for epoch in tqdm(range(epochs), desc="epochs"):
        desc = f"Epoch {epoch+1}/{epochs}" if variant == "nested_desc_total" else f"epoch {epoch+1}"
        model.train()
        total, batches = 0.0, 0
        bar = tqdm(loader, desc=desc, position=1, leave=False)
        for i, (x, y) in enumerate(bar):
            if variant == "nested_nan" and epoch == 1 and i == 0:
                x = x.clone()
                x[0, 0] = float("inf")       # one corrupt sample
            time.sleep(SLEEP)
            loss = loss_fn(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            total += loss.item()
            batches += 1
            bar.set_postfix(loss=f"{loss.item():.4f}")
            if step % CKPT_EVERY == 0:
                save_checkpoint(model, optimizer, step, ckpt_path)

        model.eval()
        correct = 0
        with torch.no_grad():
            for x, y in val_loader:
                correct += (model(x).argmax(dim=1) == y).sum().item()
        tqdm.write(f"epoch {epoch+1}/{epochs} train_loss={total / batches:.4f} val_acc={correct / n_val:.4f}")


ENV = {"OMP_NUM_THREADS": "1"}
VARIANTS = ("nested", "nested_desc_total", "nested_crash", "nested_nan", "nested_short")

if __name__ == "__main__":
    if len(sys.argv) > 1:
        assert sys.argv[1] in VARIANTS, sys.argv[1]
        train(sys.argv[1])
    else:
        from _common import run_recorded
        for name in VARIANTS:
            run_recorded(f"torch_{name}.log", __file__, name, env=ENV)
            run_recorded(f"torch_{name}.pty.log", __file__, name, pty=True, env=ENV)
