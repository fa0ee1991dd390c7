"""A feed source as a person types it: a feed URL, ``arxiv:CATEGORIES`` or ``arxiv-search:QUERY``.

- ``https://example.org/feed.xml`` — RSS 2.0, Atom or RSS 1.0 (only ``http``/``https``, checked by
  :func:`waitbuddy.text.openable_url`). An ``rss.arxiv.org`` URL is read as the arXiv categories it names.
- ``arxiv:cs.LG``, ``arxiv:cs.LG+stat.ML``, ``arxiv:cs.LG,stat.ML`` — arXiv's daily RSS; several
  categories become ONE request (``https://rss.arxiv.org/rss/cs.LG+stat.ML``), as arXiv allows.
  A category is an archive (``cs``, ``astro-ph``) or ``archive.SUBJECT`` (``cs.LG``, ``q-bio.NC``,
  ``physics.atom-ph``); case is normalised (``cs.lg`` -> ``cs.LG``).
- ``arxiv-search:"diffusion transformer"``, ``arxiv-search:ti:lora AND au:hu`` — the arXiv API,
  newest first. Plain words and quoted phrases become ``all:`` terms; field prefixes (``ti au abs
  co jr cat rn id all``), ``AND``/``OR``/``ANDNOT`` and parentheses pass through; terms with no
  operator between them are joined with ``AND``.

:func:`parse_source` returns a frozen :class:`Source` or raises ``ValueError`` with one line saying
what is wrong. ``Source.key`` is the dedupe key: one source per key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, quote_plus, urlsplit

from waitbuddy.reading.urls import url_key
from waitbuddy.text import openable_url, safe_line

KINDS = ("rss", "arxiv", "arxiv-search")
ARXIV_RSS = "https://rss.arxiv.org/rss/"
ARXIV_API = "https://export.arxiv.org/api/query"
SEARCH_RESULTS = 50
MAX_CATEGORIES = 20
MAX_QUERY = 500
FIELDS = ("ti", "au", "abs", "co", "jr", "cat", "rn", "id", "all")
OPERATORS = ("AND", "OR", "ANDNOT")

_CATEGORY = re.compile(r"([a-z]+(?:-[a-z]+)?)(?:\.([a-z]+(?:-[a-z]+)?))?", re.IGNORECASE)
_CATEGORY_SPLIT = re.compile(r"[+,\s]+")
_ARXIV_RSS_HOSTS = frozenset({"rss.arxiv.org", "export.arxiv.org", "arxiv.org"})
_ARXIV_RSS_PATH = re.compile(r"^/(?:rss|atom)/([^/]+)/?$")
# A search token: a parenthesis, a (field:)"phrase", or a (field:)word.
_TOKEN = re.compile(r'\s*(?:(?P<paren>[()])|(?:(?P<field>[A-Za-z]+):)?(?:"(?P<phrase>[^"]*)"|(?P<word>[^\s()"]+)))')


@dataclass(frozen=True)
class Source:
    """Where items come from. ``spec`` is the canonical text (what ``feeds list`` shows and config stores)."""

    kind: str  # one of KINDS
    url: str  # what the HTTP client requests
    name: str  # a default display name; a feed's own title or config can replace it
    key: str  # dedupe key: two sources with one key are the same source
    spec: str
    categories: tuple[str, ...] = ()  # arxiv: the categories, in the order given
    query: str = ""  # arxiv-search: the API search_query, before URL encoding

    @property
    def is_arxiv(self) -> bool:
        return self.kind in ("arxiv", "arxiv-search")


def parse_source(text: str) -> Source:
    """Read a source as typed. Raises ``ValueError`` with a one-line message for bad input."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError("empty source: give a feed URL, arxiv:CATEGORY or arxiv-search:QUERY")
    text = text.strip()
    if len(text) > 8192:
        raise ValueError("source too long (over 8192 characters)")
    head, _, rest = text.partition(":")
    head = head.lower()
    if head == "arxiv":
        return arxiv_source(_categories(rest))
    if head == "arxiv-search":
        return arxiv_search(rest)
    return _url_source(text)


def arxiv_source(categories: tuple[str, ...]) -> Source:
    """The arXiv RSS source for ``categories`` (already validated), one request for all of them."""
    joined = "+".join(categories)
    return Source(kind="arxiv", url=ARXIV_RSS + joined, name=f"arXiv {joined}",
                  key="arxiv:" + "+".join(sorted(categories)), spec=f"arxiv:{joined}", categories=categories)


def arxiv_search(text: str) -> Source:
    """The arXiv API source for a search as typed after ``arxiv-search:``."""
    query = search_query(text)
    url = (f"{ARXIV_API}?search_query={quote_plus(query, safe=':')}"
           f"&sortBy=submittedDate&sortOrder=descending&max_results={SEARCH_RESULTS}")
    shown = safe_line(text.strip(), limit=80)
    return Source(kind="arxiv-search", url=url, name=f"arXiv search: {shown}", key=f"arxiv-search:{query}",
                  spec=f"arxiv-search:{text.strip()}", query=query)


def normalize_category(text: str) -> str:
    """``cs.lg`` -> ``cs.LG``; ``ASTRO-PH.co`` -> ``astro-ph.CO``; raises ``ValueError`` if malformed."""
    match = _CATEGORY.fullmatch(text.strip())
    if not match or len(text) > 40:
        raise ValueError(f"not an arXiv category: {safe_line(text, limit=40)!r} "
                         "(expected an archive like cs or archive.SUBJECT like cs.LG, stat.ML, q-bio.NC)")
    archive, subject = match.group(1).lower(), match.group(2)
    if subject is None:
        return archive
    # Subject classes are two capital letters (cs.LG, math.OC), except physics.* and cond-mat.*
    # ones, which are lowercase words (physics.atom-ph, cond-mat.stat-mech).
    return f"{archive}.{subject.upper() if len(subject) == 2 else subject.lower()}"


def _categories(text: str) -> tuple[str, ...]:
    parts = [part for part in _CATEGORY_SPLIT.split(text.strip()) if part]
    if not parts:
        raise ValueError("arxiv: needs at least one category, e.g. arxiv:cs.LG or arxiv:cs.LG+stat.ML")
    seen: dict[str, None] = {}
    for part in parts:
        seen.setdefault(normalize_category(part), None)
    if len(seen) > MAX_CATEGORIES:
        raise ValueError(f"too many arXiv categories ({len(seen)}; at most {MAX_CATEGORIES} in one source)")
    return tuple(seen)


def search_query(text: str) -> str:
    """The arXiv API ``search_query`` for what a person typed (see the module docstring)."""
    text = text.strip()
    if not text:
        raise ValueError('arxiv-search: needs words, e.g. arxiv-search:"diffusion transformer" or ti:lora AND au:hu')
    if len(text) > MAX_QUERY:
        raise ValueError(f"arXiv search too long (over {MAX_QUERY} characters)")
    if text.count('"') % 2:
        raise ValueError("arXiv search has an unclosed quote")
    out: list[str] = []
    depth, position = 0, 0
    expect_term = True  # at the start, after an operator or "("
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            if text[position:].strip():
                raise ValueError(f"cannot read the arXiv search near {safe_line(text[position:], limit=30)!r}")
            break
        position = match.end()
        if paren := match.group("paren"):
            if paren == "(":
                if not expect_term:
                    out.append("AND")
                out.append("(")
                depth, expect_term = depth + 1, True
            else:
                if depth == 0 or expect_term:
                    raise ValueError("arXiv search has an unbalanced or empty parenthesis")
                out.append(")")
                depth -= 1
            continue
        field, phrase, word = match.group("field"), match.group("phrase"), match.group("word")
        if field is None and phrase is None and word.upper() in OPERATORS:
            if expect_term:
                raise ValueError(f"arXiv search: {word.upper()} needs a term before it")
            out.append(word.upper())
            expect_term = True
            continue
        if field is not None and field.lower() not in FIELDS:
            # "http://x" or "foo:bar" with an unknown prefix: search the whole thing as a word.
            word, field = f"{field}:{word if phrase is None else phrase}", None
            phrase = None
        term = _term(field.lower() if field else "all", phrase, word)
        if not expect_term:
            out.append("AND")
        out.append(term)
        expect_term = False
    if depth:
        raise ValueError("arXiv search has an unclosed parenthesis")
    if expect_term:
        raise ValueError("arXiv search ends with an operator")
    return " ".join(out).replace("( ", "(").replace(" )", ")")


def _term(field: str, phrase: str | None, word: str | None) -> str:
    value = " ".join((phrase if phrase is not None else word or "").split())
    if not value:
        raise ValueError("arXiv search has an empty phrase")
    if any(ord(char) < 32 or 0x7F <= ord(char) < 0xA0 for char in value):
        raise ValueError("arXiv search holds control characters")
    return f'{field}:"{value}"' if phrase is not None and " " in value else f"{field}:{value}"


def _url_source(text: str) -> Source:
    url = openable_url(text)
    if url is None:
        scheme = text.split(":", 1)[0].lower() if ":" in text else ""
        if scheme and scheme not in ("http", "https") and re.fullmatch(r"[a-z][a-z0-9+.-]*", scheme):
            raise ValueError(f"unsupported source {scheme}: (use an http(s) feed URL, arxiv: or arxiv-search:)")
        raise ValueError("not a feed URL: expected http(s)://host/… (or arxiv:CATEGORY, arxiv-search:QUERY)")
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host in _ARXIV_RSS_HOSTS and (match := _ARXIV_RSS_PATH.match(parts.path)) and not parts.query:
        try:
            return arxiv_source(_categories(match.group(1)))
        except ValueError:
            pass  # not categories after all: an ordinary feed URL
    if host == "export.arxiv.org" and parts.path.rstrip("/") == "/api/query":
        query = parse_qs(parts.query).get("search_query", [""])[0]
        try:
            return arxiv_search(query)  # an exported search comes back as the same search
        except ValueError:
            pass
    return Source(kind="rss", url=url, name=host.removeprefix("www."), key=f"rss:{url_key(url)}", spec=url)
