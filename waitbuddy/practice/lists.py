"""Problem lists: the bundled NeetCode 150 (with Blind 75 and premium flags) and the person's own.

A user list is a file named in ``[practice] lists``, read by its suffix:

- ``.toml``: ``title = "My list"`` and ``[[problems]]`` tables with ``slug`` (or ``url``) and
  optional ``title``, ``difficulty``, ``category``;
- ``.csv``: one problem a row, ``slug-or-url[,difficulty[,category[,title]]]``; a first row whose
  first cell is ``slug`` or ``url`` is a header;
- anything else: one LeetCode URL (or slug) a line; blank lines and ``#`` comments are skipped.

A problem of the NeetCode 150 keeps its bundled title, difficulty and category unless the row
gives its own. Titles and categories from files are cleaned on reading (:func:`waitbuddy.text.safe_line`),
and front-ends show them through :mod:`waitbuddy.text` all the same. Bad rows raise :class:`ListError` naming the file and the line.
"""

from __future__ import annotations

import io
import json
import pkgutil
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from waitbuddy.text import safe_line

DIFFICULTIES = ("Easy", "Medium", "Hard")
BUNDLED = "neetcode150"
MAX_LIST_BYTES = 4 << 20
TITLE_LIMIT = 200
URL_TEMPLATE = "https://leetcode.com/problems/{slug}/"
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_HOSTS = ("leetcode.com", "www.leetcode.com", "leetcode.cn", "www.leetcode.cn")


class ListError(ValueError):
    """A problem list that cannot be read; ``str()`` names the file (and line) and what is wrong."""


@dataclass(frozen=True)
class Problem:
    slug: str  # LeetCode titleSlug
    title: str
    difficulty: str  # one of DIFFICULTIES
    category: str
    blind75: bool = False
    premium: bool = False
    lists: tuple[str, ...] = (BUNDLED,)  # the lists it is on (a user list by its title)

    @property
    def url(self) -> str:
        return URL_TEMPLATE.format(slug=self.slug)


@dataclass(frozen=True)
class Catalog:
    """Every problem known, in order: the bundled list's roadmap order, then user lists' new ones."""

    problems: tuple[Problem, ...]
    lists: tuple[str, ...]  # list titles: "neetcode150", then each user list's

    def by_slug(self) -> dict[str, Problem]:
        return {problem.slug: problem for problem in self.problems}

    def categories(self) -> list[str]:
        return list(dict.fromkeys(problem.category for problem in self.problems))


def bundled() -> tuple[Problem, ...]:
    """The NeetCode 150, in roadmap order (package data, read through the package's loader: a zip
    install works too; importlib.resources would cost every `practice` and `plan` command ~8 ms of
    imports)."""
    data = pkgutil.get_data(__package__, "data/neetcode150.json")
    if data is None:  # pragma: no cover - only a loader without get_data gives None
        raise ListError(f"{__package__}: data/neetcode150.json cannot be read")
    text = data.decode("utf-8")
    return tuple(Problem(slug=entry["slug"], title=entry["title"], difficulty=entry["difficulty"],
                         category=entry["category"], blind75=bool(entry.get("blind75")),
                         premium=bool(entry.get("premium"))) for entry in json.loads(text))


def slug_of(text: str) -> str | None:
    """The slug of a LeetCode problem URL (``https://leetcode.com/problems/two-sum/description/``) or of
    a bare slug; None if it is neither."""
    text = text.strip()
    if "/" in text or ":" in text:
        parts = urlsplit(text if "://" in text else "https://" + text)
        if parts.scheme not in ("http", "https") or (parts.hostname or "") not in _HOSTS:
            return None
        path = [part for part in parts.path.split("/") if part]
        if len(path) < 2 or path[0] != "problems":
            return None
        text = path[1]
    text = text.lower()
    return text if _SLUG.match(text) else None


def load_list(path: Path, known: dict[str, Problem] | None = None) -> tuple[str, tuple[Problem, ...]]:
    """Read one user list: (its title, its problems). ``known`` fills in what rows leave out."""
    known = known if known is not None else {problem.slug: problem for problem in bundled()}
    name = str(path)
    try:
        if path.stat().st_size > MAX_LIST_BYTES:
            raise ListError(f"{name}: too large (over {MAX_LIST_BYTES >> 20} MB)")
        raw = path.read_bytes()
    except OSError as exc:
        raise ListError(f"{name}: cannot read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ListError(f"{name}, line {line}: not UTF-8 text") from None
    suffix = path.suffix.lower()
    if suffix == ".toml":
        title, rows = _toml_rows(name, text)
    elif suffix == ".csv":
        title, rows = path.stem, _csv_rows(name, text)
    else:
        title, rows = path.stem, _line_rows(text)
    title = safe_line(title, limit=TITLE_LIMIT) or safe_line(path.stem, limit=TITLE_LIMIT)
    problems: dict[str, Problem] = {}
    for line, fields in rows:
        problem = _problem(name, line, fields, known, title)
        problems.setdefault(problem.slug, problem)
    return title, tuple(problems.values())


Row = tuple[int, dict[str, str]]


def _toml_rows(name: str, text: str) -> tuple[str, list[Row]]:
    import tomllib  # a user list's format: not every command that reads the catalog pays for it

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ListError(f"{name}: {exc}") from None
    title = data.get("title", "")
    if not isinstance(title, str):
        raise ListError(f"{name}, line {_line_of(text, 'title')}: title must be a string")
    entries = data.get("problems", [])
    if not isinstance(entries, list):
        raise ListError(f"{name}: expected [[problems]] tables")
    lines = [number for number, line in enumerate(text.splitlines(), 1) if line.strip().startswith("[[problems]]")]
    rows: list[Row] = []
    for index, entry in enumerate(entries):
        line = lines[index] if index < len(lines) else 0
        if not isinstance(entry, dict):
            raise ListError(f"{name}, line {line}: expected a table with slug = \"...\"")
        fields: dict[str, str] = {}
        for key, value in entry.items():
            if key not in ("slug", "url", "title", "difficulty", "category"):
                raise ListError(f"{name}, line {line}: unknown key {key!r} (slug, url, title, difficulty, category)")
            if not isinstance(value, str):
                raise ListError(f"{name}, line {line}: {key} must be a string")
            fields[key] = value
        rows.append((line, fields))
    return title, rows


def _csv_rows(name: str, text: str) -> list[Row]:
    import csv  # a user list's format, as tomllib above

    rows: list[Row] = []
    reader = csv.reader(io.StringIO(text))
    try:
        for cells in reader:
            cells = [cell.strip() for cell in cells]
            if not any(cells) or cells[0].startswith("#"):
                continue
            if not rows and reader.line_num == _first_line(text) and cells[0].lower() in ("slug", "url"):
                continue  # header
            if len(cells) > 4:
                raise ListError(f"{name}, line {reader.line_num}: expected at most 4 columns "
                                f"(slug or URL, difficulty, category, title), got {len(cells)}")
            keys = ("slug", "difficulty", "category", "title")
            rows.append((reader.line_num, {key: cell for key, cell in zip(keys, cells, strict=False) if cell}))
    except csv.Error as exc:
        raise ListError(f"{name}, line {reader.line_num}: {exc}") from None
    return rows


def _first_line(text: str) -> int:
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip() and not line.strip().startswith("#"):
            return number
    return 1


def _line_rows(text: str) -> list[Row]:
    rows: list[Row] = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if line and not line.startswith("#"):
            rows.append((number, {"slug": line}))
    return rows


def _line_of(text: str, key: str) -> int:
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip().startswith(key):
            return number
    return 0


def _problem(name: str, line: int, fields: dict[str, str], known: dict[str, Problem], title: str) -> Problem:
    where = f"{name}, line {line}"
    given = fields.get("slug") or fields.get("url") or ""
    slug = slug_of(given)
    if slug is None:
        shown = given[:80].encode("unicode_escape").decode("ascii")
        raise ListError(f"{where}: not a LeetCode problem slug or URL: {shown!r}")
    difficulty = fields.get("difficulty", "").strip().capitalize()
    if difficulty and difficulty not in DIFFICULTIES:
        raise ListError(f"{where}: difficulty must be Easy, Medium or Hard, got {fields['difficulty'][:40]!r}")
    base = known.get(slug)
    if base is None:
        if not difficulty:
            raise ListError(f"{where}: {slug} is not in the NeetCode 150: give its difficulty (Easy, Medium, Hard)")
        base = Problem(slug=slug, title=slug.replace("-", " ").title(), difficulty=difficulty,
                       category=title, lists=())
    return replace(base, title=safe_line(fields.get("title"), limit=TITLE_LIMIT) or base.title,
                   difficulty=difficulty or base.difficulty,
                   category=safe_line(fields.get("category"), limit=TITLE_LIMIT) or base.category, lists=(title,))


def catalog(paths: Iterable[Path] = ()) -> Catalog:
    """The bundled list and each user list, merged by slug (a problem on several lists is one problem)."""
    problems = {problem.slug: problem for problem in bundled()}
    known = dict(problems)
    titles = [BUNDLED]
    for path in paths:
        title, found = load_list(path, known)
        titles.append(title)
        for problem in found:
            if problem.slug in problems:
                old = problems[problem.slug]
                problems[problem.slug] = replace(old, lists=(*old.lists, title))
            else:
                problems[problem.slug] = problem
    return Catalog(problems=tuple(problems.values()), lists=tuple(titles))


def expand(paths: Sequence[str]) -> list[Path]:
    """``[practice] lists`` entries as paths (``~`` expanded)."""
    return [Path(path).expanduser() for path in paths]
