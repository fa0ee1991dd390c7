"""Why waitbuddy reads a log as it does: for the status, the progress (and a total learned from the
head of the log), the epoch, each metric and the failure, the line it was read from and the
recognizer that read it. `waitbuddy status --explain PATH` and the run view's explain key.

Every quoted line goes through ``text.safe_line``: log text is never markup or escape codes.
"""

from __future__ import annotations

from waitbuddy.runs.present import count_text, number, percent_text
from waitbuddy.runs.run import Run
from waitbuddy.text import safe_line

QUOTE = 120  # columns of a line quoted


def _where(source: tuple[int | None, str, str] | None) -> str:
    if source is None:
        return "(not read from a line)"
    line, text, recognizer = source
    at = f"line {line}" if line is not None and line > 0 else ("near the end" if line is not None else "")
    quoted = safe_line(text.strip(), limit=QUOTE)
    by = f"  [{recognizer}]" if recognizer else ""
    if not at:
        return f"{quoted}{by}"
    return f'{at}: "{quoted}"{by}'


def explain_lines(run: Run, now: float) -> list[str]:
    """The explanation, one item per line (plain text)."""
    explained = run.explained or {}
    snapshot = run.snapshot(now)
    lines = [safe_line(run.path, limit=300)]
    status = snapshot.status
    source = explained.get("status")
    why = _where(source) if source is not None or status != "running" else (
        "(output, and no ending, failure or stall in it)")
    lines.append(f"  status    {status}  <- {why}")
    if snapshot.error is not None:
        lines.append(f"  failure   {safe_line(snapshot.error.message, limit=200)} ({snapshot.error.kind})"
                     f"  <- {_where(explained.get('error'))}")
    position = " ".join(part for part in (percent_text(snapshot).strip(), count_text(snapshot)) if part)
    if snapshot.progress is not None or explained.get("progress"):
        source = explained.get("progress") or explained.get("epoch")
        lines.append(f"  progress  {position or '?'}  <- {_where(source)}")
    if "plan" in explained:
        plan = []
        if run.position.plan_epochs:
            plan.append(f"{int(run.position.plan_epochs):,} epochs")
        if run.position.plan_steps:
            plan.append(f"{int(run.position.plan_steps):,} steps")
        lines.append(f"  plan      {', '.join(plan) or '?'} (from the head of the log)  <- {_where(explained['plan'])}")
    if snapshot.epoch is not None and "epoch" in explained:
        lines.append(f"  epoch     {snapshot.epoch.done} done of {number(snapshot.epoch.total)}"
                     f"  <- {_where(explained['epoch'])}")
    metrics = snapshot.metrics
    if metrics:
        lines.append("  metrics")
        width = min(max(len(name) for name in metrics), 28)
        for name, value in metrics.items():
            shown = number(value) if isinstance(value, (int, float)) else str(value)
            lines.append(f"    {safe_line(name, limit=28):<{width}}  {shown}  <- {_where(explained.get(f'metric:{name}'))}")
    if run.lines_read < 0:
        lines.append("  (a big log: only its head and tail were read; line numbers are not given)")
    return lines


def format_matches(lines: list[str], recognizers: dict, *, shown: int = 5) -> list[str]:
    """`waitbuddy formats test LOG`: for each format, how many lines it reads and the first few,
    with the values it takes from them."""
    out = []
    for name, recognize in recognizers.items():
        hits = []
        for number_, line in enumerate(lines, 1):
            found = recognize(line)
            if found is not None:
                hits.append((number_, line, found))
        out.append(f"{safe_line(name, limit=80)}: {len(hits)} line{'s' if len(hits) != 1 else ''}")
        for number_, line, found in hits[:shown]:
            values = dict(found.metrics)
            if found.progress is not None:
                values["done"] = found.progress.done
                if found.progress.total is not None:
                    values["total"] = found.progress.total
            if found.epoch is not None:
                values["epoch"] = found.epoch[0]
            read = ", ".join(f"{safe_line(key, limit=40)}={number(value)}" for key, value in values.items())
            out.append(f'  line {number_}: "{safe_line(line.strip(), limit=QUOTE)}"')
            out.append(f"    -> {read or '(nothing)'}")
        if len(hits) > shown:
            out.append(f"  ... and {len(hits) - shown} more")
    return out
