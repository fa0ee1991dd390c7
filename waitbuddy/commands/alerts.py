"""`waitbuddy notify --test`: one test alert through every channel, and what became of it."""

from __future__ import annotations

import argparse
import os
import time

from waitbuddy.commands import EXIT_FAILED, EXIT_OK, declare, say
from waitbuddy.config import Config
from waitbuddy.paths import Paths


def add_parsers(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    sub = declare(
        commands, common, "notify", cmd_notify, help="send a test alert through every enabled channel",
        description="Send a test alert through every alert channel and report, per channel, whether it was "
        "sent, skipped (and why) or failed (and why). Configure channels in the [alerts] table.",
    )
    sub.add_argument("--test", action="store_true", required=True, help="send the test alert")


def cmd_notify(args: argparse.Namespace, where: Paths, config: Config) -> int:
    from waitbuddy.alerts.dispatch import send_now
    from waitbuddy.alerts.events import AlertEvent
    from waitbuddy.alerts.setup import build_channels

    event = AlertEvent("completed", "", "waitbuddy", "waitbuddy test alert", "if you read this, alerts reach you",
                       "info", time.time())
    results = send_now(build_channels(config.alerts, os.environ), event)
    for delivery in results:
        say(str(delivery))
    return EXIT_OK if any(delivery.outcome == "sent" for delivery in results) else EXIT_FAILED
