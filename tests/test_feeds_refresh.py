"""feeds.refresh against a real HTTP server on 127.0.0.1 serving the fixtures (no mocks of HTTP)."""

from __future__ import annotations

import socket
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from tests.feedserver import LAST_MODIFIED, FeedServer, Route, send_big, send_slowly
from waitbuddy import net
from waitbuddy.feeds import library, parse, refresh
from waitbuddy.reading.metadata import fetch_page, make_client

NOW = datetime(2024, 4, 10, 12, 0, tzinfo=UTC)
MB = 1024 * 1024


@pytest.fixture
def site():
    server = FeedServer()
    yield server
    server.close()


@pytest.fixture
def parses(monkeypatch) -> list[str]:
    """Every parse_feed call refresh makes, by source spec."""
    seen: list[str] = []
    original = parse.parse_feed

    def counted(body, headers, source):
        seen.append(source.spec)
        return original(body, headers, source)
    monkeypatch.setattr(parse, "parse_feed", counted)
    return seen


def add(store, url: str, **options) -> library.SourceRow:
    return library.add_source(store, url, **options)[0]


def run(store, client=None, sources=None, **options) -> dict[str, refresh.Outcome]:
    client = client or make_client(timeout=2.0)
    outcomes = refresh.refresh(store, client, library.sources(store) if sources is None else sources,
                               now=options.pop("now", NOW), **options)
    return {outcome.source.spec: outcome for outcome in outcomes}


def test_rss_atom_and_arxiv_feeds_are_stored_with_arxiv_papers_once(store, site):
    rss = add(store, site.fixture("/rss", "rss20.xml")).spec
    atom = add(store, site.fixture("/atom", "atom10.xml")).spec
    lg = add(store, site.fixture("/rss/cs.LG", "arxiv_rss_cs.LG.xml", content_type="application/rss+xml")).spec
    ml = add(store, site.fixture("/rss/stat.ML", "arxiv_rss_stat.ML.xml")).spec
    outcomes = run(store)
    assert {spec: outcome.status for spec, outcome in outcomes.items()} == dict.fromkeys((rss, atom, lg, ml), "new")
    # 2404.07300 is in both (new in stat.ML, cross in cs.LG): stored once, by whichever came first
    assert outcomes[lg].new_items + outcomes[ml].new_items == 6 and outcomes[lg].new_items in (4, 5)
    shared = [entry for entry in library.entries(store, show_replacements=True) if entry.item.arxiv_id == "2404.07300"]
    assert len(shared) == 1 and shared[0].item.announce_type == "new"  # new in stat.ML beats cross in cs.LG
    assert {entry.id for entry in library.entries(store, source=ml)} >= {shared[0].id}
    assert {entry.id for entry in library.entries(store, source=lg, show_replacements=True)} >= {shared[0].id}
    visible = library.entries(store, source=lg)
    assert all(not entry.item.is_replacement for entry in visible)  # replacements hidden unless asked
    assert len(library.entries(store, source=lg, show_replacements=True)) == len(visible) + 2
    rows = {row.spec: row for row in library.sources(store)}
    assert rows[atom].feed_title and rows[atom].ok_at == NOW and rows[atom].error is None


def test_etag_and_last_modified_round_trip_gives_304_and_no_parse(store, site, parses):
    by_etag = add(store, site.fixture("/etag", "rss20.xml", etag='"v1"')).spec
    by_date = add(store, site.fixture("/date", "atom10.xml", last_modified=LAST_MODIFIED)).spec
    assert {outcome.status for outcome in run(store).values()} == {"new"}
    assert sorted(parses) == sorted([by_etag, by_date])
    second = run(store, now=NOW + timedelta(hours=2))
    assert {outcome.status for outcome in second.values()} == {"unchanged"}
    assert len(parses) == 2  # the 304s were not parsed
    assert site.hits_of("/etag")[-1].headers["if-none-match"] == '"v1"' and site.hits_of("/etag")[-1].status == 304
    assert site.hits_of("/date")[-1].headers["if-modified-since"] == LAST_MODIFIED
    assert site.hits_of("/date")[-1].status == 304
    assert library.get_source(store, by_etag).ok_at == NOW + timedelta(hours=2)


def test_max_age_makes_a_source_fresh_and_force_asks_again_except_arxiv(store, site, monkeypatch):
    blog = add(store, site.fixture("/blog", "rss20.xml", **{"Cache-Control": "max-age=3600"})).spec
    paper = add(store, "arxiv:cs.LG")
    url = site.fixture("/rss/cs.LG", "arxiv_rss_cs.LG.xml", **{"Cache-Control": "public, max-age=7200"})
    sources = [library.get_source(store, blog), replace(paper, url=url)]
    run(store, sources=sources)
    sources = [replace(library.get_source(store, row.id), url=row.url) for row in sources]
    later = run(store, sources=sources, now=NOW + timedelta(minutes=30))
    assert {outcome.status for outcome in later.values()} == {"fresh"}
    assert later[blog].until == NOW + timedelta(hours=1) and len(site.hits) == 2
    forced = run(store, sources=sources, now=NOW + timedelta(minutes=30), force=True)
    assert forced[blog].status == "unchanged" and forced["arxiv:cs.LG"].status == "fresh"
    assert len(site.hits_of("/rss/cs.LG")) == 1
    assert refresh.due(library.sources(store), NOW + timedelta(minutes=90)) == [library.get_source(store, blog)]


def test_429_with_retry_after_defers_the_source_without_sleeping(store, site):
    limited = add(store, site.serve("/limited", Route(b"slow down", 429, {"Retry-After": "120"}))).spec
    # Retry-After holds back the whole host: a source on another host goes on (on the same host it
    # was deferred too whenever the 429 came first, so this test failed now and then)
    other = FeedServer(host="127.0.0.2")
    fine = add(store, other.fixture("/fine", "rss20.xml")).spec
    started = datetime.now(UTC)
    try:
        outcomes = run(store)
    finally:
        other.close()
    assert (datetime.now(UTC) - started).total_seconds() < 5
    assert outcomes[limited].status == "deferred" and "429" in outcomes[limited].error
    assert outcomes[limited].until == NOW + timedelta(seconds=120) and outcomes[fine].status == "new"
    row = library.get_source(store, limited)
    assert row.retry_at == NOW + timedelta(seconds=120) and row.error is None
    again = run(store, force=True, now=NOW + timedelta(seconds=60))
    assert again[limited].status == "deferred" and len(site.hits_of("/limited")) == 1  # not asked again
    assert refresh.due([row], NOW + timedelta(seconds=60)) == []


def test_a_30_mb_body_is_cut_off_and_is_that_sources_error_keeping_its_items(store, site):
    big = add(store, site.fixture("/big", "rss20.xml")).spec
    small = add(store, site.fixture("/small", "atom10.xml", etag='"a"')).spec
    run(store)
    kept = [entry.item.title for entry in library.entries(store, source=big)]
    site.serve("/big", Route(handler=send_big(30 * MB)))
    outcomes = run(store, now=NOW + timedelta(hours=2))
    assert outcomes[big].status == "error" and "larger than 10 MB" in outcomes[big].error
    assert outcomes[small].status == "unchanged"
    assert [entry.item.title for entry in library.entries(store, source=big)] == kept  # last good items stay
    assert library.get_source(store, big).error == outcomes[big].error


@pytest.mark.parametrize("name, reason", [("billion_laughs.xml", "entity"), ("html_login_page.html", "HTML page"),
                                          ("arxiv_api_error.xml", "arXiv API error")])
def test_a_broken_feed_is_its_own_error_and_does_not_stop_the_others(store, site, name, reason):
    broken = add(store, site.fixture("/broken", name)).spec
    others = [add(store, site.fixture(f"/ok{n}", "rss20.xml" if n else "atom10.xml")).spec for n in range(2)]
    outcomes = run(store)
    assert outcomes[broken].status == "error" and reason in outcomes[broken].error
    assert [outcomes[spec].status for spec in others] == ["new", "new"]
    assert library.entries(store, source=broken) == []


def test_an_empty_arxiv_weekend_feed_is_unchanged_not_an_error(store, site):
    weekend = add(store, site.fixture("/rss/cs.LG", "arxiv_rss_weekend.xml")).spec
    outcome = run(store)[weekend]
    assert outcome.status == "unchanged" and outcome.error is None
    assert library.get_source(store, weekend).error is None


def test_arxiv_api_search_results_are_papers(store, site):
    search = add(store, site.fixture("/api/query", "arxiv_api_search.xml")).spec
    assert run(store)[search].new_items == 10
    assert all(entry.item.arxiv_id and entry.item.pdf_url for entry in library.entries(store))


def test_a_slow_server_times_out_within_the_budget(store, site):
    slow = add(store, site.serve("/slow", Route(handler=send_slowly(10, site.release)))).spec
    fast = add(store, site.fixture("/fast", "rss20.xml")).spec
    started = datetime.now(UTC)
    outcomes = run(store, budget=0.5)
    assert (datetime.now(UTC) - started).total_seconds() < 3
    assert outcomes[slow].status == "error" and "timed out" in outcomes[slow].error
    assert outcomes[fast].status == "new"


def test_mute_words_hide_items_at_fetch_time(store, site):
    add(store, site.fixture("/rss/cs.LG", "arxiv_rss_cs.LG.xml"))
    outcome, = run(store, mute=["diffusion transformer", "gradient clipping"]).values()
    titles = [entry.item.title for entry in library.entries(store, show_replacements=True)]
    assert outcome.new_items == 3 and len(titles) == 3  # plurals and any case match, as interests do
    assert not any("Diffusion" in title or "Gradient Clipping" in title for title in titles)


def test_stop_ends_a_refresh_early(store, site):
    for n in range(5):
        add(store, site.fixture(f"/f{n}", "rss20.xml"))
    stop = threading.Event()
    stop.set()
    assert run(store, stop=stop) == {}


class FakeClock:
    """Monotonic time that moves only when the client sleeps: spacing checked without waiting."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.lock = threading.Lock()

    def __call__(self) -> float:
        with self.lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.now += max(seconds, 0.0)


@pytest.fixture
def arxiv_resolves_here(monkeypatch):
    """arxiv.org and its subdomains resolve to 127.0.0.1, so the production host limits apply as they are."""
    real = socket.getaddrinfo

    def resolve(host, *args, **kwargs):
        if isinstance(host, str) and (host == "arxiv.org" or host.endswith(".arxiv.org")):
            host = "127.0.0.1"
        return real(host, *args, **kwargs)
    monkeypatch.setattr(socket, "getaddrinfo", resolve)


def test_queued_arxiv_requests_are_3_s_apart_with_a_backlog_page_fetch_at_the_same_time(store, arxiv_resolves_here):
    clock = FakeClock()
    site = FeedServer(clock=clock)
    try:
        production = make_client()
        client = net.Client(timeout=2.0, max_bytes=production.max_bytes, retries=1, budget=20.0,
                            host_limits=production.host_limits, default_host_limit=production.default_host_limit,
                            clock=clock, sleep=clock.sleep)
        categories = ["cs.LG", "stat.ML", "cs.CL", "cs.CV"]
        sources = []
        for category in categories:
            site.fixture(f"/rss/{category}", "arxiv_rss_cs.LG.xml")
            row = add(store, f"arxiv:{category}")
            sources.append(replace(row, url=f"http://rss.arxiv.org:{site.port}/rss/{category}"))
        search = add(store, 'arxiv-search:"diffusion"')
        site.fixture("/api/query", "arxiv_api_search.xml")
        sources.append(replace(search, url=f"http://export.arxiv.org:{site.port}/api/query"))
        site.serve("/abs/2404.07221", Route(b"<title>A paper</title>", 200, {"Content-Type": "text/html"}))
        page = threading.Thread(target=fetch_page, args=(client, f"http://arxiv.org:{site.port}/abs/2404.07221"))
        page.start()
        outcomes = refresh.refresh(store, client, sources, now=NOW, workers=8)
        page.join(10)
        assert {outcome.status for outcome in outcomes} <= {"new", "unchanged"}
        times = sorted(hit.at for hit in site.hits)
        assert len(times) == 6  # four category feeds, one search, one backlog page: one clock for all
        assert all(later - earlier >= 3.0 for earlier, later in pairwise(times)), times
        assert client.limit_for("rss.arxiv.org")[0] == client.limit_for("export.arxiv.org")[0] == "arxiv.org"
    finally:
        site.close()
