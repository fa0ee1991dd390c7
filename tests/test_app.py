"""Interaction tests with Textual's Pilot: the dashboard as a keyboard user meets it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console
from textual.widgets import Static, TabbedContent

from waitbuddy import config, paths
from waitbuddy.keys import APP_KEYS
from waitbuddy.store import THEME_SETTING, Store
from waitbuddy.tui.app import DEFAULT_THEME, WaitBuddy
from waitbuddy.tui.areas import AREAS
from waitbuddy.tui.screens.help import HelpScreen
from waitbuddy.tui.widgets.area import Area, EmptyState


def make_app(store: Store, toml: str = "", theme: str = "", where: paths.Paths | None = None) -> WaitBuddy:
    return WaitBuddy(config=config.parse(toml), store=store, paths=where, theme=theme)


def texts(widget) -> str:
    return "\n".join(str(static.content) for static in widget.query(Static))


async def test_starts_with_an_empty_store_and_every_area_explains_itself(store: Store):
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for spec in AREAS:
            area = app.screen.query_one(f"#{spec.id}", Area)
            shown = str(area.query_one(EmptyState).content)
            assert spec.purpose in shown
            for line in spec.fill:
                assert line in shown
        assert app.focused is app.screen.query_one("#runs", Area)


@pytest.mark.parametrize(("key", "area"), [("2", "backlog"), ("3", "feeds"), ("4", "practice"), ("5", "checklists")])
async def test_number_keys_switch_areas(store: Store, key: str, area: str):
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(key)
        assert app.screen.query_one(TabbedContent).active == f"tab-{area}"
        shown = app.screen.query_one(f"#{area}", Area)
        assert app.focused is shown or shown in app.focused.ancestors  # a loaded pane focuses its list
        await pilot.press("1")
        assert app.focused is app.screen.query_one("#runs", Area)


async def test_brackets_cycle_tabs_and_wrap(store: Store):
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        tabs = app.screen.query_one(TabbedContent)
        await pilot.press("]")
        assert tabs.active == "tab-feeds"
        await pilot.press("[", "[")
        assert tabs.active == "tab-checklists"


async def test_question_mark_opens_help_listing_every_binding(store: Store):
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("?")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one("#help-table", Static).content
        console = Console(width=240, file=io.StringIO(), color_system=None)  # no wrapping
        console.print(table)
        rendered = console.file.getvalue()
        for spec in APP_KEYS:
            assert spec.id in rendered and spec.description in rendered
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_keymap_from_config_rebinds_quit(store: Store):
    app = make_app(store, '[keymap]\nquit = "w"\nhelp = "f2"\n')
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("q")
        await pilot.pause()
        assert app.is_running  # q no longer quits
        await pilot.press("f2")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.press("w")
        await pilot.pause()
    assert app.return_code == 0


async def test_q_quits_cleanly_with_status_zero(store: Store):
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running
    assert app.return_code == 0


async def test_theme_choice_is_remembered(store: Store):
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.theme == DEFAULT_THEME
        app.theme = "nord"
        await pilot.pause()
        await app.workers.wait_for_complete()
    assert store.get_setting(THEME_SETTING) == "nord"
    again = make_app(store, theme=store.get_setting(THEME_SETTING) or "")
    async with again.run_test(size=(80, 24)):
        assert again.theme == "nord"


async def test_unknown_remembered_theme_falls_back(store: Store):
    app = make_app(store, theme="no-such-theme")
    async with app.run_test(size=(80, 24)):
        assert app.theme == DEFAULT_THEME


@pytest.mark.parametrize(
    ("size", "layout", "expected"),
    [((80, 24), "auto", "-stacked"), ((200, 50), "auto", "-side"), ((200, 50), "stacked", "-stacked"),
     ((80, 24), "side-by-side", "-side")],
)
async def test_layout_follows_width_and_config(store: Store, size, layout, expected):
    app = make_app(store, f'[ui]\nlayout = "{layout}"\n')
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        assert app.screen.has_class(expected)
        runs, wait = app.screen.query_one("#runs"), app.screen.query_one("#wait")
        if expected == "-side":
            assert runs.region.y == wait.region.y and runs.region.right <= wait.region.x
        else:
            assert runs.region.bottom <= wait.region.y


async def test_zoom_maximizes_the_focused_area_and_restores(store: Store):
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3", "z")
        assert app.screen.maximized is app.screen.query_one("#feeds", Area)
        await pilot.press("z")
        assert app.screen.maximized is None


async def test_command_palette_runs_app_commands(store: Store):
    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Go to Practice")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.query_one(TabbedContent).active == "tab-practice"


async def test_hostile_path_text_is_shown_as_plain_text(store: Store, tmp_path: Path):
    hostile = tmp_path / "[@click=app.quit]" / "[link=file:///etc/passwd]x[/link]"
    where = paths.Paths(config=hostile / "c.toml", config_source="--config", data_dir=hostile, data_dir_source="default")
    app = make_app(store, where=where)
    async with app.run_test(size=(120, 30)) as pilot:
        app._show_paths()
        await pilot.pause()
        (note,) = app._notifications
        assert note.markup is False and "[@click=app.quit]" in note.message
        await pilot.pause(0.2)
        assert app.is_running


async def test_zoom_gives_runs_the_whole_screen(store: Store):
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1", "z")
        await pilot.pause()
        runs = app.screen.query_one("#runs", Area)
        assert app.screen.maximized is runs
        assert runs.region.height == 23 and runs.region.width == 80  # all but the footer row
        await pilot.press("z")
        await pilot.pause()
        assert runs.region.height < 12


async def test_zooming_from_the_tab_bar_sends_keys_to_the_zoomed_area(store: Store):
    from waitbuddy.tui.screens.prompt import Prompt

    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("tab")  # from Runs to the tab bar
        assert app.focused is not None and app.focused.parent is not None
        await pilot.press("z")
        await pilot.pause()
        backlog = app.screen.query_one("#backlog", Area)
        assert app.screen.maximized is backlog
        assert backlog in app.focused.ancestors_with_self
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, Prompt)
        assert "Watch a log" not in texts(app.screen)  # Backlog's add, not the hidden Runs pane's


async def test_while_zoomed_hidden_areas_take_no_focus(store: Store):
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2", "z")
        await pilot.pause()
        app.screen.query_one("#runs", Area).focus()
        await pilot.pause()
        assert app.screen.query_one("#backlog", Area) in app.focused.ancestors_with_self


@pytest.mark.parametrize("key", ["1", "2", "3"])
async def test_the_footer_fits_80_columns_without_cutting_a_word(store: Store, key: str):
    from textual.widgets._footer import FooterKey

    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(key)
        await pilot.pause()
        keys = list(app.screen.query(FooterKey))
        palette = next(key for key in keys if key.key == "ctrl+p")
        for footer_key in keys:
            if footer_key is not palette:
                assert footer_key.region.width > 0 and footer_key.region.right <= palette.region.x, footer_key.description


async def test_help_lists_enter_for_opening_a_run(store: Store):
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("?")
        await pilot.pause()
        console = Console(width=240, file=io.StringIO(), color_system=None)
        console.print(app.screen.query_one("#help-table", Static).content)
        line = next(line for line in console.file.getvalue().splitlines() if "open-run" in line)
        assert line.lstrip().startswith("enter") and "Open the selected run" in line


async def test_toasts_stay_small_in_the_bottom_right_corner(store: Store):
    from textual.widgets._toast import Toast

    app = make_app(store)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        app.notify("✔ bert-base completed in 3h12m  loss 0.3121  (alerts, toasts and the like)", markup=False)
        for _ in range(100):  # laid out within a frame or two; later on a loaded machine
            await pilot.pause(0.05)
            toasts = app.screen.query(Toast)
            if toasts and toasts.first().region.width:
                break
        toast = app.screen.query_one(Toast)
        assert toast.region.width <= 32 and toast.region.right >= 76  # the rack keeps room for a scrollbar
        assert toast.region.height <= 3 and toast.region.y >= 18  # two lines of text, at the bottom


def test_areas_to_come_name_no_config_table_that_does_not_exist():
    import re

    for spec in AREAS:
        for line in (spec.purpose, *spec.fill):
            for table in re.findall(r"\[(\w+)\]", line):
                assert table in config._SECTIONS, (spec.id, line)


class _Notes:
    """A pane of a new area, as a test writes one: the dashboard needs no edit to show it."""

    def __new__(cls, spec, store, config):
        from textual.widgets import Static

        from waitbuddy.tui.widgets.area import Area

        class NotesPane(Area):
            def compose(self):
                yield Static("notes pane here", id="notes-body")

        return NotesPane(spec)


async def test_a_new_area_appears_without_editing_the_dashboard(tmp_path):
    # issue 12: adding a pane edited about eight files and an `if spec.id == "backlog"` branch.
    from waitbuddy import config
    from waitbuddy.store import Store
    from waitbuddy.tui.app import WaitBuddy
    from waitbuddy.tui.areas import AREAS, AreaSpec

    notes = AreaSpec("notes", "Notes", 6, "Notes for the day.", ("press n",), available=True,
                     pane=f"{__name__}:_Notes")
    with Store.open(tmp_path / "w.db") as store:
        app = WaitBuddy(config=config.parse(""), store=store, areas=(*AREAS, notes))
        async with app.run_test(size=(120, 30)) as pilot:
            await pilot.pause()
            assert app.screen.query_one("#tab-notes") is not None
            app.screen.action_show_area("notes")
            await pilot.pause()
            assert "notes pane here" in str(app.screen.query_one("#notes-body").content)


async def test_panes_share_one_http_client_and_its_host_limits(tmp_path, monkeypatch):
    # issue 12: the Backlog pane built its own client, so a second fetching pane would not share
    # arXiv's one-request-every-3-seconds clock.
    import time

    from waitbuddy import config
    from waitbuddy.reading import enrich
    from waitbuddy.store import Store
    from waitbuddy.tui.app import WaitBuddy
    from waitbuddy.tui.widgets.backlog_pane import BacklogArea

    used = []
    monkeypatch.setattr(enrich, "fetch_pending", lambda store, client, **kwargs: used.append(client) or 0)
    with Store.open(tmp_path / "w.db") as store:
        app = WaitBuddy(config=config.parse('[backlog]\nfetch = "new"\n'), store=store)
        client = app.services.http
        assert client.host_limits["arxiv.org"].min_interval == 3.0
        async with app.run_test(size=(120, 30)) as pilot:
            app.screen.query_one(BacklogArea)._start_fetcher()
            deadline = time.monotonic() + 10
            while not used and time.monotonic() < deadline:
                await pilot.pause(0.05)
            assert used and all(seen is client for seen in used)  # the app's, not one of its own
