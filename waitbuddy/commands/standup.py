"""`waitbuddy standup`: the daily update to paste in the team channel (see add_parsers).

The report is :mod:`waitbuddy.planner.standup`'s; every text in it is already clean (and escaped
for Markdown), JSON goes through :func:`~waitbuddy.commands.json_line`.
"""

from __future__ import annotations

import argparse
import sys

from waitbuddy.commands import EXIT_OK, EXIT_USAGE, declare, error, json_line, say
from waitbuddy.config import Config
from waitbuddy.paths import Paths
from waitbuddy.text import visible

DEFAULT_SINCE = "24h"


def add_parsers(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    sub = declare(commands, common, "standup", cmd_standup, help="the daily update: what was done, what is next",
                  description="Print the update to paste in the team channel. Update: runs that ended (with "
                  "their key final and best metrics, duration and why a run failed), what you read, papers "
                  "saved, problems solved, checklist steps done and what runs taught (their notes). Next: the "
                  "runs' \"next\" notes. Times are local (the [checklist_settings] timezone, else the system's).",
                  database=True)
    sub.add_argument("--since", default=DEFAULT_SINCE, metavar="WHEN",
                     help="start of the window: 24h, 3d, 1w (back from now), or a date such as 2026-11-30 "
                     f"(its local midnight) or a time (default {DEFAULT_SINCE})")
    sub.add_argument("--format", choices=("markdown", "text"), default="markdown",
                     help="Markdown (links as [title](url); default) or plain text")
    sub.add_argument("--json", action="store_true", help="print one JSON object instead")


def cmd_standup(args: argparse.Namespace, where: Paths, config: Config) -> int:
    from waitbuddy.checklists.library import local_zone
    from waitbuddy.planner import standup
    from waitbuddy.practice import lists
    from waitbuddy.store import Store

    zone = local_zone(config.checklist_settings.timezone)
    until = standup.until_now()
    try:
        since = standup.parse_since(args.since, until, zone)
    except standup.SinceError as exc:
        error(f"--since: {exc}")
        return EXIT_USAGE
    try:
        catalog = lists.catalog(lists.expand(config.practice.lists))
    except lists.ListError as exc:  # the update still names bundled problems; say why yours are missing
        error(f"{visible(str(exc), limit=400)} (using the bundled list)")
        catalog = lists.catalog(())
    if where.database.exists():
        with Store.open(where.database) as store:
            from waitbuddy.planner.outlook import queue

            report = standup.build(store, since=since, until=until, zone=zone, catalog=catalog,
                                   queue=queue(store, config))
    else:  # nothing has happened yet: say so without creating a database
        report = standup.Standup(since=since, until=until, zone=zone)
    if args.json:
        say(json_line(standup.to_json(report)))
    else:
        sys.stdout.write(standup.to_markdown(report) if args.format == "markdown" else standup.to_text(report))
        sys.stdout.flush()
    return EXIT_OK
