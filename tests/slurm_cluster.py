"""A real single-node Slurm for tests: munged, slurmctld and slurmd from the distribution's packages,
with every file (config, key, sockets, spool, state, logs, pid files) in one scratch directory.

Use the ``slurm_cluster`` fixture (session-scoped; import it into the test module): it yields a
:class:`Cluster` whose ``env`` points clients at the scratch ``slurm.conf`` (``SLURM_CONF``). Where
the daemons are not installed the tests that use it are skipped, unless ``WAITBUDDY_REQUIRE_SLURM``
is set (CI), where that is a failure. Debian 12: ``apt-get install -y slurm-wlm munge``.

Choices, and why:
- No cgroups (``proctrack/linuxproc``, ``task/none``, ``jobacct_gather/none``): works in containers
  and VMs without a delegated cgroup tree; the price is no memory enforcement (no OUT_OF_MEMORY).
- No slurmdbd: ``jobcomp/filetxt`` lets ``sacct -c`` read finished jobs from a text file, and
  ``MinJobAge`` keeps finished jobs in the controller (``squeue -t all``, ``scontrol``) for an hour.
- Private ports and munge socket, so a system Slurm or munge on the same machine is not touched.
- Time limits: the controller checks them on its periodic pass (about every 30 s in 22.05) and
  ``OverTimeLimit=0``; ``KillWait=2`` sends SIGKILL 2 s after SIGTERM instead of 30 s, so a
  ``--time=1`` job ends 60 to ~95 s after it started.
- Daemons are stopped by the PIDs in their pid files, never by name: another Slurm may run here.
- Every daemon runs as the user running the tests (``SlurmUser``/``SlurmdUser``); this was tried
  as root only (slurmd normally needs root to start jobs as other users; here all jobs are ours).
"""

from __future__ import annotations

import getpass
import os
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

DAEMONS = ("munged", "slurmctld", "slurmd")
CLIENTS = ("sbatch", "squeue", "scontrol", "sinfo", "scancel", "sacct")
REQUIRE = "WAITBUDDY_REQUIRE_SLURM"
START_TIMEOUT = 45.0


def _program(name: str) -> str | None:
    # The daemons live in /usr/sbin, which a non-root PATH may not include.
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin:/usr/local/sbin")


def missing_programs() -> list[str]:
    return [name for name in (*DAEMONS, *CLIENTS) if _program(name) is None]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _node_line(host: str) -> str:
    """This host's CPUs as slurmd sees them, with little memory: a node that registers with less
    than its configured CPUs or memory is drained, so configure at most what it has."""
    cpus = os.cpu_count() or 1
    try:
        found = subprocess.run([_program("slurmd") or "slurmd", "-C"], check=False, capture_output=True, text=True, timeout=20)
        for word in found.stdout.split():
            if word.startswith("CPUs="):
                cpus = int(word.removeprefix("CPUs="))
    except (OSError, ValueError, subprocess.TimeoutExpired):
        pass
    return f"NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory=500 State=UNKNOWN"


@dataclass
class Cluster:
    root: Path
    host: str
    env: dict[str, str]
    pid_files: dict[str, Path] = field(default_factory=dict)

    @property
    def conf(self) -> Path:
        return self.root / "slurm.conf"

    @property
    def jobcomp(self) -> Path:
        return self.root / "jobcomp.log"

    def run(self, *argv: str, check: bool = True, timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
        """A Slurm client command against this cluster (argv list, never a shell)."""
        result = subprocess.run(list(argv), check=False, capture_output=True, text=True, env=self.env, timeout=timeout)
        if check and result.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} -> {result.returncode}: {result.stderr.strip()}")
        return result

    def log(self, name: str) -> str:
        path = self.root / "log" / f"{name}.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else f"(no {name} log)"

    def stop(self) -> None:
        """Cancel every job, stop each daemon by its pid file's PID (slurmd first, munged last),
        then end this cluster's job steps. A running job's slurmstepd outlives slurmd (and
        ignores SIGTERM without it): it is found by the SLURM_CONF it inherited, which names our
        scratch directory and no other cluster's, and killed by its PID."""
        if _read_pid(self.pid_files.get("slurmctld")) is not None:
            try:
                self.run("scancel", f"--user={getpass.getuser()}", check=False, timeout=15)
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline and self._steps():
                    time.sleep(0.2)
            except (OSError, subprocess.TimeoutExpired):
                pass
        for name in ("slurmd", "slurmctld", "munged"):
            pid = _read_pid(self.pid_files.get(name))
            if pid is None:
                continue
            try:
                os.kill(pid, 15)
            except ProcessLookupError:
                continue
            deadline = time.monotonic() + 15
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            if _alive(pid):
                os.kill(pid, 9)
        steps = self._steps()
        for pid in steps + _descendants(steps):  # the job's script and its children too
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass

    def _steps(self) -> list[int]:
        """PIDs of slurmstepd processes started for this cluster (their environment's SLURM_CONF)."""
        mine = f"SLURM_CONF={self.conf}".encode()
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                if not (entry / "cmdline").read_bytes().startswith(b"slurmstepd"):
                    continue
                if mine in (entry / "environ").read_bytes().split(b"\0") and _alive(int(entry.name)):
                    found.append(int(entry.name))
            except OSError:
                continue
        return found


def _descendants(roots: list[int]) -> list[int]:
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], list(roots)
    while todo:
        children = parents.get(todo.pop(), [])
        found.extend(children)
        todo.extend(children)
    return found


def _read_pid(path: Path | None) -> int | None:
    try:
        return int(path.read_text().split()[0]) if path is not None else None
    except (OSError, ValueError, IndexError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of ours would still "exist": the daemons double-fork, so ours are not.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"


def write_config(root: Path) -> Cluster:
    host = socket.gethostname().split(".")[0]
    user = getpass.getuser()
    for sub in ("spool/ctld", "spool/d", "log", "run"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    key = root / "munge.key"
    key.write_bytes(secrets.token_bytes(1024))
    key.chmod(0o600)
    munge_socket = root / "run" / "munge.socket"
    ctld_port, d_port = _free_port(), _free_port()
    conf = f"""\
ClusterName=waitbuddytest
SlurmctldHost={host}(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={d_port}
SlurmUser={user}
SlurmdUser={user}
AuthType=auth/munge
AuthInfo=socket={munge_socket}
CredType=cred/munge
StateSaveLocation={root}/spool/ctld
SlurmdSpoolDir={root}/spool/d
SlurmctldPidFile={root}/run/slurmctld.pid
SlurmdPidFile={root}/run/slurmd.pid
SlurmctldLogFile={root}/log/slurmctld.log
SlurmdLogFile={root}/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc={root}/jobcomp.log
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MinJobAge=3600
KillWait=2
OverTimeLimit=0
InactiveLimit=0
MpiDefault=none
{_node_line(host)}
PartitionName=debug Nodes={host} Default=YES MaxTime=INFINITE State=UP
"""
    (root / "slurm.conf").write_text(conf)
    (root / "cgroup.conf").write_text("# unused: no cgroup plugins are configured\n")
    env = {**os.environ, "SLURM_CONF": str(root / "slurm.conf")}
    env["PATH"] = env.get("PATH", "") + ":/usr/sbin:/sbin"
    return Cluster(root=root, host=host, env=env, pid_files={
        "munged": root / "run" / "munged.pid",
        "slurmctld": root / "run" / "slurmctld.pid",
        "slurmd": root / "run" / "slurmd.pid",
    })


def start(cluster: Cluster) -> None:
    root = cluster.root
    munged = [_program("munged") or "munged", f"--socket={root}/run/munge.socket", f"--key-file={root}/munge.key",
              f"--pid-file={root}/run/munged.pid", f"--log-file={root}/log/munged.log",
              f"--seed-file={root}/run/munged.seed"]
    if os.geteuid() == 0:
        munged.append("--force")  # munged refuses root without it; the key and sockets are ours alone
    _launch(cluster, munged)
    _wait(lambda: (root / "run" / "munge.socket").exists(), cluster, "munged")
    _launch(cluster, [_program("slurmctld") or "slurmctld"])
    _launch(cluster, [_program("slurmd") or "slurmd"])
    _wait(lambda: _node_idle(cluster), cluster, "slurmctld")


def _launch(cluster: Cluster, argv: list[str]) -> None:
    result = subprocess.run(argv, check=False, capture_output=True, text=True, env=cluster.env, timeout=30)
    if result.returncode != 0:
        cluster.stop()
        raise RuntimeError(f"{argv[0]} did not start ({result.returncode}): {result.stderr.strip()}")


def _node_idle(cluster: Cluster) -> bool:
    try:
        result = cluster.run("sinfo", "--noheader", "--format=%t", check=False, timeout=10)
    except subprocess.TimeoutExpired:
        return False
    return result.returncode == 0 and result.stdout.strip() == "idle"


def _wait(ready, cluster: Cluster, name: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while not ready():
        if time.monotonic() > deadline:
            logs = "\n".join(f"--- {daemon}\n{cluster.log(daemon)}" for daemon in DAEMONS)
            cluster.stop()
            raise RuntimeError(f"{name} not ready after {START_TIMEOUT:.0f} s\n{logs}")
        time.sleep(0.25)


@pytest.fixture(scope="session")
def slurm_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    missing = missing_programs()
    if missing:
        message = f"Slurm is not installed (missing {', '.join(missing)}; Debian: apt-get install slurm-wlm munge)"
        if os.environ.get(REQUIRE):
            pytest.fail(f"{message}, and {REQUIRE} is set")
        pytest.skip(message)
    # pytest's base temp dir is short enough for the munge socket (Unix socket paths: 108 bytes).
    root = Path(tmp_path_factory.mktemp("slurm", numbered=True))
    cluster = write_config(root)
    start(cluster)
    try:
        yield cluster
    finally:
        cluster.stop()
