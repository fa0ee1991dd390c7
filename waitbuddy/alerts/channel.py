"""What every alert channel is: a name and a send() that never raises and says what happened."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from waitbuddy.alerts.events import AlertEvent

SENT, SKIPPED, FAILED = "sent", "skipped", "failed"


@dataclass(frozen=True)
class Delivery:
    channel: str
    outcome: str  # SENT, SKIPPED or FAILED
    reason: str = ""  # why skipped or failed, one short line

    def __str__(self) -> str:
        return f"{self.channel}: {self.outcome}" + (f" ({self.reason})" if self.reason else "")


class Channel(Protocol):
    name: str

    def send(self, event: AlertEvent) -> Delivery:
        """Deliver one alert. Must not raise and must not block for long (bounded timeouts)."""
        ...
