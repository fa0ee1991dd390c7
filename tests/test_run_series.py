"""The loss curve (issue 9, 13): the history covers the whole run, its x axis counts the run's
steps (or epochs, or lines, when that is all the log has), bars' metrics are sampled too, and
evaluation metrics are a series of their own."""

from __future__ import annotations

import contextlib
import io

from waitbuddy.runs import demo_job
from waitbuddy.runs.run import Run


def demo_log() -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        demo_job.main(0.3)
    return out.getvalue()


def test_a_whole_log_read_at_once_gives_the_curve_over_every_step():
    text = demo_log()
    run = Run("demo.log")
    run.sample_finely(len(text.encode()))
    run.feed(text, 0.0)
    series = run.series()
    assert run.x_unit == "step"
    xs = [x for x, _ in series["loss"]]
    assert len(xs) >= 40 and xs == sorted(xs)
    assert xs[0] <= 30 and xs[-1] == 600  # 3 epochs x 200 steps: the whole run, in the run's steps
    assert [x for x, _ in series["eval_loss"]] == [200, 400, 600]  # one point per evaluation
    first, last = series["loss"][0][1], series["loss"][-1][1]
    assert last < first  # the demo's loss falls


def test_epochs_are_the_axis_when_the_log_counts_nothing_else():
    run = Run("a.log")
    run.feed("".join(f"epoch {n}/4 loss={1 / n:.3f} val_loss={1.2 / n:.3f}\n" for n in range(1, 5)), 0.0)
    assert run.x_unit == "epoch"
    assert [x for x, _ in run.series()["val_loss"]] == [1, 2, 3, 4]


def test_lines_are_the_axis_of_a_log_without_counters():
    run = Run("a.log")
    run.feed("".join(f"loss={1 / n:.3f}\n" for n in range(1, 6)), 0.0)
    assert run.x_unit == "line"
    xs = [x for x, _ in run.series()["loss"]]
    assert xs == sorted(xs) and len(set(xs)) == 5  # not a vertical line at x = 0
