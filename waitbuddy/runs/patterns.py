"""What a local watch pattern names: a log, a directory of logs, or a glob (``runs/*/train.log``),
and where its events come from. Pure path logic plus a directory listing; the watcher follows
what these name.
"""

from __future__ import annotations

import glob
import os
from pathlib import Path
from typing import TYPE_CHECKING

from waitbuddy.runs import registry
from waitbuddy.runs.globwalk import walk_glob
from waitbuddy.runs.targets import check_target

if TYPE_CHECKING:
    from waitbuddy.store import Store

NETWORK_FILESYSTEMS = frozenset({
    "nfs", "nfs4", "lustre", "cifs", "smb3", "smbfs", "fuse.sshfs", "gpfs", "beegfs", "ceph", "fuse.ceph",
    "glusterfs", "fuse.glusterfs", "9p", "afs", "panfs", "fuse.s3fs", "fuse.gcsfuse", "wekafs",
})
LOG_SUFFIXES = (".log", ".out", ".err", ".txt", ".jsonl")


def is_pattern(text: str) -> bool:
    """Is ``text`` a glob? Only if it has ``*``, ``?`` or ``[`` outside a path that exists: a log
    named ``x[1].log`` (or one inside ``exp[1]/``) is followed as itself, not read as a glob."""
    return _split_glob(text) is not None


def _split_glob(pattern: str) -> tuple[str, str] | None:
    """``pattern`` as (the longest part of it that exists, taken literally; the glob after it),
    or None when it is a plain path (no magic outside what exists)."""
    if not glob.has_magic(pattern) or os.path.lexists(pattern):
        return None
    fixed = os.path.dirname(pattern)
    while fixed and not os.path.lexists(fixed) and os.path.dirname(fixed) != fixed:
        fixed = os.path.dirname(fixed)
    rest = pattern[len(fixed):].lstrip(os.sep)
    return (fixed, rest) if glob.has_magic(rest) else None


def _as_glob(fixed: str, rest: str) -> str:
    return os.path.join(glob.escape(fixed), rest) if fixed else rest


def matches(pattern: str, path: str) -> bool:
    """Does ``path`` belong to the watch ``pattern`` (file, directory or glob)?"""
    if (split := _split_glob(pattern)) is not None:
        from fnmatch import fnmatchcase

        return fnmatchcase(path, _as_glob(*split))
    if os.path.isdir(pattern) or pattern.endswith(os.sep):
        return os.path.dirname(path) == pattern.rstrip(os.sep) and path.endswith(LOG_SUFFIXES)
    return path == pattern


def watches_finding(store: Store, path: str) -> list[str]:
    """The stored watch patterns that name ``path`` (itself, its directory, or a glob it matches)."""
    return [pattern for pattern in registry.watches(store) if matches(pattern, path)]


def expand(pattern: str) -> list[str]:
    """The files a watch pattern names now (a plain path is named even before it exists).

    Only regular files: a FIFO, socket or device stored by an older version (or swapped in
    since) is skipped, never followed (see targets.py); nor the exit `waitbuddy run` leaves
    beside a log, which a broad glob (``runs/.*``, ``**/*``) may name."""
    if (split := _split_glob(pattern)) is not None:
        if "**" in split[1]:  # through directory links: each directory once, each file once
            found = walk_glob(*split)
        else:
            found = sorted(path for path in glob.glob(_as_glob(*split), recursive=True) if os.path.isfile(path))
        return [path for path in found if not registry.is_exit_file(path)]
    if os.path.isdir(pattern):
        with os.scandir(pattern) as entries:
            return sorted(entry.path for entry in entries if entry.name.endswith(LOG_SUFFIXES) and _is_file(entry))
    if check_target(pattern) is not None:
        return []
    return [pattern]


def _is_file(entry: os.DirEntry) -> bool:
    """A regular file (links followed); False for an entry that cannot be resolved (a symlink
    loop): one bad entry must not hide the rest of its directory."""
    try:
        return entry.is_file()
    except OSError:
        return False


def watch_root(pattern: str) -> str:
    """The directory whose events matter for ``pattern``."""
    if (split := _split_glob(pattern)) is not None:
        fixed = [split[0]] if split[0] else []
        for part in Path(split[1]).parts:
            if glob.has_magic(part):
                break
            fixed.append(part)
        return str(Path(*fixed)) if fixed else "/"
    if os.path.isdir(pattern):
        return pattern
    return os.path.dirname(pattern) or "."


def filesystem_type(path: str) -> str | None:
    """The type of the filesystem holding ``path``, from /proc/mounts (Linux); None elsewhere."""
    try:
        with open("/proc/self/mounts", encoding="utf-8", errors="replace") as mounts:
            entries = [line.split() for line in mounts]
    except OSError:
        return None
    target = os.path.realpath(path)
    best, kind = "", None
    for entry in entries:
        if len(entry) >= 3:
            mount_point = entry[1].replace("\\040", " ")
            inside = target == mount_point or target.startswith(mount_point.rstrip("/") + "/")
            if inside and len(mount_point) >= len(best):
                best, kind = mount_point, entry[2]
    return kind
