"""Which run state changes deserve an alert, and what the alert says. Pure: no I/O.

One alert per transition per run; a stall re-alerts with backoff rather than at every poll,
and a run that flaps between stalled and running pays a growing quiet period; muted runs stay
silent; runs already ended when first seen (history) are not news.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from waitbuddy.runs.present import headline
from waitbuddy.runs.snapshot import RunSnapshot, SnapshotError
from waitbuddy.text import safe_line, visible
from waitbuddy.timefmt import short_duration, timestamp

COMPLETED, FAILED, INTERRUPTED, STALLED, RECOVERED, NAN, ETA, MILESTONE, DISCONNECTED = (
    "completed", "failed", "interrupted", "stalled", "recovered", "nan", "eta", "milestone", "disconnected",
)
SEVERITY = {COMPLETED: "info", FAILED: "error", NAN: "error", INTERRUPTED: "warning", STALLED: "warning",
            RECOVERED: "info", ETA: "info", MILESTONE: "info", DISCONNECTED: "warning"}
SYMBOL = {COMPLETED: "✔", FAILED: "✖", NAN: "✖", INTERRUPTED: "■", STALLED: "⏸", RECOVERED: "▶", ETA: "◷",
          MILESTONE: "◷", DISCONNECTED: "⚠"}

STALL_REPEAT_SECONDS = 1800.0  # a stall still going re-alerts after 30 min, then 1 h, 2 h, ...
FLAP_QUIET_SECONDS = 600.0  # after a stall alert, the next one waits at least this, doubling per flap
DISCONNECTED_ALERT_SECONDS = 300.0  # a remote log's link down this long is told (a blip is not news)


@dataclass(frozen=True)
class AlertEvent:
    kind: str
    path: str
    name: str
    title: str  # "bert-base finished"
    body: str  # "in 3h12m · eval_loss 0.213"
    severity: str  # info, warning, error
    at: float

    @property
    def text(self) -> str:
        """One line: "✔ bert-base finished in 3h12m · eval_loss 0.213"."""
        joiner = ": " if self.kind in (FAILED, NAN, STALLED, DISCONNECTED) else " "
        return f"{SYMBOL[self.kind]} {self.title}{joiner}{self.body}" if self.body else f"{SYMBOL[self.kind]} {self.title}"


@dataclass
class _RunMemory:
    status: str
    error: SnapshotError | None
    stall_alerts: int = 0
    last_stall_alert: float | None = None
    stall_alerted_this_time: bool = False
    eta_reminded: bool = False
    milestones: set[int] = field(default_factory=set)
    nan_alerted: bool = False  # NaN alerts once per run: a run that trains on with NaN would repeat it
    started_at: str | None = None
    disconnect_alerted: bool = False


class AlertPolicy:
    """Feed every snapshot of every run; get back the alerts they call for."""

    def __init__(self, *, eta_reminder_minutes: float = 0.0, milestones: tuple[int, ...] = (),
                 mute: tuple[str, ...] = ()) -> None:
        self.eta_reminder_seconds = eta_reminder_minutes * 60
        self.mute = mute  # shell-style patterns over run names and paths, from config
        self.milestones = tuple(sorted(milestones))
        self._runs: dict[str, _RunMemory] = {}

    def observe(self, snapshot: RunSnapshot, now: float) -> list[AlertEvent]:
        path, status, error = snapshot.path, snapshot.status, snapshot.error
        memory = self._runs.get(path)
        if memory is None:  # first sight: remember, but what already happened is not news
            self._runs[path] = _RunMemory(status=status, error=error, milestones=self._passed(snapshot),
                                          nan_alerted=error is not None and error.kind == "nan",
                                          started_at=snapshot.started_at)
            return []
        events: list[AlertEvent] = []
        if snapshot.started_at and snapshot.started_at != memory.started_at:
            memory.started_at = snapshot.started_at
            memory.nan_alerted = False  # a new run in this log (restarted or rewritten)
        previous, memory.status = memory.status, status
        previous_error, memory.error = memory.error, error
        muted = snapshot.muted or any(
            fnmatchcase(snapshot.name, pattern) or fnmatchcase(path, pattern) for pattern in self.mute
        )

        def add(kind: str, title: str, body: str) -> None:
            if not muted:
                events.append(AlertEvent(kind, path, snapshot.name, safe_line(title, limit=120),
                                         safe_line(body, limit=300), SEVERITY[kind], now))

        name = visible(snapshot.name, limit=60)
        elapsed = snapshot.elapsed_seconds
        after = f"after {short_duration(elapsed)}" if elapsed else ""
        if status == "completed" and previous != "completed":
            metric = headline(snapshot)
            took = f"in {short_duration(elapsed)}" if elapsed else ""
            add(COMPLETED, f"{name} finished", " · ".join(part for part in (took, metric) if part))
        elif (status in ("failed", "interrupted") and error is not None
              and (previous != status or _new_reason(error, previous_error))
              and not (error.kind == "nan" and memory.nan_alerted)):
            kind = NAN if error.kind == "nan" else (INTERRUPTED if status == "interrupted" else FAILED)
            memory.nan_alerted = memory.nan_alerted or kind == NAN
            verb = "interrupted" if kind == INTERRUPTED else ("hit NaN" if kind == NAN else "failed")
            title = f"{name} {verb}" + (f" {after}" if after else "")
            add(kind, title, "" if kind == INTERRUPTED else error.message)
        elif status == "stalled" and previous != "stalled":
            memory.stall_alerted_this_time = False
            if self._stall_allowed(memory, now):
                self._note_stall_alert(memory, now)
                add(STALLED, f"{name} stalled", snapshot.stall or "no output")
        elif status == "stalled" and memory.last_stall_alert is not None:
            repeat = STALL_REPEAT_SECONDS * 2 ** max(memory.stall_alerts - 1, 0)
            if now - memory.last_stall_alert >= repeat:
                self._note_stall_alert(memory, now)
                add(STALLED, f"{name} still stalled", snapshot.stall or "no output")
        elif status == "running" and previous == "stalled" and memory.stall_alerted_this_time:
            memory.stall_alerted_this_time = False
            add(RECOVERED, f"{name} is writing again", "")
        if snapshot.disconnected_since and not snapshot.ended:
            since = timestamp(snapshot.disconnected_since)
            if since is not None and now - since >= DISCONNECTED_ALERT_SECONDS and not memory.disconnect_alerted:
                memory.disconnect_alerted = True
                add(DISCONNECTED, f"{name} cannot be reached",
                    f"no link for {short_duration(now - since)}" + (f" ({snapshot.note})" if snapshot.note else ""))
        elif memory.disconnect_alerted:
            memory.disconnect_alerted = False
            add(RECOVERED, f"{name} can be reached again", "")
        if status == "running":
            events += [] if muted else self._progress_events(snapshot, memory, name, now)
        return events

    def _stall_allowed(self, memory: _RunMemory, now: float) -> bool:
        """Flapping (stalled, running, stalled, ...) earns a quiet period that doubles each time."""
        if memory.last_stall_alert is None:
            return True
        quiet = FLAP_QUIET_SECONDS * 2 ** max(memory.stall_alerts - 1, 0)
        return now - memory.last_stall_alert >= quiet

    @staticmethod
    def _note_stall_alert(memory: _RunMemory, now: float) -> None:
        memory.stall_alerts += 1
        memory.last_stall_alert = now
        memory.stall_alerted_this_time = True

    def _progress_events(self, snapshot: RunSnapshot, memory: _RunMemory, name: str, now: float) -> list[AlertEvent]:
        events = []
        eta = snapshot.eta_seconds
        if self.eta_reminder_seconds and eta is not None and 0 < eta <= self.eta_reminder_seconds and not memory.eta_reminded:
            memory.eta_reminded = True
            events.append(AlertEvent(ETA, snapshot.path, snapshot.name, f"{name}: ~{short_duration(eta)} left",
                                     "", SEVERITY[ETA], now))
        for percent in self._passed(snapshot) - memory.milestones:
            memory.milestones.add(percent)
            events.append(AlertEvent(MILESTONE, snapshot.path, snapshot.name, f"{name} is {percent}% done",
                                     "", SEVERITY[MILESTONE], now))
        return events

    def _passed(self, snapshot: RunSnapshot) -> set[int]:
        fraction = snapshot.fraction
        if fraction is None:
            return set()
        return {percent for percent in self.milestones if fraction * 100 >= percent}


def _new_reason(error: SnapshotError, previous: SnapshotError | None) -> bool:
    """A failure told again only for another kind of reason: the same end in other words (the
    log's "Slurm time limit reached", then Slurm's own "time limit (1m)") is not news."""
    return previous is None or error.kind != previous.kind or (error.kind in (None, "exception")
                                                               and error.message != previous.message)
