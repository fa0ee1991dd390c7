"""The areas of the dashboard: each declares its pane, its number and what it says while empty.

The dashboard composes whatever areas it is given (the first is Runs, always in view; the others
are tabs), so a new area is one more AreaSpec here, with a ``pane`` naming its widget, and no
edit to the dashboard. Until its capability ships an area shows its empty state.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.widget import Widget

    from waitbuddy.config import Config
    from waitbuddy.store import Store


@dataclass(frozen=True)
class AreaSpec:
    id: str
    title: str
    number: int
    purpose: str
    fill: tuple[str, ...]  # commands or keys that put something here
    available: bool  # False until the capability ships; the empty state says so
    pane: str | None = None  # "module:Class" of its widget, built as Class(spec, store, config)

    def make_pane(self, store: Store, config: Config) -> Widget:
        """The area's widget: its pane, or the empty state of an area still to come."""
        if self.pane is None:
            from waitbuddy.tui.widgets.area import Area

            return Area(self)
        module, _, name = self.pane.partition(":")
        return getattr(importlib.import_module(module), name)(self, store, config)


AREAS: tuple[AreaSpec, ...] = (
    AreaSpec(
        "runs", "Runs", 1,
        "Your training runs: progress, ETA, metrics and the loss curve, and an alert the "
        "moment one finishes, fails or stalls.",
        ("waitbuddy watch train.log   (or press a here)", "waitbuddy run -- python train.py",
         "waitbuddy watch ssh://gpu1/runs/train.log  or  --slurm JOBID",
         "waitbuddy demo              (a one-minute simulated run)"),
        available=True, pane="waitbuddy.tui.widgets.runs_pane:RunsArea",
    ),
    AreaSpec(
        "backlog", "Backlog", 2,
        "Articles, papers and videos you saved for later, sorted by what fits the time left.",
        ("waitbuddy add URL               (or press a here)",
         "waitbuddy import bookmarks.html  (or press I)",
         "  browsers, Instapaper, Pocket, Raindrop, Pinboard, wallabag, a list of URLs"),
        available=True, pane="waitbuddy.tui.widgets.backlog_pane:BacklogArea",
    ),
    AreaSpec(
        "feeds", "Feeds", 3,
        "New arXiv papers and posts from the RSS and Atom feeds you follow, ranked by what you save.",
        ("waitbuddy feeds add arxiv:cs.LG                 (an arXiv category)",
         "waitbuddy feeds add https://example.org/feed.xml (an RSS or Atom feed)",
         "waitbuddy feeds import subscriptions.opml       (from another reader)",
         "or list them in config.toml                     (waitbuddy config init shows how)"),
        available=True, pane="waitbuddy.tui.widgets.feeds_pane:FeedsArea",
    ),
    AreaSpec(
        "practice", "Practice", 4,
        "LeetCode practice from the NeetCode 150, with review of what you solved before.",
        ("the NeetCode 150 list, bundled: nothing to set up",
         "waitbuddy practice next --minutes 30   (what fits the wait; n here)",
         "or add your own lists in config.toml  ([practice] lists; waitbuddy config init shows how)"),
        available=True, pane="waitbuddy.tui.widgets.practice_pane:PracticeArea",
    ),
    AreaSpec(
        "checklists", "Checklists", 5,
        "Recurring to-dos for the time between runs: CV, LinkedIn and GitHub profile updates.",
        ("the built-in Profile, Community and While it trains lists: nothing to set up",
         "waitbuddy checklists --due            (what is due now)",
         'waitbuddy checklists add LIST TITLE   (or press a here)',
         "or write your own lists in config.toml (waitbuddy config init shows how)"),
        available=True, pane="waitbuddy.tui.widgets.checklists_pane:ChecklistsArea",
    ),
)
