"""Times and durations, one way: what the CLI, TUI, alerts and exports show and store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from waitbuddy import timefmt


@pytest.mark.parametrize(("seconds", "text"), [(None, "-"), (9.4, "9s"), (845, "14m05s"), (3720, "1h02m")])
def test_duration(seconds, text):
    assert timefmt.duration(seconds) == text


@pytest.mark.parametrize(("seconds", "text"), [(20, "20s"), (100, "1m40s"), (360, "6m"), (845, "14m"), (3720, "1h02m")])
def test_short_duration(seconds, text):
    assert timefmt.short_duration(seconds) == text


def test_iso_round_trips_through_timestamp():
    assert timefmt.iso(0) == "1970-01-01T00:00:00Z"
    assert timefmt.timestamp(timefmt.iso(1_700_000_000.7)) == 1_700_000_000
    assert timefmt.timestamp(None) is None and timefmt.timestamp("") is None and timefmt.timestamp("soon") is None


def test_iso_utc_and_parse_iso():
    assert timefmt.iso_utc(None) == ""
    assert timefmt.iso_utc(datetime(2024, 1, 2, 3, 4, 5)) == "2024-01-02T03:04:05Z"
    east = timezone(timedelta(hours=2))
    assert timefmt.iso_utc(datetime(2024, 1, 2, 5, 4, 5, 123000, tzinfo=east)) == "2024-01-02T03:04:05.123000Z"
    assert timefmt.parse_iso(" 2024-01-02T03:04:05.123z ") == datetime(2024, 1, 2, 3, 4, 5, 123000, tzinfo=UTC)
    with pytest.raises(ValueError):
        timefmt.parse_iso("yesterday")
