"""Plain PyTorch training loops that print their own progress: key=value, key: value (logging), JSON lines."""

import json
import logging
import sys
import time


def train(report, epochs=10, steps_per_epoch=500, every=100):
    import torch
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    total = epochs * steps_per_epoch
    step, t0 = 0, time.time()
    for epoch in range(1, epochs + 1):
        for _ in range(steps_per_epoch):
            x = torch.randn(32, 8)
            loss = torch.nn.functional.mse_loss(model(x), x[:, :2].sum(1, keepdim=True))
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            if step % every == 0:
                report("step", epoch=epoch, epochs=epochs, step=step, total=total, loss=loss.item(),
                       lr=opt.param_groups[0]["lr"], elapsed=time.time() - t0)
            time.sleep(0.001)
        with torch.no_grad():
            x = torch.randn(256, 8)
            val = torch.nn.functional.mse_loss(model(x), x[:, :2].sum(1, keepdim=True)).item()
        report("epoch", epoch=epoch, epochs=epochs, step=step, total=total, val_loss=val)
    report("done", step=step, total=total, elapsed=time.time() - t0)


def kv(kind, **m):
    if kind == "step":
        print(f"epoch {m['epoch']}/{m['epochs']} step {m['step']}/{m['total']} loss={m['loss']:.4f} "
              f"lr={m['lr']:.2e} time={m['elapsed']:.1f}s")
    elif kind == "epoch":
        print(f"==> epoch {m['epoch']}/{m['epochs']} finished: val_loss={m['val_loss']:.4f}")
    else:
        print(f"training finished: {m['step']} steps in {m['elapsed']:.1f}s")


def colon(kind, **m):
    log = logging.getLogger("train")
    if kind == "step":
        log.info("Epoch %d/%d | step %d/%d | loss: %.4f | lr: %.2e", m["epoch"], m["epochs"], m["step"],
                 m["total"], m["loss"], m["lr"])
    elif kind == "epoch":
        log.info("Epoch %d/%d | val_loss: %.4f", m["epoch"], m["epochs"], m["val_loss"])
    else:
        log.info("Training complete after %d steps (%.1fs)", m["step"], m["elapsed"])


def jsonl(kind, **m):
    m = {k: round(v, 6) if isinstance(v, float) else v for k, v in m.items()}
    print(json.dumps({"event": kind, **m}))


JOBS = dict(kv=lambda: train(kv), colon=lambda: train(colon), jsonl=lambda: train(jsonl))

if __name__ == "__main__":
    if len(sys.argv) > 1:
        logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
        JOBS[sys.argv[1]]()
    else:
        from _common import run
        for name in JOBS:
            run(f"plain_{name}.log", __file__, name)
