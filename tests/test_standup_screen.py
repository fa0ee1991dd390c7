"""`U`: the daily update in the dashboard, as a keyboard user meets it (issue 15)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from textual.widgets import Static

from waitbuddy import config
from waitbuddy.planner import standup
from waitbuddy.reading import backlog
from waitbuddy.runs import registry
from waitbuddy.store import Store
from waitbuddy.tui.app import WaitBuddy
from waitbuddy.tui.screens.standup import StandupScreen

from .test_standup import seed


async def wait_for(pilot, condition: Callable[[], object], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await pilot.pause(0.05)


def shown(app: WaitBuddy) -> str:
    return str(app.screen.query_one("#standup-text", Static).content)


async def test_u_shows_the_update_and_m_s_y_escape_work(store: Store, monkeypatch):
    seed(store, datetime.now(UTC) - timedelta(hours=23, minutes=30))  # the old run ended 24.5 hours ago
    for record in registry.runs(store):  # their logs are not there for the dashboard to follow: the history is
        registry.hide(store, record.id)
    title = "[/] [@click=app.quit] \x1b[31mred"
    item, _ = backlog.add_url(store, "https://blog.example/hostile", title=title, fetch=False)
    backlog.update(store, [item.id], "done", status="done")
    app = WaitBuddy(config=config.parse(""), store=store)
    copied: list[str] = []
    monkeypatch.setattr(app, "copy_to_clipboard", copied.append)
    async with app.run_test(size=(120, 50)) as pilot:
        await pilot.press("U")
        assert isinstance(app.screen, StandupScreen)
        screen = app.screen
        await wait_for(pilot, lambda: screen.shown)
        text = shown(app)
        assert text.startswith("**Update** since ")
        assert "- bert-base: completed in 2h14m · loss 0.412 (best 0.398)" in text
        assert "- gpt2-small: failed after 41m · loss 2.31 (best 2.28) · CUDA out of memory" in text
        assert "- [\\[/\\] \\[@click=app.quit\\] red](https://blog.example/hostile)" in text  # plain text, not markup
        assert "old-run" not in text and "last 24h · markdown" in screen.query_one("#standup-box").border_subtitle

        await pilot.press("m")
        text = shown(app)
        assert text.startswith("Update since ") and "Runs:\n- bert-base" in text
        assert "- [/] [@click=app.quit] red — https://blog.example/hostile" in text

        await pilot.press("y")
        assert copied == [screen.shown] and copied[0].startswith("Update since ") and copied[0].endswith("\n")

        await pilot.press("s")  # the last 3 days: the run of the evening before is in
        assert "last 3d · text" in screen.query_one("#standup-box").border_subtitle
        await wait_for(pilot, lambda: "old-run" in shown(app))
        assert "- old-run: completed · loss 1" in shown(app)
        await pilot.press("s", "s")
        assert "last 24h" in screen.query_one("#standup-box").border_subtitle
        await wait_for(pilot, lambda: screen.shown and "old-run" not in shown(app))

        await pilot.press("escape")
        assert not isinstance(app.screen, StandupScreen)
        assert app.is_running  # the [@click=app.quit] title never became an action


async def test_an_empty_day_and_copy_before_it_is_read(store: Store, monkeypatch):
    gate = threading.Event()
    real_build = standup.build

    def slow_build(*args, **kwargs):  # the store waiting for another process's lock
        assert gate.wait(10)
        return real_build(*args, **kwargs)

    monkeypatch.setattr(standup, "build", slow_build)
    app = WaitBuddy(config=config.parse(""), store=store)
    copied: list[str] = []
    monkeypatch.setattr(app, "copy_to_clipboard", copied.append)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("U")
        screen = app.screen
        assert isinstance(screen, StandupScreen)
        await pilot.pause(0.1)
        assert shown(app) == "reading the history …"  # the UI answers while the store is read
        await pilot.press("y")  # nothing half-made goes to the clipboard
        assert copied == []
        gate.set()
        await wait_for(pilot, lambda: screen.shown)
        assert shown(app).startswith("Nothing recorded since ") and "\n" not in shown(app)
        await pilot.press("U")  # the key that opened it closes it
        assert not isinstance(app.screen, StandupScreen)
