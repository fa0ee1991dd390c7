"""Practice: the bundled list, user lists, fsrs review, picking within the minutes, import, the CLI."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

import pytest
from fsrs import Card, Rating, Scheduler

from waitbuddy import history
from waitbuddy.cli import main
from waitbuddy.practice import lists, pick, progress
from waitbuddy.practice.lists import ListError

NOON = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def data(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("WAITBUDDY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("WAITBUDDY_CONFIG", str(tmp_path / "config.toml"))
    return tmp_path


def output(capsys, *args: str, status: int = 0) -> list[str]:
    capsys.readouterr()
    assert main(list(args)) == status
    return capsys.readouterr().out.splitlines()


# -- lists ---------------------------------------------------------------------------------------


def test_bundled_neetcode150_matches_its_counts():
    problems = lists.bundled()
    assert len(problems) == 150 and len({problem.slug for problem in problems}) == 150
    assert Counter(problem.difficulty for problem in problems) == {"Easy": 28, "Medium": 101, "Hard": 21}
    assert sum(problem.blind75 for problem in problems) == 75
    assert sum(problem.premium for problem in problems) == 7
    assert len({problem.category for problem in problems}) == 18
    assert problems[0].url == "https://leetcode.com/problems/contains-duplicate/"


def test_data_is_package_data_with_its_license():
    folder = resources.files("waitbuddy.practice").joinpath("data")
    assert folder.joinpath("neetcode150.json").is_file()
    assert "Copyright (c) 2022 neetcode-gh" in folder.joinpath("NEETCODE-LICENSE").read_text("utf-8")


def test_slug_of_urls_and_slugs():
    assert lists.slug_of("https://leetcode.com/problems/two-sum/description/") == "two-sum"
    assert lists.slug_of("leetcode.cn/problems/two-sum") == "two-sum"
    assert lists.slug_of("Two-Sum") == "two-sum"
    assert lists.slug_of("https://evil.example/problems/two-sum/") is None
    assert lists.slug_of("two sum") is None


def test_user_lists_in_three_formats(tmp_path):
    toml = tmp_path / "mine.toml"
    toml.write_text('title = "Graphs week"\n[[problems]]\nslug = "number-of-islands"\n\n[[problems]]\n'
                    'url = "https://leetcode.com/problems/lru-cache/"\ndifficulty = "medium"\ncategory = "Design"\n')
    csv = tmp_path / "more.csv"
    csv.write_text("slug,difficulty,category,title\ntwo-sum\nrange-sum-query-2d-immutable,Medium,Prefix sums,\n")
    urls = tmp_path / "urls.txt"
    urls.write_text("# solved\nhttps://leetcode.com/problems/valid-anagram/\n\n")
    found = lists.catalog([toml, csv, urls])
    assert found.lists == ("neetcode150", "Graphs week", "more", "urls")
    by_slug = found.by_slug()
    assert len(found.problems) == 151  # lru-cache, two-sum, valid-anagram are in the NeetCode 150
    assert by_slug["number-of-islands"].lists == ("neetcode150", "Graphs week")
    assert by_slug["lru-cache"].category == "Linked List"  # merged: the bundled entry stays
    assert lists.load_list(toml)[1][1].category == "Design"  # in the list itself, the row's own wins
    assert by_slug["range-sum-query-2d-immutable"].difficulty == "Medium"
    assert found.problems[-1].slug == "range-sum-query-2d-immutable"


@pytest.mark.parametrize(("name", "text", "message"), [
    ("bad.txt", "two-sum\n\nhttps://example.com/x\n", "bad.txt, line 3: not a LeetCode problem slug or URL"),
    ("bad.csv", "slug\ntwo-sum\nfoo-bar\n", "bad.csv, line 3: foo-bar is not in the NeetCode 150: give its difficulty"),
    ("bad.csv", "two-sum,Trivial\n", "bad.csv, line 1: difficulty must be Easy, Medium or Hard"),
    ("bad.csv", "a,Easy,b,c,d\n", "bad.csv, line 1: expected at most 4 columns"),
    ("bad.toml", '[[problems]]\nslug = "two-sum"\n\n[[problems]]\nslug = 3\n', "bad.toml, line 4: slug must be"),
    ("bad.toml", '[[problems]]\nslug = "two-sum"\nlevel = "x"\n', "bad.toml, line 1: unknown key 'level'"),
    ("bad.toml", "title = \n", "bad.toml: "),
])
def test_bad_rows_name_file_and_line(tmp_path, name, text, message):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ListError) as caught:
        lists.catalog([path])
    assert str(caught.value).startswith(str(tmp_path / message.split(":")[0]).rsplit("/", 1)[0])
    assert message in str(caught.value)


def test_a_missing_list_is_a_clear_error(tmp_path):
    with pytest.raises(ListError, match="cannot read"):
        lists.catalog([tmp_path / "nope.toml"])


# -- progress and fsrs ---------------------------------------------------------------------------


def test_review_intervals_match_fsrs_itself(store):
    """fsrs 6.3.2 with fuzzing off: our stored card follows the package's own scheduler exactly,
    except that nothing is due again the same local day."""
    scheduler = Scheduler(enable_fuzzing=False)
    expected = Card(card_id=1)
    when = NOON
    for rating in ("good", "good", "hard", "again", "good", "easy"):
        expected, _ = scheduler.review_card(expected, Rating[rating.capitalize()], review_datetime=when)
        progress.record_attempt(store, "two-sum", rating, 20, now=when, scheduler=scheduler)
        state = progress.states(store)["two-sum"]
        card = Card.from_dict(state.card)
        assert (card.state, card.stability, card.difficulty, card.due) == (
            expected.state, expected.stability, expected.difficulty, expected.due)
        assert state.due == max(expected.due, progress.next_day(when))
        when = max(state.due, when + timedelta(hours=1))
    # A good first review is a 10-minute learning step; a second good graduates it to days.
    first, _ = scheduler.review_card(Card(card_id=2), Rating.Good, review_datetime=NOON)
    assert first.due - NOON == timedelta(minutes=10)
    second, _ = scheduler.review_card(first, Rating.Good, review_datetime=first.due)
    assert second.due - first.due >= timedelta(days=1)


def test_rated_hard_is_not_shown_again_the_same_day(store):
    found = lists.catalog()
    progress.record_attempt(store, "two-sum", "hard", 20, now=NOON)
    later = NOON + timedelta(hours=2)
    states = progress.states(store)
    assert not progress.is_due(states["two-sum"], later)
    for minutes in (15, 30, 60, None):
        chosen = pick.pick_next(found, states, progress.attempts(store), minutes, later)
        assert chosen is None or chosen.problem.slug != "two-sum"
    tomorrow = progress.next_day(NOON) + timedelta(hours=9)
    assert progress.is_due(progress.states(store)["two-sum"], tomorrow)
    chosen = pick.pick_next(found, states, progress.attempts(store), 30, tomorrow)
    assert chosen is not None and (chosen.kind, chosen.problem.slug) == ("review", "two-sum")


def test_import_solved_invents_no_attempts(store):
    changed, _ = progress.import_solved(store, ["two-sum", "valid-anagram", "two-sum"], now=NOON)
    assert changed == 2
    assert progress.attempts(store) == []
    states = progress.states(store)
    assert {states[slug].status for slug in ("two-sum", "valid-anagram")} == {"solved"}
    assert all(state.card is None and state.due is None for state in states.values())
    result = pick.stats(lists.catalog(), states, [], NOON)
    assert (result.solved, result.due, result.streak, result.attempts) == (2, 0, 0, 0)
    assert [event.kind for event in history.events(store, NOON - timedelta(days=1), NOON + timedelta(days=1))] \
        == ["imported"]


def test_undo_takes_an_attempt_back(store):
    change = progress.record_attempt(store, "two-sum", "good", 10, now=NOON)
    progress.undo(store, change)
    assert progress.states(store) == {} and progress.attempts(store) == []
    assert history.events(store, NOON - timedelta(days=1), NOON + timedelta(days=1)) == []


def test_start_then_done_counts_the_minutes(store):
    progress.start(store, "two-sum", now=NOON)
    progress.record_attempt(store, "two-sum", "good", now=NOON + timedelta(minutes=23))
    assert progress.attempts(store)[0].minutes == 23
    assert progress.states(store)["two-sum"].started_at is None


# -- picking -------------------------------------------------------------------------------------


def test_next_never_exceeds_the_minutes(store):
    found = lists.catalog()
    now = NOON
    for day in range(40):
        now = NOON + timedelta(days=day)
        for minutes in (5, 14, 15, 29, 30, 44, 45, 90):
            states, attempts = progress.states(store), progress.attempts(store)
            chosen = pick.pick_next(found, states, attempts, minutes, now)
            if chosen is None:
                continue
            assert chosen.minutes <= minutes
            assert pick.typical_minutes(found, attempts)[chosen.problem.difficulty] <= minutes
        chosen = pick.pick_next(found, progress.states(store), progress.attempts(store), 90, now)
        assert chosen is not None
        # Slow at first, so the person's own times (median over 3+) take over from the defaults.
        progress.record_attempt(store, chosen.problem.slug, ("good", "hard", "again")[day % 3],
                                35 if day < 5 else 25, now=now)
    typical = pick.typical_minutes(found, progress.attempts(store))
    assert typical != pick.DEFAULT_MINUTES  # own medians took over
    assert pick.pick_next(found, progress.states(store), progress.attempts(store), min(typical.values()) - 1,
                          now) is None


def test_own_times_replace_defaults_after_three():
    found = lists.catalog()
    easy = [p.slug for p in found.problems if p.difficulty == "Easy"][:3]
    attempts = [progress.Attempt(i, slug, NOON, 40, "good") for i, slug in enumerate(easy[:2])]
    assert pick.typical_minutes(found, attempts)["Easy"] == 15
    attempts.append(progress.Attempt(3, easy[2], NOON, 10, "good"))
    assert pick.typical_minutes(found, attempts)["Easy"] == 40
    # Easy now takes this person 40 minutes: nothing fits in 20 (Medium is still 30 by default).
    assert pick.pick_next(found, {}, attempts, 20, NOON) is None
    assert pick.pick_next(found, {}, attempts, 30, NOON).problem.difficulty == "Medium"


def test_next_favours_weak_categories_and_is_deterministic(store):
    found = lists.catalog()
    progress.import_solved(store, [p.slug for p in found.problems if p.category == "Arrays & Hashing"], now=NOON)
    states = progress.states(store)
    first = pick.pick_next(found, states, [], 60, NOON)
    assert first is not None and first.problem.category != "Arrays & Hashing"
    assert first == pick.pick_next(found, states, [], 60, NOON)
    assert pick.pick_next(found, states, [], 60, NOON, exclude={first.problem.slug}) != first


def test_streak_counts_days_in_a_row():
    today = NOON.date()
    assert pick.streak({today, today - timedelta(days=1), today - timedelta(days=3)}, today) == 2
    assert pick.streak({today - timedelta(days=1)}, today) == 1
    assert pick.streak(set(), today) == 0


# -- CLI -----------------------------------------------------------------------------------------


def test_cli_next_done_stats(data, capsys):
    first = json.loads(output(capsys, "practice", "next", "--minutes", "20", "--json")[0])
    assert first["difficulty"] == "Easy" and first["typical_minutes"] <= 20 and first["kind"] == "new"
    output(capsys, "practice", "done", first["url"], "--rating", "good", "--minutes", "25")
    stats = json.loads(output(capsys, "practice", "stats", "--json")[0])
    assert (stats["solved"], stats["total"], stats["streak"]) == (1, 150, 1)
    assert output(capsys, "practice", "next", "--minutes", "5", status=1) == []
    output(capsys, "practice", "done", "no-such-problem", "--rating", "good", status=2)
    rows = [json.loads(line) for line in output(capsys, "practice", "list", "--blind75", "--json")]
    assert len(rows) == 75 and sum(row["status"] == "solved" for row in rows) == 1


def test_cli_import(data, capsys, tmp_path):
    solved = tmp_path / "solved.txt"
    solved.write_text("https://leetcode.com/problems/two-sum/\nvalid-anagram\n")
    assert output(capsys, "practice", "import", str(solved))[0].endswith(
        "2 marked solved, 0 already solved, 0 not on your lists")
    bad = tmp_path / "bad.txt"
    bad.write_text("two-sum\nnot a url\n")
    capsys.readouterr()
    assert main(["practice", "import", str(bad)]) == 2
    assert capsys.readouterr().err.strip().endswith("bad.txt, line 2: not a LeetCode problem slug or URL: 'not a url'")


def test_bad_custom_list_is_one_line_error(data, capsys, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("two-sum\nzzz-not-there\n")
    (tmp_path / "config.toml").write_text(f'[practice]\nlists = ["{bad}"]\n')
    capsys.readouterr()
    assert main(["practice", "next"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "bad.csv, line 2: zzz-not-there is not in the NeetCode 150" in err[0]


def test_hostile_custom_list_title_stays_plain_text(data, capsys, tmp_path):
    hostile = "\x1b]8;;https://evil.example\x07click\x1b]8;;\x07 \x1b[31m[@click=app.quit]\u202e\x9b2J"
    mine = tmp_path / "mine.toml"
    mine.write_text('title = "' + hostile.encode("unicode_escape").decode("ascii").replace("\\x", "\\u00")
                    + '"\n[[problems]]\nslug = "design-twitter-feed"\ndifficulty = "Medium"\n'
                    'title = "' + hostile.encode("unicode_escape").decode("ascii").replace("\\x", "\\u00") + '"\n')
    from waitbuddy.text import safe_line

    assert lists.load_list(mine)[0] == safe_line(hostile)  # cleaned on reading
    (tmp_path / "config.toml").write_text(f'[practice]\nlists = ["{mine}"]\n')
    for args in (("practice", "list"), ("practice", "stats"), ("practice", "next", "--blind75"),
                 ("practice", "list", "--json")):
        capsys.readouterr()
        main(list(args))
        captured = capsys.readouterr()
        for text in (captured.out, captured.err):
            assert not any(char in text for char in "\x1b\x07\x9b\u202e"), (args, text)
    lines = output(capsys, "practice", "list")
    assert any("Design Twitter Feed" not in line and "click [@click=app.quit]" in line for line in lines)
