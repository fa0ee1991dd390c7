"""Values that type-check but break the product are refused where they are written (issue 9, #18):
ranges, finiteness, alert URLs, and keymap keys that collide with another binding."""

from __future__ import annotations

import pytest

from waitbuddy import config
from waitbuddy.keys import APP_KEYS


def problems_of(text: str) -> list[str]:
    with pytest.raises(config.ConfigError) as caught:
        config.parse(text, "config.toml")
    return str(caught.value).splitlines()


@pytest.mark.parametrize(("value", "message"), [
    ("0", "expected a value from 0.1 to 3600, got 0"),  # a busy loop
    ("-1", "expected a value from 0.1 to 3600, got -1"),
    ("0.01", "expected a value from 0.1 to 3600, got 0.01"),
    ("inf", "expected a finite number, got inf"),  # OverflowError in the watcher thread
    ("nan", "expected a finite number, got nan"),
    ("1e300", "expected a value from 0.1 to 3600, got 1e+300"),
    ("3601", "expected a value from 0.1 to 3600, got 3601"),
])
def test_poll_seconds(value, message):
    assert problems_of(f"[runs]\npoll_seconds = {value}\n") == [f"config.toml:2: [runs] poll_seconds: {message}"]


@pytest.mark.parametrize(("value", "message"), [
    ("-5", "expected a value from 1 to 10080, got -5"),  # every run stalled at once
    ("0", "expected a value from 1 to 10080, got 0"),
    ("nan", "expected a finite number, got nan"),
    ("-inf", "expected a finite number, got -inf"),
    ("20000", "expected a value from 1 to 10080, got 20000"),
])
def test_stall_minutes(value, message):
    assert problems_of(f"[runs]\nstall_minutes = {value}\n") == [f"config.toml:2: [runs] stall_minutes: {message}"]


def test_eta_reminder_and_milestones():
    assert problems_of("[alerts]\neta_reminder_minutes = -3\nmilestones = [150, -5]\n") == [
        "config.toml:2: [alerts] eta_reminder_minutes: expected a value from 0 to 1440, got -3",
        "config.toml:3: [alerts] milestones: expected whole numbers from 1 to 99, got 150",
    ]
    assert problems_of("[alerts]\nmilestones = [50, 0]\n") == [
        "config.toml:2: [alerts] milestones: expected whole numbers from 1 to 99, got 0"]
    assert problems_of("[alerts]\nmilestones = [50, 100]\n") == [
        "config.toml:2: [alerts] milestones: expected whole numbers from 1 to 99, got 100"]
    assert problems_of("[alerts]\neta_reminder_minutes = nan\n") == [
        "config.toml:2: [alerts] eta_reminder_minutes: expected a finite number, got nan"]


def test_the_edges_are_accepted():
    loaded = config.parse("[runs]\npoll_seconds = 0.1\nstall_minutes = 1\n[alerts]\neta_reminder_minutes = 0\n"
                          "milestones = [1, 50, 99]\n")
    assert loaded.runs.poll_seconds == 0.1 and loaded.runs.stall_minutes == 1
    assert loaded.alerts.milestones == (1, 50, 99)
    loaded = config.parse("[runs]\npoll_seconds = 3600\nstall_minutes = 10080\n[alerts]\neta_reminder_minutes = 1440\n")
    assert loaded.runs.poll_seconds == 3600


@pytest.mark.parametrize("url", ["ftp://files.example.com/hook", "javascript:alert(1)", "file:///etc/passwd",
                                 "not a url", "https://", "http:///path", "example.com/hook", "-https://x.org"])
def test_alert_urls_must_be_http_with_a_host(url):
    quoted = config._show(url)
    expected = f"expected an http:// or https:// URL with a host, got {quoted}"
    assert problems_of(f'[alerts.webhook]\nurl = "{url}"\n') == [f"config.toml:2: [alerts.webhook] url: {expected}"]
    assert problems_of(f'[alerts.ntfy]\nserver = "{url}"\n') == [f"config.toml:2: [alerts.ntfy] server: {expected}"]


def test_good_alert_urls_and_an_empty_webhook():
    loaded = config.parse('[alerts.ntfy]\nserver = "http://127.0.0.1:8080"\n[alerts.webhook]\n'
                          'url = "https://hooks.slack.com/services/T0/B0/x"\n')
    assert loaded.alerts.ntfy.server == "http://127.0.0.1:8080"
    assert config.parse('[alerts.webhook]\nurl = ""\n').alerts.webhook.url == ""
    assert problems_of('[alerts.ntfy]\nserver = ""\n') == [
        'config.toml:2: [alerts.ntfy] server: expected an http:// or https:// URL with a host, got ""']


def test_default_bindings_do_not_collide():
    assert config._key_collisions({}) == []
    config.parse("[keymap]\n" + "".join(f'{spec.id} = "{spec.keys}"\n' for spec in APP_KEYS))  # defaults, spelled out


def test_a_rebound_key_that_collides_within_its_scope():
    assert problems_of('[keymap]\nmark-done = "u"\n') == [
        'config.toml:2: [keymap] mark-done: "u" is also the key of undo; bind one of them to another key']


def test_the_same_key_spelled_another_way_collides():
    assert problems_of('[keymap]\nhelp = "question_mark"\nquit = "?"\n') == [  # "question_mark" is "?"
        'config.toml:3: [keymap] quit: "?" is also the key of help; bind one of them to another key']


def test_two_rebound_keys_are_reported_once_on_the_later_line():
    assert problems_of('[keymap]\nquit = "ctrl+q"\n\nhelp = "ctrl+q"\n') == [
        'config.toml:4: [keymap] help: "ctrl+q" is also the key of quit; bind one of them to another key']


def test_a_priority_key_wins_even_on_modal_screens():
    assert problems_of('[keymap]\nclose-run = "ctrl+p"\n') == [
        'config.toml:2: [keymap] close-run: "ctrl+p" is also the key of command-palette; bind one of them to another key'
    ]


def test_a_scope_may_shadow_an_app_key_on_purpose():
    """Areas and screens take precedence over app keys, as the help and run screens do with q."""
    loaded = config.parse('[keymap]\nquit = "x"\nadd-watch = "d"\nclose-help = "x"\nremove-run = "x,K"\n')
    assert loaded.keymap["quit"] == "x" and loaded.keymap["add-watch"] == "d"
    problems = problems_of('[keymap]\nremove-run = "x,K"\nmute-run = "K"\n')
    assert problems == ['config.toml:3: [keymap] mute-run: "K" is also the key of remove-run; bind one of them to another key']


def test_the_example_documents_the_bounds():
    text = config.render_example()
    assert "# Seconds between polls of a log that is polled.\n# From 0.1 to 3600.\npoll_seconds = 1.0\n" in text
    assert "# From 1 to 10080.\nstall_minutes = 10.0\n" in text
    assert "# Each from 1 to 99.\nmilestones = []\n" in text
    assert "# An http:// or https:// URL.\nserver = " in text
    assert "# An http:// or https:// URL, or empty.\nurl = " in text
