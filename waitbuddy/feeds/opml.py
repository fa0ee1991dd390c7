"""OPML 1.0/2.0 import and export, with tags kept.

Import: every ``<outline>`` with an ``xmlUrl`` (attribute names matched case-insensitively, as
exporters differ) is a subscription; the folders (outlines without ``xmlUrl``) around it become
one tag, their path joined with ``/`` as newsboat does (``IT/Programming``); an OPML 2.0
``category`` attribute (comma-separated, ``/``-paths) adds tags. Bad entries are skipped with a
reason (``line 12: "Foo": xmlUrl is not an http(s) URL``); a file that is not OPML at all raises
:class:`OpmlError` with one line.

Export writes OPML 2.0, one flat outline per subscription, tags in ``category`` (so nothing is lost
as with newsboat's OPML 1.0 export), every attribute escaped.

Parser choice — the stdlib's expat, not ``defusedxml``: the refusal is done INSIDE the parser, so
it holds whatever the encoding (a UTF-16 file cannot hide a ``<!DOCTYPE`` from a byte search).
:func:`read_opml` sets expat's ``StartDoctypeDeclHandler``, ``EntityDeclHandler`` and
``ExternalEntityRefHandler`` to raise: a document with any DOCTYPE is refused before a single
entity is declared, so no entity can be defined, expanded or fetched (OPML never needs a DTD;
undeclared entity references are already expat errors). That is exactly the protection
``defusedxml`` adds for this use, without a new dependency. Files over :data:`MAX_BYTES` are
refused before parsing, and outline count and depth are capped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from xml.parsers import expat
from xml.sax.saxutils import quoteattr

from waitbuddy.text import openable_url, safe_line

MAX_BYTES = 10 * 1024 * 1024
MAX_OUTLINES = 20_000
MAX_DEPTH = 32  # deeper folders add nothing to the tag path
TAG_LIMIT = 80
MAX_TAGS = 16
MAX_SKIPPED = 200  # reasons kept; the count is always exact


class OpmlError(ValueError):
    """The file is not OPML we can read. ``str()`` is one line for people."""


@dataclass(frozen=True)
class Subscription:
    """One feed of an OPML file: its URL, a title, the site's URL and tags."""

    url: str
    title: str = ""
    html_url: str | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class OpmlImport:
    title: str
    subscriptions: tuple[Subscription, ...]
    skipped: tuple[str, ...]  # one reason per invalid entry (the first MAX_SKIPPED)
    skipped_count: int = 0


class _Refused(Exception):
    pass


def read_opml(data: bytes) -> OpmlImport:
    """Read an OPML file's bytes. Raises :class:`OpmlError` when it is not usable OPML."""
    if len(data) > MAX_BYTES:
        raise OpmlError(f"OPML file too large ({len(data) / 1048576:.1f} MB; at most {MAX_BYTES // 1048576} MB)")
    if not data.strip():
        raise OpmlError("not an OPML file: it is empty")
    reader = _Reader()
    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = reader.refuse_doctype
    parser.EntityDeclHandler = reader.refuse_entity
    parser.ExternalEntityRefHandler = reader.refuse_entity
    parser.StartElementHandler = lambda name, attrs: reader.start(name, attrs, parser.CurrentLineNumber)
    parser.EndElementHandler = reader.end
    parser.CharacterDataHandler = reader.text
    try:
        parser.Parse(data, True)
    except _Refused as refused:
        raise OpmlError(str(refused)) from None
    except expat.ExpatError as error:
        raise OpmlError(f"not an OPML file: {expat.ErrorString(error.code)} (line {error.lineno})") from None
    if reader.root != "opml":
        raise OpmlError(f"not an OPML file: the root element is <{safe_line(reader.root, limit=40)}>, not <opml>")
    if not reader.outlines:
        raise OpmlError("no feeds in the OPML file (no <outline> elements)")
    return OpmlImport(title=safe_line("".join(reader.title), limit=200), subscriptions=tuple(reader.subscriptions),
                      skipped=tuple(reader.skipped[:MAX_SKIPPED]), skipped_count=len(reader.skipped))


def write_opml(subscriptions: Iterable[Subscription], *, title: str = "waitbuddy feeds",
               created: datetime | None = None) -> bytes:
    """OPML 2.0 bytes (UTF-8) for ``subscriptions``, tags in each outline's ``category``."""
    when = format_datetime((created or datetime.now(UTC)).astimezone(UTC), usegmt=True)
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<opml version="2.0">', "  <head>",
             f"    <title>{_text(title)}</title>", f"    <dateCreated>{when}</dateCreated>", "  </head>", "  <body>"]
    for subscription in subscriptions:
        name = safe_line(subscription.title, limit=300) or subscription.url
        attributes = [("type", "rss"), ("text", name), ("title", name), ("xmlUrl", subscription.url)]
        if subscription.html_url:
            attributes.append(("htmlUrl", subscription.html_url))
        tags = [_clean_tag(tag).replace(",", " ") for tag in subscription.tags]
        if tags := [tag for tag in tags if tag]:
            attributes.append(("category", ",".join("/" + tag for tag in tags)))
        rendered = " ".join(f"{key}={quoteattr(safe_line(value, limit=8192))}" for key, value in attributes)
        lines.append(f"    <outline {rendered}/>")
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines).encode("utf-8")


def _text(value: str) -> str:
    return quoteattr(safe_line(value, limit=300))[1:-1]


def _clean_tag(tag: str) -> str:
    parts = [" ".join(part.split()) for part in safe_line(tag, limit=TAG_LIMIT * 2).split("/")]
    return "/".join(part for part in parts if part)[:TAG_LIMIT]


def category_tags(category: str) -> list[str]:
    """OPML 2.0 ``category``: ``"releases,/tools/windows"`` -> ``["releases", "tools/windows"]``."""
    return [tag for tag in (_clean_tag(part) for part in category.split(",")) if tag]


class _Reader:
    def __init__(self) -> None:
        self.root = ""
        self.title: list[str] = []
        self.subscriptions: list[Subscription] = []
        self.skipped: list[str] = []
        self.outlines = 0
        self._stack: list[str] = []  # element names
        self._folders: list[str | None] = []  # one per open <outline>: its folder name, None for a feed
        self._seen: set[str] = set()

    @staticmethod
    def refuse_doctype(*_args: object) -> None:
        raise _Refused("refused: the OPML file has a DOCTYPE (entity declarations are not accepted)")

    @staticmethod
    def refuse_entity(*_args: object) -> None:
        raise _Refused("refused: the OPML file declares or references external entities")

    def start(self, name: str, attrs: dict[str, str], line: int) -> None:
        if not self._stack:
            self.root = name.lower()
        self._stack.append(name.lower())
        if name.lower() != "outline" or self.root != "opml":
            return
        self.outlines += 1
        if self.outlines > MAX_OUTLINES:
            raise _Refused(f"refused: more than {MAX_OUTLINES} outlines in the OPML file")
        attributes = {key.lower(): value for key, value in attrs.items()}
        label = safe_line(attributes.get("title") or attributes.get("text") or "", limit=200)
        raw_url = attributes.get("xmlurl")
        if raw_url is None:  # a folder, or an entry with no feed
            self._folders.append(label or None)
            if attributes.get("type", "").lower() in ("rss", "atom") and not label:
                self._skip(line, "", "no xmlUrl")
            elif attributes.get("type", "").lower() in ("rss", "atom"):
                self._skip(line, label, "no xmlUrl")
            return
        self._folders.append(None)
        url = openable_url(raw_url)
        if url is None:
            self._skip(line, label, "xmlUrl is not an http(s) URL")
            return
        if url in self._seen:
            self._skip(line, label, "duplicate xmlUrl")
            return
        self._seen.add(url)
        tags = [path] if (path := self._folder_path()) else []
        tags += category_tags(attributes.get("category", ""))
        self.subscriptions.append(Subscription(
            url=url, title=label, html_url=openable_url(attributes.get("htmlurl")),
            tags=tuple(dict.fromkeys(tags))[:MAX_TAGS]))

    def end(self, name: str) -> None:
        if self._stack:
            self._stack.pop()
        if name.lower() == "outline" and self._folders:
            self._folders.pop()

    def text(self, data: str) -> None:
        if self._stack[-2:] == ["head", "title"] and len(self.title) < 100:
            self.title.append(data)

    def _folder_path(self) -> str:
        names = [name for name in self._folders[:MAX_DEPTH] if name]
        return _clean_tag("/".join(name.replace("/", " ") for name in names))

    def _skip(self, line: int, label: str, reason: str) -> None:
        shown = f' "{label}"' if label else ""
        self.skipped.append(f"line {line}:{shown} {reason}")
