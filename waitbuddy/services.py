"""The services of one dashboard (or headless command), built once and handed to what needs them:
the composition root. Panes render and post messages; they build no services, so two panes that
fetch share one HTTP client and with it every host's limits (arXiv: one request every 3 s)."""

from __future__ import annotations

from dataclasses import dataclass, field

from waitbuddy import net
from waitbuddy.store import Store


def _http() -> net.Client:
    from waitbuddy.reading.metadata import make_client

    return make_client()


@dataclass
class Services:
    store: Store
    http: net.Client = field(default_factory=_http)  # page and feed fetches: one client, every host limit
