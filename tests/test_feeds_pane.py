"""The Feeds pane as a person meets it: entries from real feeds served on 127.0.0.1, keys, undo,
mark all read, the backlog, filters, hostile titles, failing sources and a refresh that never
blocks the UI. The filter language itself is tested at the end, without the TUI."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from xml.sax.saxutils import escape

import pytest
from textual.widgets import Input

from waitbuddy import config
from waitbuddy.feeds import library
from waitbuddy.feeds.model import FeedItem
from waitbuddy.feeds.parse import parse_feed
from waitbuddy.feeds.query import EntryIndex, QueryError, parse_filter
from waitbuddy.feeds.rank import Ranker
from waitbuddy.reading import backlog
from waitbuddy.store import Store
from waitbuddy.tui.app import WaitBuddy
from waitbuddy.tui.screens.prompt import Confirm
from waitbuddy.tui.widgets.feeds_pane import FeedsArea
from waitbuddy.tui.widgets.line_list import LineList

HOSTILE = "[bold]x [/] [@click=app.quit]quit[/] \x1b]52;c;cm0gLXJmIH4=\x07 tail"


# -- a feed server on 127.0.0.1 -------------------------------------------------------------------


def rss(title: str, items: list[tuple[str, str, str]], *, start: datetime | None = None) -> bytes:
    """An RSS 2.0 document; items are (guid, title, summary), newest first, an hour apart."""
    start = start or datetime.now(UTC) - timedelta(hours=1)
    entries = "".join(
        f"<item><guid>{escape(guid)}</guid><title>{escape(name)}</title>"
        f"<link>https://example.org/{escape(guid)}</link><description>{escape(summary)}</description>"
        f"<author>ada@example.org (Ada Lovelace)</author>"
        f"<pubDate>{format_datetime(start - timedelta(hours=n))}</pubDate></item>"
        for n, (guid, name, summary) in enumerate(items))
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{escape(title)}</title>'
            f"<link>https://example.org/</link><description>test</description>{entries}</channel></rss>").encode()


class FeedServer:
    """Serves ``routes[path] = (status, body)``; ``delay`` seconds before each answer."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, bytes]] = {}
        self.delay = 0.0
        self.hits: list[str] = []
        served = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                served.hits.append(self.path)
                if served.delay:
                    time.sleep(served.delay)
                status, body = served.routes.get(self.path, (404, b"not found"))
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/rss+xml" if status == 200 else "text/plain")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def feeds():
    served = FeedServer()
    yield served
    served.close()


PAPERS = [
    ("p1", "Diffusion models with LoRA adapters", "We fine-tune diffusion models with low-rank adapters."),
    ("p2", "A survey of sparse attention", "Sparse attention patterns for long contexts."),
    ("p3", "Scaling laws revisited", "Compute-optimal training of language models."),
]
POSTS = [
    ("b1", "Release 2.0 of our trainer", "Faster checkpoints and a new scheduler."),
    ("b2", "Notes on tmux", "Panes, windows and sessions."),
]


def fill(store: Store, feeds: FeedServer, *, papers=PAPERS, posts=POSTS) -> None:
    """Two sources served on 127.0.0.1, added and stored through the library as a refresh does
    (parsed from the documents the server serves), checked just now: none is due at start."""
    feeds.routes["/papers.xml"] = (200, rss("Papers", papers))
    feeds.routes["/blog.xml"] = (200, rss("Blog", posts, start=datetime.now(UTC) - timedelta(days=3)))
    now = datetime.now(UTC)
    for path, name, tags in (("/papers.xml", "Papers", ("ml",)), ("/blog.xml", "Blog", ())):
        source, _ = library.add_source(store, feeds.url + path, name=name, tags=tags)
        parsed = parse_feed(feeds.routes[path][1], {"content-type": "application/rss+xml"}, source.source())
        assert parsed.ok, parsed.error
        library.store_items(store, source.id, parsed.items, now)
        library.mark_checked(store, source.id, now, ok_at=now, error=None, fresh_until=now + timedelta(hours=1))


def make_app(store: Store, toml: str = '[backlog]\nfetch = "off"\n') -> WaitBuddy:
    return WaitBuddy(config=config.parse(toml), store=store)


async def wait_for(pilot, condition: Callable[[], object], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out on line {condition.__code__.co_firstlineno}"
        await pilot.pause(0.05)


async def open_feeds(app: WaitBuddy, pilot) -> FeedsArea:
    await pilot.press("3")
    area = app.screen.query_one(FeedsArea)
    await wait_for(pilot, lambda: area.loaded)
    await pilot.pause()
    return area


def rows(area: FeedsArea) -> list[str]:
    lines = area.query_one(LineList)
    return [lines.render_line(y).text for y in range(min(lines.count, lines.size.height))]


def titles(area: FeedsArea) -> list[str]:
    return [entry.item.title for entry in area.shown]


def unread(store: Store) -> set[str]:
    return {entry.item.title for entry in library.entries(store, unread=True)}


def status(area: FeedsArea) -> str:
    return str(area.query_one("#feeds-status").render())


def problems(area: FeedsArea) -> str:
    return str(area.query_one("#feeds-problems").render())


# -- the pane -------------------------------------------------------------------------------------


async def test_no_feeds_says_how_to_add_one(store: Store):
    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        area = await open_feeds(app, pilot)
        empty = area.query_one("EmptyState")
        assert empty.display and not area.query_one(LineList).display
        text = str(empty.render())
        assert "waitbuddy feeds add arxiv:cs.LG" in text and "feeds import subscriptions.opml" in text


async def test_list_shows_entries_with_marker_source_and_age(store: Store, feeds: FeedServer):
    fill(store, feeds)
    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        area = await open_feeds(app, pilot)
        await pilot.press("S")  # by date: newest first
        assert area.sort == "date"
        assert titles(area) == [title for _, title, _ in PAPERS + POSTS]
        first, *_, last = rows(area)
        assert first.startswith("• Diffusion models with LoRA adapters") and "Papers" in first and first.endswith(" 0d")
        assert "Blog" in last and last.rstrip().endswith("3d")
        detail = str(area.query_one("#feeds-abstract").render())
        assert "We fine-tune diffusion models" in detail and "https://example.org/p1" in detail
        assert "5 of 5" in status(area) and "unread" in status(area)


async def test_m_toggles_read(store: Store, feeds: FeedServer):
    fill(store, feeds)
    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        area = await open_feeds(app, pilot)
        await pilot.press("S")
        await pilot.press("m")
        await wait_for(pilot, lambda: "Diffusion models with LoRA adapters" not in unread(store))
        await wait_for(pilot, lambda: not area.shown[0].unread)
        assert titles(area)[0] == "Diffusion models with LoRA adapters"  # still in the unread view until v
        assert rows(area)[0].startswith("  Diffusion")
        await pilot.press("m")
        await wait_for(pilot, lambda: "Diffusion models with LoRA adapters" in unread(store))


async def test_d_dismisses_and_u_undoes(store: Store, feeds: FeedServer):
    fill(store, feeds)
    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        area = await open_feeds(app, pilot)
        await pilot.press("S", "j", "d")
        await wait_for(pilot, lambda: len(library.entries(store)) == 4)
        await wait_for(pilot, lambda: "A survey of sparse attention" not in titles(area))
        await pilot.press("u")
        await wait_for(pilot, lambda: len(library.entries(store)) == 5)
        await wait_for(pilot, lambda: "A survey of sparse attention" in titles(area))
        await pilot.press("u")  # nothing left to undo: says so, changes nothing
        await pilot.pause(0.2)
        assert len(library.entries(store)) == 5


async def test_b_saves_to_the_backlog_with_the_abstract_as_note(store: Store, feeds: FeedServer):
    fill(store, feeds)
    app = make_app(store)
    seen: list = []
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        app.notify = lambda message, **kw: seen.append(message)  # type: ignore[method-assign]
        area = await open_feeds(app, pilot)
        await pilot.press("S", "b")
        await wait_for(pilot, lambda: backlog.load_items(store))
        [item] = backlog.load_items(store)
        assert item.url == "https://example.org/p1"
        assert "We fine-tune diffusion models" in item.note
        await wait_for(pilot, lambda: area.shown and area.shown[0].backlog_id is not None)
        assert any("saved to the backlog" in message for message in seen)


async def test_mark_all_in_view_read_asks_first_and_undoes(store: Store, feeds: FeedServer):
    fill(store, feeds)
    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        area = await open_feeds(app, pilot)
        await pilot.press("slash", *"source:papers", "enter")
        await wait_for(pilot, lambda: len(area.shown) == 3)
        await pilot.press("M")
        assert isinstance(app.screen, Confirm)
        await pilot.press("n")  # no: nothing changes
        await pilot.pause(0.2)
        assert len(unread(store)) == 5
        await pilot.press("M")
        assert "3 unread entries" in app.screen.question
        await pilot.press("y")
        await wait_for(pilot, lambda: unread(store) == {"Release 2.0 of our trainer", "Notes on tmux"})
        await pilot.press("u")
        await wait_for(pilot, lambda: len(unread(store)) == 5)


async def test_filter_narrows_as_you_type_and_escape_clears(store: Store, feeds: FeedServer):
    fill(store, feeds)
    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        area = await open_feeds(app, pilot)
        await pilot.press("slash", *"sparse")
        await wait_for(pilot, lambda: titles(area) == ["A survey of sparse attention"])
        field = area.query_one("#feeds-filter", Input)
        field.value = "tag:ml -diffusion"
        await wait_for(pilot, lambda: set(titles(area)) == {"A survey of sparse attention", "Scaling laws revisited"})
        field.value = "is:nonsense"
        await pilot.pause()
        assert "is:nonsense" in status(area) and "unknown state" in status(area)
        field.value = "low-rank"  # the abstract is searched too
        await wait_for(pilot, lambda: titles(area) == ["Diffusion models with LoRA adapters"])
        await pilot.press("escape")
        await wait_for(pilot, lambda: len(area.shown) == 5)
        assert not field.display


async def test_view_and_sort_keys(store: Store, feeds: FeedServer):
    fill(store, feeds)
    library.set_read(store, [entry.id for entry in library.entries(store) if entry.item.title == "Notes on tmux"])
    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        area = await open_feeds(app, pilot)
        assert len(area.shown) == 4 and "unread" in status(area)
        await pilot.press("v")
        assert len(area.shown) == 5 and " all " in status(area)
        assert "by relevance" in status(area)
        await pilot.press("S")
        assert "by date" in status(area)


async def test_hostile_titles_are_plain_text(store: Store, feeds: FeedServer):
    fill(store, feeds)
    # A title written past ingest (an older version, another tool): the pane still shows it as text.
    with store.transaction() as db:
        db.execute("UPDATE feed_items SET title = ?, summary = ? WHERE guid = 'p2' OR key = 'p2'",
                   (HOSTILE, "[red]abstract[/] \x1b[2J"))
    app = make_app(store)
    async with app.run_test(size=(120, 30)) as pilot:
        area = await open_feeds(app, pilot)
        await pilot.press("S", "j")
        assert app.is_running  # [@click=app.quit] did nothing
        row = rows(area)[1]
        assert "[bold]x [/] [@click=app.quit]quit[/]" in row
        assert "\x1b" not in row and "\x07" not in row
        detail = str(area.query_one("#feeds-abstract").render())
        assert "[bold]x [/] [@click=app.quit]quit[/]" in detail and "[red]abstract[/]" in detail
        assert "\x1b" not in detail


async def test_a_failing_source_shows_its_error_and_keeps_its_entries(store: Store, feeds: FeedServer):
    fill(store, feeds)
    feeds.routes["/blog.xml"] = (500, b"oops")
    app = make_app(store)
    async with app.run_test(size=(120, 30)) as pilot:
        area = await open_feeds(app, pilot)
        assert not area.query_one("#feeds-problems").display
        await pilot.press("R")
        await wait_for(pilot, lambda: area.failing, timeout=20)
        await wait_for(pilot, lambda: area.progress is None)
        assert area.query_one("#feeds-problems").display
        assert "1 source failing: Blog" in problems(area) and "500" in problems(area)
        assert {"Release 2.0 of our trainer", "Notes on tmux"} <= set(titles(area))  # its last good entries stay
        blog = [entry for entry in area.shown if entry.source == "Blog"]
        assert all(entry.stale for entry in blog)
        await pilot.press("S")
        assert "⚠" in rows(area)[-1]


async def test_a_slow_refresh_never_blocks_the_ui(store: Store, feeds: FeedServer):
    fill(store, feeds)
    feeds.delay = 3.0
    app = make_app(store)
    async with app.run_test(size=(120, 30)) as pilot:
        area = await open_feeds(app, pilot)
        await pilot.press("R")
        await wait_for(pilot, lambda: "refreshing" in status(area))
        started = time.monotonic()
        await pilot.press("slash", *"tmux", "enter")  # the UI answers while the server sleeps
        await wait_for(pilot, lambda: titles(area) == ["Notes on tmux"])
        await pilot.press("escape", "v", "S")
        assert area.sort == "date" and area.view == 1
        assert time.monotonic() - started < 2.0
        assert "refreshing" in status(area)
        feeds.delay = 0.0
        await wait_for(pilot, lambda: area.progress is None, timeout=30)


async def test_entries_reload_when_another_process_changes_them(store: Store, feeds: FeedServer):
    fill(store, feeds)
    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        area = await open_feeds(app, pilot)
        assert len(area.shown) == 5
        library.set_read(store, [entry.id for entry in library.entries(store)])  # `waitbuddy feeds ...` elsewhere
        app.store_changed_signal.publish(None)
        await wait_for(pilot, lambda: not any(entry.unread for entry in area.index.entries))


async def test_help_lists_the_feeds_keys(store: Store):
    from waitbuddy.tui.screens.help import HelpScreen

    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        table = app.screen._table()
        ids = [str(row) for row in table.columns[2]._cells]
        assert {"feeds-read", "feeds-save", "feeds-read-all", "feeds-refresh"} <= set(ids)


# -- the filter language, without the TUI ---------------------------------------------------------


def entry(n: int, title: str, *, source: str = "Papers", tags=("ml",), read: bool = False, saved: bool = False,
          stale: bool = False, categories=("cs.LG",), summary: str = "") -> SimpleNamespace:
    item = FeedItem(guid=f"g{n}", title=title, summary=summary, categories=categories, authors=("Ada Lovelace",),
                    primary_category=categories[0] if categories else None)
    return SimpleNamespace(id=n, item=item, source=source, tags=tuple(tags), unread=not read, dismissed_at=None,
                           saved_at=datetime.now(UTC) if saved else None, backlog_id=None, stale=stale)


ENTRIES = [
    entry(1, "Diffusion transformers", summary="LoRA for diffusion"),
    entry(2, "Sparse attention", source="Blog", tags=(), read=True, categories=()),
    entry(3, "Scaling laws", saved=True, categories=("stat.ML",), stale=True),
]


@pytest.mark.parametrize(("query", "expected"), [
    ("", [1, 2, 3]),
    ("diffusion", [1]),
    ("lora", [1]),  # the abstract
    ("lovelace", [1, 2, 3]),  # the authors
    ("-diffusion", [2, 3]),
    ("source:blog", [2]),
    ("-source:blog", [1, 3]),
    ("tag:ML", [1, 3]),
    ("#ml", [1, 3]),
    ("cat:stat.ml", [3]),
    ("is:unread", [1, 3]),
    ("is:read", [2]),
    ("is:saved", [3]),
    ("is:stale", [3]),
    ('"sparse attention"', [2]),
    ("tag:ml scaling", [3]),
])
def test_filter_words(query: str, expected: list[int]):
    index = EntryIndex(ENTRIES)
    assert [found.id for found in index.select(parse_filter(query), sort="date")] == expected


def test_filter_errors_name_the_word():
    with pytest.raises(QueryError, match="is:later"):
        parse_filter("is:later")
    with pytest.raises(QueryError, match="tag:"):
        parse_filter("tag:---")


def test_relevance_puts_what_you_saved_first_and_explains_it():
    ranker = Ranker(["scaling laws"])
    ranker.learn("Sparse attention for long context transformers", 1.0)
    unrelated = entry(4, "Quantum chemistry on a budget")
    index = EntryIndex([unrelated, *ENTRIES], ranker)  # newest first: the unrelated one
    ordered = [found.id for found in index.select(parse_filter(""), sort="relevance")]
    assert set(ordered[:2]) == {2, 3} and ordered[-1] == 4
    assert [found.id for found in index.select(parse_filter(""), sort="date")] == [4, 1, 2, 3]
    assert index.explain(ENTRIES[2]) == ["scaling laws"]
    assert set(index.explain(ENTRIES[1])) == {"sparse", "attention"}
    assert index.explain(unrelated) == []  # nothing to say about what scores nothing


def test_unread_view_keeps_what_was_read_here():
    index = EntryIndex(ENTRIES)
    assert [found.id for found in index.select(parse_filter(""), unread_only=True, sort="date")] == [1, 3]
    assert [found.id for found in index.select(parse_filter(""), unread_only=True, sort="date",
                                                keep=frozenset({2}))] == [1, 2, 3]
