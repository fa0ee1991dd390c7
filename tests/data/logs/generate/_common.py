"""Shared helper for the fixture generators: run a child exactly as a user would.

Every generator is both the driver (no arguments: run all variants) and the
training job (one argument: the variant name). The job is started through
/bin/sh with its output redirected to the log file, or through `script` for a
pseudo-terminal capture. Nothing is post-processed: the log bytes are kept as
written.
"""

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
LOGS = os.path.dirname(HERE)
PY = sys.executable


def run(log_name, script, variant, *, pty=False, unbuffered=True, env=None,
        shell_wrapper=False, stdout_only=False, signal_when=None, sig=None, timeout=120):
    """Run `python [-u] script variant` with stdout+stderr going to LOGS/log_name.

    pty=True           -> `script -q -c "..." LOG` (a 100x30 pseudo-terminal)
    shell_wrapper=True -> run it from a bash script (`bash run.sh > LOG 2>&1`), no exec
    stdout_only=True   -> `python ... > LOG` (stderr is not captured: sent to /dev/null)
    signal_when=rb"..." -> once this regex matches the log bytes, send `sig` to python
    Returns the exit status (negative = killed by that signal, as subprocess reports).
    """
    out = os.path.join(LOGS, log_name)
    if os.path.exists(out):
        os.remove(out)
    py = f"{PY} -u" if unbuffered else PY
    cmd = f"{py} {shlex.quote(os.path.abspath(script))} {variant}"
    full_env = dict(os.environ, **(env or {}))
    if not unbuffered:
        full_env.pop("PYTHONUNBUFFERED", None)
    workdir = tempfile.mkdtemp(prefix="waitbuddy-gen-")  # checkpoints etc. land here

    if pty:
        shell_cmd = ["script", "-q", "-c", f"stty cols 100 rows 30; exec {cmd}", out]
        proc = subprocess.Popen(shell_cmd, cwd=workdir, env=full_env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elif shell_wrapper:
        runner = os.path.join(workdir, "run.sh")
        with open(runner, "w") as f:
            f.write(f"#!/bin/bash\necho starting job\n{cmd}\necho job finished with status $?\n")
        proc = subprocess.Popen(["bash", "-c", f"bash run.sh > {shlex.quote(out)} 2>&1"],
                                cwd=workdir, env=full_env, stdin=subprocess.DEVNULL)
    else:
        err = "2>/dev/null" if stdout_only else "2>&1"
        proc = subprocess.Popen(["sh", "-c", f"exec {cmd} > {shlex.quote(out)} {err}"],
                                cwd=workdir, env=full_env, stdin=subprocess.DEVNULL)

    if signal_when is not None:
        deadline = time.time() + timeout
        while time.time() < deadline and proc.poll() is None:
            if os.path.exists(out) and re.search(signal_when, open(out, "rb").read()):
                break
            time.sleep(0.05)
        target = _python_pid(proc.pid, script)
        if target:
            os.kill(target, sig)
        else:
            print(f"WARNING: {log_name}: job ended before {signal_when!r} appeared; no signal sent")
    try:
        rc = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        rc = proc.wait()
    shutil.rmtree(workdir, ignore_errors=True)
    size = os.path.getsize(out) if os.path.exists(out) else 0
    print(f"{log_name:55s} rc={rc:<4} {size:>8} bytes")
    return rc


def _python_pid(root, script):
    """Find the python process running `script` under the pid `root` (itself or a descendant)."""
    pids = [root]
    while pids:
        pid = pids.pop()
        try:
            cmdline = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")
        except OSError:
            continue
        if any(os.path.basename(a.decode()) == os.path.basename(script) for a in cmdline[1:3]) \
                and b"python" in os.path.basename(cmdline[0]):
            return pid
        try:
            children = open(f"/proc/{pid}/task/{pid}/children").read().split()
        except OSError:
            children = []
        pids.extend(int(c) for c in children)
    return None


def run_recorded(log_name, script, variant, *, pty=False, env=None, poll=0.02, max_points=3000, timeout=300):
    """Like run() (file mode, or pty mode with `script -f`), and also record when each byte was written.

    While the job runs, the log file is polled every `poll` seconds (os.fstat for the size,
    os.pread for the new bytes). Each poll that sees the file larger adds a point
    [file size, seconds since the job was started] (time.monotonic(), taken just after the
    fstat). The job's exit is timed with a pidfd on the python process (for pty mode: the
    python under `script`), so `end` is when python exited, not when the poll noticed.
    Writes LOGS/timing/<log_name>.times.json; see the README for the fields. Returns the
    exit status (pty mode: the status of `script -e`, which is python's).
    """
    import json
    import select
    import threading

    out = os.path.join(LOGS, log_name)
    timing_dir = os.path.join(LOGS, "timing")
    os.makedirs(timing_dir, exist_ok=True)
    if os.path.exists(out):
        os.remove(out)
    cmd = f"{PY} -u {shlex.quote(os.path.abspath(script))} {variant}"
    workdir = tempfile.mkdtemp(prefix="waitbuddy-gen-")
    if pty:
        # -f (--flush): without it `script` writes its file in 4096-byte blocks, so the file
        # would grow in bursts seconds apart; -e: exit with python's status (without it, 0).
        # The bytes are the same either way.
        argv = ["script", "-q", "-f", "-e", "-c", f"stty cols 100 rows 30; exec {cmd}", out]
        described = f'script -q -f -e -c "stty cols 100 rows 30; exec python -u {os.path.basename(script)} {variant}" {log_name}'
        kwargs = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    else:
        argv = ["sh", "-c", f"exec {cmd} > {shlex.quote(out)} 2>&1"]
        described = f"sh -c 'exec python -u {os.path.basename(script)} {variant} > {log_name} 2>&1'"
        kwargs = {}

    start_unix = time.time()
    start = time.monotonic()
    proc = subprocess.Popen(argv, cwd=workdir, env=dict(os.environ, **(env or {})), stdin=subprocess.DEVNULL,
                            **kwargs)
    exited = {}

    def watch_python():
        # file mode: sh execs python, so proc.pid is python; pty mode: find it under `script`.
        pid = proc.pid if not pty else None
        while pid is None and proc.poll() is None:
            pid = _python_pid(proc.pid, script)
            if pid is None:
                time.sleep(0.001)
        if pid is None:
            return
        try:
            pidfd = os.pidfd_open(pid)
        except ProcessLookupError:
            exited["python"] = time.monotonic() - start
            return
        select.select([pidfd], [], [])
        exited["python"] = time.monotonic() - start
        os.close(pidfd)

    watcher = threading.Thread(target=watch_python, daemon=True)
    watcher.start()

    points, seen, fd = [], bytearray(), None
    deadline = start + timeout

    def observe():
        nonlocal fd
        if fd is None:
            try:
                fd = os.open(out, os.O_RDONLY)
            except FileNotFoundError:
                return
        size = os.fstat(fd).st_size
        now = time.monotonic() - start
        if size < len(seen):
            raise RuntimeError(f"{log_name} shrank from {len(seen)} to {size} bytes")
        if size > len(seen):
            seen.extend(os.pread(fd, size - len(seen), len(seen)))
            points.append([len(seen), round(now, 4)])

    while proc.poll() is None:
        observe()
        if time.monotonic() > deadline:
            proc.kill()
        time.sleep(poll)
    rc = proc.wait()
    process_end = time.monotonic() - start
    watcher.join(timeout=5)
    observe()
    if fd is not None:
        os.close(fd)
    shutil.rmtree(workdir, ignore_errors=True)
    with open(out, "rb") as f:
        final = f.read()
    if bytes(seen) != final:
        raise RuntimeError(f"{log_name}: the bytes read while it grew differ from the final file")

    observed = len(points)
    if len(points) > max_points:  # thin evenly, keeping the first and the last
        step = (len(points) - 1) / (max_points - 1)
        points = [points[round(i * step)] for i in range(max_points)]
    end = exited.get("python", process_end)
    record = {
        "log": log_name,
        "source": (f"{'pty' if pty else 'file'} mode: {described}, run by generate/_common.py run_recorded; "
                   f"the log file was polled every {poll * 1000:.0f} ms (os.fstat + os.pread) while the job ran; "
                   "each point is [file size in bytes, seconds since the job was started (time.monotonic)] "
                   "at the first poll that saw that size"),
        "mode": "pty" if pty else "file",
        "env": env or {},
        "poll_seconds": poll,
        "start_unix": round(start_unix, 4),
        "exit_status": rc,
        "duration": round(end, 4),
        "end": round(end, 4),
        "end_unix": round(start_unix + end, 4),
        "first_output": points[0][1] if points else None,
        "last_output": points[-1][1] if points else None,
        "wrapper_end": round(process_end, 4) if pty else None,
        "size": len(final),
        "observed_growths": observed,
        "points": points,
    }
    path = os.path.join(timing_dir, f"{log_name}.times.json")
    with open(path, "w", encoding="utf-8") as f:
        head = json.dumps({k: v for k, v in record.items() if k != "points"}, indent=1)[:-2]
        f.write(head + ',\n "points": [\n' + ",\n".join(json.dumps(p) for p in points) + "\n ]\n}\n")
    with open(path, encoding="utf-8") as f:
        json.load(f)  # well-formed
    print(f"{log_name:55s} rc={rc:<4} {len(final):>8} bytes  {end:6.1f} s  {observed} growths")
    return rc
