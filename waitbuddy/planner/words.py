"""How a plan reads, in one place: the CLI, the dashboard's strip and the daily update use these."""

from __future__ import annotations

from waitbuddy.planner.model import KIND_NAMES, Candidate, Plan
from waitbuddy.planner.wait import Wait
from waitbuddy.text import safe_line


def estimate(candidate: Candidate) -> str:
    """``12m``, or ``~14m, your pace`` when the minutes are the person's own."""
    return f"~{candidate.minutes}m, your pace" if candidate.pace else f"{candidate.minutes}m"


def item(candidate: Candidate, *, limit: int = 60) -> str:
    """``read "Scaling laws for ..." (paper, 12m)``: what to do, on one line."""
    title = safe_line(candidate.title, limit=limit)
    facts = ", ".join(part for part in (safe_line(candidate.detail, limit=24), estimate(candidate)) if part)
    return f'{KIND_NAMES.get(candidate.kind, "do")} "{title}" ({facts})'


def headline(minutes: int | None, wait: Wait | None, *, short: bool = False) -> str:
    """``~23 min until bert-base finishes``, ``15 min, your timer`` or why there is no plan
    (``short``: the strip's wording)."""
    if minutes is None:
        if short:
            return "no run with an ETA: t to say how long you have"
        return "No run is training with an ETA: say how long you have (waitbuddy plan --minutes 20, t in the dashboard)."
    if wait is not None:
        name = safe_line(wait.name, limit=30 if short else 40)
        if minutes < 1:
            return f"{name} finishes in under a minute"
        return f"~{minutes} min until {name}" + ("" if short else " finishes")
    return f"{minutes} min (your timer)" if short else f"{minutes} min, your timer"


def queue(plan: Plan) -> list[str]:
    """The plan as short lines, for the daily update's Next."""
    return [item(pick.candidate) for pick in plan.picks]
