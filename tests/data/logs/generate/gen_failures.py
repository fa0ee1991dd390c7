"""Failures from real code: tracebacks (plain, `raise ... from`, implicit context), Ctrl-C (SIGINT),
SIGKILL mid-bar, and a plain PyTorch loop whose loss becomes NaN."""

import sys
import time


def model_and_opt(lr=0.01):
    import torch
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
    return model, torch.optim.SGD(model.parameters(), lr=lr)


def step(model, opt, x):
    import torch
    loss = torch.nn.functional.mse_loss(model(x), x[:, :2].sum(1, keepdim=True))
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss.item()


def bar_loop(n=200, delay=0.03, bad_step=None, print_epochs=False):
    import torch
    from tqdm import tqdm
    model, opt = model_and_opt()
    bar = tqdm(range(n), desc="train")
    for i in bar:
        features = 7 if i == bad_step else 8  # a malformed batch: real shape error from torch
        loss = step(model, opt, torch.randn(32, features))
        bar.set_postfix(loss=f"{loss:.4f}")
        if print_epochs and i % 20 == 19:
            print(f"checkpoint: step {i + 1} loss={loss:.4f}")  # stdout; block-buffered without -u
        time.sleep(delay)


def chained():
    import torch
    model, _ = model_and_opt()
    try:
        torch.save(model.state_dict(), "/nonexistent-dir/checkpoints/epoch_1.pt")
    except RuntimeError as err:
        raise RuntimeError("could not save checkpoint for epoch 1") from err


def context():
    import torch
    model, opt = model_and_opt()
    try:
        step(model, opt, torch.randn(32, 9))
    except RuntimeError:
        print("step failed, dumping batch stats", flush=True)
        stats = {"mean": 0.0}
        print(stats["std"])  # bug in the error handler: KeyError during handling


def nan_loop():
    import torch
    model, opt = model_and_opt()
    total = 60
    for i in range(1, total + 1):
        opt.param_groups[0]["lr"] = 0.002 * 1.1 ** i  # runaway warm-up: diverges to inf, then nan
        loss = step(model, opt, torch.randn(32, 8) * 3)
        if i % 5 == 0:
            print(f"epoch {(i - 1) // 20 + 1}/3 step {i}/{total} loss={loss:.4f} lr={opt.param_groups[0]['lr']:.3g}")
    print("done")


JOBS = dict(
    traceback=lambda: bar_loop(n=60, delay=0.02, bad_step=37),
    traceback_chained=chained,
    traceback_context=context,
    keyboard_interrupt=lambda: bar_loop(),
    sigkill=lambda: bar_loop(),
    sigkill_buffered=lambda: bar_loop(print_epochs=True),
    nan=nan_loop,
)

if __name__ == "__main__":
    if len(sys.argv) > 1:
        JOBS[sys.argv[1]]()
    else:
        import signal

        from _common import run
        for name in ("traceback", "traceback_chained", "traceback_context", "nan"):
            run(f"failure_{name}.log", __file__, name)
        when = rb"\| [6-9]\d/200"
        run("failure_keyboard_interrupt.log", __file__, "keyboard_interrupt", signal_when=when, sig=signal.SIGINT)
        run("failure_keyboard_interrupt.pty.log", __file__, "keyboard_interrupt", pty=True,
            signal_when=when, sig=signal.SIGINT)
        run("failure_sigkill.log", __file__, "sigkill", signal_when=when, sig=signal.SIGKILL)
        run("failure_sigkill_bash_wrapper.log", __file__, "sigkill", shell_wrapper=True,
            signal_when=when, sig=signal.SIGKILL)
        run("failure_sigkill_buffered.log", __file__, "sigkill_buffered", unbuffered=False,
            signal_when=rb"\| 1[1-4]\d/200", sig=signal.SIGKILL)
