"""The reading backlog's commands: add, backlog, import, export, fetch."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from waitbuddy.commands import EXIT_FAILED, EXIT_OK, EXIT_USAGE, declare, error, json_line, say, write_atomically
from waitbuddy.config import Config
from waitbuddy.paths import Paths
from waitbuddy.reading import backlog
from waitbuddy.reading.model import KINDS, PRIORITY_MAX, STATUSES, Item
from waitbuddy.reading.present import describe, item_json, item_line
from waitbuddy.reading.query import SORTS, QueryError, parse_query, select
from waitbuddy.store import Store
from waitbuddy.text import safe_line

EXPORT_FORMATS = ("html", "csv", "json")


def add_parsers(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    sub = declare(
        commands, common, "add", cmd_add, help="save a link to the reading backlog",
        description="Save one or more http(s) links to the backlog at once, then fetch each page's title "
        "and length (skip with --no-fetch; offline, the link stays saved and is fetched later).",
        database=True,
    )
    sub.add_argument("urls", nargs="+", metavar="URL")
    sub.add_argument("--tag", "-t", action="append", default=[], metavar="TAG", help="a tag (repeat for several)")
    sub.add_argument("--note", "-n", default="", help="a note to keep with it")
    sub.add_argument("--priority", "-p", type=_priority, default=0, metavar="0-3",
                     help="0 (default) to 3 (most important)")
    sub.add_argument("--kind", choices=KINDS, help="what it is (default: from the URL and the page)")
    sub.add_argument("--no-fetch", action="store_true", help="don't fetch the page now")

    sub = declare(
        commands, common, "backlog", cmd_backlog, help="list the reading backlog",
        description="List backlog items (by default unread and reading ones). QUERY uses the dashboard's "
        "filter language: words to search for, tag:T or #T, kind:K, status:S, fits:MIN, age:>DAYS, "
        "-word to exclude (put -- before a query that starts with -: waitbuddy backlog -- -tag:later).",
        database=True,
    )
    sub.add_argument("query", nargs="*", metavar="QUERY", help="filter words (see above)")
    sub.add_argument("--json", action="store_true", help="print one JSON object per item")
    sub.add_argument("--status", "-s", metavar="S", help=f"one of {', '.join(STATUSES)} or all (comma-separated)")
    sub.add_argument("--tag", "-t", metavar="T", help="only items with this tag")
    sub.add_argument("--kind", "-k", choices=KINDS, help="only this kind")
    sub.add_argument("--fits", type=_minutes, metavar="MINUTES", help="only items known to take at most this long")
    sub.add_argument("--fits-wait", action="store_true",
                     help="only items that fit in the time left on the running job (its ETA, as the dashboard saw it)")
    sub.add_argument("--search", metavar="TEXT", default="", help="text in the title, URL, note or tags")
    sub.add_argument("--sort", choices=SORTS, default="priority", help="order (default: priority, then oldest)")
    sub.add_argument("--limit", type=int, metavar="N", help="at most N items")

    sub = declare(
        commands, common, "import", cmd_import, help="import bookmarks (browser, Pocket, Raindrop, Omnivore, URL list)",
        description="Import a bookmark export into the backlog. The format is detected from the content: "
        "Netscape bookmark HTML (Chrome, Firefox, Safari, linkding, Pinboard), Pocket CSV, zip or HTML, "
        "Raindrop CSV, Omnivore JSON or zip, waitbuddy's own CSV/JSON export, or a list of URLs. Importing "
        "the same file again adds nothing. Original save dates and read/archived state are kept.",
        database=True,
    )
    sub.add_argument("file", metavar="FILE")
    sub.add_argument("--source", help="name recorded as the items' source (default: the format)")

    sub = declare(
        commands, common, "export", cmd_export, help="export the backlog (browser HTML, CSV or JSON)",
        description="Write every backlog item to FILE ('-' for standard output): Netscape bookmark HTML "
        "(imports into any browser), CSV or JSON, chosen by --format or the file's extension.",
        database=True,
    )
    sub.add_argument("file", metavar="FILE")
    sub.add_argument("--format", "-f", choices=EXPORT_FORMATS, help="default: from the extension, else html")

    sub = declare(
        commands, common, "fetch", cmd_fetch, help="fetch titles and lengths of saved pages now",
        description="Fetch page metadata (title, length, kind) for backlog items still waiting for it: links "
        "added while offline, or with --all also imported ones. The dashboard does this by itself.",
        database=True,
    )
    sub.add_argument("--all", action="store_true", help="include imported items")
    sub.add_argument("--limit", type=int, default=100, metavar="N", help="at most N pages (default 100)")


def _priority(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected 0 to {PRIORITY_MAX}, got {value!r}") from None
    if not 0 <= number <= PRIORITY_MAX:
        raise argparse.ArgumentTypeError(f"expected 0 to {PRIORITY_MAX}, got {number}")
    return number


def _minutes(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected whole minutes, got {value!r}") from None
    if number < 0:
        raise argparse.ArgumentTypeError("expected zero or more minutes")
    return number


def cmd_add(args: argparse.Namespace, where: Paths, config: Config) -> int:
    from waitbuddy.reading.enrich import fetch_one

    fetch = config.backlog.fetch != "off" and not args.no_fetch
    saved: list[Item] = []
    status = EXIT_OK
    with Store.open(where.database) as store:
        for url in args.urls:
            try:
                item, created = backlog.add_url(store, url, tags=args.tag, note=args.note, priority=args.priority,
                                                fetch=fetch)
            except backlog.BadUrl as exc:
                error(str(exc))
                status = EXIT_USAGE
                continue
            if args.kind:
                backlog.update(store, [item.id], "kind", kind=args.kind)
            say(("added    " if created else "already saved (tags/note merged)  ") + item.url)
            if created or item.fetch_state != "done":
                saved.append(item)
        if not fetch or not saved:
            return status
        from waitbuddy.reading.metadata import make_client

        client = make_client()
        for item in saved:
            try:
                stored = fetch_one(store, client, item, words_per_minute=config.backlog.words_per_minute)
            except KeyboardInterrupt:
                say("interrupted; saved links will be fetched later (`waitbuddy fetch`, or the dashboard)")
                return 130
            if stored is not None:
                say("  " + describe(stored))
    return status


def cmd_backlog(args: argparse.Namespace, where: Paths, config: Config) -> int:
    if args.fits_wait and args.fits is not None:
        error("--fits and --fits-wait: give one")
        return EXIT_USAGE
    try:
        query = parse_query(" ".join([*args.query, args.search]), fits=args.fits, status=args.status,
                            tag=args.tag, kind=args.kind)
    except QueryError as exc:
        error(str(exc))
        return EXIT_USAGE
    if not where.database.exists():
        if args.fits_wait:
            error("no running job with an ETA: `waitbuddy backlog --fits MINUTES` instead")
            return EXIT_FAILED
        if not args.json:
            print("the backlog is empty: `waitbuddy add URL` or `waitbuddy import FILE`", file=sys.stderr)
        return EXIT_OK
    with Store.open(where.database) as store:
        if args.fits_wait:
            from waitbuddy.runs.registry import minutes_left

            if (fits := minutes_left(store, time.time())) is None:
                error("no running job with an ETA: `waitbuddy backlog --fits MINUTES` instead")
                return EXIT_FAILED
            query = parse_query(" ".join([*args.query, args.search]), fits=fits, status=args.status,
                                tag=args.tag, kind=args.kind)
        backlog.recompute_minutes(store, config.backlog.words_per_minute)  # the speed may have changed
        items = backlog.load_items(store)
    now = backlog.utc_now()
    chosen = select(items, query, sort=args.sort, now=now)[: args.limit]
    for item in chosen:
        say(json_line(item_json(item)) if args.json else item_line(item, now))
    if not chosen and not args.json:
        print("no items match" if items else "the backlog is empty: `waitbuddy add URL` or `waitbuddy import FILE`",
              file=sys.stderr)
    return EXIT_OK


def cmd_import(args: argparse.Namespace, where: Paths, config: Config) -> int:
    from waitbuddy.reading.importers import stream_file
    from waitbuddy.reading.model import ImportFailed

    try:
        parsed = stream_file(Path(args.file))  # recognised now; its bookmarks are read as they are stored
        with Store.open(where.database) as store:
            # One transaction: a problem found further into the file raises here and nothing is kept.
            report = backlog.import_bookmarks(store, parsed, source=args.source or parsed.format,
                                              fetch=config.backlog.fetch == "all")
    except ImportFailed as exc:
        error(str(exc))
        return EXIT_USAGE
    print(f"{safe_line(args.file, limit=500)} ({parsed.format}): {report.summary()}")
    for invalid in report.invalid[:50]:
        print(f"  line {invalid.line}: {safe_line(invalid.reason)}")
    if len(report.invalid) > 50:
        print(f"  ... and {len(report.invalid) - 50} more invalid entries")
    return EXIT_OK


def export_text(items: list[Item], kind: str) -> str:
    from waitbuddy.reading import export

    writer = {"html": export.export_netscape, "csv": export.export_csv, "json": export.export_json}[kind]
    return writer(items)


def cmd_export(args: argparse.Namespace, where: Paths, config: Config) -> int:
    kind = args.format or {".csv": "csv", ".json": "json"}.get(Path(args.file).suffix.lower(), "html")
    items: list[Item] = []
    if where.database.exists():
        with Store.open(where.database) as store:
            items = backlog.load_items(store)
    text = export_text(items, kind)
    if args.file == "-":
        sys.stdout.write(text)
        return EXIT_OK
    target = Path(args.file)
    try:
        write_atomically(target, text)
    except OSError as exc:
        error(f"cannot write {target}: {exc.strerror or exc}")
        return EXIT_USAGE
    print(f"wrote {len(items)} items to {target} ({kind})", file=sys.stderr)
    return EXIT_OK


def cmd_fetch(args: argparse.Namespace, where: Paths, config: Config) -> int:
    from waitbuddy.reading.enrich import fetch_pending
    from waitbuddy.reading.metadata import make_client

    if not where.database.exists():
        print("the backlog is empty", file=sys.stderr)
        return EXIT_OK
    with Store.open(where.database) as store:
        tried = fetch_pending(store, make_client(), words_per_minute=config.backlog.words_per_minute,
                              include_imported=args.all, limit=args.limit,
                              on_item=lambda item: say(f"{item.url}\n  {describe(item)}"))
    print(f"fetched {tried} page{'s' if tried != 1 else ''}", file=sys.stderr)
    return EXIT_OK
