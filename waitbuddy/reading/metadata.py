"""Page metadata for backlog items: title, description, kind, words, pages, video duration.

:func:`fetch_page` asks for one URL through :class:`waitbuddy.net.Client` (the one polite client)
and :func:`parse_page` reads the answer; it is pure, so every rule is testable without a network.
Rules that matter to callers:

- An arXiv ``/pdf/<id>`` or ``/html/<id>`` link is fetched as its abstract page (never a PDF).
  Other non-HTML answers are not downloaded (``body_types``): a PDF becomes ``kind="paper"``
  titled by its file name, plain text is word-counted, anything else is a :class:`MetadataError`.
- Only the first 2 MB are fetched and parsed. Words counted in a cut page would understate it, so
  a truncated page reports ``words=None`` (unknown) but keeps its title and description.
- Charset: a BOM, then the HTTP header, then ``<meta charset>`` in the first 4 KB, then UTF-8 if
  the bytes are valid UTF-8, else Windows-1252 (which is also what "latin-1" and "ascii" labels
  mean on the web, as browsers decode them). The BOM goes first as in the WHATWG algorithm: a BOM
  is near-certain, while server default charsets are often wrong.
- Title: ``citation_title`` (the exact paper title), ``og:title``, ``twitter:title``, ``<title>``.
  Every text field goes through :func:`waitbuddy.text.safe_line`: plain, one line, safe to show.

Why a small tokenizer here and not ``html.parser``: on this Python (3.11.7) HTMLParser is
quadratic on hostile markup (2 MB of ``"<a "`` took over 10 s even fed in 64 KB chunks;
CVE-2025-6069) and raises AssertionError on ``"<!["``. Metadata needs little of HTML, so
:func:`_tokens` does just that with ``str.find`` and possessive regexes that never rescan: linear.
"""

from __future__ import annotations

import codecs
import html
import json
import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from itertools import islice
from typing import Any
from urllib.parse import unquote, urlsplit

from waitbuddy import net
from waitbuddy.reading.model import PageInfo
from waitbuddy.reading.urls import arxiv_id, kind_from_url
from waitbuddy.text import safe_line

ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"
ARXIV_ABS = "https://arxiv.org/abs/"  # arXiv asks to link (and scrape) abstract pages, not PDFs
MAX_PAGE_BYTES = 2 * 1024 * 1024  # fetched and parsed at most; a longer page has unknown words
PRESCAN_BYTES = 4096  # where a <meta charset> is looked for
TITLE_LIMIT, DESCRIPTION_LIMIT = 300, 1000
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
TEXT_TYPES = frozenset({"text/plain", "text/markdown", "text/x-markdown"})
PDF_TYPES = frozenset({"application/pdf", "application/x-pdf"})
BINARY_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream"})  # a .pdf URL decides
READ_TYPES = HTML_TYPES | TEXT_TYPES  # any other declared type: the body is not downloaded
MAX_DURATION = 7 * 24 * 3600  # longer "durations" are junk (a 24/7 stream has none)


class MetadataError(Exception):
    """The URL answered, but with nothing we read (a zip, an image). ``str()`` is one line for people.

    Network and HTTP failures are :class:`waitbuddy.net.HttpError` instead (``str()`` also one line;
    ``transient`` says whether trying later may help). Neither quotes the URL.
    """


def make_client(*, timeout: float = 10.0, retries: int = 1) -> net.Client:
    """The client policy for page fetches: short, small, polite (arXiv: one at a time, 3 s apart)."""
    return net.Client(timeout=timeout, max_bytes=MAX_PAGE_BYTES, retries=retries, max_redirects=5, budget=20.0,
                      host_limits={"arxiv.org": net.HostLimit(concurrency=1, min_interval=3.0)},
                      default_host_limit=net.HostLimit(concurrency=2))


def page_url(url: str) -> str:
    """The URL :func:`fetch_page` asks for: an arXiv PDF/HTML link becomes its abstract page."""
    ident = arxiv_id(url)
    if ident and urlsplit(url).path.startswith(("/pdf/", "/html/")):
        return ARXIV_ABS + ident
    return url


def fetch_page(client: net.Client, url: str, *, budget: float = 20.0) -> PageInfo:
    """Fetch and parse one page. Raises HttpError or MetadataError with a short reason for people."""
    response = client.get(page_url(url), headers={"Accept": ACCEPT}, budget=budget, truncate=True,
                          body_types=READ_TYPES)
    return parse_page(response.body, content_type=response.headers.get("Content-Type"), url=response.url,
                      truncated=response.truncated)


def parse_page(body: bytes, *, content_type: str | None, url: str, truncated: bool = False) -> PageInfo:
    """What ``body`` (served as ``content_type`` from ``url``, the final URL) says about itself.

    ``truncated``: the body is only the start of the page (then words are unknown).
    """
    media, charset = _content_type(content_type)
    if len(body) > MAX_PAGE_BYTES:
        body, truncated = body[:MAX_PAGE_BYTES], True
    if media in PDF_TYPES or (media in BINARY_TYPES and _path(url).lower().endswith(".pdf")) or (
            not media and body.startswith(b"%PDF-")):
        info = PageInfo(kind="paper", title=_file_name(url), final_url=url)
    elif media in HTML_TYPES or (not media and body[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")):
        info = _Scan().run(_decode(body, charset, html_meta=True)).info(url, truncated)
    elif media in TEXT_TYPES or (not media and b"\0" not in body[:1024]):
        words = None if truncated else _total(*_count(_decode(body, charset, html_meta=False)))
        info = PageInfo(title=_file_name(url), words=words, final_url=url)
    else:
        shown = media if _MEDIA_TYPE.fullmatch(media) else "unknown type"
        raise MetadataError(f"not a web page ({shown})")
    return replace(info, title=safe_line(info.title, limit=TITLE_LIMIT),
                   description=safe_line(info.description, limit=DESCRIPTION_LIMIT))


# -- charset ------------------------------------------------------------------------------------

_MEDIA_TYPE = re.compile(r"[a-z0-9][\w.+-]{0,62}/[\w.+-]{1,100}")
_CHARSET = re.compile(r"charset\s*+=\s*+[\"']?([\w.:-]{1,40})", re.IGNORECASE)
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_WEB_ALIASES = {"iso8859-1": "cp1252", "ascii": "cp1252"}  # what browsers decode these labels as
_REFUSED_CODECS = frozenset({"undefined", "unicode-escape", "raw-unicode-escape", "idna", "punycode", "utf-7"})


def _content_type(value: str | None) -> tuple[str, str | None]:
    """(media type lower-cased, charset parameter) of a Content-Type header."""
    if not value:
        return "", None
    media, _, params = value.partition(";")
    match = _CHARSET.search(params[:1024])
    return media.strip().lower(), match.group(1) if match else None


def _decode(body: bytes, charset: str | None, *, html_meta: bool) -> str:
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return body[len(bom):].decode(encoding, "replace")
    labels = [(charset, False)] + ([(_meta_charset(body), True)] if html_meta else [])
    for label, from_meta in labels:
        encoding = _codec(label, from_meta)
        if encoding:
            try:
                return body.decode(encoding, "replace")
            except (LookupError, UnicodeError):
                pass
    try:  # not final: a body cut in the middle of a character is still UTF-8
        return codecs.getincrementaldecoder("utf-8")().decode(body, final=False)
    except UnicodeDecodeError:
        return body.decode("cp1252", "replace")


def _codec(label: str | None, from_meta: bool) -> str | None:
    """A Python text codec for a charset label, or None if unknown or not really a text encoding."""
    if not label:
        return None
    try:
        info = codecs.lookup(label.strip().lower())
    except LookupError:
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name in _REFUSED_CODECS:
        return None
    if from_meta and info.name.startswith("utf-16"):
        return "utf-8"  # a meta tag readable as ASCII can't be UTF-16 (WHATWG says: UTF-8)
    return _WEB_ALIASES.get(info.name, info.name)


def _meta_charset(body: bytes) -> str | None:
    for token in _tokens(body[:PRESCAN_BYTES].decode("latin-1")):
        if token[0] == "start" and token[1] == "meta":
            attrs = token[2]
            if attrs.get("charset"):
                return attrs["charset"]
            if attrs.get("http-equiv", "").strip().lower() == "content-type":
                match = _CHARSET.search(attrs.get("content", ""))
                if match:
                    return match.group(1)
    return None


# -- tokenizer ----------------------------------------------------------------------------------

# One match is one piece of markup: a comment opener, a declaration or processing instruction, a tag
# (name and everything up to the first unquoted '>'), or a bogus "</" (browsers skip it to '>').
# Branches start differently and every repeat is possessive, so nothing is scanned twice.
_MARKUP = re.compile(r"""<(?:(!--)|[!?]|(/?)([A-Za-z][^\s/>]*+)((?:[^>"']++|"[^"]*+"?|'[^']*+'?)*+)>?|/)""")
_TAG_END = re.compile(r"""(?:[^>"']++|"[^"]*+"?|'[^']*+'?)*+>?""")  # the rest of a closing raw-text tag
_ATTR = re.compile(r"""[\s/]++|([^\s/>=][^\s/>=]*+)(?:\s*+=\s*+("[^"]*+"?|'[^']*+'?|[^\s>]*+))?""")
_RAW = ("script", "style", "title", "textarea", "noscript", "iframe", "xmp", "noembed", "noframes")
_RAW_END = {name: re.compile(rf"</{name}(?![^\s/>])", re.IGNORECASE) for name in _RAW}
_SKIP = frozenset({"nav", "header", "footer", "aside", "svg", "template"})  # not the text people read
_TAGS = _SKIP | {"meta", "article", "main", "td", "tr", "table"}  # the tags the scan looks at
_ATTR_TAGS = frozenset({"meta", "script", "td"})  # the tags whose attributes it reads
MAX_ATTRS, MAX_VALUE = 64, 8192

Token = tuple[Any, ...]


def _tokens(doc: str) -> Iterator[Token]:
    """("text", s) | ("start", name, attrs, self_closing) | ("end", name) | ("raw", name, attrs, text).

    Only tags in ``_TAGS`` and raw-text elements come out; text between other tags is joined with
    spaces. Comments, doctypes and processing instructions are dropped. Unclosed constructs run to
    the end, as in browsers. Every step moves ``pos`` past what it scanned.
    """
    pos, end, text = 0, len(doc), []
    search = _MARKUP.search
    while (found := search(doc, pos)) is not None:
        if found.start() > pos:
            text.append(doc[pos:found.start()])
        pos = found.end()
        name = found.group(3)
        if name is None and found.group(1):  # a comment; "<!-->" and "<!--->" are empty ones
            skip = 1 if doc.startswith(">", pos) else 2 if doc.startswith("->", pos) else 0
            closing = doc.find("-->", pos) if not skip else pos
            pos = end if closing < 0 else closing + (skip or 3)
            continue
        if name is None:  # "<!...>", "<?...>" or a "</..." that names no tag
            closing = doc.find(">", pos)
            pos = end if closing < 0 else closing + 1
            continue
        name = name.lower()
        if found.group(2):  # an end tag
            if name in _TAGS:
                yield from _flush(text)
                yield ("end", name)
            continue
        if name in _RAW:
            attrs = _attrs(found.group(4)) if name in _ATTR_TAGS else {}
            closing = _RAW_END[name].search(doc, pos)
            yield from _flush(text)
            yield ("raw", name, attrs, doc[pos:closing.start() if closing else end])
            pos = _TAG_END.match(doc, closing.end()).end() if closing else end
        elif name in _TAGS:
            inner = found.group(4)
            yield from _flush(text)
            yield ("start", name, _attrs(inner) if name in _ATTR_TAGS else {}, inner.endswith("/"))
    if pos < end:
        text.append(doc[pos:])
    yield from _flush(text)


def _flush(text: list[str]) -> Iterator[Token]:
    if text:
        yield ("text", " ".join(text))
        text.clear()


def _attrs(inner: str) -> dict[str, str]:
    """Attribute names (lower-cased) -> unescaped values; the first of a name wins, at most 64."""
    attrs: dict[str, str] = {}
    for match in islice((m for m in _ATTR.finditer(inner) if m.group(1)), MAX_ATTRS):
        value = match.group(2) or ""
        if value[:1] in ("'", '"'):
            value = value[1:-1] if len(value) > 1 and value[-1] == value[0] else value[1:]
        attrs.setdefault(match.group(1).lower(), html.unescape(value[:MAX_VALUE]))
    return attrs


# -- what a page says ---------------------------------------------------------------------------

_META_KEYS = frozenset({"og:title", "og:description", "og:type", "twitter:title", "twitter:description",
                        "description", "citation_title", "citation_abstract", "citation_arxiv_id",
                        "og:video:duration", "video:duration", "itemprop:duration"})
_CJK = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")
_WORD = re.compile(r"[^\W_]++(?:['’][^\W_]++)*+")
_PAGES = re.compile(r"(?<![\d.])(\d{1,4})\s{0,3}(?:pages?|pp)\b", re.IGNORECASE)
_ARXIV_TITLE_PREFIX = re.compile(r"\[[^\]]{1,40}\]\s*+")
_SECONDS = re.compile(r"\d{1,9}(?:\.\d{1,6})?")
_ISO_DURATION = re.compile(r"P(?:(\d{1,5})D)?(?:T(?:(\d{1,5})H)?(?:(\d{1,6})M)?(?:(\d{1,7}(?:[.,]\d{1,6})?)S)?)?")
MAX_LD_CHARS, MAX_LD_SCRIPTS, MAX_COMMENT_CHARS = 256 * 1024, 8, 2000


class _Scan:
    """Walks the tokens once, keeping only what :class:`PageInfo` needs."""

    def __init__(self) -> None:
        self.metas: dict[str, str] = {}
        self.citation = False  # any citation_* meta: a scholarly page
        self.title: str | None = None
        self.linked_data: list[Any] = []
        self.skip: Counter[str] = Counter()  # open skipped elements by name
        self.depth: Counter[str] = Counter()  # open <article>/<main>
        self.counts = {"all": [0, 0], "article": [0, 0], "main": [0, 0]}  # [words, CJK characters]
        self.cell: list[str] | None = None  # collecting arXiv's comments cell
        self.comments: str | None = None

    def run(self, doc: str) -> _Scan:
        handlers = {"text": self._text, "start": self._start, "end": self._end, "raw": self._raw}
        for kind, *args in _tokens(doc):
            handlers[kind](*args)
        self._close_cell()
        return self

    def _text(self, text: str) -> None:
        if self.cell is not None and sum(map(len, self.cell)) < MAX_COMMENT_CHARS:
            self.cell.append(text)
        if self.skip.total():
            return
        words, cjk = _count(html.unescape(text) if "&" in text else text)
        for context in ("all", "article", "main"):
            if context == "all" or self.depth[context]:
                self.counts[context][0] += words
                self.counts[context][1] += cjk

    def _start(self, name: str, attrs: dict[str, str], self_closing: bool) -> None:
        if name == "meta":
            self._meta(attrs)
        elif name in _SKIP:
            if not (self_closing and name == "svg"):  # HTML ignores "/>" except on foreign elements
                self.skip[name] += 1
        elif name in ("article", "main"):
            self.depth[name] += 1
        else:  # td, tr, table
            self._close_cell()
            classes = attrs.get("class", "").split()
            if name == "td" and self.comments is None and "tablecell" in classes and "comments" in classes:
                self.cell = []

    def _end(self, name: str) -> None:
        if self.skip[name]:
            self.skip[name] -= 1
        elif self.depth[name]:
            self.depth[name] -= 1
        elif name in ("td", "tr", "table"):
            self._close_cell()

    def _raw(self, name: str, attrs: dict[str, str], text: str) -> None:
        if name == "title" and self.title is None and not self.skip["svg"]:
            self.title = html.unescape(text[:4 * TITLE_LIMIT])
        elif (name == "script" and attrs.get("type", "").strip().lower() == "application/ld+json"
              and len(self.linked_data) < MAX_LD_SCRIPTS and len(text) <= MAX_LD_CHARS):
            try:
                self.linked_data.append(json.loads(text))
            except (ValueError, RecursionError):  # broken, or nested deep on purpose
                pass

    def _meta(self, attrs: dict[str, str]) -> None:
        content = attrs.get("content", "").strip()
        keys = [attrs.get("property", ""), attrs.get("name", "")]
        if attrs.get("itemprop"):
            keys.append("itemprop:" + attrs["itemprop"])
        for key in (key.strip().lower() for key in keys):
            self.citation = self.citation or key.startswith("citation_")
            if content and key in _META_KEYS:
                self.metas.setdefault(key, content)

    def _close_cell(self) -> None:
        if self.cell is not None:
            self.comments = " ".join(self.cell)[:MAX_COMMENT_CHARS]
            self.cell = None

    def info(self, url: str, truncated: bool) -> PageInfo:
        metas = self.metas
        arxiv = arxiv_id(url) is not None or "citation_arxiv_id" in metas
        og_type = metas.get("og:type", "").lower()
        ld_video, ld_duration = _video_object(self.linked_data)
        if og_type.startswith("video") or ld_video:
            kind: str | None = "video"
        elif self.citation or arxiv:
            kind = "paper"
        else:
            kind = "article" if og_type == "article" else None
        title = metas.get("citation_title") or metas.get("og:title") or metas.get("twitter:title") or ""
        if not title and self.title:
            title = _ARXIV_TITLE_PREFIX.sub("", self.title.strip(), count=1) if arxiv else self.title
        description = (metas.get("og:description") or metas.get("citation_abstract") or metas.get("description")
                       or metas.get("twitter:description") or "")
        pages = None
        if arxiv and self.comments and (found := _PAGES.search(self.comments)):
            pages = int(found.group(1)) or None
        effective = kind or kind_from_url(url)
        duration = None
        if effective == "video":  # an article with an embedded clip keeps its reading time
            duration = next((seconds for seconds in (
                _seconds(metas.get("itemprop:duration")), _seconds(metas.get("og:video:duration")),
                _seconds(metas.get("video:duration")), ld_duration) if seconds), None)
        # The words of a cut page, a video page or an abstract page would understate the real thing.
        words = None if truncated or effective == "video" or arxiv else self._words()
        return PageInfo(title=title, description=description, kind=kind, words=words, pages=pages,
                        duration_seconds=duration, final_url=url)

    def _words(self) -> int | None:
        for context in ("article", "main", "all"):  # the article's own text when the page marks it
            total = _total(*self.counts[context])
            if total:
                return total
        return None


def _count(text: str) -> tuple[int, int]:
    """(words, CJK characters): Chinese and Japanese run without spaces, so they count by character."""
    rest, cjk = _CJK.subn(" ", text)
    return len(_WORD.findall(rest)), cjk


def _total(words: int, cjk: int) -> int | None:
    """Words plus one word per two CJK characters (Medium reads 500 CJK characters a minute)."""
    return (words + math.ceil(cjk / 2)) or None


def _video_object(linked_data: list[Any]) -> tuple[bool, int | None]:
    """(a page-level schema.org VideoObject exists, its duration) from JSON-LD blocks.

    Only top-level items and ``@graph`` members count: a VideoObject nested in an Article is a clip
    inside the article, not what the page is.
    """
    for block in linked_data:
        items = block if isinstance(block, list) else [block]
        for item in items[:50]:
            if not isinstance(item, dict):
                continue
            graph = item.get("@graph")
            for node in [item] + (graph[:50] if isinstance(graph, list) else []):
                types = node.get("@type") if isinstance(node, dict) else None
                types = types if isinstance(types, list) else [types]
                # "VideoObject", "schema:VideoObject" and "https://schema.org/VideoObject" alike
                if any(isinstance(kind, str) and re.split("[/:]", kind)[-1] == "VideoObject" for kind in types[:8]):
                    return True, _seconds(node.get("duration"))
    return False, None


def _seconds(value: object) -> int | None:
    """Seconds from "3723", 3723 or an ISO 8601 duration ("PT1H2M3S", YouTube's "PT62M3S")."""
    seconds: float | None = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip()[:64].upper()
        if _SECONDS.fullmatch(text):
            seconds = float(text)
        elif (match := _ISO_DURATION.fullmatch(text)) and any(match.groups()):
            days, hours, minutes, secs = (float((group or "0").replace(",", ".")) for group in match.groups())
            seconds = ((days * 24 + hours) * 60 + minutes) * 60 + secs
    if seconds is None or not math.isfinite(seconds) or not 0 < seconds <= MAX_DURATION:
        return None
    return max(1, round(seconds))


def _path(url: str) -> str:
    try:
        return urlsplit(url).path
    except ValueError:  # a bad IPv6 literal or port
        return ""


def _file_name(url: str) -> str:
    """The last path segment ("paper.pdf"), else the URL: a title for what has none of its own."""
    return unquote(_path(url).rstrip("/").rsplit("/", 1)[-1]) or url
