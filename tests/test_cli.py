import argparse
import json
import sys
from pathlib import Path

import pytest

from waitbuddy import __version__
from waitbuddy.cli import build_parser, main
from waitbuddy.config import render_example

from .conftest import run_cli


def test_version():
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.startswith(f"waitbuddy {__version__} (Python 3.")


@pytest.mark.parametrize(
    "args", [[], ["paths"], ["keys"], ["config"], ["config", "init"], ["config", "check"]]
)
def test_every_help_exits_zero_and_describes_the_command(args, capsys):
    with pytest.raises(SystemExit) as caught:
        main([*args, "--help"])
    assert caught.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: waitbuddy {' '.join(args)}".rstrip())
    assert "--config PATH" in out


def test_top_level_help_lists_every_subcommand():
    help_text = build_parser().format_help()
    for command in ("paths", "keys", "config"):
        assert f"\n    {command} " in help_text
    assert "WAITBUDDY_CONFIG" in help_text and "WAITBUDDY_DATA_DIR" in help_text


def test_a_command_of_a_group_builds_that_group_alone_and_the_same_command():
    from waitbuddy.cli import RUNS_COMMANDS, SINGLE_COMMAND_GROUPS

    def commands(parser) -> dict[str, str]:  # each command and its help
        [action] = [action for action in parser._actions if isinstance(action, argparse._SubParsersAction)]
        return {name: sub.format_help() for name, sub in action.choices.items()}

    every = commands(build_parser())
    for only in (*SINGLE_COMMAND_GROUPS, *RUNS_COMMANDS):
        alone = commands(build_parser(only))
        assert only in alone and alone[only] == every[only]
    assert set(commands(build_parser("status"))) - {"paths", "keys", "config"} == set(RUNS_COMMANDS)


def test_unknown_command_is_a_usage_error():
    result = run_cli("frobnicate")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr
    assert "Traceback" not in result.stderr


def test_paths_reports_overrides(tmp_path: Path):
    env = {"WAITBUDDY_CONFIG": str(tmp_path / "c.toml"), "WAITBUDDY_DATA_DIR": str(tmp_path / "d")}
    result = run_cli("paths", "--json", env=env)
    info = json.loads(result.stdout)
    assert info["config"] == str(tmp_path / "c.toml")
    assert info["config_source"] == "WAITBUDDY_CONFIG"
    assert info["database"] == str(tmp_path / "d" / "waitbuddy.db")
    assert info["config_exists"] is False and info["database_exists"] is False
    text = run_cli("paths", env=env).stdout
    assert "not created, defaults in use" in text and "(created on first use)" in text


def test_config_init_writes_the_example_and_refuses_to_overwrite(isolated_home: Path):
    target = isolated_home / ".config" / "waitbuddy" / "config.toml"
    first = run_cli("config", "init")
    assert first.returncode == 0, first.stderr
    assert target.read_text() == render_example()
    target.write_text("# mine\n")
    second = run_cli("config", "init")
    assert second.returncode == 2
    assert "already exists; use --force" in second.stderr
    assert target.read_text() == "# mine\n"
    assert run_cli("config", "init", "--force").returncode == 0
    assert target.read_text() == render_example()


def test_config_init_stdout_writes_nothing(isolated_home: Path):
    result = run_cli("config", "init", "--stdout")
    assert result.stdout == render_example()
    assert not (isolated_home / ".config").exists()


def test_config_check_good_missing_and_bad(tmp_path: Path):
    path = tmp_path / "c.toml"
    env = {"WAITBUDDY_CONFIG": str(path)}
    missing = run_cli("config", "check", env=env)
    assert (missing.returncode, missing.stdout.strip()) == (0, f"{path}: no config file; defaults in use")
    path.write_text('[ui]\ntheme = "nord"\n')
    good = run_cli("config", "check", env=env)
    assert (good.returncode, good.stdout.strip()) == (0, f"{path}: ok")
    path.write_text('[alerts]\nbell = "yes"\n[ui]\nlayout = "wide"\n')
    bad = run_cli("config", "check", env=env)
    assert bad.returncode == 2
    assert bad.stderr.splitlines() == [
        f'{path}:2: [alerts] bell: expected true or false, got "yes"',
        f'{path}:4: [ui] layout: expected one of "auto", "stacked", "side-by-side", got "wide"',
    ]
    assert "Traceback" not in bad.stderr


def test_config_check_knows_textual_themes(tmp_path: Path):
    path = tmp_path / "c.toml"
    path.write_text('[ui]\ntheme = "nrod"\n')
    result = run_cli("--config", str(path), "config", "check")
    assert result.returncode == 2
    assert result.stderr.startswith(f'{path}:2: [ui] theme: unknown theme "nrod"; did you mean "nord"?')


def test_config_flag_after_the_subcommand(tmp_path: Path):
    path = tmp_path / "c.toml"
    path.write_text("[ui]\nlayout = 3\n")
    result = run_cli("config", "check", "--config", str(path))
    assert result.returncode == 2 and f"{path}:2:" in result.stderr


def test_explicit_config_that_does_not_exist(tmp_path: Path):
    result = run_cli("--config", str(tmp_path / "typo.toml"), "config", "check")
    assert result.returncode == 2
    assert result.stderr.strip() == f"{tmp_path / 'typo.toml'}: config file not found"


def test_keys_lists_ids_with_keymap_applied(tmp_path: Path):
    path = tmp_path / "c.toml"
    path.write_text('[keymap]\nquit = "ctrl+x"\n')
    rows = json.loads(run_cli("--config", str(path), "keys", "--json").stdout)
    by_id = {row["id"]: row for row in rows}
    assert by_id["quit"]["keys"] == "ctrl+x" and by_id["quit"]["default"] == "q"
    assert by_id["help"]["keys"] == "?,f1"
    text = run_cli("keys").stdout
    assert "help             ? / f1" in text


def test_dashboard_refuses_without_a_terminal(tmp_path: Path):
    result = run_cli(env={"WAITBUDDY_DATA_DIR": str(tmp_path / "d")}, input="")
    assert result.returncode == 2
    assert "needs a terminal" in result.stderr
    assert not (tmp_path / "d").exists()


def test_dashboard_reports_a_bad_config_before_anything_else(tmp_path: Path):
    path = tmp_path / "c.toml"
    path.write_text("[ui]\ntheme = 5\n")
    result = run_cli("--config", str(path))
    assert result.returncode == 2
    assert result.stderr.strip() == f"{path}:2: [ui] theme: expected a string, got 5"


def test_newer_database_is_a_clear_error_not_a_traceback(tmp_path: Path, monkeypatch, capsys):
    import sqlite3

    data = tmp_path / "d"
    data.mkdir()
    raw = sqlite3.connect(data / "waitbuddy.db")
    raw.execute("PRAGMA user_version = 999")
    raw.close()
    monkeypatch.setenv("WAITBUDDY_DATA_DIR", str(data))
    monkeypatch.setattr("waitbuddy.cli.is_terminal", lambda: True)
    assert main([]) == 2
    assert "was written by a newer waitbuddy (schema 999" in capsys.readouterr().err


def test_status_text_output_carries_no_escape_sequences(tmp_path: Path):
    log = tmp_path / "ev\x1b]0;pwned\x07il.log"
    log.write_text("step 1/10 loss=1\nTraceback (most recent call last):\n  File \"x\", line 1\n"
                   "ValueError: \x1b[31mboom\x1b[0m\x1b]52;c;aGk=\x07\n")
    result = run_cli("status", str(log))
    assert result.returncode == 0
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "failed" in result.stdout and "boom" in result.stdout


# A broken config never stops `waitbuddy run` from starting the training (issue 9, item 14).


def test_run_starts_the_command_despite_a_broken_config(tmp_path: Path):
    config = tmp_path / "c.toml"
    config.write_text("[keymap]\nquitt = \"x\"\n[runs]\nstall_minutes = \"ten\"\n")
    env = {"WAITBUDDY_CONFIG": str(config), "WAITBUDDY_DATA_DIR": str(tmp_path / "d")}
    result = run_cli("run", "--log", str(tmp_path / "job.log"), "--", sys.executable, "-c", "print('trained')",
                     env=env)
    assert result.returncode == 0
    assert result.stdout == "trained\n"
    assert result.stderr.splitlines() == [
        f'{config}:2: [keymap] quitt: unknown binding id; did you mean "quit"? (`waitbuddy keys` lists them)',
        f'{config}:4: [runs] stall_minutes: expected a number, got "ten"',
        "waitbuddy: starting the command anyway, with the default config",
    ]
    assert (tmp_path / "job.log").read_text() == "trained\n"


def test_run_keeps_the_commands_exit_status_with_a_missing_explicit_config(tmp_path: Path):
    result = run_cli("run", "--config", str(tmp_path / "nope.toml"), "--log", str(tmp_path / "job.log"), "--",
                     sys.executable, "-c", "raise SystemExit(3)", env={"WAITBUDDY_DATA_DIR": str(tmp_path / "d")})
    assert result.returncode == 3
    assert "config file not found" in result.stderr and "Traceback" not in result.stderr


def test_other_commands_still_refuse_a_broken_config(tmp_path: Path):
    config = tmp_path / "c.toml"
    config.write_text("[keymap]\nquitt = \"x\"\n")
    log = tmp_path / "a.log"
    log.write_text("step 1/10\n")
    for args in (["status", str(log)], ["watch", "--json", str(log)], ["keys"]):
        result = run_cli(*args, env={"WAITBUDDY_CONFIG": str(config), "WAITBUDDY_DATA_DIR": str(tmp_path / "d")})
        assert result.returncode == 2, args
        assert result.stderr.startswith(f"{config}:2: [keymap] quitt: unknown binding id"), args
