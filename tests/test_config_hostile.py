"""Configs that would hang or crash waitbuddy get one located error instead (issue 10, 7 and 8)."""

from __future__ import annotations

import time

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
