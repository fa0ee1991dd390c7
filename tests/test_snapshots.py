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


def test_dashboard_80x24(app, snap_compare):
    assert snap_compare(app, terminal_size=(80, 24))


def test_dashboard_120x36(app, snap_compare):
    assert snap_compare(app, terminal_size=(120, 36))


def test_dashboard_200x50(app, snap_compare):
    assert snap_compare(app, terminal_size=(200, 50), press=["4"])


def test_help_80x24(app, snap_compare):
    assert snap_compare(app, terminal_size=(80, 24), press=["question_mark"])
