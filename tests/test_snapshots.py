"""A few SVG snapshots of what a person sees. Regenerate with `pytest --snapshot-update` on the
pinned Textual below; the README's screenshot is the 120x36 dashboard snapshot."""

from __future__ import annotations

from importlib.metadata import version

import pytest

from waitbuddy import config
from waitbuddy.store import Store
from waitbuddy.tui.app import WaitBuddy

from .runsnap import as_pushed

SNAPSHOT_TEXTUAL = "8.2.8"

pytestmark = pytest.mark.skipif(
    version("textual") != SNAPSHOT_TEXTUAL,
    reason=f"snapshots are drawn by Textual {SNAPSHOT_TEXTUAL}; other versions render differently",
)


@pytest.fixture
def app():
    with Store.open(":memory:") as store:
        yield WaitBuddy(config=config.Config(), store=store)


async def runs_reported(pilot) -> None:
    """Wait for the watcher's first report, the backlog's first load and the plan strip's first
    step: until then those are blank."""
    from waitbuddy.tui.widgets.backlog_pane import BacklogArea
    from waitbuddy.tui.widgets.plan_strip import PlanStrip
    from waitbuddy.tui.widgets.runs_pane import RunsArea

    for _ in range(300):
        await pilot.pause(0.01)
        areas, backlogs = pilot.app.screen.query(RunsArea), pilot.app.screen.query(BacklogArea)
        strips = pilot.app.screen.query(PlanStrip)
        if areas and areas.first()._reported and backlogs and backlogs.first().loaded and strips \
                and strips.first().view is not None:
            break
    await pilot.pause()


def test_dashboard_80x24(app, snap_compare):
    assert snap_compare(app, terminal_size=(80, 24), run_before=runs_reported)


def test_dashboard_120x36(app, snap_compare):
    assert snap_compare(app, terminal_size=(120, 36), run_before=runs_reported)


def test_dashboard_200x50(app, snap_compare):
    assert snap_compare(app, terminal_size=(200, 50), press=["4"], run_before=runs_reported)


def test_help_80x24(app, snap_compare):
    assert snap_compare(app, terminal_size=(80, 24), press=["question_mark"], run_before=runs_reported)


RUNS = [
    {"path": "/runs/bert-base/train.log", "name": "bert-base", "status": "running", "framework": "transformers",
     "progress": {"unit": "step", "done": 4500, "total": 10000, "fraction": 0.45}, "epoch": {"done": 1, "total": 3},
     "eta_seconds": 6100.0, "elapsed_seconds": 4980.0, "metrics": {"loss": 0.3121, "learning_rate": 3.5e-05},
     "error": None, "stall": None, "note": None, "spark": [2.3, 1.9, 1.4, 1.0, 0.8, 0.62, 0.5, 0.44, 0.39, 0.35, 0.33, 0.31],
     "run_id": 1, "muted": False},
    {"path": "/runs/resnet50/train.log", "name": "resnet50", "status": "completed", "framework": "lightning",
     "progress": {"unit": "it", "done": 391, "total": 391, "fraction": 1.0}, "epoch": {"done": 90, "total": 90},
     "eta_seconds": 0.0, "elapsed_seconds": 11520.0, "metrics": {"train_loss": 0.842, "val_acc": 0.761},
     "error": None, "stall": None, "note": None, "spark": [4.1, 3.0, 2.2, 1.7, 1.4, 1.2, 1.05, 0.95, 0.9, 0.86, 0.85, 0.84],
     "run_id": 2, "muted": False},
    {"path": "/runs/llama-sft/slurm-4211.out", "name": "llama-sft", "status": "failed", "framework": "tqdm",
     "progress": {"unit": "it", "done": 812, "total": 5000, "fraction": 0.1624}, "epoch": None,
     "eta_seconds": None, "elapsed_seconds": 2460.0, "metrics": {"loss": 1.87},
     "error": {"kind": "cuda_oom", "message": "CUDA out of memory (tried to allocate 2.00 GiB)"},
     "stall": None, "note": None, "spark": [], "run_id": 3, "muted": False},
    {"path": "/runs/xgb-sweep/train.log", "name": "xgb-sweep", "status": "stalled", "framework": "optuna",
     "progress": {"unit": "trial", "done": 37, "total": None, "fraction": None}, "epoch": None,
     "eta_seconds": None, "elapsed_seconds": 3000.0, "metrics": {"value": 0.2148},
     "error": None, "stall": "no output for 14m (usually every 20s)", "note": None, "spark": [], "run_id": 4, "muted": True},
]


def test_dashboard_with_runs_120x36(app, snap_compare):
    """The README's screenshot: fixed run states pushed into the Runs pane (no clock involved)."""
    from waitbuddy.tui.widgets.runs_pane import RunsArea

    async def show_runs(pilot):
        await runs_reported(pilot)
        runs = app.screen.query_one(RunsArea)
        runs.post_message(RunsArea.Updated([as_pushed(run) for run in RUNS]))
        await pilot.pause()
        runs._refresh_rows()
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 36), run_before=show_runs)


def pane_runs() -> list[dict]:
    """RUNS and a demo-like run with epochs, with times relative to now (the order depends on them)."""
    import time

    from waitbuddy.timefmt import iso

    now = time.time()
    demo = {**RUNS[0], "path": "/tmp/demo/demo.log", "name": "demo (simulated)", "framework": "tqdm",
            "progress": {"unit": "it", "done": 97, "total": 200, "fraction": 0.4957}, "epoch": {"done": 1, "total": 3},
            "eta_seconds": 31.0, "elapsed_seconds": 30.0, "metrics": {"loss": 0.672}, "run_id": 5,
            "spark": [2.3, 2.1, 1.8, 1.5, 1.3, 1.1, 0.95, 0.85, 0.8, 0.75, 0.7, 0.67]}
    times = {"bert-base": (4980, None), "resnet50": (None, 1800), "llama-sft": (None, 600), "xgb-sweep": (3000, None)}
    runs = [demo]
    for run in RUNS:
        started, ended = times[run["name"]]
        runs.append({**run, "started_at": iso(now - started) if started else None,
                     "ended_at": iso(now - ended) if ended else None, "updated_at": iso(now - (ended or 0))})
    runs[0] = {**demo, "started_at": iso(now - 30), "updated_at": iso(now)}
    return runs


def test_runs_pane_80x24(app, snap_compare):
    """Running with epochs, completed, failed, stalled and muted rows, in their columns at 80 columns."""
    from waitbuddy.tui.widgets.runs_pane import RunsArea

    async def show_runs(pilot):
        await runs_reported(pilot)
        runs = app.screen.query_one(RunsArea)
        runs.post_message(RunsArea.Updated([as_pushed(run) for run in pane_runs()]))
        await pilot.pause()
        runs._refresh_rows()
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=show_runs)


RUN_LOG = "".join(
    f"step {step}/1000 loss={0.4 + 2 * 2.718 ** (-step / 250):.4f} lr=3e-05\n"
    + (f"step {step}/1000 eval_loss={0.55 + 2 * 2.718 ** (-step / 300):.4f}\n" if step % 250 == 0 else "")
    for step in range(50, 751, 50)
) + "\rtraining:  75%|#######5  | 3/4 [01:30<00:30, 30.0s/it]\n\rbatches:  50%|#####     | 125/250 [00:15<00:15, 8.3it/s, loss=0.512]\x1b[A"


def test_run_view_80x24(app, snap_compare, tmp_path, monkeypatch):
    """The run view of a running job: the watcher's state, the chart with its eval series, the log
    and both bars the terminal is drawing. A relative path keeps the picture the same anywhere."""
    from waitbuddy.tui.screens.run_detail import RunScreen
    from waitbuddy.tui.widgets.chart import MetricChart

    monkeypatch.chdir(tmp_path)
    log = tmp_path / "runs" / "bert-base" / "train.log"
    log.parent.mkdir(parents=True)
    log.write_text(RUN_LOG)
    state = {**RUNS[0], "path": "runs/bert-base/train.log", "progress": {"unit": "step", "done": 750, "total": 1000,
             "fraction": 0.75}, "epoch": None, "eta_seconds": 300.0, "elapsed_seconds": 900.0,
             "metrics": {"loss": 0.4996, "eval_loss": 0.7227}}

    async def open_view(pilot):
        await runs_reported(pilot)
        screen = RunScreen("runs/bert-base/train.log", "bert-base", 600.0, latest=lambda: as_pushed(state))
        await app.push_screen(screen)
        for _ in range(300):
            await pilot.pause(0.01)
            if screen.query_one(MetricChart).series and screen.query_one("#run-current").display:
                break
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=open_view)


@pytest.fixture
def app_with_items():
    """A backlog of a few items, one with a hostile title (markup and escape sequences)."""
    from datetime import timedelta

    from waitbuddy.reading import backlog

    with Store.open(":memory:") as store:
        for days, (url, title, minutes, tags) in enumerate((
            ("https://arxiv.org/abs/2401.00001", "Scaling laws for neural language models", 42, ["papers", "ml"]),
            ("https://example.com/post", "[bold red]Not markup[/] \x1b]2;pwned\x07 and \x1b[2J a CSI", 7, ["blog"]),
            ("https://github.com/karpathy/nanoGPT", "nanoGPT: the simplest, fastest repository", 15, []),
        )):
            saved = backlog.utc_now() - timedelta(days=10 - days)  # shown as "1w" whatever the day
            item, _ = backlog.add_url(store, url, tags=tags, now=saved)
            backlog.update(store, [item.id], "title", title=title, now=saved)
            with store.transaction() as db:
                db.execute("UPDATE items SET minutes = ?, fetch_state = 'done' WHERE id = ?", (minutes, item.id))
        yield WaitBuddy(config=config.Config(), store=store)


def test_backlog_with_items_80x24(app_with_items, snap_compare):
    # S: by priority, then oldest (the default order, resurface, is shuffled on every start).
    assert snap_compare(app_with_items, terminal_size=(80, 24), press=["2", "S"], run_before=runs_reported)


def test_prompt_80x24(app, snap_compare):
    assert snap_compare(app, terminal_size=(80, 24), press=["1", "a"], run_before=runs_reported)


def test_confirm_80x24(app, snap_compare):
    from waitbuddy.tui.screens.prompt import Confirm

    async def ask(pilot):
        await runs_reported(pilot)
        await app.push_screen(Confirm("Archive 12 unread items saved more than 30 days ago? (u undoes it)"))
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=ask)


@pytest.fixture
def app_with_feeds(monkeypatch):
    """Feeds from arXiv and a blog that is failing, one entry with a hostile title, interests set,
    at a frozen time (ages and dates in the picture never move)."""
    from datetime import UTC, datetime, timedelta

    from waitbuddy.feeds import library
    from waitbuddy.feeds.model import FeedItem
    from waitbuddy.tui.widgets import feeds_pane

    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    monkeypatch.setattr(feeds_pane, "utc_now", lambda: now)
    abstract = ("We adapt latent diffusion models to new domains with low-rank adapters (LoRA), training 0.1% of "
                "the weights. On four benchmarks the adapted models match full fine-tuning at a fraction of the "
                "memory, and adapters for different domains can be merged without retraining.")
    papers = [
        ("2403.00101", "LoRA for latent diffusion", ("Ada Lovelace", "Alan Turing", "Grace Hopper"),
         abstract, 3),
        ("2403.00102", "[bold]Not markup[/] [@click=app.quit]click[/] \x1b]52;c;cm0gLXJm\x07 title", ("Mallory",),
         "An abstract with [red]brackets[/] in it.", 5),
        ("2403.00103", "Scaling laws for sparse mixture-of-experts", ("Edsger Dijkstra",), "We fit scaling laws.", 8),
    ]
    posts = [("post-1", "Release 2.0 of our trainer", "Faster checkpoints.", 30),
             ("post-2", "Notes on tmux panes for long runs", "Windows and sessions.", 80)]
    with Store.open(":memory:") as store:
        arxiv, _ = library.add_source(store, "arxiv:cs.LG", tags=("papers",))
        blog, _ = library.add_source(store, "https://blog.example.org/feed.xml", name="Trainer blog")
        library.store_items(store, arxiv.id, [
            FeedItem(guid=f"oai:arXiv.org:{key}", title=title, link=f"https://arxiv.org/abs/{key}", authors=authors,
                     published=now - timedelta(hours=hours), summary=summary, categories=("cs.LG",), arxiv_id=key,
                     arxiv_version=1, announce_type="new", primary_category="cs.LG", pages=12)
            for key, title, authors, summary, hours in papers], now)
        library.store_items(store, blog.id, [
            FeedItem(guid=guid, title=title, link=f"https://blog.example.org/{guid}", summary=summary,
                     published=now - timedelta(hours=hours)) for guid, title, summary, hours in posts], now)
        # Checked just now (never due in the test): arXiv fine, the blog failing.
        library.mark_checked(store, arxiv.id, now, ok_at=now, fresh_until=now + timedelta(days=365))
        library.mark_checked(store, blog.id, now, error="HTTP 503 Service Unavailable",
                             fresh_until=now + timedelta(days=365))
        toml = '[backlog]\nfetch = "off"\n[feed_settings]\ninterests = ["diffusion", "LoRA"]\n'
        yield WaitBuddy(config=config.parse(toml), store=store)


def test_feeds_pane_80x24(app_with_feeds, snap_compare):
    """The Feeds area zoomed: unread markers, sources, ages, why an entry ranks, a failing source,
    a hostile title as plain text, and the selected entry's abstract below."""
    from waitbuddy.tui.widgets.feeds_pane import FeedsArea

    async def show_feeds(pilot):
        await runs_reported(pilot)
        await pilot.press("3")
        for _ in range(300):
            await pilot.pause(0.01)
            if pilot.app.screen.query_one(FeedsArea).loaded:
                break
        await pilot.press("z")
        await pilot.pause()

    assert snap_compare(app_with_feeds, terminal_size=(80, 24), run_before=show_feeds)


@pytest.fixture
def app_with_checklists(monkeypatch):
    """The built-in lists with some history (done 47 days ago, done today, snoozed) and a custom
    item with a hostile title, at a frozen time in UTC (ages in the picture never move)."""
    from datetime import UTC, datetime, timedelta

    from waitbuddy.checklists import library
    from waitbuddy.tui.widgets import checklists_pane

    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    monkeypatch.setattr(checklists_pane, "utc_now", lambda: now)
    toml = '[backlog]\nfetch = "off"\n[checklist_settings]\ntimezone = "UTC"\n'
    with Store.open(":memory:") as store:
        settings = config.parse(toml)
        library.sync(store, settings, now=now)
        library.complete(store, library.get(store, "profile/linkedin-summary").id, now=now - timedelta(days=47))
        library.complete(store, library.get(store, "profile/github-readme").id, now=now - timedelta(hours=2))
        library.snooze(store, library.get(store, "profile/portfolio-page").id, 3, now=now)
        library.add(store, "Profile", "[bold]Not markup[/] [@click=app.quit]click[/] \x1b]52;c;cm0gLXJm\x07 title",
                    minutes=10, every="monthly", now=now)
        yield WaitBuddy(config=settings, store=store)


def test_checklists_pane_80x24(app_with_checklists, snap_compare):
    """The Checklists area zoomed: the due view by list, estimates, recurrence, last done, a
    ticked item, the minutes due on the status line, and a hostile title as plain text."""
    from waitbuddy.tui.widgets.checklists_pane import ChecklistsArea

    async def show_checklists(pilot):
        await runs_reported(pilot)
        await pilot.press("5")
        for _ in range(300):
            await pilot.pause(0.01)
            if pilot.app.screen.query_one(ChecklistsArea).loaded:
                break
        await pilot.press("z", "v")
        await pilot.pause()

    assert snap_compare(app_with_checklists, terminal_size=(80, 24), run_before=show_checklists)


@pytest.fixture
def app_with_practice(monkeypatch):
    """Practice with a few attempts at a frozen time (UTC): solved, attempted, one review due today."""
    import time as time_module
    from datetime import UTC, datetime, timedelta

    from waitbuddy.practice import progress
    from waitbuddy.tui.widgets import practice_pane

    monkeypatch.setenv("TZ", "UTC")
    time_module.tzset()
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    monkeypatch.setattr(practice_pane, "utc_now", lambda: now)
    scheduler = progress.make_scheduler(fuzzing=False)
    with Store.open(":memory:") as store:
        for slug, rating, days in (("contains-duplicate", "good", 1), ("valid-anagram", "hard", 2),
                                   ("two-sum", "easy", 9), ("two-sum", "easy", 1), ("group-anagrams", "again", 1),
                                   ("valid-parentheses", "good", 4)):
            progress.record_attempt(store, slug, rating, 20, now=now - timedelta(days=days), scheduler=scheduler)
        yield WaitBuddy(config=config.parse('[backlog]\nfetch = "off"\n'), store=store)
    monkeypatch.undo()  # TZ back, then the C library told
    time_module.tzset()


def test_practice_pane_80x24(app_with_practice, snap_compare):
    """The Practice area zoomed: categories with solved/total, statuses, a review due, Blind 75
    marks, last attempts, coverage and the streak on the status line."""
    from waitbuddy.tui.widgets.practice_pane import PracticeArea

    async def show_practice(pilot):
        await runs_reported(pilot)
        await pilot.press("4")
        for _ in range(300):
            await pilot.pause(0.01)
            if pilot.app.screen.query_one(PracticeArea).loaded:
                break
        await pilot.press("z")
        await pilot.pause()

    assert snap_compare(app_with_practice, terminal_size=(80, 24), run_before=show_practice)
