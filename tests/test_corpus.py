"""Logs written by the real frameworks (generated once by tests/data/logs/generate/, committed):
waitbuddy must read each one's status, framework, progress, error kind and headline metric.
No framework is installed for this: only the committed bytes are parsed."""

from __future__ import annotations

import json
import random

import pytest

from waitbuddy.runs.run import Run

from .corpus import EXPECTED, logs, read_log, reading

EXPECTED_READINGS = json.loads(EXPECTED.read_text(encoding="utf-8"))


def test_every_log_has_an_expectation():
    assert sorted(EXPECTED_READINGS) == [path.name for path in logs()]
    assert len(EXPECTED_READINGS) >= 40


@pytest.mark.parametrize("path", logs(), ids=lambda path: path.name)
def test_reading_of_a_real_log(path):
    assert read_log(path) == EXPECTED_READINGS[path.name]


@pytest.mark.parametrize("path", logs(), ids=lambda path: path.name)
def test_live_feeding_in_random_chunks_reaches_the_same_state(path):
    """Bytes arriving as a live tail would deliver them: random splits, even inside UTF-8
    characters and escape sequences, must end in the same reading as reading the file at once."""
    import codecs

    data = path.read_bytes()
    rng = random.Random(path.name)
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    run = Run(str(path))
    position, now = 0, 1000.0
    while position < len(data):
        size = rng.choice((1, 7, 64, 512, 4096))
        run.feed(decoder.decode(data[position : position + size]).replace("\x00", ""), now)
        position += size
        now += 0.01
    run.feed(decoder.decode(b"", final=True), now)
    run.decide_idle(idle_seconds=5.0)
    assert reading(run, now) == EXPECTED_READINGS[path.name]
