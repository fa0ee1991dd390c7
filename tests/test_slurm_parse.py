"""Slurm's text output -> JobState -> waitbuddy's statuses, on output captured from a real Slurm
22.05.8 cluster (tests/data/slurm/README.md says how each file was made)."""

from __future__ import annotations

from pathlib import Path

import pytest

from waitbuddy.runs.slurm import (
    JobState,
    exit_pair,
    first_node,
    job_id_from_path,
    parse_sacct,
    parse_scontrol,
    parse_squeue,
    resolve_output,
    sacct_argv,
    slurm_time,
    squeue_argv,
    time_limit,
    verdict,
    wait_status,
)
from waitbuddy.timefmt import iso

DATA = Path(__file__).parent / "data" / "slurm"


def _jobs(name: str) -> dict[str, JobState]:
    jobs = parse_squeue((DATA / name).read_text())
    return {job.key: job for job in jobs}


def test_squeue_argv_is_one_query_with_safe_separators():
    argv = squeue_argv(["12", "13_2"])
    assert argv[:4] == ["squeue", "--states=all", "--jobs=12,13_2", "--noheader"]
    assert argv[4].startswith("--Format=JobID:\x1f,ArrayJobID:\x1f,")


def test_every_captured_row_parses():
    assert len(_jobs("squeue_all.txt")) == 10
    assert len(_jobs("squeue_pending.txt")) == 5


@pytest.mark.parametrize(("key", "state", "reason", "code", "signal", "status", "message", "kind"), [
    ("1", "COMPLETED", None, 0, None, "completed", "completed", None),
    ("2", "FAILED", "NonZeroExitCode", 3, None, "failed", "exit code 3", "exit_status"),
    ("3", "FAILED", "JobLaunchFailure", None, 9, "failed", "killed by SIGKILL (JobLaunchFailure)", "killed"),
    ("4", "TIMEOUT", "TimeLimit", None, 15, "failed", "Slurm time limit reached (1m)", "slurm_time_limit"),
    ("8", "CANCELLED", "Priority", 0, None, "interrupted", "cancelled", "slurm_cancelled"),
    ("5_2", "FAILED", "NonZeroExitCode", 5, None, "failed", "exit code 5", "exit_status"),
    ("7", "PENDING", "Resources", 0, None, "waiting", "waiting: Resources", None),
    ("6", "RUNNING", None, 0, None, "running", "running", None),
])
def test_states_map_to_waitbuddy_statuses(key, state, reason, code, signal, status, message, kind):
    job = _jobs("squeue_all.txt")[key]
    assert (job.state, job.reason, job.exit_code, job.exit_signal) == (state, reason, code, signal)
    assert verdict(job).status == status
    assert verdict(job).message == message
    assert verdict(job).error_kind == kind


def test_cancelled_while_running_was_sent_sigterm():
    job = _jobs("squeue_pending.txt")["6"]
    assert (job.state, job.exit_signal, verdict(job).status) == ("CANCELLED", 15, "interrupted")


def test_pending_reasons_and_no_estimated_start():
    jobs = _jobs("squeue_pending.txt")
    assert verdict(jobs["11"]).message == "waiting: Resources"
    assert verdict(jobs["12_[1-2]"]).message == "waiting: Priority"
    # A pending job's StartTime is Slurm's estimate (a year ahead here): not a start.
    assert jobs["11"].started_at is None and jobs["11"].submitted_at is not None


def test_array_rows_carry_array_id_and_task():
    jobs = _jobs("squeue_all.txt")
    assert {key for key in jobs if key.startswith("5_")} == {"5_1", "5_2", "5_3"}
    task = jobs["5_1"]
    assert (task.job_id, task.array_job_id, task.array_task) == ("9", "5", "1")
    pending = _jobs("squeue_pending.txt")["12_[1-2]"]
    assert (pending.job_id, pending.array_task, pending.stdout) == ("12", "1-2", None)


def test_output_paths_resolved_as_scontrol_does():
    """squeue gives raw patterns, and a wrong default name for array tasks; scontrol (same jobs,
    captured too) gives the real files."""
    ours = _jobs("squeue_all.txt") | _jobs("squeue_pending.txt")
    theirs = {}
    for line in (DATA / "scontrol_show_job.txt").read_text().splitlines():
        fields = parse_scontrol(line)
        key = f"{fields['ArrayJobId']}_{fields['ArrayTaskId']}" if "ArrayTaskId" in fields else fields["JobId"]
        theirs[key] = fields["StdOut"]
    assert ours["3"].stdout == theirs["3"] == "/tmp/wbs/jobs/out-sig-3.log"  # -o 'out-%x-%j.log'
    assert ours["5_2"].stdout == theirs["5_2"] == "/tmp/wbs/jobs/arr-5_2.out"  # -o 'arr-%A_%a.out'
    for key in ("1", "2", "4", "8", "6"):
        assert ours[key].stdout == theirs[key]
    # The array's default: squeue says slurm-13.out, the file is slurm-12_0.out.
    assert "slurm-13.out" in (DATA / "squeue_pending.txt").read_text()
    assert ours["12_0"].stdout == "/tmp/wbs/jobs/slurm-12_0.out"


@pytest.mark.parametrize(("pattern", "expected"), [
    ("run-%x-%j.out", "run-train-42.out"),
    ("%A_%a.log", "40_7.log"),
    ("%5j-%u-%N.out", "00042-ana-gpu3.out"),
    ("%%j %b", "%j 7"),
    ("log-%J", "log-42.batch"),
])
def test_resolve_output_patterns(pattern, expected):
    job = JobState(job_id="42", state="RUNNING", array_job_id="40", array_task="7", user="ana",
                   nodes="gpu[3-4]", name="train")
    assert resolve_output(pattern, job) == expected


@pytest.mark.parametrize(("nodes", "first"), [
    ("vm", "vm"), ("gpu[3-4]", "gpu3"), ("gpu[03,05]", "gpu03"), ("a1,b[2-3]", "a1"), ("", None), (None, None),
])
def test_first_node(nodes, first):
    assert first_node(nodes) == first


def test_unknowable_patterns_give_no_path():
    pending = JobState(job_id="42", state="PENDING", user="ana", name="train")
    assert resolve_output("out-%N.log", pending) is None  # no node yet
    # A symbol Slurm does not know is copied as written (observed: -o 'z-%Z-%y-%j.out' -> z-%Z-%y-15.out).
    assert resolve_output("z-%Z-%y-%j.out", pending) == "z-%Z-%y-42.out"
    tasks = JobState(job_id="40", state="PENDING", array_job_id="40", array_task="1-9")
    assert resolve_output("%A_%a.out", tasks) is None


def test_jobcomp_rows_without_slurmdbd():
    jobs = {job.job_id: job for job in parse_sacct((DATA / "sacct_jobcomp.txt").read_text(), source="jobcomp")}
    assert {job_id: job.state for job_id, job in jobs.items()} == {
        "1": "COMPLETED", "2": "FAILED", "3": "FAILED", "4": "TIMEOUT", "5": "COMPLETED", "6": "CANCELLED",
        "8": "CANCELLED"}
    assert (jobs["2"].exit_code, jobs["3"].exit_signal) == (3, 9)
    assert jobs["4"].time_limit == 60.0  # "1": minutes
    assert verdict(jobs["4"]).message == "Slurm time limit reached (1m)"  # 0:0 here: the state decides
    assert jobs["1"].user == "root" and jobs["1"].source == "jobcomp"
    assert "Unknown type ArrayJobId" in (DATA / "sacct_jobcomp.err").read_text()  # noise on stderr, not rows


def test_sacct_with_slurmdbd_names_who_cancelled():
    # Not captured (the test cluster has no slurmdbd): the documented --parsable2 form, with
    # SACCT_FIELDS' columns, of an array task cancelled by uid 1000.
    line = "77_3|CANCELLED by 1000|0:15||2026-12-01T10:00:00|2026-12-01T10:01:00|2026-12-01T10:02:00|01:00:00|" \
           "ana|gpu3|train|/home/ana"
    (job,) = parse_sacct(line)
    assert (job.job_id, job.array_job_id, job.array_task, job.key) == ("77", "77", "3", "77_3")
    assert (job.state, job.cancelled_by, job.exit_signal) == ("CANCELLED", "1000", 15)
    assert verdict(job).message == "cancelled by 1000"
    assert job.time_limit == 3600.0


def test_sacct_argv_switches_to_the_jobcomp_file():
    assert sacct_argv(["1", "2"])[:3] == ["sacct", "-X", "--jobs=1,2"]
    assert sacct_argv(["1"], jobcomp=True)[:2] == ["sacct", "-c"]


@pytest.mark.parametrize(("text", "expected"), [
    ("0", (0, None)), ("768", (3, None)), ("1280", (5, None)), ("9", (None, 9)), ("15", (None, 15)), ("", (None, None)),
])
def test_wait_status(text, expected):
    assert wait_status(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("0:0", (0, None)), ("3:0", (3, None)), ("0:9", (None, 9)), ("0:15", (None, 15)), ("x", (None, None)),
])
def test_exit_pair(text, expected):
    assert exit_pair(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("1:00", 60.0), ("1", 60.0), ("2:30:00", 9000.0), ("365-00:00:00", 365 * 86400.0), ("1-02:03:04", 93784.0),
    ("UNLIMITED", None), ("N/A", None), ("", None), ("soon", None),
])
def test_time_limit(text, expected):
    assert time_limit(text) == expected


def test_slurm_times_are_local_and_become_utc(monkeypatch):
    import time

    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    try:
        assert slurm_time("2026-12-01T21:41:34") == "2026-12-01T20:41:34Z"
        assert slurm_time("N/A") is None and slurm_time("NONE") is None
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    assert slurm_time("2026-12-01T21:41:34") == iso(__import__("datetime").datetime(2026, 12, 1, 21, 41, 34).timestamp())


@pytest.mark.parametrize(("state", "status", "kind"), [
    ("OUT_OF_MEMORY", "failed", "slurm_oom"), ("NODE_FAIL", "failed", "slurm_node_fail"),
    ("PREEMPTED", "interrupted", "slurm_cancelled"), ("BOOT_FAIL", "failed", "slurm_boot_fail"),
    ("DEADLINE", "failed", "slurm_deadline"), ("REQUEUED", "waiting", None), ("COMPLETING", "running", None),
    ("SUSPENDED", "waiting", None), ("SOMETHING_NEW", "waiting", None),
])
def test_states_not_seen_on_the_test_cluster(state, status, kind):
    v = verdict(JobState(job_id="1", state=state, reason="Prolog"))
    assert (v.status, v.error_kind) == (status, kind)
    assert v.message


def test_hostile_reason_is_made_safe():
    v = verdict(JobState(job_id="1", state="PENDING", reason="Priority\x1b]9;pwned\x07"))
    assert "\x1b" not in v.message and "\x07" not in v.message


def test_every_error_kind_is_one_the_runs_engine_knows():
    from waitbuddy.runs.observe import ERROR_KINDS
    from waitbuddy.runs.slurm import ENDED_STATES

    for state in ENDED_STATES:
        for signal in (None, 9, 15, 6):
            kind = verdict(JobState(job_id="1", state=state, exit_signal=signal)).error_kind
            assert kind is None or kind in ERROR_KINDS, (state, kind)
    assert verdict(JobState(job_id="1", state="FAILED")).message == "the job failed (exit code unknown)"


@pytest.mark.parametrize(("path", "job_id"), [
    ("/tmp/wbs/jobs/slurm-2.out", "2"), ("slurm-12_0.out", "12_0"), ("/x/arr-5_2.out", None),
    ("slurm-.out", None), ("slurm-3.out.bak", None), ("/a/slurm-3.out/b.log", None),
])
def test_job_id_from_a_default_log_name(path, job_id):
    assert job_id_from_path(path) == job_id
