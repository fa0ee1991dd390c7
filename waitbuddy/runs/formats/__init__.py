"""Recognizers: one module per family, each a pure ``recognize(line) -> Observation | None``
with ``SAMPLES`` beside it (checked by the tests). The first recognizer that understands a
line wins; failure markers are looked for separately, on every line and raw piece."""

from __future__ import annotations

import re
from collections.abc import Callable

from waitbuddy.runs.formats import (
    deepspeed,
    detectron2,
    fairseq,
    gbdt,
    generic,
    hf,
    keras,
    lifecycle,
    lightning,
    megatron,
    metriclogger,
    mmlab,
    optuna,
    sklearn,
    timm,
    tqdm,
    yolo,
)
from waitbuddy.runs.observe import Observation

Recognizer = Callable[[str], "Observation | None"]

# Specific formats first; tqdm's bar before the generic counters and key=value metrics.
RECOGNIZERS: tuple[tuple[str, Recognizer], ...] = (
    ("transformers", hf.recognize),
    ("keras", keras.recognize),
    ("lightning", lightning.recognize),
    ("gbdt", gbdt.recognize),
    ("optuna", optuna.recognize),
    ("sklearn", sklearn.recognize),
    # tqdm's bar (the bulk of most logs) before the families whose lines never carry one.
    ("tqdm", tqdm.recognize),
    ("detectron2", detectron2.recognize),
    ("metriclogger", metriclogger.recognize),
    ("timm", timm.recognize),
    ("mmlab", mmlab.recognize),
    ("megatron", megatron.recognize),
    ("deepspeed", deepspeed.recognize),
    ("fairseq", fairseq.recognize),
    ("yolo", yolo.recognize),
    ("generic", generic.recognize),
)

MODULES = (hf, keras, lightning, gbdt, optuna, sklearn, detectron2, metriclogger, timm, mmlab, megatron, deepspeed,
           fairseq, yolo, tqdm, generic, lifecycle)


# What launchers put before each line of a rank's output: torch's "[rank3]:", "rank0:", torchrun's
# "[default0]:", mpirun's "[1,0]<stdout>:", srun --label's "0: ", pdsh's "worker-1: " / "gpu-node01: ".
_RANK_PREFIX = re.compile(
    r"(?:\[(?:rank|default)\d{1,5}\]:|rank\d{1,5}:|\[\d{1,5}(?:,\d{1,5})?\]<(?:stdout|stderr)>:|\d{1,4}: (?=\S)|"
    r"(?:[A-Za-z][\w]{0,30}[-.][\w.-]{0,40}\d[\w.-]{0,20}|(?:node|gpu|worker|host|compute|nid|cn)\w{0,20}\d\w{0,10}|"
    r"\d{1,3}(?:\.\d{1,3}){3}|localhost): )"
)


def strip_prefix(line: str) -> str:
    """The line without a launcher's rank or host prefix (``[rank0]: Traceback ...`` -> ``Traceback ...``)."""
    match = _RANK_PREFIX.match(line)
    if match is None:
        return line
    rest = line[match.end():]
    return rest[1:] if rest.startswith(" ") and not rest.startswith("  ") else rest


# Python warnings ("x.py:12: UserWarning: ... (status=1)") and traceback frames carry
# key=value text that is not a metric.
_NOT_PROGRESS = re.compile(r"\S+\.py:\d+: |\s+File \"|\s+warnings\.warn\(")


def recognize(line: str, extra: tuple[Recognizer, ...] = ()) -> Observation | None:
    """What ``line`` (one line of the terminal view) says, by the first recognizer that knows."""
    return recognize_named(line, extra)[1]


# A log repeats a few shapes of line with different numbers ("step 120/5000 loss=0.31"): which
# recognizer read a shape last time is tried first (the ones before it did not know the shape).
# The caller keeps that memory (one per run): recognizers stay pure, no module holds state.
_DIGITS = re.compile(r"\d+")
SHAPES_LIMIT = 4096
_SHAPE_COLUMNS = 160


def recognize_named(line: str, extra: tuple[Recognizer, ...] = (), shapes: dict[str, int] | None = None,
                    ) -> tuple[str | None, Observation | None]:
    """(the recognizer's name, what it read) for ``line``; a user's format is "format: NAME".
    ``shapes``: the caller's memory of which recognizer read each shape of line."""
    if _NOT_PROGRESS.match(line):
        return None, None
    for user_recognizer in extra:
        if (found := user_recognizer(line)) is not None:
            return f"format: {found.framework}", found
    shape = _DIGITS.sub("0", line) if shapes is not None and len(line) <= _SHAPE_COLUMNS else None
    start = shapes.get(shape, 0) if shapes is not None and shape is not None else 0
    if start:
        name, recognizer = RECOGNIZERS[start]
        if (found := recognizer(line)) is not None:
            return name, found
    for index, (name, recognizer) in enumerate(RECOGNIZERS):
        if index != start or not start:
            if (found := recognizer(line)) is not None:
                if shapes is not None and shape is not None and index:
                    if len(shapes) >= SHAPES_LIMIT:
                        shapes.clear()
                    shapes[shape] = index
                return name, found
    return None, None
