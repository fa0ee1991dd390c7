"""Fetch sources through the one polite client and store what they hold.

- **Politeness**: every request goes through the process's one :class:`waitbuddy.net.Client`
  (``Services.http``), so arXiv's one-request-every-3-seconds clock and each host's concurrency
  are shared with everything else that fetches (the backlog's pages). Sources are grouped by the
  client's host key and each group gets as many lanes as its host allows; lanes run on a thread
  pool, so different hosts go in parallel while one host is never queued against its own limit
  (a queued arXiv call would spend its time budget waiting for its turn).
- **Caching**: a stored ETag / Last-Modified makes the request conditional; a 304 costs no parse.
  ``Cache-Control: max-age`` is stored as ``fresh_until`` and the source is not asked again
  before then (``force`` asks anyway, except arXiv, whose max-age runs to its next announcement).
  A 429/503 whose Retry-After will not fit in :data:`MAX_WAIT` defers the source (``retry_at``)
  instead of sleeping through it, even when forced.
- **Failure stays local**: a timeout, a body over :data:`MAX_FEED_BYTES` after decompression, an
  HTML page, an entity bomb, an arXiv API error entry: that source's ``error`` is set, its last
  good items stay, the other sources go on. An empty feed (arXiv at the weekend) is ``unchanged``.
- **Mute** words and phrases (``[feed_settings] mute``) drop matching items before they are stored.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from waitbuddy import net
from waitbuddy.feeds import arxiv, library, parse
from waitbuddy.feeds.library import SourceRow
from waitbuddy.feeds.model import FeedItem
from waitbuddy.feeds.rank import phrase_matcher
from waitbuddy.store import Store
from waitbuddy.text import safe_line

STATUSES = ("new", "unchanged", "fresh", "deferred", "error")
MAX_FEED_BYTES = 10 * 1024 * 1024  # after decompression; a longer body is an error, not a truncation
BUDGET = 30.0  # seconds for one source, every attempt and wait included
MAX_WAIT = 10.0  # a Retry-After or backoff longer than this defers the source instead
WORKERS = 32  # threads; a host gets as many lanes as its limit allows, so more workers only overlap more hosts
ACCEPT = "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, application/xml;q=0.8, text/xml;q=0.8, */*;q=0.1"


@dataclass(frozen=True)
class Outcome:
    source: SourceRow  # as stored after this check (its item counts are re-read only when items came)
    status: str  # one of STATUSES
    new_items: int = 0
    error: str | None = None  # why, for "error" and "deferred"
    seconds: float = 0.0
    until: datetime | None = None  # "fresh": not asked before then; "deferred": retried after then
    parse_seconds: float = 0.0  # of ``seconds``: reading the document
    store_seconds: float = 0.0  # of ``seconds``: writing it


def due(sources: Sequence[SourceRow], now: datetime, *,
        default_minutes: int = library.DEFAULT_REFRESH_MINUTES) -> list[SourceRow]:
    """Sources whose interval has passed and that are neither fresh nor deferred at ``now``."""
    return [source for source in sources
            if not (source.retry_at and source.retry_at > now) and not (source.fresh_until and source.fresh_until > now)
            and (source.checked_at is None or source.checked_at + source.interval(default_minutes) <= now)]


def refresh(store: Store, client: net.Client, sources: Sequence[SourceRow], *, now: datetime | None = None,
            force: bool = False, workers: int = WORKERS, budget: float = BUDGET, mute: Sequence[str] = (),
            on_outcome: Callable[[Outcome], None] | None = None,
            stop: threading.Event | None = None) -> list[Outcome]:
    """Check ``sources``; returns one :class:`Outcome` per source checked, in the order given.

    ``on_outcome`` is called from worker threads as each source finishes (progress). ``stop``
    ends the run early: sources not started are left out; those in flight finish (each within
    ``budget``). Never raises for one source's failure.
    """
    lanes: dict[str, list[list[tuple[int, SourceRow]]]] = {}
    for index, source in enumerate(sources):
        key, limit = client.limit_for(urlsplit(source.url).hostname or "")
        group = lanes.setdefault(key, [[] for _ in range(max(1, limit.concurrency))])
        min(group, key=len).append((index, source))
    results: dict[int, Outcome] = {}
    muted = phrase_matcher(mute) if mute else None
    lock = threading.Lock()
    halt = threading.Event()  # the caller was interrupted (Ctrl-C): lanes start nothing more

    def run(lane: list[tuple[int, SourceRow]]) -> None:
        for index, source in lane:
            if halt.is_set() or (stop is not None and stop.is_set()):
                return
            outcome = check(store, client, source, now=now, force=force, budget=budget, muted=muted)
            with lock:
                results[index] = outcome
            if on_outcome is not None:
                with contextlib.suppress(Exception):  # a progress callback must not stop the refresh
                    on_outcome(outcome)

    work = [lane for group in lanes.values() for lane in group if lane]
    if work:
        with ThreadPoolExecutor(max_workers=max(1, min(workers, len(work))), thread_name_prefix="feeds") as pool:
            try:
                for future in [pool.submit(run, lane) for lane in work]:
                    future.result()
            except BaseException:
                halt.set()  # the pool then waits only for the sources in flight (each within budget)
                raise
    return [results[index] for index in sorted(results)]


def check(store: Store, client: net.Client, source: SourceRow, *, now: datetime | None = None, force: bool = False,
          budget: float = BUDGET, muted: Callable[[str], list[str]] | None = None) -> Outcome:
    """One source: fetch (conditionally), parse, store. Whatever goes wrong is this source's error."""
    started = time.perf_counter()
    now = now or library.utc_now()
    if source.retry_at and source.retry_at > now:
        return Outcome(source, "deferred", error="the server asked us to wait", until=source.retry_at)
    if source.fresh_until and source.fresh_until > now and (not force or source.kind != "rss"):
        return Outcome(source, "fresh", until=source.fresh_until)
    try:
        return _fetch(store, client, source, now, budget, muted, started)
    except Exception as exc:  # noqa: BLE001 - one source's surprise must not end the others
        reason = f"internal error: {safe_line(type(exc).__name__ + ': ' + str(exc), limit=150)}"
        return _failed(store, source, now, reason, started)


def _fetch(store: Store, client: net.Client, source: SourceRow, now: datetime, budget: float,
           muted: Callable[[str], list[str]] | None, started: float) -> Outcome:
    try:
        response = client.get(source.url, etag=source.etag, last_modified=source.last_modified,
                              headers={"Accept": ACCEPT}, budget=budget, max_bytes=MAX_FEED_BYTES, max_wait=MAX_WAIT)
    except net.HttpError as error:
        if error.status in (429, 503) and error.retry_after is not None:
            until = now + timedelta(seconds=max(error.retry_after, 1.0))
            library.mark_checked(store, source.id, now, retry_at=until)
            return Outcome(_reread(store, source), "deferred", error=str(error), until=until,
                           seconds=time.perf_counter() - started)
        return _failed(store, source, now, str(error), started)
    fresh_until = _fresh_until(response, now)
    if response.not_modified:
        library.still_listed(store, source.id, now, ok_at=now, error=None, retry_at=None, fresh_until=fresh_until)
        checked = replace(source, checked_at=now, ok_at=now, error=None, retry_at=None, fresh_until=fresh_until)
        return Outcome(checked, "unchanged", seconds=time.perf_counter() - started)
    parse_started = time.perf_counter()
    parsed = parse.parse_feed(response.body, response.headers, source.source())
    parse_seconds = time.perf_counter() - parse_started
    if not parsed.ok:
        # The validators are not kept: the same broken document must not come back as a 304 "ok".
        return _failed(store, source, now, parsed.error or "not a feed", started)
    items = _kept(parsed.items, muted)
    store_started = time.perf_counter()
    new = library.store_items(store, source.id, items, now, etag=response.etag, last_modified=response.last_modified,
                              fresh_until=fresh_until, ok_at=now, parsed_at=now, error=None, retry_at=None,
                              title=parsed.title)
    store_seconds = time.perf_counter() - store_started
    return Outcome(_reread(store, source), "new" if new else "unchanged", new_items=new,
                   seconds=time.perf_counter() - started, parse_seconds=parse_seconds, store_seconds=store_seconds)


def _kept(items: Sequence[FeedItem], muted: Callable[[str], list[str]] | None) -> list[FeedItem]:
    """One per arXiv id within the document, without muted ones."""
    unique = arxiv.dedupe(items)
    if muted is None:
        return unique
    return [item for item in unique if not muted(f"{item.title}\n{' '.join(item.authors)}\n{item.summary}")]


def _fresh_until(response: net.Response, now: datetime) -> datetime | None:
    max_age = response.max_age
    return now + timedelta(seconds=min(max_age, 7 * 24 * 3600)) if max_age else None


def _failed(store: Store, source: SourceRow, now: datetime, reason: str, started: float) -> Outcome:
    reason = safe_line(reason, limit=library.ERROR_LIMIT) or "failed"
    try:
        library.mark_checked(store, source.id, now, error=reason)
        stored = _reread(store, source)
    except Exception:  # noqa: BLE001 - the store itself failing is still this source's outcome
        stored = replace(source, error=reason, checked_at=now)
    return Outcome(stored, "error", error=reason, seconds=time.perf_counter() - started)


def _reread(store: Store, source: SourceRow) -> SourceRow:
    return library.get_source(store, source.id) or source
