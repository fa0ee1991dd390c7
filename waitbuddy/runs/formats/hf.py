"""Hugging Face Trainer: the printed log dicts (4.x floats, 5.x strings) and INFO lines.

The Trainer's bar is an ordinary tqdm bar over ``max_steps``; tqdm.py reads it.
"""

from __future__ import annotations

import ast
import re

from waitbuddy.runs.observe import COMPLETED, Marker, Observation, observation, parse_number

_DICT = re.compile(r"\{'[\w/.@-]+': .*\}")
_BARE_NON_FINITE = re.compile(r"(?<=: )(-?(?:nan|inf))(?=[,}])")
# v5 prefixes its logger lines with "[transformers] ".
_NUM_EPOCHS = re.compile(r"(?:\[transformers\])?\s*Num Epochs = ([\d,]+)")
_TOTAL_STEPS = re.compile(r"(?:\[transformers\])?\s*Total optimization steps = ([\d,]+)")
MAX_DICT_LENGTH = 16 * 1024


def _parse_dict(text: str) -> dict[str, float] | None:
    try:
        raw = ast.literal_eval(_BARE_NON_FINITE.sub(r"'\1'", text))
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    if not isinstance(raw, dict):
        return None
    values = {}
    for key, value in raw.items():
        number = value if isinstance(value, (int, float)) and not isinstance(value, bool) else None
        if isinstance(value, str):
            number = parse_number(value)
        if isinstance(key, str) and number is not None:
            values[key] = float(number)
    return values


def recognize(line: str) -> Observation | None:
    text = line.strip()
    if text.startswith("{'") and len(text) <= MAX_DICT_LENGTH and _DICT.fullmatch(text):
        values = _parse_dict(text)
        if not values:
            return None
        epoch = values.pop("epoch", None)
        marker = None
        if "train_runtime" in values:
            marker = Marker(COMPLETED, "training finished")
        return observation(
            framework="transformers", metrics=values, marker=marker,
            epoch=(epoch, None) if epoch is not None else None,
        )
    if match := _NUM_EPOCHS.fullmatch(line):
        return observation(framework="transformers", epoch=(0, float(match.group(1).replace(",", ""))))
    if "Training completed. Do not forget to share your model" in line:
        return observation(framework="transformers", marker=Marker(COMPLETED, "training completed"))
    return None


def total_steps(line: str) -> int | None:
    """``Total optimization steps = 375`` (INFO) -> 375."""
    match = _TOTAL_STEPS.fullmatch(line)
    return int(match.group(1).replace(",", "")) if match else None


SAMPLES = [
    ("{'loss': 0.6931, 'grad_norm': 0.12345678, 'learning_rate': 3.500000000000001e-05, 'epoch': 0.5}",
     {"framework": "transformers", "epoch": (0.5, None), "metrics": {"loss": 0.6931, "learning_rate": 3.500000000000001e-05}}),
    ("{'loss': '0.6931', 'grad_norm': '0.1235', 'learning_rate': '3.5e-05', 'epoch': '0.5'}",
     {"epoch": (0.5, None), "metrics": {"loss": 0.6931, "grad_norm": 0.1235}}),
    ("{'loss': 0.0, 'grad_norm': nan, 'learning_rate': 0.00012142857142857143, 'epoch': 0.0}",
     {"metrics": {"grad_norm": float("nan")}}),
    ("{'eval_loss': 0.4123, 'eval_accuracy': 0.8125, 'eval_runtime': 0.0871, 'epoch': 1.0}",
     {"metrics": {"eval_loss": 0.4123, "eval_accuracy": 0.8125}}),
    ("{'train_runtime': '1.043', 'train_samples_per_second': '230.1', 'train_loss': '0.4122', 'epoch': '1.5'}",
     {"marker": "completed", "metrics": {"train_loss": 0.4122}}),
    ("  Num Epochs = 3", {"epoch": (0, 3)}),
    ("[transformers]   Num Epochs = 3", {"epoch": (0, 3)}),
    ("Training completed. Do not forget to share your model on huggingface.co/models =)", {"marker": "completed"}),
    ("{'not': __import__('os')}", None),
]
