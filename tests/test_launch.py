"""`waitbuddy run -- CMD`: real child processes, real files, a real store."""

from __future__ import annotations

import fcntl
import io
import os
import selectors
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from waitbuddy.runs import launch, registry
from waitbuddy.runs.launch import default_log_path, default_name, run_command
from waitbuddy.store import Store

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 30.0  # generous: only reached when something is wrong

# The wrapper as a process of its own, for signals sent by "the terminal" or `kill`.
WRAPPER = textwrap.dedent(
    """
    import signal, sys
    from pathlib import Path
    from waitbuddy.runs import launch
    from waitbuddy.store import Store
    # As a foreground job in an interactive shell, whatever the test runner itself inherited.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    store = Store.open(sys.argv[1])
    status = launch.run_command(sys.argv[3:], log_path=Path(sys.argv[2]), store=store)
    store.close()
    sys.exit(status)
    """
)

# A training loop that says when it is running, then waits to be stopped.
LOOP = textwrap.dedent(
    """
    import sys, time
    sys.stderr.write("\\r 10%|#         | 10/100 [00:01<00:09, 9.9it/s]")
    print("ready", flush=True)
    while True:
        time.sleep(0.05)
    """
)


def python(code: str) -> list[str]:
    return [sys.executable, "-c", textwrap.dedent(code)]


def launched(store: Store, log: Path) -> registry.RunRecord:
    record = registry.get(store, path=str(log.absolute()))
    assert record is not None
    return record


@pytest.fixture
def db(tmp_path: Path):
    with Store.open(tmp_path / "w.db") as store:
        yield store


# --- passing output through ----------------------------------------------------------------------


def test_output_passes_through_byte_exact_and_the_run_completes(tmp_path, db):
    pieces = [
        ("out", b"starting\n"),
        ("err", b"\r  0%|          | 0/2 [00:00<?, ?it/s]\r 50%|#####     | 1/2\r100%|##########| 2/2\n"),
        ("out", b"\x1b[31mred\x1b[0m and a bad byte \xff\xfe here\r\n"),
        ("err", b"warning on stderr\n"),
        ("out", b"no newline at the end"),
    ]
    code = "import sys\n" + "".join(
        f"sys.std{stream}.buffer.write({data!r}); sys.std{stream}.buffer.flush()\n" for stream, data in pieces
    )
    argv = [sys.executable, "-c", code]
    log = tmp_path / "logs" / "nested" / "train.log"
    out = io.BytesIO()

    status = run_command(argv, log_path=log, store=db, out=out)

    expected = b"".join(data for _, data in pieces)
    assert status == 0
    assert log.read_bytes() == expected
    assert out.getvalue() == expected
    record = launched(db, log)
    assert record.source == "launch"
    assert record.command == argv
    assert record.exit_code == 0 and record.exit_signal is None
    assert record.status == "completed"
    assert record.ended_at is not None and record.started_at is not None
    assert record.pid is not None
    assert record.summary.status == "completed"


def test_a_traceback_and_exit_1_fail_the_run_with_the_exception(tmp_path, db):
    log = tmp_path / "train.log"
    argv = python(
        """
        print("epoch 1 loss=0.5")
        def step():
            raise ValueError("shapes (3,) and (4,) not aligned")
        step()
        """
    )
    status = run_command(argv, log_path=log, store=db, out=io.BytesIO())

    assert status == 1
    record = launched(db, log)
    assert record.status == "failed"
    assert record.error_kind == "exception"
    assert "ValueError: shapes (3,) and (4,) not aligned" in record.error_message
    assert record.exit_code == 1
    assert b"Traceback (most recent call last):" in log.read_bytes()


def test_sigkill_is_reported_as_probably_out_of_host_memory(tmp_path, db):
    log = tmp_path / "train.log"
    # print() without flush: PYTHONUNBUFFERED=1 gets it out before the kill.
    argv = python(
        """
        import os, signal, sys
        for i in range(1, 4):
            sys.stderr.write(f"\\r{i * 10:3d}%|###       | {i}/10 [00:0{i}<00:07, 1.00it/s]")
        print("about to use too much memory")
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    out = io.BytesIO()
    status = run_command(argv, log_path=log, store=db, out=out)

    assert status == 137
    assert b"about to use too much memory" in log.read_bytes()
    assert out.getvalue() == log.read_bytes()
    record = launched(db, log)
    assert record.status == "failed"
    assert record.error_kind == "killed"
    assert "probably out of host memory" in record.error_message
    assert record.exit_signal == 9 and record.exit_code is None


def test_without_a_store_nothing_is_registered(tmp_path):
    log = tmp_path / "train.log"
    status = run_command(python("print('hello')"), log_path=log, store=None, out=io.BytesIO())
    assert status == 0
    assert log.read_bytes() == b"hello\n"


def test_the_exit_code_passes_through(tmp_path):
    status = run_command(python("import sys; sys.exit(3)"), log_path=tmp_path / "x.log", store=None,
                         out=io.BytesIO())
    assert status == 3


def test_the_log_is_truncated_not_appended(tmp_path):
    log = tmp_path / "train.log"
    log.write_bytes(b"an older run\n" * 100)
    run_command(python("print('new')"), log_path=log, store=None, out=io.BytesIO())
    assert log.read_bytes() == b"new\n"


def test_a_terminal_that_goes_away_does_not_stop_the_log(tmp_path):
    class BrokenPipe(io.RawIOBase):
        calls = 0

        def writable(self) -> bool:
            return True

        def write(self, data) -> int:
            BrokenPipe.calls += 1
            raise BrokenPipeError(32, "Broken pipe")

    log = tmp_path / "train.log"
    argv = python(
        """
        import sys, time
        for i in range(5):
            print(f"line {i}", flush=True)
            time.sleep(0.01)
        """
    )
    status = run_command(argv, log_path=log, store=None, out=BrokenPipe())

    assert status == 0
    assert log.read_bytes() == b"".join(f"line {i}\n".encode() for i in range(5))
    assert BrokenPipe.calls == 1  # dropped after the first failure, not retried per chunk


def test_a_closed_output_stream_does_not_stop_the_log(tmp_path):
    out = io.BytesIO()
    out.close()
    log = tmp_path / "train.log"
    assert run_command(python("print('still logged')"), log_path=log, store=None, out=out) == 0
    assert log.read_bytes() == b"still logged\n"


def test_python_children_are_unbuffered_unless_the_user_decided(tmp_path, monkeypatch):
    argv = python("import os; print(os.environ.get('PYTHONUNBUFFERED'))")
    monkeypatch.delenv("PYTHONUNBUFFERED", raising=False)
    out = io.BytesIO()
    run_command(argv, log_path=tmp_path / "a.log", store=None, out=out)
    assert out.getvalue() == b"1\n"

    monkeypatch.setenv("PYTHONUNBUFFERED", "users-choice")
    out = io.BytesIO()
    run_command(argv, log_path=tmp_path / "b.log", store=None, out=out)
    assert out.getvalue() == b"users-choice\n"


def test_a_background_process_holding_the_output_does_not_hold_the_wrapper(tmp_path):
    log = tmp_path / "train.log"
    # Like `tensorboard &` in a training script: the grandchild inherits the pipe and outlives the child.
    argv = python(
        """
        import subprocess, sys
        grandchild = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        print(f"grandchild {grandchild.pid}", flush=True)
        print("done", flush=True)
        """
    )
    started = time.monotonic()
    status = run_command(argv, log_path=log, store=None, out=io.BytesIO())
    elapsed = time.monotonic() - started
    text = log.read_text()
    grandchild = int(text.split()[1])
    try:
        assert status == 0
        assert elapsed < 15.0
        assert text.endswith("done\n")
    finally:
        os.kill(grandchild, signal.SIGKILL)


# --- signals ---------------------------------------------------------------------------------------


def test_signal_handlers_are_restored_and_the_child_can_be_interrupted(tmp_path):
    watched = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    before = {signum: signal.getsignal(signum) for signum in watched}
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as under nohup
    try:
        # The wrapper ignores Ctrl-C but the child must not inherit that; nohup must carry over.
        argv = python(
            """
            import signal
            print(signal.getsignal(signal.SIGINT) is signal.default_int_handler,
                  signal.getsignal(signal.SIGHUP) == signal.SIG_IGN)
            """
        )
        out = io.BytesIO()
        assert run_command(argv, log_path=tmp_path / "x.log", store=None, out=out) == 0
        assert out.getvalue() == b"True True\n"
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
        assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
        assert signal.getsignal(signal.SIGTERM) == before[signal.SIGTERM]
    finally:
        for signum, handler in before.items():
            signal.signal(signum, handler)


def start_wrapper(tmp_path: Path, child: list[str]) -> tuple[subprocess.Popen[bytes], Path, Path]:
    """The wrapper in its own session (its own process group, as a terminal's foreground job)."""
    db, log = tmp_path / "w.db", tmp_path / "train.log"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    wrapper = subprocess.Popen(
        [sys.executable, "-c", WRAPPER, str(db), str(log), *child],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env, cwd=ROOT,
        start_new_session=True,
    )
    return wrapper, db, log


def read_until(process: subprocess.Popen[bytes], marker: bytes) -> bytes:
    seen = b""
    deadline = time.monotonic() + TIMEOUT
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while marker not in seen:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"no {marker!r} from the wrapper; got {seen!r}"
            if selector.select(remaining):
                chunk = os.read(process.stdout.fileno(), 65536)
                assert chunk, f"the wrapper ended before {marker!r}: {seen!r} {process.stderr.read()!r}"
                seen += chunk
    return seen


def stop_group(process: subprocess.Popen[bytes]) -> None:
    """Leave nothing running, whatever the test found."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.communicate(timeout=TIMEOUT)


def test_ctrl_c_from_the_terminal_interrupts_the_child_and_the_wrapper_records_it(tmp_path):
    wrapper, db, log = start_wrapper(tmp_path, python(LOOP))
    try:
        read_until(wrapper, b"ready\n")
        os.killpg(wrapper.pid, signal.SIGINT)  # what the terminal does on Ctrl-C
        rest, errors = wrapper.communicate(timeout=TIMEOUT)
        assert wrapper.returncode == 130, errors
        assert b"KeyboardInterrupt" in rest
    finally:
        stop_group(wrapper)
    with Store.open(db) as store:
        record = launched(store, log)
    assert record.status == "interrupted"
    assert record.exit_signal == 2 and record.exit_code is None
    assert record.ended_at is not None


def test_sigterm_to_the_wrapper_alone_is_forwarded_to_the_child(tmp_path):
    wrapper, db, log = start_wrapper(tmp_path, python(LOOP))
    try:
        read_until(wrapper, b"ready\n")
        os.kill(wrapper.pid, signal.SIGTERM)  # `kill <pid of waitbuddy>`
        _, errors = wrapper.communicate(timeout=TIMEOUT)
        assert wrapper.returncode == 143, errors
    finally:
        stop_group(wrapper)
    with Store.open(db) as store:
        record = launched(store, log)
    assert record.status == "interrupted"  # stopped by someone, not crashed
    assert record.error_kind == "terminated"
    assert record.exit_signal == 15 and record.exit_code is None


# A child that counts the SIGINTs it gets, then says how many (or 0 if none came within 5 s).
COUNT_SIGINTS = textwrap.dedent(
    """
    import signal, sys, time
    count = 0
    def counted(signum, frame):
        global count
        count += 1
    signal.signal(signal.SIGINT, counted)
    print("ready", flush=True)
    deadline = time.monotonic() + 5
    while count == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)  # long enough for a second SIGINT to arrive, if one is coming
    print(f"sigints={count}", flush=True)
    sys.exit(3)
    """
)


def start_wrapper_on_a_terminal(tmp_path: Path, child: list[str]) -> tuple[subprocess.Popen[bytes], int]:
    """The wrapper as the foreground job of a real (pseudo) terminal, its controlling terminal."""
    import pty
    import termios

    master, slave = pty.openpty()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    wrapper = subprocess.Popen(
        [sys.executable, "-c", WRAPPER, str(tmp_path / "w.db"), str(tmp_path / "train.log"), *child],
        stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=ROOT, start_new_session=True,
        # After setsid the pty becomes our controlling terminal; Popen has no option for that.
        preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),  # noqa: PLW1509
    )
    os.close(slave)
    return wrapper, master


def test_sigint_to_the_wrapper_alone_is_forwarded_to_the_child(tmp_path):
    wrapper, db, log = start_wrapper(tmp_path, python(LOOP))
    try:
        read_until(wrapper, b"ready\n")
        started = time.monotonic()
        os.kill(wrapper.pid, signal.SIGINT)  # a supervisor's `kill -INT <pid of waitbuddy>`, no terminal
        rest, errors = wrapper.communicate(timeout=TIMEOUT)
        assert wrapper.returncode == 130, errors
        assert b"KeyboardInterrupt" in rest
        assert time.monotonic() - started < 5
    finally:
        stop_group(wrapper)
    with Store.open(db) as store:
        record = launched(store, log)
    assert record.status == "interrupted" and record.exit_signal == 2


def test_a_supervisors_sigint_reaches_the_child_once(tmp_path):
    wrapper, _db, _log = start_wrapper(tmp_path, python(COUNT_SIGINTS))
    try:
        read_until(wrapper, b"ready\n")
        os.kill(wrapper.pid, signal.SIGINT)
        rest, errors = wrapper.communicate(timeout=TIMEOUT)
        assert b"sigints=1" in rest, errors
        assert wrapper.returncode == 3
    finally:
        stop_group(wrapper)


def test_ctrl_c_typed_at_the_terminal_reaches_the_child_once(tmp_path):
    """The terminal signals the whole foreground group; the wrapper must not add a second SIGINT."""
    wrapper, master = start_wrapper_on_a_terminal(tmp_path, python(COUNT_SIGINTS))
    try:
        read_until(wrapper, b"ready\n")
        os.write(master, b"\x03")  # Ctrl-C, as typed
        rest, errors = wrapper.communicate(timeout=TIMEOUT)
        assert b"sigints=1" in rest, errors
        assert wrapper.returncode == 3
    finally:
        stop_group(wrapper)
        os.close(master)


# --- cannot start ------------------------------------------------------------------------------------


def test_a_command_that_does_not_exist_exits_127(tmp_path, db, capsys):
    log = tmp_path / "train.log"
    status = run_command(["waitbuddy-no-such-command-xyz", "--lr", "1"], log_path=log, store=db,
                         out=io.BytesIO())

    assert status == 127
    err = capsys.readouterr().err
    assert err == "waitbuddy: cannot run 'waitbuddy-no-such-command-xyz': No such file or directory\n"
    record = launched(db, log)
    assert record.status == "failed" and record.exit_code == 127
    assert b"cannot run" in log.read_bytes()


def test_a_file_that_is_not_executable_exits_126(tmp_path, capsys):
    script = tmp_path / "train.sh"
    script.write_text("echo hi\n")
    script.chmod(0o644)
    status = run_command([str(script)], log_path=tmp_path / "x.log", store=None, out=io.BytesIO())
    assert status == 126
    assert capsys.readouterr().err.startswith(f"waitbuddy: cannot run '{script}': ")


def test_an_unwritable_log_exits_2_without_starting_the_command(tmp_path, db, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    marker = tmp_path / "started"
    log = blocker / "logs" / "train.log"
    status = run_command(python(f"open({str(marker)!r}, 'w').close()"), log_path=log, store=db,
                         out=io.BytesIO())

    assert status == 2
    assert capsys.readouterr().err.startswith(f"waitbuddy: cannot write log {log}: ")
    assert not marker.exists()
    assert registry.get(db, path=str(log.absolute())) is None


@pytest.mark.parametrize("kind", ["fifo", "device", "directory"])
def test_a_log_that_is_not_a_regular_file_is_refused_before_the_command_starts(tmp_path, kind):
    log = {"fifo": tmp_path / "train.log", "device": Path("/dev/null"), "directory": tmp_path}[kind]
    if kind == "fifo":
        os.mkfifo(log)
    marker = tmp_path / "started"
    env = {**os.environ, "WAITBUDDY_DATA_DIR": str(tmp_path / "data")}
    try:  # opening a FIFO for writing blocks until a reader comes: the command would never start
        result = subprocess.run([sys.executable, "-m", "waitbuddy", "run", "--log", str(log), "--", "touch", str(marker)],
                                capture_output=True, text=True, timeout=15, env=env, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"run --log {kind} blocked")
    reason = {"fifo": "not a regular file (a FIFO)", "device": "not a regular file (a character device)",
              "directory": "is a directory"}[kind]
    assert result.returncode == 2
    assert result.stderr == f"waitbuddy: cannot write log {log}: {reason}; give --log a file\n"
    assert not marker.exists()


def test_a_missing_command_whose_name_is_not_utf8_exits_127_and_says_so(tmp_path, db, capsys):
    log = tmp_path / "train.log"
    program = os.fsdecode(os.fsencode(str(tmp_path)) + b"/tr\xffain\x1b[2J")
    status = run_command([program], log_path=log, store=db, out=io.BytesIO())
    assert status == 127
    message = f"waitbuddy: cannot run '{tmp_path}/tr\\xffain\\e[2J': No such file or directory\n"
    assert capsys.readouterr().err == message
    assert log.read_bytes() == message.encode()
    assert launched(db, log).exit_code == 127


def test_a_broken_store_warns_once_and_the_command_still_runs(tmp_path, capsys):
    store = Store.open(tmp_path / "w.db")
    store.close()
    log = tmp_path / "train.log"
    out = io.BytesIO()
    status = run_command(python("print('training anyway')"), log_path=log, store=store, out=out)

    assert status == 0
    assert out.getvalue() == log.read_bytes() == b"training anyway\n"
    warnings = capsys.readouterr().err.splitlines()
    assert len(warnings) == 1 and warnings[0].startswith("waitbuddy: warning: cannot record the run")


def test_an_empty_command_is_a_caller_error(tmp_path):
    with pytest.raises(ValueError):
        run_command([], log_path=tmp_path / "x.log", store=None)


def test_a_name_given_is_stored_and_a_rerun_keeps_one_row(tmp_path, db):
    log = tmp_path / "train.log"
    run_command(python("print(1)"), log_path=log, store=db, name="bert lr=3e-5", out=io.BytesIO())
    run_command(python("import sys; sys.exit(4)"), log_path=log, store=db, out=io.BytesIO())
    records = registry.runs(db)
    assert len(records) == 1
    assert records[0].name == "bert lr=3e-5"
    assert records[0].status == "failed" and records[0].exit_code == 4


# --- names ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "name"),
    [
        ("python -u train.py --lr 1", "train"),
        ("torchrun --nproc_per_node 8 scripts/pretrain.py", "pretrain"),
        ("./run.sh", "run"),
        ("make train", "make"),
        ("python -m pkg.finetune --epochs 3", "finetune"),
        ("python -mpkg.finetune", "finetune"),
        ("python -m torch.distributed.run --nproc_per_node 8 train_gpt.py", "train_gpt"),
        ("accelerate launch --config_file cfg.yaml sft.py", "sft"),
        ("python train.py model=resnet.py", "train"),
        ("bash scripts/launch.sh", "launch"),
        ("/usr/bin/python3.11", "python3.11"),
        ("python", "python"),
    ],
)
def test_default_name(command, name):
    assert default_name(command.split()) == name


def test_default_name_of_nothing():
    assert default_name([]) == "run"


def test_default_log_path(tmp_path):
    now = 1_780_000_000.0
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    assert default_log_path(tmp_path, "train", now) == tmp_path / "logs" / f"train-{stamp}.log"
    assert default_log_path(tmp_path, "bert-base/run 1", now).name == f"bert-base-run-1-{stamp}.log"
    assert default_log_path(tmp_path, "../../etc/passwd", now).name == f"etc-passwd-{stamp}.log"
    assert default_log_path(tmp_path, ".hidden", now).name == f"hidden-{stamp}.log"
    assert default_log_path(tmp_path, "", now).name == f"run-{stamp}.log"
    assert default_log_path(tmp_path, "é/∞", now).name == f"run-{stamp}.log"
    assert len(default_log_path(tmp_path, "x" * 500, now).name) < 120


def test_default_log_path_does_not_reuse_an_existing_log(tmp_path):
    now = 1_780_000_000.0
    first = default_log_path(tmp_path, "train", now)
    first.parent.mkdir(parents=True)
    first.write_bytes(b"an earlier run in the same second\n")
    second = default_log_path(tmp_path, "train", now)
    assert second != first
    assert second.name.endswith("-2.log")


def test_the_module_does_nothing_at_import():
    code = (
        "import signal; before = [signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)]\n"
        "import waitbuddy.runs.launch\n"
        "print(before == [signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)])"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=TIMEOUT, cwd=ROOT)
    assert result.stdout.strip() == "True", result.stderr
    assert launch.CHUNK_BYTES == 65536


def test_a_second_waitbuddy_run_into_the_same_log_ends_in_a_watcher_that_saw_the_first(tmp_path):
    # Seen in use: `waitbuddy run --log train.log` twice with the dashboard open. The first run
    # ended completed everywhere; the second (the log rewritten, a new process) stayed "running
    # 100 %" in the dashboard for good while `status` and `runs` said completed: the watcher only
    # learned a process from the store when it first followed the log.
    import time as clock

    from waitbuddy.runs.watcher import Watcher
    from waitbuddy.store import Store

    data, log = tmp_path / "data", tmp_path / "train.log"
    env = {**os.environ, "WAITBUDDY_DATA_DIR": str(data), "WAITBUDDY_CONFIG": str(tmp_path / "config.toml"),
           "HOME": str(tmp_path)}

    def launch(lines: str) -> None:
        result = subprocess.run([sys.executable, "-m", "waitbuddy", "run", "--log", str(log), "--", sys.executable,
                                 "-c", f"import time; print({lines!r}, flush=True); time.sleep(1.5)"],
                                capture_output=True, text=True, env=env, timeout=60)
        assert result.returncode == 0, result.stderr

    def ended_within(watcher: Watcher, seconds: float) -> str:
        deadline = clock.monotonic() + seconds
        while clock.monotonic() < deadline:
            [snapshot] = watcher.snapshots() or [None]
            if snapshot is not None and snapshot.status == "completed" and snapshot.updated_at:
                return snapshot.status
            clock.sleep(0.05)
        return watcher.snapshots()[0].status

    launch("step 1/2 loss=0.5\nstep 2/2 loss=0.4")
    with Store.open(data / "waitbuddy.db") as store:
        watcher = Watcher([str(log)], on_snapshots=lambda snapshots: None, store=store, follow_store=True)
        watcher.start()
        try:
            assert ended_within(watcher, 10) == "completed"
            log.unlink()  # as `> train.log` would; the same --log again
            launch("step 1/2 loss=0.3\nstep 2/2 loss=0.2")
            clock.sleep(0.5)
            deadline = clock.monotonic() + 10
            while clock.monotonic() < deadline:
                [snapshot] = watcher.snapshots()
                if snapshot.status == "completed" and snapshot.metrics.get("loss") == 0.2:
                    break
                clock.sleep(0.05)
            assert (snapshot.status, snapshot.metrics.get("loss")) == ("completed", 0.2)
        finally:
            watcher.stop()
