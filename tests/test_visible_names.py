"""Names and paths come from the file system, which anyone sharing runs/ can write to: they are
shown with their control characters visible, never raw (issue 10, 1 and 2)."""

from __future__ import annotations

import json

import pytest

from waitbuddy.text import visible

from .conftest import run_cli


@pytest.mark.parametrize(("name", "shown"), [
    ("bert-base/train", "bert-base/train"),
    ("a\nfake ✔ completed", "a\\nfake ✔ completed"),
    ("exp\x1b]52;c;ZWNobyBwd25lZA==\x1b\\1", "exp\\e]52;c;ZWNobyBwd25lZA==\\e\\\\1"),
    ("\x9b2J\x07tab\there", "\\x9b2J\\x07tab\\there"),
    ("rtl\u202eevil", "rtl\\u202eevil"),
    (b"bad\xffname.log".decode("utf-8", "surrogateescape"), "bad\\xffname.log"),
    ("C:\\runs", "C:\\\\runs"),  # a backslash is doubled, so what is shown reads back one way
    ("ünïcode ✓", "ünïcode ✓"),
])
def test_control_characters_in_names_are_shown_visibly(name, shown):
    assert visible(name) == shown


def test_visible_is_one_bounded_line():
    assert len(visible("x\n" * 10_000, limit=50)) == 50
    assert "\n" not in visible("a\nb\rc")


def test_a_newline_in_a_file_name_cannot_fake_a_status_line(tmp_path):
    log = tmp_path / "job\n✔ other  completed  100%.log"
    log.write_text("step 5/10 loss=0.5\n")
    plain = run_cli("status", str(log))
    assert plain.returncode == 0, plain.stderr
    assert len(plain.stdout.splitlines()) == 1, plain.stdout
    assert "job\\n✔ other" in plain.stdout
    (item,) = [json.loads(line) for line in run_cli("status", "--json", str(log)).stdout.splitlines()]
    assert item["path"] == str(log)  # the JSON keeps the real name (json escapes it)


@pytest.mark.parametrize("value", [
    {"path": "/runs/\x9b2J\x85x\x7f.log", "name": "ünïcode ✓ \x80\x9f"},
    {"path": b"/runs/\x9b\xff.log".decode("utf-8", "surrogateescape")},  # C1 beside bytes that are not UTF-8
])
def test_json_lines_escape_c1_controls_and_read_back_the_same(value):
    from waitbuddy.commands import json_line

    line = json_line(value)
    assert not any("\x7f" <= char <= "\x9f" for char in line), line
    assert json.loads(line) == value


def test_an_8_bit_csi_in_a_name_never_reaches_json_output_raw(tmp_path):
    log = tmp_path / "job\x9b2J\x85.log"
    log.write_text("step 5/10 loss=0.5\nTraceback (most recent call last):\n  File \"t.py\", line 1\nValueError: x\n")
    env = {"WAITBUDDY_DATA_DIR": str(tmp_path / "data")}
    status = run_cli("status", "--json", str(log), env=env)
    assert status.returncode == 0, status.stderr
    assert "\\u009b2J\\u0085" in status.stdout and "\x9b" not in status.stdout
    assert json.loads(status.stdout)["path"] == str(log)
    watched = run_cli("watch", "--json", "--until-done", "--remember", str(log), env=env)
    assert "\x9b" not in watched.stdout and json.loads(watched.stdout.splitlines()[0])["path"] == str(log)
    runs = run_cli("runs", "--json", env=env)
    assert runs.returncode == 0, runs.stderr
    assert "\x9b" not in runs.stdout and json.loads(runs.stdout)["path"] == str(log)
