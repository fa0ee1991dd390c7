"""What a watch pattern names: a local path, directory or glob; a log on another machine
(``ssh://host/path``, glob allowed); or Slurm jobs (``slurm:12``, ``slurm:12_3``, ``slurm-user:alice``).

Patterns are stored as written here (``normalize``) in the store's watch list, so the dashboard,
``watch`` and ``unwatch`` agree on them. A Slurm job's runs are keyed by its output file (what
``status``, ``explain`` and the history read); the pattern only says which jobs to ask about.
"""

from __future__ import annotations

import os
import re

SSH = "ssh://"  # remote.SCHEME (that module, and ssh's, is imported only when one is used)
SLURM = "slurm:"
SLURM_USER = "slurm-user:"
_JOB = re.compile(r"\d+(?:_\d+)?")
_USER = re.compile(r"[A-Za-z0-9_.][A-Za-z0-9_.@-]{0,63}")


def is_remote(pattern: str) -> bool:
    return pattern.startswith(SSH)


def is_slurm(pattern: str) -> bool:
    return pattern.startswith((SLURM, SLURM_USER))


def is_local(pattern: str) -> bool:
    return not (is_remote(pattern) or is_slurm(pattern))


def slurm_job(pattern: str) -> str | None:
    """``slurm:12_3`` -> "12_3"; None for any other pattern."""
    return pattern[len(SLURM):] if pattern.startswith(SLURM) else None


def slurm_user(pattern: str) -> str | None:
    return pattern[len(SLURM_USER):] if pattern.startswith(SLURM_USER) else None


def job_patterns(text: str) -> list[str]:
    """``--slurm 12,13_2`` -> ["slurm:12", "slurm:13_2"]; ValueError naming what is not a job id."""
    ids = [part.strip() for part in text.split(",") if part.strip()]
    if not ids:
        raise ValueError("expected job ids such as 1234 or 1234_5, separated by commas")
    for job_id in ids:
        if not _JOB.fullmatch(job_id):
            raise ValueError(f"not a Slurm job id: {job_id[:40]!r} (expected 1234 or 1234_5)")
    return [SLURM + job_id for job_id in dict.fromkeys(ids)]


def user_pattern(user: str) -> str:
    if not _USER.fullmatch(user):
        raise ValueError(f"not a user name: {user[:40]!r}")
    return SLURM_USER + user


def normalize(pattern: str) -> str:
    """The stored form of what someone typed: local paths absolute, ``~`` expanded; remote and
    Slurm patterns checked (ValueError with a one-line reason) and kept as written."""
    if is_remote(pattern):
        from waitbuddy.runs.remote import parse_target

        return parse_target(pattern).url()
    if (job := slurm_job(pattern)) is not None:
        if "," in job:
            raise ValueError(f"one job per pattern: {job[:40]!r} (--slurm takes a list)")
        return job_patterns(job)[0]
    if (user := slurm_user(pattern)) is not None:
        return user_pattern(user)
    return os.path.abspath(os.path.expanduser(pattern))


def watch_patterns(text: str) -> list[str]:
    """What someone typed to watch, as stored patterns: ``slurm:12,13`` is two jobs."""
    text = text.strip()
    if (jobs := slurm_job(text)) is not None:
        return job_patterns(jobs)
    return [normalize(text)]

