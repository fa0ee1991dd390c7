"""The services of one dashboard (or headless command), built once and handed to what needs them:
the composition root. Panes render and post messages; they build no services, so two panes that
fetch share one HTTP client and with it every host's limits (arXiv: one request every 3 s)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from waitbuddy.store import Store

if TYPE_CHECKING:
    from waitbuddy import net


class Services:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._http: net.Client | None = None
        self._lock = threading.Lock()

    @property
    def http(self) -> net.Client:
        """Page and feed fetches: one client, every host limit; made on first use (its imports
        must not delay the first frame)."""
        with self._lock:
            if self._http is None:
                from waitbuddy.reading.metadata import make_client

                self._http = make_client()
            return self._http
