"""Is a user's log format usable? A regex with named groups that matches its samples, pulls
numbers out of them, and cannot backtrack for hours on a long line (it runs on every line)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from waitbuddy.text import safe_line

# What a named group must capture: a number (metrics and progress are numbers).
_NUMERIC = re.compile(r"[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+)|[-+]?(?:nan|inf)", re.IGNORECASE)


def format_problem(pattern: str, samples: Sequence[str]) -> str | None:
    """Why a user format is unusable, or None."""
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        return f"not a valid regular expression: {safe_line(str(exc), limit=200)}"
    except OverflowError:  # a{4294967296}: past what re can count
        return "not a usable regular expression: a repeat count too large (at most 4294967294)"
    except (RecursionError, MemoryError):  # groups nested thousands deep
        return "not a usable regular expression: too deeply nested or too large"
    if not compiled.groupindex:
        return "needs named groups: (?P<done>...), (?P<total>...), (?P<epoch>...), (?P<epochs>...) or a metric such as (?P<loss>...)"
    backtracking = _backtracking(pattern)
    if backtracking == "nested":
        return ("repeats a group that itself repeats, like (a+)+: on a long line that can take hours; repeat once, "
                "or make the inner repeat possessive (a++) or atomic ((?>a+))")
    if backtracking == "alternation":
        return ("repeats a choice whose alternatives can match the same text, like (a|a)* or (a|aa)+: on a long line "
                "that can take hours; use a character class ([ab]+), or make the repeat possessive ((?:x|y)*+) or "
                "the choice atomic ((?>x|y)*)")
    for number, sample in enumerate(samples, start=1):
        match = compiled.search(sample)
        if match is None:
            return f"does not match sample {number}: {json.dumps(safe_line(sample, limit=80))}"
        for group, text in match.groupdict().items():
            if text is not None and not _NUMERIC.fullmatch(text.strip()):
                return f"group {group!r} matched {json.dumps(safe_line(text, limit=40))} in sample {number}, expected a number"
    return None


# A repeat of at most this many turns around a choice costs at most 2**ALTERNATION_REPEATS tries.
ALTERNATION_REPEATS = 10


def _backtracking(pattern: str) -> str | None:
    """Would ``pattern`` backtrack catastrophically on a long line? "nested" if it repeats
    something that already repeats ((a+)+), "alternation" if it repeats a choice between
    alternatives that can match the same text ((a|a)*, (a|aa)+), else None."""
    import re._constants as sre  # the parser Python's re uses: the same reading of the pattern
    import re._parser as parser

    repeats = (sre.MAX_REPEAT, sre.MIN_REPEAT)

    def children(op: Any, av: Any) -> list[Any]:
        if op in repeats:
            return [av[2]]
        if op is sre.SUBPATTERN:
            return [av[3]]
        if op is sre.BRANCH:
            return list(av[1])
        if op in (sre.ASSERT, sre.ASSERT_NOT):
            return [av[1]]
        if op is sre.GROUPREF_EXISTS:
            return [branch for branch in av[1:] if branch is not None]
        return []  # ATOMIC_GROUP and POSSESSIVE_REPEAT never backtrack into themselves

    def repeats_inside(sub: Any) -> bool:
        return any((op in repeats and op_av[1] > 1) or any(repeats_inside(child) for child in children(op, op_av))
                   for op, op_av in sub)

    def nested(sub: Any) -> bool:
        for op, av in sub:
            if op in repeats and av[1] > 1 and repeats_inside(av[2]):
                return True
            if any(nested(child) for child in children(op, av)):
                return True
        return False

    def case_inside(op: Any, av: Any, ignore_case: bool) -> bool:
        """Whether letters' case is ignored inside ``op``: (?i:...) and (?-i:...) change it."""
        if op is not sre.SUBPATTERN:
            return ignore_case
        return bool((ignore_case or av[1] & sre.SRE_FLAG_IGNORECASE) and not av[2] & sre.SRE_FLAG_IGNORECASE)

    def literal_prefix(sub: Any, ignore_case: bool) -> list[Any]:
        """The literal characters a branch starts with, as far as they go."""
        prefix: list[Any] = []
        for op, av in sub:
            if op is sre.LITERAL:
                prefix.append((chr(av), ignore_case))
            elif op is sre.SUBPATTERN:
                inner = literal_prefix(av[3], case_inside(op, av, ignore_case))
                prefix += inner
                if len(inner) < len(av[3]):
                    break
            else:
                break
        return prefix

    def ambiguous(branches: list[Any], ignore_case: bool) -> bool:
        """Can two alternatives match the same text? Only when the literal text each starts with
        tells them apart (foo|bar|baz) is the choice decided by the line; the parser already made
        (a|b) a class and took a common prefix out of (ab|ac)."""
        def same(one: tuple[str, bool], other: tuple[str, bool]) -> bool:
            if one[1] or other[1]:
                return one[0].casefold() == other[0].casefold()
            return one[0] == other[0]

        prefixes = [literal_prefix(branch, ignore_case) for branch in branches]
        for index, first in enumerate(prefixes):
            for second in prefixes[index + 1:]:
                if all(map(same, first, second)):  # one runs out before they differ
                    return True
        return False

    def choice_inside(sub: Any, ignore_case: bool) -> bool:
        for op, av in sub:
            if op is sre.BRANCH and ambiguous(av[1], ignore_case):
                return True
            inner = case_inside(op, av, ignore_case)
            if any(choice_inside(child, inner) for child in children(op, av)):
                return True
        return False

    def repeated_choice(sub: Any, ignore_case: bool) -> bool:
        for op, av in sub:
            if op in repeats and av[1] > ALTERNATION_REPEATS and choice_inside(av[2], ignore_case):
                return True
            inner = case_inside(op, av, ignore_case)
            if any(repeated_choice(child, inner) for child in children(op, av)):
                return True
        return False

    try:
        parsed = parser.parse(pattern)
        if nested(parsed):
            return "nested"
        ignore_case = bool(parsed.state.flags & sre.SRE_FLAG_IGNORECASE)
        return "alternation" if repeated_choice(parsed, ignore_case) else None
    except (re.error, RecursionError, OverflowError):
        return None  # compile() has had its say

