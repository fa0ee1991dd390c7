"""Netscape bookmark files (Chrome, Firefox, Safari, Edge, linkding, Pinboard) and Pocket's legacy HTML.

These files are not valid HTML: ``<DT>`` is never closed, ``<p>`` follows every ``<DL>``, attribute
case varies. :class:`html.parser.HTMLParser` is lenient about all of that and streams the file
once, so the cost stays linear even with Chrome's 100 KB ``ICON`` data URIs (they are not kept).
Pocket's ``ril_export.html`` is the same idea with lowercase ``time_added``/``tags`` attributes
and ``<h1>Unread</h1>``/``<h1>Read Archive</h1>`` sections, so one parser reads both.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser

from waitbuddy.reading.importers._common import (
    MAX_FIELD,
    MAX_NOTE,
    BadDate,
    Rejects,
    Streamed,
    bookmark,
    checked_url,
    epoch_date,
    fail,
    folder_tag,
    shown,
    size_text,
    split_tags,
    tags_of,
    too_long,
)
from waitbuddy.reading.model import STATUSES, Bookmark, Invalid

# Folders every browser has: where a bookmark sits, not what it is about. Compared lowercased.
ROOT_FOLDERS = frozenset({
    "bookmarks", "bookmarks bar", "bookmarks toolbar", "bookmarks menu", "other bookmarks", "mobile bookmarks",
    "favorites", "favorites bar", "favourites", "favourites bar", "unsorted", "unsorted bookmarks",
    "unfiled bookmarks", "imported", "imported bookmarks", "menu", "toolbar", "speed dial",
})
# Browsers in other languages name the root folders differently but mark them with these attributes.
ROOT_FOLDER_ATTRIBUTES = ("personal_toolbar_folder", "unfiled_bookmarks_folder")
READING_LIST_NAMES = frozenset({"com.apple.readinglist", "reading list"})
LINKDING_ARCHIVED = frozenset({"linkding:bookmarks.archived", "linkding:archived"})  # pseudo-tags, not topics
NOTES_OPEN, NOTES_CLOSE = "[linkding-notes]", "[/linkding-notes]"
_MAX_FOLDER_TAGS = 32  # deeper folders add no tags (a hostile nesting would copy ever longer tuples)
_MAX_UNPARSED_TAIL = 4096  # close() is quadratic in this; 4 KB costs milliseconds
_SKIPPED_ATTRIBUTES = frozenset({"icon", "icon_uri", "post_data"})  # big or useless: never stored
# The parser is fed the file a batch at a time, cut before a "<". A tag or text longer than this
# between two "<" is not fed: HTMLParser would copy it several times (919 MB for a 150 MB attribute).
MAX_SEGMENT = 2 * 1024 * 1024
_BATCH = 1024 * 1024
_TAG_NAME = re.compile(r"</?([a-zA-Z][^\s/>]{0,15})")
_SCHEME = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*")


@dataclass(frozen=True)
class _Folder:
    """A folder on the current path, with what it implies for the bookmarks inside, parents included."""

    tag: str | None  # None: a browser root folder, or the reading list
    reading_list: bool = False
    tags: tuple[str, ...] = ()  # this folder's and its parents' tags, outermost first, no duplicates
    in_reading_list: bool = False


_ROOT = _Folder(None)


@dataclass
class _Open:
    """The element whose text is being collected: an anchor, a folder name, a description or a heading."""

    kind: str  # "a", "h3", "dd", "h1"
    line: int
    attrs: dict[str, str] = field(default_factory=dict)
    text: list[str] = field(default_factory=list)
    target: int | None = None  # a <DD>'s bookmark, by its number among the parser's entries
    skipped_text: int = 0  # length of a text inside it too long to be fed to the parser


class _BookmarkParser(HTMLParser):
    """One pass over the file: ``<DL>`` nesting is the folder stack, ``<A>`` a bookmark, ``<DD>`` its text."""

    def __init__(self, *, pocket: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.pocket = pocket
        # The bookmarks not handed out yet; entries[0] is bookmark number ``base`` (counted from 0).
        # One still open to a <DD> stays; a dropped one (its description too long) becomes None.
        self.entries: list[Bookmark | None] = []
        self.base = 0
        self.invalid: list[Invalid] = Rejects()
        self.stack: list[_Folder] = []
        self.pending_folder: _Folder | None = None  # an <H3> waiting for its <DL>
        self.open: _Open | None = None
        self.last_entry: int | None = None  # index of the bookmark a following <DD> describes
        self.section: str | None = None  # Pocket: status of the current <h1> section

    # Tags -------------------------------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("a", "h3", "h1", "dd", "dt", "dl", "hr", "li"):  # these end an unclosed element
            self._finish()
        line = self.getpos()[0]
        if tag == "a":
            kept: dict[str, str] = {}
            for key, value in attrs:  # the first of a repeated attribute wins, as in browsers
                if key not in _SKIPPED_ATTRIBUTES:
                    kept.setdefault(key, value or "")
            self.open = _Open("a", line, kept)
            self.pending_folder = self.last_entry = None
        elif tag == "h3":
            self.open = _Open("h3", line, {key: value or "" for key, value in attrs})
            self.last_entry = None
        elif tag == "h1":
            self.open = _Open("h1", line)
        elif tag == "dd":
            self.open = _Open("dd", line, target=self.last_entry)
            self.last_entry = None  # a second <DD> describes nothing
        elif tag == "dl":
            self._enter(self.pending_folder or _ROOT)
        elif tag in ("dt", "hr"):
            self.pending_folder = None
            self.last_entry = None
        elif tag == "br" and self.open is not None and self.open.kind == "dd":
            self.open.text.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if self.open is not None and tag == self.open.kind:
            self._finish()
        elif tag == "dl":
            self._finish()
            if self.stack:
                self.stack.pop()
            self.pending_folder = None
            self.last_entry = None

    def handle_data(self, data: str) -> None:
        if self.open is not None:
            self.open.text.append(data)

    def end(self) -> None:
        """Close the parser, reporting a bookmark the file was cut off in the middle of.

        ``feed()`` stops at the first construct it can't finish (``<!--`` without ``-->``, a tag
        without ``>``) and leaves the rest in ``rawdata``. ``close()`` then re-scans to the end of
        the file for every ``<`` in that rest: quadratic on Python < 3.13.4 (CVE-2025-6069), so
        a long rest is reported and skipped, as a browser would treat it as one comment anyway.
        """
        rest = self.rawdata.lstrip()
        line = self.getpos()[0] + self.rawdata.count("\n", 0, len(self.rawdata) - len(rest))
        if rest[:2].lower() == "<a" and len(rest) <= _MAX_UNPARSED_TAIL:  # HTMLParser would make it text
            self.invalid.append(Invalid(line, "file ends in the middle of this bookmark's <A> tag"))
            self.rawdata = ""
        elif rest[:1] == "<" and len(rest) > _MAX_UNPARSED_TAIL:
            self.skip_rest(0)
        if self.open is not None and self.open.kind == "a":
            self.invalid.append(Invalid(self.open.line, "file ends before this bookmark's </A>"))
            self.open = None
        self.close()
        self._finish()

    def skip_rest(self, unfed: int) -> None:
        """Give up on the construct the parser is waiting to see the end of, and the ``unfed`` characters after it."""
        rest = self.rawdata.lstrip()
        line = self.getpos()[0] + self.rawdata.count("\n", 0, len(self.rawdata) - len(rest))
        self.invalid.append(Invalid(line, f"unterminated markup {shown(rest[:12])!r}: the remaining "
                                          f"{len(rest) + unfed} characters of the file were skipped"))
        self.rawdata = ""

    # Elements ---------------------------------------------------------------------------------

    def _too_long(self, current: _Open) -> None:
        length = size_text(current.skipped_text)
        if current.kind == "a":
            self.invalid.append(Invalid(current.line, f"title is {length} long (the limit is {size_text(MAX_FIELD)})"))
        elif current.kind == "dd" and current.target is not None:
            entry = self.entries[current.target - self.base]
            assert entry is not None  # a bookmark is dropped only by its one <DD>
            self.invalid.append(Invalid(entry.line, f"description is {length} long (the limit is {size_text(MAX_NOTE)})"))
            self.entries[current.target - self.base] = None

    def _finish(self) -> None:
        current, self.open = self.open, None
        if current is None:
            return
        if current.skipped_text:
            self._too_long(current)
            return
        text = "".join(current.text)
        if current.kind == "a":
            self._anchor(current, " ".join(text.split()))  # whitespace collapses, as a browser shows it
        elif current.kind == "h3":
            self._folder(current.attrs, " ".join(text.split()))
        elif current.kind == "h1" and self.pocket:
            heading = text.strip().lower()
            self.section = "archived" if "archive" in heading else "unread" if "unread" in heading else None
        elif current.kind == "dd" and current.target is not None:
            self._description(current.target, text)

    def _enter(self, folder: _Folder) -> None:
        """A ``<DL>`` opens the folder named by the ``<H3>`` before it (or an unnamed one)."""
        parent = self.stack[-1] if self.stack else _ROOT
        tags = parent.tags
        if folder.tag and folder.tag not in tags and len(tags) < _MAX_FOLDER_TAGS:
            tags += (folder.tag,)
        self.stack.append(_Folder(folder.tag, folder.reading_list, tags, parent.in_reading_list or folder.reading_list))
        self.pending_folder = None
        self.last_entry = None

    def _folder(self, attrs: dict[str, str], name: str) -> None:
        lowered = name.lower()
        reading_list = lowered in READING_LIST_NAMES or any(
            value.strip().lower() == "com.apple.readinglist" for value in attrs.values())
        root = lowered in ROOT_FOLDERS or any(
            attrs.get(key, "").strip().lower() == "true" for key in ROOT_FOLDER_ATTRIBUTES)
        tag = None if root or reading_list else folder_tag(name)
        self.pending_folder = _Folder(tag, reading_list)

    def _anchor(self, anchor: _Open, title: str) -> None:
        attrs, line = anchor.attrs, anchor.line
        url = checked_url(attrs.get("href"), line)
        if isinstance(url, Invalid):
            self.invalid.append(Invalid(line, not_a_page(attrs.get("href") or "") or url.reason))
            return
        try:
            saved_at = epoch_date(attrs.get("add_date") or attrs.get("time_added"))
        except BadDate as error:
            self.invalid.append(Invalid(line, str(error)))
            return
        folder = self.stack[-1] if self.stack else _ROOT
        tags, archived = folder.tags, False
        if own_tags := split_tags(attrs.get("tags"), ","):
            kept = [tag for tag in own_tags if tag.strip().lower() not in LINKDING_ARCHIVED]
            tags, archived = tags_of([*folder.tags, *kept]), len(kept) < len(own_tags)
        status = self.section if self.pocket else None
        if folder.in_reading_list:
            status = "unread"
        toread = attrs.get("toread", "").strip()
        if toread == "1":
            status = "unread"
        elif toread == "0" and status is None:  # Pinboard, linkding: saved as a bookmark, not to read
            status = "done"
        if archived:
            status = "archived"
        own_status = attrs.get("status", "").strip().lower()  # written by waitbuddy's own export
        if own_status in STATUSES:
            status = own_status
        entry = bookmark(url, title=title, tags=tags, saved_at=saved_at, status=status, line=line)
        if isinstance(entry, Invalid):
            self.invalid.append(entry)
            return
        self.last_entry = self.base + len(self.entries)
        self.entries.append(entry)

    def _description(self, index: int, text: str) -> None:
        start = text.find(NOTES_OPEN)
        description, note = text.strip(), ""
        if start >= 0:  # linkding: description[linkding-notes]notes[/linkding-notes]; unclosed is taken too
            stop = text.find(NOTES_CLOSE, start + len(NOTES_OPEN))
            description, note = text[:start].strip(), text[start + len(NOTES_OPEN):stop if stop >= 0 else None].strip()
        entry = self.entries[index - self.base]
        assert entry is not None
        if problem := too_long(description=description, note=note):
            self.invalid.append(Invalid(entry.line, problem))
            self.entries[index - self.base] = None
            return
        self.entries[index - self.base] = replace(entry, description=description, note=note)

    def ready(self, *, final: bool = False) -> list[Bookmark]:
        """Take the bookmarks that nothing later in the file can change: all but one a <DD> may
        still describe (or is describing); with ``final``, all."""
        held = [index for index in (self.last_entry, self.open.target if self.open is not None else None)
                if index is not None]
        upto = len(self.entries) if final or not held else min(held) - self.base
        taken = [entry for entry in self.entries[:upto] if entry is not None]
        del self.entries[:upto]
        self.base += upto
        return taken

    def skipped(self, start: str, length: int, newlines: int) -> None:
        """A tag or text of ``length`` characters starting with ``start`` was not fed (too long)."""
        line = self.getpos()[0] + self.rawdata.count("\n")
        if name := _TAG_NAME.match(start):
            reason = f"a <{name.group(1)}> tag {size_text(length)} long was skipped (the limit is {size_text(MAX_SEGMENT)})"
            if name.group(1).lower() == "a" and not start.startswith("</"):
                reason = f"bookmark skipped: its <A> tag is {size_text(length)} long (the limit is " \
                         f"{size_text(MAX_SEGMENT)})"
                self._finish()
                self.open = _Open("skipped", line)  # its title goes nowhere, not into the element before
                self.pending_folder = self.last_entry = None
            self.invalid.append(Invalid(line, reason))
        elif start.startswith("<"):
            self.invalid.append(Invalid(line, f"markup {shown(start[:12])!r} {size_text(length)} long was skipped "
                                              f"(the limit is {size_text(MAX_SEGMENT)})"))
        elif self.open is not None and self.open.kind in ("a", "dd"):
            self.open.skipped_text = length  # the entry is reported when it ends
        else:
            self.invalid.append(Invalid(line, f"text {size_text(length)} long was skipped (the limit is "
                                              f"{size_text(MAX_SEGMENT)})"))
        self.lineno += newlines


def not_a_page(href: str) -> str | None:
    """Why a bookmark with a relative ``HREF`` is skipped (None for any other ``HREF``).

    A Shaarli note is a bookmark without a link: its ``HREF`` is its own permalink, relative
    (``?lY47tw``, or ``/shaare/lY47tw`` since Shaarli 0.12) unless the export was asked to prefix
    notes with the site's address. Other non-http(s) ``HREF``s (``javascript:`` bookmarklets,
    Firefox's ``place:`` smart folders, ``about:``) keep the common reason, ``not an http(s) URL``.
    """
    href = href.strip()
    if not href or len(href) > MAX_FIELD:
        return None
    scheme, colon, _rest = href.partition(":")
    if colon and _SCHEME.fullmatch(scheme):
        return None
    if href.startswith(("?", "/shaare/")):
        return f"a note, not a link (relative URL {shown(href)})"
    return f"a relative URL, not a web address: {shown(href)}"


def parse_netscape(text: str, name: str, *, pocket: bool = False) -> Streamed:
    """Read a Netscape bookmark file, or Pocket's legacy HTML export with ``pocket=True``.

    Folder names on a bookmark's path become slug tags (``ML Papers`` -> ``ml-papers``; browser
    root folders excepted); ``TAGS`` adds more, as written. ``TOREAD="1"`` and Safari's Reading
    List mean unread, ``TOREAD="0"`` done (as in Pinboard's JSON); linkding's archived pseudo-tag
    means archived; Pocket's sections say unread or archived. Bookmarks are handed out after
    each batch fed to the parser; the rejects are in line order once all are read.
    """
    parser = _BookmarkParser(pocket=pocket)
    out = Streamed("pocket-html" if pocket else "netscape", invalid=parser.invalid)
    out.bookmarks = _read(parser, text, name)
    return out


def _read(parser: _BookmarkParser, text: str, name: str) -> Iterator[Bookmark]:
    try:
        for _batch in _feed(parser, text):
            yield from parser.ready()
        parser.end()
    except (AssertionError, ValueError, RecursionError) as error:  # old HTMLParser bugs on odd markup
        raise fail(name, f"unreadable HTML ({error})") from None
    yield from parser.ready(final=True)
    if not parser.base and not parser.invalid:
        raise fail(name, "no bookmarks found in this HTML file (no <A HREF> links)")
    parser.invalid.sort(key=lambda item: item.line)


def _feed(parser: _BookmarkParser, text: str) -> Iterator[None]:
    """Feed ``text`` in batches of about :data:`_BATCH` characters, each cut before a ``<``;
    yields after each batch, so its bookmarks can be taken.

    A segment (from one ``<`` to the next) longer than :data:`MAX_SEGMENT` is not fed but
    reported, and a construct the parser keeps waiting for the end of past that size (an
    unclosed comment) ends the reading, so nothing is ever held or copied at more than a few MB.
    """
    size, pos = len(text), 0
    while pos < size:
        limit = pos + _BATCH
        cut = size if limit >= size else text.find("<", limit)
        cut = size if cut < 0 else cut
        last = text.rfind("<", pos, min(limit, size))  # where the batch's last segment starts
        last = pos if last < 0 else last
        if cut - last <= MAX_SEGMENT:
            parser.feed(text[pos:cut])
        else:  # a huge tag, or a tag of normal size and a huge text after it
            close = text.find(">", last, last + MAX_SEGMENT) if text.startswith("<", last) else -1
            skip = close + 1 if close >= 0 else last
            if skip > pos:
                parser.feed(text[pos:skip])
            parser.skipped(text[skip:skip + 20], cut - skip, text.count("\n", skip, cut))
        pos = cut
        if len(parser.rawdata) > MAX_SEGMENT:
            parser.skip_rest(size - pos)
            return
        yield


def looks_like_pocket_html(head: str) -> bool:
    """Pocket's ``ril_export.html``: its title, its section headings or its ``time_added`` attribute."""
    lowered = head.lower()
    if "netscape-bookmark-file" in lowered:
        return False
    return ("pocket export" in lowered or "<h1>unread</h1>" in lowered or "<h1>read archive</h1>" in lowered
            or "time_added=" in lowered)

