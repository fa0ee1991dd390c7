"""Minutes available + candidates + preferences -> a short plan that fits. Pure and deterministic.

The plan is built greedily, one pick at a time, each time taking the candidate worth most among
those that still fit in the minutes left. What a candidate is worth:

- its own urgency from its domain (``score``: a due review, a high priority, an old save);
- how much of it goes towards its kind's share of this wait (``[planner]`` weights, 40/20/30/10
  by default; minutes past the share count against it), and how far the kind is below its share
  of the last days' accepted items, so a week of reading makes practice come up;
- less for each pick of the same kind already in the plan (variety within the plan);
- a little for using the time well (a 20-minute read in a 23-minute wait over a 3-minute one);
- and a small jitter keyed on the day, so equal candidates rotate from day to day yet the same
  inputs on the same day always give the same plan.

Nothing is ever planned past the minutes given (less the margin).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import date

from waitbuddy.planner.model import Candidate, Pick, Plan, Prefs

SHARE_WEIGHT = 0.6  # how much being below its share of this wait lifts a kind
DAYS_WEIGHT = 0.3  # how much being below its share of the last days lifts a kind
REPEAT_PENALTY = 0.5  # per pick of the same kind already in the plan
FILL_WEIGHT = 0.15  # for using the time
JITTER = 0.05  # the day's rotation among near-equals


def make_plan(minutes: int, candidates: Iterable[Candidate], prefs: Prefs, *, day: date,
              recent: Mapping[str, float] | None = None, skipped: Iterable[str] = ()) -> Plan:
    """The plan for ``minutes``. ``recent``: minutes per kind the person spent on accepted items in
    the last days (variety across days); ``skipped``: candidate keys not to suggest again now."""
    budget = max(int(minutes) - max(prefs.margin, 0), 0)
    skip = set(skipped)
    eligible = _unique(candidate for candidate in candidates
                       if 1 <= candidate.minutes <= budget and prefs.weight(candidate.kind) > 0
                       and candidate.key not in skip)
    if not eligible:
        return Plan(max(int(minutes), 0), (), 0)
    kinds = sorted({candidate.kind for candidate in eligible})
    total = sum(prefs.weight(kind) for kind in kinds)
    share = {kind: prefs.weight(kind) / total for kind in kinds}
    day_gap = _days_gap(share, recent or {})
    jitter = {candidate.key: _unit(day, candidate.key) for candidate in eligible}

    picks: list[Pick] = []
    used = {kind: 0 for kind in kinds}
    count = {kind: 0 for kind in kinds}
    left = budget
    chosen: set[str] = set()
    while len(picks) < max(prefs.max_items, 0):
        fitting = [candidate for candidate in eligible if candidate.minutes <= left and candidate.key not in chosen]
        if not fitting:
            break

        def worth(candidate: Candidate) -> tuple[float, str]:
            kind = candidate.kind
            # Minutes towards the kind's share count for it, minutes past the share against it.
            gap = share[kind] * budget - used[kind]
            toward = (min(candidate.minutes, max(gap, 0)) - max(candidate.minutes - max(gap, 0), 0)) / budget
            value = (candidate.score + SHARE_WEIGHT * toward + DAYS_WEIGHT * day_gap[kind]
                     - REPEAT_PENALTY * count[kind] + FILL_WEIGHT * candidate.minutes / budget
                     + JITTER * jitter[candidate.key])
            return value, candidate.key

        best = max(fitting, key=worth)
        picks.append(Pick(best, best.reason))
        chosen.add(best.key)
        used[best.kind] += best.minutes
        count[best.kind] += 1
        left -= best.minutes
    return Plan(max(int(minutes), 0), tuple(picks), len(eligible) - len(picks))


def _unique(candidates: Iterable[Candidate]) -> list[Candidate]:
    """One candidate per key (the highest score), in key order: the input's order never matters."""
    best: dict[str, Candidate] = {}
    for candidate in candidates:
        held = best.get(candidate.key)
        if held is None or (candidate.score, candidate.minutes) > (held.score, held.minutes):
            best[candidate.key] = candidate
    return [best[key] for key in sorted(best)]


def _days_gap(share: Mapping[str, float], recent: Mapping[str, float]) -> dict[str, float]:
    """Per kind, its share of the wait less its share of the last days' minutes (0 with no history)."""
    spent = sum(max(recent.get(kind, 0.0), 0.0) for kind in share)
    if spent <= 0:
        return {kind: 0.0 for kind in share}
    return {kind: share[kind] - max(recent.get(kind, 0.0), 0.0) / spent for kind in share}


def _unit(day: date, key: str) -> float:
    """A number in [0, 1) fixed by the day and the key."""
    digest = hashlib.blake2b(f"{day.isoformat()}|{key}".encode("utf-8", "backslashreplace"), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64
