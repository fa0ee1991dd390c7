"""tqdm bars (and the many libraries that draw with tqdm), on the terminal view.

Linear by construction: the percentage anchor ``NN%|`` is found first, the right-hand part
is then matched at a fixed position; no pattern scans the free-text description.
"""

from __future__ import annotations

import functools
import re

from waitbuddy.runs.observe import Observation, Progress, observation, parse_duration, parse_number

_PERCENT = re.compile(r"(\d{1,3})%\|")
_COUNT = r"\d[\d.]*[kKMGTPEZY]?"
_RATE = r"(?P<rate>\?|[\d.]+[kKMGTPEZY]?)\s*(?P<rate_unit>[A-Za-z]*/s|s/[A-Za-z]+)"
_KNOWN_TOTAL = re.compile(
    rf"\|\s*(?P<n>{_COUNT})/(?P<total>{_COUNT})\s*\[(?P<elapsed>[\d:]+)<(?P<remaining>[\d:]+|\?),\s*{_RATE}"
    r"(?:,\s*(?P<postfix>[^\]]*))?\]"
)
_UNKNOWN_TOTAL = re.compile(
    rf"(?P<n>{_COUNT})(?P<unit>[A-Za-z]*) \[(?P<elapsed>(?:\d+:)?\d+:\d\d), {_RATE}(?:, (?P<postfix>[^\]]*))?\]"
)
_EPOCH_IN_DESC = re.compile(r"\bepoch\s*(\d+)(?:\s*/\s*(\d+))?", re.IGNORECASE)
_EPOCHS_LOOP = re.compile(r"\bepoch(?:s|es)?\b", re.IGNORECASE)
_EVAL_DESC = re.compile(r"valid|sanity|eval|test|predict", re.IGNORECASE)
# Bars of setup work, not training: a run that died while loading is at 0, not at 100 %.
_SETUP_DESC = re.compile(
    r"load|download|fetch|map\b|tokeniz|scann|extract|preprocess|generat\w* \w* ?split|resolv|cach|filter|shard|"
    r"convert|build|compil|upload|sav(?:e|ing)\b|index|shuffl|read(?:ing)? (?:data|files)|prepar|packing|grouping",
    re.IGNORECASE,
)
_POSTFIX_ITEM = re.compile(r"([^\s=,][^=,]*)=([^,]*)")
_IGNORED_POSTFIX = frozenset({"v_num"})


def postfix_metrics(postfix: str | None) -> dict[str, float]:
    metrics = {}
    for key, value in _POSTFIX_ITEM.findall(postfix or ""):
        key = key.strip()
        number = parse_number(value.strip(), si=False)
        if number is not None and key not in _IGNORED_POSTFIX:
            metrics[key] = number
    return metrics


def _unit_of(rate_unit: str) -> str:
    unit = rate_unit.replace("/s", "").replace("s/", "")
    return unit or "it"


def _describe(desc: str, postfix: str | None) -> tuple[dict, bool | None, str | None, bool, str]:
    """From the description: epoch fields, per-epoch flag, loop kind, eval flag, framework."""
    framework = "lightning" if postfix and "v_num=" in postfix else "tqdm"
    epoch, per_epoch, loop, not_training = _read_description(desc[-200:], framework)
    return dict(epoch), per_epoch, loop, not_training, framework


@functools.lru_cache(maxsize=512)
def _read_description(tail: str, framework: str) -> tuple[dict, bool | None, str | None, bool]:
    """A bar's description is redrawn unchanged with every frame: read it once."""
    epoch: dict = {}
    per_epoch = None
    loop = None
    if match := _EPOCH_IN_DESC.search(tail):
        number, total = int(match.group(1)), match.group(2)
        per_epoch = True
        if total is not None:
            epoch["epoch"] = (max(number - 1, 0), float(total))  # "Epoch 3/10": the third is in progress
        elif framework == "lightning":
            epoch["epoch"] = (number, None)  # Lightning's "Epoch 0" is 0-based
        else:
            epoch["epoch_label"] = float(number)  # "epoch 2": 0- or 1-based, the run decides
    elif _EPOCHS_LOOP.search(tail):
        loop = "epoch"  # `for epoch in tqdm(range(5), desc="epochs")`: the bar counts epochs
    not_training = bool(_EVAL_DESC.search(tail)) or (not epoch and loop is None and bool(_SETUP_DESC.search(tail)))
    return epoch, per_epoch, loop, not_training


def recognize(line: str) -> Observation | None:
    if match := _PERCENT.search(line):
        bar_end = line.find("|", match.end())
        right = _KNOWN_TOTAL.match(line, bar_end) if bar_end >= 0 else None
        if right is None:
            return None
        desc = line[: match.start()].rstrip().removesuffix(":")
        done = parse_number(right["n"], si=True)
        total = parse_number(right["total"], si=True)
        remaining = parse_duration(right["remaining"])
        elapsed = parse_duration(right["elapsed"])
    elif (right := _UNKNOWN_TOTAL.search(line)) is not None:
        desc = line[: right.start()].rstrip().removesuffix(":")
        done, total, remaining, elapsed = parse_number(right["n"], si=True), None, None, None
    else:
        return None
    if done is None:
        return None
    epoch, per_epoch, loop, is_eval, framework = _describe(desc, right["postfix"])
    progress = Progress(
        done=done, total=total, unit=_unit_of(right["rate_unit"]), per_epoch=per_epoch, eval=is_eval,
        remaining_seconds=remaining, elapsed_seconds=elapsed, loop=loop,
    )
    return observation(
        framework=framework, progress=progress, metrics=postfix_metrics(right["postfix"]),
        **({} if is_eval else epoch),
    )


# (line of the terminal view, expected fields): checked by tests/test_formats.py
SAMPLES = [
    ("Epoch 1: 100%|██████████| 20/20 [00:00<00:00, 32.51it/s, acc=0.975, loss=0.05]",
     {"framework": "tqdm", "done": 20, "total": 20, "unit": "it", "epoch": None, "epoch_label": 1,
      "metrics": {"acc": 0.975, "loss": 0.05}}),
    ("epochs:  40%|████      | 2/5 [00:32<00:48, 16.01s/it]", {"done": 2, "total": 5, "loop": "epoch", "epoch": None}),
    ("train: 15it [00:00, 48.88it/s]", {"done": 15, "total": None, "unit": "it"}),
    ("100%|██████████| 3.00k/3.00k [00:00<00:00, 4.39MB/s]", {"done": 3000, "total": 3000, "unit": "B"}),
    (" 33%|███▎      | 1/3 [00:01<00:02,  1.20s/it]", {"done": 1, "total": 3, "unit": "it", "remaining": 2}),
    (" 22%|██▏       | 11/50 [1:55:26<6:49:05, 629.37s/it]", {"done": 11, "total": 50, "remaining": 6 * 3600 + 49 * 60 + 5}),
    ("  0%|          | 0/30 [00:00<?, ?it/s]", {"done": 0, "total": 30, "remaining": None}),
    ("Epoch 0: 100%|██████████| 8/8 [00:00<00:00, 18.90it/s, v_num=0, train_loss=0.031, val_loss=0.0412]",
     {"framework": "lightning", "done": 8, "epoch": (0, None), "metrics": {"train_loss": 0.031, "val_loss": 0.0412}}),
    ("Validation DataLoader 0:  33%|███▎      | 1/3 [00:00<00:00, 32.93it/s]", {"eval": True, "done": 1, "total": 3}),
    ("Epoch 3/10:  40%|████      | 4/10 [00:02<00:03,  1.99it/s, loss=nan]",
     {"epoch": (2, 10), "metrics": {"loss": float("nan")}}),
    ("Best trial: 0. Best value: 2:   0%|          | 0/3 [00:00<?, ?it/s]", {"done": 0, "total": 3}),
    ("no bar here: 50% | of the way", None),
    ("Loading checkpoint shards: 100%|██████████| 2/2 [00:03<00:00,  1.52s/it]", {"eval": True}),
    ("Map (num_proc=4):  40%|████      | 400/1000 [00:01<00:01, 350.2 examples/s]", {"eval": True}),
]
