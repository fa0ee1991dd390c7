"""Checklists: recurrence across month ends, leap days, DST, a machine off for weeks, per run;
the store's history; config errors; hostile titles in the CLI."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from waitbuddy import config, history
from waitbuddy.checklists import library, recurrence
from waitbuddy.checklists.builtins import LISTS
from waitbuddy.checklists.recurrence import is_due, next_period_start, parse, period_start
from waitbuddy.store import Store

BERLIN, NEW_YORK = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")


def local(zone, *args):
    return datetime(*args, tzinfo=zone).astimezone(UTC)


@pytest.mark.parametrize("text, shown", [("daily", "daily"), ("Weekly", "weekly"), ("monthly", "monthly"),
                                         ("quarterly", "quarterly"), ("every 3 days", "every 3 days"),
                                         ("10d", "every 10 days"), ("once per run", "per run"), ("per run", "per run")])
def test_parse(text, shown):
    assert str(parse(text)) == shown


@pytest.mark.parametrize("text", ["fortnightly", "every 0 days", "", "every -1 days"])
def test_parse_refuses(text):
    with pytest.raises(ValueError, match="expected"):
        parse(text)


def test_monthly_from_january_31():
    done = local(BERLIN, 2025, 1, 31, 22, 0)
    monthly = parse("monthly")
    assert not is_due(monthly, [done], local(BERLIN, 2025, 1, 31, 23, 59), BERLIN)
    assert is_due(monthly, [done], local(BERLIN, 2025, 2, 1, 0, 0), BERLIN)
    # 22:00 in Berlin on Jan 31 is still January there, though 21:00 UTC
    assert next_period_start(monthly, done, BERLIN) == local(BERLIN, 2025, 2, 1)
    assert next_period_start(monthly, local(BERLIN, 2025, 12, 31, 12), BERLIN) == local(BERLIN, 2026, 1, 1)
    assert next_period_start(parse("quarterly"), local(BERLIN, 2025, 11, 30), BERLIN) == local(BERLIN, 2026, 1, 1)


def test_leap_day():
    done = local(NEW_YORK, 2024, 2, 29, 9)
    assert next_period_start(parse("monthly"), done, NEW_YORK) == local(NEW_YORK, 2024, 3, 1)
    assert next_period_start(parse("daily"), done, NEW_YORK) == local(NEW_YORK, 2024, 3, 1)
    assert period_start(parse("weekly"), done, NEW_YORK) == local(NEW_YORK, 2024, 2, 26)  # a Monday
    every = parse("every 1 days")
    assert not is_due(every, [done], local(NEW_YORK, 2024, 2, 29, 23, 59), NEW_YORK)
    assert is_due(every, [done], local(NEW_YORK, 2024, 3, 1, 0, 0), NEW_YORK)
    # every 365 days from a leap day: Feb 28 next year (365 calendar days on)
    assert recurrence.due_at(parse("every 365 days"), [done], NEW_YORK) == local(NEW_YORK, 2025, 2, 28)


@pytest.mark.parametrize("zone, spring, autumn", [
    (BERLIN, (2025, 3, 30), (2025, 10, 26)), (NEW_YORK, (2025, 3, 9), (2025, 11, 2))])
def test_dst_days_are_days(zone, spring, autumn):
    daily = parse("daily")
    for day, hours in ((spring, 23), (autumn, 25)):
        start = local(zone, *day)
        assert period_start(daily, start + timedelta(hours=hours - 1), zone) == start
        assert next_period_start(daily, start, zone) == start + timedelta(hours=hours)
        done = start + timedelta(hours=hours - 0.5)  # 23:30 local, late on the short or long day
        assert not is_due(daily, [done], start + timedelta(hours=hours) - timedelta(seconds=1), zone)
        assert is_due(daily, [done], start + timedelta(hours=hours), zone)
    # every 2 days across the spring change: due at local midnight two calendar days on
    done = local(zone, spring[0], spring[1], spring[2] - 1, 12)
    assert recurrence.due_at(parse("every 2 days"), [done], zone).astimezone(zone).hour == 0


def test_a_machine_off_for_six_weeks_finds_one_due_copy(tmp_path):
    now = datetime(2025, 3, 3, 12, tzinfo=UTC)
    with Store.open(tmp_path / "db.sqlite") as store:
        library.sync(store, config.Config())
        item, _ = library.add(store, "Mine", "stretch", every="daily", now=now - timedelta(days=50))
        library.complete(store, item.id, now=now - timedelta(days=42))
        later = library.items(store, now=now, zone=BERLIN)
        mine = [found for found in later if found.id == item.id]
        assert len(mine) == 1 and mine[0].due
        library.complete(store, item.id, now=now)
        assert not library.get(store, item.id, now=now + timedelta(hours=1), zone=BERLIN).due
        assert len(library.get(store, item.id, now=now, zone=BERLIN).completions) == 2


def test_per_run(tmp_path):
    per_run = parse("per run")
    done = datetime(2025, 5, 1, 10, tzinfo=UTC)
    assert is_due(per_run, [], done, UTC)
    assert not is_due(per_run, [done], done + timedelta(days=30), UTC, last_run_start=done - timedelta(hours=1))
    assert is_due(per_run, [done], done + timedelta(days=1), UTC, last_run_start=done + timedelta(hours=2))
    with Store.open(tmp_path / "db.sqlite") as store:
        library.sync(store, config.Config())
        item = library.get(store, "while-it-trains/run-question")
        library.complete(store, item.id, now=done)
        assert not library.get(store, item.id, now=done + timedelta(days=3)).due
        assert library.get(store, item.id, now=done + timedelta(days=3)).waiting_for_run
        with store.transaction() as db:
            db.execute("INSERT INTO runs (path, name, started_at) VALUES ('/x.log', 'x', ?)",
                       (history.stamp(done + timedelta(days=1)),))
        assert library.get(store, item.id, now=done + timedelta(days=3)).due


def test_history_last_done_streak_and_undo(tmp_path):
    now = datetime(2025, 6, 20, 12, tzinfo=UTC)
    with Store.open(tmp_path / "db.sqlite") as store:
        library.sync(store, config.Config())
        assert len(library.items(store, now=now)) == sum(len(entries) for _, _, entries in LISTS)
        item = library.get(store, "profile/linkedin-summary")
        for weeks in (3, 2, 1, 0):
            library.complete(store, item.id, now=now - timedelta(days=7 * weeks))
        found = library.get(store, item.id, now=now, zone=UTC)
        assert found.streak == 4 and not found.due
        assert library.ago(found.last_done, now + timedelta(days=47), UTC) == "47 days ago"
        change = library.complete(store, item.id, now=now + timedelta(hours=1))
        events = history.events(store, now - timedelta(days=30), now + timedelta(days=1), "checklists", "done")
        assert len(events) == 5 and events[-1].detail["key"] == "profile/linkedin-summary"
        library.undo(store, change)
        assert len(library.get(store, item.id, now=now).completions) == 4
        assert len(history.events(store, now - timedelta(days=30), now + timedelta(days=1), "checklists")) == 4
        taken = library.uncomplete(store, item.id, now=now + timedelta(hours=2), zone=UTC)
        assert library.get(store, item.id, now=now + timedelta(hours=2), zone=UTC).due
        library.undo(store, taken)
        assert not library.get(store, item.id, now=now + timedelta(hours=2), zone=UTC).due
        snoozed = library.snooze(store, 1, 3, now=now)
        assert not library.get(store, 1, now=now + timedelta(days=2)).due
        library.undo(store, snoozed)
        assert library.get(store, 1, now=now).due
        library.edit(store, 1, title="New photo")
        library.sync(store, config.Config())
        assert library.get(store, 1).title == "New photo"  # an edit survives syncing


def test_settings_switch_lists_off_and_config_lists_sync(tmp_path):
    settings = config.parse(b'[checklist_settings]\nprofile = false\n[[checklists]]\nname = "Research"\n'
                            b'items = [{ title = "Skim papers", minutes = 20, every = "every 3 days" }]\n')
    with Store.open(tmp_path / "db.sqlite") as store:
        library.sync(store, settings)
        lists = {item.list_name for item in library.items(store)}
        assert "Profile" not in lists and "Research" in lists
        research = next(item for item in library.items(store) if item.list_name == "Research")
        assert (research.minutes, research.recurrence, research.custom) == (20, "every 3 days", True)
        library.sync(store, config.Config())
        assert "Research" not in {item.list_name for item in library.items(store)}
        assert "Profile" in {item.list_name for item in library.items(store)}


@pytest.mark.parametrize("text, expected", [
    (b'[[checklists]]\nname = "R"\nitems = [{ title = "a", every = "fortnightly" }]\n',
     'config.toml:1: [[checklists.items]] "a" every: expected daily, weekly'),
    (b'\n\n[[checklists]]\nname = "R"\n[[checklists.items]]\ntitle = "x"\nminutes = 0\n',
     'config.toml:3: [[checklists.items]] "x" minutes: expected a value from 1 to 600, got 0'),
    (b'[[checklists]]\nitems = []\n', "config.toml:1: [[checklists]] #1 name: expected a string, got None"),
    (b'[[checklists]]\nname = "R"\nitems = [{ titel = "a" }]\n', 'did you mean "title"'),
    (b'[checklist_settings]\ntimezone = "Mars/Olympus"\n', "config.toml:2: [checklist_settings] timezone"),
])
def test_config_errors(text, expected):
    with pytest.raises(config.ConfigError) as caught:
        config.parse(text)
    assert expected in str(caught.value)


def test_hostile_title_stays_plain_text(tmp_path, monkeypatch, capsys):
    from waitbuddy import cli

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    hostile = "\x1b]8;;http://evil/\x07click\x1b]8;;\x07 \x9b31m[@click=app.quit]\u202e[/]"
    assert cli.main(["checklists", "add", "Mine\x1b[2J", hostile, "--every", "daily"]) == 0
    assert cli.main(["checklists"]) == 0
    assert cli.main(["checklists", "--json"]) == 0
    out = capsys.readouterr().out
    assert "click [@click=app.quit][/]" in out
    for bad in ("\x1b", "\x9b", "\x07", "\u202e"):
        assert bad not in out
