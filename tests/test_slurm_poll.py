"""The Poller's manners, with a scripted runner that answers with output captured from a real
Slurm (tests/data/slurm/) and a fake clock: how often it asks, what, and what it says when Slurm
cannot answer. The same Poller against the real cluster: tests/test_slurm_cluster.py."""

from __future__ import annotations

import subprocess
from pathlib import Path

from waitbuddy.runs.slurm import task_range
from waitbuddy.runs.slurm_poll import GIVE_UP, Output, Poller, SlurmError, submit

DATA = Path(__file__).parent / "data" / "slurm"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Slurm:
    """Answers each command with the next scripted reply; records the argv lists it was given.
    A reply is an Output, an exception to raise, or a (seconds, Output) pair: the clock moves on."""

    def __init__(self, clock: Clock, replies: dict[str, list]) -> None:
        self.clock, self.replies, self.calls = clock, replies, []

    def __call__(self, argv: list[str], timeout: float) -> Output:
        self.calls.append(argv)
        name = "sacct -c" if argv[:2] == ["sacct", "-c"] else argv[0]
        reply = self.replies[name].pop(0) if len(self.replies[name]) > 1 else self.replies[name][0]
        if isinstance(reply, BaseException):
            raise reply
        if isinstance(reply, tuple):
            self.clock.now += reply[0]
            reply = reply[1]
        return reply


def _file(name: str) -> str:
    return (DATA / name).read_text()


ALL = Output(0, _file("squeue_all.txt"), "")
UNKNOWN = Output(1, "", _file("squeue_unknown.err"))
DOWN = Output(1, "", _file("squeue_down.err"))
DISABLED = Output(1, "", _file("sacct_disabled.err"))
JOBCOMP = Output(0, _file("sacct_jobcomp.txt"), _file("sacct_jobcomp.err"))


def _poller(replies: dict[str, list], **options) -> tuple[Poller, Slurm, Clock]:
    clock = Clock()
    slurm = Slurm(clock, replies)
    return Poller(runner=slurm, clock=clock, interval=60.0, **options), slurm, clock


def test_one_batched_query_at_most_once_per_interval():
    poller, slurm, clock = _poller({"squeue": [ALL]})
    poller.watch(["7", "6"])  # pending and running in the sample: never settled
    for _ in range(50):
        poller.poll()
        clock.now += 5.0  # asked every 5 s by a busy UI: Slurm sees one query a minute
    assert poller.queries == len(slurm.calls) == 5  # at 0, 60, 120, 180, 240 s of 250
    assert all(call[2] == "--jobs=7,6" for call in slurm.calls)


def test_an_array_is_every_task_and_ended_jobs_are_not_asked_again():
    poller, slurm, clock = _poller({"squeue": [ALL]})
    poller.watch(["5", "2", "7"])
    reports = poller.poll()
    assert sorted(job.key for job in reports["5"].jobs) == ["5_1", "5_2", "5_3"]
    assert reports["5"].ended and reports["2"].ended and not reports["7"].ended
    clock.now += 60
    poller.poll()
    assert slurm.calls[1][2] == "--jobs=7"


def test_jobs_that_left_the_queue_are_read_from_the_jobcomp_file():
    poller, slurm, _clock = _poller({"squeue": [UNKNOWN], "sacct": [DISABLED], "sacct -c": [JOBCOMP]})
    poller.watch(["2", "4"])
    reports = poller.poll()
    assert [call[:2] for call in slurm.calls] == [["squeue", "--states=all"], ["sacct", "-X"], ["sacct", "-c"]]
    assert poller.accounting == "jobcomp"
    assert (reports["2"].jobs[0].exit_code, reports["4"].jobs[0].state) == (3, "TIMEOUT")
    assert reports["2"].jobs[0].source == "jobcomp" and reports["2"].problem is None


def test_accounting_disabled_is_learnt_once():
    poller, slurm, clock = _poller({"squeue": [UNKNOWN], "sacct": [DISABLED], "sacct -c": [Output(0, "", "")]})
    poller.watch(["424242"])
    for _ in range(GIVE_UP + 2):
        poller.poll()
        clock.now += 60
    names = [call[0] + (" -c" if call[1] == "-c" else "") for call in slurm.calls]
    assert names.count("sacct") == 1  # "accounting storage is disabled" is not asked twice
    assert names.count("sacct -c") == GIVE_UP
    assert poller.reports["424242"].settled  # unknown three polls in a row: no longer asked about
    assert "does not know job 424242" in poller.reports["424242"].problem


def test_a_down_controller_keeps_the_last_state_and_backs_off():
    poller, _slurm, clock = _poller({"squeue": [ALL, (18.0, DOWN), (18.0, DOWN), ALL]})
    poller.watch(["7"])
    poller.poll()
    assert poller.reports["7"].jobs[0].state == "PENDING"
    waits = []
    for _ in range(3):
        clock.now = poller.next_at
        started = clock.now
        poller.poll()
        waits.append(poller.next_at - started)
    report = poller.reports["7"]
    assert report.problem is None and report.jobs[0].state == "PENDING"  # back, with the answer
    assert waits[0] == 18.0 * 30  # slow and failed: 30 times the 18 s squeue spent retrying
    assert waits[1] == 600.0  # doubled, capped
    assert waits[2] == 60.0  # answered quickly: back to the interval


def test_the_problem_names_the_cause():
    poller, _slurm, _clock = _poller({"squeue": [DOWN]})
    poller.watch(["7"])
    assert poller.poll()["7"].problem == ("squeue failed: slurm_load_jobs error: Unable to contact slurm "
                                          "controller (connect failure)")


def test_a_slow_controller_lengthens_the_interval():
    poller, _slurm, _clock = _poller({"squeue": [(4.0, ALL)]})
    poller.watch(["7"])
    poller.poll()
    assert poller.current_interval == 120.0  # a 4 s answer: at least 30 x 4 s before the next


def test_missing_command_and_timeout_never_raise():
    poller, _slurm, clock = _poller({"squeue": [FileNotFoundError(2, "No such file"),
                                               subprocess.TimeoutExpired(["squeue"], 30), ALL]})
    poller.watch(["7"])
    assert poller.poll()["7"].problem == "squeue not found: Slurm's commands are not installed here"
    clock.now = poller.next_at
    assert poller.poll()["7"].problem == "the Slurm controller did not answer squeue within 30 s"
    assert poller.current_interval == 600.0  # a 30 s timeout counts as a slow controller
    clock.now = poller.next_at
    assert poller.poll()["7"].problem is None


def test_ids_that_are_not_job_ids_are_refused():
    poller, _, _ = _poller({"squeue": [ALL]})
    assert poller.watch(["12", "12_3", "12,13", "-t all", "x"]) == ["12,13", "-t all", "x"]
    assert list(poller.reports) == ["12", "12_3"]


def test_a_watched_task_of_a_pending_range():
    poller, _, _ = _poller({"squeue": [Output(0, _file("squeue_pending.txt"), "")]})
    poller.watch(["12_2", "12_0"])
    reports = poller.poll()
    assert [job.key for job in reports["12_2"].jobs] == ["12_[1-2]"]
    assert [job.key for job in reports["12_0"].jobs] == ["12_0"]


def test_task_range():
    assert task_range("1-3,7,9-13:2%4") == {1, 2, 3, 7, 9, 11, 13}
    assert task_range("junk") == set()


def test_submit_reads_the_parsable_id():
    def sbatch(reply):
        return lambda argv, timeout: reply

    assert submit("train.sh", ["--array=0-2"], runner=sbatch(Output(0, "4242\n", ""))).job_id == "4242"
    assert submit("t.sh", runner=sbatch(Output(0, "77;gpu\n", ""))).cluster == "gpu"
    try:
        submit("t.sh", runner=sbatch(Output(1, "", "sbatch: error: Batch job submission failed: Invalid partition")))
    except SlurmError as error:
        assert "Invalid partition" in str(error)
    else:
        raise AssertionError("no error")
