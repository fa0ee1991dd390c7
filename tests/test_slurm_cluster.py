"""Against a real single-node Slurm (tests/slurm_cluster.py): jobs that complete, fail with exit 3,
are cancelled, hit a 1-minute time limit, an array of 3 tasks and a held job, all watched by one
Poller; each is reported with its reason, and the poller's query count stays within its limit.

The whole scenario runs once (module-scoped fixture) because the time limit alone takes 60-95 s:
Slurm's minimum limit is one minute and the controller checks limits on a ~30 s pass.
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

import pytest

from tests.slurm_cluster import Cluster, slurm_cluster  # noqa: F401  (the fixture)
from waitbuddy.runs.slurm import parse_scontrol, verdict
from waitbuddy.runs.slurm_poll import Poller, SlurmError, submit

INTERVAL = 2.0  # the poller's interval here (60 s in real use)
SCENARIO_TIMEOUT = 150.0


def _script(directory: Path, name: str, body: str) -> str:
    path = directory / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return str(path)


@pytest.fixture(scope="module")
def scenario(slurm_cluster: Cluster, tmp_path_factory: pytest.TempPathFactory):  # noqa: F811
    cluster = slurm_cluster
    work = tmp_path_factory.mktemp("jobs")
    env = cluster.env
    chdir = [f"--chdir={work}"]
    jobs = {
        # The time limit first, so it starts at once and ends as early as it can.
        "timeout": submit(_script(work, "forever.sh", "echo start; sleep 600"), [*chdir, "--time=1"], env=env),
        "ok": submit(_script(work, "ok.sh", "echo hello; sleep 1"), chdir, env=env),
        "fail": submit(_script(work, "fail.sh", "echo bad; exit 3"), [*chdir, "--job-name=fail3"], env=env),
        "cancel": submit(_script(work, "long.sh", "echo waiting; sleep 600"), chdir, env=env),
        "array": submit(_script(work, "task.sh", 'echo "task $SLURM_ARRAY_TASK_ID"; sleep 1; '
                                                '[ "$SLURM_ARRAY_TASK_ID" = 1 ] && exit 4; exit 0'),
                        [*chdir, "--array=0-2", "--output=%x-%A_%a.out"], env=env),
        "held": submit(_script(work, "held.sh", "true"), [*chdir, "--hold", "--output=held-%j-%u-%N.log"], env=env),
    }
    ids = {name: submitted.job_id for name, submitted in jobs.items()}
    poller = Poller(interval=INTERVAL, env=env)
    assert poller.watch([*ids.values(), "999999", "not-a-job"]) == ["not-a-job"]

    seen: dict[str, list[tuple[str, str]]] = {job_id: [] for job_id in ids.values()}
    polls, cancelled_at, pending_held = 0, None, None
    started = time.monotonic()
    while True:
        elapsed = time.monotonic() - started
        assert elapsed < SCENARIO_TIMEOUT, {k: seen[v][-1:] for k, v in ids.items()}
        if poller.due():
            polls += 1
            reports = poller.poll()
            for job_id in ids.values():
                for job in reports[job_id].jobs:
                    step = (job.key, verdict(job).message)
                    if step not in seen[job_id]:
                        seen[job_id].append(step)
            if cancelled_at is None and any(j.state == "RUNNING" for j in reports[ids["cancel"]].jobs):
                cluster.run("scancel", ids["cancel"])
                cancelled_at = time.monotonic()
            if pending_held is None and reports[ids["held"]].jobs:
                pending_held = reports[ids["held"]].jobs[0]
                cluster.run("scancel", ids["held"])
            if all(reports[job_id].settled for job_id in ids.values()) and reports["999999"].settled:
                break
        time.sleep(0.2)
    return {"ids": ids, "poller": poller, "reports": poller.reports, "seen": seen, "polls": polls,
            "elapsed": time.monotonic() - started, "held": pending_held, "work": work, "cluster": cluster}


def _only(scenario, name):
    report = scenario["reports"][scenario["ids"][name]]
    assert report.problem is None
    assert len(report.jobs) == 1, report.jobs
    return report.jobs[0]


def test_completed_job(scenario):
    job = _only(scenario, "ok")
    assert (job.state, job.exit_code, job.exit_signal) == ("COMPLETED", 0, None)
    assert verdict(job).status == "completed"
    assert Path(job.stdout).read_text() == "hello\n"
    assert job.started_at and job.ended_at and job.submitted_at


def test_exit_3_is_failed_with_its_code(scenario):
    job = _only(scenario, "fail")
    assert (job.state, job.reason, job.exit_code) == ("FAILED", "NonZeroExitCode", 3)
    assert verdict(job).message == "exit code 3"
    assert verdict(job).error_kind == "exit_status"
    assert job.name == "fail3"


def test_cancelled_job_is_interrupted(scenario):
    job = _only(scenario, "cancel")
    assert job.state == "CANCELLED"
    assert job.exit_signal == 15  # scancel of a running job: SIGTERM
    assert verdict(job).status == "interrupted"
    assert verdict(job).message.startswith("cancelled")
    assert "CANCELLED AT" in Path(job.stdout).read_text()  # slurmstepd's marker, for the log engine
    # It was seen running before it was cancelled.
    assert (job.key, "running") in scenario["seen"][scenario["ids"]["cancel"]]


def test_time_limit_is_failed_time_limit(scenario):
    job = _only(scenario, "timeout")
    assert (job.state, job.reason, job.time_limit) == ("TIMEOUT", "TimeLimit", 60.0)
    assert verdict(job).message == "Slurm time limit reached (1m)"
    assert verdict(job).error_kind == "slurm_time_limit"
    assert "DUE TO TIME LIMIT" in Path(job.stdout).read_text()


def test_array_reports_each_task(scenario):
    report = scenario["reports"][scenario["ids"]["array"]]
    array_id = scenario["ids"]["array"]
    by_key = {job.key: job for job in report.jobs}
    assert sorted(by_key) == [f"{array_id}_0", f"{array_id}_1", f"{array_id}_2"]
    assert [verdict(by_key[f"{array_id}_{task}"]).message for task in range(3)] == [
        "completed", "exit code 4", "completed"]
    for task in range(3):
        job = by_key[f"{array_id}_{task}"]
        assert job.stdout == str(scenario["work"] / f"task.sh-{array_id}_{task}.out")
        assert Path(job.stdout).read_text().startswith(f"task {task}\n")


def test_output_paths_match_scontrol(scenario):
    """Our pattern resolution gives the path Slurm itself resolves (scontrol), for every job that
    ran; squeue gave us raw patterns (%x-%A_%a) or, for the array's default, a wrong file name."""
    cluster = scenario["cluster"]
    compared = 0
    for name, job_id in scenario["ids"].items():
        for job in scenario["reports"][job_id].jobs:
            fields = parse_scontrol(cluster.run("scontrol", "-o", "show", "job", job.job_id).stdout)
            if name == "held":
                # Never ran, so no node: scontrol leaves "%N" in; we say the path is not known.
                assert fields["StdOut"].endswith(f"held-{job.job_id}-{job.user}-%N.log")
                assert job.stdout is None
                continue
            assert job.stdout == fields["StdOut"], job
            compared += 1
    assert compared == 7


def test_held_job_waits_with_its_reason(scenario):
    held = scenario["held"]
    assert held.state == "PENDING"
    assert verdict(held).message == "waiting: JobHeldUser"
    assert verdict(held).status == "waiting"
    job = _only(scenario, "held")  # cancelled while pending: never ran, no output file
    assert job.state == "CANCELLED"


def test_unknown_id_is_a_problem_not_a_crash(scenario):
    report = scenario["reports"]["999999"]
    assert report.jobs == ()
    assert "does not know job 999999" in report.problem
    assert report.settled


def test_query_rate_stays_within_the_limit(scenario):
    poller, polls, elapsed = scenario["poller"], scenario["polls"], scenario["elapsed"]
    # At most one poll per interval, and per poll: squeue, plus sacct (and sacct -c once) for
    # ids the queue no longer holds (only the unknown one here: MinJobAge keeps the rest).
    assert polls <= math.ceil(elapsed / INTERVAL) + 1
    assert poller.queries <= 2 * polls + 1
    assert poller.accounting == "jobcomp"  # accounting storage is disabled on the test cluster


def test_ended_jobs_are_not_asked_about_again(scenario):
    poller = scenario["poller"]
    before = poller.queries
    poller.poll(force=True)
    assert poller.queries == before


def test_a_down_controller_is_a_problem(slurm_cluster: Cluster, tmp_path: Path):  # noqa: F811
    # The same cluster's config with the controller's port moved to one nobody listens on.
    conf = tmp_path / "slurm.conf"
    text = slurm_cluster.conf.read_text()
    port = next(line for line in text.splitlines() if line.startswith("SlurmctldPort="))
    conf.write_text(text.replace(port, "SlurmctldPort=9"))
    poller = Poller(interval=INTERVAL, env={**slurm_cluster.env, "SLURM_CONF": str(conf)}, timeout=60)
    poller.watch(["1"])
    report = poller.poll()["1"]
    assert report.problem is not None and report.problem.startswith("squeue failed:")
    assert "controller" in report.problem.lower() or "connect" in report.problem.lower()
    # Backs off: doubled for the error, and more for the time squeue spent retrying.
    assert poller.current_interval >= 2 * INTERVAL
    assert poller.next_at - time.monotonic() > INTERVAL
    assert poller.queries == 1


def test_missing_commands_are_a_problem(tmp_path: Path):
    poller = Poller(env={**os.environ, "PATH": str(tmp_path)})
    poller.watch(["5"])
    assert poller.poll()["5"].problem == "squeue not found: Slurm's commands are not installed here"


def test_submit_refusal_is_a_clear_error(slurm_cluster: Cluster, tmp_path: Path):  # noqa: F811
    with pytest.raises(SlurmError, match="Batch job submission failed|Invalid"):
        submit(_script(tmp_path, "x.sh", "true"), ["--partition=nosuch"], env=slurm_cluster.env)
