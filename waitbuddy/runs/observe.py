"""What a recognizer can see in one line of a log: progress, metrics, markers.

Observations are plain frozen data. Recognizers (``runs/formats``) turn a line of the terminal
view into at most one Observation; the run state (``runs/run.py``) folds them together.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

# Marker kinds
COMPLETED = "completed"
FAILED = "failed"
INTERRUPTED = "interrupted"
WARNING = "warning"  # noted, but not a change of status (e.g. a failed Optuna trial)

# Error kinds (Marker.error_kind) a run can fail with
ERROR_KINDS = (
    "exception", "cuda_oom", "cuda_error", "nccl_timeout", "killed", "slurm_time_limit",
    "slurm_cancelled", "slurm_oom", "nan", "interrupted", "exit_status", "terminated",
    # From the scheduler's state (runs/slurm.py), not from a log line
    "slurm_node_fail", "slurm_boot_fail", "slurm_deadline",
)

_EMPTY: Mapping[str, float] = MappingProxyType({})


@dataclass(frozen=True)
class Progress:
    done: float
    total: float | None = None
    unit: str = "it"
    # True: the loop restarts every epoch (Keras, Lightning, `Epoch 3: 40%|...`); False: it
    # spans the whole run (HF Trainer's max_steps bar); None: unknown.
    per_epoch: bool | None = None
    eval: bool = False  # a validation/evaluation loop: shown, but does not drive the run's progress
    remaining_seconds: float | None = None  # the framework's own ETA, when it prints one
    elapsed_seconds: float | None = None  # time spent in this loop so far, when printed (tqdm)
    increment: bool = False  # `done` is a count to add (one more fit finished), not a position
    loop: str | None = None  # "epoch": this loop counts epochs (a tqdm bar described "epochs")


@dataclass(frozen=True)
class Marker:
    kind: str  # COMPLETED, FAILED, INTERRUPTED or WARNING
    message: str
    error_kind: str | None = None  # one of ERROR_KINDS for FAILED/INTERRUPTED
    soft: bool = False  # only a hint (e.g. a bar at 100 %): decides the status only once the log is idle


@dataclass(frozen=True)
class Observation:
    framework: str | None = None
    progress: Progress | None = None
    # (completed epochs, total epochs); completed may be fractional (HF Trainer's 'epoch': 1.35)
    epoch: tuple[float, float | None] | None = None
    metrics: Mapping[str, float] = field(default_factory=lambda: _EMPTY)
    marker: Marker | None = None
    # The number of the epoch in progress as printed ("epoch 2:" of a bar), when the line does not
    # say whether counting starts at 0 or 1; the run decides from the other epochs it has seen.
    epoch_label: float | None = None
    # With epoch_label: the line sums up that epoch (it has ended), and how many epochs there are.
    epoch_end: bool = False
    label_total: float | None = None
    # The plan a configuration line or banner tells ({"epochs": E, "steps": S}): totals the counters
    # of the run may not print. A line with a plan has no metrics (configuration is not a metric).
    plan: Mapping[str, float] = field(default_factory=lambda: _EMPTY)
    # A new start of training in the same file (an appended or resumed run): a new segment.
    start: bool = False


def observation(**fields: object) -> Observation:
    """Build an Observation, freezing the metrics dict."""
    for name in ("metrics", "plan"):
        value = fields.pop(name, None)
        if value:
            fields[name] = MappingProxyType(dict(value))  # type: ignore[arg-type,call-overload]
    return Observation(**fields)  # type: ignore[arg-type]


_SI = {"": 1.0, "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18, "Z": 1e21, "Y": 1e24}
_NUMBER = re.compile(r"\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)([kKMGTPEZY]?)\s*")
_NAN = re.compile(r"\s*(?:tensor\()?\s*([-+]?)(nan|inf(?:inity)?)\)?\s*", re.IGNORECASE)


def parse_number(text: str, *, si: bool = False) -> float | None:
    """'0.5' -> 0.5, '3.00k' -> 3000 (with si), 'nan' / 'tensor(nan)' / '-inf' -> nan / -inf."""
    match = _NUMBER.fullmatch(text)
    if match and (si or not match.group(2)):
        return float(match.group(1)) * _SI[match.group(2)]
    match = _NAN.fullmatch(text)
    if match:
        value = math.nan if match.group(2).lower() == "nan" else math.inf
        return -value if match.group(1) == "-" else value
    return None


_CLOCK = re.compile(r"(?:(\d+) days?, )?(?:(\d+):)?(\d+):(\d\d)(?:\.\d+)?")
_UNITS = re.compile(r"(\d+(?:\.\d+)?)\s*(us|ms|s|m|h|d)\b")
_UNIT_SECONDS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(text: str) -> float | None:
    """'1:55:26', '05:12', '7 days, 15:55:58', '1m 54s', '57.2ms', '12s' -> seconds; '?' -> None."""
    text = text.strip()
    if match := _CLOCK.fullmatch(text):
        days, hours, minutes, seconds = (int(group) if group else 0 for group in match.groups())
        return days * 86400 + hours * 3600 + minutes * 60 + seconds
    parts = _UNITS.findall(text)
    if parts and _UNITS.sub("", text).strip() == "":
        return sum(float(number) * _UNIT_SECONDS[unit] for number, unit in parts)
    return None


def is_loss_like(name: str) -> bool:
    lowered = name.lower()
    if "scale" in lowered or "scaling" in lowered:
        return False  # fp16 "loss scale" is not a loss
    return "loss" in lowered or "grad_norm" in lowered or lowered.endswith("norm") or lowered in ("ppl", "perplexity")
