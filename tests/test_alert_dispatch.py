import threading
import time

from waitbuddy.alerts.channel import FAILED, SENT, Delivery
from waitbuddy.alerts.dispatch import Alerter, send_now
from waitbuddy.alerts.events import AlertEvent

EVENT = AlertEvent("failed", "/r/a.log", "a", "a failed", "boom", "error", 0.0)


class Recorder:
    def __init__(self, name, delay=0.0, error=None):
        self.name, self.delay, self.error = name, delay, error
        self.sent: list[float] = []

    def send(self, event):
        if self.delay:
            time.sleep(self.delay)
        if self.error:
            raise self.error
        self.sent.append(time.monotonic())
        return Delivery(self.name, SENT)


def test_a_slow_channel_does_not_delay_the_others():
    slow, fast = Recorder("slow", delay=2.0), Recorder("fast")
    reports = []
    alerter = Alerter([slow, fast], report=lambda event, delivery: reports.append(delivery))
    started = time.monotonic()
    alerter.submit([EVENT])
    assert time.monotonic() - started < 0.1  # submit never waits
    deadline = time.monotonic() + 2
    while not fast.sent:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert fast.sent[0] - started < 0.5 and not slow.sent
    alerter.close()
    assert slow.sent and {delivery.channel for delivery in reports} == {"slow", "fast"}


def test_a_channel_that_raises_is_reported_and_the_others_still_deliver():
    broken, fine = Recorder("broken", error=RuntimeError("bug")), Recorder("fine")
    reports = []
    alerter = Alerter([broken, fine], report=lambda event, delivery: reports.append(delivery))
    alerter.submit([EVENT, EVENT])
    alerter.close()
    assert len(fine.sent) == 2
    failures = [delivery for delivery in reports if delivery.channel == "broken"]
    assert [delivery.outcome for delivery in failures] == [FAILED, FAILED]
    assert failures[0].reason == "RuntimeError: bug"


def test_send_now_reports_every_channel():
    results = send_now([Recorder("a"), Recorder("b", error=OSError("no tty"))], EVENT)
    assert [(delivery.channel, delivery.outcome) for delivery in results] == [("a", SENT), ("b", FAILED)]


def test_close_stops_the_threads():
    before = threading.active_count()
    alerter = Alerter([Recorder("a"), Recorder("b")])
    alerter.close()
    assert threading.active_count() == before
