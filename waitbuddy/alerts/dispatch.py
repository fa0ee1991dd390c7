"""Sends alerts through every enabled channel, each on its own thread and queue, so that a
slow or broken channel (a push server timing out) never delays or blocks another one."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable

from waitbuddy.alerts.channel import FAILED, Channel, Delivery
from waitbuddy.alerts.events import AlertEvent

Report = Callable[[AlertEvent, Delivery], None]
QUEUE_LIMIT = 100  # per channel; beyond it the oldest alerts are dropped, not the caller blocked


class Alerter:
    def __init__(self, channels: Iterable[Channel], *, report: Report | None = None) -> None:
        self._report = report
        self._workers = [_Worker(channel, self._deliver) for channel in channels]

    @property
    def channels(self) -> list[str]:
        return [worker.channel.name for worker in self._workers]

    def submit(self, events: Iterable[AlertEvent]) -> None:
        """Queue alerts; returns at once."""
        for event in events:
            for worker in self._workers:
                worker.put(event)

    def close(self, timeout: float = 5.0) -> None:
        """Deliver what is queued (within ``timeout`` per channel), then stop the threads."""
        for worker in self._workers:
            worker.put(None)
        for worker in self._workers:
            worker.thread.join(timeout)

    def _deliver(self, channel: Channel, event: AlertEvent) -> None:
        try:
            delivery = channel.send(event)
        except Exception as exc:  # noqa: BLE001 - a channel bug must not take the others down
            delivery = Delivery(channel.name, FAILED, f"{type(exc).__name__}: {exc}"[:200])
        if self._report is not None:
            self._report(event, delivery)


def send_now(channels: Iterable[Channel], event: AlertEvent) -> list[Delivery]:
    """Every channel at once (threads), waiting for all: `waitbuddy notify --test`."""
    results: dict[int, Delivery] = {}
    channels = list(channels)

    def run(index: int, channel: Channel) -> None:
        try:
            results[index] = channel.send(event)
        except Exception as exc:  # noqa: BLE001
            results[index] = Delivery(channel.name, FAILED, f"{type(exc).__name__}: {exc}"[:200])

    threads = [threading.Thread(target=run, args=(index, channel), daemon=True) for index, channel in enumerate(channels)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return [results.get(index, Delivery(channel.name, FAILED, "did not answer within 60 s"))
            for index, channel in enumerate(channels)]


class _Worker:
    def __init__(self, channel: Channel, deliver: Callable[[Channel, AlertEvent], None]) -> None:
        self.channel = channel
        self.queue: queue.Queue[AlertEvent | None] = queue.Queue()
        self.thread = threading.Thread(target=self._run, args=(deliver,), name=f"alert-{channel.name}", daemon=True)
        self.thread.start()

    def put(self, event: AlertEvent | None) -> None:
        if event is not None and self.queue.qsize() >= QUEUE_LIMIT:
            try:
                self.queue.get_nowait()  # drop the oldest: a dead channel must not grow memory
            except queue.Empty:
                pass
        self.queue.put(event)

    def _run(self, deliver: Callable[[Channel, AlertEvent], None]) -> None:
        while (event := self.queue.get()) is not None:
            deliver(self.channel, event)
