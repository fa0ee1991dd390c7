"""Watched patterns and the run history, in the store. Plain functions over a Store; and the exit
`waitbuddy run` leaves beside the log when the store cannot take it."""

from __future__ import annotations

import contextlib
import json
import math
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from waitbuddy import history
from waitbuddy.store import Store
from waitbuddy.timefmt import iso, timestamp

if TYPE_CHECKING:  # imported where a snapshot is read or saved: etas() and the planner need none (~8 ms)
    from waitbuddy.runs.snapshot import RunSnapshot


@dataclass(frozen=True)
class RunRecord:
    id: int
    path: str
    name: str
    source: str
    command: list[str] | None
    pid: int | None
    status: str
    error_kind: str | None
    error_message: str | None
    exit_code: int | None
    exit_signal: int | None
    started_at: str | None
    ended_at: str | None
    updated_at: str | None
    summary: RunSnapshot | None  # the state a watcher last saved (from_json: old or damaged rows read what they can)
    muted: bool
    hidden: bool


SOURCES = ("watch", "launch", "demo")  # how a run came to be: a watched log, `waitbuddy run`, the demo

EXIT_FILE_SUFFIX = ".waitbuddy-exit.json"
_EXIT_FILE_LIMIT = 4096  # bytes: a real one is about 200


@dataclass(frozen=True)
class LaunchExit:
    """How a launched command ended, as `waitbuddy run` knows it: from the store, or from the exit
    file it leaves beside the log when the store cannot take it (read-only, locked, unusable)."""

    exit_code: int | None
    exit_signal: int | None
    started_at: float | None
    ended_at: float | None
    pid: int | None
    name: str


def exit_file(log: str | os.PathLike[str]) -> Path:
    """``runs/.train.log.waitbuddy-exit.json`` for ``runs/train.log``: hidden, and named so that no
    log glob (``*.log``, ``*``) or directory watch takes it for a run (see ``is_exit_file``)."""
    log = Path(log)
    return log.with_name(f".{log.name}{EXIT_FILE_SUFFIX}")


def is_exit_file(path: str) -> bool:
    """An exit file, or one being written: never a run of its own."""
    name = os.path.basename(path)
    return name.startswith(".") and EXIT_FILE_SUFFIX in name


def write_exit_file(log: str | os.PathLike[str], outcome: LaunchExit) -> Path:
    """Leave ``outcome`` beside ``log``, as the log is now (its size: written to again, the log
    tells of a later run). Atomic: a reader finds the whole file or none. Raises OSError."""
    target = exit_file(log)
    content = json.dumps({
        "exit_code": outcome.exit_code, "exit_signal": outcome.exit_signal, "started_at": outcome.started_at,
        "ended_at": outcome.ended_at, "pid": outcome.pid, "name": outcome.name, "log_bytes": os.stat(log).st_size,
    })
    temporary = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return target


def remove_exit_file(log: str | os.PathLike[str]) -> None:
    """The log's exit is in the store after all, or the log is being written again."""
    with contextlib.suppress(OSError):
        os.unlink(exit_file(log))


def read_exit_file(log: str | os.PathLike[str]) -> LaunchExit | None:
    """The exit left beside ``log``; None if there is none, it cannot be read or makes no sense,
    or the log has been written to since (another size, or modified after the exit file: the
    exit is an earlier run's). Never blocks: anyone who can write to a shared ``runs/`` could
    put a FIFO there."""
    try:
        fd = os.open(exit_file(log), os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except (OSError, ValueError):
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > _EXIT_FILE_LIMIT:
            return None
        data = json.loads(os.read(fd, _EXIT_FILE_LIMIT + 1).decode("utf-8"))
        log_info = os.stat(log)
    except (OSError, ValueError):  # ValueError: not UTF-8, not JSON
        return None
    finally:
        os.close(fd)
    if not isinstance(data, dict) or data.get("log_bytes") != log_info.st_size or log_info.st_mtime_ns > info.st_mtime_ns:
        return None
    code, signal, name = data.get("exit_code"), data.get("exit_signal"), data.get("name")
    started, ended, pid = data.get("started_at"), data.get("ended_at"), data.get("pid")
    if not (_integer(code) or code is None) or not (_integer(signal) or signal is None) or (code is None) == (signal is None):
        return None
    if not _time(ended) or not (_time(started) or started is None) or not (_integer(pid) or pid is None):
        return None
    return LaunchExit(code, signal, started, ended, pid, name if isinstance(name, str) else "run")


def _integer(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _time(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value >= 0


def _stored(text: str) -> str | bytes:
    """``text`` as SQLite keeps it: as is when it is UTF-8. A file name that is not (Python holds its
    bad bytes as lone surrogates, PEP 383) cannot be bound as TEXT; it goes in as its bytes (a BLOB,
    equal only to itself, so lookups and the unique path still work) and comes back the same."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        try:
            return text.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:  # a surrogate that never came from a byte: keep what can be kept
            return text.encode("utf-8", "surrogatepass")
    return text


def _loaded(value: str | bytes) -> str:
    """The inverse of :func:`_stored`."""
    return value.decode("utf-8", "surrogateescape") if isinstance(value, bytes) else value


def _record(row) -> RunRecord:
    return RunRecord(
        id=row["id"], path=_loaded(row["path"]), name=_loaded(row["name"]), source=row["source"],
        command=json.loads(row["command"]) if row["command"] else None, pid=row["pid"], status=row["status"],
        error_kind=row["error_kind"], error_message=row["error_message"], exit_code=row["exit_code"],
        exit_signal=row["exit_signal"], started_at=row["started_at"], ended_at=row["ended_at"],
        updated_at=row["updated_at"], summary=_summary(row["summary"]),
        muted=bool(row["muted"]), hidden=bool(row["hidden"]),
    )


def _summary(text: str | bytes | None) -> RunSnapshot | None:
    """The stored snapshot; None if there is none or it is not JSON at all."""
    if not text:
        return None
    from waitbuddy.runs.snapshot import RunSnapshot

    try:
        return RunSnapshot.from_json(json.loads(text))
    except (ValueError, TypeError, RecursionError):  # ValueError: not JSON (or not UTF-8)
        return None


def add_watch(store: Store, pattern: str) -> bool:
    """Remember ``pattern`` (absolute path, directory or glob); False if it was already watched."""
    with store.transaction() as db:
        added = db.execute("INSERT OR IGNORE INTO watches (pattern) VALUES (?)", (_stored(pattern),)).rowcount == 1
        if added:
            history.record(db, "runs", "watch_added", pattern)
        return added


def remove_watch(store: Store, pattern: str) -> bool:
    """Forget a watched pattern; False if it was not watched. Runs it found stay (see hide)."""
    with store.transaction() as db:
        removed = db.execute("DELETE FROM watches WHERE pattern = ?", (_stored(pattern),)).rowcount > 0
        if removed:
            history.record(db, "runs", "watch_removed", pattern)
        return removed


def watches(store: Store) -> list[str]:
    return [_loaded(row[0]) for row in store.query("SELECT pattern FROM watches ORDER BY id")]


def ensure_run(
    store: Store, path: str, *, name: str, source: str = "watch", command: list[str] | None = None,
) -> RunRecord:
    """The run for ``path``, created if new; a hidden run comes back to the dashboard.

    A run already there and shown is only read: following it must work with a database that
    cannot be written (read-only, full) or is locked, or the watcher would lose the launcher's
    PID and exit status and show a finished run as running forever."""
    if source not in SOURCES:
        raise ValueError(f"unknown run source {source!r} (one of {', '.join(SOURCES)})")
    known = get(store, path=path)
    if known is not None and not known.hidden:
        return known
    with store.transaction() as db:
        db.execute(
            """INSERT INTO runs (path, name, source, command) VALUES (?, ?, ?, ?)
               ON CONFLICT (path) DO UPDATE SET hidden = 0""",
            (_stored(path), _stored(name), source, json.dumps(command) if command else None),
        )
    return get(store, path=path)  # type: ignore[return-value]


def restart(store: Store, run_id: int, *, name: str | None, command: list[str], pid: int, started: float) -> None:
    """A launched command starts (again) writing this log: its previous outcome no longer applies."""
    with store.transaction() as db:
        db.execute(
            """UPDATE runs SET name = COALESCE(?, name), source = 'launch', command = ?, pid = ?, status = 'running',
                   error_kind = NULL, error_message = NULL, exit_code = NULL, exit_signal = NULL,
                   started_at = ?, ended_at = NULL, updated_at = ?, summary = NULL, hidden = 0
               WHERE id = ?""",
            (None if name is None else _stored(name), json.dumps(command), pid, iso(started), iso(started), run_id),
        )


def watch_pid(store: Store, run_id: int, pid: int) -> None:
    """The process writing this log (`watch --pid`): its exit ends the run, in every watcher."""
    with store.transaction() as db:
        db.execute("UPDATE runs SET pid = ?, exit_code = NULL, exit_signal = NULL WHERE id = ?", (pid, run_id))


def forget_pid(store: Store, run_id: int) -> None:
    """The watched process is gone: a later watch of this log must not take its end for news."""
    with store.transaction() as db:
        db.execute("UPDATE runs SET pid = NULL WHERE id = ?", (run_id,))


def record_exit(store: Store, run_id: int, *, code: int | None, signal: int | None, ended: float) -> None:
    with store.transaction() as db:
        db.execute(
            "UPDATE runs SET exit_code = ?, exit_signal = ?, ended_at = ?, updated_at = ? WHERE id = ?",
            (code, signal, iso(ended), iso(ended), run_id),
        )


def save_state(store: Store, run_id: int, snapshot: RunSnapshot) -> None:
    """Persist what the dashboard and `waitbuddy runs` show after a restart (the JSON form)."""
    error, ended = snapshot.error, snapshot.ended
    with store.transaction() as db:
        before = db.execute("SELECT status FROM runs WHERE id = ?", (run_id,)).fetchone()
        # The end is the recorded exit if `waitbuddy run` wrote one, else the run's last output.
        db.execute(
            """UPDATE runs SET status = ?, error_kind = ?, error_message = ?, summary = ?,
                   updated_at = COALESCE(?, updated_at),
                   ended_at = CASE WHEN ? THEN COALESCE(ended_at, ?, ?) ELSE NULL END
               WHERE id = ?""",
            (snapshot.status, error.kind if error else None, error.message if error else None,
             json.dumps({**snapshot.to_json(), "saved_at": iso()}), snapshot.updated_at, ended, snapshot.ended_at, iso(),
             run_id),
        )
        _record_transition(db, run_id, before[0] if before else None)


def _record_transition(db, run_id: int, before: str | None) -> None:
    """The history's fact of a status change just saved: a run that ended (at its end, once even
    if two watchers or a restarted one save the same end) or stalled. Other saves record nothing."""
    from waitbuddy.runs.snapshot import ENDED

    row = db.execute("SELECT status, ended_at, name, path, error_kind FROM runs WHERE id = ?", (run_id,)).fetchone()
    if row is None or row["status"] == before:
        return
    detail = {"name": _loaded(row["name"]), "path": _loaded(row["path"])}
    if row["status"] in ENDED and before not in ENDED and row["ended_at"]:
        if not history.recorded(db, "runs", "ended", run_id, row["ended_at"]):
            history.record(db, "runs", "ended", run_id, at=row["ended_at"],
                           detail={"status": row["status"], **detail, "error_kind": row["error_kind"]})
    elif row["status"] == "stalled":
        history.record(db, "runs", "stalled", run_id, detail=detail)


def minutes_left(store: Store, now: float) -> int | None:
    """Minutes until the running job that ends last should end, from the state watchers saved
    (its ETA less the time since): what "fits in the wait" means for the backlog and the planner.
    None when no running job has an ETA."""
    left = [eta.seconds_left(now) for eta in etas(store)]
    left = [seconds for seconds in left if seconds > 0]
    return max(1, int(max(left) // 60)) if left else None


@dataclass(frozen=True)
class Eta:
    """A running (or stalled) run's ETA as a watcher last saved it."""

    run_id: int
    name: str
    path: str
    seconds: float  # the ETA when it was saved
    saved: float  # when, as a timestamp

    def seconds_left(self, now: float) -> float:
        return self.seconds - max(now - self.saved, 0.0)


def etas(store: Store) -> list[Eta]:
    """The ETA of every shown running or stalled run that has one, newest run first. Read from
    the saved summaries' JSON without building snapshots (the planner asks at every plan; a
    snapshot costs its imports, ~8 ms): an ETA is taken as RunSnapshot.from_json reads it (a
    finite number, not a bool) and only with the time it was saved, as ``iso`` writes it."""
    found = []
    for row in store.query("SELECT id, name, path, summary FROM runs WHERE hidden = 0 "
                           "AND status IN ('running', 'stalled') ORDER BY id DESC"):
        try:
            data = json.loads(row["summary"]) if row["summary"] else None
        except (ValueError, TypeError, RecursionError):  # not JSON (or not UTF-8): no summary at all
            continue
        if not isinstance(data, dict):
            continue
        seconds, text = data.get("eta_seconds"), data.get("saved_at")
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not math.isfinite(seconds) \
                or seconds <= 0:
            continue
        if not isinstance(text, str) or not (saved := timestamp(text)) or iso(saved) != text:
            continue
        found.append(Eta(row["id"], _loaded(row["name"]), _loaded(row["path"]), seconds, saved))
    return found


def get(store: Store, *, path: str | None = None, run_id: int | None = None) -> RunRecord | None:
    if path is not None:
        rows = store.query("SELECT * FROM runs WHERE path = ?", (_stored(path),))
    else:
        rows = store.query("SELECT * FROM runs WHERE id = ?", (run_id,))
    return _record(rows[0]) if rows else None


def find(store: Store, ref: str) -> RunRecord | None:
    """The run a person names on the command line: its id (``12`` or ``#12``), its log's path
    (relative to the working directory, ``~`` expanded) or its name. Runs removed from the
    dashboard count (they are history). A name several runs share (`waitbuddy run --name bert`
    twice) means the newest one on the dashboard. None when nothing matches."""
    number = ref.removeprefix("#")
    by_id = number.isascii() and number.isdigit() and len(number) <= 18  # SQLite's integers end at 2**63
    if by_id and (record := get(store, run_id=int(number))) is not None:
        return record
    if (record := get(store, path=os.path.abspath(os.path.expanduser(ref)))) is not None:
        return record
    rows = store.query("SELECT * FROM runs WHERE name = ? ORDER BY hidden, id DESC LIMIT 1", (_stored(ref),))
    return _record(rows[0]) if rows else None


def runs(store: Store, *, include_hidden: bool = False, limit: int | None = None) -> list[RunRecord]:
    sql = "SELECT * FROM runs" + ("" if include_hidden else " WHERE hidden = 0") + " ORDER BY id DESC"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return [_record(row) for row in store.query(sql)]


def rename(store: Store, run_id: int, name: str) -> None:
    with store.transaction() as db:
        db.execute("UPDATE runs SET name = ? WHERE id = ?", (_stored(name), run_id))


def set_muted(store: Store, run_id: int, muted: bool) -> None:
    with store.transaction() as db:
        db.execute("UPDATE runs SET muted = ? WHERE id = ?", (int(muted), run_id))


def hide(store: Store, run_id: int) -> None:
    """Take the run off the dashboard; it stays in the history."""
    with store.transaction() as db:
        db.execute("UPDATE runs SET hidden = 1 WHERE id = ?", (run_id,))
