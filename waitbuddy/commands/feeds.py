"""The feeds commands: ``waitbuddy feeds add|remove|list|refresh|import|export|items``.

Every feed title, item title, author and error is untrusted: each line printed goes through
:mod:`waitbuddy.text` (``safe_line`` for text, ``visible`` for what a person typed), and JSON through
:func:`~waitbuddy.commands.json_line`.
"""

from __future__ import annotations

import argparse
import sys
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from waitbuddy.commands import EXIT_FAILED, EXIT_OK, EXIT_USAGE, declare, error, json_line, say, write_atomically
from waitbuddy.config import Config
from waitbuddy.feeds import library
from waitbuddy.feeds.library import Entry, SourceRow
from waitbuddy.paths import Paths
from waitbuddy.store import Store
from waitbuddy.text import safe_line, visible
from waitbuddy.timefmt import iso_utc

SORTS = ("relevance", "date")


def add_parsers(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    group = commands.add_parser("feeds", parents=[common], help="arXiv and RSS/Atom feeds: add, refresh, list items",
                                description="Follow arXiv categories and searches and RSS/Atom feeds.")
    group.set_defaults(func=lambda args: _usage(group), needs_config=False)
    feeds = group.add_subparsers(title="commands", metavar="COMMAND")

    sub = declare(feeds, common, "add", cmd_add, help="follow a feed, an arXiv category or an arXiv search",
                  description='Follow SOURCE: a feed URL, arxiv:cs.LG (several: arxiv:cs.LG+stat.ML, one request) '
                  'or arxiv-search:"diffusion transformer" (field prefixes ti: au: abs: cat:, AND/OR/ANDNOT). '
                  "`waitbuddy feeds refresh` fetches it.", database=True)
    sub.add_argument("spec", metavar="SOURCE")
    sub.add_argument("--name", default="", help="shown instead of the feed's own title")
    sub.add_argument("--tag", "-t", action="append", default=[], metavar="TAG", help="a tag (repeat for several)")

    sub = declare(feeds, common, "remove", cmd_remove, help="stop following a source",
                  description="Remove a source (by the id `feeds list` shows, or as it was added) and the items "
                  "only it listed; items saved to the backlog stay.", database=True)
    sub.add_argument("source", metavar="SOURCE|ID")

    sub = declare(feeds, common, "list", cmd_list, help="list the sources and their state",
                  description="List every source: id, title, items, unread, and its last check.", database=True)
    sub.add_argument("--json", action="store_true", help="print one JSON object per source")

    sub = declare(feeds, common, "refresh", cmd_refresh, help="fetch every source now",
                  description="Fetch every source (conditional GET: unchanged feeds cost no download) and print "
                  "one line per source: new items, unchanged, fresh (the server said when to ask again), "
                  "deferred (rate limited) or error. Exit status 1 only if every source failed.", database=True)
    sub.add_argument("--force", action="store_true",
                     help="also ask sources still fresh by their Cache-Control (arXiv's is kept all the same)")
    sub.add_argument("--json", action="store_true", help="print one JSON object per source")

    sub = declare(feeds, common, "import", cmd_import, help="follow the feeds of an OPML file",
                  description="Add every feed of an OPML file (folders and categories become tags).", database=True)
    sub.add_argument("file", metavar="FILE.opml")

    sub = declare(feeds, common, "export", cmd_export, help="write the sources as OPML",
                  description="Write every source to an OPML 2.0 file ('-' for standard output), tags kept.",
                  database=True)
    sub.add_argument("file", metavar="FILE.opml")

    sub = declare(feeds, common, "items", cmd_items, help="list feed items",
                  description="List stored items (newest first, or by relevance to what you saved and read, with "
                  "the words that matched). --query uses the dashboard's filter language: words, source:NAME, "
                  "tag:T, cat:cs.LG, is:unread, -word.", database=True)
    sub.add_argument("--json", action="store_true", help="print one JSON object per item")
    sub.add_argument("--unread", action="store_true", help="only unread items")
    sub.add_argument("--source", "-s", metavar="SOURCE|ID", help="only this source's items")
    sub.add_argument("--query", "-q", nargs="+", default=[], metavar="WORDS", help="filter (see above)")
    sub.add_argument("--limit", "-n", type=_count, metavar="N", help="at most N items")
    sub.add_argument("--sort", choices=SORTS, default="date", help="order (default: date)")
    sub.add_argument("--all", action="store_true", help="include dismissed items and arXiv replacements")


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return EXIT_USAGE


def _count(value: str) -> int:
    if not value.isdigit():
        raise argparse.ArgumentTypeError(f"expected a whole number, got {value!r}")
    return int(value)


def _open(where: Paths, config: Config) -> Store:
    """The store, with [[feeds]] from the config in it."""
    store = Store.open(where.database)
    try:
        library.sync_config(store, config.feeds)
    except BaseException:
        store.close()
        raise
    return store


def cmd_add(args: argparse.Namespace, where: Paths, config: Config) -> int:
    with _open(where, config) as store:
        try:
            row, created = library.add_source(store, args.spec, name=args.name, tags=args.tag)
        except ValueError as exc:
            error(safe_line(str(exc)))
            return EXIT_USAGE
    say(f"{'added' if created else 'already there'}  {row.id}  {safe_line(row.title, limit=120)}  "
        f"{visible(row.spec, limit=200)}{_tags(row.tags)}")
    if created:
        say("  `waitbuddy feeds refresh` fetches it (the dashboard does on its own)")
    return EXIT_OK


def cmd_remove(args: argparse.Namespace, where: Paths, config: Config) -> int:
    with _open(where, config) as store:
        row = library.get_source(store, args.source)
        if row is None:
            error(f"no such source: {visible(args.source, limit=120)} (`waitbuddy feeds list` shows them)")
            return EXIT_USAGE
        if row.origin == "config":
            error(f"{visible(row.spec, limit=120)} is in the config file ({visible(str(config.path), limit=200)}): "
                  "remove its [[feeds]] entry there")
            return EXIT_USAGE
        library.remove_source(store, row.id)
    say(f"removed  {row.id}  {safe_line(row.title, limit=120)}")
    return EXIT_OK


def cmd_list(args: argparse.Namespace, where: Paths, config: Config) -> int:
    with _open(where, config) as store:
        rows = library.sources(store)
    now = library.utc_now()
    for row in rows:
        say(json_line(source_json(row)) if args.json else source_line(row, now))
    if not rows and not args.json:
        print("no feeds yet: `waitbuddy feeds add URL|arxiv:cs.LG|arxiv-search:\"...\"`", file=sys.stderr)
    return EXIT_OK


def source_line(row: SourceRow, now: datetime) -> str:
    if row.retry_at and row.retry_at > now:
        state = f"deferred until {_when(row.retry_at)}"
    elif row.error:
        state = f"error: {safe_line(row.error, limit=160)}"
    elif row.checked_at is None:
        state = "never checked"
    else:
        state = f"ok, checked {_when(row.checked_at)}"
    return (f"{row.id:>4}  {safe_line(row.title, limit=80)}  {visible(row.spec, limit=160)}  "
            f"{_count_of(row.items, 'item')}, {row.unread} unread  {state}{_tags(row.tags)}")


def _count_of(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def source_json(row: SourceRow) -> dict[str, Any]:
    return {"id": row.id, "spec": row.spec, "kind": row.kind, "url": row.url, "title": row.title, "name": row.name,
            "tags": list(row.tags), "origin": row.origin, "refresh_minutes": row.refresh_minutes,
            "items": row.items, "unread": row.unread, "error": row.error, "checked_at": _iso(row.checked_at),
            "ok_at": _iso(row.ok_at), "fresh_until": _iso(row.fresh_until), "retry_at": _iso(row.retry_at)}


def cmd_refresh(args: argparse.Namespace, where: Paths, config: Config) -> int:
    from waitbuddy.feeds.refresh import Outcome, refresh
    from waitbuddy.services import Services

    settings = config.feed_settings
    with _open(where, config) as store:
        rows = library.sources(store)
        if not rows:
            print("no feeds yet: `waitbuddy feeds add URL|arxiv:cs.LG|arxiv-search:\"...\"`", file=sys.stderr)
            return EXIT_OK
        services = Services(config, store, on_problem=lambda text: error(safe_line(text)))
        lock = threading.Lock()

        def show(outcome: Outcome) -> None:
            with lock:
                say(json_line(outcome_json(outcome)) if args.json else outcome_line(outcome))

        try:
            outcomes = refresh(store, services.http, rows, force=args.force, mute=settings.mute, on_outcome=show)
        finally:
            services.close()
        now = library.utc_now()
        pruned = library.prune(store, settings.retention_days, now)
    if pruned and not args.json:
        print(f"forgot {pruned} item{'s' if pruned != 1 else ''} no feed has listed for "
              f"{settings.retention_days} days", file=sys.stderr)
    failed = sum(outcome.status == "error" for outcome in outcomes)
    return EXIT_FAILED if outcomes and failed == len(outcomes) else EXIT_OK


def outcome_line(outcome: Any) -> str:
    title = safe_line(outcome.source.title, limit=80)
    if outcome.status == "new":
        what = f"{_count_of(outcome.new_items, 'new item')}"
    elif outcome.status == "fresh":
        what = f"fresh (skipped until {_when(outcome.until)})"
    elif outcome.status == "deferred":
        what = f"deferred until {_when(outcome.until)} ({safe_line(outcome.error, limit=120)})"
    elif outcome.status == "error":
        what = safe_line(outcome.error, limit=160)  # the status column already says "error"
    else:
        what = "unchanged"
    return f"{outcome.status:<9} {title}: {what}"


def outcome_json(outcome: Any) -> dict[str, Any]:
    return {"id": outcome.source.id, "spec": outcome.source.spec, "title": outcome.source.title,
            "status": outcome.status, "new_items": outcome.new_items, "error": outcome.error,
            "until": _iso(outcome.until), "seconds": round(outcome.seconds, 3)}


def cmd_import(args: argparse.Namespace, where: Paths, config: Config) -> int:
    from waitbuddy.feeds.opml import MAX_BYTES, OpmlError, read_opml

    path = Path(args.file)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise OpmlError(f"OPML file too large (over {MAX_BYTES // 1048576} MB)")
        found = read_opml(path.read_bytes())
    except OSError as exc:
        error(f"cannot read {visible(args.file, limit=200)}: {exc.strerror or exc}")
        return EXIT_USAGE
    except OpmlError as exc:
        error(f"{visible(args.file, limit=200)}: {safe_line(str(exc))}")
        return EXIT_USAGE
    added = already = 0
    skipped = list(found.skipped)
    with _open(where, config) as store:
        for subscription in found.subscriptions:
            try:
                _row, created = library.add_source(store, subscription.url, name=subscription.title,
                                                   tags=subscription.tags)
            except ValueError as exc:
                skipped.append(f"{subscription.url}: {exc}")
                continue
            added, already = added + created, already + (not created)
    extra = found.skipped_count - len(found.skipped)
    say(f"{visible(args.file, limit=200)}: {added} added, {already} already there, {len(skipped) + extra} skipped")
    for reason in skipped:
        say(f"  skipped {safe_line(reason, limit=300)}")
    if extra:
        say(f"  ... and {extra} more skipped")
    return EXIT_OK


def cmd_export(args: argparse.Namespace, where: Paths, config: Config) -> int:
    from waitbuddy.feeds.opml import Subscription, write_opml

    with _open(where, config) as store:
        rows = library.sources(store)
    text = write_opml([Subscription(url=row.url, title=row.title, tags=row.tags) for row in rows]).decode("utf-8")
    if args.file == "-":
        sys.stdout.write(text)
        return EXIT_OK
    target = Path(args.file)
    try:
        write_atomically(target, text)
    except OSError as exc:
        error(f"cannot write {visible(args.file, limit=200)}: {exc.strerror or exc}")
        return EXIT_USAGE
    print(f"wrote {len(rows)} feeds to {visible(args.file, limit=200)}", file=sys.stderr)
    return EXIT_OK


def cmd_items(args: argparse.Namespace, where: Paths, config: Config) -> int:
    from waitbuddy.feeds.query import EntryIndex, QueryError, parse_filter

    settings = config.feed_settings
    try:
        query = parse_filter(" ".join(args.query))
    except QueryError as exc:
        error(safe_line(str(exc)))
        return EXIT_USAGE
    with _open(where, config) as store:
        if args.source is not None and library.get_source(store, args.source) is None:
            error(f"no such source: {visible(args.source, limit=120)} (`waitbuddy feeds list` shows them)")
            return EXIT_USAGE
        found = library.entries(store, unread=True if args.unread else None, source=args.source,
                                include_dismissed=args.all, show_replacements=args.all or settings.show_replacements,
                                default_minutes=settings.refresh_minutes)
        ranker = library.ranker(store, settings.interests) if args.sort == "relevance" else None
    index = EntryIndex(found, ranker)
    chosen = index.select(query, sort=args.sort)[: args.limit]
    for entry in chosen:
        words = index.explain(entry) if ranker is not None else []
        score = index.scores.get(entry.id) if ranker is not None else None
        if args.json:
            say(json_line(entry_json(entry, score, words)))
        else:
            say(entry_line(entry, words))
    if not chosen and not args.json:
        print("no items match" if found else "no items yet: `waitbuddy feeds refresh`", file=sys.stderr)
    return EXIT_OK


def entry_line(entry: Entry, words: list[str]) -> str:
    item = entry.item
    date = entry.date
    marks = ("*" if entry.unread else " ") + ("s" if entry.saved_at else " ") + ("!" if entry.stale else " ")
    extra = f"  matches: {safe_line(', '.join(words), limit=120)}" if words else ""
    link = f"\n        {visible(item.link, limit=300)}" if item.link else ""
    return (f"{entry.id:>6} {marks} {date:%Y-%m-%d}  {safe_line(entry.source, limit=40)}  "
            f"{safe_line(item.title, limit=200)}{extra}{link}")


def entry_json(entry: Entry, score: float | None, words: list[str]) -> dict[str, Any]:
    item = entry.item
    return {"id": entry.id, "source_id": entry.source_id, "source": entry.source, "tags": list(entry.tags),
            "title": item.title, "link": item.link, "authors": list(item.authors), "published": _iso(item.published),
            "updated": _iso(item.updated), "summary": item.summary, "categories": list(item.categories),
            "arxiv_id": item.arxiv_id, "arxiv_version": item.arxiv_version, "announce_type": item.announce_type,
            "primary_category": item.primary_category, "pdf_url": item.pdf_url, "pages": item.pages,
            "first_seen_at": _iso(entry.first_seen_at), "read_at": _iso(entry.read_at),
            "saved_at": _iso(entry.saved_at), "dismissed_at": _iso(entry.dismissed_at),
            "backlog_id": entry.backlog_id, "stale": entry.stale,
            "score": None if score is None else round(score, 4), "matches": words}


def _iso(moment: datetime | None) -> str | None:
    return iso_utc(moment) or None


def _when(moment: datetime | None) -> str:
    return f"{moment.astimezone():%Y-%m-%d %H:%M}" if moment else "?"


def _tags(tags: tuple[str, ...]) -> str:
    return ("  " + safe_line(" ".join(f"#{tag}" for tag in tags), limit=200)) if tags else ""
