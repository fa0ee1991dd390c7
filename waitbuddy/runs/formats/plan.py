"""Configuration printed in a log, and the plan it tells: how many epochs or steps the run will take.

Many loops never print ``N/M``: the total is in an argparse ``Namespace(epochs=80, ...)``, a
Hydra/YAML/JSON config dump (``max_epochs``, ``max_iter``, ``train_iters``, ``max_steps``), a
``Max steps : 100,000`` banner or ``Starting training for 300 epochs...``. ``read`` finds that
plan; ``is_config`` tells a configuration line (hyperparameters, environment) from a line of
metrics, so that ``lr0=0.01, box=0.05`` is never taken for the run's losses.
"""

from __future__ import annotations

import re

from waitbuddy.runs.formats.fields import NUMBER, after_level

EPOCH_KEYS = (
    "epochs", "num_epochs", "n_epochs", "nepochs", "max_epochs", "max_epoch", "total_epochs", "num_train_epochs",
    "train_epochs", "epoches", "num_epoch", "epoch_num", "n_epoch", "nb_epochs", "num_epoches", "total_epoch",
    "training_epochs", "train_epoch", "max_epoches",
)
STEP_KEYS = (
    "max_steps", "max_step", "max_iter", "max_iters", "max_iteration", "max_iterations", "train_iters",
    "total_steps", "total_iters", "num_train_steps", "max_update", "max_updates", "num_iterations", "n_iters",
    "num_iters", "num_steps", "total_iterations", "train_steps", "training_steps", "total_training_steps",
    "max_train_steps", "num_training_steps", "iterations", "niters", "n_steps", "total_iter",
    "total_timesteps", "n_timesteps",  # stable-baselines3 / rl-zoo: the plan of a run counted in env steps
)
_KEYS = "|".join(sorted({*EPOCH_KEYS, *STEP_KEYS}, key=len, reverse=True))
# "epochs=80", "max_iter: 90000", "'num_train_epochs': 3", '"max_steps": 100', "MAX_ITER: 90000"
_PLAN_PAIR = re.compile(
    rf"(?<![\w.])['\"]?(?P<key>{_KEYS})['\"]?\s*(?:[=:]|\.{{3,}})\s*['\"]?(?P<value>\d[\d,_]*(?:\.0+)?(?:[eE]\+?\d+)?)(?![\w.])",
    re.IGNORECASE,
)
# Banners: "Max steps : 100,000", "Total optimization steps = 375", "Scheduled epochs: 300",
# "Starting training for 300 epochs...", "Training for 10 epochs", "Num Epochs = 3".
_BANNERS = (
    (re.compile(r"\b(?:max(?:imum)?|total)(?: number of)? (?:training |optimi[sz]ation )?(?:steps|iterations|iters|updates)\s*[:=]\s*([\d,]+)\b", re.I), "steps"),
    (re.compile(r"\b(?:scheduled|num(?:ber of)?|total|max(?:imum)?) (?:training )?epochs\s*[:=]\s*([\d,]+)\b", re.I), "epochs"),
    (re.compile(r"\b(?:start(?:ing)?|begin(?:ning)?) (?:the )?training (?:for|with) ([\d,]+) epochs?\b", re.I), "epochs"),
    (re.compile(r"^\s*(?:train(?:ing)?|run(?:ning)?) for ([\d,]+) (epochs|steps|iterations)\b", re.I), ""),
    (re.compile(r"\btraining for ([\d,]+) (epochs|steps|iterations)\b", re.I), ""),
)
# What marks a whole line as configuration: a printed namespace or config object, a hyperparameter
# banner, a config file assignment ("max_iters = 5000"), an environment dump.
_CONFIG_LINE = re.compile(
    r"Namespace\(|\b\w*(?:Config|Arguments|Args)\(\w+=|\b(?:args|arguments|hyperparameters|hyper-parameters|hparams|config|cfg|opt|options|"
    r"settings|params|parameters)\s*[:=]\s*[\[{(]|\bdict\(type=|^\s*(?:hyperparameters|Hyperparameters|"
    r"Arguments|arguments|args|Args|Config|config|Overrides|overrides|Options|options)\s*:|"
    r"^\s*[A-Za-z_]\w*\s+=\s+\S|^\s+\w+ \.{3,} \S|(?:'\w+': [^,]{1,80}, ){5}",
)
_ENV_PAIR = re.compile(r"(?<![\w])[A-Z][A-Z0-9_]{2,}=")
_ASSIGN = re.compile(r"(?<![\w./@-])[A-Za-z_][\w.]{0,40}['\"]?\s?[=:]\s?(?P<value>[^\s,)\]}]+)")
_NUMERIC = re.compile(NUMBER + r"%?$|[-+]?(?:nan|inf)$|\d[\d,.]*/\d[\d,.]*$|\[?[\d.e+-]+\]?$", re.IGNORECASE)
# An indented lone "key: value" (a YAML dump) is configuration unless the key is a loss.
_YAML = re.compile(r"[ \t]{1,40}(?:- )?['\"]?(?P<key>[A-Za-z_][\w.-]{0,60})['\"]?[ \t]?:[ \t]{1,40}\S[^:]{0,200}$")


def config_start(text: str) -> int:
    """Where the settings of a configuration line begin (0 when they are not marked)."""
    match = _CONFIG_LINE.search(text)
    return match.start() if match else 0


def is_config(line: str) -> bool:
    """Is this line configuration (to read a plan from), not metrics?"""
    head = line[:4000]
    if "=" not in head and ":" not in head and "." not in head:
        return False
    if _CONFIG_LINE.search(head):
        return True
    if len(_ENV_PAIR.findall(head)) >= 1 and not _has_loss(head):
        upper = _ENV_PAIR.findall(head)
        if len(upper) >= 2 or head.strip().startswith(tuple(name for name in upper)):
            return True
    values = [match["value"] for match in _ASSIGN.finditer(head, after_level(head))]
    if len(values) >= 3:
        words = sum(1 for value in values if not _NUMERIC.match(value.strip("'\"")))
        if words * 4 >= len(values) and not _has_loss(head):  # strings, True/None: settings
            return True
    if _YAML.match(head):
        return True  # an indented lone "key: value": a YAML or Hydra dump
    return False


def _has_loss(text: str) -> bool:
    return "loss" in text.lower()


# A command line printed at the head: "--num_train_epochs 5", "--max-steps=1000".
_CLI_PAIR = re.compile(rf"(?<![\w-])--(?P<key>{_KEYS.replace('_', '[_-]')})(?:=|\s+)(?P<value>\d[\d,_]*)(?![\w.])",
                       re.IGNORECASE)
_DOTTED = re.compile(r"(?<![\w.])\w+ \.{3,} (?P<value>[^\s{\[(]*)")
_BANNER_HINT = re.compile(r"epoch|step|iter|update", re.IGNORECASE)


def read(line: str, *, config: bool | None = None) -> dict[str, float]:
    """The plan a configuration line or banner tells: {"epochs": E, "steps": S}, maybe empty.
    ``config``: whether the line is configuration, when the caller knows already."""
    plan: dict[str, float] = {}
    head = line[:8000]
    if not _BANNER_HINT.search(head):
        return plan
    for pattern, what in _BANNERS:
        if match := pattern.search(head):
            kind = what or ("epochs" if match.group(2).lower().startswith("epoch") else "steps")
            value = _int(match.group(1))
            if value:
                plan.setdefault(kind, value)
    if (dotted := _DOTTED.search(head)) is not None:
        # Megatron/DeepSpeed argument dumps, "  train_iters ........ 20": the line's own key only
        # (a nested block, "data_efficiency_config .... {'num_epochs': 1000, ...}", is not the plan).
        head = head[: dotted.end("value")]
    if plan or (is_config(line) if config is None else config):
        for match in (*_PLAN_PAIR.finditer(head), *_CLI_PAIR.finditer(head)):
            key = match["key"].lower().replace("-", "_")
            value = _int(match["value"])
            if not value:
                continue
            kind = "epochs" if key in EPOCH_KEYS else "steps"
            plan.setdefault(kind, value)
    return plan


def _int(text: str) -> float | None:
    try:
        value = float(text.replace(",", "").replace("_", ""))
    except ValueError:
        return None
    return value if 0 < value < 1e12 else None


SAMPLES = [
    ("Namespace(batch_size=128, dataset='cifar100', epoches=1000, lr=0.001, time_emb_dim=64)", {"epochs": 1000}),
    ("  MAX_ITER: 90000", {"steps": 90000}),
    ("Max steps : 100,000", {"steps": 100000}),
    ("Starting training for 300 epochs...", {"epochs": 300}),
    ("Scheduled epochs: 300. LR stepped per epoch.", {"epochs": 300}),
    ("train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=12, val_interval=1)", {"epochs": 12}),
    ("max_iters = 5000", {"steps": 5000}),
    ("cmd = deepspeed main.py --data_path x --num_train_epochs 5 --per_device_train_batch_size 4", {"epochs": 5}),
    ('{"num_train_epochs": 3, "learning_rate": 5e-05, "output_dir": "out"}', {"epochs": 3}),
    ("epoch 3/10 loss=0.5 max_steps=100", {}),
    ("hyperparameters: lr0=0.01, lrf=0.01, momentum=0.937, weight_decay=0.0005, box=0.05, cls=0.5", {}),
]
