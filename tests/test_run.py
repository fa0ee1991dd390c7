"""Run: the state of one training run folded from its log text, with explicit clocks.

Every ``now`` here is a number chosen by the test: nothing sleeps and nothing reads the real
clock, so stall and ETA behaviour over "minutes" runs in milliseconds.
"""

from __future__ import annotations

import codecs
import json
import re
from pathlib import Path

import pytest

from waitbuddy.runs import formats
from waitbuddy.runs.run import Run
from waitbuddy.runs.series import HISTORY_POINTS
from waitbuddy.runs.snapshot import SnapshotEpoch, SnapshotError, SnapshotProgress

LOGS = Path(__file__).parent / "data" / "logs"
T0 = 1_700_000_000.0  # 2023-11-14T22:13:20Z

BAR_90 = "  9%|▉         | 90/1000 [00:00<00:09, 97.95it/s]"
BAR_91 = "  9%|▉         | 91/1000 [00:00<00:09, 97.95it/s]"
TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "train.py", line 46, in <module>\n'
    "    main()\n"
    '  File "train.py", line 12, in main\n'
    '    raise ValueError("bad shape")\n'
    "ValueError: bad shape\n"
)
CHAIN_CONTEXT = "During handling of the above exception, another exception occurred:"
CHAIN_CAUSE = "The above exception was the direct cause of the following exception:"
CUDA_OOM = (
    "Traceback (most recent call last):\n"
    '  File "train.py", line 9, in <module>\n'
    "    loss.backward()\n"
    "    ^^^^^^^^^^^^^^^\n"
    "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 20.00 MiB. GPU 0 has a total capacity of "
    "79.15 GiB of which 6.19 MiB is free. Including non-PyTorch memory, this process has 79.14 GiB memory in use.\n"
)
SHELL_KILLED = "runner.sh: line 2: 17706 Killed                  python3 -u loop.py\n"
SLURM_TIME_LIMIT = (
    "slurmstepd: error: *** JOB 42221 ON clr1247 CANCELLED AT 2022-04-14T16:20:46 DUE TO TIME LIMIT ***\n"
)
KERAS_FRAME = "━━━━━━━━━━━━━━━━━━━━ 1s 13ms/step - accuracy: 0.5000 - loss: 0.9000"


def fed(*texts: str, now: float = T0, step: float = 1.0, **kwargs) -> Run:
    """A Run fed ``texts`` one read after another, ``step`` seconds apart."""
    run = Run("/runs/exp1/train.log", **kwargs)
    for index, text in enumerate(texts):
        run.feed(text, now + index * step)
    return run


def keras_frame(done: int, total: int, rest: str = KERAS_FRAME) -> str:
    """A Keras verbose=1 redraw: backspaces over the previous frame, then \\r and the new one."""
    return "\x08" * 80 + f"\r{done:>2}/{total} {rest}"


# --- status machine -----------------------------------------------------------------------------


def test_waiting_before_any_text():
    run = Run("/runs/exp1/train.log", stall_floor=10)
    assert run.status == "waiting"
    assert run.tick(T0 + 10_000) is False  # nothing to stall: it never started
    run.feed("", T0)  # an empty read is not output
    assert run.status == "waiting"
    snapshot = run.snapshot(T0)
    assert snapshot.status == "waiting"
    assert snapshot.elapsed_seconds is None and snapshot.updated_at is None


def test_running_on_first_text():
    run = Run("/runs/exp1/train.log")
    run.feed("loading data\n", T0)
    assert run.status == "running"
    assert run.snapshot(T0 + 5).elapsed_seconds == 5


def test_stalled_after_the_floor_without_output():
    run = fed("step 1/10 loss=0.5\n", stall_floor=60)
    assert run.tick(T0 + 30) is False
    assert run.tick(T0 + 59.9) is False
    assert run.status == "running"
    assert run.tick(T0 + 60) is True
    assert run.status == "stalled"
    assert run.tick(T0 + 120) is False  # already stalled: no second change
    assert run.snapshot(T0 + 60).stall.startswith("no output for 1m")


def test_stall_clears_when_text_arrives():
    run = fed("step 1/10 loss=0.5\n", stall_floor=60)
    run.tick(T0 + 100)
    assert run.status == "stalled"
    run.feed("step 2/10 loss=0.4\n", T0 + 130)
    assert run.status == "running"
    assert run.snapshot(T0 + 130).stall is None
    # The stall clock starts again from the new output.
    assert run.tick(T0 + 189) is False
    assert run.tick(T0 + 190) is True


@pytest.mark.parametrize(("interval", "threshold"), [(100.0, 300.0), (5.0, 60.0)], ids=["slow-run", "fast-run"])
def test_stall_threshold_learns_the_usual_interval(interval, threshold):
    """max(floor, 3 x usual): a run that prints every 100 s is not stalled after 2 minutes."""
    run = Run("/runs/exp1/train.log", stall_floor=60)
    now = T0
    for step in range(1, 21):
        run.feed(f"step {step}/100 loss=0.5\n", now)
        now += interval
    last = now - interval
    assert run.usual_interval() == pytest.approx(interval)
    assert run.stall_threshold() == pytest.approx(threshold)
    assert run.tick(last + threshold - 1) is False
    assert run.status == "running"
    assert run.tick(last + threshold) is True
    assert run.status == "stalled"


def test_stall_message_names_the_idle_time_and_the_usual_interval():
    run = Run("/runs/exp1/train.log", stall_floor=60)
    now = T0
    for step in range(1, 11):
        run.feed(f"step {step}/100 loss=0.5\n", now)
        now += 120
    run.tick(now - 120 + 360)
    assert run.status == "stalled"
    assert run.stall_message == "no output for 6m (usually every 2m)"
    assert run.snapshot(now).stall == run.stall_message


def test_stall_message_without_a_learned_interval():
    run = fed("step 1/10 loss=0.5\n", stall_floor=60)
    run.tick(T0 + 60)
    assert run.stall_message == "no output for 1m"
    assert "usually" not in run.stall_message


# --- completion ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "marker", "framework"),
    [
        ("{'loss': 0.4122, 'grad_norm': 0.5, 'learning_rate': 1e-05, 'epoch': 3.0}\n",
         "{'train_runtime': 12.3, 'train_samples_per_second': 39.0, 'train_loss': 0.41, 'epoch': 3.0}\n",
         "transformers"),
        ("{'loss': '0.4122', 'epoch': '3'}\n",
         "{'train_runtime': '1.043', 'train_samples_per_second': '230.1', 'train_loss': '0.4122', 'epoch': '3'}\n",
         "transformers"),
        ("Epoch 1: 100%|██████████| 20/20 [00:00<00:00, 32.51it/s, v_num=0, train_loss=0.05]\n",
         "`Trainer.fit` stopped: `max_epochs=2` reached.\n", "lightning"),
        ("[LightGBM] [Info] Total Bins 510\n[1]\tvalid_0's l2: 3.5\n[2]\tvalid_0's l2: 2.5\n",
         "Early stopping, best iteration is:\n[2]\tvalid_0's l2: 2.5\n", "lightgbm"),
        ("Epoch 7/20\n" + keras_frame(20, 20) + "\n", "Epoch 7: early stopping\n", "keras"),
        ("0:\tlearn: 6528.48\ttest: 6938.21\tbest: 6938.21 (0)\ttotal: 76.5ms\tremaining: 1m 54s\n",
         "Stopped by overfitting detector  (20 iterations wait)\nShrink model to first 147 iterations.\n", "catboost"),
    ],
    ids=["hf-v4-dict", "hf-v5-dict", "lightning", "lightgbm", "keras", "catboost"],
)
def test_completion_marker(before, marker, framework):
    run = fed(before)
    assert run.status == "running"
    run.feed(marker, T0 + 10)
    assert run.status == "completed"
    assert run.framework == framework
    assert run.eta_seconds(T0 + 10) == 0.0


def test_completion_line_without_newline_is_decided_at_end_of_content():
    run = fed("Epoch 1: 100%|██████████| 20/20 [00:00<00:00, 32.51it/s, v_num=0]\n",
              "`Trainer.fit` stopped: `max_epochs=2` reached.")
    assert run.status == "running"  # the line may still grow
    run.end_of_content(T0 + 5)
    assert run.status == "completed"


def test_exit_zero_completes():
    run = fed("step 3/10 loss=0.5\n")
    run.exited(0, None, T0 + 30)
    assert run.status == "completed"
    snapshot = run.snapshot(T0 + 100)
    assert snapshot.exit_code == 0 and snapshot.error is None
    assert snapshot.elapsed_seconds == 30  # the clock stops at the exit


def test_soft_completion_is_decided_when_the_log_goes_idle():
    bar = "train: 100%|██████████| 40/40 [00:04<00:00,  9.80it/s]"
    run = fed("train:  50%|█████     | 20/40 [00:02<00:02,  9.80it/s]\r" + bar, "\r" + bar + "\n")
    assert run.status == "running"  # a bar at 100 % may be followed by another loop
    run.decide_idle(idle_seconds=5.0)
    assert run.status == "completed"


def test_an_unfinished_bar_that_goes_idle_is_not_completed():
    run = fed("train:  50%|█████     | 20/40 [00:02<00:02,  9.80it/s]", stall_floor=60)
    run.decide_idle(idle_seconds=5.0)
    assert run.status == "running"
    run.decide_idle(idle_seconds=61.0)
    assert run.status == "stalled"


# --- failures -----------------------------------------------------------------------------------


@pytest.mark.parametrize("before", ["step 3/10 loss=0.5\n", " 62%|██████▏   | 37/60 [00:00<00:00, 97.0it/s]"],
                         ids=["after-a-line", "right-after-a-bar-frame"])
def test_traceback_as_the_last_output_fails_at_once(before):
    run = fed(before, TRACEBACK)  # nothing after it: no later line is needed to decide
    assert run.status == "failed"
    assert run.snapshot(T0 + 1).error == SnapshotError("exception", "ValueError: bad shape")


@pytest.mark.parametrize("joiner", [CHAIN_CONTEXT, CHAIN_CAUSE], ids=["context", "cause"])
def test_chained_exception_reports_the_last_exception_and_the_root_cause(joiner):
    text = (
        'Traceback (most recent call last):\n  File "cfg.py", line 3, in load\n    value = table["lr"]\n'
        "KeyError: 'lr'\n\n" + joiner + "\n\n" +
        'Traceback (most recent call last):\n  File "cfg.py", line 5, in load\n'
        '    raise RuntimeError("config broken")\n'
        "RuntimeError: config broken\n"
    )
    run = fed("step 1/10 loss=0.5\n", text)
    assert run.status == "failed"
    assert run.error.error_kind == "exception"
    assert run.error.message.startswith("RuntimeError: config broken")
    assert "root cause: KeyError: 'lr'" in run.error.message


def test_cuda_oom_inside_a_traceback():
    run = fed("step 1/10 loss=0.5\n", CUDA_OOM)
    assert run.status == "failed"
    assert run.error.error_kind == "cuda_oom"
    assert "tried to allocate 20.00 MiB" in run.error.message


@pytest.mark.parametrize(
    ("marker", "kind"), [(SHELL_KILLED, "killed"), ("Killed\n", "killed"), (SLURM_TIME_LIMIT, "slurm_time_limit")],
    ids=["bash-killed", "bare-killed", "slurm-time-limit"],
)
def test_failure_appended_mid_line_after_a_bar_frame(marker, kind):
    """The bar frame and the marker arrive in two reads (the usual live tail)."""
    run = fed(BAR_90 + "\r" + BAR_91, marker)
    assert run.status == "failed"
    assert run.error.error_kind == kind
    if kind == "killed":
        assert "probably out of host memory" in run.error.message


@pytest.mark.parametrize("marker", [SHELL_KILLED, SLURM_TIME_LIMIT], ids=["bash-killed", "slurm-time-limit"])
def test_failure_appended_mid_line_in_the_same_read_as_the_bar_frame(marker):
    run = fed(BAR_90 + "\r" + BAR_91 + marker)  # e.g. read_once of the finished file
    assert run.status == "failed"


def test_real_sigkill_log_read_at_once_is_failed_without_the_wrapper_footer():
    data = (LOGS / "failure_sigkill_bash_wrapper.log").read_bytes()
    assert data.rstrip(b"\n").endswith(b"job finished with status 137")
    cut = data[: data.rindex(b"job finished with status")]
    assert b" Killed " in cut.splitlines()[-1]
    run = fed(cut.decode("utf-8", "replace"))
    assert run.status == "failed"
    assert run.error.error_kind == "killed"


def test_nan_loss_fails_and_recovers_when_the_same_loss_is_finite_again():
    run = fed("step 1/10 loss=0.5\n", "step 2/10 loss=nan\n")
    assert run.status == "failed"
    assert run.error.error_kind == "nan"
    assert "loss" in run.error.message
    run.feed("step 3/10 grad_norm=1.0 acc=0.5\n", T0 + 10)  # another metric being finite is not recovery
    assert run.status == "failed"
    run.feed("step 4/10 loss=0.4\n", T0 + 20)
    assert run.status == "running"
    assert run.error is None


def test_keras_invalid_loss():
    run = fed("Epoch 1/3\n", keras_frame(5, 20), "\nBatch 7: Invalid loss, terminating training\n")
    assert run.status == "failed"
    assert run.error.error_kind == "nan"
    assert "Invalid loss" in run.error.message


@pytest.mark.parametrize(
    "text",
    [
        " 45%|████▌     | 45/100 [00:04<00:05, 10.0it/s]\n"
        'Traceback (most recent call last):\n  File "t.py", line 5, in <module>\n    time.sleep(1)\n'
        "KeyboardInterrupt\n",
        "Epoch 1:  40%|████      | 8/20 [00:01<00:01, 8.0it/s, v_num=0]\n"
        "Detected KeyboardInterrupt, attempting graceful shutdown ...\n",
    ],
    ids=["python", "lightning"],
)
def test_keyboard_interrupt_is_interrupted_not_failed(text):
    run = fed(text)
    assert run.status == "interrupted"
    assert run.error.error_kind == "interrupted"
    assert run.eta_seconds(T0) is None


def test_a_failed_optuna_trial_is_a_warning_not_a_job_failure():
    text = (
        "[I 2026-11-22 12:10:54,114] A new study created in memory with name: demo\n"
        "[I 2026-11-22 12:10:54,121] Trial 4 finished with value: 20.3 and parameters: {'x': 6.5}. "
        "Best is trial 4 with value: 20.3.\n"
        "[W 2026-11-22 12:10:54,137] Trial 5 failed with parameters: {'x': -0.9} because of the following error: "
        "ValueError('x').\n"
        "Traceback (most recent call last):\n"
        '  File "/venv/lib/python3.11/site-packages/optuna/study/_optimize.py", line 201, in _run_trial\n'
        "    value_or_values = func(trial)\n"
        '  File "search.py", line 4, in objective\n'
        '    raise ValueError("x")\n'
        "ValueError: x\n"
    )
    run = fed(text)  # the traceback is the last thing in the log, and still not a failure
    assert run.status == "running"
    assert run.error is None
    assert any("trial 5 failed" in warning for warning in run.warnings)
    run.feed("[W 2026-11-22 12:10:54,138] Trial 5 failed with value None.\n"
             "[I 2026-11-22 12:10:55,001] Trial 6 finished with value: 3.5 and parameters: {'x': 1.0}. "
             "Best is trial 6 with value: 3.5.\n", T0 + 5)
    assert run.status == "running"
    assert run.progress.done == 7 and run.progress.unit == "trial"


def test_handled_traceback_followed_by_clearly_more_progress_returns_to_running():
    handled = (
        "step 10/100 loss=0.5\n"
        'Traceback (most recent call last):\n  File "data.py", line 8, in load\n    open(path)\n'
        "FileNotFoundError: [Errno 2] No such file or directory: 'shard-7'\n"
    )
    run = fed(handled)
    assert run.status == "failed"
    # One or two more steps may be a redraw of the last bar (Lightning does that): not recovery.
    run.feed("step 11/100 loss=0.5\n", T0 + 1)
    run.feed("step 12/100 loss=0.5\n", T0 + 2)
    assert run.status == "failed"
    run.feed("step 13/100 loss=0.5\n", T0 + 3)
    assert run.status == "running"
    assert run.error is None


@pytest.mark.parametrize(
    ("code", "signal", "status", "kind", "words"),
    [
        (1, None, "failed", "exit_status", "status 1"),
        (137, None, "failed", "killed", "probably out of host memory"),
        (-9, None, "failed", "killed", "probably out of host memory"),
        (None, 9, "failed", "killed", "probably out of host memory"),
        (130, None, "interrupted", "interrupted", "SIGINT"),
        (None, 2, "interrupted", "interrupted", "SIGINT"),
        (143, None, "interrupted", "terminated", "SIGTERM"),
        (None, 15, "interrupted", "terminated", "SIGTERM"),
    ],
)
def test_exit_status(code, signal, status, kind, words):
    run = fed("step 3/10 loss=0.5\n")
    run.exited(code, signal, T0 + 10)
    assert run.status == status
    assert run.error.error_kind == kind
    assert words in run.error.message
    snapshot = run.snapshot(T0 + 10)
    assert (snapshot.exit_code, snapshot.exit_signal) == (code, signal)


def test_exit_status_keeps_the_more_specific_traceback_message():
    run = fed("step 3/10 loss=0.5\n", TRACEBACK)
    run.exited(1, None, T0 + 10)
    assert run.status == "failed"
    assert run.error.error_kind == "exception"
    assert run.error.message == "ValueError: bad shape"
    assert run.exit_code == 1


def test_no_recovery_after_the_process_exited():
    run = fed("step 10/100 loss=0.5\n", TRACEBACK)
    run.exited(1, None, T0 + 5)
    run.feed("step 20/100 loss=0.5\n", T0 + 6)  # late bytes of a dead writer
    assert run.status == "failed"


def test_unknown_exit_after_a_finished_bar_is_completed():
    run = fed("train: 100%|██████████| 40/40 [00:04<00:00,  9.80it/s]\n")
    run.exited(None, None, T0 + 10)
    assert run.status == "completed"


def test_unknown_exit_midway_is_not_reported_as_completed():
    run = fed("train:  45%|████▌     | 18/40 [00:02<00:02,  9.80it/s]")
    run.exited(None, None, T0 + 10)
    assert run.status in ("failed", "interrupted")


# --- progress -----------------------------------------------------------------------------------


def test_nested_keras_loops_give_the_whole_run_fraction():
    run = fed("Epoch 1/3\n", keras_frame(20, 20) + "\n", "Epoch 2/3\n", keras_frame(5, 20), keras_frame(10, 20))
    assert run.framework == "keras"
    assert run.fraction() == pytest.approx((1 + 0.5) / 3)
    snapshot = run.snapshot(T0 + 5)
    assert snapshot.epoch == SnapshotEpoch(1, 3)
    assert snapshot.progress == SnapshotProgress("step", 10, 20, 0.5)


def test_hf_global_bar_fraction_is_step_over_total_whatever_the_epoch():
    clear = "\r" + " " * 50 + "\r"
    run = fed(
        "[transformers] ***** Running training *****\n[transformers]   Num Epochs = 3\n"
        "[transformers]   Total optimization steps = 300\n",
        "\r 50%|█████     | 150/300 [00:10<00:10, 15.00it/s]" + clear +
        "{'loss': '0.5', 'grad_norm': '1.0', 'learning_rate': '1e-05', 'epoch': '1.5'}\n",
        "\r 50%|█████     | 150/300 [00:10<00:10, 15.00it/s]\r 67%|██████▋   | 200/300 [00:13<00:06, 15.00it/s]",
    )
    assert run.framework == "transformers"
    assert run.fraction() == pytest.approx(200 / 300)
    assert run.snapshot(T0 + 3).progress.unit == "step"


def test_sklearn_fits_are_counted_from_end_lines():
    run = fed("Fitting 3 folds for each of 2 candidates, totalling 6 fits\n")
    assert run.fraction() == 0.0
    for fit in range(6):
        where = f"[CV {fit % 3 + 1}/3; {fit // 3 + 1}/2]"
        run.feed(f"{where} START C={fit // 3}...........................\n", T0 + 1 + fit)
        run.feed(f"{where} END ........C={fit // 3};, score=0.9{fit} total time=   0.1s\n", T0 + 1.5 + fit)
        assert run.progress.done == fit + 1  # START lines do not count
    assert run.snapshot(T0 + 10).progress == SnapshotProgress("fit", 6, 6, 1.0)
    assert run.framework == "sklearn"
    assert run.metrics["score"] == pytest.approx(0.95)


@pytest.mark.parametrize(
    "text",
    ["batches: 15it [00:00, 48.88it/s]", "[0]\ttrain-rmse:172.06904\teval-rmse:191.35603\n",
     "      5/Unknown 0s 60ms/step - loss: 0.2000", "iteration 15 loss=0.3\n"],
    ids=["tqdm", "xgboost", "keras", "plain"],
)
def test_unknown_totals_give_no_fraction(text):
    run = fed(text)
    assert run.fraction() is None
    assert run.eta_seconds(T0 + 100) is None


# --- ETA ----------------------------------------------------------------------------------------


def simulate(total: int, *, until: int, rate=lambda t: 1.0, every: float = 5.0, pause_at: int | None = None,
             pause: float = 0.0):
    """Feed ``step N/total`` lines every ``every`` simulated seconds; steps per second by ``rate(t)``;
    an optional pause (validation) after step ``pause_at``. Yields (run, now, step) after each line."""
    run = Run("/runs/exp1/train.log")
    now, step = T0, 0.0
    run.feed("starting\n", now)
    while step < until:
        step += rate(now - T0) * every
        now += every
        run.feed(f"step {int(step)}/{total} loss=0.5\n", now)
        yield run, now, int(step)
        if pause_at is not None and int(step) == pause_at:
            now += pause


def test_eta_at_a_steady_rate_is_close_to_the_truth():
    checked = 0
    for run, now, step in simulate(1000, until=900):
        if now - T0 >= 120:  # after two minutes of history
            truth = 1000 - step  # one step per second
            assert run.eta_seconds(now) == pytest.approx(truth, rel=0.10), step
            checked += 1
    assert checked > 100


def test_eta_survives_a_validation_pause_in_the_middle():
    worst = 1.0
    for run, now, step in simulate(1800, until=1600, pause_at=900, pause=180.0):
        if step > 900:
            ratio = run.eta_seconds(now) / (1800 - step)
            worst = max(worst, ratio, 1 / ratio)
    assert worst <= 1.3


def test_eta_right_before_a_validation_pause_is_right():
    # The passing half of the pause story: up to the pause, and long after it, the ETA is good.
    for run, now, step in simulate(1800, until=1700, pause_at=900, pause=180.0):
        if 120 <= now - T0 <= 900 or now - T0 >= 1500:
            assert run.eta_seconds(now) == pytest.approx(1800 - step, rel=0.10), step


def test_slow_first_minute_does_not_dominate_the_eta():
    def rate(elapsed):
        return 0.1 if elapsed < 60 else 1.0  # warm-up (compilation, caches) at a tenth of the speed

    checked = 0
    for run, now, step in simulate(1000, until=900, rate=rate):
        if now - T0 >= 180:
            truth = 1000 - step
            # The overall average would be off by 40 % at 3 minutes and 20 % at 5 minutes.
            assert run.eta_seconds(now) == pytest.approx(truth, rel=0.10), step
            checked += 1
    assert checked > 100


def test_eta_uses_the_framework_remaining_time_when_nothing_else_is_known():
    run = fed(" 20%|██        | 10/50 [00:10<00:40,  1.00it/s]")
    assert run.eta_seconds(T0) == pytest.approx(40.0)
    assert run.snapshot(T0).eta_seconds == 40.0


@pytest.mark.parametrize(
    ("texts", "truth"),
    [
        # Keras 'Epoch 2/3' at 5/20 with 15 s left in the epoch (1 s/step): this epoch plus one more.
        (("Epoch 2/3\n", keras_frame(5, 20, "━━━━━━━━━━━━━━━━━━━━ 15s 1s/step - loss: 0.9000")), 15 + 20),
        # tqdm in the third of ten epochs, 6 s left of a 10 s epoch: this epoch plus seven more.
        (("Epoch 3/10:  40%|████      | 4/10 [00:04<00:06,  1.00it/s, loss=0.3]",), 6 + 7 * 10),
    ],
    ids=["keras", "tqdm-epochs"],
)
def test_framework_eta_of_a_per_epoch_loop_covers_the_remaining_epochs(texts, truth):
    run = fed(*texts)
    assert run.progress.remaining_seconds is not None
    assert run.eta_seconds(T0 + 1) == pytest.approx(truth, rel=0.1)


def test_eta_is_zero_when_completed_and_none_when_failed():
    assert fed("step 5/10 loss=0.5\n", "`Trainer.fit` stopped: `max_epochs=1` reached.\n").eta_seconds(T0) == 0.0
    assert fed("step 5/10 loss=0.5\n", TRACEBACK).eta_seconds(T0) is None
    assert Run("/runs/exp1/train.log").eta_seconds(T0) is None


# --- metrics ------------------------------------------------------------------------------------


def test_last_and_best_metrics():
    run = fed("step 1/10 loss=0.5 acc=0.7\n", "step 2/10 loss=0.3 acc=0.9\n", "step 3/10 loss=0.4 acc=0.8\n")
    assert run.metrics == {"loss": 0.4, "acc": 0.8}
    assert run.best == {"loss": 0.3, "acc": 0.9}  # min for losses, max for accuracy
    snapshot = run.snapshot(T0 + 3)
    assert snapshot.metrics == {"loss": 0.4, "acc": 0.8}
    assert snapshot.best == {"loss": 0.3, "acc": 0.9}


def test_a_non_finite_value_is_never_the_best():
    run = fed("step 1/10 loss=0.5 acc=0.7\n", "step 2/10 loss=-inf acc=inf\n")
    assert run.best == {"loss": 0.5, "acc": 0.7}
    assert run.snapshot(T0).metrics == {"loss": "-inf", "acc": "inf"}


def test_metric_history_is_bounded_and_spans_the_whole_run():
    run = Run("/runs/exp1/train.log")
    lines = [f"step {step}/10000 loss={1 / (step + 1):.6f}\n" for step in range(1, 10_001)]
    for start in range(0, len(lines), 100):
        run.feed("".join(lines[start : start + 100]), T0 + start)
    points = run.history["loss"].points
    assert 100 <= len(points) <= HISTORY_POINTS
    xs = [x for x, _ in points]
    assert xs == sorted(xs)
    assert xs[0] <= 100  # still starts at the beginning ...
    assert xs[-1] >= 9_900  # ... and reaches the end
    assert points[0][1] == pytest.approx(0.5)


def test_hostile_metric_names_from_json_lines_are_sanitized():
    hostile = {
        "step": 3,
        "\x1b]0;owned\x07\x1b[31mloss": 0.5,  # OSC title + SGR colour
        "acc\u202e\u2066uracy": 0.9,  # bidi overrides
        "lr\x9b2J\x00\x7f": 0.001,  # C1 CSI, NUL, DEL
        "x" * 500: 1.0,  # enormous
    }
    run = fed(json.dumps(hostile) + "\n")
    assert run.metrics, "the JSON line was not read"
    for name in run.snapshot(T0).metrics:
        assert not re.search("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", name), repr(name)
        assert len(name) <= 64
    assert run.metrics.get("loss") == 0.5
    json.dumps(run.snapshot(T0).to_json(), allow_nan=False)


# --- reset, snapshot ----------------------------------------------------------------------------


def test_reset_starts_the_run_over():
    run = fed("step 5/10 loss=0.5 acc=0.9\n", TRACEBACK)
    assert run.status == "failed"
    run.reset(T0 + 100)
    assert run.status == "waiting"
    assert (run.metrics, run.best, run.error, run.progress) == ({}, {}, None, None)
    assert run.name == "exp1/train" and run.path == "/runs/exp1/train.log"
    run.feed("step 1/20 loss=2.0\n", T0 + 110)
    assert run.status == "running"
    assert run.metrics == {"loss": 2.0}
    snapshot = run.snapshot(T0 + 120)
    assert snapshot.progress.total == 20 and snapshot.error is None
    assert snapshot.elapsed_seconds == 20  # counted from the reset


SNAPSHOT_KEYS = {"path", "name", "status", "framework", "progress", "epoch", "eta_seconds", "elapsed_seconds",
                 "metrics", "error", "updated_at"}


def test_snapshot_has_the_documented_keys():
    run = fed("Epoch 2/3\n", keras_frame(10, 20), step=60.0)
    snapshot = run.snapshot(T0 + 90)
    data = snapshot.to_json()
    assert SNAPSHOT_KEYS <= set(data)
    assert set(data["progress"]) == {"unit", "done", "total", "fraction"}
    assert set(data["epoch"]) == {"done", "total"}
    assert snapshot.error is None
    assert snapshot.path == "/runs/exp1/train.log" and snapshot.name == "exp1/train"
    assert snapshot.updated_at == "2023-11-14T22:14:20Z"  # the last new bytes, ISO 8601 UTC
    assert snapshot.elapsed_seconds == 90
    failed = fed("step 1/2\n", TRACEBACK).snapshot(T0)
    assert set(failed.to_json()["error"]) == {"kind", "message"}


def test_snapshot_is_strict_json_even_with_nan_metrics():
    run = fed("step 1/10 loss=0.5\n", "step 2/10 loss=nan grad_norm=inf acc=-inf\n",
              "{'loss': nan, 'grad_norm': nan, 'epoch': 0.2}\n")
    snapshot = run.snapshot(T0 + 10)
    text = json.dumps(snapshot.to_json(), allow_nan=False)
    assert json.loads(text)["metrics"]["loss"] == "nan"
    assert snapshot.status == "failed"


@pytest.mark.parametrize(
    "line",
    ['{"epoch": NaN, "loss": 1.0}', '{"epoch": Infinity, "loss": 1.0}', '{"step": 5, "max_steps": NaN, "loss": 1.0}'],
    ids=["nan-epoch", "inf-epoch", "nan-total"],
)
def test_snapshot_is_strict_json_with_non_finite_counters(line):
    run = fed(line + "\n")
    json.dumps(run.snapshot(T0).to_json(), allow_nan=False)


# --- chunking -----------------------------------------------------------------------------------

REPRESENTATIVE = ["keras_verbose1.log", "hf_trainer_5.23.0_info.log", "failure_traceback.log"]


def feed_log(path: Path, size: int) -> Run:
    data = path.read_bytes()
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    run = Run(str(path))
    for start in range(0, len(data), size):
        run.feed(decoder.decode(data[start : start + size]), T0)
    run.feed(decoder.decode(b"", final=True), T0)
    run.end_of_content(T0)
    return run


def printed_values(path: Path) -> dict[str, set[float]]:
    """Every metric value any single frame of the log shows (frames split at \r, \b and \n)."""
    values: dict[str, set[float]] = {}
    text = path.read_bytes().decode("utf-8", "replace")
    for frame in re.split(r"[\r\n\x08]+", re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)):
        if (found := formats.recognize(frame)) is not None:
            for name, value in found.metrics.items():
                values.setdefault(name, set()).add(value)
    return values


@pytest.mark.parametrize("name", REPRESENTATIVE)
def test_one_byte_chunks_reach_the_same_snapshot(name):
    """Reads that cut the bytes anywhere (inside a number, a UTF-8 character, an escape) end in
    the same snapshot as one big read. Only ``best`` may differ: a live tail sees frames that one
    big read collapses (Keras' first batch at accuracy 1.0), but each best must be a printed value."""
    whole = feed_log(LOGS / name, 1 << 30).snapshot(T0).to_json()
    bytewise = feed_log(LOGS / name, 1).snapshot(T0).to_json()
    ignored = ("updated_at", "elapsed_seconds", "best")
    assert {key: value for key, value in bytewise.items() if key not in ignored} == {
        key: value for key, value in whole.items() if key not in ignored}
    assert set(bytewise["best"]) == set(whole["best"])
    printed = printed_values(LOGS / name)
    for metric, value in bytewise["best"].items():
        assert value in printed[metric], (metric, value)  # never half a number ("0." of "0.0989")


@pytest.mark.parametrize(
    ("first", "second", "best"),
    [("step 1/10 loss=0.5123\nstep 2/10 loss=0.", "4987\n", 0.4987),
     ("Epoch 1/2\n" + keras_frame(5, 20, "━━━━━━━━━━━━━━━━━━━━ 1s 13ms/step - loss: 0."), "9000\n", 0.9)],
    ids=["print", "keras"],
)
def test_a_number_cut_by_a_read_boundary_is_not_a_best_value(first, second, best):
    # A block-buffered stdout is flushed every 8 KiB, wherever that falls in a line.
    run = fed(first, second)
    assert run.best["loss"] == pytest.approx(best)
    assert all(value != 0.0 for _, value in run.history["loss"].points)


def test_a_half_redrawn_tqdm_frame_adds_no_metric():
    """tqdm draws a frame over the previous one: until it is whole, the row is the new frame's
    start plus the old frame's end, and that row ends in "]" as a whole frame does."""
    old = "train:   8%|▊         | 5/60 [00:00<00:01, 44.28it/s, loss=2.4053]"
    new = "\rtrain:  17%|█▋        | 10/60 [00:00<00:01, 44.28it/s, loss=0.9071]"
    run = fed(old)
    for character in new:  # the bytes as a writer flushing mid-frame would leave them
        run.feed(character, T0 + 1)
    assert set(run.metrics) == {"loss"}
    assert run.metrics["loss"] == 0.9071
    assert {value for _, value in run.history["loss"].points} <= {2.4053, 0.9071}
    assert "loss" not in run.best  # best values come from settled lines: the same for any chunking
    run.end_of_content(T0 + 2)  # the last frame settles with the log's end
    assert run.best["loss"] == 0.9071


def test_a_total_cut_by_a_read_boundary_does_not_complete_the_run():
    run = fed("step 4/100 loss=0.5\nstep 5/1", "00 loss=0.5\n", *(f"step {n}/100 loss=0.5\n" for n in range(6, 40)),
              stall_floor=60)
    run.decide_idle(idle_seconds=5.0)  # e.g. `waitbuddy status` on a job that died without a word
    assert run.status == "running"


def test_an_earlier_finished_bar_does_not_complete_an_unfinished_run():
    run = fed("loading: 100%|██████████| 10/10 [00:01<00:00,  9.00it/s]\n",
              "train:   6%|▌         | 6/100 [00:06<01:34,  1.00it/s]", stall_floor=60)
    run.decide_idle(idle_seconds=5.0)
    assert run.status == "running"


def test_a_half_written_traceback_line_names_no_framework():
    run = fed('Traceback (most recent call last):\n  File "cv.py", line 3, in <module>\n'
              "    lgb.cv(params, nfold=3, seed=0",
              ")\nValueError: Supported target types are: ('binary', 'multiclass').\n")
    assert run.status == "failed"
    assert run.framework is None


def test_detectron2_without_its_config_dump_still_has_the_eta_it_prints():
    # A real detectron2 balloon fine-tune (a public tutorial's log, lines as printed): the head is
    # the model dump with no SOLVER.MAX_ITER, so the total is unknown; d2's own eta is the whole
    # run's time left, and the planner and the status line need an ETA to work with.
    lines = (
        "[09/02 02:37:00 d2.engine.train_loop]: Starting training from iteration 0\n"
        "[09/02 02:39:28 d2.utils.events]:  eta: 0:03:38  iter: 119  total_loss: 1.109  loss_cls: 0.2311  "
        "loss_box_reg: 0.6267  loss_mask: 0.2242  loss_rpn_cls: 0.02953  loss_rpn_loc: 0.008072  time: 1.2322  "
        "data_time: 0.0107  lr: 9.9318e-05  max_mem: 2849M\n"
        "[09/02 02:39:54 d2.utils.events]:  eta: 0:03:16  iter: 139  total_loss: 0.9988  loss_cls: 0.1825  "
        "loss_box_reg: 0.6019  loss_mask: 0.1691  loss_rpn_cls: 0.01221  loss_rpn_loc: 0.005634  time: 1.2383  "
        "data_time: 0.0090  lr: 0.00011597  max_mem: 2849M\n"
    )
    snapshot = fed(lines).snapshot(T0 + 1)
    assert (snapshot.framework, snapshot.status) == ("detectron2", "running")
    assert snapshot.progress == SnapshotProgress(unit="iteration", done=140, total=None, fraction=None)
    assert snapshot.eta_seconds == 196.0
