"""How a feed entry looks: its row in the Feeds list and its detail below it. Text from feeds is
already clean (it went through :mod:`waitbuddy.text` at ingest); it passes ``safe_line`` again
here and is only ever placed in ``Content`` as text, never parsed as markup."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from textual.content import Content
from textual.style import Style

from waitbuddy.reading.present import age_text
from waitbuddy.text import openable_url, safe_line, safe_text

MAX_AUTHORS = 8


def entry_row(entry: Any, width: int, now: datetime, matches: Sequence[str] = ()) -> Content:
    """``• title  matches lora, diffusion  ⚠ source   3d``: the marker, the title (bold while unread),
    why it ranks where it fits, the source (muted; ⚠ when stale) and the age at the right."""
    item = entry.item
    unread = entry.unread
    left = "• " if unread else "  "
    source = safe_line(entry.source, limit=18)
    right = f" {age_text(entry.date, now):>3}"
    title = safe_line(item.title, limit=300) or "(no title)"
    stale = "⚠ " if entry.stale else ""
    room = max(width - len(left) - len(right), 1)
    tail = len(source) + len(stale) + 2
    extra = f"  matches {safe_line(', '.join(matches), limit=60)}" if matches else ""
    if len(title) + tail + len(extra) > room:
        extra = ""  # the title and its source first; why it ranks where it fits
    body = Content.assemble(
        (title, "bold" if unread else ""), (extra, "$text-accent"), "  ",
        (stale, "$text-warning"), (source, "$text-muted"),
    )
    if body.cell_length > room:  # cut the title, keep the source in view
        body = Content.assemble(
            Content(title).stylize("bold" if unread else "").truncate(max(room - tail, 1), ellipsis=True), "  ",
            (stale, "$text-warning"), (source, "$text-muted"),
        )
    body = body.truncate(room, ellipsis=True, pad=True)
    return Content.assemble((left, "$text-accent"), body, (right, "$text-muted"))


def entry_detail(entry: Any, matches: Sequence[str] = ()) -> Content:
    """Title, authors, source · category · arXiv id · pages · date · matches, the link (OSC 8),
    then the abstract, wrapped by the widget."""
    item = entry.item
    facts = [safe_line(entry.source, limit=80)]
    if item.primary_category:
        facts.append(safe_line(item.primary_category, limit=40))
    if item.versioned_id:
        facts.append("arXiv " + safe_line(item.versioned_id, limit=40))
    if item.pages:
        facts.append(f"{item.pages} pages")
    facts.append(f"{entry.date:%Y-%m-%d}")
    if matches:
        facts.append("matches " + safe_line(", ".join(matches), limit=80))
    if entry.backlog_id is not None:
        facts.append("in the backlog")
    parts: list = [(safe_line(item.title, limit=300) or "(no title)", "bold")]
    if item.authors:
        more = len(item.authors) - MAX_AUTHORS
        authors = ", ".join(item.authors[:MAX_AUTHORS]) + (f" and {more} more" if more > 0 else "")
        parts += ["\n", safe_line(authors, limit=400)]
    parts += ["\n", (" · ".join(facts), "$text-muted")]
    if entry.stale:
        parts += ["\n", ("stale: its source is failing or has not been checked for a while", "$text-warning")]
    if url := openable_url(item.link):
        parts += ["\n", (url, Style(link=url, underline=True))]
    if item.summary:
        parts += ["\n\n", safe_text(item.summary, limit=8000)]
    return Content.assemble(*parts)
