"""Can a path be watched as a training log? One answer for the CLI, the dashboard and the tail.

Logs are regular files (a directory or a glob names regular files). Anything else at a path is
refused without being opened: opening a FIFO for reading blocks until a writer comes (and each
open and close wakes inotify again: a busy loop), a socket cannot be opened at all, and a device
either never ends (``/dev/zero``) or takes someone's input (``/dev/tty``).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass

from waitbuddy.text import safe_line

_SPECIAL_KINDS = (
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def special_kind(mode: int) -> str | None:
    """What a file of ``mode`` (``st_mode``) is when it is neither a regular file nor a directory
    ("a FIFO", "a socket", ...); None for regular files and directories."""
    for test, kind in _SPECIAL_KINDS:
        if test(mode):
            return kind
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    return "an unknown kind of file"  # e.g. a Solaris door


def not_regular(mode: int) -> str | None:
    """The one-line reason a file of ``mode`` cannot be read as a log, e.g. "not a regular file (a FIFO)"."""
    kind = special_kind(mode)
    return f"not a regular file ({kind})" if kind else None


def check_target(path: str | os.PathLike[str]) -> str | None:
    """Why ``path`` can never be watched, in one line, or None if it can (or may: a path that does
    not exist yet, or a glob, is the caller's to wait for or refuse). Symlinks are followed; the
    path is never opened."""
    try:
        info = os.stat(path)
    except (OSError, ValueError):  # missing, unreadable directory, NUL in the name: not this check's answer
        return None
    return not_regular(info.st_mode)


@dataclass(frozen=True)
class Unfollowable:
    """Why a watch PATH|GLOB|DIR cannot be followed now: one line naming the path."""

    message: str
    permanent: bool  # a FIFO never becomes a log; a missing path or an empty directory may fill later


def cannot_list(pattern: str, exc: OSError) -> Unfollowable:
    """A directory (or a glob's) that cannot be listed (no read permission, a symlink loop)."""
    where = safe_line(exc.filename if isinstance(exc.filename, str) else pattern, limit=500)
    return Unfollowable(f"{where}: cannot list the directory: {exc.strerror or exc}", False)


def unfollowable(pattern: str, *, missing_ok: bool, empty_ok: bool) -> Unfollowable | None:
    """Why ``pattern`` (absolute) cannot be followed, or None.

    A FIFO, socket or device never can. A missing path (unless ``missing_ok``) or a directory or
    glob naming no log (unless ``empty_ok``) cannot yet: fine for the dashboard, which shows it
    waiting, but an error for a script that would otherwise wait without a word."""
    # Imported here: patterns.py imports this module (its expand() skips what check_target refuses).
    from waitbuddy.runs.patterns import LOG_SUFFIXES, expand, is_pattern

    shown = safe_line(pattern, limit=500)
    if (reason := check_target(pattern)) is not None:
        return Unfollowable(f"{shown}: {reason}; only log files, directories and globs can be watched", True)
    if is_pattern(pattern) or os.path.isdir(pattern):
        try:
            if empty_ok or expand(pattern):
                return None
        except OSError as exc:  # a directory we may not list: may change, like a missing log
            return cannot_list(pattern, exc)
        where = f"match {shown}" if is_pattern(pattern) else f"in {shown}"
        kinds = ", ".join(f"*{suffix}" for suffix in LOG_SUFFIXES)
        return Unfollowable(f"no logs {where} ({kinds}); --wait waits for one", False)
    if missing_ok or os.path.exists(pattern):
        return None
    return Unfollowable(f"{shown}: no such file; --wait waits for it", False)
