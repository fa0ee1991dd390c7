"""A few SVG snapshots of what a person sees. Regenerate with `pytest --snapshot-update` on the
pinned Textual below; the README's screenshot is the 120x36 dashboard snapshot."""

from __future__ import annotations

from importlib.metadata import version

import pytest

from waitbuddy import config
from waitbuddy.store import Store
from waitbuddy.tui.app import WaitBuddy

SNAPSHOT_TEXTUAL = "8.2.8"

pytestmark = pytest.mark.skipif(
    version("textual") != SNAPSHOT_TEXTUAL,
    reason=f"snapshots are drawn by Textual {SNAPSHOT_TEXTUAL}; other versions render differently",
)


@pytest.fixture
def app():
    with Store.open(":memory:") as store:
        yield WaitBuddy(config=config.Config(), store=store)


async def runs_reported(pilot) -> None:
    """Wait for the watcher's first report and the backlog's first load: until then those areas are blank."""
    from waitbuddy.tui.widgets.backlog_pane import BacklogArea
    from waitbuddy.tui.widgets.runs_pane import RunsArea

    for _ in range(300):
        await pilot.pause(0.01)
        areas, backlogs = pilot.app.screen.query(RunsArea), pilot.app.screen.query(BacklogArea)
        if areas and areas.first()._reported and backlogs and backlogs.first().loaded:
            break
    await pilot.pause()


def test_dashboard_80x24(app, snap_compare):
    assert snap_compare(app, terminal_size=(80, 24), run_before=runs_reported)


def test_dashboard_120x36(app, snap_compare):
    assert snap_compare(app, terminal_size=(120, 36), run_before=runs_reported)


def test_dashboard_200x50(app, snap_compare):
    assert snap_compare(app, terminal_size=(200, 50), press=["4"], run_before=runs_reported)


def test_help_80x24(app, snap_compare):
    assert snap_compare(app, terminal_size=(80, 24), press=["question_mark"], run_before=runs_reported)


RUNS = [
    {"path": "/runs/bert-base/train.log", "name": "bert-base", "status": "running", "framework": "transformers",
     "progress": {"unit": "step", "done": 4500, "total": 10000, "fraction": 0.45}, "epoch": {"done": 1, "total": 3},
     "eta_seconds": 6100.0, "elapsed_seconds": 4980.0, "metrics": {"loss": 0.3121, "learning_rate": 3.5e-05},
     "error": None, "stall": None, "note": None, "spark": [2.3, 1.9, 1.4, 1.0, 0.8, 0.62, 0.5, 0.44, 0.39, 0.35, 0.33, 0.31],
     "run_id": 1, "muted": False},
    {"path": "/runs/resnet50/train.log", "name": "resnet50", "status": "completed", "framework": "lightning",
     "progress": {"unit": "it", "done": 391, "total": 391, "fraction": 1.0}, "epoch": {"done": 90, "total": 90},
     "eta_seconds": 0.0, "elapsed_seconds": 11520.0, "metrics": {"train_loss": 0.842, "val_acc": 0.761},
     "error": None, "stall": None, "note": None, "spark": [4.1, 3.0, 2.2, 1.7, 1.4, 1.2, 1.05, 0.95, 0.9, 0.86, 0.85, 0.84],
     "run_id": 2, "muted": False},
    {"path": "/runs/llama-sft/slurm-4211.out", "name": "llama-sft", "status": "failed", "framework": "tqdm",
     "progress": {"unit": "it", "done": 812, "total": 5000, "fraction": 0.1624}, "epoch": None,
     "eta_seconds": None, "elapsed_seconds": 2460.0, "metrics": {"loss": 1.87},
     "error": {"kind": "cuda_oom", "message": "CUDA out of memory (tried to allocate 2.00 GiB)"},
     "stall": None, "note": None, "spark": [], "run_id": 3, "muted": False},
    {"path": "/runs/xgb-sweep/train.log", "name": "xgb-sweep", "status": "stalled", "framework": "optuna",
     "progress": {"unit": "trial", "done": 37, "total": None, "fraction": None}, "epoch": None,
     "eta_seconds": None, "elapsed_seconds": 3000.0, "metrics": {"value": 0.2148},
     "error": None, "stall": "no output for 14m (usually every 20s)", "note": None, "spark": [], "run_id": 4, "muted": True},
]


def test_dashboard_with_runs_120x36(app, snap_compare):
    """The README's screenshot: fixed run states pushed into the Runs pane (no clock involved)."""
    from waitbuddy.tui.widgets.runs_pane import RunsArea

    async def show_runs(pilot):
        await runs_reported(pilot)
        runs = app.screen.query_one(RunsArea)
        runs.post_message(RunsArea.Updated([dict(run) for run in RUNS]))
        await pilot.pause()
        runs._refresh_rows()
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 36), run_before=show_runs)
