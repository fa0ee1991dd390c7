"""Recognizers: one module per family, each a pure ``recognize(line) -> Observation | None``
with ``SAMPLES`` beside it (checked by the tests). The first recognizer that understands a
line wins; failure markers are looked for separately, on every line and raw piece."""

from __future__ import annotations

import re
from collections.abc import Callable

from waitbuddy.runs.formats import generic, gbdt, hf, keras, lightning, optuna, sklearn, tqdm
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
    ("tqdm", tqdm.recognize),
    ("generic", generic.recognize),
)

MODULES = (hf, keras, lightning, gbdt, optuna, sklearn, tqdm, generic)


# Python warnings ("x.py:12: UserWarning: ... (status=1)") and traceback frames carry
# key=value text that is not a metric.
_NOT_PROGRESS = re.compile(r"\S+\.py:\d+: \w*Warning: |\s+File \"|\s+warnings\.warn\(")


def recognize(line: str, extra: tuple[Recognizer, ...] = ()) -> Observation | None:
    """What ``line`` (one line of the terminal view) says, by the first recognizer that knows."""
    if _NOT_PROGRESS.match(line):
        return None
    for user_recognizer in extra:
        if (found := user_recognizer(line)) is not None:
            return found
    for _name, recognizer in RECOGNIZERS:
        if (found := recognizer(line)) is not None:
            return found
    return None
