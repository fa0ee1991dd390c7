"""The daily update (issue 15): a day seeded through the real domain functions, read back as the
exact Markdown and text a person pastes; an empty day; the window's edges; hostile titles; JSON;
the command line."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from waitbuddy.checklists import library as checklists
from waitbuddy.feeds import library as feeds
from waitbuddy.feeds.model import FeedItem
from waitbuddy.planner import standup
from waitbuddy.practice import progress
from waitbuddy.reading import backlog
from waitbuddy.runs import notes, registry
from waitbuddy.runs.snapshot import RunSnapshot
from waitbuddy.store import Store

from .conftest import run_cli

CET = timezone(timedelta(hours=1), "CET")
MONDAY = datetime(2026, 11, 30, 9, 0, tzinfo=CET)  # the window: Monday 09:00 to Tuesday 09:00, CET
TUESDAY = MONDAY + timedelta(days=1)
QUEUE = ('Read "Attention Is All You Need" (15m)',)


def end(store: Store, path: str, name: str, summary: dict, *, started: datetime | None = None) -> int:
    """A run as a watcher leaves it: created, (launched,) its final state saved."""
    run_id = registry.ensure_run(store, path, name=name).id
    if started is not None:
        registry.restart(store, run_id, name=None, command=["python", "train.py"], pid=4242,
                         started=started.timestamp())
    registry.save_state(store, run_id, RunSnapshot.from_json({"path": path, "name": name, **summary}))
    return run_id


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def seed(store: Store, start: datetime) -> dict[str, int]:
    """A working day from ``start``: two runs ended (one by CUDA OOM), with notes; two items read,
    four feed entries marked read and one saved; two problems tried; a checklist step. And a run
    that ended the evening before, outside the window."""
    hour = timedelta(hours=1)
    end(store, "/runs/old.log", "old-run", {"status": "completed", "metrics": {"loss": 1.0},
                                             "ended_at": stamp(start - hour)})
    bert = end(store, "/runs/bert-base/train.log", "bert-base", {
        "status": "completed", "metrics": {"loss": 0.412, "eval_loss": 0.455, "eval_accuracy": 0.91,
                                           "learning_rate": 2e-05, "epoch": 3},
        "best": {"loss": 0.398, "eval_loss": 0.455, "eval_accuracy": 0.912},
        "ended_at": stamp(start + 3 * hour + timedelta(minutes=14))}, started=start + hour)
    end(store, "/runs/gpt2-small.log", "gpt2-small", {
        "status": "failed", "elapsed_seconds": 2460, "metrics": {"loss": 2.31, "lr": 0.0003}, "best": {"loss": 2.28},
        "error": {"kind": "cuda_oom", "message": "CUDA out of memory (tried to allocate 2.00 GiB)"},
        "ended_at": stamp(start + 5 * hour + timedelta(minutes=5))})
    notes.add(store, bert, "warmup of 500 steps removes the early loss spike", now=start + 3 * hour + timedelta(minutes=20))
    notes.add(store, bert, "try lr 3e-5 with cosine decay", kind="next", now=start + 3 * hour + timedelta(minutes=21))

    scaling, _ = backlog.add_url(store, "https://arxiv.org/abs/2001.08361", title="Scaling Laws for Neural Language "
                                 "Models", fetch=False, now=start - timedelta(days=3))
    backlog.update(store, [scaling.id], "done", status="done", now=start + 6 * hour)
    guide, _ = backlog.add_url(store, "https://blog.example/lora-guide", title="A practical guide to LoRA",
                               fetch=False, now=start + 7 * hour)
    backlog.update(store, [guide.id], "done", status="done", now=start + 7 * hour + timedelta(minutes=30))

    source = feeds.add_source(store, "arxiv:cs.LG")[0]
    papers = [FeedItem(guid=f"oai:arXiv.org:2411.0000{n}v1", title=title, link=f"https://arxiv.org/abs/2411.0000{n}",
                       arxiv_id=f"2411.0000{n}", arxiv_version=1, announce_type="new", pages=10)
              for n, title in enumerate(["LoRA without regret", "Sparse attention", "Protein folding", "Muon at scale",
                                         "Tokenizer-free models"], start=1)]
    feeds.store_items(store, source.id, papers, start)
    ids = {entry.item.title: entry.id for entry in feeds.entries(store)}
    feeds.set_read(store, [ids[title] for title in ids if title != "LoRA without regret"], now=start + 8 * hour)
    feeds.to_backlog(store, ids["LoRA without regret"], now=start + 8 * hour + timedelta(minutes=5))

    progress.record_attempt(store, "two-sum-ii-input-array-is-sorted", "good", 14, now=start + 9 * hour)
    progress.record_attempt(store, "merge-k-sorted-lists", "again", 40, now=start + 10 * hour)

    step, _ = checklists.add(store, "Profile", "Update the LinkedIn headline", now=start - hour)
    checklists.complete(store, step.id, now=start + 11 * hour)
    return {"bert": bert, "scaling": scaling.id, "guide": guide.id, "step": step.id}


@pytest.fixture
def day(store: Store) -> Store:
    seed(store, MONDAY)
    return store


def report(store: Store, since: datetime = MONDAY, until: datetime = TUESDAY, queue=QUEUE) -> standup.Standup:
    return standup.build(store, since=since, until=until, queue=queue, zone=CET)


DAY_MARKDOWN = """\
**Update** since Mon 30 Nov 09:00

*Runs*
- bert-base: completed in 2h14m · loss 0.412 (best 0.398) · eval_loss 0.455 · eval_accuracy 0.91 (best 0.912)
- gpt2-small: failed after 41m · loss 2.31 (best 2.28) · CUDA out of memory (tried to allocate 2.00 GiB)

*Learned*
- bert-base: warmup of 500 steps removes the early loss spike

*Read*
- [Scaling Laws for Neural Language Models](https://arxiv.org/abs/2001.08361)
- [A practical guide to LoRA](https://blog.example/lora-guide)
- 4 feed entries marked read

*Papers saved*
- [LoRA without regret](https://arxiv.org/abs/2411.00001)

*Problems*
- [Two Sum II Input Array Is Sorted](https://leetcode.com/problems/two-sum-ii-input-array-is-sorted/) (Medium, good, 14 min)
- [Merge K Sorted Lists](https://leetcode.com/problems/merge-k-sorted-lists/) (Hard, not solved yet, 40 min)

*Checklists*
- Update the LinkedIn headline (Profile)

**Next**
- bert-base: try lr 3e-5 with cosine decay
- Read "Attention Is All You Need" (15m)
"""

DAY_TEXT = """\
Update since Mon 30 Nov 09:00

Runs:
- bert-base: completed in 2h14m · loss 0.412 (best 0.398) · eval_loss 0.455 · eval_accuracy 0.91 (best 0.912)
- gpt2-small: failed after 41m · loss 2.31 (best 2.28) · CUDA out of memory (tried to allocate 2.00 GiB)

Learned:
- bert-base: warmup of 500 steps removes the early loss spike

Read:
- Scaling Laws for Neural Language Models — https://arxiv.org/abs/2001.08361
- A practical guide to LoRA — https://blog.example/lora-guide
- 4 feed entries marked read

Papers saved:
- LoRA without regret — https://arxiv.org/abs/2411.00001

Problems:
- Two Sum II Input Array Is Sorted — https://leetcode.com/problems/two-sum-ii-input-array-is-sorted/ (Medium, good, 14 min)
- Merge K Sorted Lists — https://leetcode.com/problems/merge-k-sorted-lists/ (Hard, not solved yet, 40 min)

Checklists:
- Update the LinkedIn headline (Profile)

Next:
- bert-base: try lr 3e-5 with cosine decay
- Read "Attention Is All You Need" (15m)
"""


def test_a_seeded_day_as_markdown(day: Store):
    assert standup.to_markdown(report(day)) == DAY_MARKDOWN


def test_a_seeded_day_as_text(day: Store):
    assert standup.to_text(report(day)) == DAY_TEXT


def test_an_empty_day_says_so_in_one_line(store: Store):
    empty = report(store, queue=())
    assert empty.nothing_done
    assert standup.to_markdown(empty) == "Nothing recorded since Mon 30 Nov 09:00.\n"
    assert standup.to_text(empty) == "Nothing recorded since Mon 30 Nov 09:00.\n"


def test_a_window_from_another_year_says_which(store: Store):
    assert standup.to_text(report(store, since=MONDAY - timedelta(weeks=52), queue=())) == (
        "Nothing recorded since Mon 1 Dec 2025 09:00.\n")


def test_a_day_with_nothing_done_still_says_what_is_next(day: Store):
    quiet = report(day, since=TUESDAY, until=TUESDAY + timedelta(days=1))
    assert standup.to_text(quiet) == ("Nothing recorded since Tue 1 Dec 09:00.\n\nNext:\n"
                                      "- bert-base: try lr 3e-5 with cosine decay\n"
                                      '- Read "Attention Is All You Need" (15m)\n')


def test_the_window_includes_its_start_and_excludes_its_end(day: Store):
    bert_ended = datetime(2026, 11, 30, 12, 14, tzinfo=CET)
    assert [run.name for run in report(day, since=bert_ended, until=bert_ended + timedelta(seconds=1)).runs] == [
        "bert-base"]
    assert report(day, since=bert_ended - timedelta(hours=1), until=bert_ended).runs == ()
    # The evening before is not Monday's: the old run ended at 08:00, one hour before the window.
    assert "old-run" not in standup.to_text(report(day))
    assert report(day, since=MONDAY - timedelta(hours=2)).runs[0].name == "old-run"


def test_a_window_that_ends_now_holds_what_happened_this_second(store: Store):
    item, _ = backlog.add_url(store, "https://blog.example/now", title="Just now", fetch=False)
    backlog.update(store, [item.id], "done", status="done")  # stamped to the second, as every event
    until = standup.until_now()
    assert [link.title for link in report(store, since=until - timedelta(hours=1), until=until).read] == ["Just now"]


def test_a_relaunched_run_shows_its_last_end_without_a_later_lifes_numbers(day: Store):
    gpt = registry.get(day, path="/runs/gpt2-small.log")
    registry.restart(day, gpt.id, name=None, command=["python", "train.py"], pid=5,
                     started=(MONDAY + timedelta(hours=13)).timestamp())  # running again, with a fresh summary
    [failed] = [run for run in report(day).runs if run.name == "gpt2-small"]
    assert failed.status == "failed" and failed.metrics == () and failed.reason == "cuda_oom"


def test_key_metrics_pick_losses_and_a_held_out_score_and_skip_bookkeeping():
    metrics = {"learning_rate": 1e-4, "epoch": 2, "train/grad_norm": 1.2, "train/loss": 0.5, "val/loss": 0.6,
               "train_acc": 0.8, "val_acc": 0.75, "eval_runtime": 12.3}
    chosen = standup.key_metrics(metrics, {"val/loss": 0.55})
    assert [(metric.name, metric.best) for metric in chosen] == [("train/loss", None), ("val/loss", 0.55),
                                                                  ("val_acc", None)]
    assert [metric.name for metric in standup.key_metrics({"lr": 0.1, "reward": 3.0, "kl": 0.1}, {})] == [
        "reward", "kl"]
    assert standup.key_metrics({"loss": "nan"}, {"loss": 0.2})[0].final == "nan"


def test_long_lists_are_capped_with_how_many_more(store: Store):
    for number in range(23):
        item, _ = backlog.add_url(store, f"https://blog.example/{number}", title=f"Post {number}", fetch=False,
                                  now=MONDAY)
        backlog.update(store, [item.id], "done", status="done", now=MONDAY + timedelta(minutes=number))
    source = feeds.add_source(store, "https://blog.example/feed.xml")[0]
    feeds.store_items(store, source.id, [FeedItem(guid=f"g{n}", title=f"Entry {n}", link=f"https://blog.example/e{n}")
                                         for n in range(200)], MONDAY)
    feeds.set_read(store, [entry.id for entry in feeds.entries(store)], now=MONDAY + timedelta(hours=1))  # in bulk
    text = standup.to_text(report(store, queue=()))
    assert "- Post 7 — https://blog.example/7\n- and 15 more\n- 200 feed entries marked read\n" in text
    assert "Post 8" not in text and "Entry" not in text
    nine = standup.Standup(MONDAY, TUESDAY, CET, read=tuple(standup.Link(f"P{n}", "") for n in range(9)))
    assert "- P8\n" in standup.to_text(nine) and "more" not in standup.to_text(nine)  # never "and 1 more"


def test_a_checklist_step_done_daily_is_listed_once_with_its_count(store: Store):
    step, _ = checklists.add(store, "Home", "Water the plants", every="daily", now=MONDAY - timedelta(days=9))
    for day in range(7):
        checklists.complete(store, step.id, now=MONDAY - timedelta(days=6) + timedelta(days=day))
    week = report(store, since=MONDAY - timedelta(days=7), queue=())
    assert standup.to_text(week).splitlines()[2:] == ["Checklists:", "- Water the plants (Home) ×7"]


HOSTILE = [
    "[/] \x1b[31mred\x1b[0m [@click=app.quit]",
    "Click](javascript:alert(1)) me",
    "\x1b]52;c;ZWNobyBwd25lZA==\x07clipboard *bold* _em_ `code` <b>html</b>",
    "# heading\nsecond line",
    "1. not a list",
]


def test_hostile_titles_and_names_reach_neither_terminal_nor_markdown(store: Store):
    for number, title in enumerate(HOSTILE):
        item, _ = backlog.add_url(store, f"https://evil.example/{number}?q=(x)", fetch=False, now=MONDAY)
        backlog.update(store, [item.id], "done", status="done", title=title, now=MONDAY + timedelta(minutes=number))
    run_id = end(store, "/runs/evil.log", "\x1b[2Jevil\x9b31m", {
        "status": "failed", "error": {"kind": "exception", "message": "boom \x1b]0;pwned\x07 ](javascript:x)"},
        "ended_at": stamp(MONDAY + timedelta(hours=1))})
    notes.add(store, run_id, "[/]\x1b[1m *nope*", now=MONDAY + timedelta(hours=2))
    built = report(store, queue=("\x1b[5mqueued\x07 [x](javascript:y)",))
    markdown, text = standup.to_markdown(built), standup.to_text(built)
    for output in (markdown, text, json.dumps(standup.to_json(built), ensure_ascii=False)):
        assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f]", output)  # no escape or control of any kind
    rendered = MarkdownIt("commonmark").render(markdown)
    hrefs = re.findall(r'href="([^"]*)"', rendered)
    assert hrefs == [f"https://evil.example/{n}?q=%28x%29" for n in range(len(HOSTILE))]  # each item its own link
    items = re.findall(r"<li>(.*?)</li>", rendered)
    assert len(items) == len(HOSTILE) + 3  # the items read, the run, its note, the queued line: nothing merged
    for item in items:  # no emphasis, code, heading, list or HTML made of a title: only our links
        assert "<" not in re.sub(r'<a href="[^"]*">|</a>', "", item), item
    assert rendered.count("<ul>") == 4 and "<ol>" not in rendered and "<h1>" not in rendered
    assert "javascript:alert(1)" in rendered  # shown as the text it is, never as a target
    assert "- [/] red [@click=app.quit] — https://evil.example/0?q=(x)" in text
    assert "\\[/\\] red \\[@click=app.quit\\]" in markdown
    assert "\\e[2Jevil\\x9b31m: failed" in text  # a run name shows its control characters, visibly


def test_json_shape(day: Store):
    data = standup.to_json(report(day))
    assert json.loads(json.dumps(data)) == data
    assert (data["since"], data["until"], data["nothing_done"]) == ("2026-11-30T08:00:00Z", "2026-12-01T08:00:00Z",
                                                                    False)
    bert, gpt = data["runs"]
    assert bert == {"id": bert["id"], "name": "bert-base", "status": "completed", "ended_at": "2026-11-30T11:14:00Z",
                    "duration_seconds": 8040.0, "reason": None,
                    "metrics": [{"name": "loss", "final": 0.412, "best": 0.398},
                                {"name": "eval_loss", "final": 0.455, "best": 0.455},
                                {"name": "eval_accuracy", "final": 0.91, "best": 0.912}]}
    assert (gpt["status"], gpt["duration_seconds"], gpt["reason"]) == (
        "failed", 2460, "CUDA out of memory (tried to allocate 2.00 GiB)")
    assert data["read"][1] == {"title": "A practical guide to LoRA", "url": "https://blog.example/lora-guide"}
    assert data["feed_entries_read"] == 4
    assert data["saved"] == [{"title": "LoRA without regret", "url": "https://arxiv.org/abs/2411.00001"}]
    assert data["problems"][1] == {"slug": "merge-k-sorted-lists", "title": "Merge K Sorted Lists", "difficulty": "Hard",
                                   "rating": "again", "minutes": 40,
                                   "url": "https://leetcode.com/problems/merge-k-sorted-lists/"}
    assert data["checklists"] == [{"title": "Update the LinkedIn headline", "list": "Profile", "times": 1}]
    assert data["learned"] == [{"run_id": bert["id"], "run": "bert-base",
                                "text": "warmup of 500 steps removes the early loss spike"}]
    assert data["next"] == [{"text": "try lr 3e-5 with cosine decay", "run_id": bert["id"], "run": "bert-base",
                             "from": "note"},
                            {"text": QUEUE[0], "run_id": None, "run": None, "from": "planner"}]


@pytest.mark.parametrize(("given", "expected"), [
    ("24h", MONDAY), ("1d", MONDAY), ("90m", TUESDAY - timedelta(minutes=90)), ("1w", TUESDAY - timedelta(days=7)),
    ("2026-11-30", datetime(2026, 11, 30, tzinfo=CET)), ("2026-11-30T12:00", datetime(2026, 11, 30, 12, tzinfo=CET)),
    ("2026-11-30T12:00Z", datetime(2026, 11, 30, 12, tzinfo=UTC)),
])
def test_since_spans_and_dates(given: str, expected: datetime):
    assert standup.parse_since(given, TUESDAY, CET) == expected


@pytest.mark.parametrize("given", ["", "yesterday", "24", "-3d", "3 days", "2026-13-01", "2026-12-02", "0h"])
def test_since_refuses_what_it_cannot_read_or_what_is_not_past(given: str):
    with pytest.raises(standup.SinceError):
        standup.parse_since(given, TUESDAY, CET)


# -- the command line ----------------------------------------------------------------------------------


def test_the_command_prints_the_update_of_the_last_day(tmp_path: Path, store: Store):
    seed(store, datetime.now(UTC) - timedelta(hours=23, minutes=30))  # the old run ended 24.5 hours ago
    env = {"WAITBUDDY_DATA_DIR": str(tmp_path / "data"), "TZ": "UTC"}
    result = run_cli("standup", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("**Update** since ") and "*Runs*\n- bert-base: completed in 2h14m" in result.stdout
    assert "old-run" not in result.stdout
    text = run_cli("standup", "--format", "text", env=env)
    assert "- Scaling Laws for Neural Language Models — https://arxiv.org/abs/2001.08361\n" in text.stdout
    data = json.loads(run_cli("standup", "--json", "--since", "1w", env=env).stdout)
    assert [run["name"] for run in data["runs"]] == ["old-run", "bert-base", "gpt2-small"]


def test_the_command_refuses_a_bad_since_with_exit_2(tmp_path: Path):
    result = run_cli("standup", "--since", "fortnight", env={"WAITBUDDY_DATA_DIR": str(tmp_path / "data")})
    assert result.returncode == 2
    assert "--since: expected a span such as 24h, 3d or 1w" in result.stderr and "Traceback" not in result.stderr


def test_the_command_on_a_fresh_install_says_nothing_happened_and_creates_nothing(tmp_path: Path):
    result = run_cli("standup", "--format", "text", "--since", "3d",
                     env={"WAITBUDDY_DATA_DIR": str(tmp_path / "fresh"), "TZ": "UTC"})
    assert result.returncode == 0 and result.stdout.startswith("Nothing recorded since ")
    assert result.stdout.count("\n") == 1 and not (tmp_path / "fresh").exists()


def test_an_end_stamped_twice_a_second_apart_keeps_its_numbers_and_says_its_reason_once(store: Store):
    # Seen in use: Ctrl-C on a `waitbuddy run` job: the dashboard's watcher saw the traceback and
    # stamped the end, the launcher stamped its exit a second later; the update then read
    # "interrupted · interrupted", with no duration.
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
    run_id = end(store, "/runs/bert.log", "bert-base", {
        "status": "interrupted", "elapsed_seconds": 36.0, "metrics": {"loss": 0.65},
        "error": {"kind": "interrupted", "message": "interrupted (KeyboardInterrupt)"}}, started=start)
    ended = registry.get(store, run_id=run_id).ended_at
    with store.transaction() as db:
        db.execute("UPDATE runs SET ended_at = ? WHERE id = ?", (stamp(datetime.fromisoformat(
            ended) + timedelta(seconds=1)), run_id))
    until = standup.until_now()
    [run] = report(store, since=until - timedelta(hours=1), until=until, queue=()).runs
    assert run.duration_seconds is not None and run.metrics
    line = standup.to_text(report(store, since=until - timedelta(hours=1), until=until, queue=())).splitlines()[3]
    assert line.startswith("- bert-base: interrupted after ") and line.endswith(" · KeyboardInterrupt")
    assert line.count("interrupted") == 1
