"""The watcher's slow sources, each on a thread of its own so the engine never waits on a network:

* :class:`SlurmJobs` asks the scheduler about every watched job with one ``Poller`` (one batched
  squeue per interval) and hands the engine copies of the reports;
* :class:`RemoteLogs` holds the process's SSH connections (one per host) and lists remote globs.

Both wake the engine (``wake``) when they have something new, and never raise into it: a
problem is kept and shown on what it concerns.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from waitbuddy.runs.slurm_poll import DEFAULT_INTERVAL, Poller, Report
from waitbuddy.runs.status import TAIL_BYTES

if TYPE_CHECKING:  # imported on first use: most watchers never follow a remote log
    from waitbuddy.runs.remote import SshHosts
    from waitbuddy.runs.remote_tail import RemoteTail

FIRST_LOOK_SECONDS = 30.0  # a job just added is asked about this soon after the last query, not an interval later
RELIST_SECONDS = 30.0  # how often a remote glob is listed again for new logs
LIST_TIMEOUT = 30.0
GATHER_SECONDS = 0.2  # new job ids keep coming for this long: they wait for each other
GATHER_MAX_SECONDS = 1.0


class SlurmJobs:
    def __init__(self, wake: Callable[[], None], *, interval: float = DEFAULT_INTERVAL,
                 poller: Poller | None = None) -> None:
        self.poller = poller or Poller(interval=interval)
        self._wake = wake
        self._lock = threading.Lock()
        self._event = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._wanted: set[str] = set()
        self._new: set[str] = set()
        self._new_users: set[str] = set()
        self._reports: dict[str, Report] = {}
        self._user_problem: str | None = None
        self._last_query: float | None = None
        self.version = 0  # grows with every answer the engine has not seen

    def want(self, job_id: str) -> None:
        """Watch this job id ("12", "12_3"); thread-safe, cheap when already watched."""
        with self._lock:
            if job_id in self._wanted:
                return
            self._wanted.add(job_id)
            self._new.add(job_id)
        self._start()

    def want_user(self, user: str) -> None:
        with self._lock:
            if user in self.poller.users or user in self._new_users:
                return
            self._new_users.add(user)
        self._start()

    def reports(self) -> dict[str, Report]:
        with self._lock:
            return dict(self._reports)

    def user_problem(self) -> str | None:
        with self._lock:
            return self._user_problem

    def close(self) -> None:
        self._stop.set()
        self._event.set()
        if self._thread is not None:
            self._thread.join(5)

    def _take_new(self) -> tuple[set[str], set[str]]:
        """The ids and users asked for since last time, gathered for a moment first: discovery
        asks for the jobs of a watch list one by one, and they belong in one query."""
        new: set[str] = set()
        users: set[str] = set()
        deadline = time.monotonic() + GATHER_MAX_SECONDS
        while True:
            with self._lock:
                more, self._new = self._new, set()
                more_users, self._new_users = self._new_users, set()
            new |= more
            users |= more_users
            if not (more or more_users) or time.monotonic() >= deadline:
                return new, users
            self._stop.wait(GATHER_SECONDS)

    def _start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="waitbuddy-slurm", daemon=True)
            self._thread.start()
        self._event.set()

    def _loop(self) -> None:
        poller = self.poller
        while not self._stop.is_set():
            try:
                new, users = self._take_new()
                if new or users:
                    poller.watch(sorted(new))
                    poller.users |= users
                    soon = 0.0 if self._last_query is None else self._last_query + FIRST_LOOK_SECONDS
                    poller.next_at = min(poller.next_at, soon)
                if poller.due():
                    self._last_query = poller.clock()
                    poller.poll()
                    with self._lock:
                        self._reports = {job_id: replace(report) for job_id, report in poller.reports.items()}
                        self._user_problem = poller.user_problem
                        self.version += 1
                    self._wake()
                wait = min(max(poller.next_at - poller.clock(), 0.5), 5.0)
            except Exception as exc:  # noqa: BLE001 - never die silently: say it on every job, try again later
                with self._lock:
                    problem = f"internal error asking Slurm: {type(exc).__name__}: {exc}"[:200]
                    self._reports = {job: replace(report, problem=problem) for job, report in self._reports.items()}
                    self.version += 1
                self._wake()
                wait = poller.interval
            self._event.wait(wait)
            self._event.clear()


class RemoteLogs:
    """One :class:`SshHosts` for the process; remote globs listed in the background."""

    def __init__(self, wake: Callable[[str], None], *, ssh_command: Sequence[str] = ("ssh",),
                 hosts: SshHosts | None = None) -> None:
        self._wake = wake
        self._ssh_command = tuple(ssh_command) or ("ssh",)
        self._hosts = hosts
        self._lock = threading.Lock()
        self._lists: dict[str, list[str]] = {}
        self._listed_at: dict[str, float] = {}
        self._listing: set[str] = set()
        self._problems: dict[str, str] = {}

    @property
    def hosts(self) -> SshHosts:
        with self._lock:
            if self._hosts is None:
                from waitbuddy.runs.remote import SshHosts

                self._hosts = SshHosts(ssh=self._ssh_command[0], options=self._ssh_command[1:])
            return self._hosts

    def expand(self, pattern: str) -> list[str]:
        """The logs a pattern names: itself, or what its glob named when last listed (the listing
        runs on a thread; the engine is woken with the pattern when it is done)."""
        from waitbuddy.runs.remote import parse_target

        target = parse_target(pattern)
        if not target.is_glob():
            return [pattern]
        now = time.monotonic()
        with self._lock:
            known = self._lists.get(pattern, [])
            due = pattern not in self._listing and now - self._listed_at.get(pattern, -RELIST_SECONDS) >= RELIST_SECONDS
            if due:
                self._listing.add(pattern)
        if due:
            threading.Thread(target=self._list, args=(pattern,), name="waitbuddy-ssh-list", daemon=True).start()
        return known

    def problem(self, pattern: str) -> str | None:
        with self._lock:
            return self._problems.get(pattern)

    def tail(self, url: str, on_change: Callable[[], None]) -> RemoteTail:
        from waitbuddy.runs.remote import parse_target
        from waitbuddy.runs.remote_tail import RemoteTail

        # As a local log is first read (status.prime): its last MB, and its head for context.
        tail = RemoteTail(parse_target(url), self.hosts, on_change=on_change, start_from_end=TAIL_BYTES)
        tail.start()
        return tail

    def fetch_head(self, url: str, size: int, done: Callable[[bytes], None]) -> None:
        """Read the first ``size`` bytes of a remote log on a thread; ``done`` gets them (``b""``
        when they cannot be had: the run then lacks the context, nothing more)."""
        from waitbuddy.runs.remote import parse_target

        def fetch() -> None:
            data = b""
            try:
                data = self.hosts.head(parse_target(url), size, timeout=LIST_TIMEOUT)
            except Exception:  # noqa: BLE001, S110 - the head is context only; the tail says what is wrong
                pass
            done(data)

        threading.Thread(target=fetch, name="waitbuddy-ssh-head", daemon=True).start()

    def close(self) -> None:
        with self._lock:
            hosts = self._hosts
        if hosts is not None:
            hosts.close()

    def _list(self, pattern: str) -> None:
        from waitbuddy.runs.remote import parse_target

        problem = None
        found: list[str] | None = None
        try:
            found = [target.url() for target in self.hosts.expand(parse_target(pattern), timeout=LIST_TIMEOUT)]
        except OSError as exc:
            problem = str(exc) or type(exc).__name__
        except Exception as exc:  # noqa: BLE001 - a thread of ours never dies silently
            problem = f"{type(exc).__name__}: {exc}"
        with self._lock:
            self._listing.discard(pattern)
            self._listed_at[pattern] = time.monotonic()
            if found is not None:
                self._lists[pattern] = found
                self._problems.pop(pattern, None)
            else:
                self._problems[pattern] = problem or "cannot list"
        self._wake(pattern)
