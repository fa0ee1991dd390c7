"""What the planner works on: candidates from every domain, the person's preferences, and plans.

Plain data, so the plan itself (:mod:`waitbuddy.planner.plan`) stays a pure function that tests
can feed by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field

KINDS = ("reading", "paper", "practice", "checklist")
KIND_NAMES = {"reading": "read", "paper": "skim", "practice": "solve", "checklist": "do"}
DEFAULT_BALANCE = {"reading": 40, "paper": 20, "practice": 30, "checklist": 10}


@dataclass(frozen=True)
class Candidate:
    """One thing that could fill part of the wait. ``minutes`` is the estimate the plan trusts
    (the person's own pace when ``pace`` says so); ``score`` the domain's own urgency in 0..1 (a
    due review high, an old saved item above a new one); ``reason`` says why in a word or three."""

    kind: str  # one of KINDS
    ref: str  # the item's key in its domain: a backlog id, a feed entry id, a slug, a checklist item id
    title: str  # clean text (from text.py, via its domain)
    minutes: int
    score: float
    reason: str
    url: str = ""
    detail: str = ""  # a short fact shown beside the title: "Easy", "Profile", "arXiv cs.LG"
    pace: bool = False  # ``minutes`` comes from the person's recorded times

    @property
    def key(self) -> str:
        """Unique across domains: ``practice:two-sum``."""
        return f"{self.kind}:{self.ref}"


@dataclass(frozen=True)
class Prefs:
    """``[planner]``: how the wait is shared between kinds (weights, 0 leaves a kind out), which
    kinds to leave out, how many suggestions at most, and the margin kept free."""

    balance: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_BALANCE))
    leave_out: frozenset[str] = frozenset()
    max_items: int = 4
    margin: int = 0  # minutes kept free at the end of the wait

    def weight(self, kind: str) -> int:
        return 0 if kind in self.leave_out else max(self.balance.get(kind, 0), 0)


@dataclass(frozen=True)
class Pick:
    candidate: Candidate
    why: str  # the reason shown: the candidate's own, or the planner's ("variety")


@dataclass(frozen=True)
class Plan:
    minutes: int  # the time the plan had
    picks: tuple[Pick, ...]
    left_out: int = 0  # candidates that did not fit or were not chosen

    @property
    def planned(self) -> int:
        return sum(pick.candidate.minutes for pick in self.picks)

    @property
    def spare(self) -> int:
        return self.minutes - self.planned
