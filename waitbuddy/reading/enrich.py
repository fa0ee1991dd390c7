"""Fetch page metadata for backlog items, off the caller's thread of interest, and store it.

Used by ``waitbuddy add`` and ``waitbuddy fetch`` (in the foreground, Ctrl-C safe: the item is
already saved) and by the dashboard (in a worker thread). A failure is recorded on the item,
never raised: the person sees "could not fetch: timed out" beside it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from waitbuddy.net import Client, HttpError
from waitbuddy.reading import backlog
from waitbuddy.reading.model import Item
from waitbuddy.store import Store


def fetch_one(store: Store, client: Client, item: Item, *, words_per_minute: int,
              budget: float = 20.0) -> Item | None:
    """Fetch ``item``'s page and store what it says (or why it failed); returns the item as stored."""
    from waitbuddy.reading.metadata import MetadataError, fetch_page

    try:
        info = fetch_page(client, item.url, budget=budget)
    except (HttpError, MetadataError) as exc:
        final = isinstance(exc, MetadataError) or not exc.transient  # e.g. a 404: trying again won't help
        return backlog.record_fetch(store, item.id, None, error=str(exc), final=final,
                                    words_per_minute=words_per_minute)
    return backlog.record_fetch(store, item.id, info, words_per_minute=words_per_minute)


def fetch_pending(store: Store, client: Client, *, words_per_minute: int, include_imported: bool,
                  limit: int | None = None, stop: threading.Event | None = None,
                  on_item: Callable[[Item], None] | None = None, batch: int = 20) -> int:
    """Work through items waiting for a fetch; returns how many were tried.

    Stops after ``limit`` items, when ``stop`` is set, or when nothing is left. Each item is tried
    at most once per call, so a site that always fails can't hold the loop.
    """
    tried: set[int] = set()
    while not (stop and stop.is_set()) and (limit is None or len(tried) < limit):
        want = batch if limit is None else min(batch, limit - len(tried))
        candidates = [item for item in backlog.to_fetch(store, include_imported=include_imported,
                                                        limit=want + len(tried)) if item.id not in tried]
        if not candidates:
            break
        for item in candidates[:want]:
            if stop and stop.is_set():
                break
            tried.add(item.id)
            stored = fetch_one(store, client, item, words_per_minute=words_per_minute)
            if stored is not None and on_item is not None:
                on_item(stored)
    return len(tried)
