"""The five areas of the dashboard and what each says while it is empty."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AreaSpec:
    id: str
    title: str
    number: int
    purpose: str
    fill: tuple[str, ...]  # commands or keys that put something here
    available: bool  # False until the capability ships; the empty state says so


AREAS: tuple[AreaSpec, ...] = (
    AreaSpec(
        "runs", "Runs", 1,
        "Your training runs: progress, ETA, metrics and the loss curve, and an alert the "
        "moment one finishes, fails or stalls.",
        ("waitbuddy watch train.log   (or press a here)", "waitbuddy run -- python train.py",
         "waitbuddy demo              (a one-minute simulated run)"),
        available=True,
    ),
    AreaSpec(
        "backlog", "Backlog", 2,
        "Articles, papers and videos you saved for later, sorted by what fits the time left.",
        ("waitbuddy add URL               (or press a here)",
         "waitbuddy import bookmarks.html  (or press I)",
         "  browser bookmarks, Pocket, Raindrop, Omnivore, linkding, Pinboard, a list of URLs"),
        available=True,
    ),
    AreaSpec(
        "feeds", "Feeds", 3,
        "New arXiv papers and posts from the RSS and Atom feeds you follow.",
        ("the arXiv categories and RSS or Atom feeds you choose",),
        available=False,
    ),
    AreaSpec(
        "practice", "Practice", 4,
        "LeetCode practice from the NeetCode 150, with review of what you solved before.",
        ("the NeetCode 150 list, bundled: nothing to set up",),
        available=False,
    ),
    AreaSpec(
        "checklists", "Checklists", 5,
        "Recurring to-dos for the time between runs: CV, LinkedIn and GitHub profile updates.",
        ("checklists you write once and tick off again each week or month",),
        available=False,
    ),
)
