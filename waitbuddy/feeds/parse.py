"""Fetched bytes -> :class:`~waitbuddy.feeds.model.ParsedFeed`, with feedparser and nothing else.

feedparser only ever sees ``io.BytesIO(body)``: a bare string would be taken for a URL or a file
path (and fetched, without a timeout). Before it runs, :func:`refusal` turns away what must not be
parsed at all:

- a body over :data:`MAX_BODY` bytes (the client cuts downloads; this is the second fence);
- a DTD with an internal subset or any ``<!ENTITY`` in the prolog — entity-expansion bombs.
  feedparser's strict path relies on expat's amplification limits (expat >= 2.4; Python's docs
  still call expat < 2.7.2 exposed) and its loose path re-inserts "safe" entities; refusing them
  outright costs nothing, as real feeds do not declare entities;
- an HTML page (a login wall, an error page): ``not a feed: got an HTML page``.

Malformed XML keeps what feedparser's loose parser salvages when it found a feed and entries (with
a warning); otherwise it is an error. Declared encodings (ISO-8859-1, windows-1252, UTF-16) are
feedparser's job; the HTTP ``Content-Type`` is passed along only when it names a charset, because
feedparser reads a bare ``text/xml`` as US-ASCII (RFC 3023) over the document's own declaration.

Every item field is cleaned here: titles, authors and summaries through :mod:`waitbuddy.text`
(escape sequences, C1 controls and bidi overrides do not survive), summaries reduced to plain text
(:mod:`waitbuddy.feeds.plain`), links kept only when ``http``/``https``, dates as aware UTC. arXiv
sources (and arXiv-shaped items anywhere) get their ids, announce types and links from
:mod:`waitbuddy.feeds.arxiv`.
"""

from __future__ import annotations

import calendar
import hashlib
import io
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import feedparser

from waitbuddy.feeds import arxiv
from waitbuddy.feeds.model import (
    AUTHOR_LIMIT,
    CATEGORY_LIMIT,
    GUID_LIMIT,
    MAX_AUTHORS,
    MAX_CATEGORIES,
    MAX_ITEMS,
    SUMMARY_LIMIT,
    TITLE_LIMIT,
    FeedItem,
    ParsedFeed,
)
from waitbuddy.feeds.plain import to_text
from waitbuddy.feeds.sources import Source
from waitbuddy.text import openable_url, safe_line, safe_text

MAX_BODY = 16 * 1024 * 1024
_HEAD_BYTES = 64 * 1024  # where the prolog (XML declaration, DOCTYPE) must be
_FIRST_ELEMENT = re.compile(r"<[A-Za-z_]")
_DOCTYPE = re.compile(r"<!DOCTYPE\b", re.IGNORECASE)
_ENTITY = re.compile(r"<!ENTITY\b", re.IGNORECASE)
_HTML_START = re.compile(r"<(?:!doctype\s+html\b|html\b)", re.IGNORECASE)
_FEED_ROOT = re.compile(r"<(?:[\w.-]+:)?(?:rss|feed|rdf)\b", re.IGNORECASE)
_HTML_TYPES = ("text/html", "application/xhtml+xml")


def parse_feed(body: bytes, headers: Mapping[str, str] | None, source: Source) -> ParsedFeed:
    """Read ``body`` (the whole response, already decompressed) as a feed for ``source``."""
    headers = {str(name).lower(): str(value) for name, value in (headers or {}).items()}
    if reason := refusal(body, headers.get("content-type", "")):
        return ParsedFeed(error=reason)
    document = feedparser.parse(io.BytesIO(body), response_headers=_passed_headers(headers),
                                sanitize_html=False, resolve_relative_uris=False)
    entries = document.get("entries") or []
    warnings: list[str] = []
    if not document.get("version"):
        if document.get("bozo") and not entries:
            return ParsedFeed(error=f"not a feed: {_bozo_reason(document)}")
        if not entries:
            return ParsedFeed(error="not a feed: no RSS, Atom or RSS 1.0 document found")
    if document.get("bozo") and _is_malformed(document):
        if not entries:
            return ParsedFeed(error=f"malformed feed: {_bozo_reason(document)}")
        warnings.append(f"malformed XML, kept {min(len(entries), MAX_ITEMS)} items: {_bozo_reason(document)}")
    feed = document.get("feed") or {}
    if error := arxiv.api_error(entries):
        return ParsedFeed(title=_title(feed), error=error)
    if len(entries) > MAX_ITEMS:
        warnings.append(f"{len(entries)} items, kept the first {MAX_ITEMS}")
    items: list[FeedItem] = []
    seen: set[str] = set()
    for entry in entries[:MAX_ITEMS]:
        item = item_from_entry(entry, source)
        if item.guid in seen:  # a feed repeating a guid: the first one wins
            continue
        seen.add(item.guid)
        items.append(item)
    return ParsedFeed(title=_title(feed), link=openable_url(feed.get("link")), items=tuple(items),
                      warnings=tuple(warnings))


def refusal(body: bytes, content_type: str = "") -> str | None:
    """A one-line reason not to parse ``body`` at all, or ``None``."""
    if len(body) > MAX_BODY:
        return f"feed too large ({len(body) // (1024 * 1024)} MB; at most {MAX_BODY // (1024 * 1024)} MB)"
    if not body.strip():
        return "not a feed: empty response"
    head = _head_text(body[:_HEAD_BYTES])
    first = _FIRST_ELEMENT.search(head)
    prolog = head[: first.start()] if first else head
    if _ENTITY.search(prolog):
        return "refused: the document declares XML entities (possible entity-expansion bomb)"
    if (doctype := _DOCTYPE.search(prolog)) and "[" in prolog[doctype.end():]:
        return "refused: the document has an internal DTD subset (possible entity-expansion bomb)"
    looks_html = bool(_HTML_START.search(head[:4096])) and not _FEED_ROOT.search(head[:4096])
    if looks_html or (content_type.split(";")[0].strip().lower() in _HTML_TYPES and not _FEED_ROOT.search(head)):
        return "not a feed: got an HTML page"
    return None


def item_from_entry(entry: Mapping[str, Any], source: Source | None = None) -> FeedItem:
    """One feedparser entry as a clean :class:`FeedItem` (arXiv fields filled for arXiv items)."""
    title_detail = entry.get("title_detail") or {}
    title = safe_line(to_text(entry.get("title") or "", html_type=_is_html(title_detail)), limit=TITLE_LIMIT)
    link = _link(entry)
    # dict.get: feedparser's own get() maps a missing updated_parsed to published_parsed (and warns).
    published = _date(dict.get(entry, "published_parsed"))
    updated = _date(dict.get(entry, "updated_parsed"))
    summary_detail = entry.get("summary_detail") or {}
    raw_summary = entry.get("summary") or ""
    if not raw_summary and entry.get("content"):
        content = entry["content"][0]
        raw_summary, summary_detail = content.get("value") or "", content
    summary = safe_text(to_text(raw_summary[: SUMMARY_LIMIT * 8], html_type=_is_html(summary_detail)),
                        limit=SUMMARY_LIMIT)
    guid = _guid(entry, link, title, published or updated)
    item = FeedItem(guid=guid, title=title or "(untitled)", link=link, authors=_authors(entry),
                    published=published, updated=updated, summary=summary, categories=_categories(entry))
    if (source is not None and source.is_arxiv) or arxiv.looks_arxiv(entry):
        item = arxiv.enrich(item, entry, raw_summary)
    return item


def _passed_headers(headers: Mapping[str, str]) -> dict[str, str]:
    content_type = headers.get("content-type", "")
    return {"content-type": content_type} if "charset=" in content_type.lower() else {}


def _head_text(head: bytes) -> str:
    """The head as text, good enough to find markup: UTF-16/32 by BOM or NUL pattern, else Latin-1."""
    for bom, codec in ((b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe\x00\x00", "utf-32-le"),
                       (b"\xfe\xff", "utf-16-be"), (b"\xff\xfe", "utf-16-le")):
        if head.startswith(bom):
            return head[len(bom):].decode(codec, errors="ignore")
    if head[:4] in (b"\x00<\x00?", b"\x00<\x00!"):
        return head.decode("utf-16-be", errors="ignore")
    if head[:4] in (b"<\x00?\x00", b"<\x00!\x00"):
        return head.decode("utf-16-le", errors="ignore")
    return head.decode("latin-1")


def _is_malformed(document: Mapping[str, Any]) -> bool:
    exception = document.get("bozo_exception")
    # A charset the server got wrong is not damage: feedparser found the right one.
    return not isinstance(exception, (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType))


def _bozo_reason(document: Mapping[str, Any]) -> str:
    exception = document.get("bozo_exception")
    return safe_line(str(exception) if exception else "unreadable document", limit=120) or "unreadable document"


def _title(feed: Mapping[str, Any]) -> str:
    return safe_line(to_text(feed.get("title") or "", html_type=_is_html(feed.get("title_detail") or {})),
                     limit=TITLE_LIMIT)


def _is_html(detail: Mapping[str, Any]) -> bool:
    return "html" in str(detail.get("type") or "text/html")


def _link(entry: Mapping[str, Any]) -> str | None:
    if link := openable_url(entry.get("link")):
        return link
    for candidate in entry.get("links") or []:
        if candidate.get("rel", "alternate") == "alternate" and (link := openable_url(candidate.get("href"))):
            return link
    return None


def _date(parsed: Any) -> datetime | None:
    """feedparser's UTC ``struct_time`` as an aware datetime; ``None`` when absent or nonsense."""
    if not parsed:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
    except (OverflowError, ValueError, OSError, TypeError):
        return None


def _guid(entry: Mapping[str, Any], link: str | None, title: str, when: datetime | None) -> str:
    raw = entry.get("id") or entry.get("guid")
    if raw and (guid := safe_line(str(raw), limit=GUID_LIMIT)):
        return guid
    if link:
        return link[:GUID_LIMIT]
    digest = hashlib.sha256(f"{title}\x00{when.isoformat() if when else ''}".encode()).hexdigest()[:32]
    return f"sha256:{digest}"


def _authors(entry: Mapping[str, Any]) -> tuple[str, ...]:
    names: list[str] = []
    for author in entry.get("authors") or []:
        names.append(author.get("name") or author.get("email") or "")
    if not names and entry.get("author"):
        names = [entry["author"]]
    cleaned = (safe_line(name, limit=AUTHOR_LIMIT) for name in names)
    return tuple(dict.fromkeys(name for name in cleaned if name))[:MAX_AUTHORS]


def _categories(entry: Mapping[str, Any]) -> tuple[str, ...]:
    terms = (safe_line(tag.get("term") or tag.get("label") or "", limit=CATEGORY_LIMIT)
             for tag in entry.get("tags") or [])
    return tuple(dict.fromkeys(term for term in terms if term))[:MAX_CATEGORIES]
