"""The run view (enter on a run): the same state as the Runs pane, the whole run's chart, a log
that shows its last line, and the bars the terminal is still drawing."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import Log, Static

from waitbuddy import config
from waitbuddy.runs import registry
from waitbuddy.store import Store
from waitbuddy.tui.app import WaitBuddy
from waitbuddy.tui.screens.run_detail import RunScreen, shorten_left
from waitbuddy.tui.widgets.chart import MetricChart, companion

from .test_runs_pane import rows, wait_for


def make_app(store: Store) -> WaitBuddy:
    return WaitBuddy(config=config.parse(""), store=store)


def summary(app: WaitBuddy) -> str:
    return str(app.screen.query_one("#run-summary", Static).content)


def screen_text(app: WaitBuddy) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def open_run(pilot, app: WaitBuddy) -> RunScreen:
    await wait_for(pilot, lambda: bool(rows(app)))
    await pilot.press("1", "enter")
    await wait_for(pilot, lambda: isinstance(app.screen, RunScreen))
    return app.screen


async def test_the_view_shows_the_exit_that_waitbuddy_run_recorded(store: Store, tmp_path: Path):
    log = tmp_path / "train.log"
    log.write_text("".join(f"step {n}/100 loss={1 / n:.3f}\n" for n in range(1, 31)))
    record = registry.ensure_run(store, str(log), name="job")
    registry.record_exit(store, record.id, code=3, signal=None, ended=time.time())
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: any("✖" in row for row in rows(app)))
        screen = await open_run(pilot, app)
        await wait_for(pilot, lambda: "failed" in summary(app))
        await wait_for(pilot, lambda: len(screen.query_one("#run-log", Log).lines) >= 30)
        await pilot.pause(0.6)  # the screen's own reading (running, with an ETA) has arrived too
        text = summary(app)
        assert "failed" in text and "running" not in text and "ETA" not in text
        assert "3" in text.splitlines()[1]  # the reason: exit status 3


async def test_the_view_follows_the_watchers_state_as_it_changes(store: Store, tmp_path: Path):
    log = tmp_path / "train.log"
    log.write_text("step 10/100 loss=1.0\n")
    registry.add_watch(store, str(log))
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_run(pilot, app)
        await wait_for(pilot, lambda: "running" in summary(app))
        with log.open("a") as out:
            out.write("Traceback (most recent call last):\n  File \"train.py\", line 3, in <module>\n"
                      "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 has 79 GiB\n")
        await wait_for(pilot, lambda: "failed" in summary(app))
        assert "CUDA out of memory" in summary(app)


async def test_a_long_path_is_shortened_from_the_left_and_the_log_shows_its_last_line(store: Store, tmp_path: Path):
    folder = tmp_path / "experiments" / "ünïcode deep" / ("very-long-folder-name-" * 3) / "bert-base"
    folder.mkdir(parents=True)
    log = folder / "train.log"
    log.write_text("".join(f"step {n}/500 loss=0.5 " + "x" * (n % 150) + "\n" for n in range(1, 301)) + "LAST LINE\n")
    registry.ensure_run(store, str(log), name="a-rather-long-run-name-that-fills-the-header-line")
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_run(pilot, app)
        await wait_for(pilot, lambda: "LAST LINE" in screen.query_one("#run-log", Log).lines)
        await wait_for(pilot, lambda: summary(app).splitlines()[-1].startswith("…"))
        await pilot.pause(0.3)  # a frame or two to lay the summary out
        path_line = summary(app).splitlines()[-1]
        assert path_line.startswith("…") and path_line.endswith("bert-base/train.log") and len(path_line) <= 78
        lines = summary(app).splitlines()
        assert screen.query_one("#run-summary").region.height == len(lines) + 1  # nothing wraps (+ the rule)
        assert "LAST LINE" in screen_text(app)


async def test_the_bars_being_drawn_show_all_of_them_and_go_when_done(store: Store, tmp_path: Path):
    log = tmp_path / "train.log"
    log.write_text("start\n\repochs:   0%|          | 0/5 [00:00<?, ?it/s]\n"
                   "\rbatches:  48%|####8     | 97/200 [00:09<00:09, 10.9it/s, loss=0.15]\x1b[A")
    registry.add_watch(store, str(log))
    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_run(pilot, app)
        current = screen.query_one("#run-current", Static)
        await wait_for(pilot, lambda: "97/200" in str(current.content))
        assert "0/5" in str(current.content)  # the outer bar too, not only the row under the cursor
        with log.open("a") as out:
            out.write("\n\r" + " " * 90 + "\r\x1b[A\rdone\n")
        await wait_for(pilot, lambda: not current.display or "97/200" not in str(current.content))


def test_companion_metrics():
    assert companion("loss", {"loss", "val_loss"}) == "val_loss"
    assert companion("train_loss", {"train_loss", "eval_loss"}) == "eval_loss"
    assert companion("train/acc", {"train/acc", "val/acc"}) == "val/acc"
    assert companion("val_loss", {"loss", "val_loss"}) is None
    assert companion("loss", {"loss", "accuracy"}) is None


def test_shorten_left():
    assert shorten_left("/a/b/train.log", 40) == "/a/b/train.log"
    assert shorten_left("/home/me/runs/bert/train.log", 15) == "…bert/train.log"


class ChartApp(App[None]):
    def compose(self) -> ComposeResult:
        yield MetricChart()


async def test_the_chart_spans_the_run_with_the_eval_series_beside_it():
    app = ChartApp()
    async with app.run_test(size=(60, 12)) as pilot:
        chart = app.query_one(MetricChart)
        chart.x_unit = "step"
        chart.series = {"loss": [(0, 2.3), (250, 1.1), (500, 0.7), (1000, 0.4)],
                        "val_loss": [(500, 0.9), (1000, 0.8)], "lr": [(0, 1e-3), (1000, 1e-4)]}
        chart.metric = "loss"
        await pilot.pause()
        assert chart.shown() == ("loss", "val_loss")
        rendered = chart.render()
        assert isinstance(rendered, Text)
        assert "step 0 … 1000" in rendered.plain and "val_loss  last 0.8" in rendered.plain
        eval_style = chart.get_component_rich_style("metric-chart--eval", partial=True)
        assert any(span.style == eval_style and rendered.plain[span.start:span.end].strip("\u2800 ")
                   for span in rendered.spans), "no cell of the eval line in its own colour"
        chart.metric = "lr"
        await pilot.pause()
        assert chart.shown() == ("lr", None)


@pytest.mark.parametrize("unit", ["epoch", "line"])
async def test_the_x_axis_is_labelled_with_its_unit(unit):
    app = ChartApp()
    async with app.run_test(size=(60, 12)) as pilot:
        chart = app.query_one(MetricChart)
        chart.x_unit = unit
        chart.series = {"loss": [(1, 2.0), (2, 1.0), (3, 0.5)]}
        await pilot.pause()
        assert re.search(rf"{unit} 1 … 3", chart.render().plain)


async def test_e_explains_the_reading_and_escape_closes_it(store: Store, tmp_path: Path):
    from waitbuddy.tui.screens.explain import ExplainScreen

    log = tmp_path / "train.log"
    log.write_text("Namespace(epochs=10, lr=0.1)\n"
                   + "".join(f"Epoch {n:03d} loss {1 / n:.4f} | train 2.5s\x1b]2;pwned\x07\n" for n in range(1, 4)))
    registry.add_watch(store, str(log))
    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_run(pilot, app)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, ExplainScreen))
        text = lambda: str(app.screen.query_one("#explain-text", Static).content)  # noqa: E731
        await wait_for(pilot, lambda: "plan" in text())
        assert "10 epochs" in text() and 'line 1: "Namespace(epochs=10, lr=0.1)"' in text()
        assert "line 4:" in text() and "[generic]" in text()
        assert "\x1b" not in text() and "\x07" not in text()
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)


async def test_the_explanation_tells_the_exit_waitbuddy_run_recorded(store: Store, tmp_path: Path):
    # Seen in use: the row said completed, the explanation running (it read the log alone).
    from waitbuddy.tui.screens.explain import ExplainScreen

    log = tmp_path / "train.log"
    log.write_text("".join(f"step {n}/100 loss={1 / n:.3f}\n" for n in range(1, 31)))
    record = registry.ensure_run(store, str(log), name="job")
    registry.record_exit(store, record.id, code=0, signal=None, ended=time.time())
    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_run(pilot, app)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, ExplainScreen))
        text = lambda: str(app.screen.query_one("#explain-text", Static).content)  # noqa: E731
        await wait_for(pilot, lambda: "status" in text())
        assert "status    completed" in text() and "process exit" in text()
