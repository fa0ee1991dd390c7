"""Tables: stable-baselines3's logger boxes (``| train/ |`` then ``|    loss | 44.4 |``), and
column tables under a header row: Ultralytics/YOLOv5 print a header once per epoch
(``Epoch  GPU_mem  box_loss  obj_loss  cls_loss  Instances  Size``) and then rows of values
(``9/9  0G  0.03722  0.01805  0.0123  25  640: 100%|...``), and a validation table
(``Class  Images  Instances  Box(P  R  mAP50  mAP50-95)`` then ``all  128  929  0.64 ...``).

The header is state, so this is not a pure recognizer: the run keeps one ``Tables`` and
offers it every line first.
"""

from __future__ import annotations

import re

from waitbuddy.runs.formats import tqdm, yolo
from waitbuddy.runs.observe import Observation, Progress, observation, parse_number

_WORD = re.compile(r"[A-Za-z][\w@.()%:-]{0,30}")
_BAR_START = re.compile(r":\s+\d{1,3}%(?:\||\s)|\s+\d{1,3}%\|")
_EPOCH_CELL = re.compile(r"(\d+)/(\d+)")
_NOT_METRICS = frozenset({"epoch", "gpu_mem", "labels", "instances", "img_size", "size", "class", "images"})
_LOSS_COLUMNS = frozenset({"box", "obj", "cls", "total", "dfl", "seg", "pose", "kobj", "rle"})


def _before_bar(line: str) -> str:
    match = _BAR_START.search(line, 0, 600)
    return line[: match.start()] if match else line


def _cells(text: str) -> list[str]:
    return [cell.removesuffix(":") for cell in text.split()]


# stable-baselines3's logger: boxes of "| section/ |  |" then "|    name | value |" rows.
_SB3_SECTION = re.compile(r"\| (?P<section>[\w.-]{1,40}/)\s*\|\s*\|")
_SB3_ROW = re.compile(r"\|\s{2,8}(?P<name>[\w.-]{1,60})\s*\|\s*(?P<value>\S{1,40})\s*\|")
_SB3_PROGRESS = {"total_timesteps": "timestep"}
_SB3_SKIPPED = frozenset({"time/"})  # fps, time_elapsed, iterations: not metrics of the model


class Tables:
    def __init__(self) -> None:
        self.train: list[str] | None = None  # the column names of the training table
        self.val: list[str] | None = None
        self.zero_based: bool | None = None  # YOLOv5 prints "0/299" (epoch/epochs-1), v8 "1/300"
        self.section: str | None = None  # the stable-baselines3 box's section ("rollout/", "train/")

    def header(self, line: str) -> bool:
        """A settled line: remember it if it is a table's header."""
        if line.lstrip()[:5].lower() not in ("epoch", "class"):
            return False
        cells = _cells(_before_bar(line))
        if not 3 <= len(cells) <= 16 or not all(_WORD.fullmatch(cell) for cell in cells):
            return False
        lowered = [cell.lower() for cell in cells]
        if lowered[0] == "epoch" and ("gpu_mem" in lowered or any("loss" in cell for cell in lowered)):
            self.train = lowered
            return True
        if lowered[0] == "class" and "images" in lowered:
            self.val = [cell.removeprefix("box(").removeprefix("mask(").rstrip(")") for cell in lowered]
            return True
        return False

    def read(self, line: str) -> Observation | None:
        """A row of the last table, with its bar when it has one."""
        if line.startswith("|") and line.rstrip().endswith("|"):
            return self._sb3(line.rstrip())
        if self.train is None and self.val is None:
            return None
        cells = _cells(_before_bar(line))
        if self.train is not None and len(cells) == len(self.train) and (match := _EPOCH_CELL.fullmatch(cells[0])):
            return self._train_row(cells, int(match.group(1)), int(match.group(2)), line)
        if self.val is not None and len(cells) == len(self.val) and cells[0] == "all":
            metrics = {}
            for name, cell in zip(self.val[1:], cells[1:], strict=True):
                value = parse_number(cell)
                if value is not None and name not in _NOT_METRICS:
                    metrics[f"val_{name}"] = value
            return observation(framework="yolo", metrics=metrics)
        return None

    def _sb3(self, line: str) -> Observation | None:
        if match := _SB3_SECTION.fullmatch(line):
            self.section = match["section"]
            return None
        match = _SB3_ROW.fullmatch(line)
        if match is None or self.section is None or (value := parse_number(match["value"])) is None:
            return None
        name = match["name"]
        if name in _SB3_PROGRESS:
            progress = Progress(done=value, total=None, unit=_SB3_PROGRESS[name], per_epoch=False)
            return observation(framework="stable-baselines3", progress=progress)
        if self.section in _SB3_SKIPPED:
            return None
        return observation(framework="stable-baselines3", metrics={f"{self.section}{name}": value})

    def _train_row(self, cells: list[str], number: int, last: int, line: str) -> Observation:
        if number == 0:
            self.zero_based = True
        if self.zero_based:
            epoch = (float(number), float(last + 1))
        else:
            epoch = (float(max(number - 1, 0)), float(last))
        metrics = {}
        assert self.train is not None
        for name, cell in zip(self.train[1:], cells[1:], strict=True):
            value = parse_number(cell)
            if value is None or name in _NOT_METRICS:
                continue
            metrics[name if "loss" in name or name not in _LOSS_COLUMNS else f"{name}_loss"] = value
        bar = tqdm.recognize(line) or yolo.recognize(line)
        progress = None
        if bar is not None and bar.progress is not None:
            found = bar.progress
            progress = Progress(done=found.done, total=found.total, unit=found.unit, per_epoch=True,
                                remaining_seconds=found.remaining_seconds, elapsed_seconds=found.elapsed_seconds)
        return observation(framework="yolo", epoch=epoch, progress=progress, metrics=metrics)
