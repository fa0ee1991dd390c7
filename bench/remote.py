"""Remote tail over loopback SSH (issue 16): line written -> text out of RemoteTail.read(), and
the bytes it costs. Starts its own sshd on 127.0.0.1 (tests/sshd.py; needs openssh-server).

    python bench/remote.py [--lines 300] [--hz 20]

Latency is measured from the write() of a line to the first read() (polled every 1 ms) whose
text completes it. Bytes: what ssh's stdout delivered vs. the file's bytes (equal when nothing
is lost or repeated), and what the shared master connection read from its socket (the
wire: encryption, MACs, packet framing), from /proc/<master>/io.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.sshd import start_server, stop_server
from waitbuddy.runs.remote import SshHosts, SshTarget
from waitbuddy.runs.remote_tail import RemoteTail

LINE = "step {step:06d}/999999 loss={loss:.6f} lr=3.0e-05 grad_norm=0.8123\n"


def master_read_bytes(hosts: SshHosts, target: SshTarget) -> tuple[int, int]:
    """(pid, rchar) of the host's master connection."""
    check = subprocess.run(hosts.argv(target, control=["-O", "check"]), capture_output=True, text=True, timeout=10,
                           check=False)
    pid = int(check.stderr.split("pid=")[1].split(")")[0])
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return pid, int(line.split()[1])
    raise RuntimeError("no rchar in /proc/<pid>/io")


def measure(lines: int, hz: float) -> dict[str, float]:
    directory = Path(tempfile.mkdtemp(prefix="wb-sshd-"))
    server = start_server(directory)
    runtime = tempfile.mkdtemp(prefix="wb-rt-")
    hosts = SshHosts(options=["-F", str(server.client_config)], runtime_dir=runtime)
    log = directory / "train.log"
    log.write_bytes(b"")
    target = SshTarget(server.alias, str(log))
    tail = RemoteTail(target, hosts, start_from_end=None)
    try:
        while tail.state.kind != "connected":
            tail.read()
            time.sleep(0.01)
        _pid, wire_before = master_read_bytes(hosts, target)
        written: list[float] = []
        arrived: list[float] = []

        def write() -> None:
            with log.open("ab", buffering=0) as out:
                for step in range(lines):
                    data = LINE.format(step=step, loss=1 / (step + 1)).encode()
                    written.append(time.perf_counter())
                    out.write(data)
                    time.sleep(1 / hz)

        writer = threading.Thread(target=write)
        writer.start()
        text = ""
        deadline = time.monotonic() + lines / hz + 30
        while len(arrived) < lines and time.monotonic() < deadline:
            chunk = tail.read()
            if chunk.text:
                now = time.perf_counter()
                text += chunk.text
                arrived += [now] * (text.count("\n") - len(arrived))
            else:
                time.sleep(0.001)
        writer.join()
        time.sleep(0.2)
        _pid, wire_after = master_read_bytes(hosts, target)
        file_bytes = log.stat().st_size
        assert text.encode() == log.read_bytes(), "the received text differs from the file"
        latencies = sorted((got - sent) * 1000 for got, sent in zip(arrived, written, strict=True))
        return {
            "lines": lines, "hz": hz,
            "latency_median_ms": statistics.median(latencies),
            "latency_p95_ms": latencies[int(0.95 * (len(latencies) - 1))],
            "latency_max_ms": latencies[-1],
            "file_bytes_per_line": file_bytes / lines,
            "ssh_stdout_bytes_per_line": tail.bytes_received / lines,
            "wire_bytes_per_line": (wire_after - wire_before) / lines,
        }
    finally:
        tail.close()
        hosts.close()
        shutil.rmtree(runtime, ignore_errors=True)
        stop_server(server)
        shutil.rmtree(directory, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=300)
    parser.add_argument("--hz", type=float, default=20.0)
    args = parser.parse_args()
    result = measure(args.lines, args.hz)
    for key, value in result.items():
        print(f"{key:28s} {value:10.2f}" if isinstance(value, float) else f"{key:28s} {value:10d}")


if __name__ == "__main__":
    main()
