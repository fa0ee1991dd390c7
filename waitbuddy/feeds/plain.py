"""HTML from feeds reduced to plain text, with the stdlib ``html.parser``.

Summaries are shown as text, never rendered, so nothing here sanitizes HTML: it keeps the words.
Block elements (paragraphs, list items, headings, ``<br>``) become line breaks, entities are
decoded, ``script``/``style``/``svg`` and the like are dropped, and math is left as written: a
MathML ``<math>`` becomes its ``alttext`` or TeX annotation when it has one, LaTeX in text stays.

A text only counts as HTML when it holds a real tag (:func:`looks_like_html`): an arXiv abstract
saying ``$a<b$`` is plain text and keeps its ``<``. HTMLParser is quadratic on hostile markup
(CVE-2025-6069 on Python 3.11), so at most :data:`MAX_HTML` characters are parsed.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

MAX_HTML = 100_000

_BLOCK = frozenset({
    "p", "div", "br", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
    "pre", "table", "tr", "section", "article", "header", "footer", "aside", "nav", "figure", "figcaption",
    "hr", "address", "details", "summary", "main", "form", "fieldset",
})
_PARAGRAPHS = frozenset({"p", "div", "blockquote", "pre", "table", "ul", "ol", "dl", "h1", "h2", "h3", "h4",
                         "h5", "h6", "section", "article", "figure"})
_SKIPPED = frozenset({"script", "style", "head", "title", "noscript", "template", "svg", "iframe", "object",
                      "canvas", "select", "button", "textarea"})
_VOID = frozenset({"br", "hr", "img", "input", "meta", "link", "area", "base", "col", "embed", "source",
                   "track", "wbr", "param"})
_TAG = re.compile(
    r"<(?:!--|/?(?:p|br|div|a|b|i|em|strong|span|ul|ol|li|h[1-6]|img|pre|code|blockquote|table|tbody|thead|"
    r"tr|td|th|hr|math|script|style|sup|sub|section|article|figure|figcaption|dl|dt|dd|iframe|video|small|"
    r"u|s|del|ins|font|center|cite|q|abbr|mark|svg|tt|kbd|var|samp|big|strike|details|summary)"
    r"(?:\s+[a-zA-Z_:][-\w:.]*(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'<>]+))?)*\s*/?>)",
    re.IGNORECASE,
)
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n\s*\n\s*(?:\n\s*)+")


def looks_like_html(text: str) -> bool:
    """True when ``text`` holds a real HTML tag, comment or a character reference."""
    return bool(_TAG.search(text)) or ("&" in text and html.unescape(text) != text)


def to_text(text: str | None, *, html_type: bool = True) -> str:
    """Plain text of a feed field. ``html_type``: the feed says the field is HTML (RSS descriptions,
    Atom ``type="html"``); it is still read as plain text unless it looks like HTML."""
    if not text:
        return ""
    if not html_type or not looks_like_html(text):
        return _tidy(text)
    parser = _TextParser()
    try:
        parser.feed(text[:MAX_HTML])
        parser.close()
    except (AssertionError, ValueError, RecursionError):  # old HTMLParser bugs on odd markup
        return _tidy(re.sub(r"<[^>]*>", " ", html.unescape(text[:MAX_HTML])))
    return _tidy("".join(parser.parts))


def _tidy(text: str) -> str:
    lines = [_SPACES.sub(" ", line).strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0  # depth inside dropped elements
        self._math: list[str] | None = None  # text of the <math> being read
        self._math_tex: str | None = None
        self._in_tex = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            if tag not in _VOID:
                self._skip += 1
            return
        if self._skip:
            return
        if tag == "math":
            alt = dict(attrs).get("alttext")
            self._math, self._math_tex = [], alt.strip() if alt else None
            return
        if self._math is not None and tag == "annotation":
            encoding = (dict(attrs).get("encoding") or "").lower()
            self._in_tex = "tex" in encoding and self._math_tex is None
            self._math_tex = "" if self._in_tex else self._math_tex
            return
        if tag in _BLOCK:
            self.parts.append("\n\n" if tag in _PARAGRAPHS else "\n")
        if tag == "li":
            self.parts.append("- ")
        elif tag in ("td", "th"):
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "hr") and not self._skip:
            self.parts.append("\n")
        elif tag == "math":
            alt = dict(attrs).get("alttext")
            if alt and not self._skip:
                self.parts.append(alt)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self._skip = max(0, self._skip - 1)
            return
        if self._skip:
            return
        if tag == "math" and self._math is not None:
            self.parts.append(self._math_tex or " ".join("".join(self._math).split()))
            self._math, self._math_tex, self._in_tex = None, None, False
            return
        if tag == "annotation":
            self._in_tex = False
            return
        if tag in _PARAGRAPHS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._math is not None:
            if self._in_tex:
                self._math_tex = (self._math_tex or "") + data
            elif self._math_tex is None or not self._in_tex:
                self._math.append(data)
            return
        self.parts.append(data)
