"""arXiv on top of the generic feed reading: ids, versions, announce types, links, dedupe.

Facts used (arXiv/arxiv-feed 110b5ab4, the API docs; see shared/notes/feeds-reading.md §2):

- RSS (rss.arxiv.org) item: ``guid`` ``oai:arXiv.org:<id>v<N>``; ``link`` the abstract page without
  version; ``description`` ``arXiv:<id>v<N> Announce Type: <type> \\nAbstract: …``;
  ``arxiv:announce_type`` one of ``new cross replace replace-cross absonly``; one ``category`` per
  listed category with the primary NOT marked (we take the first, which is how arXiv lists them);
  ``dc:creator`` all authors in one string, ``", "``-separated, an affiliation in parentheses may
  hold commas, older records use ``and``. A weekend/holiday feed has no items: a normal empty result.
- API Atom entry: ``id`` ``http://arxiv.org/abs/<id>v<N>``, ``arxiv:primary_category``,
  ``arxiv:comment`` (``"23 pages, 8 figures"``), one ``author`` each. An error is a normal feed
  with one entry titled ``Error`` whose id is ``…/api/errors#…`` and whose summary is the message.

Links are built, not trusted: ``https://arxiv.org/abs/<id>`` and ``https://arxiv.org/pdf/<id>``
(no version: the latest). Abstracts are plain text (LaTeX such as ``$a<b$`` is kept as written).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from waitbuddy.feeds.model import ANNOUNCE_TYPES, AUTHOR_LIMIT, MAX_AUTHORS, SUMMARY_LIMIT, FeedItem
from waitbuddy.feeds.plain import to_text
from waitbuddy.text import safe_line, safe_text

ABS_URL = "https://arxiv.org/abs/"
PDF_URL = "https://arxiv.org/pdf/"
_ID = r"(\d{4}\.\d{4,5}|[a-z]+(?:-[a-z]+)?(?:\.[A-Z]{2})?/\d{7})(?:v(\d+))?"
_OAI = re.compile(r"^oai:arXiv\.org:" + _ID + r"$", re.IGNORECASE)
_ABS = re.compile(r"^https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/" + _ID + r"(?:\.pdf)?/?$")
_DESCRIPTION = re.compile(r"^\s*arXiv:" + _ID + r"\s+Announce Type:\s*([\w-]+)", re.IGNORECASE)
_ABSTRACT = re.compile(r"\bAbstract:\s*", re.IGNORECASE)
_PAGES = re.compile(r"(\d{1,4})\s*(?:pages|pp\.?|page)\b", re.IGNORECASE)
_ERROR_ID = re.compile(r"^https?://(?:export\.)?arxiv\.org/api/errors\b")
_AND = re.compile(r"\s+and\s+|\s*&\s*", re.IGNORECASE)
_ANNOUNCE_ORDER = {kind: rank for rank, kind in enumerate(("new", "cross", "absonly", "replace", "replace-cross"))}


def looks_arxiv(entry: Mapping[str, Any]) -> bool:
    """An entry from arXiv's RSS or API, wherever it was subscribed from."""
    guid = str(entry.get("id") or "")
    return bool(_OAI.match(guid) or _ABS.match(guid) or entry.get("arxiv_announce_type"))


def api_error(entries: list[Mapping[str, Any]]) -> str | None:
    """The message of an arXiv API error response, else ``None``."""
    for entry in entries[:3]:
        if _ERROR_ID.match(str(entry.get("id") or "")) and str(entry.get("title") or "").strip().lower() == "error":
            message = safe_line(entry.get("summary") or "unknown error", limit=200)
            return f"arXiv API error: {message}"
    return None


def parse_id(text: str | None) -> tuple[str, int | None] | None:
    """``(id, version)`` from an OAI guid, an abs/pdf URL or ``arXiv:<id>vN``; else ``None``."""
    if not text:
        return None
    text = text.strip()
    for pattern in (_OAI, _ABS):
        if match := pattern.match(text):
            return match.group(1), int(match.group(2)) if match.group(2) else None
    if match := re.fullmatch(r"(?:arXiv:)?" + _ID, text, re.IGNORECASE):
        return match.group(1), int(match.group(2)) if match.group(2) else None
    return None


def enrich(item: FeedItem, entry: Mapping[str, Any], raw_summary: str = "") -> FeedItem:
    """``item`` with the arXiv fields filled from its feedparser ``entry``; unchanged if no id is found."""
    description = _DESCRIPTION.match(raw_summary or "")
    found = (parse_id(str(entry.get("id") or "")) or parse_id(entry.get("link"))
             or (description and (description.group(1), int(description.group(2)) if description.group(2) else None)))
    if not found:
        return item
    arxiv_id, version = found
    if version is None and description and description.group(1) == arxiv_id and description.group(2):
        version = int(description.group(2))
    announce = str(entry.get("arxiv_announce_type") or (description.group(3) if description else "")).strip().lower()
    primary = entry.get("arxiv_primary_category")
    primary_term = safe_line(primary.get("term") if isinstance(primary, Mapping) else primary, limit=40)
    categories = item.categories
    if primary_term and primary_term not in categories:
        categories = (primary_term, *categories)
    comment = safe_line(entry.get("arxiv_comment") or "", limit=300)
    return replace(
        item,
        link=ABS_URL + arxiv_id,
        pdf_url=PDF_URL + arxiv_id,
        arxiv_id=arxiv_id,
        arxiv_version=version,
        announce_type=announce if announce in ANNOUNCE_TYPES else None,
        primary_category=primary_term or (categories[0] if categories else None),
        categories=categories,
        summary=_abstract(raw_summary) if raw_summary else item.summary,
        authors=_authors(entry) or item.authors,
        comment=comment,
        pages=page_count(comment),
    )


def split_authors(text: str) -> list[str]:
    """``"A Smith, B Jones (MIT, CSAIL) and C White"`` -> three names, affiliations kept with their author."""
    names, depth, current = [], 0, []
    for char in text:
        if char in "([":
            depth += 1
        elif char in ")]":
            depth = max(0, depth - 1)
        if char == "," and depth == 0:
            names.append("".join(current))
            current = []
        else:
            current.append(char)
    names.append("".join(current))
    out: list[str] = []
    for name in names:
        parts = _AND.split(name) if "(" not in name else [name]
        out.extend(part.strip().removeprefix("and ").strip() for part in parts)
    return [name for name in out if name]


def page_count(comment: str | None) -> int | None:
    """Pages from an author comment such as ``"23 pages, 8 figures"``; ``None`` when not stated."""
    if comment and (match := _PAGES.search(comment)):
        pages = int(match.group(1))
        return pages if 0 < pages < 5000 else None
    return None


def visible(items: Iterable[FeedItem], *, show_replacements: bool = False) -> list[FeedItem]:
    """The default view: new and cross-listed papers; replacements only when asked for."""
    return [item for item in items if show_replacements or not item.is_replacement]


def dedupe(items: Iterable[FeedItem]) -> list[FeedItem]:
    """One item per arXiv id across categories and sources, in first-seen order; other items pass.

    The first occurrence is kept, with the categories of all occurrences merged (in order). If a
    later copy was announced ``new`` (the paper's own category) while the kept one was a
    ``cross``-listing, the kept one takes ``new`` and that copy's primary category.
    """
    kept: dict[str, int] = {}
    out: list[FeedItem] = []
    for item in items:
        if item.arxiv_id is None:
            out.append(item)
            continue
        index = kept.get(item.arxiv_id)
        if index is None:
            kept[item.arxiv_id] = len(out)
            out.append(item)
            continue
        first = out[index]
        merged = tuple(dict.fromkeys((*first.categories, *item.categories)))
        changes: dict[str, Any] = {"categories": merged}
        if _ANNOUNCE_ORDER.get(item.announce_type or "", 9) < _ANNOUNCE_ORDER.get(first.announce_type or "", 9):
            changes["announce_type"] = item.announce_type
            if item.announce_type == "new":
                changes["primary_category"] = item.primary_category
        if (item.arxiv_version or 0) > (first.arxiv_version or 0):
            changes["arxiv_version"] = item.arxiv_version
        out[index] = replace(first, **changes)
    return out


def _abstract(description: str) -> str:
    """The abstract of an RSS description (after ``Abstract:``) or of an API summary, as plain text."""
    match = _ABSTRACT.search(description[:2000]) if _DESCRIPTION.match(description) else None
    text = description[match.end():] if match else description
    # Abstracts are plain text, hard-wrapped by the API: unwrap lines, keep paragraph breaks.
    text = "\n\n".join(" ".join(paragraph.split()) for paragraph in re.split(r"\n\s*\n", text))
    return safe_text(to_text(text, html_type=False), limit=SUMMARY_LIMIT)


def _authors(entry: Mapping[str, Any]) -> tuple[str, ...]:
    names: list[str] = []
    for author in entry.get("authors") or []:
        names.extend(split_authors(str(author.get("name") or "")))
    cleaned = (safe_line(name, limit=AUTHOR_LIMIT) for name in names)
    return tuple(dict.fromkeys(name for name in cleaned if name))[:MAX_AUTHORS]
