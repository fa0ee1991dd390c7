"""The watcher following Slurm jobs on a real single-node cluster (tests/slurm_cluster.py): real
sbatch, squeue and scancel, real output files, one real Watcher for every job.

The whole scenario runs once (module-scoped fixture): every job is submitted at the start, the
one with a 1-minute time limit first (it alone takes 60-95 s: Slurm's shortest limit is a minute
and the controller checks limits on a ~30 s pass), and one Watcher polls Slurm every few seconds
(60 s in real use; the config's minimum is 30 s, the Watcher's argument has none). The CLI's
`run --sbatch` and `watch --slurm` run as subprocesses meanwhile, with their own data dirs.

The test node has as few as 2 CPUs: the time-limit job holds one the whole time, so the others
queue for the second one; everything is waited for by condition, with a deadline.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.slurm_cluster import Cluster, slurm_cluster  # noqa: F401  (the fixture)
from waitbuddy.runs.run import ENDED
from waitbuddy.runs.slurm_poll import submit
from waitbuddy.runs.snapshot import RunSnapshot
from waitbuddy.runs.watcher import Watcher

INTERVAL = 3.0  # the watcher's Slurm poll interval here
SCENARIO_TIMEOUT = 200.0
TRACEBACK = ('Traceback (most recent call last):\n  File "train.py", line 12, in <module>\n    main()\n'
             "ValueError: boom\n")
# What must not leak from the developer's session into a CLI subprocess that raises alerts.
ALERT_ENV = ("TMUX", "TMUX_PANE", "DBUS_SESSION_BUS_ADDRESS", "KITTY_WINDOW_ID", "WT_SESSION", "TERM_PROGRAM",
             "WAITBUDDY_NTFY_TOPIC", "WAITBUDDY_WEBHOOK_URL", "WAITBUDDY_CONFIG", "WAITBUDDY_DATA_DIR")


def _script(directory: Path, name: str, body: str) -> str:
    path = directory / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return str(path)


class Cli:
    """`python -m waitbuddy ARGS` in the background, with its own HOME, config and data dir."""

    def __init__(self, cluster: Cluster, root: Path, *args: str) -> None:
        root.mkdir(parents=True)
        (root / "home").mkdir()
        self.config = root / "config.toml"
        self.config.write_text("[runs]\nslurm_poll_seconds = 30\n")
        env = {name: value for name, value in cluster.env.items() if name not in ALERT_ENV}
        self.env = {**env, "HOME": str(root / "home"), "XDG_CONFIG_HOME": str(root / "home" / ".config"),
                    "XDG_DATA_HOME": str(root / "home" / ".local" / "share"), "WAITBUDDY_CONFIG": str(self.config),
                    "WAITBUDDY_DATA_DIR": str(root / "data")}
        self.root = root
        # A session of its own: no controlling terminal for its alerts to write to.
        self.process = subprocess.Popen([sys.executable, "-m", "waitbuddy", *args], cwd=root, env=self.env,
                                        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True, start_new_session=True)
        self.result: tuple[int, str, str] | None = None

    def done(self) -> bool:
        return self.process.poll() is not None

    def finish(self, timeout: float = 10.0) -> tuple[int, str, str]:
        if self.result is None:
            try:
                out, err = self.process.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                out, err = self.process.communicate()
            self.result = (self.process.returncode, out, err)
        return self.result

    def again(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Another command against the same data dir, in the foreground."""
        return subprocess.run([sys.executable, "-m", "waitbuddy", *args], check=False, cwd=self.root,
                              env=self.env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def scenario(slurm_cluster: Cluster, tmp_path_factory: pytest.TempPathFactory):  # noqa: F811
    cluster = slurm_cluster
    work = tmp_path_factory.mktemp("watched")
    linked_dir = tmp_path_factory.mktemp("linked")
    cli_root = tmp_path_factory.mktemp("cli")

    def sbatch(name: str, body: str, *args: str, chdir: Path = work) -> str:
        return submit(_script(work, f"{name}.sh", body), [f"--chdir={chdir}", f"--job-name={name}", *args],
                      env=cluster.env).job_id

    with pytest.MonkeyPatch.context() as patch:
        # The watcher's Poller reads the process's environment when it runs squeue.
        patch.setenv("SLURM_CONF", cluster.env["SLURM_CONF"])
        patch.setenv("PATH", cluster.env["PATH"])
        ids = {"timeout": sbatch("forever", "echo start; sleep 600", "--time=1")}  # the long pole: first
        ids["progress"] = sbatch("progress", 'for i in $(seq 1 5); do echo "step $i/5 loss=0.$i"; sleep 1; done')
        ids["cancel"] = sbatch("cancelme", 'echo "step 1/100 loss=0.9"; sleep 600')
        ids["traceback"] = sbatch("crash", f"echo 'step 1/5 loss=0.1'; cat <<'EOF'\n{TRACEBACK}EOF\nexit 3")
        ids["exit3"] = sbatch("plain", "echo 'step 1/5 loss=0.1'; exit 3")
        ids["array"] = sbatch("arr", 'echo "task $SLURM_ARRAY_TASK_ID step 1/1"', "--array=0-2")
        ids["held"] = sbatch("held", "echo 'step 1/1 loss=0.1'", "--hold")
        # Default output (slurm-<id>.out) in a directory of its own, found by a glob, not by its id.
        # Its log alone says it completed; Slurm says it exited with 3.
        ids["linked"] = sbatch("linked", "echo 'step 5/5 loss=0.5'; echo 'Training complete'; exit 3",
                               chdir=linked_dir)
        cli = {
            "unknown": Cli(cluster, cli_root / "unknown", "watch", "--slurm", "999999", "--json"),
            "ok": Cli(cluster, cli_root / "ok", "run", "--sbatch", _script(work, "cli_ok.sh", "echo 'step 1/1'"),
                      "--", f"--chdir={cli_root / 'ok'}", "--job-name=cli_ok"),
            "fail": Cli(cluster, cli_root / "fail", "run", "--sbatch",
                        _script(work, "cli_fail.sh", "echo 'step 1/2 loss=0.5'; exit 3"),
                        "--", f"--chdir={cli_root / 'fail'}", "--job-name=cli_fail"),
            # Its log says it completed, then the job fails: Slurm's verdict must decide the exit.
            "late_fail": Cli(cluster, cli_root / "late_fail", "run", "--sbatch",
                             _script(work, "cli_late.sh", "echo 'step 5/5 loss=0.5'; echo 'Training complete'; "
                                                          "sleep 8; exit 3"),
                             "--", f"--chdir={cli_root / 'late_fail'}", "--job-name=cli_late"),
        }
        history: list[RunSnapshot] = []
        watcher = Watcher([f"slurm:{ids[name]}" for name in ids if name != "linked"] + [f"{linked_dir}/slurm-*.out"],
                          on_snapshots=history.extend, slurm_poll_seconds=INTERVAL)
        expected = {  # the log of each run, by scenario
            "timeout": [work / f"slurm-{ids['timeout']}.out"],
            "progress": [work / f"slurm-{ids['progress']}.out"],
            "cancel": [work / f"slurm-{ids['cancel']}.out"],
            "traceback": [work / f"slurm-{ids['traceback']}.out"],
            "exit3": [work / f"slurm-{ids['exit3']}.out"],
            "array": [work / f"slurm-{ids['array']}_{task}.out" for task in range(3)],
            "held": [work / f"slurm-{ids['held']}.out"],
            "linked": [linked_dir / f"slurm-{ids['linked']}.out"],
        }
        paths = {str(path) for group in expected.values() for path in group}
        cancelled_at = held_seen = released_at = None
        started = time.monotonic()
        watcher.start()
        try:
            while True:
                now = time.monotonic()
                runs = {snapshot.path: snapshot for snapshot in watcher.snapshots()}
                assert now - started < SCENARIO_TIMEOUT, (
                    {name: process.done() for name, process in cli.items()},
                    {name: [(runs[str(p)].status, runs[str(p)].note) if str(p) in runs else None for p in group]
                     for name, group in expected.items()}, cluster.run("squeue", "--states=all", check=False).stdout)
                cancel = runs.get(str(expected["cancel"][0]))
                if cancelled_at is None and cancel is not None and cancel.status == "running":
                    cluster.run("scancel", ids["cancel"])
                    cancelled_at = now
                held = runs.get(str(expected["held"][0]))
                if held_seen is None and held is not None and (held.note or "").startswith("waiting:"):
                    held_seen = held
                    cluster.run("scontrol", "release", ids["held"])
                    released_at = now
                # Done when Slurm has said each job ended (a log's own last line may end its run
                # earlier: "DUE TO TIME LIMIT", "Training complete"), and every command returned.
                if paths <= set(runs) and all(runs[path].status in ENDED and _told_ended(watcher, path)
                                              for path in paths) and all(process.done() for process in cli.values()):
                    break
                time.sleep(0.2)
            elapsed = time.monotonic() - started
            queries = watcher.slurm.poller.queries
        finally:
            watcher.stop()  # the engine thread is done: what it last applied is in the snapshots
            # After a failure, no job of ours may hold the session's cluster (ended ones: no-op).
            cluster.run("scancel", *ids.values(), check=False)
            for process in cli.values():
                process.finish(timeout=0.1 if not process.done() else 10)
        runs = {snapshot.path: snapshot for snapshot in watcher.snapshots()}
    return {"ids": ids, "runs": runs, "expected": expected, "history": history, "elapsed": elapsed,
            "queries": queries, "held": held_seen, "cancelled_at": cancelled_at, "released_at": released_at,
            "cli": cli, "cluster": cluster}


def _told_ended(watcher: Watcher, path: str) -> bool:
    followed = watcher.followed.get(path)
    return followed is not None and followed.job_state is not None and followed.job_state.ended


def _run(scenario, name: str, index: int = 0) -> RunSnapshot:
    return scenario["runs"][str(scenario["expected"][name][index])]


def test_a_job_that_completes_shows_its_progress(scenario):
    run = _run(scenario, "progress")
    assert run.status == "completed"
    assert run.name == f"progress {scenario['ids']['progress']}"
    assert (run.progress.unit, run.progress.done, run.progress.total) == ("step", 5, 5)
    assert run.metrics.get("loss") == 0.5
    assert run.error is None
    assert run.exit_code == 0
    assert run.started_at and run.ended_at
    # It was seen running before it completed, with its progress read as it went.
    mine = [snapshot for snapshot in scenario["history"] if snapshot.path == run.path]
    assert any(snapshot.status == "running" and snapshot.progress and snapshot.progress.done < 5 for snapshot in mine)


def test_a_traceback_is_kept_as_the_reason_over_the_exit_code(scenario):
    run = _run(scenario, "traceback")
    assert run.status == "failed"
    assert run.error.kind == "exception"
    assert "ValueError: boom" in run.error.message
    assert run.exit_code == 3


def test_exit_3_without_a_traceback_fails_with_its_code(scenario):
    run = _run(scenario, "exit3")
    assert run.status == "failed"
    assert (run.error.kind, run.error.message) == ("exit_status", "exit code 3")
    assert run.exit_code == 3
    assert run.name == f"plain {scenario['ids']['exit3']}"


def test_a_cancelled_job_is_interrupted(scenario):
    run = _run(scenario, "cancel")
    assert scenario["cancelled_at"] is not None  # it was seen running, then cancelled
    assert run.status == "interrupted"
    assert run.error.kind == "slurm_cancelled"
    assert run.error.message.startswith("cancelled")
    assert run.progress.done == 1  # what it printed before


def test_a_time_limit_fails_the_run(scenario):
    run = _run(scenario, "timeout")
    assert run.status == "failed"
    assert (run.error.kind, run.error.message) == ("slurm_time_limit", "Slurm time limit reached (1m)")
    assert "DUE TO TIME LIMIT" in Path(run.path).read_text()  # slurmstepd's line, in the log the run read
    assert run.elapsed_seconds is not None and run.elapsed_seconds >= 59


def test_an_array_has_one_run_per_task(scenario):
    array_id = scenario["ids"]["array"]
    runs = [run for run in scenario["runs"].values() if run.name.startswith("arr ")]
    assert sorted(run.name for run in runs) == [f"arr {array_id}_{task}" for task in range(3)]
    for task in range(3):
        run = _run(scenario, "array", task)
        assert run.name == f"arr {array_id}_{task}"
        assert run.status == "completed", run
        assert Path(run.path).read_text() == f"task {task} step 1/1\n"
    # No run for the pending tasks' row (its file is not known) nor the misnamed slurm-<own id>.out.
    assert all(run.path in {str(p) for group in scenario["expected"].values() for p in group}
               for run in scenario["runs"].values())


def test_a_held_job_waits_with_the_schedulers_reason(scenario):
    held = scenario["held"]
    assert held is not None, "the held job was never shown waiting"
    assert held.status == "waiting"
    assert held.note == "waiting: JobHeldUser"
    # Released, it ran and completed; its note is gone.
    run = _run(scenario, "held")
    assert run.status == "completed"
    assert run.note is None or not run.note.startswith("waiting")


def test_a_glob_links_slurm_logs_to_their_job(scenario):
    run = _run(scenario, "linked")
    # The log alone reads as completed (5/5, "Training complete"): the scheduler's exit 3 wins.
    assert run.progress.done == 5
    assert run.status == "failed"
    assert (run.error.kind, run.error.message) == ("exit_status", "exit code 3")
    assert run.exit_code == 3


def test_one_squeue_per_interval(scenario):
    """One batched squeue per interval for every job; no accounting queries (the controller keeps
    ended jobs for an hour here, MinJobAge=3600), nothing once every job has ended."""
    elapsed, queries = scenario["elapsed"], scenario["queries"]
    assert 3 <= queries <= math.ceil(elapsed / INTERVAL) + 1, (queries, elapsed)


def test_watch_refuses_an_unknown_job(scenario):
    code, out, err = scenario["cli"]["unknown"].finish()
    assert code == 1, (out, err)
    assert "Slurm job 999999: no such job" in err
    assert out == ""


def test_run_sbatch_exits_0_when_the_job_completes(scenario):
    cli = scenario["cli"]["ok"]
    code, out, err = cli.finish()
    assert code == 0, (out, err)
    assert re.search(r"submitted Slurm job \d+", out + err)
    # The watch is stored, and the run's end with it: `status` shows it from the data dir.
    assert "slurm:" in cli.again("unwatch").stdout
    status = [json.loads(line) for line in cli.again("status", "--json").stdout.splitlines()]
    assert [(row["name"].split()[0], row["status"]) for row in status] == [("cli_ok", "completed")]


def test_run_sbatch_exits_1_when_the_job_fails(scenario):
    cli = scenario["cli"]["fail"]
    code, out, err = cli.finish()
    assert code == 1, (out, err)
    job_id = re.search(r"submitted Slurm job (\d+)", out + err).group(1)
    status = [json.loads(line) for line in cli.again("status", "--json").stdout.splitlines()]
    assert len(status) == 1, status
    row = status[0]
    assert row["name"] == f"cli_fail {job_id}"
    assert row["status"] == "failed"
    assert row["exit_code"] == 3
    assert row["path"] == str(cli.root / f"slurm-{job_id}.out")


def test_run_sbatch_waits_for_slurms_verdict_not_the_log(scenario):
    code, out, err = scenario["cli"]["late_fail"].finish()
    assert code == 1, (out, err)
