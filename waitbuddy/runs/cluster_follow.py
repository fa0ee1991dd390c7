"""The watcher's Slurm jobs and logs on other machines, on its engine thread (a part of
:class:`~waitbuddy.runs.watcher.Watcher`, kept apart so the engine's file is about files).

* Slurm: which output files a ``slurm:``/``slurm-user:`` pattern names (as far as Slurm has said),
  what the scheduler's state does to their runs (its end wins over the log's story), and an end
  recorded before a restart that Slurm has since forgotten.
* ``ssh://`` logs: reading a RemoteTail, its head first when the log is big, and the link's
  state ("disconnected": no stall while it is down).

The slow parts (squeue, ssh) run on threads of their own (cluster_watch.py) and wake the engine.
"""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

from waitbuddy.runs import sources
from waitbuddy.runs.followed import Followed, Wakeups
from waitbuddy.runs.observe import Marker
from waitbuddy.runs.run import ENDED, RUNNING, WAITING
from waitbuddy.runs.slurm import JobState, array_summary, verdict
from waitbuddy.runs.status import HEAD_BYTES, drain, written_since
from waitbuddy.text import visible
from waitbuddy.timefmt import timestamp

if TYPE_CHECKING:
    from waitbuddy.runs.cluster_watch import RemoteLogs, SlurmJobs

DISCONNECT_NEWS_SECONDS = 300.0  # a link down this long is published again (alerts say so once it lasts)
SLURM_WAKE = "\x00slurm"  # what SlurmJobs wakes the engine with (no path is named so)


class ClusterFollowing:
    """The Watcher's methods for Slurm jobs and remote logs (mixed into it; they use its
    ``_report`` and ``_guarded`` as well as the attributes below)."""

    followed: dict[str, Followed]
    slurm: SlurmJobs
    remote: RemoteLogs
    _jobs: dict[str, tuple[str, str, str | None, float | None]]
    _slurm_seen: int
    _wakeups: Wakeups

    def _job_outputs(self, pattern: str) -> list[str]:
        """The output files of the jobs a slurm: or slurm-user: pattern names, as far as Slurm has said."""
        reports = self.slurm.reports()
        if (user := sources.slurm_user(pattern)) is not None:
            self.slurm.want_user(user)
            if (problem := self.slurm.user_problem()) is not None:
                self._report(f"cannot list {visible(user, limit=60)}'s Slurm jobs: {problem}")
            ids = [job_id for job_id, report in reports.items() if any(job.user == user for job in report.jobs)]
        else:
            job_id = sources.slurm_job(pattern) or ""
            self.slurm.want(job_id)
            ids = [job_id]
        outputs = []
        for job_id in ids:
            report = reports.get(job_id)
            if report is None:
                continue
            if not report.jobs and report.problem:
                self._report(f"Slurm job {job_id}: {report.problem}")
            for job in report.jobs:
                if job.stdout:
                    self._jobs[job.stdout] = (job_id, job.key, job.name, timestamp(job.submitted_at))
                    outputs.append(job.stdout)
                    if (followed := self.followed.get(job.stdout)) is not None and not followed.job_given:
                        # followed before Slurm answered (its run was in the store): it is this job's
                        followed.job, followed.job_given = (job_id, job.key), True
        return outputs

    def _restore_end(self, path: str, followed: Followed, now: float) -> None:
        """A Slurm job's run that ended before this watcher started: its log alone may read as
        running (a time limit mid-epoch), and Slurm forgets ended jobs (minutes, without
        accounting). The end recorded stands, unless the log was written to after it."""
        saved, followed.saved_end = followed.saved_end, None
        assert saved is not None
        if written_since(path, saved):
            return  # written to since: requeued, or a new job writing the same file
        run = followed.run
        run.job, run.array = saved.job, saved.array
        error = saved.error
        marker = (Marker(saved.status, error.message, error.kind) if error is not None and saved.status != "completed"
                  else Marker("completed", "completed"))
        run.scheduled_end(marker, now, code=saved.exit_code, signal=saved.exit_signal, at=timestamp(saved.ended_at))
        if saved.started_at is not None:
            run.started_at = timestamp(saved.started_at)

    def _read_remote(self, path: str, followed: Followed, now: float) -> None:
        """A log on another machine: its session thread wakes us when bytes arrive or the link changes."""
        run = followed.run
        if followed.tail is None:
            followed.tail = self.remote.tail(path, on_change=lambda: self._wakeups.add(path))
        if followed.head_state != "done" and not self._remote_head(path, followed, now):
            return  # the head is on its way: the tail's text waits for it
        drain(run, followed.tail, now)  # a link that is down leaves its state as the note
        if not followed.aged and (opened := followed.tail.opened) is not None and followed.tail.offset >= opened[0]:
            # Caught up with what was there at the first open: it has been idle since its last write
            # there, not since it arrived here (a finished log shows completed, not running).
            followed.aged = True
            if opened[1] is not None and opened[1] > 1 and run.updated_at is not None:
                run.updated_at = now - opened[1]
                run.started_at = None  # unknown: the log began before we looked
                run.tick(now)
        state = followed.tail.state
        if state.kind in ("disconnected", "error"):
            if followed.down_since is None:
                followed.down_since = now
                run.disconnected_since = state.since
                run.touch()
        elif state.kind in ("connected", "missing") and followed.down_since is not None:
            if run.updated_at is not None:  # the outage was not the run's silence: no stall for it
                run.updated_at += now - followed.down_since
            followed.down_since, followed.down_told = None, False
            run.disconnected_since = None
            if run.note is not None and run.note.startswith(("disconnected", "error:")):
                run.set_note(None)
            run.touch()

    def _remote_head(self, path: str, followed: Followed, now: float) -> bool:
        """A big remote log is followed from near its end, as a local one is: its head (the
        configuration, "Num Epochs = 3") is read first, once, on a thread. True when the tail's
        text may be read now."""
        assert followed.tail is not None
        start = followed.tail.start_offset()
        if start is None:  # not opened yet: nothing to read, unless the link says why (drain shows it)
            return followed.tail.state.kind in ("disconnected", "error", "missing")
        if start == 0:
            followed.head_state = "done"
            return True
        if followed.head_state == "unknown":
            followed.head_state = "fetching"

            def arrived(data: bytes) -> None:  # on the fetching thread
                followed.head = data
                self._wakeups.add(path)

            self.remote.fetch_head(path, min(HEAD_BYTES, start), arrived)
            return False
        if followed.head is None:
            return False
        head, followed.head, followed.head_state = followed.head, None, "done"
        text = head.decode("utf-8", errors="replace").replace("\x00", "")
        if text and "\ufffd" not in text[:4096]:  # a text log (a binary one is the tail's to say)
            followed.run.feed(text, now)
            followed.run.end_of_content(now)
            followed.run.skip()  # the middle is not read: the tail starts on a fresh line
        return True

    def _apply_jobs(self, now: float) -> None:
        """What Slurm said last, on the runs of its jobs' output files."""
        self._slurm_seen = self.slurm.version
        reports = self.slurm.reports()
        for path, followed in list(self.followed.items()):
            if followed.job is None or (report := reports.get(followed.job[0])) is None:
                continue
            job = next((job for job in report.jobs if job.key == followed.job[1]), None)
            array = None
            if "_" not in followed.job[0] and any(job.array_task is not None for job in report.jobs):
                array = array_summary(report.jobs)  # the whole array is watched: how its tasks stand
            if (followed.job[1], array) != (followed.run.job, followed.run.array):
                followed.run.job, followed.run.array = followed.job[1], array
                followed.run.touch()
            if job is None:
                if followed.job_given and report.problem and followed.run.status not in ENDED:
                    followed.run.set_note(f"Slurm: {report.problem}"[:200])
                continue
            if job != followed.job_state:
                followed.job_state = job
                self._guarded(followed, self._apply_job, path, followed, job, now)
            followed.job_problem = report.problem
            if followed.run.status == WAITING:  # no log yet: Slurm's word is the row
                followed.run.set_note(waiting_note(followed))

    def _apply_job(self, path: str, followed: Followed, job: JobState, now: float) -> None:
        run, said = followed.run, verdict(job)
        if said.status in (WAITING, RUNNING):
            where = f" on {job.nodes}" if said.status == RUNNING and job.nodes else ""
            followed.job_note = f"{said.message}{where}" + ("; no output yet" if said.status == RUNNING else "")
            if run.status == WAITING:
                run.set_note(followed.job_note)
            if said.status == RUNNING and run.started_at is None:
                run.started_at = timestamp(job.started_at)
            return
        followed.job_note = None
        if followed.tail is not None:
            drain(run, followed.tail, now)  # what it wrote last
        run.scheduled_end(Marker(said.status, said.message, said.error_kind), now, code=job.exit_code,
                          signal=job.exit_signal, at=timestamp(job.ended_at))
        if run.started_at is None or followed.tail is None:
            run.started_at = timestamp(job.started_at) or run.started_at
        if run.note is not None and run.note == "waiting for the file":
            run.set_note(None)


def waiting_note(followed: Followed) -> str:
    """A run with no log yet: "waiting for the file", or Slurm's word ("waiting: Priority"), and
    why Slurm could not be asked if it could not."""
    note = followed.job_note or "waiting for the file"
    return f"{note}; Slurm: {followed.job_problem}"[:200] if followed.job_problem else note


def scheduler_done(followed: Followed, reports: dict) -> bool:
    """Not a Slurm job's run, or Slurm says the job ended, or Slurm has settled on not knowing it
    (a slurm-12.out copied from another cluster must not hold `--until-done` forever)."""
    if followed.job is None or (followed.job_state is not None and followed.job_state.ended):
        return True
    report = reports.get(followed.job[0])
    return report is not None and report.settled and not any(job.key == followed.job[1] for job in report.jobs)


def slurm_here() -> bool:
    """Slurm's commands are installed (a slurm-123.out copied elsewhere is only a log)."""
    return shutil.which("squeue") is not None
