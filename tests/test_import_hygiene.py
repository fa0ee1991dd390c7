"""The headless core must not pull in Textual: CLI commands and scripts stay fast and light."""

import subprocess
import sys
from pathlib import Path

import waitbuddy

PACKAGE = Path(waitbuddy.__file__).parent


def headless_modules() -> list[str]:
    modules = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        if "tui" in relative.parts or relative.name == "__main__":
            continue
        modules.append(".".join(relative.parts).removesuffix(".__init__"))
    return modules


def test_headless_modules_exist():
    assert {"waitbuddy.cli", "waitbuddy.config", "waitbuddy.store", "waitbuddy.text"} <= set(headless_modules())


def test_importing_headless_modules_leaves_textual_unloaded():
    imports = "; ".join(f"import {name}" for name in headless_modules())
    code = f"import sys; {imports}; print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_cli_commands_other_than_the_dashboard_do_not_import_textual(tmp_path):
    code = (
        "import sys, contextlib, io\n"
        "from waitbuddy.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['paths']); main(['keys']); main(['config', 'init', '--stdout'])\n"
        "print('textual' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "False", result.stderr
