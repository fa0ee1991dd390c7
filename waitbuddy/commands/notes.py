"""`waitbuddy note RUN [TEXT ...]`: add an experiment note to a run, list its notes, delete one."""

from __future__ import annotations

import argparse
import sys
from functools import partial

from waitbuddy.commands import EXIT_FAILED, EXIT_OK, EXIT_USAGE, declare, error, json_line, say
from waitbuddy.config import Config
from waitbuddy.paths import Paths
from waitbuddy.runs import notes, registry
from waitbuddy.store import Store
from waitbuddy.text import visible


def add_parsers(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    sub = declare(
        commands, common, "note", cmd_note, help="add a note to a run, or list its notes",
        description="With TEXT, attach a note to RUN: the question it answers, what was learned; a TEXT "
        "starting with 'next:' (or --next) is an experiment to try next, which the daily update lists. "
        "Without TEXT, list the run's notes, oldest first. RUN is a run's id (`waitbuddy runs --json` "
        "shows it), its log's path or its name (the newest run of that name). "
        'Example: waitbuddy note bert "next: try lr 3e-4"',
        database=True,
    )
    sub.add_argument("run", metavar="RUN", help="the run: id, log path or name")
    sub.add_argument("text", nargs="*", metavar="TEXT", help=f"the note (at most {notes.MAX_CHARS} characters)")
    sub.add_argument("--next", action="store_true", help="an experiment to try next (as a leading 'next:')")
    sub.add_argument("--json", action="store_true", help="print the note added, or the run's notes as a JSON array")
    sub.add_argument("--delete", type=int, metavar="ID", help="delete the run's note ID (see the listing)")
    sub.parse_known_args = partial(_words_after_options, sub)  # type: ignore[method-assign]


def _words_after_options(parser: argparse.ArgumentParser, args=None, namespace=None):
    """`note bert --next try lr 3e-4`: argparse fills TEXT from the first run of words only and
    leaves words after an option unrecognized; they belong to TEXT, in order. Anything that looks
    like an option is still refused (a stray `--jsn` must not become part of a note)."""
    namespace, extras = argparse.ArgumentParser.parse_known_args(parser, args, namespace)
    words = [extra for extra in extras if not extra.startswith("-")]
    namespace.text = [*namespace.text, *words]
    return namespace, [extra for extra in extras if extra.startswith("-")]


def cmd_note(args: argparse.Namespace, where: Paths, config: Config) -> int:
    if args.delete is not None and (args.text or args.next):
        error("--delete takes no TEXT or --next")
        return EXIT_USAGE
    if not where.database.exists():  # nothing to name yet; do not create a database to say so
        return _unknown(args.run)
    with Store.open(where.database) as store:
        record = registry.find(store, args.run)
        if record is None:
            return _unknown(args.run)
        run = f"{visible(record.name, limit=120)} (#{record.id})"
        if args.delete is not None:
            return _delete(store, record.id, args.delete, run)
        if args.text:
            return _add(store, record.id, " ".join(args.text), args, run)
        found = notes.for_run(store, record.id)
    if args.json:
        say(json_line([{**notes.to_json(note), "run_id": note.run_id} for note in found]))
    elif not found:
        print(f'no notes on {run} yet: waitbuddy note {record.id} "what this run answers"', file=sys.stderr)
    else:
        say(f"{run}  {visible(record.path, limit=500)}")
        for note in found:
            say(f"  {note.id:>4}  {notes.when(note)}  {notes.line(note, limit=notes.MAX_CHARS)}")
    return EXIT_OK


def _add(store: Store, run_id: int, given: str, args: argparse.Namespace, run: str) -> int:
    kind, text = notes.parse(given)
    try:
        note = notes.add(store, run_id, text, kind="next" if args.next else kind)
    except notes.NoteError as exc:
        error(str(exc))
        return EXIT_USAGE
    if args.json:
        say(json_line({**notes.to_json(note), "run_id": note.run_id}))
    else:
        say(f"added note {note.id} to {run}: {notes.line(note, limit=200)}")
    return EXIT_OK


def _delete(store: Store, run_id: int, note_id: int, run: str) -> int:
    # Only a note of the run named: a mistyped ID must not delete another run's note.
    if note_id not in {note.id for note in notes.for_run(store, run_id)} or not notes.remove(store, note_id):
        error(f"{run} has no note {note_id} (`waitbuddy note {run_id}` lists them)")
        return EXIT_FAILED
    say(f"deleted note {note_id} of {run}")
    return EXIT_OK


def _unknown(ref: str) -> int:
    error(f"no run {visible(ref, limit=120)}: name one by id, log path or name (`waitbuddy runs --all` lists them)")
    return EXIT_FAILED
