"""A log truncated and written again, larger, between two reads (a rerun of
`python train.py > train.log` after a short failed run; common on NFS where we poll) is a new
run: read from its first byte, not from where the old one ended."""

from __future__ import annotations

import os

from waitbuddy.runs.run import Run
from waitbuddy.runs.snapshot import SnapshotEpoch
from waitbuddy.runs.status import drain
from waitbuddy.runs.tail import Tail

OLD = "epoch 1/3 loss=0.9\ntorch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB\n"
NEW = "starting again with batch size 16\n" + "".join(f"epoch {n}/3 loss=0.{9 - n}\n" for n in range(1, 4)) * 3


def rewrite(path, text: str) -> None:
    with open(path, "w", encoding="utf-8") as handle:  # O_TRUNC: same inode, as `>` does
        handle.write(text)


def test_a_larger_rewrite_between_two_reads_starts_over(tmp_path):
    log = tmp_path / "train.log"
    rewrite(log, OLD)
    tail = Tail(log, start_from_end=None)
    assert tail.read().text == OLD
    rewrite(log, NEW)
    assert len(NEW) > len(OLD)
    chunk = tail.read()
    assert chunk.reset and chunk.text == NEW


def test_a_rewrite_with_the_same_first_bytes_is_noticed_by_the_last_ones(tmp_path):
    log = tmp_path / "train.log"
    header = "loading data from /datasets/imagenet (1281167 images) ...........\n"
    rewrite(log, header + OLD)
    tail = Tail(log, start_from_end=None)
    tail.read()
    rewrite(log, header + NEW)
    chunk = tail.read()
    assert chunk.reset and chunk.text == header + NEW


def test_appends_are_not_taken_for_a_rewrite(tmp_path):
    log = tmp_path / "train.log"
    rewrite(log, "step 1/9\n")
    tail = Tail(log, start_from_end=None)
    texts = [tail.read().text]
    for step in range(2, 10):
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(f"step {step}/9\n")
        os.utime(log, ns=(step * 10**9, step * 10**9))  # a new mtime each time
        chunk = tail.read()
        assert not chunk.reset
        texts.append(chunk.text)
    assert "".join(texts) == "".join(f"step {step}/9\n" for step in range(1, 10))


def test_the_new_run_does_not_keep_the_old_failure_or_best(tmp_path):
    log = tmp_path / "train.log"
    rewrite(log, OLD)
    run, tail = Run(str(log)), Tail(log, start_from_end=None)
    drain(run, tail, 1000.0)
    assert run.status == "failed" and run.error.error_kind == "cuda_oom"
    rewrite(log, NEW)
    drain(run, tail, 1010.0)
    snapshot = run.snapshot(1010.0)
    assert snapshot.status == "running" and snapshot.error is None
    assert snapshot.best["loss"] == 0.6
    assert snapshot.epoch == SnapshotEpoch(3, 3)
