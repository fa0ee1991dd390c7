"""Sends alerts through every enabled channel, each on its own thread and queue, so that a
slow or broken channel (a push server timing out) never delays or blocks another one."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterable

from waitbuddy.alerts.channel import FAILED, Channel, Delivery
from waitbuddy.alerts.events import AlertEvent

Report = Callable[[AlertEvent, Delivery], None]
QUEUE_LIMIT = 100  # per channel; beyond it the oldest alerts are dropped, not the caller blocked


class Alerter:
    def __init__(self, channels: Iterable[Channel], *, report: Report | None = None) -> None:
        self._report = report
        self._workers = [_Worker(channel, self._deliver, self._tell) for channel in channels]

    @property
    def channels(self) -> list[str]:
        return [worker.channel.name for worker in self._workers]

    def submit(self, events: Iterable[AlertEvent]) -> None:
        """Queue alerts; returns at once."""
        for event in events:
            for worker in self._workers:
                worker.put(event)

    def close(self, timeout: float = 5.0) -> None:
        """Deliver what is queued within ``timeout`` (all channels together), then stop the threads.

        Alerts a channel is still sending or has not reached by then are reported failed: an
        exit must not lose them silently, nor wait for a push server that answers slowly.
        """
        deadline = time.monotonic() + timeout
        for worker in self._workers:
            worker.put(None)
        for worker in self._workers:
            worker.thread.join(max(deadline - time.monotonic(), 0.0))
        for worker in self._workers:
            if worker.thread.is_alive():
                failed = Delivery(worker.channel.name, FAILED,
                                  f"not sent: still trying after {timeout:g} s when waitbuddy stopped")
                for event in worker.abandon(failed):
                    self._tell(event, failed)

    def _deliver(self, channel: Channel, event: AlertEvent) -> Delivery:
        try:
            return channel.send(event)
        except Exception as exc:  # noqa: BLE001 - a channel bug must not take the others down
            return Delivery(channel.name, FAILED, f"{type(exc).__name__}: {exc}"[:200])

    def _tell(self, event: AlertEvent, delivery: Delivery) -> None:
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
    def __init__(self, channel: Channel, deliver: Callable[[Channel, AlertEvent], Delivery], report: Report) -> None:
        self.channel = channel
        self.queue: queue.Queue[AlertEvent | None] = queue.Queue()
        self._lock = threading.Lock()
        self._current: AlertEvent | None = None  # being sent right now
        self._abandoned: Delivery | None = None  # close() gave up on this channel: what to report instead
        self.thread = threading.Thread(target=self._run, args=(deliver, report), name=f"alert-{channel.name}",
                                       daemon=True)
        self.thread.start()

    def put(self, event: AlertEvent | None) -> None:
        if event is not None and self.queue.qsize() >= QUEUE_LIMIT:
            try:
                self.queue.get_nowait()  # drop the oldest: a dead channel must not grow memory
            except queue.Empty:
                pass
        self.queue.put(event)

    def abandon(self, failed: Delivery) -> list[AlertEvent]:
        """Stop sending; -> the alert being sent and those still queued, for the caller to report ``failed``."""
        with self._lock:
            self._abandoned = failed
            left = [self._current] if self._current is not None else []
            self._current = None
        while True:
            try:
                event = self.queue.get_nowait()
            except queue.Empty:
                return left
            if event is not None:
                left.append(event)

    def _run(self, deliver: Callable[[Channel, AlertEvent], Delivery], report: Report) -> None:
        while (event := self.queue.get()) is not None:
            with self._lock:
                abandoned = self._abandoned
                self._current = event if abandoned is None else None
            if abandoned is not None:  # taken off the queue just as close() emptied it
                report(event, abandoned)
                return
            delivery = deliver(self.channel, event)
            with self._lock:
                if self._abandoned is not None:
                    return  # already reported as not sent; a late outcome would contradict it
                self._current = None
            report(event, delivery)
