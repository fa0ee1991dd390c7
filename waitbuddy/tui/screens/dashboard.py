"""The main screen: Runs always in view, the wait-filling areas as tabs beside or below it."""

from __future__ import annotations

from textual import events, getters
from textual.app import ComposeResult
from textual.containers import Container
from textual.screen import Screen
from textual.widgets import Footer, Header, TabbedContent, TabPane

from waitbuddy.config import SIDE_BY_SIDE_MIN_WIDTH, Config
from waitbuddy.store import Store
from waitbuddy.tui.areas import AREAS, AreaSpec
from waitbuddy.tui.bindings import bindings_for
from waitbuddy.tui.widgets.area import Area
from waitbuddy.tui.widgets.plan_strip import PlanStrip

_LAYOUT_BREAKPOINTS = {
    "auto": [(0, "-stacked"), (SIDE_BY_SIDE_MIN_WIDTH, "-side")],
    "stacked": [(0, "-stacked")],
    "side-by-side": [(0, "-side")],
}


class DashboardScreen(Screen[None]):
    BINDINGS = bindings_for("dashboard")

    tabs = getters.query_one("#wait", TabbedContent)

    def __init__(self, store: Store, config: Config, areas: tuple[AreaSpec, ...] = AREAS) -> None:
        super().__init__()
        self.store = store
        self.config = config
        self.areas = areas
        layout = config.ui.layout
        # Breakpoints put "-stacked" or "-side" on the screen; app.tcss lays the areas out.
        self.HORIZONTAL_BREAKPOINTS = _LAYOUT_BREAKPOINTS[layout]

    def compose(self) -> ComposeResult:
        yield Header(icon="◷")
        yield PlanStrip(self.store, self.config)
        runs, *others = self.areas
        with Container(id="dashboard"):
            yield runs.make_pane(self.store, self.config)
            with TabbedContent(id="wait"):
                for spec in others:
                    with TabPane(f"{spec.number} {spec.title}", id=f"tab-{spec.id}"):
                        yield spec.make_pane(self.store, self.config)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#runs", Area).focus()

    def action_show_area(self, area_id: str) -> None:
        if self.maximized is not None:
            self.minimize()
        if area_id != "runs":
            self.tabs.active = f"tab-{area_id}"
        self.query_one(f"#{area_id}", Area).focus()

    def action_cycle_tab(self, step: int) -> None:
        panes = [pane.id for pane in self.tabs.query(TabPane)]
        current = panes.index(self.tabs.active) if self.tabs.active in panes else 0
        self.action_show_area(panes[(current + step) % len(panes)].removeprefix("tab-"))

    def action_zoom(self) -> None:
        if self.maximized is not None:
            self.minimize()
            return
        focused = self.focused
        area = focused if isinstance(focused, Area) else None
        if area is None and focused is not None:
            area = next((node for node in focused.ancestors if isinstance(node, Area)), None)
        if area is None and focused is not None and self.tabs in focused.ancestors_with_self:
            area = self.query_one(f"#{self.tabs.active.removeprefix('tab-')}", Area)
        if area is not None and self.maximize(area, container=False):
            area.focus()  # keys go to what is on screen (the tab bar is not, once zoomed)

    def action_focus_plan(self) -> None:
        if self.maximized is not None:
            self.minimize()
        strip = self.query_one(PlanStrip)
        strip.focus_from(self.focused)

    def action_set_timer(self) -> None:
        from waitbuddy.tui.screens.prompt import Prompt

        def given(answer: str | None) -> None:
            if answer is None:
                return
            try:
                minutes = int(answer.removesuffix("m").strip())
            except ValueError:
                minutes = -1
            if not 0 <= minutes <= 24 * 60:
                self.notify(f"expected minutes from 0 to {24 * 60}, got {answer!r}", severity="error", markup=False)
                return
            self.query_one(PlanStrip).set_minutes(minutes or None)
            self.notify(f"planning for {minutes} min" if minutes else "planning for the run's ETA again", markup=False)

        self.app.push_screen(Prompt("How many minutes do you have? (0: follow the run's ETA again)",
                                    placeholder="15"), given)

    def action_show_standup(self) -> None:
        from waitbuddy.planner import words
        from waitbuddy.tui.screens.standup import StandupScreen

        # Next lists what the strip proposes; with nothing on it, the screen asks the planner itself.
        view = self.query_one(PlanStrip).view
        queue = words.queue(view.plan) if view is not None and view.plan.picks else None
        self.app.push_screen(StandupScreen(self.store, self.config, queue=queue))

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """While an area is zoomed, nothing hidden behind it takes keys."""
        zoomed = self.maximized
        if zoomed is not None and zoomed not in event.widget.ancestors_with_self:
            zoomed.focus()
