"""`python -m waitbuddy` and the `waitbuddy` script (pyproject.toml [project.scripts]).

`status --line` runs every few seconds from tmux's status line, so it is answered here without
importing the command line (its parsers and config cost ~0.3 s; the line has 60 ms). Anything
else, including a `status --line` with options the fast path does not take, goes to waitbuddy.cli.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # not typing's: importing typing (or collections) costs more than the rest of the line
if TYPE_CHECKING:
    from collections.abc import Sequence

    from waitbuddy.statusline import Options


def main(argv: Sequence[str] | None = None) -> int:
    given = list(sys.argv[1:] if argv is None else argv)
    if "--line" in given and (options := fast_options(given)) is not None:
        from waitbuddy import statusline

        return statusline.main(options)
    from waitbuddy.cli import main as cli_main

    return cli_main(given)


def fast_options(argv: list[str]) -> Options | None:
    """``status --line [--format F] [--max N] [--plain] [--config PATH]`` (``--config`` also before
    ``status``), as the fast path takes it; None for anything else, which goes to the full command
    line (help, other options, bad values: its messages and exit statuses)."""
    args = list(argv)
    if args[:1] == ["--config"] and len(args) > 2:
        args = args[2:] + args[:2]
    elif args[:1] and args[0].startswith("--config="):
        args = args[1:] + args[:1]
    if args[:1] != ["status"] or "--line" not in args:
        return None
    from waitbuddy import statusline

    options, rest = statusline.Options(), args[1:]
    while rest:
        arg = rest.pop(0)
        if arg in ("--line", "--plain"):
            options.tmux = options.tmux and arg == "--line"
            continue
        name, has_value, value = arg.partition("=")
        if name not in ("--format", "--max", "--config"):
            return None
        if not has_value:
            if not rest:
                return None
            value = rest.pop(0)
        if name == "--format":
            if statusline.format_problem(value) is not None:
                return None
            options.format = value
        elif name == "--max":
            if not (value.isascii() and value.isdigit()) or int(value) < statusline.MIN_MAX:
                return None
            options.limit = int(value)
        elif not os.path.isfile(os.path.expanduser(value)):
            # The config never changes the line (the data directory comes from the environment);
            # a --config that does not exist is the full command line's error to report.
            return None
    return options


if __name__ == "__main__":
    raise SystemExit(main())
