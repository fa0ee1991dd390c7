"""Slurm job state, read from the scheduler's own text output: small pure functions, no I/O.

The queries (built here, run by ``runs.slurm_poll.Poller``):
- ``squeue --states=all --jobs=ID,ID --noheader -O <FIELDS>``: one RPC for every watched job, finished
  ones included while the controller still holds them (``MinJobAge``, 300 s by default). Fields are
  joined by the ASCII unit separator (0x1f), which job names and paths do not contain in practice,
  unlike ``|``, spaces or commas.
- ``sacct -X --jobs=... --parsable2 --noheader --format=...`` for jobs that left the queue (needs
  slurmdbd), or ``sacct -c`` (the ``jobcomp/filetxt`` file) where accounting is disabled.

What Slurm 22.05 prints, observed on a real single-node cluster (samples in tests/data/slurm/):
- squeue's ``exit_code`` is the raw wait status: 768 for ``exit 3``, 9 for SIGKILL, 15 for SIGTERM
  (TIMEOUT, CANCELLED while running). sacct's ``ExitCode`` is ``<exit>:<signal>`` ("3:0", "0:9"),
  and ``sacct -c`` writes "0:0" for TIMEOUT and CANCELLED. The state is authoritative, not the code.
- squeue's ``STDOUT`` is the raw ``-o`` pattern when one was given (``out-%x-%j.log``) and, for the
  default, an expanded ``<workdir>/slurm-<own id>.out`` that is wrong for array tasks (the file is
  ``slurm-<array id>_<task>.out``). ``resolve_output`` fixes both.
- A pending array's not-yet-started tasks are one row with a task range ("1-2") and the array's id.
- Times are local, without a zone; a pending job's StartTime is an estimate (even a year ahead).
- Without slurmdbd nothing says who cancelled a job; with it sacct's State reads "CANCELLED by 1000".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime

from waitbuddy.runs.observe import COMPLETED, FAILED, INTERRUPTED
from waitbuddy.runs.run import RUNNING, WAITING
from waitbuddy.text import safe_line
from waitbuddy.timefmt import iso, short_duration

SEP = "\x1f"
SQUEUE_FIELDS = ("JobID", "ArrayJobID", "ArrayTaskID", "State", "Reason", "exit_code", "SubmitTime", "StartTime",
                 "EndTime", "TimeLimit", "UserName", "NodeList", "Name", "WorkDir", "STDOUT", "STDERR")
SACCT_FIELDS = ("JobID", "State", "ExitCode", "Reason", "Submit", "Start", "End", "Timelimit", "User", "NodeList",
                "JobName", "WorkDir")

ENDED_STATES = frozenset({"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL", "BOOT_FAIL",
                          "DEADLINE", "PREEMPTED", "REVOKED"})
_EMPTY = frozenset({"", "N/A", "NONE", "None", "(null)", "Unknown", "UNLIMITED", "INVALID"})
_SIGNALS = {1: "SIGHUP", 2: "SIGINT", 6: "SIGABRT", 7: "SIGBUS", 9: "SIGKILL", 11: "SIGSEGV", 15: "SIGTERM"}


@dataclass(frozen=True, slots=True)
class JobState:
    """One job (or one array task, or a pending array's not-yet-started tasks) as Slurm reports it."""

    job_id: str  # the job's own id (an array task has its own, e.g. 13 for 12_0)
    state: str  # Slurm's long state, e.g. "PENDING", "TIMEOUT"
    array_job_id: str | None = None
    array_task: str | None = None  # "0", or a range such as "1-2" for pending tasks
    reason: str | None = None
    exit_code: int | None = None
    exit_signal: int | None = None
    submitted_at: str | None = None  # ISO 8601 UTC
    started_at: str | None = None
    ended_at: str | None = None
    time_limit: float | None = None  # seconds; None when unlimited
    user: str | None = None
    nodes: str | None = None
    name: str | None = None
    workdir: str | None = None
    stdout: str | None = None  # resolved path, None when it cannot be known (a range of pending tasks)
    stderr: str | None = None
    cancelled_by: str | None = None
    source: str = "squeue"  # squeue, sacct or jobcomp

    @property
    def key(self) -> str:
        """How people name it: "12_0" for an array task, "12_[1-2]" for pending tasks, else "13"."""
        if self.array_job_id and self.array_task is not None:
            task = self.array_task
            return f"{self.array_job_id}_{task}" if task.isdigit() else f"{self.array_job_id}_[{task}]"
        return self.job_id

    @property
    def ended(self) -> bool:
        return self.state in ENDED_STATES


@dataclass(frozen=True, slots=True)
class Verdict:
    """A job's state in waitbuddy's words: a run status, a one-line message, an error kind."""

    status: str  # waiting, running, completed, failed, interrupted
    message: str
    error_kind: str | None = None


def squeue_argv(job_ids: list[str]) -> list[str]:
    return ["squeue", "--states=all", f"--jobs={','.join(job_ids)}", "--noheader",
            f"--Format={','.join(f'{name}:{SEP}' for name in SQUEUE_FIELDS)}"]


def squeue_user_argv(users: list[str]) -> list[str]:
    """Every job of these users the controller holds (pending, running, and ended in the last minutes)."""
    return ["squeue", "--states=all", f"--users={','.join(users)}", "--noheader",
            f"--Format={','.join(f'{name}:{SEP}' for name in SQUEUE_FIELDS)}"]


def sacct_argv(job_ids: list[str], *, jobcomp: bool = False) -> list[str]:
    """``-X``: the allocation only, not each step. ``-c`` reads the jobcomp file instead of slurmdbd."""
    return ["sacct", *(["-c"] if jobcomp else ["-X"]), f"--jobs={','.join(job_ids)}", "--parsable2", "--noheader",
            f"--format={','.join(SACCT_FIELDS)}"]


def parse_squeue(text: str) -> list[JobState]:
    jobs = []
    for line in text.splitlines():
        values = line.split(SEP)
        if len(values) < len(SQUEUE_FIELDS):
            continue
        row = dict(zip(SQUEUE_FIELDS, values, strict=False))
        task = _value(row["ArrayTaskID"])
        pending = row["State"] == "PENDING"
        code, signal = wait_status(row["exit_code"])
        job = JobState(
            job_id=row["JobID"].strip(), state=row["State"].strip(),
            array_job_id=_value(row["ArrayJobID"]) if task is not None else None, array_task=task,
            reason=_value(row["Reason"]), exit_code=code, exit_signal=signal,
            submitted_at=slurm_time(row["SubmitTime"]),
            started_at=None if pending else slurm_time(row["StartTime"]),  # a pending one's is an estimate
            ended_at=None if pending else slurm_time(row["EndTime"]),
            time_limit=time_limit(row["TimeLimit"]), user=_value(row["UserName"]), nodes=_value(row["NodeList"]),
            name=_value(row["Name"]), workdir=_value(row["WorkDir"]))
        jobs.append(_with_paths(job, _value(row["STDOUT"]), _value(row["STDERR"])))
    return jobs


def parse_sacct(text: str, *, source: str = "sacct") -> list[JobState]:
    """``sacct --parsable2`` rows: JobID "12_0" for an array task, State "CANCELLED by 1000"."""
    jobs = []
    for line in text.splitlines():
        values = line.split("|")
        if len(values) < len(SACCT_FIELDS):
            continue
        row = dict(zip(SACCT_FIELDS, values, strict=False))
        job_id, _, task = row["JobID"].partition("_")
        state, _, by = row["State"].partition(" by ")
        code, signal = exit_pair(row["ExitCode"])
        jobs.append(JobState(
            job_id=job_id, state=state.strip(), array_job_id=job_id if task else None, array_task=task or None,
            reason=_value(row["Reason"]), exit_code=code, exit_signal=signal, submitted_at=slurm_time(row["Submit"]),
            started_at=slurm_time(row["Start"]), ended_at=slurm_time(row["End"]),
            time_limit=time_limit(row["Timelimit"]), user=_value(row["User"].split("(")[0]),
            nodes=_value(row["NodeList"]), name=_value(row["JobName"]), workdir=_value(row["WorkDir"]),
            cancelled_by=by.strip() or None, source=source))
    return jobs


def parse_scontrol(text: str) -> dict[str, str]:
    """``scontrol -o show job ID``: one line of Key=Value words (values hold no spaces, except
    ``Reason`` text can; good enough for StdOut, JobState, ExitCode)."""
    fields: dict[str, str] = {}
    for word in text.split():
        key, sep, value = word.partition("=")
        if sep and key not in fields:
            fields[key] = value
    return fields


def wait_status(text: str) -> tuple[int | None, int | None]:
    """squeue's ``exit_code`` is a raw wait status: 768 -> (3, None); 9 -> (None, 9); 0 -> (0, None)."""
    try:
        status = int(text.strip())
    except ValueError:
        return None, None
    if status & 0x7F:
        return None, status & 0x7F
    return status >> 8, None


def exit_pair(text: str) -> tuple[int | None, int | None]:
    """sacct / scontrol ``ExitCode``: "3:0" -> (3, None); "0:9" -> (None, 9); "0:0" -> (0, None)."""
    code, _, signal = text.strip().partition(":")
    try:
        exit_code, number = int(code), int(signal or 0)
    except ValueError:
        return None, None
    return (None, number) if number else (exit_code, None)


def slurm_time(text: str) -> str | None:
    """"2026-12-01T21:41:34" (Slurm prints the controller's local time) -> ISO 8601 UTC; None for N/A."""
    try:
        return iso(datetime.strptime(text.strip(), "%Y-%m-%dT%H:%M:%S").timestamp())
    except ValueError:
        return None


def time_limit(text: str) -> float | None:
    """"1:00" (1 min), "2:30:00", "365-00:00:00" -> seconds; "UNLIMITED" -> None."""
    text = text.strip()
    days, _, clock = text.rpartition("-")
    parts = clock.split(":")
    try:
        numbers = [int(part) for part in parts] if text not in _EMPTY else []
        whole_days = int(days) if days else 0
    except ValueError:
        return None
    if not numbers or len(numbers) > 3:
        return None
    if len(numbers) == 1:
        numbers = [numbers[0], 0]  # a bare number is minutes
    seconds = 0
    for number in numbers:
        seconds = seconds * 60 + number
    return float(whole_days * 86400 + seconds)


_PATTERN = re.compile(r"%(\d*)([%AabjJNnstuxr])")


def resolve_output(pattern: str | None, job: JobState) -> str | None:
    """An output path with Slurm's filename patterns filled in, as the batch step writes it;
    None when it depends on something unknown (a pending task range, a node not yet chosen).
    A symbol Slurm does not know (``%Z``) stays as written, as Slurm leaves it (observed)."""
    if not pattern:
        return None
    task = job.array_task
    if task is not None and not task.isdigit() and "%a" in pattern:
        return None
    node = first_node(job.nodes)
    values = {"%": "%", "A": job.array_job_id or job.job_id, "a": task if task is not None else "4294967294",
              "b": str(int(task) % 10) if task and task.isdigit() else "0", "j": job.job_id,
              "J": f"{job.job_id}.batch", "N": node, "n": "0", "s": "batch", "t": "0", "u": job.user,
              "x": job.name, "r": "0"}
    unknown = False

    def fill(match: re.Match[str]) -> str:
        nonlocal unknown
        width, symbol = match.groups()
        value = values.get(symbol)
        if value is None:
            unknown = True
            return match.group(0)
        return value.zfill(int(width)) if width and value.isdigit() else value

    resolved = _PATTERN.sub(fill, pattern)
    return None if unknown else resolved


_DEFAULT_OUTPUT = re.compile(r"slurm-(\d+(?:_\d+)?)\.out")


def job_id_from_path(path: str) -> str | None:
    """The job a default-named log belongs to: ".../slurm-123.out" -> "123", "slurm-12_3.out" ->
    "12_3" (Slurm's defaults, ``slurm-%j.out`` and ``slurm-%A_%a.out``); None for any other name."""
    match = _DEFAULT_OUTPUT.fullmatch(path.rpartition("/")[2])
    return match.group(1) if match else None


def first_node(nodes: str | None) -> str | None:
    """The first host of a Slurm hostlist: "gpu[03-04,07],cpu1" -> "gpu03"; "" -> None."""
    if not nodes:
        return None
    prefix, bracket, rest = nodes.partition("[")
    if "," in prefix or not bracket:
        return prefix.split(",")[0] or None
    return prefix + re.split(r"[,\-\]]", rest, maxsplit=1)[0]


def _with_paths(job: JobState, stdout: str | None, stderr: str | None) -> JobState:
    return replace(job, stdout=_output(stdout, job), stderr=_output(stderr, job))


def _output(path: str | None, job: JobState) -> str | None:
    if path is None:
        return None
    if job.array_task is not None:
        if not job.array_task.isdigit():
            return None  # pending tasks: one row for several files
        # squeue expands the default as slurm-<own id>.out; an array task's file is slurm-<A>_<a>.out
        directory, _, base = path.rpartition("/")
        if base == f"slurm-{job.job_id}.out" and job.array_job_id:
            return f"{directory}/slurm-{job.array_job_id}_{job.array_task}.out"
    if "%" in path:
        return resolve_output(path, job)
    return path


def _value(text: str) -> str | None:
    text = text.strip()
    return None if text in _EMPTY else text


def verdict(job: JobState) -> Verdict:
    """The job in waitbuddy's statuses. The scheduler's state is authoritative; the exit code and
    reason only say more (a FAILED with signal 9 was killed; CANCELLED is interrupted, not failed)."""
    state, reason = job.state, safe_line(job.reason or "", limit=80)
    if state in ("PENDING", "CONFIGURING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "RESV_DEL_HOLD",
                 "SPECIAL_EXIT", "SUSPENDED", "STOPPED"):
        word = {"PENDING": "waiting", "CONFIGURING": "starting", "SUSPENDED": "suspended",
                "STOPPED": "stopped"}.get(state, "requeued")
        return Verdict(WAITING, f"{word}: {reason}" if reason else word)
    if state in ("RUNNING", "COMPLETING", "SIGNALING", "STAGE_OUT", "RESIZING"):
        return Verdict(RUNNING, "running" if state == "RUNNING" else state.lower().replace("_", " "))
    if state == "COMPLETED":
        return Verdict(COMPLETED, "completed")
    if state == "FAILED":
        if job.exit_signal:
            name = _SIGNALS.get(job.exit_signal, f"signal {job.exit_signal}")
            kind = {9: "killed", 15: "terminated"}.get(job.exit_signal, "exit_status")
            return Verdict(FAILED, f"killed by {name}" + (f" ({reason})" if reason else ""), kind)
        said = f"exit code {job.exit_code}" if job.exit_code is not None else "the job failed (exit code unknown)"
        return Verdict(FAILED, said, "exit_status")
    if state == "TIMEOUT":
        limit = f" ({short_duration(job.time_limit)})" if job.time_limit else ""
        return Verdict(FAILED, f"Slurm time limit reached{limit}", "slurm_time_limit")
    if state == "OUT_OF_MEMORY":
        return Verdict(FAILED, "Slurm killed the job: out of memory", "slurm_oom")
    if state == "CANCELLED":
        by = f" by {safe_line(job.cancelled_by, limit=40)}" if job.cancelled_by else ""
        return Verdict(INTERRUPTED, f"cancelled{by}", "slurm_cancelled")
    if state == "PREEMPTED":
        return Verdict(INTERRUPTED, "preempted", "slurm_cancelled")
    if state == "NODE_FAIL":
        return Verdict(FAILED, "Slurm: node failure" + (f" ({reason})" if reason else ""), "slurm_node_fail")
    if state == "BOOT_FAIL":
        return Verdict(FAILED, "Slurm: the nodes did not boot", "slurm_boot_fail")
    if state == "DEADLINE":
        return Verdict(FAILED, "Slurm: the deadline passed", "slurm_deadline")
    if state == "REVOKED":
        return Verdict(INTERRUPTED, "revoked (run by another cluster)", "slurm_cancelled")
    return Verdict(WAITING, f"unknown Slurm state {safe_line(state, limit=40)}")


def task_range(text: str) -> set[int]:
    """"1-3,7,9-11:2%4" -> {1, 2, 3, 7, 9, 11}: an array's task ids as squeue prints them."""
    tasks: set[int] = set()
    for part in text.split("%")[0].split(","):
        span, _, step = part.partition(":")
        first, _, last = span.partition("-")
        try:
            tasks.update(range(int(first), int(last or first) + 1, int(step or 1)))
        except ValueError:
            continue
    return tasks


_FAILED_STATES = frozenset({"FAILED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL", "BOOT_FAIL", "DEADLINE"})
_STOPPED_STATES = frozenset({"CANCELLED", "PREEMPTED", "REVOKED"})


def array_summary(jobs: list[JobState] | tuple[JobState, ...]) -> str:
    """An array's tasks in one line: "8/10 done, 1 failed, 1 running" (a pending range counts each
    of its tasks). Parts that are zero are left out, except how many are done."""
    counts = {"done": 0, "failed": 0, "cancelled": 0, "running": 0, "pending": 0}
    total = 0
    for job in jobs:
        task = job.array_task
        tasks = 1 if task is None or task.isdigit() else max(len(task_range(task)), 1)
        total += tasks
        if job.state == "COMPLETED":
            counts["done"] += tasks
        elif job.state in _FAILED_STATES:
            counts["failed"] += tasks
        elif job.state in _STOPPED_STATES:
            counts["cancelled"] += tasks
        elif job.state in ("RUNNING", "COMPLETING", "SIGNALING", "STAGE_OUT", "RESIZING"):
            counts["running"] += tasks
        else:
            counts["pending"] += tasks
    parts = [f"{counts['done']}/{total} done"]
    parts += [f"{count} {word}" for word, count in counts.items() if word != "done" and count]
    return ", ".join(parts)
