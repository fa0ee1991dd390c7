"""Lightning 2.x fit: TQDM bar, default (Rich) bar, EarlyStopping, NaN check, Ctrl-C."""

import sys
import time


def job(variant):
    import lightning as L
    import torch
    from lightning.pytorch.callbacks import EarlyStopping, RichProgressBar, TQDMProgressBar
    from torch.utils.data import DataLoader, TensorDataset

    L.seed_everything(0)
    x = torch.randn(256, 8)
    y = x[:, :2].sum(1, keepdim=True)
    if variant == "early_stop":
        y = torch.randn(256, 1)  # nothing to learn: val_loss stalls
    if variant == "nan":
        x[200, 3] = float("nan")

    class Net(L.LightningModule):
        def __init__(self):
            super().__init__()
            self.net = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))

        def training_step(self, batch, batch_idx):
            if variant == "interrupt":
                time.sleep(0.05)  # slow enough to press Ctrl-C mid-epoch
            if variant == "exception" and self.current_epoch == 1 and batch_idx == 5:
                raise RuntimeError(f"corrupt batch at epoch {self.current_epoch} step {batch_idx}")
            loss = torch.nn.functional.mse_loss(self.net(batch[0]), batch[1])
            self.log("train_loss", loss, prog_bar=True)
            return loss

        def validation_step(self, batch, _):
            self.log("val_loss", torch.nn.functional.mse_loss(self.net(batch[0]), batch[1]), prog_bar=True)

        def configure_optimizers(self):
            return torch.optim.Adam(self.parameters(), lr=0.01)

    train = DataLoader(TensorDataset(x[:192], y[:192]), batch_size=16, shuffle=True)
    val = DataLoader(TensorDataset(x[192:], y[192:]), batch_size=16)
    callbacks = []
    if variant != "default_bar":
        callbacks.append(RichProgressBar() if variant.startswith("rich") else TQDMProgressBar())
    if variant in ("early_stop", "nan"):
        callbacks.append(EarlyStopping(monitor="val_loss", patience=2, check_finite=True, verbose=True))
    trainer = L.Trainer(max_epochs=30 if variant in ("early_stop", "nan", "interrupt") else 3,
                        callbacks=callbacks, accelerator="cpu", logger=True)
    trainer.fit(Net(), train, val)


VARIANTS = ["tqdm_max_epochs", "default_bar", "rich", "early_stop", "nan", "exception"]

if __name__ == "__main__":
    if len(sys.argv) > 1:
        job(sys.argv[1])
    else:
        import signal

        from _common import run
        for name in VARIANTS:
            run(f"lightning_{name}.log", __file__, name)
        run("lightning_tqdm_max_epochs.pty.log", __file__, "tqdm_max_epochs", pty=True)
        run("lightning_rich.pty.log", __file__, "rich_pty", pty=True)
        run("lightning_interrupt.log", __file__, "interrupt", signal_when=rb"Epoch 1: +[3-9]\d%", sig=signal.SIGINT)
