"""The Runs pane as a person meets it: real log files appended on disk, the real watcher thread."""

from __future__ import annotations

import os
import time
from dataclasses import replace
from pathlib import Path

from textual.widgets import Input, Log, OptionList

from waitbuddy import config
from waitbuddy.runs import registry
from waitbuddy.runs.snapshot import RunSnapshot
from waitbuddy.store import Store
from waitbuddy.tui.app import WaitBuddy
from waitbuddy.tui.screens.run_detail import RunScreen

from .runsnap import as_pushed


def make_app(store: Store, toml: str = "") -> WaitBuddy:
    return WaitBuddy(config=config.parse(toml), store=store)


def rows(app: WaitBuddy) -> list[str]:
    runs = app.screen.query_one("#runs-list", OptionList)
    return [str(option.prompt) for option in runs.options]


async def wait_for(pilot, condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for the condition on line {condition.__code__.co_firstlineno}"
        await pilot.pause(0.05)


def append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as log:
        log.write(text)


async def test_a_run_progresses_as_its_log_is_appended(store: Store, tmp_path: Path):
    log = tmp_path / "bert.log"
    log.write_text("")
    registry.add_watch(store, str(log))
    app = make_app(store)
    async with app.run_test(size=(120, 30)) as pilot:
        append(log, "\r 10%|█         | 100/1000 [00:10<01:30,  9.99it/s, loss=2.31]")
        await wait_for(pilot, lambda: any("10%" in row and "loss 2.31" in row for row in rows(app)))
        append(log, "\r 45%|████▌     | 450/1000 [00:45<00:55,  9.99it/s, loss=0.92]")
        await wait_for(pilot, lambda: any("45%" in row and "loss 0.92" in row for row in rows(app)))
        (row,) = rows(app)
        assert "▶ running" in row and "bert" in row and "ETA" in row


async def test_a_failure_shows_its_reason(store: Store, tmp_path: Path):
    log = tmp_path / "job.log"
    log.write_text("step 10/100 loss=1.0\n")
    registry.add_watch(store, str(log))
    app = make_app(store)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: any("running" in row for row in rows(app)))
        append(log, "Traceback (most recent call last):\n  File \"train.py\", line 3, in <module>\n"
                    "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 has 79 GiB\n")
        await wait_for(pilot, lambda: any("✖ failed" in row for row in rows(app)))
        assert "CUDA out of memory (tried to allocate 2.00 GiB)" in rows(app)[0]
    assert registry.runs(store)[0].error_kind == "cuda_oom"


async def test_a_stall_appears_and_clears(store: Store, tmp_path: Path):
    log = tmp_path / "slow.log"
    log.write_text("step 1/100 loss=1.0\n")
    registry.add_watch(store, str(log))
    settings = config.parse("")
    # 1.2 s: below what the config accepts from a person, so set directly
    settings = replace(settings, runs=replace(settings.runs, stall_minutes=0.02))
    app = WaitBuddy(config=settings, store=store)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: any("‖ stalled" in row for row in rows(app)), timeout=15)
        assert "no output for" in rows(app)[0]
        append(log, "step 2/100 loss=0.9\n")
        await wait_for(pilot, lambda: any("▶ running" in row for row in rows(app)))


async def test_enter_opens_the_run_with_its_log_and_escape_returns(store: Store, tmp_path: Path):
    log = tmp_path / "train.log"
    log.write_text("".join(f"epoch {n}/5 loss={1 / n:.3f}\n" for n in range(1, 4)))
    registry.add_watch(store, str(log))
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: bool(rows(app)))
        await pilot.press("1", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen))
        screen = app.screen
        await wait_for(pilot, lambda: len(screen.query_one("#run-log", Log).lines) >= 3)
        assert screen.query_one("#run-log", Log).lines[0] == "epoch 1/5 loss=1.000"
        await wait_for(pilot, lambda: "loss" in screen.query_one("#run-chart").series)
        await pilot.press("escape")
        assert not isinstance(app.screen, RunScreen)


async def test_add_rename_mute_and_remove(store: Store, tmp_path: Path):
    log = tmp_path / "a.log"
    log.write_text("step 1/10 loss=1\n")
    app = make_app(store)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("1", "a")
        await wait_for(pilot, lambda: bool(app.screen.query(Input)))
        app.screen.query_one(Input).value = str(log)
        await pilot.press("enter")
        await wait_for(pilot, lambda: bool(rows(app)))
        assert registry.watches(store) == [str(log)]

        await pilot.press("r")
        await wait_for(pilot, lambda: bool(app.screen.query(Input)))
        app.screen.query_one(Input).value = "bert-base"
        await pilot.press("enter")
        await wait_for(pilot, lambda: "bert-base" in rows(app)[0])

        await pilot.press("m")
        await wait_for(pilot, lambda: registry.runs(store)[0].muted)

        await pilot.press("x")
        await wait_for(pilot, lambda: not rows(app))
        await app.workers.wait_for_complete()
    (record,) = registry.runs(store, include_hidden=True)
    assert record.hidden and record.name == "bert-base" and record.muted


async def test_a_fifo_typed_at_a_is_refused_and_never_stored(store: Store, tmp_path: Path):
    fifo = tmp_path / "train.log"
    os.mkfifo(fifo)
    app = make_app(store)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("1", "a")
        await wait_for(pilot, lambda: bool(app.screen.query(Input)))
        app.screen.query_one(Input).value = str(fifo)
        await pilot.press("enter")
        await wait_for(pilot, lambda: any("not a regular file (a FIFO)" in str(toast.message)
                                          for toast in app._notifications))
        await app.workers.wait_for_complete()
    assert registry.watches(store) == []


async def test_hostile_log_text_is_plain_text(store: Store, tmp_path: Path):
    log = tmp_path / "evil.log"
    log.write_text('{"[@click=app.quit]\\u001b]52;c;aGk=\\u0007": 1.5, "step": 3}\n'
                   "Traceback (most recent call last):\n  File \"x\", line 1\n"
                   "ValueError: [bold]not markup[/] \x1b[31mred\x1b[0m\n")
    registry.add_watch(store, str(log))
    app = make_app(store)
    async with app.run_test(size=(160, 30)) as pilot:
        await wait_for(pilot, lambda: any("failed" in row for row in rows(app)))
        (row,) = rows(app)
        assert "[bold]not markup[/]" in row and "\x1b" not in row
        await pilot.press("1", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen))
        await pilot.pause(0.5)
        assert app.is_running
        assert all("\x1b" not in line for line in app.screen.query_one("#run-log", Log).lines)


async def test_terminal_progress_follows_the_main_run(store: Store):
    from waitbuddy.tui.widgets.runs_pane import RunsArea

    class Progress:
        def __init__(self):
            self.calls = []

        def update(self, percent):
            self.calls.append(("update", percent))

        def error(self, percent):
            self.calls.append(("error", percent))

        def clear(self):
            self.calls.append(("clear", 0))

    app = make_app(store)
    async with app.run_test(size=(120, 30)) as pilot:
        runs = app.screen.query_one(RunsArea)
        await wait_for(pilot, lambda: runs.alerter is not None)
        fake = runs.progress = app.services._progress = Progress()  # the app clears it when it quits
        base = {"path": "/r/a.log", "name": "a", "error": None, "metrics": {}, "run_id": None, "muted": False}
        runs.post_message(RunsArea.Updated([as_pushed({**base, "status": "running",
                                             "progress": {"unit": "step", "done": 45, "total": 100, "fraction": 0.45}})]))
        await wait_for(pilot, lambda: ("update", 45) in fake.calls)
        runs.post_message(RunsArea.Updated([as_pushed({**base, "status": "failed", "error": {"kind": "exception", "message": "x"},
                                             "progress": {"unit": "step", "done": 50, "total": 100, "fraction": 0.5}})]))
        await wait_for(pilot, lambda: ("error", 50) in fake.calls)
    assert fake.calls[-1] == ("clear", 0)  # nothing left in the terminal's tab after quitting


def pushed(name: str, status: str, **fields) -> RunSnapshot:
    """A snapshot as the watcher sends it (fields as in Run.snapshot, plus spark/run_id/muted)."""
    return as_pushed({"path": f"/runs/{name}/train.log", "name": name, "status": status, "framework": "tqdm",
            "progress": None, "epoch": None, "eta_seconds": None, "elapsed_seconds": None, "metrics": {},
            "best": {}, "error": None, "stall": None, "note": None, "exit_code": None, "exit_signal": None,
            "updated_at": None, "spark": [], "run_id": None, "muted": False, **fields})


async def push(pilot, app: WaitBuddy, snapshots: list[RunSnapshot]) -> None:
    from waitbuddy.tui.widgets.runs_pane import RunsArea

    runs = app.screen.query_one(RunsArea)
    runs.post_message(RunsArea.Updated(snapshots))
    await pilot.pause()
    runs._refresh_rows()
    await pilot.pause()


def order(app: WaitBuddy) -> list[str]:
    """The runs' names as listed (the pushed paths are /runs/NAME/train.log)."""
    return [option.id.split("/")[2] for option in app.screen.query_one("#runs-list", OptionList).options]


def highlighted(app: WaitBuddy) -> str | None:
    option = app.screen.query_one("#runs-list", OptionList).highlighted_option
    return option.id if option is not None else None


async def test_a_new_run_is_listed_first_and_highlighted_above_older_ones(store: Store):
    from waitbuddy.timefmt import iso

    now = time.time()
    old = [pushed(f"old-{n}", "failed", updated_at=iso(now - 600 - n),
                  error={"kind": "exception", "message": "ValueError: x"}) for n in range(9)]
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await push(pilot, app, old)
        assert order(app)[:3] == ["old-0", "old-1", "old-2"]  # newest first
        new = pushed("fresh", "running", updated_at=iso(now), elapsed_seconds=3.0,
                     progress={"unit": "it", "done": 3, "total": 100, "fraction": 0.03})
        await push(pilot, app, [new])
        assert order(app)[0] == "fresh"
        assert highlighted(app) == new.path
        runs_list = app.screen.query_one("#runs-list", OptionList)
        assert runs_list.scroll_y == 0  # on screen: the pane shows 8 rows at 80x24


async def test_the_persons_selection_stays_on_its_run_when_rows_move(store: Store):
    from waitbuddy.timefmt import iso

    now = time.time()
    first = [pushed("a", "running", updated_at=iso(now), elapsed_seconds=50.0),
             pushed("b", "completed", updated_at=iso(now - 60))]
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await push(pilot, app, first)
        assert highlighted(app) == first[0].path
        await pilot.press("1", "down")
        assert highlighted(app) == first[1].path
        await push(pilot, app, [pushed("c", "running", updated_at=iso(now), elapsed_seconds=1.0)])
        assert order(app) == ["c", "a", "b"]
        assert highlighted(app) == first[1].path  # still b, now on the third row


async def test_finished_runs_from_yesterday_fade_out_of_the_pane(store: Store):
    from waitbuddy.timefmt import iso
    from waitbuddy.tui.widgets.runs_pane import RunsArea

    now = time.time()
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await push(pilot, app, [pushed("today", "completed", updated_at=iso(now - 3600)),
                                pushed("yesterday", "completed", updated_at=iso(now - 2 * 86400)),
                                pushed("stalled-long", "stalled", updated_at=iso(now - 2 * 86400))])
        assert order(app) == ["stalled-long", "today"]
        assert "/runs/yesterday/train.log" in app.screen.query_one(RunsArea).snapshots  # still followed


async def test_rows_at_80x24_keep_name_and_epoch_and_line_up(store: Store):
    from waitbuddy.runs.present import count_text

    running = pushed("demo (simulated)", "running", elapsed_seconds=25.0, eta_seconds=20.0,
                     progress={"unit": "it", "done": 134, "total": 200, "fraction": 0.5567},
                     epoch={"done": 1, "total": 3}, metrics={"loss": 0.786})
    unknown = pushed("sweep", "running", elapsed_seconds=30.0, muted=True,
                     progress={"unit": "trial", "done": 37, "total": None, "fraction": None})
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await push(pilot, app, [running, unknown])
        shown = rows(app)
        first = next(row for row in shown if "demo" in row)
        assert "demo (simulated)" in first and count_text(running) in first and "ep 2/3" in first
        assert "56%" in first and "ETA 20s" in first and "loss 0.786" in first
        second = next(row for row in shown if "sweep" in row)
        assert first.index("demo") == second.index("sweep")  # no shift for a mute or a missing bar
        assert first.index(count_text(running)) == second.index(count_text(unknown))


async def test_enter_is_in_the_footer_and_opens_the_run(store: Store, tmp_path: Path):
    from textual.widgets._footer import FooterKey

    log = tmp_path / "train.log"
    log.write_text("step 1/10 loss=1.0\n")
    registry.add_watch(store, str(log))
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: bool(rows(app)))
        await pilot.press("1")
        await pilot.pause()
        keys = {(key.key, key.description) for key in app.screen.query(FooterKey)}
        assert ("enter", "Open") in keys
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen))


async def test_quitting_does_not_wait_on_a_push_server_that_hangs(store: Store):
    # issue 12: closing the alerter joined each channel for up to 2 s on the UI thread. (The time
    # itself is a figure for bench/; this only catches the old wait.)
    import threading

    from waitbuddy.alerts.channel import Delivery
    from waitbuddy.alerts.dispatch import Alerter
    from waitbuddy.alerts.events import AlertEvent
    from waitbuddy.tui.widgets.runs_pane import RunsArea

    release = threading.Event()

    class Hanging:
        name = "hanging"

        def send(self, event) -> Delivery:
            release.wait(30)
            return Delivery(self.name, "sent", "")

    app = WaitBuddy(config=config.parse(""), store=store)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            pane = app.query_one(RunsArea)
            await wait_for(pilot, lambda: pane.alerter is not None)
            assert pane.alerter is app.services.alerter  # the app's one alerter, closed by the app
            pane.alerter.close(timeout=0)
            pane.alerter = app.services._alerter = Alerter([Hanging()])
            pane.alerter.submit([AlertEvent("failed", "/x.log", "x", "x failed", "", "error", time.time())])
            await pilot.pause(0.1)
            started = time.monotonic()
            app.exit()
        assert time.monotonic() - started < 1.5
    finally:
        release.set()


async def test_shift_x_stops_watching_the_glob_that_found_a_run_and_j_k_move(store: Store, tmp_path: Path):
    # issue 12: a stored watch could only be removed by hand in the database.
    for name in ("a", "b"):
        (tmp_path / f"{name}.log").write_text("step 1/10 loss=1\n")
    glob = str(tmp_path / "*.log")
    registry.add_watch(store, glob)
    app = make_app(store)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("1")
        await wait_for(pilot, lambda: len(rows(app)) == 2)
        runs = app.screen.query_one("#runs-list", OptionList)
        first = runs.highlighted
        await pilot.press("j")
        assert runs.highlighted == first + 1
        await pilot.press("k")
        assert runs.highlighted == first
        await pilot.press("X")
        await wait_for(pilot, lambda: registry.watches(store) == [])
        await wait_for(pilot, lambda: any("stopped watching" in str(toast.message) for toast in app._notifications))
        (tmp_path / "c.log").write_text("step 1/10 loss=1\n")  # no longer picked up
        await pilot.pause(1.5)
        assert len(rows(app)) == 2


def test_unwatch_lists_and_removes_stored_patterns(tmp_path: Path):
    from .conftest import run_cli

    env = {"WAITBUDDY_DATA_DIR": str(tmp_path / "data"), "WAITBUDDY_CONFIG": str(tmp_path / "none.toml")}
    with Store.open(tmp_path / "data" / "waitbuddy.db") as store:
        registry.add_watch(store, str(tmp_path / "runs" / "*.log"))
    listed = run_cli("unwatch", env=env)
    assert listed.returncode == 0 and listed.stdout.strip() == str(tmp_path / "runs" / "*.log")
    removed = run_cli("unwatch", str(tmp_path / "runs" / "*.log"), env=env)
    assert removed.returncode == 0 and "stopped watching" in removed.stdout
    again = run_cli("unwatch", str(tmp_path / "runs" / "*.log"), env=env)
    assert again.returncode == 1 and "is not watched" in again.stderr and "Traceback" not in again.stderr


async def test_list_keys_rebound_in_the_keymap_move_the_runs_list(store: Store, tmp_path: Path):
    # issue 12: list bindings lived outside keys.py, so [keymap] refused their ids.
    for name in ("a", "b"):
        (tmp_path / f"{name}.log").write_text("step 1/10 loss=1\n")
    registry.add_watch(store, str(tmp_path / "*.log"))
    app = make_app(store, '[keymap]\nlist-down = "n"\nlist-up = "p"\n')
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("1")
        await wait_for(pilot, lambda: len(rows(app)) == 2)
        runs = app.screen.query_one("#runs-list", OptionList)
        first = runs.highlighted
        await pilot.press("n")
        assert runs.highlighted == first + 1
        await pilot.press("p")
        assert runs.highlighted == first
