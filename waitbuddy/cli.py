"""Command line: argparse subcommands, each a small function over config, paths and store.

Nothing here imports Textual at module level; only opening the dashboard does.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence

from waitbuddy import __version__, config, paths
from waitbuddy.commands import EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, error
from waitbuddy.commands.dashboard import check_theme, is_terminal, not_a_terminal, open_dashboard
from waitbuddy.store import Store, StoreError
from waitbuddy.text import visible

DESCRIPTION = """\
waitbuddy sits in a terminal beside your training job. With no command it opens the
dashboard: Runs, Backlog, Feeds, Practice and Checklists."""

EPILOG = """\
environment:
  WAITBUDDY_CONFIG    config file to use (default: see `waitbuddy paths`)
  WAITBUDDY_DATA_DIR  directory for the database (default: see `waitbuddy paths`)

exit status: 0 ok, 1 failed (a log not there, a run that did not complete), 2 bad config,
arguments or database, 130 interrupted. `waitbuddy run` warns about a bad config and starts
the command with the defaults."""


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        textual = version("textual")
    except PackageNotFoundError:  # pragma: no cover - textual is a dependency
        textual = "not installed"
    python = ".".join(map(str, sys.version_info[:3]))
    return f"waitbuddy {__version__} (Python {python}, Textual {textual})"


class _VersionAction(argparse.Action):
    """--version, computed only when asked for (importlib.metadata costs ~40 ms at every start)."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        print(_version())
        parser.exit()


# Groups that add one command of their own name: `waitbuddy practice next` needs only that group's
# parser, and importing every group (runs, feeds, ...) cost ~0.1 s of a 0.3 s command.
SINGLE_COMMAND_GROUPS = ("feeds", "checklists", "practice", "plan", "standup")
# The commands the runs group (commands/runs.py) adds: `status` in a script or a loop builds only
# its group's parser too (tests/test_cli.py holds this list to what the group declares).
RUNS_COMMANDS = ("watch", "unwatch", "run", "demo", "status", "formats", "runs")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole parser; with ``only`` (one of :data:`SINGLE_COMMAND_GROUPS` or
    :data:`RUNS_COMMANDS`), that command's group alone."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config", metavar="PATH", default=argparse.SUPPRESS,
        help="config file to use instead of the default (must exist)",
    )
    parser = argparse.ArgumentParser(
        prog="waitbuddy", description=DESCRIPTION, epilog=EPILOG, parents=[common],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action=_VersionAction, nargs=0, help="show the version and exit")
    parser.set_defaults(func=cmd_dashboard)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    sub = commands.add_parser(
        "paths", parents=[common], help="show where the config file and the data live",
        description="Show the config file, data directory and database waitbuddy uses, and why.",
    )
    sub.add_argument("--json", action="store_true", help="print one JSON object")
    sub.set_defaults(func=cmd_paths)

    sub = commands.add_parser(
        "keys", parents=[common], help="list key bindings and their ids (for [keymap])",
        description="List every key binding: its id (used in the [keymap] config table), "
        "the keys it answers to with your config applied, and what it does.",
    )
    sub.add_argument("--json", action="store_true", help="print a JSON array")
    sub.set_defaults(func=cmd_keys)

    if only in SINGLE_COMMAND_GROUPS or only in RUNS_COMMANDS:
        import importlib

        group = only if only in SINGLE_COMMAND_GROUPS else "runs"
        importlib.import_module(f"waitbuddy.commands.{group}").add_parsers(commands, common)
    else:
        from waitbuddy.commands import alerts, checklists, feeds, notes, plan, practice, reading, runs, standup

        for group in (runs, notes, alerts, reading, feeds, checklists, practice, plan, standup):
            group.add_parsers(commands, common)
    for sub in _commands_of(commands):
        if sub.get_default("needs_config"):
            sub.set_defaults(func=_with_config(sub.get_default("func"), lenient=sub.get_default("lenient"),
                                               database=sub.get_default("database")))

    config_parser = commands.add_parser(
        "config", parents=[common], help="create or check the config file",
        description="Create or check the config file.",
    )
    config_parser.set_defaults(func=lambda args: _usage(config_parser))
    config_commands = config_parser.add_subparsers(title="commands", metavar="COMMAND")
    sub = config_commands.add_parser(
        "init", parents=[common], help="write the documented example config",
        description="Write the example config (every key with its default) to the config path.",
    )
    sub.add_argument("--force", action="store_true", help="overwrite an existing file")
    sub.add_argument("--stdout", action="store_true", help="print the example instead of writing it")
    sub.set_defaults(func=cmd_config_init)
    sub = config_commands.add_parser(
        "check", parents=[common], help="validate the config file",
        description="Validate the config file; exit 0 if it is good, 2 with every problem listed if not.",
    )
    sub.set_defaults(func=cmd_config_check)
    return parser


def _commands_of(commands: argparse._SubParsersAction) -> list[argparse.ArgumentParser]:
    """Every command parser, those of a group (``feeds add``) too."""
    found = []
    for sub in commands.choices.values():
        found.append(sub)
        for action in sub._actions:
            if isinstance(action, argparse._SubParsersAction):
                found += _commands_of(action)
    return found


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return EXIT_USAGE


def _paths(args: argparse.Namespace) -> paths.Paths:
    return paths.resolve(getattr(args, "config", None))


def _load_config(where: paths.Paths) -> config.Config:
    return config.load(where.config, must_exist=where.config_explicit)


def _with_config(command, *, lenient: bool = False, database: bool = False):
    """Adapt a domain command taking (args, paths, config) to argparse's func(args).

    ``lenient``: a broken config is reported on stderr and the defaults are used, for `run`,
    whose job is to start the training command whatever else is wrong. ``database``: a database
    path that can never be used is refused first, in one line."""

    def run(args: argparse.Namespace) -> int:
        where = _paths(args)
        loaded = _load_lenient(where) if lenient else _load_config(where)
        if database and (problem := where.database_problem()) is not None:
            raise StoreError(f"cannot use the data directory {visible(str(where.data_dir), limit=200)}: {problem}")
        return command(args, where, loaded)

    return run


def _load_lenient(where: paths.Paths) -> config.Config:
    try:
        return _load_config(where)
    except config.ConfigError as exc:
        print(exc, file=sys.stderr)
        error("starting the command anyway, with the default config")
        return config.Config()


def main(argv: Sequence[str] | None = None) -> int:
    given = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(given[0] if given else None)
    args = parser.parse_args(given)
    try:
        return args.func(args)
    except config.ConfigError as exc:
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    except StoreError as exc:
        error(str(exc))
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # `waitbuddy keys | head`: the reader left; exit quietly like other Unix tools.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


def cmd_paths(args: argparse.Namespace) -> int:
    where = _paths(args)
    info = {
        "config": str(where.config),
        "config_source": where.config_source,
        "config_exists": _is_file(where.config),
        "data_dir": str(where.data_dir),
        "data_dir_source": where.data_dir_source,
        "database": str(where.database),
        "database_exists": _is_file(where.database),
    }
    if args.json:
        print(json.dumps(info, indent=2))
        return EXIT_OK
    config_note = where.config_source if info["config_exists"] else f"{where.config_source}; not created, defaults in use"
    print(f"config    {where.config}  ({config_note})")
    print(f"data dir  {where.data_dir}  ({where.data_dir_source})")
    print(f"database  {where.database}" + ("" if info["database_exists"] else "  (created on first use)"))
    return EXIT_OK


def _is_file(path) -> bool:
    """Path.is_file, but False for a path that cannot even be looked at (a name too long)."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def cmd_keys(args: argparse.Namespace) -> int:
    from waitbuddy import keys  # this command's own: not imported for every other

    loaded = _load_config(_paths(args))
    rows = keys.effective_keys(dict(loaded.keymap))
    if args.json:
        print(json.dumps([{"id": s.id, "keys": k, "default": s.keys, "description": s.description} for s, k in rows], indent=2))
        return EXIT_OK
    width = max(len(spec.id) for spec, _ in rows)
    for spec, bound in rows:
        print(f"{spec.id:<{width}}  {keys.display_keys(bound):<10}  {spec.description}")
    return EXIT_OK


def cmd_config_init(args: argparse.Namespace) -> int:
    text = config.render_example()
    if args.stdout:
        sys.stdout.write(text)
        return EXIT_OK
    target = _paths(args).config
    if target.exists() and not args.force:
        error(f"{target} already exists; use --force to overwrite it")
        return EXIT_USAGE
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        error(f"cannot write {target}: {exc.strerror or exc}")
        return EXIT_USAGE
    print(f"wrote {target}")
    return EXIT_OK


def cmd_config_check(args: argparse.Namespace) -> int:
    where = _paths(args)
    loaded = _load_config(where)
    if loaded.path is None:
        print(f"{where.config}: no config file; defaults in use")
        return EXIT_OK
    check_theme(loaded)
    print(f"{where.config}: ok")
    return EXIT_OK


def cmd_dashboard(args: argparse.Namespace) -> int:
    where = _paths(args)
    loaded = _load_config(where)
    if not is_terminal():  # before the database is created
        return not_a_terminal()
    with Store.open(where.database) as store:
        return open_dashboard(where, loaded, store)
