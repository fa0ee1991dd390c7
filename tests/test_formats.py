"""Every recognizer's SAMPLES, plus linear-time checks on long lines of real bar frames."""

from __future__ import annotations

import math
import time

import pytest

from waitbuddy.runs import formats
from waitbuddy.runs.formats import failures
from waitbuddy.runs.observe import Observation


def same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9)


def check(found: Observation | None, expected: dict | None) -> None:
    if expected is None:
        assert found is None
        return
    assert found is not None
    progress = found.progress
    for key, value in expected.items():
        if key == "framework":
            assert found.framework == value
        elif key == "epoch" and value is None:
            assert found.epoch is None, found.epoch
        elif key == "epoch":
            assert found.epoch is not None and all(same(a, b) for a, b in zip(found.epoch, value, strict=True)), found.epoch
        elif key == "epoch_label":
            assert same(found.epoch_label, value), found.epoch_label
        elif key == "loop":
            assert progress is not None and progress.loop == value, progress
        elif key == "metrics":
            for name, number in value.items():
                assert name in found.metrics and same(found.metrics[name], number), (name, dict(found.metrics))
        elif key == "marker":
            assert found.marker is not None and found.marker.kind == value
        elif key in ("done", "total"):
            assert progress is not None and same(getattr(progress, key), value), progress
        elif key == "unit":
            assert progress is not None and progress.unit == value
        elif key == "remaining":
            assert progress is not None and same(progress.remaining_seconds, value), progress
        elif key == "eval":
            assert progress is not None and progress.eval is value
        else:
            raise AssertionError(f"unknown expectation {key}")


SAMPLES = [
    pytest.param(module, line, expected, id=f"{module.__name__.rsplit('.', 1)[-1]}:{line[:40]}")
    for module in formats.MODULES
    for line, expected in module.SAMPLES
]


@pytest.mark.parametrize(("module", "line", "expected"), SAMPLES)
def test_recognizer_samples(module, line, expected):
    check(module.recognize(line), expected)


@pytest.mark.parametrize(("line", "expected"), failures.SAMPLES, ids=[line[:40] for line, _ in failures.SAMPLES])
def test_failure_samples(line, expected):
    marker = failures.recognize(line)
    if expected is None:
        assert marker is None
        return
    assert marker is not None
    for key, value in expected.items():
        assert getattr(marker, key) == value, marker


def test_the_first_recognizer_that_knows_wins():
    assert formats.recognize("{'loss': 0.5, 'epoch': 1.0}").framework == "transformers"
    assert formats.recognize(" 45%|████▌     | 450/1000 [01:23<01:40,  5.48it/s]").framework == "tqdm"
    assert formats.recognize("epoch 2/5 loss=0.1").framework == "generic"
    assert formats.recognize("nothing to see") is None


FRAME = "Epoch 3:  45%|████▌     | 450/1000 [01:23<01:40,  5.48it/s, v_num=0, train_loss=0.312]      "
KERAS = "\x08" * 73 + "\r 5/20 ━━━━━━━━━━━━━━━━━━━━ 1s 13ms/step - accuracy: 0.5000 - loss: 0.9000"
LONG_LINES = {
    "tqdm frames": FRAME * (1_000_000 // len(FRAME)),
    "spaces": " " * 1_000_000,
    "digits and colons": "1:2:3 " * 170_000,
    "percent bars": "9%|" * 330_000,
    "keras frames": KERAS * (1_000_000 // len(KERAS)),
    "key-value soup": "a=1,b: 2 " * 110_000,
    "braces": "{'a': " * 160_000,
}


@pytest.mark.parametrize("name", sorted(LONG_LINES))
def test_recognizers_are_linear_on_a_1mb_line(name):
    # Timings belong in bench/, but a catastrophic backtrack takes minutes, not seconds: this
    # budget only catches that. Lines reach recognizers bounded by the terminal view anyway.
    line = LONG_LINES[name]
    for recognizer_name, recognizer in formats.RECOGNIZERS:
        started = time.perf_counter()
        recognizer(line)
        assert time.perf_counter() - started < 2.0, recognizer_name
    started = time.perf_counter()
    failures.recognize(line)
    assert time.perf_counter() - started < 2.0


def test_user_format_recognizer_reads_progress_epoch_and_metrics():
    from waitbuddy.config import UserFormat
    from waitbuddy.runs.formats.user import compile_formats

    (recognize,) = compile_formats([UserFormat(
        "mine", r"ep (?P<epoch>\d+)/(?P<epochs>\d+) it (?P<done>\d+)/(?P<total>\d+) loss (?P<loss>\S+)",
        ("ep 2/5 it 10/100 loss 0.5",),
    )])
    found = recognize("[rank0] ep 2/5 it 10/100 loss nan")
    assert found.framework == "mine" and found.epoch == (1, 5)
    assert (found.progress.done, found.progress.total, found.progress.per_epoch) == (10, 100, True)
    assert math.isnan(found.metrics["loss"])
    assert recognize("something else") is None
    # the user's formats are tried first
    assert formats.recognize("ep 2/5 it 10/100 loss 0.5", (recognize,)).framework == "mine"


def test_every_failure_kind_is_a_documented_kind():
    from waitbuddy.runs.observe import ERROR_KINDS

    kinds = {expected["error_kind"] for _, expected in failures.SAMPLES if expected and "error_kind" in expected}
    kinds |= {failures.exit_marker(code, None).error_kind for code in (1, 130, 137, 143)}
    assert kinds <= set(ERROR_KINDS), kinds - set(ERROR_KINDS)


def test_the_memory_of_line_shapes_never_changes_a_reading():
    # Lines of one shape with other numbers, and lines of different shapes in between: tried from
    # the recognizer that read the shape before, each still reads as it would alone.
    from pathlib import Path

    lines = [line for module in formats.MODULES for line, _expected in module.SAMPLES]
    real = Path(__file__).parent / "data" / "logs" / "real"
    for name in ("noprop_cifar100_two_runs_completed.log", "megatron_deepspeed_gpt_completed.log",
                 "detectron2_fasterrcnn_stops_after_eval.log"):
        lines += (real / name).read_text(encoding="utf-8", errors="replace").splitlines()[:400]
    shapes: dict[str, int] = {}
    for _ in range(2):
        for line in lines:
            assert formats.recognize_named(line, (), shapes) == formats.recognize_named(line), line
    assert shapes
