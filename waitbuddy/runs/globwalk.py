"""``**`` globs walked safely: each directory entered once (by device and inode), each file named
once. ``glob.glob(..., recursive=True)`` follows directory links without remembering where it has
been: one ``self -> .`` link made the same log 41 runs, two made the walk exponential."""

from __future__ import annotations

import os
import stat
from fnmatch import fnmatchcase

MAX_DIRECTORIES = 20_000  # a watch over more than this many directories is a mistake, not a run folder


def walk_glob(root: str, rest: str) -> list[str]:
    """Regular files under ``root`` whose path relative to it matches ``rest`` (``*``, ``?``,
    ``[...]`` within a name, ``**`` for any number of directories); hidden directories are
    skipped unless the pattern names them, as glob does."""
    parts = [part for part in rest.split(os.sep) if part]
    seen: set[tuple[int, int]] = set()
    found: dict[tuple[int, int], str] = {}
    for directory, subdirectories, names in os.walk(root or ".", followlinks=True):
        try:
            info = os.stat(directory)
        except OSError:
            subdirectories[:] = []
            continue
        if (info.st_dev, info.st_ino) in seen or len(seen) >= MAX_DIRECTORIES:
            subdirectories[:] = []  # been here (a link back up) or far enough
            continue
        seen.add((info.st_dev, info.st_ino))
        relative = os.path.relpath(directory, root or ".")
        here = [] if relative == "." else relative.split(os.sep)
        subdirectories[:] = [name for name in subdirectories if not name.startswith(".") or _names_hidden(parts)]
        for name in names:
            if _match(parts, [*here, name]):
                path = os.path.join(directory, name)
                try:
                    file_info = os.stat(path)
                except OSError:
                    continue
                if stat.S_ISREG(file_info.st_mode):
                    found.setdefault((file_info.st_dev, file_info.st_ino), path)
    return sorted(found.values())


def _names_hidden(parts: list[str]) -> bool:
    return any(part.startswith(".") for part in parts)


def _match(parts: list[str], names: list[str]) -> bool:
    if not parts:
        return not names
    head = parts[0]
    if head == "**":
        return any(_match(parts[1:], names[start:]) for start in range(len(names) + 1))
    return bool(names) and fnmatchcase(names[0], head) and _match(parts[1:], names[1:])

