"""One row per run, in columns shared by every row, fitted to the pane's width."""

from __future__ import annotations

from dataclasses import replace

import pytest
from rich.cells import cell_len

from waitbuddy.runs.present import count_text
from waitbuddy.runs.snapshot import RunSnapshot, SnapshotError, SnapshotProgress
from waitbuddy.tui.runrow import MUTED, SPARK, Columns, row

# The Runs list's width at 80x24 (the border and padding take 4 columns), and in the
# side-by-side layout at 200x50 (55 % of the screen).
AT_80, AT_200_SIDE = 76, 106

DEMO_JSON = {
    "path": "/d/demo.log", "name": "demo (simulated)", "status": "running", "framework": "tqdm",
    "progress": {"unit": "it", "done": 134, "total": 200, "fraction": 0.5567}, "epoch": {"done": 1, "total": 3},
    "eta_seconds": 20.0, "elapsed_seconds": 25.0, "metrics": {"loss": 0.786, "lr": 3e-5}, "error": None,
    "stall": None, "note": None, "spark": [2.3, 2.0, 1.8, 1.5, 1.3, 1.1, 1.0, 0.9, 0.85, 0.8, 0.79, 0.786],
    "run_id": 1, "muted": False,
}
BERT = {**DEMO_JSON, "path": "/r/bert.log", "name": "bert-base", "framework": "transformers",
        "progress": {"unit": "step", "done": 4500, "total": 10000, "fraction": 0.45}, "epoch": {"done": 1, "total": 3},
        "eta_seconds": 6100.0, "metrics": {"loss": 0.3121}, "run_id": 2}
SWEEP = {**DEMO_JSON, "path": "/r/sweep.log", "name": "xgb-sweep", "framework": "optuna",
         "progress": {"unit": "trial", "done": 37, "total": None, "fraction": None}, "epoch": None,
         "eta_seconds": None, "metrics": {"value": 0.2148}, "spark": [], "run_id": 3, "muted": True}
PLAIN = {**DEMO_JSON, "path": "/r/plain.log", "name": "plain", "progress": None, "epoch": {"done": 2, "total": 10},
         "eta_seconds": None, "metrics": {"loss": 1.5}, "spark": [], "run_id": 4}
FAILED = {**DEMO_JSON, "path": "/r/llama.log", "name": "llama-sft", "status": "failed", "epoch": None,
          "progress": {"unit": "it", "done": 812, "total": 5000, "fraction": 0.1624}, "eta_seconds": None,
          "error": {"kind": "cuda_oom", "message": "CUDA out of memory (tried to allocate 2.00 GiB)"}, "run_id": 5}
DONE = {**DEMO_JSON, "path": "/r/resnet.log", "name": "resnet50", "status": "completed",
        "progress": {"unit": "it", "done": 391, "total": 391, "fraction": 1.0}, "epoch": {"done": 90, "total": 90},
        "eta_seconds": 0.0, "metrics": {"train_loss": 0.842}, "run_id": 6}


def typed(data: dict) -> RunSnapshot:
    """A row's snapshot from its JSON form and what the dashboard's watcher adds."""
    return replace(RunSnapshot.from_json(data), spark=tuple(data["spark"]), run_id=data["run_id"], muted=data["muted"])


DEMO, BERT, SWEEP, PLAIN, FAILED, DONE = map(typed, (DEMO_JSON, BERT, SWEEP, PLAIN, FAILED, DONE))
ALL = [DEMO, BERT, SWEEP, PLAIN, FAILED, DONE]
COLORS = {"running": "#ffffff", "failed": "#ff0000", "completed": "#00ff00", "stalled": "#ffff00"}


def rows(snapshots: list[RunSnapshot], width: int) -> list[str]:
    columns = Columns.fit(snapshots, width)
    return [row(snapshot, columns, COLORS).plain for snapshot in snapshots]


def test_at_80_columns_the_row_keeps_the_name_bar_epoch_eta_and_metric():
    (line,) = rows([DEMO], AT_80)
    assert "demo (simulated)" in line and "━" in line and "56%" in line
    assert count_text(DEMO) in line and "ep 2/3" in line
    assert "ETA 20s" in line and "loss 0.786" in line


@pytest.mark.parametrize("width", [AT_80, AT_200_SIDE, 196])
def test_columns_line_up_with_or_without_a_bar_and_when_muted(width):
    lines = rows(ALL, width)
    starts = {line.index(snapshot.name) for line, snapshot in zip(lines, ALL, strict=True)}
    assert len(starts) == 1, lines  # every name in the same column
    counts = {line.index(count_text(snapshot)) for line, snapshot in zip(lines, ALL, strict=True)
              if snapshot.status != "failed"}
    assert len(counts) == 1, lines  # and every count, bar or no bar
    bars = [line for line in lines if "━" in line or "─" in line]
    assert len({line.index(next(char for char in line if char in "━─╸")) for line in bars}) == 1, lines


def test_mute_is_one_cell_in_a_column_of_its_own():
    lines = rows(ALL, AT_80)
    assert cell_len(MUTED) == 1
    muted = lines[ALL.index(SWEEP)]
    assert muted[2] == MUTED and all(line[2] == " " for line in lines if line is not muted)
    assert "(muted)" not in "".join(lines)


def test_the_sparkline_shows_at_200x50_and_the_reason_at_80():
    wide = rows(ALL, AT_200_SIDE)
    assert any(char in SPARK for char in wide[0]), wide[0]
    narrow = rows(ALL, AT_80)
    assert "CUDA out of memory (tried to allocate" in narrow[ALL.index(FAILED)]


def test_the_status_word_goes_when_narrow_and_stays_when_wide():
    assert "running" not in rows(ALL, AT_80)[0]
    assert "running" in rows(ALL, 196)[0] and "completed" in rows(ALL, 196)[-1]


@pytest.mark.parametrize("width", [20, 40, 60, AT_80, 100, AT_200_SIDE, 150, 196])
def test_no_row_is_wider_than_the_pane(width):
    for snapshots in (ALL, [DEMO], [SWEEP]):
        columns = Columns.fit(snapshots, width)
        for snapshot in snapshots:
            assert row(snapshot, columns, COLORS).cell_len <= width


def test_names_and_reasons_are_plain_text():
    hostile = replace(FAILED, name="[bold]x[/]\x1b[31mred", error=SnapshotError("exception", "[@click=app.quit]\x07"))
    (line,) = rows([hostile], 120)
    # A name shows its escape visibly (it comes from a path someone may have crafted); a reason
    # from the log loses it. Neither reaches the terminal, and markup stays text.
    assert "[bold]x[/]\\e[31mred" in line and "[@click=app.quit]" in line and "\x1b" not in line and "\x07" not in line


@pytest.mark.parametrize(("terminal", "pane"), [(90, 86), (120, 116), (160, int(160 * 0.55) - 4), (200, 106)])
def test_the_demo_row_has_its_sparkline_from_90_columns(terminal, pane):
    """The README promises the demo's sparkline from 90 columns (stacked, and side by side from 160)."""
    (line,) = rows([DEMO], pane)
    assert any(char in SPARK for char in line), (terminal, line)


def test_the_demo_row_at_80_columns_gives_the_sparkline_up_for_the_rest():
    (line,) = rows([DEMO], AT_80)
    assert not any(char in SPARK for char in line) and "loss 0.786" in line


def test_a_unit_from_the_log_is_plain_text_too():
    hostile = replace(SWEEP, muted=False, progress=SnapshotProgress("[red]x\x1b]0;t\x07", 3, None, None))
    (line,) = rows([hostile], 120)
    assert "3 [red]x" in line and "\x1b" not in line and "\x07" not in line


def test_the_columns_keep_their_place_while_a_run_advances():
    """The bar, the percent and the position stay where they are as counts grow a digit and the
    ETA shortens: the row people glance at does not jitter."""
    def at(done: int, eta: float) -> RunSnapshot:
        return replace(DEMO, progress=replace(DEMO.progress, done=done, fraction=done / 600), eta_seconds=eta)

    lines = [rows([at(done, eta)], 76)[0] for done, eta in ((5, 3600.0), (50, 300.0), (150, 45.0), (199, 5.0))]
    assert len({line.index("%") for line in lines}) == 1, lines
    assert len({line.index("ETA") for line in lines}) == 1, lines
