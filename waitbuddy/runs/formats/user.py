"""Recognizers built from the user's ``[[runs.formats]]`` (validated when the config loads)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from waitbuddy.config import FORMAT_PROGRESS_GROUPS, UserFormat
from waitbuddy.runs.observe import Observation, Progress, observation, parse_number

Recognizer = Callable[[str], "Observation | None"]
# A user's pattern sees at most this much of a line: patterns that are refused at load (nested
# repeats) are exponential, but others can still be polynomial (.*a.*b on a 4096-column line).
LINE_LIMIT = 1024


def compile_formats(formats: Iterable[UserFormat]) -> tuple[Recognizer, ...]:
    return tuple(_recognizer(user_format) for user_format in formats)


def _recognizer(user_format: UserFormat) -> Recognizer:
    pattern = re.compile(user_format.pattern)
    name = user_format.name

    def recognize(line: str) -> Observation | None:
        match = pattern.search(line, 0, LINE_LIMIT)
        if match is None:
            return None
        values = {key: parse_number(text.strip()) for key, text in match.groupdict().items() if text is not None}
        numbers = {key: value for key, value in values.items() if value is not None}
        progress = None
        if "done" in numbers:
            progress = Progress(done=numbers["done"], total=numbers.get("total"), unit="step",
                                per_epoch=True if "epoch" in numbers else None)
        epoch = None
        if "epoch" in numbers:
            # "epoch 3/10 step 5/100": the third is in progress; "epoch 3/10 loss ...": it ended.
            completed = numbers["epoch"] - 1 if progress is not None else numbers["epoch"]
            epoch = (completed, numbers.get("epochs"))
        metrics = {key: value for key, value in numbers.items() if key not in FORMAT_PROGRESS_GROUPS}
        return observation(framework=name, progress=progress, epoch=epoch, metrics=metrics)

    return recognize
