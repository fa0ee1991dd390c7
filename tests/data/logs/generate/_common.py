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
