"""Quit time of the dashboard with an alert queued for a push server that hangs (issue 12).

    python bench/quit.py

The app quits while one channel blocks for 30 s; quitting gives queued alerts 0.3 s
(services.QUIT_ALERT_SECONDS) and must never wait on the network. Target < 0.5 s.
"""

import asyncio
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from waitbuddy import config
from waitbuddy.alerts.channel import Delivery
from waitbuddy.alerts.dispatch import Alerter
from waitbuddy.alerts.events import AlertEvent
from waitbuddy.store import Store
from waitbuddy.tui.app import WaitBuddy
from waitbuddy.tui.widgets.runs_pane import RunsArea

release = threading.Event()


class Hanging:
    name = "hanging"

    def send(self, event):
        release.wait(30)
        return Delivery(self.name, "sent", "")


async def main():
    times = []
    for _ in range(5):
        d = tempfile.mkdtemp()
        with Store.open(Path(d) / "w.db") as store:
            app = WaitBuddy(config=config.parse(""), store=store)
            async with app.run_test(size=(80, 24)) as pilot:
                pane = app.query_one(RunsArea)
                while pane.alerter is None:
                    await pilot.pause(0.05)
                pane.alerter.close(timeout=0)
                pane.alerter = app.services._alerter = Alerter([Hanging()])
                pane.alerter.submit([AlertEvent("failed", "/x.log", "x", "x failed", "", "error", time.time())])
                await pilot.pause(0.1)
                started = time.monotonic()
                app.exit()
            times.append(time.monotonic() - started)
    print("quit with a hanging endpoint:", ", ".join(f"{t:.2f}" for t in times))
    release.set()


asyncio.run(main())
