"""The classes of log text issue 11 names, each on lines shaped as real code prints them:
metric syntaxes, plans from the head, configuration that is not metrics, phases, plain-word
endings, launcher prefixes, appended runs; and the commands that explain a reading."""

from __future__ import annotations

import json
import math

import pytest

from waitbuddy.runs import formats
from waitbuddy.runs.formats import fields, lifecycle, plan
from waitbuddy.runs.run import Run
from waitbuddy.runs.status import read_once

from .conftest import run_cli

T0 = 1_000_000.0


def fed(text: str, idle: float = 5.0) -> Run:
    run = Run("/tmp/x.log")
    run.feed(text, T0)
    run.decide_idle(idle_seconds=idle)
    return run


def fraction(run: Run) -> float | None:
    return run.snapshot(T0).fraction


@pytest.mark.parametrize(("line", "expected"), fields.SAMPLES, ids=[line[:40] for line, _ in fields.SAMPLES])
def test_metric_syntaxes(line, expected):
    found = fields.pairs(line)
    for name, value in expected.items():
        assert name in found and math.isclose(found[name], value), (name, found)


@pytest.mark.parametrize(("line", "expected"), plan.SAMPLES, ids=[line[:40] for line, _ in plan.SAMPLES])
def test_plans_from_configuration(line, expected):
    assert plan.read(line) == expected


@pytest.mark.parametrize("line", [
    "Namespace(batch_size=128, dataset='cifar100', epochs=80, lr=0.001, momentum=0.9)",
    "hyperparameters: lr0=0.01, lrf=0.01, momentum=0.937, weight_decay=0.0005, warmup_epochs=3.0, box=0.05, cls=0.5",
    "  BASE_LR: 0.02",
    "CUDA_VERSION=12.1 NCCL_DEBUG=INFO OMP_NUM_THREADS=1",
    "TrainConfig(run_name='x', seed=6198, epoch=None, model=ModelConfig(d_model=2048, n_heads=16))",
    "  train_iters ..................................... 20",
])
def test_configuration_is_not_metrics(line):
    found = formats.recognize(line)
    assert found is None or not found.metrics, found


def test_a_plan_at_the_head_gives_the_total_of_a_counter_without_one():
    run = fed("Namespace(epochs=80, lr=0.1)\n" + "".join(f"Epoch {e:03d} loss {1 / e:.4f} | train 2.5s\n" for e in range(1, 21)))
    assert fraction(run) == pytest.approx(20 / 80)
    run = fed("  MAX_ITER: 1000\n[11/18 18:09:59] d2.utils.events INFO:  eta: 0:10:00  iter: 249  total_loss: 0.5\n")
    assert fraction(run) == pytest.approx(0.25)
    assert run.framework == "detectron2"


def test_with_epochs_and_an_in_epoch_count_the_fraction_is_the_whole_runs():
    run = fed("Namespace(epochs=10)\nEpoch: [2]  [ 499/1000]  eta: 0:05:00  loss: 0.5 (0.6)  lr: 0.1\n")
    assert fraction(run) == pytest.approx((2 + 500 / 1000) / 10)


def test_a_run_that_died_while_loading_is_at_zero_not_at_the_loading_bar():
    run = fed("Namespace(epochs=100)\nLoading checkpoint shards: 100%|██████████| 2/2 [00:03<00:00,  1.5s/it]\n"
              "Traceback (most recent call last):\n  File \"train.py\", line 3, in <module>\nValueError: bad\n")
    assert run.status == "failed"
    assert fraction(run) in (0.0, None)


def test_multi_word_names_are_kept_whole():
    run = fed("Epoch 1 Training loss: 0.50 Validation loss: 0.60\nEpoch 1 Task Loss 0.2, KD Loss 0.1\n")
    assert {"training_loss", "validation_loss", "task_loss", "kd_loss"} <= set(run.metrics)


def test_evaluation_lines_do_not_overwrite_training_values_or_drive_progress():
    run = fed("step 100/1000 loss=0.5\nTest: [ 48/50]  Loss: 0.9 (0.95)  Acc@1: 76.1 (75.2)\n")
    assert run.metrics["loss"] == 0.5 and run.metrics["test_loss"] == 0.9
    assert fraction(run) == pytest.approx(0.1)


@pytest.mark.parametrize("ending", [
    "Training finished.", "Training complete", "End of training", "Total training time: 0:10:00",
    "3 epochs completed in 0.004 hours.", "Results saved to runs/train/exp", "done training in 12.5 seconds",
])
def test_plain_word_endings(ending):
    run = fed(f"step 10/100 loss=0.5\n{ending}\n")
    assert run.status == "completed"


def test_an_ending_right_after_a_progress_frame_on_the_same_line():
    assert lifecycle.recognize("Epoch 3: 100%|██| 8/8 [00:01<00:00,  6.1it/s]Training finished").marker is not None


@pytest.mark.parametrize("prefix", ["[rank3]:", "rank0: ", "[default0]:", "gpu-node-01: ", "192.168.1.2: "])
def test_launcher_prefixes_are_read_through(prefix):
    text = "".join(f"{prefix}{line}\n" for line in (
        "step 5/10 loss=0.5", "Traceback (most recent call last):", '  File "train.py", line 3, in <module>',
        "torch.OutOfMemoryError: HIP out of memory. Tried to allocate 2.00 GiB."))
    run = fed(text)
    assert run.status == "failed" and run.error.error_kind == "cuda_oom"
    assert run.metrics["loss"] == 0.5


def test_a_traceback_that_starts_after_a_bar_frame_still_fails_the_run():
    run = fed(" 45%|████▌     | 9/20 [00:09<00:11,  1.0it/s]Traceback (most recent call last):\n"
              '  File "x.py", line 1, in <module>\nRayTaskError(ActorUnavailableError): the actor died\n')
    assert run.status == "failed" and "RayTaskError" in run.error.message


@pytest.mark.parametrize(("line", "status", "kind"), [
    ("[launch.py:341:sigkill_handler] ['python', 'train.py'] exits with return code = 1", "failed", "exit_status"),
    ("  exitcode  : -9 (pid: 14750)", "failed", "killed"),
    ("Error executing job with overrides: ['trainer.max_epochs=3']", "failed", "exception"),
    ("torch.distributed.elastic.multiprocessing.api.SignalException: Process 9724 got signal: 15", "interrupted",
     "terminated"),
])
def test_launcher_failures(line, status, kind):
    run = fed(f"step 5/10 loss=0.5\n{line}\n")
    assert (run.status, run.error.error_kind) == (status, kind)


def test_a_new_start_in_the_same_file_makes_an_earlier_failure_history():
    first = 'step 5/10 loss=0.5\nTraceback (most recent call last):\n  File "t.py", line 1\nValueError: boom\n'
    run = fed(first + "Namespace(epochs=2)\nEpoch 1 loss 0.4\nEpoch 2 loss 0.3\n")
    assert run.status == "completed" and run.error is None
    assert fed(first).status == "failed"


def test_status_explain_names_the_line_and_the_recognizer(tmp_path):
    log = tmp_path / "train.log"
    log.write_text("Namespace(epochs=4, lr=0.1)\nEpoch 001 loss 0.9 | train 2.5s\nEpoch 002 loss 0.7 | train 2.5s\n")
    result = run_cli("status", "--explain", str(log))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "plan      4 epochs" in out and 'line 1: "Namespace(epochs=4, lr=0.1)"' in out
    assert 'loss  0.7  <- line 3: "Epoch 002 loss 0.7 | train 2.5s"  [generic]' in out


def test_status_explain_never_writes_escapes_from_the_log(tmp_path):
    log = tmp_path / "train.log"
    log.write_bytes(b"step 1/10 loss=0.5 \x1b]52;c;ZWNobyBwd25lZA==\x07\x1b[2J\n")
    result = run_cli("status", "--explain", str(log))
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout


def test_formats_test_shows_what_a_user_format_reads(tmp_path):
    log = tmp_path / "train.log"
    log.write_text("".join(f"Epoch {e} loss {1 / e:.3f} | train 2.5s\n" for e in range(1, 9)))
    config = tmp_path / "config.toml"
    config.write_text("[[runs.formats]]\nname = \"mine\"\npattern = '^Epoch (?P<epoch>\\d+) loss (?P<loss>[\\d.]+)'\n"
                      "samples = [\"Epoch 3 loss 0.5 | train 2.5s\"]\n")
    result = run_cli("--config", str(config), "formats", "test", str(log))
    assert result.returncode == 0, result.stderr
    assert "format mine: 8 lines" in result.stdout
    assert 'line 1: "Epoch 1 loss 1.000 | train 2.5s"' in result.stdout and "loss=1" in result.stdout
    assert "... and 3 more" in result.stdout


def test_formats_test_of_a_missing_log_is_one_line(tmp_path):
    result = run_cli("formats", "test", str(tmp_path / "nope.log"))
    assert result.returncode == 1 and "Traceback" not in result.stderr and result.stderr.count("\n") == 1


def test_status_json_has_a_fraction_from_epochs_alone(tmp_path):
    log = tmp_path / "train.log"
    log.write_text("Namespace(epochs=10)\n" + "".join(f"Epoch {e} loss {1 / e:.3f}\n" for e in range(1, 4)))
    result = run_cli("status", "--json", str(log))
    snapshot = json.loads(result.stdout)
    assert snapshot["progress"]["fraction"] == pytest.approx(0.3) and snapshot["progress"]["unit"] == "epoch"


def test_a_utf16_log_reads_like_its_utf8_twin(tmp_path):
    text = "Namespace(epochs=4)\r\n" + "".join(f"Epoch {e} loss {1 / e:.3f}\r\n" for e in range(1, 3))
    utf8, utf16 = tmp_path / "a.log", tmp_path / "b.log"
    utf8.write_bytes(text.encode())
    utf16.write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))
    now = utf8.stat().st_mtime + 5
    one, two = read_once(utf8, now=now).snapshot(now), read_once(utf16, now=now).snapshot(now)
    assert one.metrics == two.metrics and one.progress == two.progress


def test_stable_baselines3_boxes_give_sectioned_metrics_and_timesteps():
    box = ("-----------------------------------------\n| rollout/                |             |\n"
           "|    ep_len_mean          | 31.2        |\n|    ep_rew_mean          | 31.2        |\n"
           "| time/                   |             |\n|    fps                  | 1708        |\n"
           "|    total_timesteps      | 3072        |\n| train/                  |             |\n"
           "|    entropy_loss         | -0.667      |\n|    loss                 | 49.6        |\n"
           "|    value_loss           | 1.02e+02    |\n-----------------------------------------\n")
    run = fed("Namespace(total_timesteps=4096, seed=0)\n" + box)
    assert run.framework == "stable-baselines3"
    assert run.metrics["train/loss"] == 49.6 and run.metrics["rollout/ep_rew_mean"] == 31.2
    assert run.metrics["train/value_loss"] == 102.0 and "time/fps" not in run.metrics
    assert run.headline() == ("train/loss", 49.6)
    assert fraction(run) == pytest.approx(3072 / 4096)
