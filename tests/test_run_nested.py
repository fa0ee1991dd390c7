"""An ordinary PyTorch script: an outer tqdm over epochs, an inner one over batches
(``position=1, leave=False``, ``set_postfix(loss=...)``) and a ``tqdm.write`` summary per epoch.
The row people glance at must be right for the whole run (issue 9)."""

from __future__ import annotations

from pathlib import Path

import pytest

from waitbuddy.alerts.events import AlertPolicy
from waitbuddy.runs.present import count_text, one_line
from waitbuddy.runs.run import Run
from waitbuddy.runs.snapshot import SnapshotEpoch

LOGS = Path(__file__).parent / "data" / "logs"
T0 = 1_700_000_000.0
BLOCKS = "█" * 4 + " " * 6


def outer(done: int, total: int = 5) -> str:
    return f"epochs:  {done * 100 // total:>2}%|{BLOCKS}| {done}/{total} [00:30<00:45, 15.00s/it]"


def inner(epoch: int, done: int, total: int = 200, loss: str = "0.1500") -> str:
    return f"epoch {epoch}:  {done * 100 // total:>2}%|{BLOCKS}| {done}/{total} [00:09<00:09, 10.94it/s, loss={loss}]"


def nested_output(epochs_done: int, batch: int) -> str:
    """The bytes tqdm writes to a file while the run is in epoch ``epochs_done + 1`` at ``batch``:
    the outer bar, then the inner bar one row down (\\n ... ESC[A), redrawn together."""
    text = "\r" + outer(0) + "\n"
    for epoch in range(epochs_done + 1):
        for done in range(0, 201 if epoch < epochs_done else batch + 1, 50 if epoch < epochs_done else 1):
            text += "\r" + inner(epoch + 1, done) + "\x1b[A\n"
        if epoch < epochs_done:
            text += "\r" + " " * 80 + "\x1b[A"  # leave=False: the inner bar is erased
            # tqdm.write: the outer bar is cleared, the line written in its place, the bar redrawn below
            text += "\r" + " " * 60 + f"\repoch {epoch + 1}/5 train_loss=0.4{epoch} val_acc=0.9{epoch}\n"
            text += "\r" + outer(epoch + 1) + "\n"
    return text


def test_an_epoch_bar_without_a_total_is_the_epoch_in_progress():
    run = Run("a.log")
    run.feed("epoch 1/5 train_loss=0.43 val_acc=0.95\n"
             "\repoch 2:  48%|####      | 97/200 [00:09<00:09, 10.94it/s, loss=0.15]", T0)
    snapshot = run.snapshot(T0)
    assert snapshot.epoch == SnapshotEpoch(1, 5)
    assert snapshot.progress.fraction == pytest.approx((1 + 97 / 200) / 5, abs=1e-4)


def test_epoch_numbers_that_start_at_zero_are_read_as_such():
    run = Run("a.log")
    run.feed("\repoch 0:  50%|#####     | 100/200 [00:09<00:09, 10.94it/s]\n"
             "epoch 0/5 loss=0.3\n\repoch 1:  48%|####      | 97/200 [00:09<00:09, 10.94it/s]", T0)
    assert run.snapshot(T0).epoch.done == 1


@pytest.mark.parametrize("size", [1 << 30, 4096, 64, 7])
def test_outer_and_inner_bars_give_the_whole_run_fraction_for_any_chunking(size):
    text = nested_output(epochs_done=2, batch=97)
    run = Run("a.log")
    for start in range(0, len(text), size):
        run.feed(text[start : start + size], T0)
    snapshot = run.snapshot(T0)
    assert snapshot.progress.fraction == pytest.approx((2 + 97 / 200) / 5, abs=1e-4)
    assert snapshot.epoch == SnapshotEpoch(2, 5)
    assert (snapshot.progress.done, snapshot.progress.total) == (97, 200)
    assert count_text(snapshot) == "ep 3/5 · 97/200"
    assert "running  50%  ep 3/5 · 97/200  ETA" in one_line(snapshot)  # `status` says what the row says
    assert snapshot.metrics["loss"] == 0.15  # the batch loss on the bar, while it shows
    assert snapshot.best == {"train_loss": 0.40, "val_acc": 0.91}  # from the summaries, whatever the chunking


def test_the_last_epoch_is_not_done_from_its_first_batch():
    run = Run("a.log")
    run.feed(nested_output(epochs_done=4, batch=1), T0)
    snapshot = run.snapshot(T0)
    assert snapshot.progress.fraction == pytest.approx((4 + 1 / 200) / 5, abs=1e-4)
    assert not run.soft_complete
    run.tick(T0 + 120)  # a quiet spell in the last epoch is not the end of the run
    assert run.status == "running"


def test_per_epoch_progress_of_an_unknown_number_of_epochs_has_no_run_fraction():
    run = Run("a.log")
    run.feed("\repoch 1:  48%|####      | 97/200 [00:09<00:09, 10.94it/s, loss=0.15]", T0)
    snapshot = run.snapshot(T0)
    assert snapshot.progress.fraction is None  # not the within-epoch 0.485
    assert snapshot.epoch == SnapshotEpoch(0, None)
    assert snapshot.eta_seconds is None


TRACEBACK_OSERROR = (
    "Traceback (most recent call last):\n"
    '  File "train.py", line 52, in <module>\n'
    "    save_checkpoint(model, path)\n"
    "OSError: [Errno 28] No space left on device\n"
)


def test_a_traceback_after_nested_bars_fails_the_run_at_once_and_never_completes():
    run = Run("a.log")
    run.feed((LOGS / "tqdm_nested.log").read_bytes().decode(), T0)
    run.feed(TRACEBACK_OSERROR, T0 + 1)
    assert run.status == "failed"
    assert run.error.message == "OSError: [Errno 28] No space left on device"
    run.tick(T0 + 600)
    assert run.status == "failed"


def test_a_finished_looking_run_settles_its_screen_before_it_completes():
    """Were a failure hidden among the rows on screen, the quiet spell must not call it done."""
    run = Run("a.log")
    run.feed("\r" + outer(5) + "\n\r" + inner(5, 200) + "\x1b[A", T0)
    assert run.soft_complete
    run.tick(T0 + 120)
    assert run.status == "completed"
    assert run.snapshot(T0 + 120).ended_at == run.snapshot(T0).updated_at  # at the last output


def test_a_run_that_keeps_training_with_nan_fails_once():
    run = Run("a.log")
    policy = AlertPolicy()
    policy.observe(run.snapshot(T0), T0)
    alerts = []
    now = T0
    for epoch in range(1, 5):
        for done in (50, 100, 150, 200):
            now += 1
            run.feed("\r" + inner(epoch, done, loss="nan") + "\x1b[A\n", now)
            alerts += policy.observe(run.snapshot(now), now)
        run.feed("\r" + " " * 80 + f"\repoch {epoch}/5 train_loss=nan val_acc=0.10\n", now)
        alerts += policy.observe(run.snapshot(now), now)
    assert run.status == "failed" and run.error.error_kind == "nan"
    # Named by the bar that showed it first, then by the first settled line with a NaN loss (what
    # any reading of the finished log says, however it is chunked): one alert all the same.
    assert run.error.message in ("loss is nan (NaN/inf)", "train_loss is nan (NaN/inf)")
    assert [alert.kind for alert in alerts] == ["nan"]


# --- through the watcher: real files, real events -----------------------------------------------


def test_a_watched_log_failing_under_nested_bars_fails_and_is_never_called_finished(tmp_path):
    from .test_watcher import watching

    log = tmp_path / "train.log"
    log.write_bytes(b"")
    with watching([log], polling="always", poll_seconds=0.05) as (_watcher, collector):
        with log.open("ab") as out:
            out.write((LOGS / "tqdm_nested.log").read_bytes())
            out.flush()
            collector.wait_for(log, lambda snapshot: snapshot.progress is not None)
            out.write(TRACEBACK_OSERROR.encode())
        _, snapshot = collector.wait_for(log, lambda snapshot: snapshot.status not in ("waiting", "running"))
        assert snapshot.status == "failed"
        assert snapshot.error.message == "OSError: [Errno 28] No space left on device"


def test_a_pty_log_fed_in_small_writes_ends_by_its_script_footer(tmp_path):
    from .test_watcher import watching

    log = tmp_path / "train.log"
    log.write_bytes(b"")
    data = (LOGS / "lightning_tqdm_max_epochs.pty.log").read_bytes()
    with watching([log], polling="always", poll_seconds=0.02) as (_watcher, collector), log.open("ab") as out:
        for start in range(0, len(data), 64):
            out.write(data[start : start + 64])
            out.flush()
        _, snapshot = collector.wait_for(log, lambda snapshot: snapshot.status == "completed", timeout=10)
    assert snapshot.exit_code is None and snapshot.error is None


@pytest.mark.parametrize("between", [
    "epoch 1/3 eval_loss=0.91 accuracy=0.67\n",  # a summary after the epoch's bar (waitbuddy demo)
    "Epoch 2/3\n",  # Keras announces the next epoch before its first step
])
def test_an_epoch_is_not_counted_twice_between_its_bar_and_the_next(between):
    run = Run("a.log")
    run.feed("\rEpoch 1/3: 100%|██████████| 200/200 [00:20<00:00, 10.00it/s, loss=0.5]\n", T0)
    assert run.fraction() == pytest.approx(1 / 3)
    run.feed(between, T0 + 1)
    assert run.fraction() == pytest.approx(1 / 3)  # not (1 + 200/200) / 3
    assert run.snapshot(T0 + 1).epoch.done == 1


def test_validation_after_the_batch_bar_closes_keeps_the_epoch_where_its_batches_got():
    """leave=False erases the batch bar at the end of its loop; the epoch bar moves only after the
    validation pass (minutes, on a big model) and the tqdm.write: meanwhile the run is at 4/5,
    not back at 3/5 (these are the real bytes of torch_nested.log around epoch 4)."""
    run = Run("a.log")
    run.feed("\r" + outer(3) + "\n\r" + inner(4, 198) + "\x1b[A\n\r" + inner(4, 200) + "\x1b[A", T0)
    assert run.fraction() == pytest.approx(0.8)
    run.feed("\n\r" + " " * 73 + "\x1b[A", T0 + 1)  # the batch bar erased; validation runs now
    assert run.fraction() == pytest.approx(0.8)
    run.feed("\r" + " " * 53 + "\repoch 4/5 train_loss=0.1599 val_acc=0.9131\n\r" + outer(3) + "\r" + outer(4) + "\n",
             T0 + 60)
    assert run.fraction() == pytest.approx(0.8)
    assert run.snapshot(T0 + 60).epoch.done == 4


def test_a_sub_second_loop_does_not_claim_zero_seconds_left():
    run = Run("a.log")
    run.feed("\rtrain:  30%|###       | 3/10 [00:00<00:00, 13.30it/s]", T0)
    assert run.eta_seconds(T0) is None  # "00:00" of a loop at 30 % says nothing


def test_a_finished_run_over_epochs_says_its_epochs_once():
    run = Run("a.log")
    run.feed("\r" + outer(5) + "\n", T0)
    run.tick(T0 + 120)
    assert count_text(run.snapshot(T0 + 120)) == "ep 5/5"


def test_a_zero_based_epoch_label_is_read_as_such_when_its_zero_was_overwritten_on_screen():
    # A real torch 2.13 + tqdm 4.70 run (tests/data/logs/generate/gen_torch_tqdm_leave_false.py) read
    # mid-run by `status`: the inner bars say "epoch 2" while the epoch bar says 2/4 done. Their
    # "epoch 0" lines never settled, so the label was taken as 1-based: 40 % and ep 2/4 where the
    # dashboard, fed live, said 65 % and ep 3/4.
    from waitbuddy.runs.status import read_once

    log = LOGS / "torch_tqdm_leave_false_midrun.log"
    snapshot = read_once(log).snapshot(0.0)
    assert snapshot.epoch == SnapshotEpoch(2, 4)
    assert snapshot.progress is not None and abs(snapshot.progress.fraction - (2 + 19 / 32) / 4) < 0.01
