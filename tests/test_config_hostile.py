"""Configs that would hang or crash waitbuddy get one located error instead (issue 10, 7 and 8)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from waitbuddy import config

from .conftest import run_cli


def test_deeply_nested_toml_is_one_clear_error(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("a = " + "[" * 100_000 + "]" * 100_000 + "\n")
    result = run_cli("config", "check", env={"WAITBUDDY_CONFIG": str(path)})
    assert result.returncode == 2
    assert result.stderr.strip() == f"{path}: arrays or tables nested too deeply to be a config"
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("pattern", [r"^(a+)+b(?P<loss>\d)", r"(?:x|y+)*z(?P<loss>\d)", r"(\w+\s?)+=(?P<loss>\d)"])
def test_a_catastrophic_user_pattern_is_refused_at_load_and_says_why(tmp_path, pattern):
    path = tmp_path / "config.toml"
    path.write_text(f"[[runs.formats]]\nname = \"mine\"\npattern = '{pattern}'\nsamples = [\"ab1 aab2 x=3 yz4\"]\n")
    started = time.monotonic()
    result = run_cli("config", "check", env={"WAITBUDDY_CONFIG": str(path)})
    assert time.monotonic() - started < 10
    assert result.returncode == 2, result.stdout
    assert '[[runs.formats]] "mine" pattern: repeats a group that itself repeats' in result.stderr
    assert f"{path}:1:" in result.stderr  # located


@pytest.mark.parametrize(("pattern", "sample"), [
    (r"step (?P<done>\d+)/(?P<total>\d+)", "step 1/2"),
    (r"(?P<loss>[\d.]+)(?:, \w++=\S++)*", "0.5, lr=1e-3"),  # possessive inner repeats never backtrack
    (r"(?>a+)+(?P<loss>\d)", "aa7"),  # nor does an atomic group
])
def test_safe_repetition_is_accepted(pattern, sample):
    assert config.format_problem(pattern, [sample]) is None


# --- the adversarial pass (issue 10): special files, size, depth, where ----------------------------


def _limited_memory() -> None:  # a child that would read /dev/zero to the end dies at 1 GB, not the machine
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "waitbuddy", *args], check=False, capture_output=True, text=True,
                          timeout=20, env={**os.environ, **env}, preexec_fn=_limited_memory)


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "config.toml"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize(("kind", "reason"), [("fifo", "a FIFO"), ("/dev/zero", "a character device")])
def test_a_special_file_as_the_config_is_refused_unopened_and_run_still_starts(tmp_path, request, kind, reason):
    path = request.getfixturevalue("fifo") if kind == "fifo" else Path(kind)
    env = {"WAITBUDDY_CONFIG": str(path), "WAITBUDDY_DATA_DIR": str(tmp_path / "data")}
    result = _cli("config", "check", env=env)
    assert result.returncode == 2
    assert result.stderr == f"{path}: not a regular file ({reason}), expected a TOML file\n"
    result = _cli("--config", str(path), "run", "--log", str(tmp_path / "r.log"), "--", "sh", "-c", "echo ran; exit 3",
                  env=env)
    assert result.returncode == 3 and result.stdout == "ran\n", result.stderr
    assert "starting the command anyway" in result.stderr and "Traceback" not in result.stderr


def test_a_config_file_too_big_to_be_one_is_refused_unread(tmp_path):
    path = tmp_path / "config.toml"
    with open(path, "wb") as sparse:
        sparse.truncate(config.MAX_FILE_BYTES + 1)
    with pytest.raises(config.ConfigError) as caught:
        config.load(path)
    assert str(caught.value) == f"{path}: too big to be a config: 67,108,865 bytes, over 64 MiB even with comments; " \
                                "a config is a few KB"


def test_a_huge_value_is_refused_at_its_line_without_echoing_it(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("# mine\n[ui]\ntheme = '" + "x" * (2 << 20) + "'\n")
    with pytest.raises(config.ConfigError) as caught:
        config.load(path)
    assert str(caught.value) == (f"{path}:3: too big to be a config: past 1 MiB of settings by this line "
                                 "(comments aside); a config is a few KB")


def test_comments_do_not_count_toward_the_size_limit(monkeypatch):
    monkeypatch.setattr(config, "MAX_SETTINGS_CHARS", 100)
    assert config.parse("# x\n" * 1000 + "\n\n   # indented\n[ui]\ntheme = 'nord'\n").ui.theme == "nord"
    with pytest.raises(config.ConfigError, match=r"config.toml:3: too big"):
        config.parse("# x\n[ui]\ntheme = '" + "y" * 200 + "'\n")


def test_a_long_unknown_theme_is_not_echoed_whole(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("[ui]\ntheme = '" + "x" * 5000 + "'\n")
    result = run_cli("config", "check", env={"WAITBUDDY_CONFIG": str(path)})
    assert result.returncode == 2
    assert result.stderr.startswith(f'{path}:2: [ui] theme: unknown theme "xxx')
    assert "x" * 200 not in result.stderr and len(result.stderr) < 1000


@pytest.mark.parametrize("line", ["a" + ".a" * 2000 + " = 1", "[a" + ".a" * 2000 + "]", '"q".b' + ".c" * 100 + "= 1"],
                         ids=["dotted key", "table header", "quoted first part"])
def test_a_key_nested_past_the_limit_is_refused_before_tomllib(line):
    text = "[ui]\ntheme = 'nord'\n" + line + "\n"
    with pytest.raises(config.ConfigError) as caught:
        config.parse(text)
    (message,) = str(caught.value).splitlines()
    assert message.startswith("config.toml:3: a key ") and "levels deep (at most 64)" in message


def test_dots_in_values_and_comments_are_not_key_depth():
    text = "# " + "." * 500 + "\n[ui]\ntheme = 'nord'  # " + "." * 500 + "\n[alerts]\nmute = ['" + "a." * 300 + "']\n"
    assert config.parse(text).alerts.mute == ("a." * 300,)


@pytest.mark.parametrize(("text", "where"), [
    ("[[ui]]\ntheme = 'nord'\n", "config.toml:1: [ui]: expected a table, got an array"),
    ("\n[[keymap]]\nquit = 'x'\n", "config.toml:2: [keymap]: expected a table, got an array"),
    ("[alerts]\nbell = true\n[[alerts.ntfy]]\ntopic = 'x'\n", "config.toml:3: [alerts] ntfy: expected a table, got an array"),
], ids=["ui", "keymap", "alerts.ntfy"])
def test_an_array_of_tables_for_a_table_is_located(text, where):
    with pytest.raises(config.ConfigError) as caught:
        config.parse(text)
    assert str(caught.value) == where


@pytest.mark.parametrize("pattern", [r"(a|a)*b(?P<loss>\d)", r"(a|aa)+$(?P<loss>\d)", r"((?:x|xy)z){11,}(?P<loss>\d)",
                                     r"(?i)(?:ab|Ab)+(?P<loss>\d)"])
def test_a_repeated_choice_that_can_match_the_same_text_is_refused(tmp_path, pattern):
    path = tmp_path / "config.toml"
    path.write_text(f"[[runs.formats]]\nname = \"mine\"\npattern = '{pattern}'\nsamples = [\"aab1 aaab2 xyz3\"]\n")
    started = time.monotonic()
    result = run_cli("config", "check", env={"WAITBUDDY_CONFIG": str(path)})
    assert time.monotonic() - started < 10
    assert result.returncode == 2, result.stdout
    assert result.stderr.startswith(f'{path}:1: [[runs.formats]] "mine" pattern: repeats a choice whose alternatives '
                                    "can match the same text"), result.stderr
    assert "character class" in result.stderr and "possessive" in result.stderr


@pytest.mark.parametrize(("pattern", "sample"), [
    (r"(?:ab|cd)+ (?P<loss>\d)", "abcd 1"),  # each alternative starts differently: the line decides
    (r"(?:train|val|test)+ (?P<loss>\d)", "val 1"),
    (r"(?:\s|,)+(?P<loss>\d)", ", 1"),  # the parser makes single characters a class
    (r"(?:a|ab)*+(?P<loss>\d)", "ab1"),  # possessive: never backtracks into the repeat
    (r"(?>a|ab)*(?P<loss>\d)", "a1"),  # atomic choice
    (r"(a|aa){2,3}(?P<loss>\d)", "aa1"),  # a few turns cost a few tries
])
def test_a_repeated_choice_the_line_decides_is_accepted(pattern, sample):
    assert config.format_problem(pattern, [sample]) is None


@pytest.mark.parametrize("command", [("config", "check"), ("status", "--json"), ("keys",)])
def test_a_repeat_count_past_what_re_can_count_is_a_config_error(tmp_path, command):
    path = tmp_path / "config.toml"
    path.write_text("[ui]\n[[runs.formats]]\nname = \"huge\"\npattern = 'a{4294967296}(?P<loss>\\d)'\n"
                    "samples = [\"a1\"]\n")
    env = {"WAITBUDDY_CONFIG": str(path), "WAITBUDDY_DATA_DIR": str(tmp_path / "data")}
    result = run_cli(*command, env=env)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr == (f'{path}:2: [[runs.formats]] "huge" pattern: not a usable regular expression: '
                             "a repeat count too large (at most 4294967294)\n")
    if command == ("keys",):
        ran = run_cli("run", "--log", str(tmp_path / "r.log"), "--", "sh", "-c", "echo ran; exit 3", env=env)
        assert ran.returncode == 3 and ran.stdout == "ran\n", ran.stderr
