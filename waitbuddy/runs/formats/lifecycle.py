"""Where training starts and where it ends, in plain words.

Endings: ``Training finished``, ``Training complete(d)``, ``End of training``, ``Total training
time``, ``N epochs completed in``, ``Results saved to``, ``done training in``, a launcher's
``Process N exits successfully.``; they may arrive mid-line right after a progress frame.

Starts: a training banner (``***** Running training *****``, ``Starting training``, a printed
argparse ``Namespace``). A start after an ending or a failure in the same file is a new segment
(an appended or resumed run): what went before is history.
"""

from __future__ import annotations

import re

from waitbuddy.runs.formats.fields import after_level
from waitbuddy.runs.observe import COMPLETED, Marker, Observation, observation

_HINT = re.compile(
    r"arly stop|stopped early|Environment info|训练|学習|학습|훈련|완료|train|Train|TRAIN|complet|saved to|"
    r"exits success|Optimization Finished|Namespace\("
)
_ENDING = re.compile(
    r"\b(?:training (?:is )?(?:finished|complete[d]?|done|ended|over)\b(?! in (?:epoch|step))|"
    r"finished training\b|end of training\b|total training time\b|done training\b|overall training speed\b|"
    r"training completed? (?:in|after)\b|after training is done\b|"
    r"\d+ epochs? completed in\b|results saved to\b|optimization finished\b|"
    r"process \d+ exits successfully|stopping training early|training stopped early|epoch \d+: early stopping|"
    r"early stopping (?:triggered|at epoch|after)|stopped early at|"
    r"训练完成|训练结束|训练已完成|学習完了|学習が完了|学習終了|학습 완료|훈련 완료|성공적으로 완료)",
    re.IGNORECASE,
)
_TRAINING_TIME = re.compile(r"\W{0,3}training time:? \d", re.IGNORECASE)
_START = re.compile(
    r"\*{3,} ?Running training ?\*{3,}|^\W{0,3}(?:start(?:ing)?|begin(?:ning)?) (?:the )?training\b|"
    r"Starting training from iteration|^Namespace\(|- INFO - Environment info:|INFO: Environment info:",
    re.IGNORECASE,
)
# An evaluation pass between epochs (Keras-like loops print its steps like training's).
# (Only where an end is printed too: paddle's hapi "Eval begin..." ... "Eval samples: N". HF's
# "***** Running Evaluation *****" has no end line, and its bars and dicts say what they are.)
_EVAL_BEGINS = re.compile(r"^\s{0,8}\W{0,3}Eval begin\.\.\.", re.IGNORECASE)
_TRAIN_RESUMES = re.compile(r"^\s{0,8}\W{0,3}Epoch \d+/\d+\s*$|^\s{0,8}\W{0,3}Eval samples:", re.IGNORECASE)
# Not the end of the whole run: an epoch's, a stage's, a warm-up's.
_PARTIAL = re.compile(r"\b(?:epoch|stage|phase|warm-?up|pre-?training|trial|fold|round|pretrain)\b[^.]{0,20}$", re.I)


def phase(line: str) -> str | None:
    """"eval" where an evaluation pass begins, "train" where training resumes, else None."""
    if _EVAL_BEGINS.match(line):
        return "eval"
    if _TRAIN_RESUMES.match(line):
        return "train"
    return None


def recognize(line: str) -> Observation | None:
    if not _HINT.search(line, 0, 4000):
        return None
    text = line[:4000]
    if _START.search(text):
        return observation(start=True)
    match = _ENDING.search(text) or _TRAINING_TIME.match(text, after_level(text))
    if match and not _PARTIAL.search(text, 0, match.start()):
        return observation(marker=Marker(COMPLETED, text[match.start() : match.start() + 60].strip()))
    return None


SAMPLES = [
    ("Training finished.", {"marker": "completed"}),
    ("2026-01-01 12:00:00 - INFO - Training complete. Best val acc 0.91", {"marker": "completed"}),
    ("Total training time: 1:02:03", {"marker": "completed"}),
    ("Training time 0:10:01", {"marker": "completed"}),
    ("300 epochs completed in 12.512 hours.", {"marker": "completed"}),
    ("Results saved to runs/train/exp3", {"marker": "completed"}),
    ("done training in 1234.5 seconds", {"marker": "completed"}),
    ("Epoch 3: 100%|██████████| 8/8 [00:01<00:00,  6.1it/s]Training finished", {"marker": "completed"}),
    ("[2026-01-01 12:00:00,000] [INFO] [launch.py:351:main] Process 1234 exits successfully.", {"marker": "completed"}),
    ("Epoch 3 training finished, validating", None),
    ("***** Running training *****", {}),
    ("Namespace(epochs=10, lr=0.1)", {}),
    ("training loss 0.5", None),
]
