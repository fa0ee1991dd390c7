"""The checklists commands: ``waitbuddy checklists [--due] [--json]``, ``checklists done|snooze|add``.

Titles and list names the person or a config wrote are shown through :mod:`waitbuddy.text`
(``safe_line``), JSON through :func:`~waitbuddy.commands.json_line`.
"""

from __future__ import annotations

import argparse

from waitbuddy.checklists import library
from waitbuddy.checklists.library import Item
from waitbuddy.commands import EXIT_FAILED, EXIT_OK, EXIT_USAGE, declare, error, json_line, say
from waitbuddy.config import Config
from waitbuddy.paths import Paths
from waitbuddy.store import Store
from waitbuddy.text import safe_line, visible
from waitbuddy.timefmt import iso_utc


def add_parsers(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    group = declare(commands, common, "checklists", cmd_list, help="recurring checklists: profile, community, runs",
                    description="List checklist items with their due state, when each was last done and its "
                    "estimate. Items come due again at their period boundary (daily, weekly, monthly, quarterly, "
                    "every N days, or per training run); every completion is kept.", database=True)
    group.add_argument("--due", action="store_true", help="only items due now")
    group.add_argument("--json", action="store_true", help="print one JSON object per item")
    sub_commands = group.add_subparsers(title="commands", metavar="COMMAND")

    sub = declare(sub_commands, common, "done", cmd_done, help="mark an item done",
                  description="Record a completion of ITEM (the id or key `waitbuddy checklists` shows).",
                  database=True)
    sub.add_argument("item", metavar="ITEM")

    sub = declare(sub_commands, common, "snooze", cmd_snooze, help="hide a due item for some days",
                  description="ITEM is not due for N days.", database=True)
    sub.add_argument("item", metavar="ITEM")
    sub.add_argument("--days", type=int, default=1, metavar="N", help="days (default 1, at most 365)")

    sub = declare(sub_commands, common, "add", cmd_add, help="add an item to a list",
                  description="Add an item to LIST (a list's name or key; a new name starts a new list).",
                  database=True)
    sub.add_argument("list", metavar="LIST")
    sub.add_argument("title", metavar="TITLE")
    sub.add_argument("--minutes", type=int, default=15, metavar="N", help="estimate (default 15)")
    sub.add_argument("--every", default="weekly",
                     help='daily, weekly, monthly, quarterly, "every N days" or "per run" (default weekly)')


def _open(where: Paths, config: Config) -> Store:
    """The store, with the built-in lists and [[checklists]] from the config in it."""
    store = Store.open(where.database)
    try:
        library.sync(store, config)
    except BaseException:
        store.close()
        raise
    return store


def _state(item: Item) -> str:
    if item.due:
        return "due"
    if item.snoozed_until is not None:
        return "snoozed"
    return "next run" if item.waiting_for_run else "done"


def cmd_list(args: argparse.Namespace, where: Paths, config: Config) -> int:
    zone = library.local_zone(config.checklist_settings.timezone)
    now = library.utc_now()
    with _open(where, config) as store:
        found = library.items(store, now=now, zone=zone)
    if args.due:
        found = [item for item in found if item.due]
    for name, members in library.grouped(found):
        if not args.json:
            say(safe_line(name, limit=80))
        for item in members:
            if args.json:
                say(json_line({
                    "id": item.id, "key": item.key, "list": item.list_name, "title": item.title,
                    "minutes": item.minutes, "every": item.recurrence, "state": _state(item), "due": item.due,
                    "last_done": iso_utc(item.last_done) or None, "done_count": len(item.completions),
                    "streak": item.streak, "custom": item.custom,
                    "snoozed_until": iso_utc(item.snoozed_until) or None}))
                continue
            last = library.ago(item.last_done, now, zone)
            say(f"  {item.id:>3}  {_state(item):<8}  {item.minutes:>3} min  {safe_line(item.title, limit=90)}"
                f"  ({item.recurrence}; last done {last}{f'; streak {item.streak}' if item.streak > 1 else ''})")
    return EXIT_OK


def _find(store: Store, ref: str) -> Item | None:
    found = library.get(store, ref)
    if found is None:
        error(f"no checklist item {visible(ref, limit=80)} (see `waitbuddy checklists`)")
    return found


def cmd_done(args: argparse.Namespace, where: Paths, config: Config) -> int:
    with _open(where, config) as store:
        if (item := _find(store, args.item)) is None:
            return EXIT_FAILED
        library.complete(store, item.id)
    say(f"done  {item.id}  {safe_line(item.title, limit=120)}  ({item.recurrence})")
    return EXIT_OK


def cmd_snooze(args: argparse.Namespace, where: Paths, config: Config) -> int:
    with _open(where, config) as store:
        if (item := _find(store, args.item)) is None:
            return EXIT_FAILED
        try:
            library.snooze(store, item.id, args.days)
        except ValueError as exc:
            error(str(exc))
            return EXIT_USAGE
    say(f"snoozed  {item.id}  {safe_line(item.title, limit=120)}  for {args.days} day{'s' * (args.days != 1)}")
    return EXIT_OK


def cmd_add(args: argparse.Namespace, where: Paths, config: Config) -> int:
    with _open(where, config) as store:
        try:
            item, _ = library.add(store, args.list, args.title, minutes=args.minutes, every=args.every)
        except ValueError as exc:
            error(safe_line(str(exc)))
            return EXIT_USAGE
    say(f"added  {item.id}  {safe_line(item.list_name, limit=80)}: {safe_line(item.title, limit=120)}  "
        f"({item.minutes} min, {item.recurrence})")
    return EXIT_OK
