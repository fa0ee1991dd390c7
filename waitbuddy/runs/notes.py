"""Experiment notes on runs: the question a run answers and what was learned ("note"), and the
experiments to try next ("next"). Plain functions over a Store (table ``run_notes`` in
:mod:`waitbuddy.runs.schema`).

Text is the person's own but may come from anywhere (a pasted log line): it is stored as given,
bounded, and shown only through :mod:`waitbuddy.text` (:func:`line`), never as markup. Adding a
note records a ``runs``/``note`` event in the same transaction; removing one takes that event
back (a note deleted was a note taken back: the daily update must not quote it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from waitbuddy import history
from waitbuddy.text import safe_line
from waitbuddy.timefmt import parse_iso

if TYPE_CHECKING:
    import sqlite3

    from waitbuddy.store import Store

KINDS = ("note", "next")
MAX_CHARS = 2000  # a paragraph or two; a pasted log belongs in the log
NEXT_MARK = "→ next:"

_NEXT_PREFIX = re.compile(r"\s*next\s*:\s*", re.IGNORECASE)


class NoteError(ValueError):
    """A note that cannot be added (empty, too long, an unknown kind or run); ``str()`` says why."""


@dataclass(frozen=True)
class Note:
    id: int
    run_id: int
    at: datetime  # timezone-aware UTC, to the second
    kind: str  # "note" (the question, what was learned) or "next" (an experiment to try next)
    text: str


def parse(text: str) -> tuple[str, str]:
    """``"next: try lr 3e-4"`` -> ``("next", "try lr 3e-4")`` (any case, spaces around the colon);
    anything else is a plain note, its text as given less surrounding whitespace."""
    match = _NEXT_PREFIX.match(text)
    if match is not None:
        return "next", text[match.end():].strip()
    return "note", text.strip()


def add(store: Store, run_id: int, text: str, *, kind: str = "note", now: datetime | None = None) -> Note:
    """Attach a note to a run, with its ``runs``/``note`` event. Raises :class:`NoteError` for an
    empty or too long text, an unknown kind, or a run that does not exist."""
    if kind not in KINDS:
        raise NoteError(f"unknown note kind {kind!r} (one of {', '.join(KINDS)})")
    text = _storable(text.strip())
    if not text:
        raise NoteError("a note needs some text")
    if len(text) > MAX_CHARS:
        raise NoteError(f"a note is at most {MAX_CHARS} characters; this one has {len(text)}")
    at = history.stamp(now)
    with store.transaction() as db:
        run = db.execute("SELECT name FROM runs WHERE id = ?", (run_id,)).fetchone()
        if run is None:
            raise NoteError(f"there is no run {run_id}")
        note_id = db.execute("INSERT INTO run_notes (run_id, at, kind, text) VALUES (?, ?, ?, ?)",
                             (run_id, at, kind, text)).lastrowid
        history.record(db, "runs", "note", run_id, at=at, detail={"note": note_id, "kind": kind, "name": run["name"]})
    return Note(note_id, run_id, parse_iso(at), kind, text)  # type: ignore[arg-type]


def for_run(store: Store, run_id: int) -> list[Note]:
    """The run's notes, oldest first."""
    return _notes(store.query(f"{_SELECT} WHERE run_id = ? ORDER BY at, id", (run_id,)))


def for_runs(store: Store, run_ids: Iterable[int]) -> dict[int, list[Note]]:
    """Notes of many runs in one query (a listing), oldest first; runs without notes are absent.
    The ids go in as one JSON array: no limit on how many, unlike a list of ``?``."""
    ids = json.dumps([int(run_id) for run_id in run_ids])
    found: dict[int, list[Note]] = {}
    rows = store.query(f"{_SELECT} WHERE run_id IN (SELECT value FROM json_each(?)) ORDER BY at, id", (ids,))
    for note in _notes(rows):
        found.setdefault(note.run_id, []).append(note)
    return found


def between(store: Store, since: datetime, until: datetime, kind: str | None = None) -> list[Note]:
    """Notes written with ``since <= at < until``, oldest first; only one kind's if given."""
    sql, params = f"{_SELECT} WHERE at >= ? AND at < ?", [history.stamp(since), history.stamp(until)]
    if kind is not None:
        sql += " AND kind = ?"
        params.append(kind)
    return _notes(store.query(sql + " ORDER BY at, id", params))


def open_next(store: Store, *, limit: int = 20) -> list[Note]:
    """The "next" notes, newest first: the experiments still to try, for the daily update's Next."""
    return _notes(store.query(f"{_SELECT} WHERE kind = 'next' ORDER BY at DESC, id DESC LIMIT ?", (int(limit),)))


def remove(store: Store, note_id: int) -> bool:
    """Delete a note and take back its event; False if there was no such note."""
    with store.transaction() as db:
        row = db.execute("SELECT run_id FROM run_notes WHERE id = ?", (note_id,)).fetchone()
        if row is None:
            return False
        db.execute("DELETE FROM run_notes WHERE id = ?", (note_id,))
        history.forget(db, _event_ids(db, row["run_id"], note_id))
    return True


def line(note: Note, *, limit: int = 300) -> str:
    """The note as one line of plain display text: ``→ next: try lr 3e-4``, or the text alone."""
    text = safe_line(note.text, limit=limit)
    return f"{NEXT_MARK} {text}" if note.kind == "next" else text


def when(note: Note) -> str:
    """When it was written, in local time to the minute (``2026-12-01 21:14``)."""
    return note.at.astimezone().strftime("%Y-%m-%d %H:%M")


def to_json(note: Note) -> dict[str, object]:
    """The note as ``runs --json`` and ``note --json`` export it."""
    return {"id": note.id, "at": history.stamp(note.at), "kind": note.kind, "text": note.text}


_SELECT = "SELECT id, run_id, at, kind, text FROM run_notes"


def _notes(rows: list[sqlite3.Row]) -> list[Note]:
    return [Note(row["id"], row["run_id"], parse_iso(row["at"]).astimezone(UTC), row["kind"], row["text"])
            for row in rows]


def _event_ids(db: sqlite3.Connection, run_id: int, note_id: int) -> list[int]:
    rows = db.execute("SELECT id FROM events WHERE domain = 'runs' AND kind = 'note' AND subject = ? "
                      "AND json_extract(detail, '$.note') = ?", (str(run_id), note_id)).fetchall()
    return [row[0] for row in rows]


def _storable(text: str) -> str:
    """Text SQLite can bind: bytes that were not UTF-8 (held as lone surrogates, as in an argv
    that is not UTF-8) are kept as visible ``\\xff`` escapes rather than refused."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        try:
            return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        except UnicodeEncodeError:  # a surrogate that never came from a byte
            return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text
