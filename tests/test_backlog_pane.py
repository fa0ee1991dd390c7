"""The Backlog pane as a person meets it: keys, undo, bankruptcy, filters, hostile titles."""

from __future__ import annotations

import time
from datetime import timedelta

from textual.widgets import Input

from waitbuddy import config
from waitbuddy.reading import backlog
from waitbuddy.reading.model import Bookmark, Parsed
from waitbuddy.store import Store
from waitbuddy.tui.app import WaitBuddy
from waitbuddy.tui.screens.link import LinkScreen
from waitbuddy.tui.screens.prompt import Confirm, Prompt
from waitbuddy.tui.widgets.backlog_pane import BacklogArea
from waitbuddy.tui.widgets.line_list import LineList

HOSTILE = "[bold]x[/] [@click=app.quit]boom[/] \x1b]0;PWNED\x07 \x9b2J \u202eevil"


def make_app(store: Store, toml: str = '[backlog]\nfetch = "off"\n') -> WaitBuddy:
    return WaitBuddy(config=config.parse(toml), store=store)


async def wait_for(pilot, condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out on line {condition.__code__.co_firstlineno}"
        await pilot.pause(0.05)


def seed(store: Store, count: int = 3, *, days: int = 1) -> None:
    now = backlog.utc_now()
    entries = [Bookmark(f"https://example.com/{n}", f"Article {n}", ("ml",) if n % 2 else (),
                        now - timedelta(days=days + n)) for n in range(count)]
    backlog.import_bookmarks(store, Parsed("test", entries), source="test")


async def open_backlog(app: WaitBuddy, pilot) -> BacklogArea:
    await pilot.press("2")
    area = app.screen.query_one(BacklogArea)
    await wait_for(pilot, lambda: area.loaded)
    await pilot.pause()
    return area


def screen_text(area: BacklogArea) -> list[str]:
    lines = area.query_one(LineList)
    return [lines.render_line(y).text for y in range(min(lines.count, lines.size.height))]


def statuses(store: Store) -> dict[str, str]:
    return {item.title: item.status for item in backlog.load_items(store)}


async def test_empty_backlog_explains_how_to_fill_it(store: Store):
    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        area = await open_backlog(app, pilot)
        assert area.query_one("EmptyState").display
        assert not area.query_one(LineList).display


async def test_mark_done_archive_and_undo_each(store: Store):
    seed(store, 3)
    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        area = await open_backlog(app, pilot)
        await pilot.press("S", "S")  # by oldest: Article 2 first
        assert area.sort == "oldest" and area.current().title == "Article 2"
        await pilot.press("d")
        await wait_for(pilot, lambda: statuses(store)["Article 2"] == "done")
        await wait_for(pilot, lambda: len(area.shown) == 2)
        await pilot.press("e")
        await wait_for(pilot, lambda: list(statuses(store).values()).count("archived") == 1)
        await pilot.press("u")
        await wait_for(pilot, lambda: "archived" not in statuses(store).values())
        await pilot.press("u")
        await wait_for(pilot, lambda: set(statuses(store).values()) == {"unread"})
        await wait_for(pilot, lambda: len(area.shown) == 3)
        await pilot.press("u")  # nothing left to undo: says so, changes nothing
        await pilot.pause(0.2)
        assert set(statuses(store).values()) == {"unread"}


async def test_priority_tags_note_snooze_delete_with_undo(store: Store):
    seed(store, 1)
    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        area = await open_backlog(app, pilot)
        [item] = backlog.load_items(store)
        await pilot.press("+", "+")
        await wait_for(pilot, lambda: backlog.get_item(store, item.id).priority == 2)
        await pilot.press("-")
        await wait_for(pilot, lambda: backlog.get_item(store, item.id).priority == 1)
        await pilot.press("T")
        assert isinstance(app.screen, Prompt)
        app.screen.query_one(Input).value = "rust, Papers"
        await pilot.press("enter")
        await wait_for(pilot, lambda: backlog.get_item(store, item.id).tags == ("rust", "papers"))
        await pilot.press("n")
        app.screen.query_one(Input).value = "skim section 3"
        await pilot.press("enter")
        await wait_for(pilot, lambda: backlog.get_item(store, item.id).note == "skim section 3")
        await pilot.press("s")
        app.screen.query_one(Input).value = "1w"
        await pilot.press("enter")
        await wait_for(pilot, lambda: backlog.get_item(store, item.id).snoozed_until is not None)
        await wait_for(pilot, lambda: area.shown == [])  # snoozed items leave the open view
        await pilot.press("u")
        await wait_for(pilot, lambda: len(area.shown) == 1)
        await pilot.press("x")
        await wait_for(pilot, lambda: backlog.load_items(store) == [])
        await pilot.press("u")
        await wait_for(pilot, lambda: len(backlog.load_items(store)) == 1)
        for _ in range(5):  # note, tags, -, +, +: back to the start
            await pilot.press("u")
            await pilot.pause(0.1)
        await wait_for(pilot, lambda: backlog.get_item(store, item.id) == item)


async def test_bankruptcy_confirms_with_the_count_and_is_undoable(store: Store):
    seed(store, 5, days=100)  # 100..104 days old
    seed_new = backlog.add_url(store, "https://example.com/new", title="Fresh")
    assert seed_new[1]
    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        area = await open_backlog(app, pilot)
        await pilot.press("B")
        assert isinstance(app.screen, Prompt)
        assert app.screen.query_one(Input).value == "90"
        await pilot.press("enter")
        assert isinstance(app.screen, Confirm)
        assert "Archive 5 unread items" in app.screen.question
        await pilot.press("n")  # no: nothing happens
        await pilot.pause(0.2)
        assert list(statuses(store).values()).count("archived") == 0
        await pilot.press("B", "enter", "y")
        await wait_for(pilot, lambda: list(statuses(store).values()).count("archived") == 5)
        await wait_for(pilot, lambda: [item.title for item in area.shown] == ["Fresh"])
        await pilot.press("u")
        await wait_for(pilot, lambda: list(statuses(store).values()).count("unread") == 6)


async def test_filter_as_you_type_and_escape_clears(store: Store):
    seed(store, 6)
    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        area = await open_backlog(app, pilot)
        await pilot.press("/")
        await pilot.press(*"tag:ml")
        assert sorted(item.title for item in area.shown) == ["Article 1", "Article 3", "Article 5"]
        await pilot.press("space", *"5")
        assert [item.title for item in area.shown] == ["Article 5"]
        await pilot.press("enter")
        assert area.query_one(LineList).has_focus
        await pilot.press("escape")
        assert len(area.shown) == 6 and area.query_text == ""
        await pilot.press("/", *"kind:podcast")
        assert "unknown kind" in str(area.query_one("#backlog-status").render())
        await pilot.press("escape")
        await pilot.press("v")  # done view: nothing yet
        assert area.shown == []


async def test_hostile_titles_render_as_plain_text(store: Store):
    backlog.add_url(store, "https://example.com/x", title=HOSTILE, note=HOSTILE, fetch=False)
    app = make_app(store)
    async with app.run_test(size=(140, 30)) as pilot:
        area = await open_backlog(app, pilot)
        [line] = screen_text(area)
        assert "[bold]x[/] [@click=app.quit]boom[/]" in line
        assert "\x1b" not in line and "\x9b" not in line and "\u202e" not in line
        detail = str(area.query_one("#backlog-detail").render())
        assert "[@click=app.quit]" in detail
        await pilot.click(LineList)  # clicking the row must not run an action
        await pilot.pause(0.2)
        assert app.is_running


async def test_open_over_ssh_shows_a_link_to_click_or_copy(store: Store, monkeypatch):
    monkeypatch.setenv("SSH_CONNECTION", "10.0.0.1 5000 10.0.0.2 22")
    backlog.add_url(store, "https://example.com/paper", title="Paper", fetch=False)
    app = make_app(store)
    copied = []
    monkeypatch.setattr(app, "copy_to_clipboard", copied.append)
    opened = []
    monkeypatch.setattr(app, "open_url", lambda url, **kw: opened.append(url))
    async with app.run_test(size=(100, 30)) as pilot:
        await open_backlog(app, pilot)
        await pilot.press("o")
        assert isinstance(app.screen, LinkScreen) and app.screen.url == "https://example.com/paper"
        await pilot.press("c")
        assert copied == ["https://example.com/paper"] and opened == []
        await wait_for(pilot, lambda: statuses(store)["Paper"] == "reading")  # opening starts reading


async def test_open_locally_uses_the_browser(store: Store, monkeypatch):
    monkeypatch.delenv("SSH_CONNECTION", raising=False)
    monkeypatch.delenv("SSH_TTY", raising=False)
    monkeypatch.setenv("DISPLAY", ":0")
    backlog.add_url(store, "https://example.com/paper", title="Paper", fetch=False)
    app = make_app(store)
    opened = []
    monkeypatch.setattr(app, "open_url", lambda url, **kw: opened.append(url))
    async with app.run_test(size=(100, 30)) as pilot:
        await open_backlog(app, pilot)
        await pilot.press("enter")
        await wait_for(pilot, lambda: opened == ["https://example.com/paper"])  # from a worker thread


async def test_add_key_saves_a_link(store: Store):
    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        area = await open_backlog(app, pilot)
        area.focus()
        await pilot.press("a")
        app.screen.query_one(Input).value = "https://example.com/new?utm_source=x"
        await pilot.press("enter")
        await wait_for(pilot, lambda: [item.url for item in area.shown] == ["https://example.com/new"])
        await pilot.press("a")
        app.screen.query_one(Input).value = "javascript:alert(1)"
        await pilot.press("enter")
        await pilot.pause(0.3)
        assert len(backlog.load_items(store)) == 1


async def test_import_key_reports_the_counts(store: Store, tmp_path):
    bookmarks = tmp_path / "urls.txt"
    bookmarks.write_text("https://example.com/a\nhttps://example.com/b\nnot a url\n")
    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        area = await open_backlog(app, pilot)
        await pilot.press("I")
        app.screen.query_one(Input).value = str(bookmarks)
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(area.shown) == 2)
        await pilot.press("u")  # an import is undoable too
        await wait_for(pilot, lambda: backlog.load_items(store) == [])


async def test_added_links_are_fetched_in_the_background(store: Store):
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Page(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            if self.path == "/missing":
                self.send_error(404)
                return
            body = ("<html><head><title>Scaling [laws] \x1b]0;x\x07for you</title></head><body><article>"
                    + "word " * 2300 + "</article></body></html>").encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        app = make_app(store, '[backlog]\nfetch = "new"\nwords_per_minute = 230\n')
        async with app.run_test(size=(120, 30)) as pilot:
            area = await open_backlog(app, pilot)
            for url in (f"{base}/post", f"{base}/missing"):
                area.focus()
                await pilot.press("a")
                app.screen.query_one(Input).value = url
                await pilot.press("enter")
            await wait_for(pilot, lambda: {item.title for item in area.shown} >= {"Scaling [laws] for you"})
            await wait_for(pilot, lambda: any(item.fetch_error for item in area.shown))
            fetched = next(item for item in area.shown if item.title)
            assert fetched.minutes == 10 and fetched.fetch_state == "done"
            failed = next(item for item in area.shown if not item.title)
            assert "404" in failed.fetch_error and failed.fetch_state == "failed"  # final: not retried
    finally:
        server.shutdown()


async def test_a_link_saved_by_another_process_appears(store: Store, monkeypatch):
    from waitbuddy.tui import app as app_module

    monkeypatch.setattr(app_module, "OTHERS_CHECK_SECONDS", 0.2)  # the app's one look at the store
    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        area = await open_backlog(app, pilot)
        await pilot.pause(0.5)
        with Store.open(store.path) as other:  # e.g. `waitbuddy add` in another tmux pane
            backlog.add_url(other, "https://example.com/from-elsewhere", fetch=False)
        await wait_for(pilot, lambda: [item.url for item in area.shown] == ["https://example.com/from-elsewhere"])


async def test_a_file_broken_past_its_first_records_imports_nothing_from_the_key(store: Store, tmp_path):
    # The key streams the file like `waitbuddy import`: an error at its end rolls everything back.
    broken = tmp_path / "export.json"
    records = ",".join(f'{{"url": "https://example.com/{n}", "title": "t{n}"}}' for n in range(3000))
    broken.write_text(f"[{records}, {{\"url\": ")
    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_backlog(app, pilot)
        await pilot.press("I")
        app.screen.query_one(Input).value = str(broken)
        await pilot.press("enter")
        await pilot.pause(1.0)
        assert backlog.load_items(store) == []


async def test_the_fetch_thread_survives_a_locked_database_and_says_so(store: Store, monkeypatch):
    # issue 12: the fetch thread died on its first exception, and no title was fetched again.
    from waitbuddy.reading import enrich
    from waitbuddy.store import StoreBusy
    from waitbuddy.tui.widgets import backlog_pane

    monkeypatch.setattr(backlog_pane, "FETCH_RETRY_SECONDS", 0.2)
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise StoreBusy("database is locked")
        return 0

    monkeypatch.setattr(enrich, "fetch_pending", flaky)
    app = make_app(store, '[backlog]\nfetch = "new"\n')
    notes: list[str] = []
    async with app.run_test(size=(120, 30)) as pilot:
        original = app.notify
        app.notify = lambda message, **kwargs: (notes.append(str(message)), original(message, **kwargs))  # type: ignore[method-assign]
        area = await open_backlog(app, pilot)
        area._start_fetcher()
        await wait_for(pilot, lambda: calls["n"] >= 2)  # it tried again after the error
        await wait_for(pilot, lambda: area._fetcher is not None and area._fetcher.rounds >= 2)
        assert area._fetcher.alive
        await wait_for(pilot, lambda: any("database is locked" in note for note in notes))


async def test_f_keeps_what_fits_in_the_running_jobs_eta_read_from_the_store(store: Store, tmp_path):
    # issue 12: the Backlog pane read the Runs pane's widget state; now the ETA the watcher saved.
    from waitbuddy.runs import registry

    for path, minutes in (("https://example.com/short", 5), ("https://example.com/long", 90)):
        item, _ = backlog.add_url(store, path)
        with store.transaction() as db:
            db.execute("UPDATE items SET minutes = ?, title = ? WHERE id = ?", (minutes, path[-5:], item.id))
    log = tmp_path / "train.log"
    log.write_text("train:  40%|####      | 400/1000 [10:00<15:00,  0.67it/s]")  # 15 minutes left
    registry.add_watch(store, str(log))
    app = make_app(store)
    async with app.run_test(size=(120, 30)) as pilot:
        area = await open_backlog(app, pilot)
        await wait_for(pilot, lambda: len(area.shown) == 2)
        await wait_for(pilot, lambda: registry.minutes_left(store, time.time()) is not None)
        await pilot.press("f")
        await wait_for(pilot, lambda: [item.url for item in area.shown] == ["https://example.com/short"])
