"""The Runs pane's order: what needs you first, newest first; old finished runs fade out."""

from __future__ import annotations

from dataclasses import replace

from waitbuddy.runs.snapshot import RunSnapshot
from waitbuddy.timefmt import iso
from waitbuddy.tui.run_order import FADE_SECONDS, MAX_FINISHED, RunOrder

NOW = 1_800_000_000.0


def snap(name: str, status: str, ago: float | None, elapsed: float | None = None) -> RunSnapshot:
    return RunSnapshot(path=f"/runs/{name}.log", name=name, status=status,
                       updated_at=None if ago is None else iso(NOW - ago), elapsed_seconds=elapsed)


def names(snapshots: list[RunSnapshot]) -> list[str]:
    return [snapshot.name for snapshot in snapshots]


def test_running_and_stalled_first_then_failures_then_the_rest_each_newest_first():
    runs = [
        snap("done-old", "completed", 7200), snap("failed-old", "failed", 5000),
        snap("run-old", "running", 1, elapsed=9000), snap("done-new", "completed", 60),
        snap("stalled", "stalled", 900, elapsed=3000), snap("interrupted", "interrupted", 100),
        snap("run-new", "running", 2, elapsed=30), snap("waiting", "waiting", None),
    ]
    assert names(RunOrder().arrange(runs, NOW)) == [
        "run-new", "stalled", "run-old", "interrupted", "failed-old", "waiting", "done-new", "done-old",
    ]


def test_running_runs_keep_their_places_while_they_write():
    order = RunOrder()
    first = [snap("a", "running", 0, elapsed=100), snap("b", "running", 0, elapsed=50)]
    assert names(order.arrange(first, NOW)) == ["b", "a"]
    # a writes again later: its last output is newer than b's, but b still started last
    later = [replace(first[0], updated_at=iso(NOW + 30), elapsed_seconds=130), first[1]]
    assert names(order.arrange(later, NOW + 30)) == ["b", "a"]


def test_a_new_run_goes_on_top():
    order = RunOrder()
    old = [snap(f"old{n}", "failed", 600 + n) for n in range(9)]
    assert names(order.arrange(old, NOW))[0] == "old0"
    assert names(order.arrange([*old, snap("new", "running", 0, elapsed=1)], NOW))[0] == "new"


def test_finished_runs_fade_after_a_day_but_active_ones_never():
    runs = [snap("yesterday", "completed", FADE_SECONDS + 60), snap("today", "failed", FADE_SECONDS - 60),
            snap("quiet", "stalled", 3 * FADE_SECONDS)]
    assert names(RunOrder().arrange(runs, NOW)) == ["quiet", "today"]


def test_only_the_newest_finished_runs_are_kept():
    runs = [snap(f"done{n:02d}", "completed", 60 * n) for n in range(MAX_FINISHED + 5)]
    shown = names(RunOrder().arrange([*runs, snap("live", "running", 0)], NOW))
    assert shown == ["live"] + [f"done{n:02d}" for n in range(MAX_FINISHED)]


def test_a_run_without_times_counts_from_when_it_was_first_seen():
    order = RunOrder()
    assert names(order.arrange([snap("a", "completed", None)], NOW)) == ["a"]
    assert names(order.arrange([snap("a", "completed", None), snap("b", "completed", None)], NOW + 10)) == ["b", "a"]
    assert names(order.arrange([snap("a", "completed", None)], NOW + FADE_SECONDS + 1)) == []


def test_the_recorded_start_and_end_are_used_when_known():
    runs = [replace(snap("early", "running", 0, elapsed=10), started_at=iso(NOW - 500)),
            replace(snap("late", "running", 0, elapsed=400), started_at=iso(NOW - 100)),
            replace(snap("ended-late", "completed", 10), ended_at=iso(NOW - 50)),
            replace(snap("ended-early", "completed", 5), ended_at=iso(NOW - FADE_SECONDS - 5))]
    assert names(RunOrder().arrange(runs, NOW)) == ["late", "early", "ended-late"]
