"""The house rules of DESIGN.md as import contracts (pyproject.toml [tool.importlinter]): headless
modules never reach Textual, domains do not import the command line, schemas are plain data
the store imports, panes do not import each other. A new import that breaks one fails here with the import chain that does it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_hold():
    lint = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "4 kept, 0 broken" in result.stdout
