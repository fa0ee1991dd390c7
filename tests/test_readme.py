"""The README is the contract: its commands, keys and config must match the code."""

import re
from pathlib import Path

from waitbuddy import config
from waitbuddy.cli import build_parser
from waitbuddy.keys import APP_KEYS

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def shell_blocks() -> list[str]:
    return [block.strip() for block in re.findall(r"```sh\n(.*?)```", README, re.S)]


def test_ci_runs_exactly_the_readme_test_command():
    test_command = next(block for block in shell_blocks() if "pytest" in block)
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert test_command in ci_lines


def test_install_command_installs_and_runs_waitbuddy():
    install = shell_blocks()[0]
    assert "pip install ." in install and install.endswith("waitbuddy demo")


def test_every_binding_id_and_default_key_is_documented():
    for spec in APP_KEYS:
        assert f"`{spec.id}`" in README, spec.id
        for key in spec.keys.split(","):
            assert f"`{key}`" in README or (key.isdigit() and "`1` ... `5`" in README), key


def test_every_command_is_documented():
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for name in commands:
        assert f"waitbuddy {name}" in README, name
    for sub in ("init", "check"):
        assert f"waitbuddy config {sub}" in README


def test_every_config_key_is_documented():
    for name, cls in config._SECTIONS.items():
        for field in cls.__dataclass_fields__:
            assert f"`[{name}] {field}`" in README, field


def test_screenshot_exists():
    (image,) = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", README)
    assert (ROOT / image).is_file()
