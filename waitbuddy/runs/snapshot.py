"""The state of a run as every consumer reads it: the Runs pane and the run view, alerts, the
CLI's JSON (`status --json`, `watch --json`) and the store.

``Run.snapshot(now)`` makes a :class:`RunSnapshot`; consumers read its attributes, so a renamed
field fails loudly (a dict key did not). Values are in their JSON form already (numbers as the
JSON shows them, a non-finite metric as "nan"/"inf"/"-inf", times as ISO 8601 UTC text), so
``to_json()`` is a plain copy and ``from_json(to_json())`` gives back an equal snapshot.

``to_json()`` is the documented JSON contract (README.md): its keys, their order and rounding do
not change. ``from_json()`` reads what the store kept, written by this or an older version: a
missing key reads as None (or empty), a damaged value is dropped, and it never raises.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from waitbuddy.runs.observe import COMPLETED, FAILED, INTERRUPTED

ENDED = (COMPLETED, FAILED, INTERRUPTED)
NON_FINITE = ("nan", "inf", "-inf")  # how a non-finite metric is written in JSON

Number = int | float
Metric = int | float | str  # a number, or one of NON_FINITE


@dataclass(frozen=True, slots=True)
class SnapshotProgress:
    """How far the run is: the innermost loop's count (``unit`` from the log), and the share of
    the whole run done (0..1, to 4 places). A finished run of unknown length has only a fraction."""

    unit: str | None
    done: Number | None
    total: Number | None
    fraction: float | None


@dataclass(frozen=True, slots=True)
class SnapshotEpoch:
    """Finished epochs, and how many the run has (None when the log does not say)."""

    done: Number | None
    total: Number | None


@dataclass(frozen=True, slots=True)
class SnapshotError:
    """Why a run failed: ``kind`` (exception, cuda_oom, nan, killed, ...) and the line that says it."""

    kind: str | None
    message: str


@dataclass(frozen=True, slots=True)
class RunSnapshot:
    path: str
    name: str
    status: str
    framework: str | None = None
    progress: SnapshotProgress | None = None
    epoch: SnapshotEpoch | None = None
    eta_seconds: float | None = None
    elapsed_seconds: float | None = None
    metrics: dict[str, Metric] = field(default_factory=dict)
    best: dict[str, Number] = field(default_factory=dict)
    error: SnapshotError | None = None
    stall: str | None = None
    note: str | None = None
    exit_code: int | None = None
    exit_signal: int | None = None
    updated_at: str | None = None
    started_at: str | None = None
    ended_at: str | None = None
    disconnected_since: str | None = None  # a log on another machine whose link is down since then
    job: str | None = None  # the Slurm job (or array task, "12_3") writing this log
    array: str | None = None  # its array's tasks, "8/10 done, 1 failed"
    # Not in the JSON: what the dashboard's watcher adds (recent headline values for the
    # sparkline, the run's id in the store, alerts muted) and when the store saved it.
    spark: tuple[float, ...] = ()
    run_id: int | None = None
    muted: bool = False
    saved_at: str | None = None

    @property
    def fraction(self) -> float | None:
        """The share of the whole run done (0..1), or None when the log does not tell."""
        return None if self.progress is None else self.progress.fraction

    @property
    def ended(self) -> bool:
        """Completed, failed or interrupted."""
        return self.status in ENDED

    def to_json(self) -> dict:
        """The JSON object `status --json` and `watch --json` print and the store keeps."""
        progress, epoch, error = self.progress, self.epoch, self.error
        return {
            "path": self.path,
            "name": self.name,
            "status": self.status,
            "framework": self.framework,
            "progress": None if progress is None else {"unit": progress.unit, "done": progress.done,
                                                        "total": progress.total, "fraction": progress.fraction},
            "epoch": None if epoch is None else {"done": epoch.done, "total": epoch.total},
            "eta_seconds": self.eta_seconds,
            "elapsed_seconds": self.elapsed_seconds,
            "metrics": dict(self.metrics),
            "best": dict(self.best),
            "error": None if error is None else {"kind": error.kind, "message": error.message},
            "stall": self.stall,
            "note": self.note,
            "exit_code": self.exit_code,
            "exit_signal": self.exit_signal,
            "updated_at": self.updated_at,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "disconnected_since": self.disconnected_since,
            "job": self.job,
            "array": self.array,
        }

    @classmethod
    def from_json(cls, data: object) -> RunSnapshot:
        """A snapshot from its JSON form as stored (``saved_at`` too), by this version or an older
        one. Tolerant: what is missing or damaged reads as None or empty; never raises."""
        if not isinstance(data, Mapping):
            data = {}
        return cls(
            path=_text(data.get("path")) or "",
            name=_text(data.get("name")) or "",
            status=_text(data.get("status")) or "",
            framework=_text(data.get("framework")),
            progress=_progress(data.get("progress")),
            epoch=_epoch(data.get("epoch")),
            eta_seconds=_number(data.get("eta_seconds")),
            elapsed_seconds=_number(data.get("elapsed_seconds")),
            metrics=_metrics(data.get("metrics")),
            best={name: value for name, value in _pairs(data.get("best")) if _number(value) is not None},
            error=_error(data.get("error")),
            stall=_text(data.get("stall")),
            note=_text(data.get("note")),
            exit_code=_integer(data.get("exit_code")),
            exit_signal=_integer(data.get("exit_signal")),
            updated_at=_time(data.get("updated_at")),
            started_at=_time(data.get("started_at")),
            ended_at=_time(data.get("ended_at")),
            disconnected_since=_time(data.get("disconnected_since")),
            job=_text(data.get("job")),
            array=_text(data.get("array")),
            saved_at=_time(data.get("saved_at")),
        )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _number(value: object) -> Number | None:
    """A finite JSON number (a bool is not one), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value if isinstance(value, int) or math.isfinite(value) else None


def _integer(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _time(value: object) -> str | None:
    """An ISO 8601 UTC time as ``present.iso`` writes it, else None (so readers can parse it)."""
    if not isinstance(value, str):
        return None
    try:
        datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return None
    return value


def _pairs(value: object) -> list[tuple[str, object]]:
    if not isinstance(value, Mapping):
        return []
    return [(name, item) for name, item in value.items() if isinstance(name, str)]


def _metrics(value: object) -> dict[str, Metric]:
    return {name: item for name, item in _pairs(value) if _number(item) is not None or item in NON_FINITE}


def _progress(value: object) -> SnapshotProgress | None:
    if not isinstance(value, Mapping):
        return None
    return SnapshotProgress(unit=_text(value.get("unit")), done=_number(value.get("done")),
                            total=_number(value.get("total")), fraction=_number(value.get("fraction")))


def _epoch(value: object) -> SnapshotEpoch | None:
    if not isinstance(value, Mapping):
        return None
    return SnapshotEpoch(done=_number(value.get("done")), total=_number(value.get("total")))


def _error(value: object) -> SnapshotError | None:
    if not isinstance(value, Mapping):
        return None
    return SnapshotError(kind=_text(value.get("kind")), message=_text(value.get("message")) or "")
