"""Asking Slurm about watched jobs, politely: one batched query per interval, never a shell.

squeue(1) asks users to keep calls to a minimum: every call is an RPC to the one controller the
whole cluster shares. So a :class:`Poller` asks
- at most once per ``interval`` (60 s by default), with one ``squeue`` for every watched job that
  has not ended, then, only for ids the controller no longer holds (after ``MinJobAge``, 300 s by
  default), one ``sacct`` (slurmdbd) or, where accounting is disabled, one ``sacct -c`` (the
  ``jobcomp/filetxt`` file). Per poll that is 1 query, 2 when jobs have aged out, 3 the first time
  accounting turns out to be disabled; a job that has ended is never asked about again.
- ``scontrol show job`` is not used: it reads the same controller memory as ``squeue --states=all``,
  so for a job squeue no longer lists it has nothing either (and it is one RPC per job).
- longer after errors (the interval doubles, up to ``max_interval``) and when the controller is slow
  (a query that took t seconds holds the next one back at least ``SLOW_FACTOR * t``).

Nothing raises out of :meth:`Poller.poll`: a missing command, a down controller, an unknown job id
become a ``problem`` on the jobs concerned, and the last known states are kept.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from waitbuddy.runs.slurm import (
    JobState,
    parse_sacct,
    parse_squeue,
    sacct_argv,
    squeue_argv,
    squeue_user_argv,
    task_range,
)
from waitbuddy.text import safe_line

DEFAULT_INTERVAL = 60.0
MAX_INTERVAL = 600.0
COMMAND_TIMEOUT = 30.0
SLOW_FACTOR = 30.0  # a query that took 2 s waits at least 60 s for the next: the controller is busy
GIVE_UP = 3  # polls in a row that found no trace of a job before it is no longer asked about
_JOB_ID = re.compile(r"\d+(?:_\d+)?")


@dataclass(frozen=True, slots=True)
class Output:
    returncode: int
    stdout: str
    stderr: str


Runner = Callable[[list[str], float], Output]


def run_command(argv: list[str], timeout: float, env: Mapping[str, str] | None = None) -> Output:
    """Run ``argv`` (no shell). Raises OSError when the program is missing, TimeoutExpired."""
    done = subprocess.run(argv, check=False, capture_output=True, text=True, errors="replace", timeout=timeout,
                          env=env, stdin=subprocess.DEVNULL)
    return Output(done.returncode, done.stdout, done.stderr)


class SlurmError(Exception):
    """Slurm refused or could not be asked (submit only: polling never raises)."""


@dataclass(frozen=True, slots=True)
class Submitted:
    job_id: str
    cluster: str | None = None


def submit(script: str, args: Iterable[str] = (), *, env: Mapping[str, str] | None = None,
           timeout: float = COMMAND_TIMEOUT, runner: Runner | None = None) -> Submitted:
    """``sbatch --parsable [args] script`` -> the job id ("12"; an array's id is its base id)."""
    argv = ["sbatch", "--parsable", *args, script]
    try:
        out = (runner or (lambda a, t: run_command(a, t, env)))(argv, timeout)
    except OSError as error:
        raise SlurmError(f"sbatch could not run: {error.strerror or error}") from None
    except subprocess.TimeoutExpired:
        raise SlurmError(f"sbatch did not answer within {timeout:.0f} s") from None
    if out.returncode != 0:
        raise SlurmError(safe_line(out.stderr.strip() or f"sbatch exited with {out.returncode}", limit=300))
    # --parsable prints "id" or "id;cluster"; warnings may come first on lines of their own
    lines = [line for line in out.stdout.splitlines() if line.strip()]
    job_id, _, cluster = (lines[-1] if lines else "").strip().partition(";")
    if not job_id.isdigit():
        raise SlurmError(f"sbatch printed no job id: {safe_line(out.stdout, limit=200)!r}")
    return Submitted(job_id, cluster or None)


@dataclass
class Report:
    """What is known about one watched id: its jobs (an array has one per task, plus a row for
    its pending tasks), and the problem, if the last attempt to learn more failed."""

    jobs: tuple[JobState, ...] = ()
    problem: str | None = None
    checked_at: float | None = None  # monotonic time of the last query that answered for it
    misses: int = 0  # polls in a row where neither squeue nor accounting knew the id

    @property
    def ended(self) -> bool:
        return bool(self.jobs) and all(job.ended for job in self.jobs)

    @property
    def settled(self) -> bool:
        """Nothing more to learn: every job ended, or the id is unknown after ``GIVE_UP`` polls."""
        return self.ended or self.misses >= GIVE_UP


@dataclass
class Poller:
    runner: Runner | None = None
    interval: float = DEFAULT_INTERVAL
    max_interval: float = MAX_INTERVAL
    timeout: float = COMMAND_TIMEOUT
    env: Mapping[str, str] | None = None
    clock: Callable[[], float] = time.monotonic
    queries: int = 0  # commands run so far (each one RPC to the controller)
    reports: dict[str, Report] = field(default_factory=dict)
    next_at: float = 0.0
    current_interval: float = 0.0
    accounting: str | None = None  # None: untried; "sacct", "jobcomp" or "none"
    users: set[str] = field(default_factory=set)  # whose jobs are watched as they are submitted
    user_problem: str | None = None  # why the last query for the users' jobs failed

    def __post_init__(self) -> None:
        self.current_interval = self.interval

    def watch(self, job_ids: Iterable[str]) -> list[str]:
        """Start watching ids ("12", "12_3"); returns the ones refused as not job ids."""
        refused = []
        for job_id in job_ids:
            job_id = job_id.strip()
            if _JOB_ID.fullmatch(job_id):
                self.reports.setdefault(job_id, Report())  # asked about at the next due poll, not at once
            else:
                refused.append(job_id)
        return refused

    def unwatch(self, job_id: str) -> None:
        self.reports.pop(job_id, None)

    def due(self) -> bool:
        return self.clock() >= self.next_at

    def poll(self, *, force: bool = False) -> dict[str, Report]:
        """Ask Slurm if the interval has passed (or ``force``); returns every watched id's report."""
        if not (force or self.due()):
            return self.reports
        started = self.clock()
        answered: set[str] = set()
        ok, slowest = self._ask_users(answered) if self.users else (True, 0.0)
        live = [job_id for job_id, report in self.reports.items() if not report.settled and job_id not in answered]
        if live:
            asked, took = self._ask(live)
            ok, slowest = ok and asked, max(slowest, took)
        elif not self.users:
            self.next_at = self.clock() + self.current_interval
            return self.reports
        # A slow answer holds the next query back, failed or not (a down controller makes squeue
        # retry for ~18 s before it gives up); errors also double the interval.
        wait = max(self.interval, slowest * SLOW_FACTOR)
        if not ok:
            wait = max(wait, max(self.current_interval, self.interval) * 2)
        self.current_interval = min(self.max_interval, wait)
        self.next_at = started + self.current_interval
        return self.reports

    def _ask(self, live: list[str]) -> tuple[bool, float]:
        found, problem, took = self._query(squeue_argv(live), parse_squeue, "squeue")
        if problem is not None:
            self._note(live, problem)
            return False, took
        now = self.clock()
        missing = [job_id for job_id in live if not self._assign(job_id, found, now)]
        if not missing:
            return True, took
        old, problem, more = self._from_accounting(missing)
        took = max(took, more)
        for job_id in missing:
            if not self._assign(job_id, old, now):
                self.reports[job_id].misses += problem is None
                self._note([job_id], problem or f"Slurm does not know job {job_id} (never existed, or forgotten:"
                                                " the controller keeps ended jobs only minutes without accounting)")
        return problem is None, took

    def _ask_users(self, answered: set[str]) -> tuple[bool, float]:
        """One squeue for every job of the watched users: new ones start being watched (an array
        by its id, so each task gets its row), and each one's state is taken from this answer
        (``answered``: the ids it answered for need no query of their own this time)."""
        found, problem, took = self._query(squeue_user_argv(sorted(self.users)), parse_squeue, "squeue")
        self.user_problem = problem
        if problem is None:
            now = self.clock()
            for job_id in dict.fromkeys(job.array_job_id or job.job_id for job in found):
                self.reports.setdefault(job_id, Report())
                if self._assign(job_id, found, now):
                    answered.add(job_id)
        return problem is None, took

    def _from_accounting(self, ids: list[str]) -> tuple[list[JobState], str | None, float]:
        if self.accounting in (None, "sacct"):
            jobs, problem, took = self._query(sacct_argv(ids), parse_sacct, "sacct")
            if problem is None:
                self.accounting = "sacct"
                return jobs, None, took
            if "accounting storage is disabled" not in problem.lower():
                return [], problem, took
            self.accounting = "jobcomp"
        if self.accounting == "jobcomp":
            jobs, problem, took = self._query(sacct_argv(ids, jobcomp=True),
                                              lambda text: parse_sacct(text, source="jobcomp"), "sacct -c")
            if problem is None:
                return jobs, None, took
            self.accounting = "none"  # no jobcomp file either: do not ask again
        return [], None, 0.0

    def _query(self, argv: list[str], parse: Callable[[str], list[JobState]], name: str
               ) -> tuple[list[JobState], str | None, float]:
        """Run one command; (jobs, None, seconds) or ([], problem, seconds). Never raises."""
        self.queries += 1
        started = self.clock()
        try:
            out = (self.runner or self._run)(argv, self.timeout)
        except FileNotFoundError:
            return [], f"{argv[0]} not found: Slurm's commands are not installed here", 0.0
        except OSError as error:
            return [], f"{argv[0]} could not run: {error.strerror or error}", 0.0
        except subprocess.TimeoutExpired:
            return [], f"the Slurm controller did not answer {name} within {self.timeout:.0f} s", self.timeout
        took = self.clock() - started
        if out.returncode != 0:
            text = out.stderr.strip() or out.stdout.strip() or f"exit status {out.returncode}"
            if name == "squeue" and "invalid job id" in text.lower():
                return [], None, took  # none of the ids is in the queue any more: ask accounting
            if "could not establish a configuration source" in text.lower():
                return [], f"{argv[0]} found no Slurm configuration: Slurm is not set up on this machine", took
            return [], f"{name} failed: {safe_line(_gist(text), limit=200)}", took
        try:
            return parse(out.stdout), None, took
        except (ValueError, IndexError) as error:  # a format we did not expect: say so, keep going
            return [], f"{name} printed something unreadable ({error})", took

    def _run(self, argv: list[str], timeout: float) -> Output:
        return run_command(argv, timeout, self.env if self.env is not None else os.environ)

    def _assign(self, job_id: str, jobs: list[JobState], now: float) -> bool:
        mine = [job for job in jobs if _belongs(job, job_id)]
        if not mine:
            return False
        # Tasks of an array that ended and have since left the queue keep their last state.
        merged = {job.key: job for job in self.reports[job_id].jobs if job.ended}
        merged.update((job.key, job) for job in mine)
        self.reports[job_id] = Report(jobs=tuple(merged.values()), problem=None, checked_at=now)
        return True

    def _note(self, job_ids: list[str], problem: str) -> None:
        for job_id in job_ids:
            report = self.reports.get(job_id)
            if report is not None:
                report.problem = problem


def _gist(stderr: str) -> str:
    """The line that says what went wrong: Slurm's commands print a chain of "error:" lines and
    end with the "fatal:" one ("squeue: fatal: Could not establish ..." -> "Could not establish ...")."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    line = next((line for line in reversed(lines) if "fatal:" in line), lines[-1] if lines else stderr)
    for prefix in ("squeue:", "sacct:", "sbatch:", "scontrol:", "fatal:", "error:"):
        line = line.removeprefix(prefix).strip()
    return line


def _belongs(job: JobState, watched: str) -> bool:
    """Whether a row answers for a watched id: "12" is the job or every task of array 12;
    "12_3" is that task, or the pending-tasks row whose range holds 3."""
    base, _, task = watched.partition("_")
    if not task:
        return job.job_id == base or job.array_job_id == base
    if job.array_job_id != base or job.array_task is None:
        return False
    return job.array_task == task or (not job.array_task.isdigit() and int(task) in task_range(job.array_task))
