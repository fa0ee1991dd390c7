"""How training jobs end badly: CUDA, NCCL, signals, Slurm, NaN, Python tracebacks.

``recognize`` is stateless and unanchored (markers arrive mid-line after the last bar frame),
so it runs on the terminal view *and* on raw text pieces. ``Tracebacks`` follows Python's
multi-line traceback blocks and reports the last exception with the root cause of a chain.
"""

from __future__ import annotations

import re

from waitbuddy.runs.observe import COMPLETED, FAILED, INTERRUPTED, Marker
from waitbuddy.text import safe_line

# Two cheap searches decide whether a piece of text needs the detailed patterns at all: a few
# literal words every marker contains, looked for with str.find (far faster than one regex of
# many alternatives over the raw text of a long read); then the hint regex, only if one is there.
_HINT_WORDS = (
    "exit", "EXIT", "with status", "emory", "CUDA", "cuda", "CUBLAS", "cuDNN", "Watchdog", "NCCL", "DistBackend", "Kill",
    "kill", "SIG", "Terminated", "Segmentation", "CANCELLED", "Invalid loss", "not finite", "nan values", "Interrupt",
    "loss scale", "bus error", "return code", "Error executing", "worker died", "submitit", "signal", ".py: error: ",
    "Hangup", "Aborted", "Illegal instruction", "Floating point",
)
_HINT = re.compile(
    r"exit status|exit code|exited with|finished with status|out of memory|Out Of Memory|CUDA error|CUBLAS_STATUS|"
    r"cuDNN error|Watchdog caught|ProcessGroupNCCL|DistBackendError|unhandled cuda error|exitcode|Killed|"
    r"killed by signal|Terminated|Segmentation fault|CANCELLED|oom[-_]kill|exceeded memory limit|Invalid loss|"
    r"is not finite|returned nan values|KeyboardInterrupt|SIGKILL|Minimum loss scale reached|"
    r"loss scale already at minimum|bus error|COMMAND_EXIT_CODE|return code|SIGINT|Error executing job|worker died|"
    r"submitit ERROR|SIGTERM|death signal|got signal|\.py: error: |Hangup|Aborted|Illegal instruction|"
    r"Floating point exception"
)


def _hinted(text: str) -> bool:
    return any(word in text for word in _HINT_WORDS)


# The footer `script` (util-linux) writes when the command it recorded ends.
_SCRIPT_EXIT = re.compile(r'Script done on .*\[COMMAND_EXIT_CODE="?(-?\d+)"?\]')


def scan(text: str) -> list[Marker]:
    """Markers in raw text that may hold many \\r-separated frames: one pass of the cheap hint
    over the whole text, then the detailed patterns only on the pieces around a hint."""
    markers: list[Marker] = []
    if not _hinted(text):
        return markers
    last_end = -1
    for hint in _HINT.finditer(text):
        if hint.start() < last_end:
            continue
        start = max(text.rfind("\r", 0, hint.start()), text.rfind("\n", 0, hint.start())) + 1
        ends = [index for index in (text.find("\r", hint.end()), text.find("\n", hint.end())) if index != -1]
        end = min(ends) if ends else len(text)
        last_end = end
        if marker := recognize(text[max(start, end - 4096) : end]):
            markers.append(marker)
    return markers


def exit_marker(code: int | None, signal: int | None) -> Marker:
    """What a process's exit status says about the run (shell statuses 128+N included)."""
    if signal == 9 or code in (137, -9):
        return Marker(FAILED, "killed (SIGKILL): probably out of host memory", "killed")
    if signal == 2 or code in (130, -2):
        return Marker(INTERRUPTED, "interrupted (SIGINT)", "interrupted")
    if signal == 15 or code in (143, -15):
        return Marker(INTERRUPTED, "terminated (SIGTERM)", "terminated")
    if signal is not None:
        return Marker(FAILED, f"killed by signal {signal}", "killed")
    if code not in (None, 0):
        return Marker(FAILED, f"exited with status {code}", "exit_status")
    return Marker(COMPLETED, "the process exited normally")
_CUDA_OOM = re.compile(r"(?:CUDA|HIP) out of memory\.?(?: Tried to allocate ([\d.]+ [KMGT]i?B))?")
_CUDA_ERROR = re.compile(r"CUDA error: ([^\n]{1,200})|(CUBLAS_STATUS_\w+)|cuDNN error: ([^\n]{1,200})")
_NCCL = re.compile(r"Watchdog caught collective operation timeout|WorkNCCL\([^)]{0,300}\) timed out|DistBackendError")
_TORCHRUN_KILLED = re.compile(
    r"exitcode\s*:?\s*-9\b|Signal 9 \(SIGKILL\) received|died with <Signals\.SIGKILL|"
    r"(?:exit(?:ed)?(?: with)?|finished with|non-zero exit) (?:status|code)\s*[:=]?\s*137\b"
)
# An interactive shell prints a bare "Killed" / "Terminated", possibly right after a bar frame.
_SHELL_KILLED = re.compile(r"(?:line \d+: +\d+ Killed\b|(?:^|\]\s*)Killed\s*$|^Killed\b|killed by signal: Killed)")
_TERMINATED = re.compile(
    r"(?:line \d+: +\d+ Terminated\b|(?:^|\]\s*)Terminated\s*$|exitcode\s*:?\s*-15\b|Signals\.SIGTERM|"
    r"Received SIGTERM|SIGTERM received|received signal 15\b|Signal 15 \(SIGTERM\) received|got signal: 15\b|"
    r"Received 15 death signal)"
)
# argparse refusing the command line: the script never started training.
_USAGE = re.compile(r"^\S{1,80}\.py: error: (.{1,200})")
# Launchers that report a worker's end: DeepSpeed's, Hydra's, Ray's.
_RETURN_CODE = re.compile(r"exits with return code = (-?\d+)")
_LAUNCHER_FAILED = re.compile(
    r"Error executing job with overrides|A worker died or was killed|submitit ERROR .{0,60}triggered an exception")
_SEGFAULT = re.compile(r"(?:line \d+: +\d+ Segmentation fault|^Segmentation fault)")
# A shell reporting its child's death by another signal: "line 57: 3698895 Hangup   ( cd ... )".
_SHELL_SIGNAL = re.compile(r"line \d+: +\d+ (Hangup|Aborted|Bus error|Illegal instruction|Floating point exception)\b")
_SLURM = re.compile(
    r"\*\*\* (?:JOB|STEP) [\d.]+ (?:ON \S+ )?CANCELLED(?: AT \S+)?(?: DUE TO (?P<why>[A-Z ]+?))?(?:,[^*]*)? \*\*\*"
)
_SLURM_OOM = re.compile(r"Detected \d+ oom[-_]kill event|task \d+: Out Of Memory|exceeded memory limit \(")
_NAN = re.compile(
    r"Batch (\d+): Invalid loss, terminating training|"
    r"Monitored metric (\S+) = (?:tensor\()?[-+]?(?:nan|inf)\)? is not finite|"
    r"Function '(\w+)' returned nan values|Minimum loss scale reached|loss scale already at minimum",
    re.IGNORECASE,
)
_INTERRUPT = re.compile(r"^KeyboardInterrupt\b|Detected KeyboardInterrupt, attempting graceful shutdown|"
                        r"got signal: 2\b|Received 2 death signal|Signals\.SIGINT|received SIGINT, exiting")
_SHM = re.compile(r"Unexpected bus error encountered in worker")


def recognize(text: str) -> Marker | None:
    """A failure marker anywhere in ``text`` (one line or one raw piece), or None."""
    if not _HINT.search(text):
        return None
    if match := _SCRIPT_EXIT.search(text):
        return exit_marker(int(match.group(1)), None)
    if match := _CUDA_OOM.search(text):
        detail = f" (tried to allocate {match.group(1)})" if match.group(1) else ""
        return Marker(FAILED, f"CUDA out of memory{detail}", "cuda_oom")
    if "CUDA error: out of memory" in text:
        return Marker(FAILED, "CUDA out of memory", "cuda_oom")
    if "unhandled cuda error" in text:
        return Marker(FAILED, "NCCL: unhandled CUDA error", "cuda_error")
    if match := _NCCL.search(text):
        return Marker(FAILED, "NCCL collective timed out (a rank hung or died)", "nccl_timeout")
    if match := _CUDA_ERROR.search(text):
        detail = next(group for group in match.groups() if group)
        return Marker(FAILED, f"CUDA error: {safe_line(detail, limit=120)}", "cuda_error")
    if match := _SLURM.search(text):
        why = (match["why"] or "").strip()
        if why == "TIME LIMIT":
            return Marker(FAILED, "Slurm time limit reached", "slurm_time_limit")
        kind = FAILED if why else INTERRUPTED  # cancelled by someone (scancel), not by a failure
        return Marker(kind, f"Slurm cancelled the job{' (' + why.lower() + ')' if why else ''}", "slurm_cancelled")
    if _SLURM_OOM.search(text):
        return Marker(FAILED, "Slurm killed the job: out of memory", "slurm_oom")
    if (match := _RETURN_CODE.search(text)) and match.group(1) != "0":
        code = int(match.group(1))
        return exit_marker(None, -code) if code < 0 else exit_marker(code, None)
    if match := _LAUNCHER_FAILED.search(text):
        kind = "killed" if match.group(0).startswith("A worker") else "exception"
        return Marker(FAILED, match.group(0), kind)
    if _TORCHRUN_KILLED.search(text) or _SHELL_KILLED.search(text):
        return Marker(FAILED, "killed (SIGKILL): probably out of host memory", "killed")
    if _TERMINATED.search(text):
        return Marker(INTERRUPTED, "terminated (SIGTERM)", "terminated")
    if match := _USAGE.search(text):
        return Marker(FAILED, f"usage error: {safe_line(match.group(1), limit=120)}", "exception")
    if _SEGFAULT.search(text):
        return Marker(FAILED, "segmentation fault", "killed")
    if match := _SHELL_SIGNAL.search(text):
        return Marker(FAILED, f"killed by a signal ({match.group(1)})", "killed")
    if match := _NAN.search(text):
        return Marker(FAILED, f"NaN: {safe_line(match.group(0), limit=120)}", "nan")
    if _INTERRUPT.search(text):
        return Marker(INTERRUPTED, "interrupted (KeyboardInterrupt)", "interrupted")
    if _SHM.search(text):
        return Marker(FAILED, "DataLoader worker bus error: shared memory (/dev/shm) too small", "exception")
    return None


# "ValueError: boom", "torch.OutOfMemoryError: ...", "KeyboardInterrupt", "foo.ChildFailedError: "
_EXCEPTION_LINE = re.compile(r"[A-Za-z_][\w.]{0,200}(?:\([\w.]{1,100}\))?(?::(?: .*)?)?")
_CHAIN = (
    "During handling of the above exception, another exception occurred:",
    "The above exception was the direct cause of the following exception:",
)


class Tracebacks:
    """Follows Python traceback blocks in settled lines; reports each finished block as a Marker.

    A chained exception prints its cause first, then "The above exception ..." and another
    block: each finished block yields a marker, the later one naming the root cause.
    """

    def __init__(self) -> None:
        self._inside = False
        self._chain: list[str] = []  # exception lines of the current chain, root cause first
        self._chain_continues = False
        self._handled = False  # announced as handled (e.g. a failed Optuna trial): not a job failure

    def copy(self) -> Tracebacks:
        """An independent copy: to try lines that may still change without committing to them."""
        twin = Tracebacks()
        twin._inside, twin._chain = self._inside, list(self._chain)
        twin._chain_continues, twin._handled = self._chain_continues, self._handled
        return twin

    @property
    def inside(self) -> bool:
        """Within a traceback block: its lines are source code, not training output."""
        return self._inside

    def feed(self, line: str, *, handled: bool = False) -> Marker | None:
        """``handled``: this line announces that the traceback after it was caught and logged."""
        # Usually at the start of a line, but stderr can land right after a bar frame on stdout.
        if line.rstrip().endswith("Traceback (most recent call last):"):
            if not self._chain_continues:
                self._chain = []
            self._inside, self._chain_continues = True, False
            return None
        if not line.strip():
            return None
        if line in _CHAIN:
            self._chain_continues = True
            return None
        if self._inside:
            if line[0] in " \t" or line.lstrip().startswith(("^", "~")):
                return None  # frames, source lines, caret markers
            self._inside = False
            if match := _EXCEPTION_LINE.fullmatch(line.strip()):
                self._chain.append(match.group(0))
                return None if self._handled else self._marker()
            self._chain = []  # something else interrupted the block
            return None
        # Any other line ends the traceback's context.
        self._chain, self._chain_continues, self._handled = [], False, handled
        return None

    def _marker(self) -> Marker:
        last = self._chain[-1]
        if last.split(":", 1)[0].endswith("KeyboardInterrupt"):
            return Marker(INTERRUPTED, "interrupted (KeyboardInterrupt)", "interrupted")
        known = recognize(last)
        if known is not None and known.error_kind in ("cuda_oom", "cuda_error", "nccl_timeout", "nan", "terminated",
                                                      "interrupted"):
            return Marker(known.kind, known.message, known.error_kind)
        message = safe_line(last, limit=200)
        if len(self._chain) > 1 and self._chain[0] != last:
            message += f" (root cause: {safe_line(self._chain[0], limit=120)})"
        return Marker(FAILED, message, "exception")


SAMPLES = [
    ("torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 20.00 MiB. GPU 0 has a total capacity of 79.15 GiB",
     {"kind": "failed", "error_kind": "cuda_oom", "message": "CUDA out of memory (tried to allocate 20.00 MiB)"}),
    ("RuntimeError: CUDA error: device-side assert triggered", {"error_kind": "cuda_error"}),
    ("[rank0]:[E1218 20:27:21.426415540 ProcessGroupNCCL.cpp:629] [Rank 0] Watchdog caught collective operation timeout: "
     "WorkNCCL(SeqNum=1, OpType=BROADCAST, Timeout(ms)=600000) ran for 600081 milliseconds before timing out.",
     {"error_kind": "nccl_timeout"}),
    ("  exitcode  : -9 (pid: 14750)", {"error_kind": "killed"}),
    ("…| 90/1000 [00:00<00:09, 97.95it/s]runner.sh: line 2: 17706 Killed                  python3 -u loop.py",
     {"error_kind": "killed", "message": "killed (SIGKILL): probably out of host memory"}),
    ("Killed", {"error_kind": "killed"}),
    ("torch.OutOfMemoryError: HIP out of memory. Tried to allocate 2.00 GiB. GPU 0 has a total capacity of 63.98 GiB",
     {"error_kind": "cuda_oom"}),
    ("[2026-01-01 12:00:00,000] [ERROR] [launch.py:321:sigkill_handler] ['python', 'train.py'] exits with return code = 1",
     {"error_kind": "exit_status"}),
    ("[launch.py:321:sigkill_handler] ['python', 'train.py'] exits with return code = -9", {"error_kind": "killed"}),
    ("Process 12 exits with return code = 0", None),
    ("  exitcode  : -15 (pid: 14750)", {"error_kind": "terminated"}),
    ("Error executing job with overrides: ['trainer.max_epochs=3']", {"error_kind": "exception"}),
    ("A worker died or was killed while executing a task by an unexpected system error.", {"error_kind": "killed"}),
    (" 45%|████▌     | 90/200 [00:09<00:11,  9.98it/s]Killed", {"error_kind": "killed"}),
    ("The process was not Killed here, carry on", None),
    ('Script done on 2026-11-22 13:40:01+00:00 [COMMAND_EXIT_CODE="130"]', {"kind": "interrupted"}),
    ('Script done on 2026-11-22 13:40:01+00:00 [COMMAND_EXIT_CODE="0"]', {"kind": "completed"}),
    ("job finished with status 137", {"error_kind": "killed"}),
    ("subprocess.CalledProcessError: Command '['python', 'train.py']' returned non-zero exit status 137.",
     {"error_kind": "killed"}),
    ("step 137/1000 loss=0.3", None),
    ("RuntimeError: DataLoader worker (pid 12345) is killed by signal: Killed. ", {"error_kind": "killed"}),
    (" 22%|██▏       | 11/50 [1:55:26<6:49:05, 629.37s/it]slurmstepd: error: *** JOB 42221 ON clr1247 CANCELLED AT "
     "2022-04-14T16:20:46 DUE TO TIME LIMIT ***", {"error_kind": "slurm_time_limit"}),
    ("slurmstepd: error: *** STEP 9999 ON hpc CANCELLED DUE TO TIME LIMIT ***", {"error_kind": "slurm_time_limit"}),
    ("slurmstepd-vm: error: *** JOB 3 ON vm CANCELLED AT 2026-11-22T12:22:22 ***", {"error_kind": "slurm_cancelled"}),
    ("slurmstepd: error: *** JOB 5 ON n1 CANCELLED AT 2026-11-22T12:22:22 DUE TO PREEMPTION ***",
     {"error_kind": "slurm_cancelled", "message": "Slurm cancelled the job (preemption)"}),
    ("slurmstepd: error: Detected 1 oom_kill event in StepId=18835145.batch. Some of the step tasks have been OOM Killed.",
     {"error_kind": "slurm_oom"}),
    ("Batch 7: Invalid loss, terminating training", {"error_kind": "nan"}),
    ("Monitored metric val_loss = nan is not finite. Previous best value was 0.412. Signaling Trainer to stop.",
     {"error_kind": "nan"}),
    ("Detected KeyboardInterrupt, attempting graceful shutdown ...", {"kind": "interrupted"}),
    ("KeyboardInterrupt", {"kind": "interrupted"}),
    ("Epoch 1: 100%|██████████| 20/20 [00:00<00:00, 32.51it/s, acc=0.975, loss=0.05]", None),
    ("[LightGBM] [Warning] No further splits with positive gain, best gain: -inf", None),
]
