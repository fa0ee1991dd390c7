"""Follows every watched log: inotify (watchdog) where events arrive, polling where they do not.

One engine thread owns all Runs and Tails, so runs need no locks. The watchdog observer thread
only records which paths changed and wakes the engine. The engine also

* polls files that get no events: forced by config, on network filesystems (NFS, Lustre, ...),
  where the inotify watch limit was hit, or where a slow safety stat saw growth that no event
  announced;
* rediscovers globs and directories, so ``runs/*/train.log`` picks up new runs by itself;
* ticks runs for stall detection and notices launched runs and watched PIDs that ended;
* follows logs on other machines (``ssh://host/path``), woken by their session threads, and
  Slurm jobs (``slurm:ID``, ``slurm-user:NAME``): their output files are followed as local logs
  and the scheduler's state, asked on a thread of its own (cluster_watch.py), ends their runs
  (those parts of the engine are in cluster_follow.py).

Consumers get batches of snapshots of the runs that changed, from the engine thread.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from waitbuddy.runs import registry, sources
from waitbuddy.runs.cluster_follow import (
    DISCONNECT_NEWS_SECONDS,
    SLURM_WAKE,
    ClusterFollowing,
    scheduler_done,
    slurm_here,
    waiting_note,
)
from waitbuddy.runs.cluster_watch import RemoteLogs, SlurmJobs
from waitbuddy.runs.followed import Followed, Wakeups
from waitbuddy.runs.patterns import NETWORK_FILESYSTEMS, expand, filesystem_type, is_pattern, watch_root
from waitbuddy.runs.run import ENDED, Run
from waitbuddy.runs.slurm import job_id_from_path
from waitbuddy.runs.snapshot import RunSnapshot
from waitbuddy.runs.status import drain, idle_since_modified, launched_exit, prime
from waitbuddy.store import Store
from waitbuddy.text import visible
from waitbuddy.timefmt import timestamp

SAFETY_POLL_SECONDS = 5.0  # stat of inotify-watched files, to catch events that never come
DISCOVERY_SECONDS = 2.0
TICK_SECONDS = 1.0
SAVE_EVERY_SECONDS = 5.0  # how often a run's progress is written to the store (status changes: at once)
REMOVED_GRACE_SECONDS = 30.0  # a run removed from the dashboard is not rediscovered before its store write lands

RELAUNCH_CHECK_SECONDS = 2.0  # a running log with no known process: how often to look for a new launch

Snapshots = Callable[[list[RunSnapshot]], None]


class Watcher(ClusterFollowing):
    def __init__(
        self, patterns: list[str], *, on_snapshots: Snapshots, store: Store | None = None,
        polling: str = "auto", poll_seconds: float = 1.0, stall_floor: float = 600.0,
        pids: dict[str, int] | None = None, use_inotify: bool = True, follow_store: bool = False,
        spark_points: int = 0, extra_recognizers: tuple = (), on_error: Callable[[str], None] | None = None,
        register: bool = True, ssh_command: tuple[str, ...] = ("ssh",), slurm_poll_seconds: float = 60.0,
        remote: RemoteLogs | None = None, slurm: SlurmJobs | None = None,
    ) -> None:
        """``follow_store``: also follow every watch pattern and run in the store, including ones
        added later by another waitbuddy process (the dashboard does this). ``register``: add the
        runs it follows to the store (the dashboard's set); without it, only runs already there
        are read from and written to the store (script modes leave the dashboard alone)."""
        self.patterns = [_normalized(pattern) for pattern in patterns]
        self.on_snapshots = on_snapshots
        self.store = store
        self.poll_all = polling == "always" or not use_inotify
        self.poll_seconds = poll_seconds
        self.stall_floor = stall_floor
        self.pids = {os.path.abspath(path): pid for path, pid in (pids or {}).items()}
        self.followed: dict[str, Followed] = {}
        self._gone: set[str] = set()  # ended runs in the store whose log is gone: left as recorded
        self._wakeups = Wakeups()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._observer = None
        self._watched_roots: dict[str, bool] = {}  # root -> events expected
        self._unfollow_requests: set[str] = set()
        self._published = False
        self._store_warned = False
        self.follow_store = follow_store and store is not None
        self.spark_points = spark_points  # > 0: snapshots carry "spark", recent headline values
        self.extra_recognizers = extra_recognizers  # the user's [[runs.formats]]
        self.on_error = on_error or _print_error  # called from the engine thread
        self._reported: set[str] = set()  # problems already told to on_error
        self._removed: dict[str, float] = {}  # path -> until when discovery leaves it alone (unfollow)
        self.register = register
        self.remote = remote or RemoteLogs(self._wakeups.add, ssh_command=ssh_command)
        self.slurm = slurm or SlurmJobs(lambda: self._wakeups.add(SLURM_WAKE), interval=slurm_poll_seconds)
        self._slurm_seen = -1  # the SlurmJobs version last applied
        # output path -> (watched id, job key, job name, when it was submitted)
        self._jobs: dict[str, tuple[str, str, str | None, float | None]] = {}
        self._started_at = time.time()

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        self._started_at = time.time()
        self._thread = threading.Thread(target=self._loop, name="waitbuddy-watcher", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wakeups.event.set()
        if self._thread is not None:
            self._thread.join(timeout)
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout)
        for followed in self.followed.values():
            if followed.tail is not None:
                followed.tail.close()
        self.slurm.close()
        self.remote.close()

    def add_pattern(self, pattern: str) -> None:
        """Thread-safe: the engine picks it up on its next discovery pass."""
        pattern = _normalized(pattern)
        with self._wakeups.lock:
            self._removed.pop(pattern, None)  # asked for again
        if pattern not in self.patterns:
            self.patterns = [*self.patterns, pattern]
        self._wakeups.add(pattern)

    def snapshots(self) -> list[RunSnapshot]:
        now = time.time()
        return [followed.run.snapshot(now) for followed in list(self.followed.values())]

    def all_ended(self) -> bool:
        """Every run has ended, and for a Slurm job's run Slurm has said so too: a log that reads
        "Training complete" may still end FAILED (the script's last step), and `--until-done`
        exits with what the scheduler said."""
        followed = list(self.followed.values())
        reports = self.slurm.reports() if any(each.job for each in followed) else {}
        return bool(followed) and all(each.run.status in ENDED and scheduler_done(each, reports) for each in followed)

    # --- engine ------------------------------------------------------------------------------

    def _loop(self) -> None:
        self._start_observer()
        next_discovery = 0.0
        next_tick = 0.0
        while not self._stop.is_set():
            try:
                now = time.time()
                woken = self._wakeups.take()
                for path in self._take_unfollow_requests():
                    self._unfollow(path)
                if now >= next_discovery or woken - set(self.followed):
                    self._discover(now)
                    next_discovery = now + DISCOVERY_SECONDS
                if self.slurm.version != self._slurm_seen:
                    self._apply_jobs(now)
                for path, followed in list(self.followed.items()):
                    due = followed.polled or path in woken or followed.tail is None
                    if not due and now - followed.last_safety_stat >= SAFETY_POLL_SECONDS:
                        followed.last_safety_stat = now
                        due = self._grew_silently(path, followed)
                    if due:
                        self._guarded(followed, self._read, path, followed, now)
                if now >= next_tick:
                    self._tick(now)
                    next_tick = now + TICK_SECONDS
                self._publish(now)
                timeout = self.poll_seconds if any(f.polled for f in self.followed.values()) else TICK_SECONDS
            except Exception as exc:  # noqa: BLE001 - the thread must live on: report, wait, try again
                self._report(f"internal error in the watcher: {type(exc).__name__}: {exc}")
                next_discovery = time.time() + DISCOVERY_SECONDS
                timeout = TICK_SECONDS
            self._wakeups.event.wait(timeout)
            self._wakeups.event.clear()
        try:
            self._flush_states()
        except Exception as exc:  # noqa: BLE001 - stopping must not raise
            self._report(f"internal error saving the runs' state: {type(exc).__name__}: {exc}")

    def _report(self, message: str) -> None:
        """Tell the consumer once per distinct problem (the loop retries every second)."""
        if message not in self._reported:
            self._reported.add(message)
            try:
                self.on_error(message[:300])
            except Exception:  # noqa: BLE001, S110 - a consumer that cannot be told must not stop the watch
                pass

    def _take_unfollow_requests(self) -> set[str]:
        with self._wakeups.lock:
            requests, self._unfollow_requests = self._unfollow_requests, set()
        return requests

    def _start_observer(self) -> None:
        if self.poll_all:
            return
        try:
            from watchdog.events import FileSystemEventHandler
            from watchdog.observers import Observer
        except ImportError:  # pragma: no cover - watchdog is a dependency
            self.poll_all = True
            return
        wakeups = self._wakeups

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event) -> None:  # runs on the observer thread
                # Directory events matter too: a new run directory may match a glob.
                wakeups.add(os.fsdecode(event.src_path))
                if getattr(event, "dest_path", None):
                    wakeups.add(os.fsdecode(event.dest_path))

        self._handler = Handler()
        self._observer = Observer()
        self._observer.daemon = True
        self._observer.start()

    def _watch_root(self, root: str, recursive: bool) -> bool:
        """Ask for events under ``root``; False where they will not come (we poll instead)."""
        if root in self._watched_roots:
            return self._watched_roots[root]
        expected = False
        if self._observer is not None and os.path.isdir(root) and filesystem_type(root) not in NETWORK_FILESYSTEMS:
            try:
                self._observer.schedule(self._handler, root, recursive=recursive)
                expected = True
            except OSError:  # e.g. ENOSPC: the inotify watch limit is reached
                expected = False
        if os.path.isdir(root):
            self._watched_roots[root] = expected
        return expected

    def _discover(self, now: float) -> None:
        patterns = list(self.patterns)
        hidden: set[str] = set()
        if self.follow_store:
            patterns += self._store_call(registry.watches, self.store) or []
            records = self._store_call(registry.runs, self.store, include_hidden=True) or []
            patterns += [record.path for record in records if not record.hidden]
            hidden = {record.path for record in records if record.hidden}
            for path in hidden & set(self.followed):  # removed from the dashboard elsewhere
                self._unfollow(path)
        for pattern in dict.fromkeys(patterns):
            try:
                for path, polled in self._named(pattern):
                    if path in self._gone:
                        if not os.path.exists(path):
                            continue
                        self._gone.discard(path)  # a new run in the same place
                    if path not in self.followed and path not in hidden and not self._recently_removed(path):
                        self._follow(path, now, polled=polled)
            except OSError as exc:  # a symlink loop, an unreadable directory: this watch only
                reason = exc.strerror or str(exc)
                self._report(f"cannot follow the watch {visible(pattern, limit=200)}: {reason}; the others go on")
            except ValueError as exc:  # a remote or Slurm pattern that makes no sense (stored by hand?)
                self._report(f"cannot follow the watch {visible(pattern, limit=200)}: {exc}")

    def _named(self, pattern: str) -> list[tuple[str, bool]]:
        """The logs ``pattern`` names now, each with whether it must be polled (no events for it)."""
        if sources.is_remote(pattern):
            if (problem := self.remote.problem(pattern)) is not None:
                self._report(f"cannot list {visible(pattern, limit=200)}: {problem}")
            return [(url, False) for url in self.remote.expand(pattern)]
        if sources.is_slurm(pattern):
            return [(path, not self._watch_root(os.path.dirname(path), False)) for path in self._job_outputs(pattern)]
        # runs/*/train.log needs events from the subdirectories of runs/.
        events = self._watch_root(watch_root(pattern), is_pattern(os.path.dirname(pattern)))
        return [(path, not events) for path in expand(pattern)]

    def rename(self, path: str, name: str) -> None:
        """The user renamed a run (the store is updated by the caller)."""
        if (followed := self.followed.get(path)) is not None:
            followed.run.name = name  # a plain attribute store: safe from another thread
            followed.run.touch()

    def set_muted(self, path: str, muted: bool) -> None:
        if (followed := self.followed.get(path)) is not None:
            followed.muted = muted
            followed.run.touch()

    def unfollow(self, path: str) -> None:
        """Thread-safe request to stop following ``path`` (it was removed from the dashboard)."""
        self.patterns = [pattern for pattern in self.patterns if pattern != path]
        with self._wakeups.lock:
            self._unfollow_requests.add(path)
            # Until the store says the run is hidden (the caller writes it in the background),
            # discovery must not bring it straight back.
            self._removed[path] = time.monotonic() + REMOVED_GRACE_SECONDS
        self._wakeups.event.set()

    def _recently_removed(self, path: str) -> bool:
        with self._wakeups.lock:
            until = self._removed.get(path)
            if until is not None and until < time.monotonic():
                del self._removed[path]
                until = None
        return until is not None

    def _unfollow(self, path: str) -> None:
        followed = self.followed.pop(path, None)
        if followed is not None and followed.tail is not None:
            followed.tail.close()

    def _follow(self, path: str, now: float, *, polled: bool) -> None:
        run = Run(path, stall_floor=self.stall_floor, extra_recognizers=self.extra_recognizers)
        remote = sources.is_remote(path)
        followed = Followed(run=run, polled=(polled or self.poll_all) and not remote, pid=self.pids.get(path),
                            remote=remote)
        if remote:  # which machine it is on: "gpu1:exp3/train"
            from waitbuddy.runs.present import default_name
            from waitbuddy.runs.remote import parse_target

            target = parse_target(path)
            run.name = f"{target.host}:{default_name(target.path)}"
        announce = False
        if (given := self._jobs.get(path)) is not None:
            followed.job, followed.job_given = given[:2], True
            if given[2]:
                run.name = f"{given[2]} {given[1]}"  # the job's name and id: "train 12_3"
            # Submitted since we started (slurm-user): a job shorter than the poll interval is
            # first seen ended, and a run first seen ended is history to alerts, not news.
            announce = given[3] is not None and given[3] >= self._started_at - 1
        elif not remote and (job_id := job_id_from_path(path)) is not None and slurm_here():
            followed.job = (job_id, job_id)  # slurm-12_3.out, found by a glob: ask Slurm about it too
        if followed.job is not None:
            self.slurm.want(followed.job[0])
        record = None
        if self.store is not None:
            if self.register:
                record = self._store_call(registry.ensure_run, self.store, path, name=run.name)
            else:
                record = self._store_call(registry.get, self.store, path=path)
            if record is not None and record.status in ENDED and not remote and not os.path.exists(path):
                # Its end is recorded and its log deleted: following it would take it for a run
                # still to start and save "waiting" over the end (status, metrics, duration).
                self._gone.add(path)
                return
            if record is not None:
                followed.run_id = record.id
                followed.muted = record.muted
                followed.started = timestamp(record.started_at)
                run.name = record.name
                if record.status in ENDED and record.summary is not None and record.summary.job:
                    followed.saved_end = record.summary
        if (outcome := launched_exit(path, record)) is not None:  # in the store, or left beside the log
            followed.recorded_exit = (outcome.exit_code, outcome.exit_signal, outcome.ended_at)
            followed.started = outcome.started_at
            if record is None:
                run.name = outcome.name or run.name
        elif record is not None and record.pid:  # launched by `waitbuddy run`, or given with `watch --pid`
            followed.pid = followed.pid or record.pid
        self.followed[path] = followed
        if announce:  # it was waiting: its end is news
            snapshot = run.snapshot(now)
            if self.spark_points:
                snapshot = replace(snapshot, run_id=followed.run_id, muted=followed.muted)
            self.on_snapshots([snapshot])

    def _read(self, path: str, followed: Followed, now: float) -> None:
        if followed.remote:
            self._read_remote(path, followed, now)
            return
        if followed.tail is None:
            if not os.path.exists(path):
                if followed.run.status not in ENDED:  # a job may end before writing a byte
                    followed.run.set_note(waiting_note(followed))
                return
            followed.tail = prime(followed.run, Path(path), now)
            drain(followed.run, followed.tail, now)
            idle_since_modified(followed.run, path, now)
            if followed.started is not None:
                followed.run.started_at = followed.started
        else:
            drain(followed.run, followed.tail, now)
        if followed.recorded_exit is not None:
            code, signal, ended = followed.recorded_exit
            followed.run.exited(code, signal, now, at=ended)
            followed.recorded_exit = None
        if followed.saved_end is not None:
            self._restore_end(path, followed, now)
        try:
            followed.size_seen = os.stat(path).st_size
        except OSError:
            followed.size_seen = -1

    def _grew_silently(self, path: str, followed: Followed) -> bool:
        """The safety stat: growth without an event means events do not arrive here: poll it."""
        if followed.remote:
            return False
        try:
            size = os.stat(path).st_size
        except OSError:
            return followed.size_seen != -1
        if size != followed.size_seen and followed.size_seen != -1:
            followed.polled = True
            return True
        return False

    def _tick(self, now: float) -> None:
        for path, followed in list(self.followed.items()):
            run = followed.run
            if followed.remote:
                if followed.down_since is None:
                    self._guarded(followed, run.tick, now)
                elif not followed.down_told and now - followed.down_since >= DISCONNECT_NEWS_SECONDS:
                    followed.down_told = True
                    run.touch()  # consumers see how long it has lasted (alerts: only now)
                continue  # no process or exit file of ours on that machine
            self._guarded(followed, run.tick, now)
            if run.status in ENDED or followed.job is not None and followed.job_state is not None:
                continue  # ended, or a Slurm job: the scheduler says when it ends
            if followed.pid is not None and not _alive(followed.pid):
                self._guarded(followed, self._process_ended, path, followed, now)
            elif followed.pid is None and followed.tail is not None and registry.read_exit_file(path) is not None:
                # Launched by `waitbuddy run`, which could not store the run (no row, no PID here)
                self._guarded(followed, self._process_ended, path, followed, now)
            elif (followed.pid is None and followed.run_id is not None
                  and now - followed.launch_checked >= RELAUNCH_CHECK_SECONDS):
                followed.launch_checked = now
                self._guarded(followed, self._take_new_launch, followed)

    def _guarded(self, followed: Followed, function, *args) -> None:
        """One log's surprise must not stop the others: note it on that run and go on."""
        try:
            function(*args)
        except Exception as exc:  # noqa: BLE001 - a bug, but the watch goes on for every other log
            followed.run.set_note(f"internal error reading this log: {type(exc).__name__}: {exc}"[:200])

    def _take_new_launch(self, followed: Followed) -> None:
        """`waitbuddy run` started a command writing this log again (the same --log, a new
        process): follow that process, so its exit ends the run here as it does in the store."""
        record = self._store_call(registry.get, self.store, run_id=followed.run_id)
        started = None if record is None else timestamp(record.started_at)
        if record is None or not record.pid or record.status != "running" or started is None:
            return
        if followed.started is None or started > followed.started:
            followed.pid, followed.started = record.pid, started

    def _process_ended(self, path: str, followed: Followed, now: float) -> None:
        """A watched PID is gone, or `waitbuddy run` left the exit beside the log: read what it
        wrote last, then take the exit into account."""
        if followed.tail is not None:
            drain(followed.run, followed.tail, now)
        record = None
        if self.store is not None and followed.run_id is not None:
            record = self._store_call(registry.get, self.store, run_id=followed.run_id)
        code = signal = ended = None
        if (outcome := launched_exit(path, record)) is not None:
            code, signal, ended = outcome.exit_code, outcome.exit_signal, outcome.ended_at
            if record is None:
                followed.run.name = outcome.name or followed.run.name
            if outcome.started_at is not None:
                followed.run.started_at = outcome.started_at
        elif record is not None:  # `watch --pid`: nobody records its outcome
            self._store_call(registry.forget_pid, self.store, followed.run_id)
        followed.run.exited(code, signal, now, at=ended)
        followed.pid = None

    def _publish(self, now: float) -> None:
        first = not self._published
        self._published = True
        changed = []
        for followed in self.followed.values():
            if followed.run.version != followed.version_sent:
                followed.version_sent = followed.run.version
                snapshot = followed.run.snapshot(now)
                if self.store is not None and followed.run_id is not None:
                    self._save(followed, snapshot, now)
                if self.spark_points:
                    snapshot = replace(snapshot, spark=tuple(followed.run.spark(self.spark_points)),
                                       run_id=followed.run_id, muted=followed.muted)
                changed.append(snapshot)
            elif followed.unsaved is not None and now - followed.saved_at >= SAVE_EVERY_SECONDS:
                self._write_state(followed, followed.unsaved, now)
        if changed or first:  # the first report says what there is, even if nothing
            self.on_snapshots(changed)

    def _save(self, followed: Followed, snapshot: RunSnapshot, now: float) -> None:
        """Status changes go to the store at once; progress and metrics at most every
        SAVE_EVERY_SECONDS (a 10 Hz bar made ten write transactions a second per run)."""
        if snapshot.status != followed.saved_status or now - followed.saved_at >= SAVE_EVERY_SECONDS:
            self._write_state(followed, snapshot, now)
        else:
            followed.unsaved = snapshot

    def _write_state(self, followed: Followed, snapshot: RunSnapshot, now: float) -> None:
        followed.unsaved = None
        followed.saved_status, followed.saved_at = snapshot.status, now
        self._store_call(registry.save_state, self.store, followed.run_id, snapshot)

    def _flush_states(self) -> None:
        """On stopping: the latest state of every run goes to the store."""
        for followed in list(self.followed.values()):
            if followed.unsaved is not None and followed.run_id is not None and self.store is not None:
                self._write_state(followed, followed.unsaved, time.time())

    def _store_call(self, function, *args, **kwargs):
        try:
            return function(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - a locked or broken database must not stop the watch
            if not self._store_warned:
                self._store_warned = True
                self.on_error(f"cannot update the database: {exc}")
            return None


def _normalized(pattern: str) -> str:
    try:
        return sources.normalize(pattern)
    except ValueError:
        return pattern  # reported by discovery, on this watch only


def _print_error(message: str) -> None:
    print(f"waitbuddy: {message}", file=sys.stderr)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of ours still "exists": reap it if it is ours.
    try:
        finished, _status = os.waitpid(pid, os.WNOHANG)
        return finished == 0
    except ChildProcessError:
        return True
