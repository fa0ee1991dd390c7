"""Name/value pairs in the free text of a log line, in the syntaxes people print them.

``key=value``, ``key: value``, ``key:value``, ``key value`` (for names that look like metrics),
``Loss 0.4053 (0.4272)`` (the current value, then a running average), scientific notation,
thousands separators, and names of several words (``Validation loss``, ``lm loss``, ``KD Loss``),
kept whole and normalized (``validation_loss``) so that one does not overwrite another.

Every pattern is bounded and anchored at a cheap character, so a line costs linear time.
"""

from __future__ import annotations

import re

from waitbuddy.runs.observe import parse_number

# A number as printed: 0.5, -3, 1.5e-04, 2.496638E+00, 25,816 (thousands), .5
NUMBER = r"[-+]?(?:\d{1,3}(?:,\d{3})+(?![\d.,])|\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)"
_VALUE = rf"(?P<value>{NUMBER}|[-+]?(?:nan|inf)\b|tensor\([-+]?(?:nan|inf|[\d.e+-]+)\))"
_KEY = r"[A-Za-z_][\w./@-]{0,40}?"
# key=value, key = value, key: value, key:value. Not a time (12:30:00), a URL or a path.
_PAIR = re.compile(rf"(?<![\w./@-])(?P<key>{_KEY})(?:\s?=\s?|\s?:\s*)" + _VALUE + r"(?![\w:/-]|\.\d)", re.IGNORECASE)
# key value (one or more spaces), for metric-like names only: "loss 0.4053", "| ppl 611.12 |".
_SPACED = re.compile(rf"(?<![\w./@-])(?P<key>[A-Za-z][\w./@-]{{0,40}})\s+{_VALUE}(?![\w:/-]|\.\d)", re.IGNORECASE)
_METRIC_WORD = re.compile(
    r"loss|acc|accuracy|lr|learning_rate|score|f1|auc|ppl|perplexity|err|error|mse|mae|rmse|reward|return|"
    r"grad_?norm|gnorm|norm|bleu|rouge\w*|wer|cer|precision|recall|map\w*|iou|miou|dice|kl|entropy|nll\w*|"
    r"\w*_loss|loss_\w*|\w*_acc\w*|top[15]|acc@\d+|bpc|bpb|mfu",
    re.IGNORECASE,
)
# Words that may stand before a metric's head word as part of its name ("train loss", "KD Loss").
_NAME_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]{0,15}\.?")
_NOT_NAME_WORDS = frozenset({
    "info", "debug", "warning", "warn", "error", "critical", "epoch", "epochs", "step", "steps", "iter",
    "iteration", "iterations", "batch", "it", "and", "the", "with", "at", "of", "in", "on", "is", "was",
    "new", "current", "curr", "update", "updates",
})
# The head words of multi-word metric names; the words before them are kept ("validation loss").
_HEAD_WORDS = frozenset({"loss", "acc", "accuracy", "norm", "rate", "ppl", "perplexity", "error", "score", "scale"})
# Names that read as metrics but count progress or time.
PROGRESS_KEYS = frozenset({
    "epoch", "epochs", "step", "steps", "iter", "iters", "iteration", "iterations", "batch", "it", "global_step",
    "trial", "update", "num_updates", "updates", "round",
})
_MAX_SCAN = 4000  # columns of a line searched for pairs


def normalize(name: str) -> str:
    """A name of several words as one: 'Validation loss' -> 'validation_loss'."""
    name = name.strip()
    if " " not in name:
        return name
    return "_".join(name.lower().split())


_METRIC_PART = re.compile(r"loss|accuracy|perplex|reward|bleu|rouge", re.IGNORECASE)
_LOG_PREFIX = re.compile(
    r"\s*(?:\[[^\]\n]{0,80}\]|\d{4}-\d\d-\d\d[ T_]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?|"
    r"\d\d:\d\d:\d\d(?:[.,]\d+)?|(?:INFO|DEBUG|WARNING|WARN|ERROR|CRITICAL)\b|[-|:>*]+(?=\s)|"
    r"[\w.]{1,40}(?= [-|] ))"
)
# A logging prefix ends at its level word: "2025-12-12 11:03:38.634\trun:0\ttrain:417\tINFO\t...".
_LEVEL = re.compile(r"(?<![\w])(?:INFO|DEBUG|WARNING|WARN|ERROR|CRITICAL)(?![\w])[\]:|\s-]*")


def metric_like(name: str) -> bool:
    return _METRIC_WORD.fullmatch(name) is not None or _METRIC_PART.search(name) is not None or any(
        _METRIC_WORD.fullmatch(part) for part in re.split(r"[_/.\s-]", name) if part)


def message_start(line: str) -> int:
    """Where the message begins after a logging prefix: timestamps, brackets, a logger's name and
    level ('2026-01-01 12:00:00 | INFO | x | msg'), or anything up to a level word
    ('2025-12-12 11:03:38.634<TAB>run:0<TAB>train:417<TAB>INFO<TAB>msg'); 0 without one."""
    position = 0
    for _ in range(8):
        match = _LOG_PREFIX.match(line, position, position + 200)
        if match is None or match.end() == position:
            break
        position = match.end()
    return max(position, after_level(line))


def after_level(line: str) -> int:
    """Where the text after a logging prefix's level word starts, else 0: where to look for
    metrics (a leading "[loss:0.23]" is data, so brackets and names are not skipped here)."""
    level = _LEVEL.search(line, 0, 160)
    return level.end() if level else 0


def _whole_name(text: str, start: int, key: str) -> str:
    """``key`` with the words just before it that belong to its name ('lm' of 'lm loss')."""
    head = key.lower()
    if head not in _HEAD_WORDS:
        return key
    words: list[str] = []
    position = start
    while len(words) < 3 and position >= 2 and text[position - 1] == " " and text[position - 2] != " ":
        word_start = position - 1
        if word_start > 0 and text[word_start - 1] == ".":
            word_start -= 1  # "avg. loss"
        while word_start > 0 and text[word_start - 1].isalnum() and position - word_start <= 17:
            word_start -= 1
        word = text[word_start : position - 1]
        if not _NAME_WORD.fullmatch(word) or word.lower() in _NOT_NAME_WORDS:
            break
        if word_start > 0 and not text[word_start - 1].isspace() and text[word_start - 1] not in "|,;([":
            break  # part of something else ("Epoch(train)")
        words.insert(0, word)
        position = word_start
    return " ".join([*words, key]) if words else key


def pairs(line: str, *, spaced: bool = True) -> dict[str, float]:
    """Every ``name -> value`` the line prints, names normalized; progress counters left out."""
    text = line[after_level(line):_MAX_SCAN]
    found: dict[str, float] = {}
    taken: list[tuple[int, int]] = []
    for match in _PAIR.finditer(text):
        key = match["key"]
        if key.lower() in PROGRESS_KEYS:
            taken.append(match.span())
            continue
        number = _number(match["value"])
        if number is None:
            continue
        taken.append(match.span())
        if _not_a_metric(key):
            continue
        found[normalize(_whole_name(text, match.start("key"), key))] = number
    if spaced and not any("loss" in name.lower() for name in found):
        # (a line that writes its loss as key=value or key: value writes its other metrics so too;
        # one that does not may write "loss 0.41" beside "train accuracy: 80.4%")
        for match in _SPACED.finditer(text):
            key = match["key"]
            if (key.lower() in PROGRESS_KEYS or not metric_like(key) or _overlaps(match.span(), taken)
                    or _not_a_metric(key)):
                continue
            number = _number(match["value"])
            if number is None:
                continue
            name = normalize(_whole_name(text, match.start("key"), key))
            found.setdefault(name, number)
    return found


def _not_a_metric(key: str) -> bool:
    """An environment variable or a constant (ALL_CAPS), an fp16 loss scale, a one-letter name
    (``T= 80``): not a metric."""
    return (key.isupper() and len(key) > 3) or "scale" in key.lower() or len(key) == 1


def _overlaps(span: tuple[int, int], taken: list[tuple[int, int]]) -> bool:
    start, end = span
    return any(start < other_end and other_start < end for other_start, other_end in taken)


def _number(text: str) -> float | None:
    if "," in text:
        text = text.replace(",", "")
    return parse_number(text)


def count(text: str) -> float | None:
    """A printed count: '5800', '100,000', '50K', '1.2M'."""
    return parse_number(text.replace(",", ""), si=True)


SAMPLES = [
    ("loss:0.123 acc:0.9", {"loss": 0.123, "acc": 0.9}),
    ("Epoch 001 loss  22.0703 | train 2.5s", {"loss": 22.0703}),
    ("Loss 0.4053 (0.4272)", {"Loss": 0.4053}),
    ("Training loss: 0.512  Validation loss: 0.634", {"training_loss": 0.512, "validation_loss": 0.634}),
    ("| lm loss: 2.496638E+00 | loss scale: 1.0 | grad norm: 0.512 |",
     {"lm_loss": 2.496638, "grad_norm": 0.512}),
    ("Task Loss 0.25, KD Loss 0.125", {"task_loss": 0.25, "kd_loss": 0.125}),
    ("tokens: 25,816 loss=6.580660e-02", {"tokens": 25816, "loss": 0.0658066}),
    ("2024-01-01 12:00:00 INFO train loss 0.5", {"train_loss": 0.5}),
    ("Epoch(train)  [1][ 50/500]  loss: 0.9", {"loss": 0.9}),
    ("==>>> it: 401, avg. loss: 3.450907, running train acc: 0.191", {"avg._loss": 3.450907}),
    ("Best Train Loss: 0.147428 at epoch 272", {"best_train_loss": 0.147428}),
]
