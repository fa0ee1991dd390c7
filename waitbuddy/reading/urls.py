"""URL rules of the backlog: which URLs we take, their dedupe key, and the kind a URL implies.

``clean_url`` is what we store and open: an http(s) URL with tracking parameters removed.
``url_key`` is what makes two URLs "the same item": scheme and host case, default ports, a
trailing slash, the order of query parameters, tracking parameters, most fragments and even
http versus https do not count. arXiv abstract/PDF links and YouTube links key on the paper or
video id, so ``arxiv.org/pdf/2203.01250v2`` and ``arxiv.org/abs/2203.01250`` are one item.
"""

from __future__ import annotations

import re
from urllib.parse import SplitResult, parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

from waitbuddy.text import openable_url

_TRACKING = frozenset({
    "fbclid", "gclid", "gclsrc", "dclid", "msclkid", "yclid", "twclid", "igshid", "mc_cid", "mc_eid",
    "_hsenc", "_hsmi", "mkt_tok", "ref_src", "ref_url", "wt.mc_id", "oly_enc_id", "oly_anon_id", "vero_id",
    "_ga", "_gl", "spm",
})
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_ARXIV_HOSTS = frozenset({"arxiv.org", "www.arxiv.org", "export.arxiv.org"})
_ARXIV_ID = re.compile(r"^/(?:abs|pdf|html)/([a-z-]+(?:\.[A-Z]{2})?/\d{7}|\d{4}\.\d{4,5})(?:v\d+)?(?:\.pdf)?/?$")
_YOUTUBE_HOSTS = frozenset({"youtube.com", "www.youtube.com", "m.youtube.com", "music.youtube.com"})
_VIDEO_HOSTS = frozenset(("youtube.com", "youtu.be", "vimeo.com", "twitch.tv", "loom.com", "dailymotion.com"))
_PAPER_HOSTS = frozenset(("arxiv.org", "openreview.net", "aclanthology.org", "proceedings.mlr.press", "papers.nips.cc",
                "proceedings.neurips.cc", "dl.acm.org", "ieeexplore.ieee.org", "semanticscholar.org",
                "biorxiv.org", "medrxiv.org", "paperswithcode.com", "jmlr.org", "openaccess.thecvf.com"))
_REPO_HOSTS = frozenset(("github.com", "gitlab.com", "codeberg.org", "bitbucket.org", "sr.ht"))
_DOCS_HOSTS = frozenset(("readthedocs.io", "readthedocs.org"))
_REPO_NOT_OWNERS = frozenset({"about", "blog", "collections", "explore", "features", "marketplace", "orgs",
                              "pricing", "settings", "sponsors", "topics", "trending", "users", "site", "apps"})


def clean_url(url: str | None) -> str | None:
    """The URL to store and open, or ``None`` if it is not an http(s) URL with a host.

    Lower-cases scheme and host, drops a default port and tracking parameters; keeps everything
    else as given (path case, the other parameters and their order, the fragment).
    """
    cleaned = _clean_parts(url)
    return None if cleaned is None else urlunsplit(cleaned[0])


def analyze(url: str | None) -> tuple[str, str, str] | None:
    """``(clean_url, url_key, kind)`` in one pass (imports do this 10,000 times), or ``None``."""
    cleaned = _clean_parts(url)
    if cleaned is None:
        return None
    parts, host = cleaned
    return urlunsplit(parts), _key(parts, host), _kind(parts, host)


def _clean_parts(url: str | None) -> tuple[SplitResult, str] | None:
    """The cleaned parts and the lower-case host name."""
    checked = openable_url(url)
    if checked is None:
        return None
    try:
        parts = urlsplit(checked)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    name = (parts.hostname or "").rstrip(".")
    if not name:
        return None
    host = f"[{name}]" if ":" in name else name  # an IPv6 literal keeps its brackets
    netloc = host
    if parts.username is not None:
        userinfo = parts.username + (f":{parts.password}" if parts.password is not None else "")
        netloc = f"{userinfo}@{host}"
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc += f":{port}"
    return SplitResult(scheme, netloc, parts.path or "/", _strip_tracking(parts.query), parts.fragment), name


def url_key(url: str) -> str:
    """The dedupe key of a URL already passed through :func:`clean_url`."""
    parts = urlsplit(url)
    return _key(parts, (parts.hostname or "").lower())


def _key(parts: SplitResult, host: str) -> str:
    if host in _ARXIV_HOSTS and (match := _ARXIV_ID.match(parts.path)):
        return f"arxiv:{match.group(1)}"
    if video := _youtube_id(host, parts.path, parts.query):
        return f"youtube:{video}"
    netloc = parts.netloc.lower().rsplit("@", 1)[-1]
    path = quote(unquote(parts.path), safe="/:@!$&'()*+,;=~%-._") if "%" in parts.path else parts.path
    path = path or "/"
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True))) if parts.query else ""
    # A fragment is usually a place in the page; "#/route" and "#!route" are pages of an app.
    fragment = parts.fragment if parts.fragment.startswith(("/", "!")) else ""
    return urlunsplit(("", netloc, path, query, fragment))


def kind_from_url(url: str) -> str:
    """The kind of item a URL suggests: paper, video, repo, docs or (by default) article."""
    parts = urlsplit(url)
    return _kind(parts, (parts.hostname or "").lower())


def _kind(parts: SplitResult, host: str) -> str:
    path = parts.path.lower()
    segments = [segment for segment in parts.path.split("/") if segment]
    if _on(host, _VIDEO_HOSTS):
        return "video"
    if _on(host, _PAPER_HOSTS) or path.endswith(".pdf"):
        return "paper"
    if (_on(host, _REPO_HOSTS) and len(segments) >= 2 and segments[0].lower() not in _REPO_NOT_OWNERS
            and (len(segments) == 2 or segments[2] in ("tree", "blob", "-"))):
        return "repo"
    if host.startswith(("docs.", "doc.", "developer.", "devdocs.")) or _on(host, _DOCS_HOSTS):
        return "docs"
    if "/docs/" in path + "/" or path.startswith(("/doc/", "/documentation/", "/api/", "/reference/")):
        return "docs"
    if host == "huggingface.co" and segments[:1] == ["docs"]:
        return "docs"
    return "article"


def arxiv_id(url: str) -> str | None:
    """The arXiv id an abstract/PDF/HTML link points at (without version), else ``None``."""
    parts = urlsplit(url)
    if (parts.hostname or "").lower() in _ARXIV_HOSTS and (match := _ARXIV_ID.match(parts.path)):
        return match.group(1)
    return None


def _on(host: str, domains: frozenset[str]) -> bool:
    """``host`` is one of ``domains`` or a subdomain of one."""
    if host in domains:
        return True
    dot = host.find(".")
    while dot != -1:
        if host[dot + 1:] in domains:
            return True
        dot = host.find(".", dot + 1)
    return False


def _strip_tracking(query: str) -> str:
    if not query:
        return ""
    pairs = query.split("&")
    kept = [pair for pair in pairs if not _is_tracking(unquote(pair.split("=", 1)[0]).lower())]
    return "&".join(kept) if len(kept) != len(pairs) else query


def _is_tracking(name: str) -> bool:
    return name in _TRACKING or name.startswith(_TRACKING_PREFIXES)


def _youtube_id(host: str, path: str, query: str) -> str | None:
    if host == "youtu.be":
        video = path.strip("/").split("/")[0]
    elif host in _YOUTUBE_HOSTS:
        if path.rstrip("/") == "/watch":
            video = dict(parse_qsl(query)).get("v", "")
        elif path.startswith(("/shorts/", "/embed/", "/live/")):
            video = path.split("/")[2]
        else:
            return None
    else:
        return None
    return video if re.fullmatch(r"[\w-]{6,20}", video) else None
