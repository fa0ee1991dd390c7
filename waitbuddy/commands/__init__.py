"""The command line's front-ends, one module per group of commands (runs, alerts, reading,
config); only ``cli.py`` imports them, and domains never import them.

Each group's ``add_parsers`` declares its subcommands with :func:`declare`: the help, whether the
command needs the config (and the database), and its function ``(args, paths, config) -> exit
status``. The output helpers and exit statuses here are the ones every command uses.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def declare(
    commands: argparse._SubParsersAction, common: argparse.ArgumentParser, name: str, func: Callable[..., int], *,
    help: str, description: str, needs_config: bool = True, database: bool = False, lenient: bool = False,
) -> argparse.ArgumentParser:
    """A subcommand: ``needs_config`` (its function takes (args, paths, config)), ``database``
    (an unusable database path is refused first, in one line), ``lenient`` (a broken config only
    warns: `run` must start the training whatever else is wrong)."""
    sub = commands.add_parser(name, parents=[common], help=help, description=description)
    sub.set_defaults(func=func, needs_config=needs_config, database=database, lenient=lenient)
    return sub


def say(line: str) -> None:
    """One line of a command's output, flushed (a pipe reader sees it now)."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def error(message: str) -> None:
    print(f"waitbuddy: {message}", file=sys.stderr)


_SURROGATE = re.compile("[\ud800-\udfff]")
# json.dumps escapes only C0 controls; DEL and C1 (U+0080-U+009F, such as the 8-bit CSI U+009B)
# would reach a terminal raw. In JSON text they can only stand inside strings, so escaping them
# anywhere in the text is safe.
_RAW_CONTROLS = re.compile("[\x7f-\x9f]")


def json_line(value: object) -> str:
    """One JSON object as text any terminal or pipe takes: UTF-8 text as itself, but DEL and C1
    controls as \\u0080..\\u009f, and a path that is not UTF-8 (its bytes held as surrogates) as
    \\udcXX escapes; every value reads back the same."""
    text = json.dumps(value, ensure_ascii=False)
    if _SURROGATE.search(text):
        text = json.dumps(value)
    return _RAW_CONTROLS.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def write_atomically(target: Path, text: str) -> None:
    """Write via a temporary file in the same directory, so a crash never leaves half a file."""
    fd, temporary = tempfile.mkstemp(dir=target.parent or ".", prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
