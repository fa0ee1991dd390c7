"""PyTorch Lightning messages and the Rich bar's final frame (its TQDM bar is read by tqdm.py)."""

from __future__ import annotations

import re

from waitbuddy.runs.observe import COMPLETED, Marker, Observation, Progress, observation, parse_number

_RICH_FRAME = re.compile(
    r"Epoch (?P<epoch>\d+)/(?P<last>\d+|-+)\s+[━╸╺─]+\s+(?P<n>\d+)/(?P<total>\d+|--)\s+"
    r"(?P<elapsed>[\d:]+) • (?P<remaining>[\d:-]+)(?P<rest>.*)"
)
_RICH_METRIC = re.compile(r"([A-Za-z_][\w./]*): (\S+)")
_NOISE = frozenset({"v_num"})


def recognize(line: str) -> Observation | None:
    if line.startswith("`Trainer.fit` stopped: "):
        return observation(framework="lightning", marker=Marker(COMPLETED, line.strip().replace("`", "")))
    if line.endswith("Signaling Trainer to stop.") and "is not finite" not in line:
        return observation(framework="lightning", marker=Marker(COMPLETED, line.removesuffix(" Signaling Trainer to stop.")))
    if line.startswith(("GPU available: ", "LOCAL_RANK: ")):
        return observation(framework="lightning")
    if line.startswith("Epoch ") and (match := _RICH_FRAME.match(line)):
        total = None if match["total"] == "--" else float(match["total"])
        epochs = float(match["last"]) + 1 if match["last"].isdigit() else None
        metrics = {}
        for name, value in _RICH_METRIC.findall(match["rest"]):
            if name not in _NOISE and (number := parse_number(value)) is not None:
                metrics[name] = number
        progress = Progress(done=float(match["n"]), total=total, unit="it", per_epoch=True)
        return observation(framework="lightning", progress=progress, epoch=(float(match["epoch"]), epochs), metrics=metrics)
    return None


SAMPLES = [
    ("`Trainer.fit` stopped: `max_epochs=2` reached.", {"framework": "lightning", "marker": "completed"}),
    ("Monitored metric val_loss did not improve in the last 3 records. Best score: 0.412. Signaling Trainer to stop.",
     {"marker": "completed"}),
    ("Monitored metric val_loss = nan is not finite. Previous best value was 0.412. Signaling Trainer to stop.", None),
    ("Epoch 0/2 ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━ 20/20 0:00:01 • 0:00:00 v_num: 0 train_loss: 0.050",
     {"done": 20, "total": 20, "epoch": (0, 3), "metrics": {"train_loss": 0.05}}),
    ("Epoch 0/0 ━━━━━━━━━━━━━━━━━━ 2/2 0:00:15 • 0:00:00 6.37it/s pixel_AUROC: 0.000 pixel_F1Score: 0.000",
     {"epoch": (0, 1), "metrics": {"pixel_AUROC": 0.0}}),
    ("GPU available: False, used: False", {"framework": "lightning"}),
]
