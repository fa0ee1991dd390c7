"""Plain prints: counters (``epoch 3/10``, ``step:7151/20000``, `` iteration     5800/  500000 |``,
``[Step 2/100]``, ``Train: [4/5][0/4]``, ``epoch 001:   2800 / 160368``, ``iter: 3999``), metrics in
the syntaxes of ``fields``, JSON objects (alone or after a logging prefix), configuration (a plan,
never metrics) and evaluation lines (metrics under evaluation names, not the run's progress).
"""

from __future__ import annotations

import json
import re

from waitbuddy.runs.formats import fields, plan
from waitbuddy.runs.observe import Observation, Progress, observation, parse_number

_N = r"\d[\d,]*(?:\.\d+)?[KMB]?"
# "epoch 3/10", "step:7151/20000", "iteration     5800/  500000", "[Step 2/100]", "Iter [50/9000]"
_COUNTER = re.compile(
    rf"(?<![\w])(?P<what>epoch|step|iter(?:ation)?|batch|it|update|round)(?:e?s)?\b[\s:=#\[]{{0,16}}"
    rf"(?P<n>{_N})\s{{0,8}}/\s{{0,8}}(?P<total>{_N})(?![\d/])",
    re.IGNORECASE,
)
# "[4/5][0/4]": an outer loop (epochs) around an inner one.
_TWO_BRACKETS = re.compile(rf"\[\s*(?P<e>\d+)\s*/\s*(?P<et>\d+)\s*\]\s*\[\s*(?P<n>{_N})\s*/\s*(?P<total>{_N})\s*\]")
# "epoch 001:   2800 / 160368", "Epoch 3 [100/200]", "Epoch: 3, Batch: 100/200": an epoch label, then
# the count within it.
_EPOCH_THEN_COUNT = re.compile(
    rf"(?<![\w])epoch\b[\s:=#\[]{{0,3}}(?P<e>\d+)\]?[\s:,|\-\[]{{1,8}}(?:(?:batch|step|iter(?:ation)?|it)s?\b[\s:=#\[]{{0,3}})?"
    rf"(?P<n>{_N})\s{{0,8}}/\s{{0,8}}(?P<total>{_N})(?![\d/])",
    re.IGNORECASE,
)
# "[  48/50]", "[   0/1251 (  0%)]": a count in brackets with no name.
_BRACKET_COUNT = re.compile(rf"\[\s{{0,8}}(?P<n>{_N})\s{{0,8}}/\s{{0,8}}(?P<total>{_N})\s{{0,4}}(?:\(\s{{0,4}}\d+%\))?\]")
# A counter without a total: "iter: 3999", "step 57350 |", "Iteration 100:", "global_step=200".
_BARE_COUNT = re.compile(
    r"(?<![\w])(?P<what>step|iter(?:ation)?|global_step|num_updates|update)\b\s?[:=#]?\s{0,8}(?P<n>\d[\d,]*)"
    r"(?=\s*(?:[|,;:\]]|$)|\s+[A-Za-z(\[])",
    re.IGNORECASE,
)
# An epoch without a total: "Epoch 001 loss ...", "epoch: 3", "[Epoch 12]", "Epoch 5 done".
_BARE_EPOCH = re.compile(r"(?<![\w])epoch\b\s?[:=#]?\s{0,4}\[?\s{0,4}(?P<e>\d+)(?!\s*/|[\d.])", re.IGNORECASE)
# Evaluation lines: their metrics are named for the phase and their counters are not the run's.
# The phase is the first word of the message, after a logging prefix (time, level, logger name).
_PHASE = re.compile(r"\s*(?P<phase>test(?:ing)?|eval(?:uat(?:e|ion|ing))?|valid(?:ation|ating)?|val)\b", re.IGNORECASE)
_PHASE_PREFIX = {"test": "test_", "eval": "eval_", "valid": "val_", "val": "val_"}
_JSON_START = re.compile(r"[{]\s*\"")
MAX_JSON_LENGTH = 64 * 1024
_RESULT = re.compile(r"loss|score|acc", re.IGNORECASE)
_UNITS = {"epoch": "epoch", "step": "step", "batch": "step", "update": "step", "round": "round"}


def _json_line(text: str) -> Observation | None:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    metrics: dict[str, float] = {}
    counters: dict[str, float] = {}
    totals: dict[str, float] = {}
    for key, value in data.items():
        number = value if isinstance(value, (int, float)) and not isinstance(value, bool) else None
        if isinstance(value, str):
            number = parse_number(value)
        if number is None or not isinstance(key, str):
            continue
        lowered = key.lower()
        if lowered in ("epoch", "step", "iter", "iteration", "batch", "it", "global_step", "trial", "update",
                       "num_updates", "iters"):
            counters[lowered] = number
        elif lowered in plan.EPOCH_KEYS:
            totals["epoch"] = number
        elif lowered in plan.STEP_KEYS:
            totals["step"] = number
        else:
            metrics[key] = float(number)
    if not metrics and not counters:
        return None
    epoch = (counters["epoch"], totals.get("epoch")) if "epoch" in counters else None
    step = next((counters[key] for key in ("step", "global_step", "num_updates", "update", "iteration", "iter",
                                           "iters", "it") if key in counters), None)
    progress = Progress(done=step, total=totals.get("step"), unit="step") if step is not None else None
    return observation(framework="jsonl", metrics=metrics, epoch=epoch, progress=progress)


def json_object(line: str) -> Observation | None:
    """A JSON object alone on the line or after a logging prefix (``[...][INFO] - {"loss": ...}``)."""
    text = line.strip()
    if not text.endswith("}") or len(text) > MAX_JSON_LENGTH:
        return None
    if text.startswith("{"):
        return _json_line(text)
    match = _JSON_START.search(text, 0, 400)
    return _json_line(text[match.start():]) if match else None


# "epoch:[ 25/25 ] val step:100 loss: ...", "END epoch:25  val loss_avg: ..." (not after "train": "train
# loss 1.2, val loss 1.4" is a training line that also reports validation).
_PHASE_INLINE = re.compile(
    r"^(?:(?!train)[^|]){0,120}?(?<![\w])(?P<phase>val|valid|validation|eval|evaluation|test) (?:step|iter|batch|"
    r"\w*loss|\w*acc|top)", re.IGNORECASE)
_STARTING = re.compile(r"(?:start(?:ing)?|begin(?:ning)?|running)\s+epoch\b", re.IGNORECASE)


_PHASE_HINT = re.compile(r"val|eval|test", re.IGNORECASE)


def _eval_phase(line: str) -> str | None:
    if not _PHASE_HINT.search(line, 0, 400):
        return None
    match = _PHASE.match(line, fields.message_start(line), 400) or _PHASE_INLINE.match(line, 0, 200)
    if match is None:
        return None
    phase = match["phase"].lower()
    for key, prefix in _PHASE_PREFIX.items():
        if phase.startswith(key):
            return prefix
    return None


def _outside_config(text: str) -> str:
    """The text of a configuration line around its settings: 'best params: {...}, best score: 0.9'
    keeps ', best score: 0.9'; a Namespace(...) leaves nothing."""
    start = plan.config_start(text)
    end = max(text.rfind(")"), text.rfind("}"), text.rfind("]")) + 1
    return text[:start] + " " + (text[end:] if end > start else "")


def _eval_names(metrics: dict[str, float], prefix: str) -> dict[str, float]:
    named = {}
    for name, value in metrics.items():
        lowered = name.lower()
        if lowered.startswith(("val", "eval", "test")) or "valid" in lowered:
            named[name] = value
        else:
            named[prefix + lowered] = value
    return named


def _counts(line: str) -> tuple[tuple[float, float | None] | None, Progress | None, float | None, float | None]:
    """(epoch as (done, total), the loop's progress, an epoch label, that label's total)."""
    text = line[:2000]
    epoch = progress = label = label_total = None
    word: str | None = None  # the word that named the loop's count ("step", "batch"), if any
    if "/" not in text:
        return _bare_counts(text)
    if match := _TWO_BRACKETS.search(text):
        label, label_total = float(match["e"]), float(match["et"])
        done, total = fields.count(match["n"]), fields.count(match["total"])
        if done is not None and total:
            progress = Progress(done=done, total=total, unit="step", per_epoch=True)
        return None, progress, label, label_total
    if match := _EPOCH_THEN_COUNT.search(text):
        done, total = fields.count(match["n"]), fields.count(match["total"])
        if done is not None and total:
            return None, Progress(done=done, total=total, unit="step", per_epoch=True), float(match["e"]), None
    for match in _COUNTER.finditer(text):
        what = match["what"].lower()
        done, total = fields.count(match["n"]), fields.count(match["total"])
        if done is None or total is None:
            continue
        if what == "epoch":
            epoch = (done, total)  # adjusted below once we know whether a step counter follows
        elif progress is None and total > 0:
            progress = Progress(done=done, total=total, unit=_UNITS.get(what, "iteration"))
            word = what
    if epoch is not None:
        # "epoch 3/10 step 200/500": the third epoch is in progress; "epoch 3/10 loss=...": it ended;
        # "Starting epoch 3/10": it begins.
        if progress is None and _STARTING.search(text):
            return (epoch[0] - 1, epoch[1]), None, None, None
        if progress is not None:
            epoch = (epoch[0] - 1, epoch[1])
            progress = Progress(done=progress.done, total=progress.total, unit=progress.unit, per_epoch=True)
        return epoch, progress, None, None
    if progress is None and (match := _BRACKET_COUNT.search(text)):
        done, total = fields.count(match["n"]), fields.count(match["total"])
        if done is not None and total:
            progress = Progress(done=done, total=total, unit="step")
    if progress is None:
        return _bare_counts(text)
    return _with_epoch_label(text, progress, word)


def _bare_counts(text: str) -> tuple[None, Progress | None, float | None, None]:
    """Counters without a total: "iter: 3999", "step 57350 |", and an epoch label."""
    progress = None
    if match := _BARE_COUNT.search(text):
        done = fields.count(match["n"])
        if done is not None:
            what = match["what"].lower()
            progress = Progress(done=done, total=None, unit="iteration" if what.startswith("iter") else "step")
    return _with_epoch_label(text, progress, None)


def _with_epoch_label(text: str, progress: Progress | None, word: str | None
                      ) -> tuple[None, Progress | None, float | None, None]:
    label = None
    if ("poch" in text or "POCH" in text) and (match := _BARE_EPOCH.search(text)):
        label = float(match["e"])
        if progress is not None:
            # A count without a total beside an epoch is the run's step; a batch count is the
            # epoch's; a step count with a total may be either ("[step=1010/15000,epoch=0]"): the
            # run decides from whether it knows how many epochs there are.
            per_epoch = False if progress.total is None else (True if word in ("batch", None) else None)
            progress = Progress(done=progress.done, total=progress.total, unit=progress.unit, per_epoch=per_epoch)
    return None, progress, label, None


def recognize(line: str) -> Observation | None:
    text = line.strip()
    if text.endswith("}") and (text.startswith("{") or '{"' in text[:400]) and '"' in text:
        if (found := json_object(text)) is not None:
            return found
    epoch, progress, label, label_total = _counts(line)
    counted = (epoch is not None and epoch[1] is not None) or (progress is not None and progress.total is not None)
    # A line with an N/M counter is the run's, not its configuration (which never counts).
    if not counted and plan.is_config(line):
        # Settings are not metrics; a result printed beside them ("best params: {...}, best
        # score: 0.957") still is.
        found_plan = plan.read(line, config=True)
        outside = _outside_config(line[:4000])
        results = {name: value for name, value in fields.pairs(outside, spaced=False).items() if _RESULT.search(name)}
        if not found_plan and not results:
            return None
        return observation(framework="generic", plan=found_plan, metrics=results)
    if not counted and (found_plan := plan.read(line, config=False)):
        return observation(framework="generic", plan=found_plan)
    metrics = fields.pairs(line)
    if epoch is None and progress is None and label is None:
        if not any(fields.metric_like(name) for name in metrics):
            return None  # a lone "key=value" in prose ("... (max_iter=3).") is not a metric
    elif not metrics and progress is None and epoch is None:
        return None  # "epoch 3" with nothing else: a header or prose, not a count
    if (prefix := _eval_phase(line)) is not None:
        metrics = _eval_names(metrics, prefix)
        if progress is not None:
            progress = Progress(done=progress.done, total=progress.total, unit=progress.unit, eval=True)
        # "Evaluating perplexity, Epoch 0/5": which epoch the evaluation follows still counts.
        return observation(framework="generic", progress=progress, metrics=metrics, epoch=epoch)
    if label is not None and progress is None:
        # "Epoch 001 loss 22.07": a summary of the epoch: it has ended.
        return observation(framework="generic", metrics=metrics, epoch_label=label, epoch_end=True,
                           label_total=label_total)
    return observation(framework="generic", epoch=epoch, progress=progress, metrics=metrics,
                       epoch_label=label, label_total=label_total)


SAMPLES = [
    ("epoch 3/10 step 1200/5000 loss=0.3121 lr=3e-4",
     {"framework": "generic", "epoch": (2, 10), "done": 1200, "total": 5000, "metrics": {"loss": 0.3121, "lr": 3e-4}}),
    ("Epoch 3/10 - loss: 0.512 - acc: 0.81", {"epoch": (3, 10), "metrics": {"loss": 0.512, "acc": 0.81}}),
    ("step 1200/5000 | loss: 2.31 | grad_norm: nan", {"done": 1200, "total": 5000, "metrics": {"grad_norm": float("nan")}}),
    ("iter 40/100 train_loss=1.5e-01", {"done": 40, "unit": "iteration", "metrics": {"train_loss": 0.15}}),
    ('{"epoch": 2, "step": 300, "train_loss": 0.41, "lr": "1e-4", "tag": "x"}',
     {"framework": "jsonl", "epoch": (2, None), "done": 300, "metrics": {"train_loss": 0.41, "lr": 1e-4}}),
    ('[2026-01-01 12:00:00][INFO] - {"loss": "0.209", "step": 40}', {"framework": "jsonl", "done": 40,
                                                                      "metrics": {"loss": 0.209}}),
    ("[2026-11-22 12:00:00] loading data at 12:00", None),
    ("time: 0.705s, data_time: 0.002, memory: 7239", None),
    ('  File "train.py", line 46, in <module>', None),
    ("Increase the number of iterations to improve the convergence (max_iter=3).", None),
    ("loss=0.25", {"metrics": {"loss": 0.25}}),
    (" iteration     5800/  500000 | consumed samples:        43408 | lm loss: 2.345E+00 |",
     {"done": 5800, "total": 500000, "metrics": {"lm_loss": 2.345}}),
    ("step:7151/20000 train_loss:3.2214", {"done": 7151, "total": 20000, "metrics": {"train_loss": 3.2214}}),
    ("[Step 2/100] loss 0.5", {"done": 2, "total": 100}),
    ("Train: [4/5][0/4] Loss 0.4053 (0.4272)", {"epoch_label": 4, "done": 0, "total": 4, "metrics": {"Loss": 0.4053}}),
    ("epoch 001:   2800 / 160368 loss=9.255, ppl=611.12, wps=57.3", {"epoch_label": 1, "done": 2800, "total": 160368}),
    ("iter: 3999  total_loss: 0.512", {"done": 3999, "total": None, "metrics": {"total_loss": 0.512}}),
    ("step 57350 | loss 2.31", {"done": 57350, "total": None}),
    ("Epoch 001 loss  22.0703 | train 2.5s", {"epoch_label": 1, "metrics": {"loss": 22.0703}}),
    ("step 100,000/200,000 loss 1.5", {"done": 100000, "total": 200000}),
    ("Namespace(batch_size=128, epoches=1000, lr=0.001)", {"metrics": {}}),
    ("hyperparameters: lr0=0.01, lrf=0.01, momentum=0.937, weight_decay=0.0005, box=0.05, cls=0.5", None),
    ("Validation loss: 0.634", {"metrics": {"validation_loss": 0.634}}),
    ("Test: [ 48/50]  Loss: 0.9 (0.95)  Acc@1: 76.1 (75.2)", {"eval": True, "metrics": {"test_loss": 0.9}}),
    ("step 2000: train loss 1.2345, val loss 1.4567", {"done": 2000, "metrics": {"train_loss": 1.2345, "val_loss": 1.4567}}),
]
