"""The commands about training runs: watch, unwatch, run, demo, status, formats, runs. Each is
small and headless; `watch` without --json or --notify (and `demo`) opens the dashboard."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from waitbuddy.commands import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, declare, error, json_line, say
from waitbuddy.config import Config
from waitbuddy.paths import Paths
from waitbuddy.runs import registry
from waitbuddy.runs.present import STATUS_SYMBOLS, headline, one_line
from waitbuddy.runs.snapshot import RunSnapshot
from waitbuddy.runs.stream import DEFAULT_INTERVAL
from waitbuddy.services import Services
from waitbuddy.store import Store, StoreError
from waitbuddy.text import safe_line, safe_text, visible
from waitbuddy.timefmt import duration

HEADLESS_ALERT_SECONDS = 5.0  # what `watch --notify` gives its last alerts to go out when it ends
WAIT_POLL_SECONDS = 0.2  # status --wait: how often to look for a log that is not there yet


def add_parsers(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    sub = declare(
        commands, common, "watch", cmd_watch, help="watch training logs (files, directories or globs)",
        description="Add logs to the watched set (kept in the database) and open the dashboard on them. "
        "A glob such as 'runs/*/train.log' or 'slurm-*.out' (quote it) or a directory picks up new "
        "logs by itself; a file that does not exist yet is waited for. A log on another machine is "
        "ssh://[user@]host[:port]/path (a glob too; your own ssh and its config are used). Slurm jobs: "
        "--slurm 1234,1235 or --slurm-user. With --json or --notify, run "
        "without the dashboard and leave the watched set alone (see below). A log is a regular file: "
        "a FIFO, socket or device is refused.",
        database=True,
    )
    sub.add_argument("patterns", nargs="*", metavar="PATH|GLOB|DIR|ssh://HOST/PATH")
    sub.add_argument("--slurm", type=_job_ids, action="extend", default=[], metavar="JOBID[,JOBID...]",
                     help="Slurm jobs (1234, an array 1234 or one task 1234_5): the scheduler's state, and "
                     "their output files as logs")
    sub.add_argument("--slurm-user", nargs="?", const="", metavar="USER",
                     help="every Slurm job of USER (default: you), new ones as they are submitted")
    sub.add_argument("--json", action="store_true", help="no dashboard: print state changes as JSON lines")
    sub.add_argument("--until-done", action="store_true",
                     help="with --json or --notify: exit once every run has ended "
                     "(status 0 if all completed, 1 if not)")
    sub.add_argument("--pid", type=int, metavar="PID",
                     help="the process writing the log (one PATH): its exit ends the run")
    sub.add_argument("--poll", action="store_true", help="poll instead of using inotify (as [runs] polling)")
    sub.add_argument("--notify", action="store_true",
                     help="no dashboard: send alerts (finish, failure, stall, NaN) through the [alerts] channels and "
                     "print each one (with --json, print state changes instead); e.g. under nohup on a GPU box")
    sub.add_argument("--interval", type=_interval, default=DEFAULT_INTERVAL, metavar="SECONDS",
                     help="with --json: print a run's progress and metrics at most every SECONDS (default "
                     f"{DEFAULT_INTERVAL:g}; 0: every change); status changes are printed at once")
    sub.add_argument("--wait", action="store_true",
                     help="with --json or --notify: wait for a PATH that does not exist yet, or for the first log "
                     "in an empty DIR or GLOB (without it, those are errors; the dashboard always waits)")
    sub.add_argument("--remember", action="store_true",
                     help="with --json or --notify: also add the logs to the dashboard's watched set, as watch "
                     "without them does (by default script modes leave the dashboard alone)")

    sub = declare(
        commands, common, "unwatch", cmd_unwatch, help="stop watching logs, directories or globs added with watch",
        description="Remove patterns from the watched set (as `watch` stored them: the same path, directory, "
        "glob, ssh://host/path, or slurm:JOBID and slurm-user:NAME for --slurm and --slurm-user). New logs that match no longer appear; runs already found stay until removed (x in the "
        "dashboard). Without PATTERN, list the watched patterns.",
        database=True,
    )
    sub.add_argument("patterns", nargs="*", metavar="PATTERN")


    sub = declare(
        commands, common, "run", cmd_run, help="run a training command, log it and record how it ends",
        description="Start CMD, pass its output through unchanged, write it to a log (by default under "
        "the data directory), record the run with its exit status, and exit with the command's status. "
        "Ctrl-C reaches the command as usual. Example: waitbuddy run --name bert -- python train.py --lr 3e-5",
        lenient=True,
    )
    sub.add_argument("--name", help="the run's name (default: from the script, e.g. train for train.py)")
    sub.add_argument("--log", metavar="PATH", help="where to write the log (default: <data dir>/logs/NAME-TIME.log)")
    sub.add_argument("--sbatch", metavar="SCRIPT",
                     help="submit SCRIPT to Slurm (sbatch --parsable [ARGS] SCRIPT, ARGS after --) instead, "
                     "follow the job until it ends and exit 0 if it completed; the dashboard shows it too")
    sub.add_argument("command", nargs=argparse.REMAINDER, metavar="-- CMD ARGS", help="the command to run")

    sub = declare(
        commands, common, "demo", cmd_demo, help="a one-minute simulated training run, on the dashboard",
        description="Run a simulated training job (about a minute of progress bars and losses; no model "
        "is trained) through `waitbuddy run`, with a temporary data directory that leaves your own "
        "runs alone, and open the dashboard on it.",
    )
    sub.add_argument("--seconds", type=float, default=60.0, help=argparse.SUPPRESS)

    sub = declare(
        commands, common, "status", cmd_status, help="print the state of training logs once",
        description="Print the state of each log (or of every watched run) once and exit: status "
        "(waiting, running, stalled, completed, failed, interrupted), progress, ETA, metrics and the "
        "failure reason. Reads only the head and tail of a log, so a multi-GB log answers at once.",
        database=True,
    )
    sub.add_argument("paths", nargs="*", metavar="PATH|GLOB|DIR",
                     help="training logs, or directories and globs as for watch (default: every watched run)")
    sub.add_argument("--json", action="store_true", help="one JSON object per line")
    sub.add_argument("--explain", action="store_true",
                     help="say where each reading comes from: the line, its number and the recognizer that read "
                     "it (reads the whole log)")
    sub.add_argument("--wait", action="store_true",
                     help="wait for a PATH that does not exist yet, or for the first log in an empty DIR or GLOB "
                     "(without it, those are errors: exit status 1)")
    _add_line_arguments(sub)

    sub = declare(
        commands, common, "formats", cmd_formats, help="try log formats on a log",
        description="`formats test LOG`: show what each [[runs.formats]] entry of the config reads in LOG "
        "(the lines it matches and the values it takes), to write or fix a format; with --builtin, the "
        "built-in recognizers too.",
    )
    sub.add_argument("action", choices=["test"], help="test: try the formats on LOG")
    sub.add_argument("log", metavar="LOG", help="a training log")
    sub.add_argument("--builtin", action="store_true", help="also show what each built-in recognizer reads")

    sub = declare(
        commands, common, "runs", cmd_runs, help="list the run history",
        description="List runs, newest first, with final status, duration and final/best metrics.",
        database=True,
    )
    sub.add_argument("--json", action="store_true", help="one JSON object per line")
    sub.add_argument("--all", action="store_true", help="include runs removed from the dashboard")
    sub.add_argument("-n", "--limit", type=int, default=50, help="at most this many runs (default 50)")


def _add_line_arguments(sub: argparse.ArgumentParser) -> None:
    from waitbuddy import statusline

    line = sub.add_argument_group(
        "status line", "--line prints one short line about the main run for tmux's status bar, from the database "
        "alone (no log is read): e.g. set -g status-right '#(waitbuddy status --line)'. The main run is the running "
        "or stalled run that should end soonest (+N: the others), else the run that ended last if it ended in "
        f"the last {statusline.RECENT_SECONDS // 3600} hours, else nothing is printed. '#' is escaped for tmux.")
    line.add_argument("--line", action="store_true", help="print the status line and exit")
    # (argparse expands % in help texts: "45%" must be written "45%%")
    placeholders = "; ".join(f"{{{name}}} {text}" for name, text in statusline.PLACEHOLDERS.items()).replace("%", "%%")
    line.add_argument("--format", metavar="FMT", type=_line_format,
                      help=f"with --line: the line's text (default {statusline.DEFAULT_FORMAT.replace('%', '%%')!r}); "
                      f"{{{{ and }}}} are braces; an empty placeholder leaves no extra space. Placeholders: "
                      f"{placeholders}")
    line.add_argument("--max", type=_line_max, metavar="N",
                      help=f"with --line: at most N cells (default {statusline.DEFAULT_MAX}, tmux's default "
                      "status-right-length); the name is shortened first")
    line.add_argument("--plain", action="store_true",
                      help="with --line: leave '#' as it is (for status bars other than tmux's)")


def _line_format(value: str) -> str:
    from waitbuddy.statusline import format_problem

    if (problem := format_problem(value)) is not None:
        raise argparse.ArgumentTypeError(problem)
    return value


def _line_max(value: str) -> int:
    from waitbuddy.statusline import MIN_MAX

    if not (value.isascii() and value.isdigit()) or int(value) < MIN_MAX:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least {MIN_MAX}, got {value!r}")
    return int(value)


def _interval(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {value!r}") from None
    if not 0 <= seconds <= 86400:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(f"expected 0 to 86400 seconds, got {value}")
    return seconds


def cmd_run(args: argparse.Namespace, where: Paths, config: Config) -> int:
    import signal

    from waitbuddy.runs.launch import default_log_path, default_name, run_command

    argv = args.command[1:] if args.command[:1] == ["--"] else args.command
    if args.sbatch is not None:
        return _run_sbatch(args.sbatch, argv, args, where, config)
    if not argv:
        print("waitbuddy: run needs a command: waitbuddy run [--name NAME] -- CMD ARGS...", file=sys.stderr)
        return EXIT_USAGE
    log = Path(args.log).expanduser() if args.log else default_log_path(
        where.data_dir, args.name or default_name(argv), time.time()
    )
    try:
        store: Store | None = Store.open(where.database)
    except StoreError as exc:  # never refuse to start someone's training over the database
        print(f"waitbuddy: not recording this run: {exc}", file=sys.stderr)
        store = None
    try:
        status = run_command(argv, log_path=log, store=store, name=args.name,
                             stall_floor=config.runs.stall_minutes * 60)
    finally:
        if store is not None:
            store.close()
    if status == 128 + signal.SIGINT:
        # Die of SIGINT like the command did, so a shell loop around waitbuddy stops too.
        sys.stdout.flush()
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    return status


def _run_sbatch(script: str, sbatch_args: list[str], args: argparse.Namespace, where: Paths, config: Config) -> int:
    from waitbuddy.runs.slurm_poll import SlurmError, submit

    if args.log or args.name:
        error("--sbatch: the job's script says where its output goes and its name (#SBATCH -o, -J)")
        return EXIT_USAGE
    try:
        submitted = submit(script, sbatch_args)
    except SlurmError as exc:
        error(f"{visible(script, limit=200)}: {exc}")
        return EXIT_FAILED
    say(f"submitted Slurm job {submitted.job_id}; following it (Ctrl-C stops following, not the job)")
    pattern = f"slurm:{submitted.job_id}"
    with Store.open(where.database) as store:
        registry.add_watch(store, pattern)  # the dashboard, in another pane, shows it too
        follow = argparse.Namespace(json=False, notify=True, until_done=True, interval=DEFAULT_INTERVAL, poll=False)
        return _watch_headless(follow, [pattern], config, store, register=True)


def cmd_demo(args: argparse.Namespace, where: Paths, config: Config) -> int:
    import subprocess
    import tempfile

    from waitbuddy.commands.dashboard import open_dashboard, terminal_ok

    if not terminal_ok():
        return EXIT_USAGE
    with tempfile.TemporaryDirectory(prefix="waitbuddy-demo-") as data_dir:
        demo_paths = Paths(config=where.config, config_source=where.config_source,
                           data_dir=Path(data_dir), data_dir_source="demo")
        log = Path(data_dir) / "logs" / "demo.log"
        job = subprocess.Popen(
            [sys.executable, "-m", "waitbuddy", "run", "--name", "demo (simulated)", "--log", str(log), "--",
             sys.executable, "-m", "waitbuddy.runs.demo_job", str(args.seconds)],
            env={**os.environ, "WAITBUDDY_DATA_DIR": data_dir}, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        try:
            _wait_for(lambda: log.exists(), seconds=10.0)
            with Store.open(demo_paths.database) as store:
                return open_dashboard(demo_paths, config, store)
        finally:
            if job.poll() is None:
                os.killpg(job.pid, 15)
            job.wait(timeout=10)


def _wait_for(condition, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)


def cmd_status(args: argparse.Namespace, where: Paths, config: Config) -> int:
    if args.line or args.format is not None or args.max is not None or args.plain:
        return _status_line(args, where)
    from waitbuddy.runs import sources
    from waitbuddy.runs.formats.user import compile_formats
    from waitbuddy.runs.status import read_once

    status = EXIT_OK
    if args.paths:
        if other := [path for path in args.paths if not sources.is_local(path)]:
            error(f"{visible(other[0], limit=200)}: status reads local logs; the state of a log on another "
                  "machine or of a Slurm job is what `waitbuddy watch` saw (status without PATH shows it)")
            return EXIT_USAGE
        patterns = [_absolute(path) for path in args.paths]
        if args.wait:
            _wait_for_logs(patterns)
        targets, status = _status_targets(patterns)
    else:
        if not where.database.exists():
            print("no watched runs yet: `waitbuddy watch PATH` or `waitbuddy run -- CMD` adds one", file=sys.stderr)
            return EXIT_OK
        with Store.open(where.database) as store:
            targets = [(record.path, record.name) for record in registry.runs(store)]
    floor = config.runs.stall_minutes * 60
    extra = compile_formats(config.runs.formats)
    records = _records(where, [path for path, _name in targets])
    for path, name in targets:
        record = records.get(path if sources.is_remote(path) else os.path.abspath(path))
        explain = getattr(args, "explain", False)
        if (saved := _as_saved(path, record)) is not None and not explain:
            say(json_line(saved.to_json()) if args.json else one_line(saved))
            continue
        run = read_once(path, name=name or (record.name if record else None), stall_floor=floor,
                        extra_recognizers=extra, record=record, explain=explain)
        now = time.time()
        snapshot = run.snapshot(now)
        if (saved := _ended_elsewhere(path, record, snapshot)) is not None and not explain:
            snapshot = saved
        elif record is not None and record.summary is not None and record.summary.job:
            from dataclasses import replace

            snapshot = replace(snapshot, job=record.summary.job, array=record.summary.array)  # a watcher's word
        if explain:
            from waitbuddy.runs.explain import explain_lines

            for line in explain_lines(run, now):
                say(line)
            continue
        say(json_line(snapshot.to_json()) if args.json else one_line(snapshot))
    return status


def _as_saved(path: str, record: registry.RunRecord | None) -> RunSnapshot | None:
    """A log on another machine: what the watcher following it saw last (status reads no ssh)."""
    from waitbuddy.runs import sources

    if not sources.is_remote(path) or record is None:
        return None
    from dataclasses import replace

    name = record.name
    if record.summary is None:
        return RunSnapshot(path=path, name=name, status=record.status or "waiting",
                           note="on another machine: not seen by a watcher yet")
    return replace(record.summary, name=name, path=path)


def _ended_elsewhere(path: str, record: registry.RunRecord | None, read: RunSnapshot) -> RunSnapshot | None:
    """The end a watcher recorded (Slurm's state, a watched process's exit) when the log alone
    does not show it and has not been written to since: a job that hit its time limit mid-epoch
    reads as running from its log."""
    if record is None or (saved := record.summary) is None or not saved.ended or read.ended:
        return None
    from waitbuddy.runs.status import written_since

    if written_since(path, saved):
        return None  # written to after that end: a new run in the same log
    from dataclasses import replace

    return replace(saved, name=record.name, path=path)


def _status_line(args: argparse.Namespace, where: Paths) -> int:
    """`status --line`, by the same function as the fast path in waitbuddy/__main__.py, for what
    that path leaves to the parser: abbreviated options, mistakes to report, direct callers of
    waitbuddy.cli.main. (Here a broken config is an error first, as for every command.)"""
    from waitbuddy import statusline

    if not args.line:
        error("--format, --max and --plain go with --line")
        return EXIT_USAGE
    if args.paths or args.json or args.explain or args.wait:
        error("--line reads the database only: no PATH, --json, --explain or --wait with it")
        return EXIT_USAGE
    options = statusline.Options(format=args.format or statusline.DEFAULT_FORMAT,
                                 limit=args.max or statusline.DEFAULT_MAX, tmux=not args.plain)
    text, status = statusline.status_line(str(where.database), time.time(), options)
    statusline.write(text)
    return status


def cmd_formats(args: argparse.Namespace, where: Paths, config: Config) -> int:
    from waitbuddy.runs import formats
    from waitbuddy.runs.explain import format_matches
    from waitbuddy.runs.formats.user import compile_formats
    from waitbuddy.runs.screen import TerminalView
    from waitbuddy.runs.tail import Tail
    from waitbuddy.runs.targets import unfollowable

    path = _absolute(args.log)
    if (problem := unfollowable(path, missing_ok=False, empty_ok=False)) is not None:
        error(problem.message)
        return _exit_status(problem)
    recognizers = dict(zip((f"format {user.name}" for user in config.runs.formats),
                           compile_formats(config.runs.formats), strict=True))
    if args.builtin:
        recognizers.update((f"built-in {name}", recognizer) for name, recognizer in formats.RECOGNIZERS)
    if not recognizers:
        say("no [[runs.formats]] in the config: add one (see config.toml.example), or use --builtin")
        return EXIT_OK
    view, lines = TerminalView(until_cursor_up=1), []
    tail = Tail(path, start_from_end=None)
    try:
        while True:
            offset = tail.offset
            chunk = tail.read()
            if chunk.binary or chunk.error:
                error(f"{visible(path)}: {chunk.error or 'not a text log'}")
                return EXIT_FAILED
            lines += [formats.strip_prefix(line) for line in view.feed(chunk.text)]
            if tail.offset == offset or chunk.missing:
                break
    finally:
        tail.close()
    lines += view.flush()
    for line in format_matches(lines, recognizers):
        say(line)
    return EXIT_OK


def _records(where: Paths, paths: list[str]) -> dict[str, registry.RunRecord]:
    """What the store knows of these logs (an exit `waitbuddy run` recorded), so that `status`
    tells what the dashboard does; nothing if there is no database or it cannot be read."""
    if not where.database.exists():
        return {}
    try:
        with Store.open(where.database) as store:
            found = (registry.get(store, path=path if "://" in path else os.path.abspath(path)) for path in paths)
            return {record.path: record for record in found if record is not None}
    except StoreError:
        return {}


def _absolute(pattern: str) -> str:
    return os.path.abspath(os.path.expanduser(pattern))


def _stored_form(pattern: str) -> str:
    from waitbuddy.runs import sources

    try:
        return sources.normalize(pattern)
    except ValueError:
        return pattern  # not a pattern watch could have stored: "is not watched" says so


def _status_targets(patterns: list[str]) -> tuple[list[tuple[str, str | None]], int]:
    """The logs each PATH, DIR or GLOB names now, and the exit status its problems call for
    (each problem is reported on stderr; the other paths are still read)."""
    from waitbuddy.runs.patterns import expand
    from waitbuddy.runs.targets import cannot_list, unfollowable

    targets: list[tuple[str, str | None]] = []
    status = EXIT_OK
    for pattern in patterns:
        try:
            problem = unfollowable(pattern, missing_ok=False, empty_ok=False)
            found = [] if problem is not None else expand(pattern)
        except OSError as exc:  # made unreadable between the two looks
            problem = cannot_list(pattern, exc)
        if problem is not None:
            error(problem.message)
            status = max(status, _exit_status(problem))
            continue
        targets += [(path, None) for path in found]
    return targets, status


def _exit_status(problem) -> int:
    """A FIFO or device is a wrong argument (2); a log that is not there (yet) is a failure (1)."""
    return EXIT_USAGE if problem.permanent else EXIT_FAILED


def _wait_for_logs(patterns: list[str]) -> None:
    """Block until every missing path exists and every directory or glob names a log (Ctrl-C stops)."""
    from waitbuddy.runs.targets import unfollowable

    while True:
        problems = [unfollowable(pattern, missing_ok=False, empty_ok=False) for pattern in patterns]
        if not any(problem is not None and not problem.permanent for problem in problems):
            return
        time.sleep(WAIT_POLL_SECONDS)


def cmd_runs(args: argparse.Namespace, where: Paths, config: Config) -> int:
    if not where.database.exists():
        print("no runs yet", file=sys.stderr)
        return EXIT_OK
    from waitbuddy.runs import notes

    with Store.open(where.database) as store:
        records = registry.runs(store, include_hidden=args.all, limit=args.limit)
        noted = notes.for_runs(store, [record.id for record in records])
    for record in records:
        summary = record.summary or RunSnapshot.from_json({})
        item = {
            "id": record.id, "name": record.name, "path": record.path, "source": record.source,
            "status": record.status, "error": None if not record.error_kind else
            {"kind": record.error_kind, "message": record.error_message},
            "started_at": record.started_at, "ended_at": record.ended_at,
            "duration_seconds": _duration(record), "exit_code": record.exit_code,
            "metrics": dict(summary.metrics), "best": dict(summary.best), "muted": record.muted,
            "notes": [notes.to_json(note) for note in noted.get(record.id, [])],
        }
        if args.json:
            say(json_line(item))
            continue
        symbol = STATUS_SYMBOLS.get(record.status, "?")
        when = record.ended_at or record.updated_at or ""
        reason = f"  {safe_line(record.error_message, limit=500)}" if record.error_message else ""
        name = visible(record.name, limit=120)  # a name shows its control characters: it cannot fake a line
        say(safe_text(f"{symbol} {name:<24} {record.status:<11} {duration(item['duration_seconds']):>7}  "
                         f"{when:<20} {headline(summary)}{reason}", limit=2000))
        for line in _note_lines(record.id, noted.get(record.id, [])):
            say(line)
    if not records:
        print("no runs yet", file=sys.stderr)
    return EXIT_OK


RUNS_NOTES_SHOWN = 2  # the latest notes under a run in `runs`; `note RUN` lists them all


def _note_lines(run_id: int, found: list) -> list[str]:
    """The run's latest notes on indented lines under its row (one line each), and how many
    more there are."""
    from waitbuddy.runs import notes

    lines = [f"    {notes.when(note)}  {notes.line(note, limit=100)}" for note in found[-RUNS_NOTES_SHOWN:]]
    if len(found) > RUNS_NOTES_SHOWN:
        lines.append(f"    … {len(found) - RUNS_NOTES_SHOWN} earlier: waitbuddy note {run_id}")
    return lines


def _duration(record: registry.RunRecord) -> float | None:
    from datetime import datetime

    if not record.started_at:
        return None if record.summary is None else record.summary.elapsed_seconds
    end = record.ended_at or record.updated_at
    if not end:
        return None
    parse = lambda text: datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
    return max((parse(end) - parse(record.started_at)).total_seconds(), 0.0)


def cmd_watch(args: argparse.Namespace, where: Paths, config: Config) -> int:
    from waitbuddy.runs import sources

    try:
        patterns = [sources.normalize(pattern) for pattern in args.patterns] + args.slurm
        if args.slurm_user is not None:
            patterns.append(sources.user_pattern(args.slurm_user or _login_name()))
    except ValueError as exc:
        error(str(exc))
        return EXIT_USAGE
    if not patterns:
        error("watch needs a PATH, GLOB, DIR or ssh:// log, or --slurm JOBIDS / --slurm-user")
        return EXIT_USAGE
    headless = args.json or args.notify
    if args.pid is not None and (len(patterns) != 1 or not sources.is_local(patterns[0])):
        error("--pid needs exactly one PATH")
        return EXIT_USAGE
    if args.until_done and not headless:
        error("--until-done goes with --json or --notify (no dashboard)")
        return EXIT_USAGE
    if (refused := _refuse_targets(patterns, args, headless)) is not None:
        return refused
    remember = args.remember or not headless
    store = Store.open(where.database)
    try:
        if remember:
            for pattern in patterns:
                registry.add_watch(store, pattern)
        if args.pid is not None:  # a deliberate request about this file: recorded for every watcher
            from waitbuddy.runs.present import default_name

            record = registry.ensure_run(store, patterns[0], name=default_name(patterns[0]))
            registry.watch_pid(store, record.id, args.pid)
        if not headless:
            from waitbuddy.commands.dashboard import open_dashboard

            return open_dashboard(where, config, store)
        return _watch_headless(args, patterns, config, store, register=remember)
    finally:
        store.close()


def cmd_unwatch(args: argparse.Namespace, where: Paths, config: Config) -> int:
    if not where.database.exists():
        if args.patterns:
            error("nothing is watched")
            return EXIT_FAILED
        return EXIT_OK
    with Store.open(where.database) as store:
        watched = registry.watches(store)
        if not args.patterns:
            for pattern in watched:
                say(visible(pattern, limit=500))
            return EXIT_OK
        status = EXIT_OK
        for pattern in (_stored_form(pattern) for pattern in args.patterns):
            if registry.remove_watch(store, pattern):
                say(f"stopped watching {visible(pattern, limit=500)}")
            else:
                error(f"{visible(pattern, limit=500)} is not watched (`waitbuddy unwatch` lists what is)")
                status = EXIT_FAILED
        return status


def _refuse_targets(patterns: list[str], args: argparse.Namespace, headless: bool) -> int | None:
    """Report every PATH that cannot be watched; the exit status if any, before anything is stored.

    The dashboard waits for a missing log in view; a script would wait without saying so, so it
    refuses unless asked to wait (an empty directory only matters when --until-done would hang).
    Slurm job ids are asked about once, together: an id Slurm does not know is refused here.
    A log on another machine is not looked at here: its run shows what ssh says."""
    from waitbuddy.runs import sources
    from waitbuddy.runs.targets import unfollowable

    waits = args.wait or not headless
    problems = [problem for pattern in patterns if sources.is_local(pattern)
                if (problem := unfollowable(pattern, missing_ok=waits, empty_ok=waits or not args.until_done))]
    for problem in problems:
        error(problem.message)
    jobs = [job for pattern in patterns if (job := sources.slurm_job(pattern)) is not None]
    unknown = _unknown_jobs(jobs) if jobs else 0
    if problems or unknown:
        return max([*map(_exit_status, problems), unknown])
    return None


def _unknown_jobs(jobs: list[str]) -> int:
    """Ask Slurm about ``jobs`` once; report the ones it does not know (or that it cannot be asked)."""
    from waitbuddy.runs.slurm_poll import Poller

    poller = Poller()
    poller.watch(jobs)
    reports = poller.poll(force=True)
    status = EXIT_OK
    for job in jobs:
        report = reports[job]
        if report.jobs:
            continue
        if report.misses:  # Slurm answered and does not know it
            error(f"Slurm job {job}: no such job (or it ended too long ago to be remembered)")
            status = EXIT_FAILED
        elif report.problem and ("not found" in report.problem or "not set up" in report.problem):  # no Slurm here
            error(f"--slurm: {report.problem}")
            return EXIT_FAILED
        else:  # a controller that does not answer now may later: the run shows it meanwhile
            print(f"waitbuddy: Slurm job {job}: {report.problem}; will keep asking", file=sys.stderr)
    return status


def _login_name() -> str:
    import getpass

    return getpass.getuser()


def _job_ids(value: str) -> list[str]:
    from waitbuddy.runs import sources

    try:
        return sources.job_patterns(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _watch_headless(args: argparse.Namespace, patterns: list[str], config: Config, store: Store, *,
                    register: bool) -> int:
    from waitbuddy.runs.stream import Output, Throttle

    output = Output()
    throttle = Throttle(lambda snapshot: output.line(json_line(snapshot.to_json())), args.interval)
    services = Services(config, store, on_problem=lambda text: print(f"waitbuddy: {text}", file=sys.stderr))
    alerts = (services.alert_policy(), services.alerter) if args.notify else None

    def emit(snapshots: list[RunSnapshot]) -> None:  # on the watcher's engine thread
        with output.lock:
            if args.json:
                for snapshot in snapshots:
                    throttle.offer(snapshot, time.monotonic())
            if alerts is not None:
                _alert(alerts, snapshots, output, print_each=not args.json)

    watcher = services.watcher(patterns, on_snapshots=emit, register=register,
                               **({"polling": "always"} if args.poll else {}))
    try:
        while not output.reader_gone():
            time.sleep(0.2)
            with output.lock:
                throttle.flush(time.monotonic())
            if args.until_done and watcher.all_ended():
                time.sleep(0.3)  # let the final snapshots out
                break
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    finally:
        # A script's last alert (completed, failed) is what it ran for: give it the push timeout.
        services.close(alert_seconds=HEADLESS_ALERT_SECONDS)
        with output.lock:
            throttle.flush(time.monotonic(), everything=True)
    if output.closed.is_set():
        return EXIT_OK  # the reader had what it wanted
    statuses = {snapshot.status for snapshot in watcher.snapshots()}
    return EXIT_OK if statuses == {"completed"} else EXIT_FAILED


def _alert(alerts, snapshots: list[RunSnapshot], output, *, print_each: bool) -> None:
    policy, alerter = alerts
    now = time.time()
    events = [event for snapshot in snapshots for event in policy.observe(snapshot, now)]
    if print_each:
        for event in events:
            output.line(f"{time.strftime('%Y-%m-%d %H:%M:%S')}  {event.text}")
    alerter.submit(events)
