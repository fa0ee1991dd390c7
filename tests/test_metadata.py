"""Page metadata: fetch_page against a real HTTP server on 127.0.0.1, parse_page on fixtures and hostile input."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from tests.test_net import LocalServer, Sent, reply
from waitbuddy.net import HttpError
from waitbuddy.reading import metadata
from waitbuddy.reading.metadata import MetadataError, fetch_page, make_client, page_url, parse_page
from waitbuddy.reading.model import estimate_minutes

PAGES = Path(__file__).parent / "data" / "pages"
MB = 1024 * 1024
HTML = "text/html"


@pytest.fixture
def site():
    local = LocalServer()
    yield local
    local.close()


def serve(site: LocalServer, routes: dict[str, tuple]) -> None:
    """Answer each path with its (status, body[, headers]); anything else is a 404."""
    site.respond = lambda handler: reply(handler, *routes.get(handler.path, (404, b"not here")))


def stream(site: LocalServer, head: bytes, content_type: str, *, declare: bool = False) -> Sent:
    """Serve ``head`` then 20 MB of filler, counting what was sent."""
    sent = Sent()
    filler = b"lorem ipsum " * (64 * 1024 // 12)

    def respond(handler) -> None:
        try:
            handler.send_response(200)
            handler.send_header("Content-Type", content_type)
            if declare:
                handler.send_header("Content-Length", str(len(head) + 20 * 16 * len(filler)))
            handler.end_headers()
            handler.wfile.write(head)
            for _ in range(20 * 16):
                handler.wfile.write(filler)
                sent.append(len(filler))
        finally:
            sent.done.set()
    site.respond = respond
    return sent


def client(**options):
    return make_client(timeout=options.pop("timeout", 1.0), **options)


def page(body: bytes | str, content_type: str | None = HTML, url: str = "https://example.org/post", **options):
    return parse_page(body.encode() if isinstance(body, str) else body, content_type=content_type, url=url, **options)


# -- fetching -----------------------------------------------------------------------------------


def test_normal_page_gives_title_description_words_and_minutes(site):
    serve(site, {"/post": (200, (PAGES / "article.html").read_bytes(), {"Content-Type": "text/html; charset=utf-8"})})
    info = fetch_page(client(), site.url + "/post")
    assert info.title == "Reading While the Loss Goes Down"  # og:title, not "<title> · Field Notes"
    assert info.description == "Small habits for the minutes between epochs & evaluations."
    assert info.kind == "article"
    assert info.words == 95  # the <article>: no nav, header, aside, footer, svg, script, noscript, template
    assert estimate_minutes(words=info.words) == 1
    assert info.final_url == site.url + "/post"
    sent = site.requests[0].headers
    assert sent["Accept"] == "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"
    assert sent["User-Agent"].startswith("waitbuddy/")


def test_slow_page_times_out_with_a_clear_reason(site):
    site.hold()
    started = time.monotonic()
    with pytest.raises(HttpError, match=r"^timed out after 0\.3s$"):
        fetch_page(client(timeout=0.3), site.url + "/slow")
    assert time.monotonic() - started < 2.5  # two attempts and one 0.5 s backoff
    assert len(site.requests) == 2  # retries=1


def test_budget_bounds_a_slow_page(site):
    site.hold()
    started = time.monotonic()
    with pytest.raises(HttpError, match="^timed out"):
        fetch_page(client(timeout=5), site.url + "/slow", budget=0.4)
    assert time.monotonic() - started < 1.5


@pytest.mark.parametrize("declare", [False, True], ids=["streamed", "content-length"])
def test_20_mb_page_is_cut_not_read_whole(site, declare):
    sent = stream(site, b"<html><head><title>Huge &amp; endless</title></head><body><p>", HTML, declare=declare)
    started = time.monotonic()
    info = fetch_page(client(timeout=2), site.url + "/huge")
    assert time.monotonic() - started < 3
    assert info.title == "Huge & endless"
    assert info.words is None  # the words of the first 2 MB would understate the page
    assert sent.total_after_hangup() < 10 * MB  # the client hung up after 2 MB (plus what the sockets buffered)


def test_redirect_loop_is_too_many_redirects(site):
    serve(site, {"/loop": (302, b"", {"Location": "/loop"})})
    with pytest.raises(HttpError, match="^too many redirects$"):
        fetch_page(client(), site.url + "/loop")
    assert len(site.requests) == 6  # the first request and five redirects, no retry


def test_redirect_to_a_file_url_is_refused(site):
    serve(site, {"/sneaky": (301, b"", {"Location": "file:///etc/passwd"})})
    with pytest.raises(HttpError, match=r"^refusing redirect to a non-http\(s\) URL$"):
        fetch_page(client(), site.url + "/sneaky")


def test_404_is_http_404(site):
    serve(site, {})
    with pytest.raises(HttpError, match="^HTTP 404$") as caught:
        fetch_page(client(), site.url + "/gone")
    assert not caught.value.transient


def test_zip_is_not_a_web_page_and_is_not_downloaded(site):
    sent = stream(site, b"PK\x03\x04", "application/zip", declare=True)
    started = time.monotonic()
    with pytest.raises(MetadataError, match=r"^not a web page \(application/zip\)$"):
        fetch_page(client(), site.url + "/weights.zip")
    assert time.monotonic() - started < 1.5
    assert sent.total_after_hangup() < 10 * MB


def test_pdf_is_a_paper_named_by_its_file_without_downloading(site):
    sent = stream(site, b"%PDF-1.7\n", "application/pdf")
    info = fetch_page(client(), site.url + "/files/Waiting%20Well.pdf?download=1")
    assert (info.kind, info.title, info.words, info.final_url) == (
        "paper", "Waiting Well.pdf", None, site.url + "/files/Waiting%20Well.pdf?download=1")
    assert sent.total_after_hangup() < 10 * MB


def test_arxiv_pdf_link_is_fetched_as_its_abstract_page(site, monkeypatch):
    monkeypatch.setattr(metadata, "ARXIV_ABS", site.url + "/abs/")
    serve(site, {"/abs/2203.01250": (200, (PAGES / "arxiv_abs.html").read_bytes(), {"Content-Type": HTML})})
    info = fetch_page(client(), "https://arxiv.org/pdf/2203.01250v2")
    assert [seen.path for seen in site.requests] == ["/abs/2203.01250"]  # never the PDF
    assert (info.kind, info.pages) == ("paper", 23)
    assert info.title == "Waiting Well: Checkpoint Cadence and the Patience of Training Loops"


def test_page_url_rewrites_only_arxiv_pdf_and_html_links():
    assert page_url("https://arxiv.org/pdf/2203.01250v2") == "https://arxiv.org/abs/2203.01250"
    assert page_url("http://arxiv.org/pdf/2203.01250.pdf") == "https://arxiv.org/abs/2203.01250"
    assert page_url("https://arxiv.org/html/2203.01250v1") == "https://arxiv.org/abs/2203.01250"
    assert page_url("https://arxiv.org/pdf/hep-th/9901001v1") == "https://arxiv.org/abs/hep-th/9901001"
    for unchanged in ("https://arxiv.org/abs/2203.01250v2", "https://example.org/pdf/2203.01250",
                      "https://arxiv.org/list/cs.LG/recent"):
        assert page_url(unchanged) == unchanged


def test_make_client_policy():
    made = make_client()
    assert (made.timeout, made.max_bytes, made.retries, made.max_redirects) == (10.0, 2 * MB, 1, 5)
    assert made.default_host_limit.concurrency == 2
    key, limit = made._limit_for("export.arxiv.org")  # every arxiv.org host shares one 3 s clock
    assert (key, limit.concurrency, limit.min_interval) == ("arxiv.org", 1, 3.0)


def test_pages_from_one_client_in_threads(site):
    serve(site, {f"/{n}": (200, f"<title>page {n}</title>".encode(), {"Content-Type": HTML}) for n in range(6)})
    shared, titles = client(), {}

    def fetch(n: int) -> None:
        titles[n] = fetch_page(shared, f"{site.url}/{n}").title
    threads = [threading.Thread(target=fetch, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert titles == {n: f"page {n}" for n in range(6)}
    assert site.most_in_flight <= 2  # the per-host limit


# -- content types ------------------------------------------------------------------------------


def test_plain_text_is_word_counted_and_named_by_its_file():
    info = page("one two three\nfour five", "text/plain; charset=utf-8", url="https://example.org/notes/README.txt")
    assert (info.title, info.words, info.kind) == ("README.txt", 5, None)


def test_octet_stream_at_a_pdf_url_is_a_paper_and_other_types_are_refused():
    assert page(b"", "application/octet-stream", url="https://example.org/a/b.PDF").kind == "paper"
    assert page(b"%PDF-1.4 ...", None, url="https://example.org/download").kind == "paper"
    with pytest.raises(MetadataError, match=r"^not a web page \(image/png\)$"):
        page(b"\x89PNG", "image/png")
    with pytest.raises(MetadataError, match=r"^not a web page \(unknown type\)$"):
        page(b"x", "\x1b]52;c;evil\x07/[bold]")


def test_missing_content_type_is_sniffed():
    assert page("  <!doctype html><title>Sniffed</title>", None).title == "Sniffed"
    assert page("just some words", None).words == 3


# -- charsets -----------------------------------------------------------------------------------


def test_latin1_page_without_a_charset_header():
    assert page("<title>Caf\xe9 cr\xe8me</title>".encode("latin-1"), HTML).title == "Café crème"


@pytest.mark.parametrize("content_type", [HTML, "text/html; charset=iso-8859-1", "text/html; charset=us-ascii"])
def test_windows_1252_smart_quotes(content_type):
    body = b"<title>\x93Attention\x94 isn\x92t all \x96 you need\x85</title>"
    assert page(body, content_type).title == "“Attention” isn’t all – you need…"


def test_meta_charset_in_the_page():
    cyrillic = '<meta charset="windows-1251"><title>Привет</title>'.encode("cp1251")
    assert page(cyrillic, HTML).title == "Привет"
    japanese = ('<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">'
                "<title>学習の待ち時間</title>").encode("shift_jis")
    assert page(japanese, HTML).title == "学習の待ち時間"


def test_header_beats_meta_and_bom_beats_header():
    body = '<meta charset="windows-1251"><title>café</title>'.encode()
    assert page(body, "text/html; charset=utf-8").title == "café"
    assert page(b"\xef\xbb\xbf" + body, "text/html; charset=iso-8859-1").title == "café"
    assert page("\ufeff<title>wide</title>".encode("utf-16-le"), HTML).title == "wide"


@pytest.mark.parametrize("label", ["rot13", "undefined", "unicode_escape", "no-such-charset"])
def test_charset_labels_that_are_not_text_encodings_are_ignored(label):
    assert page("<title>naïve \\u202e</title>".encode(), f"text/html; charset={label}").title == "naïve \\u202e"


def test_utf8_cut_in_the_middle_of_a_character_is_still_utf8():
    body = "<title>é</title><p>ü".encode()[:-1]
    assert page(body, HTML, truncated=True).title == "é"


# -- titles and hostile text --------------------------------------------------------------------


def test_hostile_title_becomes_plain_safe_text():
    title = ("\x1b]52;c;ZWNobyBwd25lZA==\x07Evil \x9b2J[bold]x[/] [@click=app.quit]click[/] "
             "\u202eevil\u202c \x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\ &#x1b;[31mred &#x9b;")
    info = page(f"<title>{title}</title><meta name='description' content='\x1b[2J\u2067wipe'>")
    assert info.title == "Evil [bold]x[/] [@click=app.quit]click[/] evil link [31mred ›"
    assert info.description == "wipe"
    assert not any(ord(char) < 32 or 0x7F <= ord(char) < 0xA0 or char in "\u202a\u202e\u2066\u2067"
                   for char in info.title + info.description)


def test_megabyte_title_and_description_are_capped():
    info = page(f"<title>{'A' * MB}</title><meta property=og:description content='{'b ' * MB}'>")
    assert len(info.title) == 300 and info.title.endswith("…")
    assert len(info.description) == 1000


def test_title_order_and_entities():
    head = ('<title>Doc &mdash; Site</title><meta name="twitter:title" content="Tw">'
            '<meta property="og:title" content="  Og   &amp;\n title ">')
    assert page(head).title == "Og & title"  # entities unescaped, whitespace collapsed
    assert page(head + '<meta name="citation_title" content="Cited">').title == "Cited"
    assert page('<title>Doc &mdash; Site</title><meta name="twitter:title" content="Tw">').title == "Tw"
    assert page("<svg><title>icon</title></svg><title>Real</title>").title == "Real"
    assert page("<title>[2203.01250] Clean</title>", url="https://arxiv.org/abs/2203.01250").title == "Clean"


def test_description_order():
    assert page('<meta name="description" content="Plain">').description == "Plain"
    both = '<meta name="description" content="Abstract page for arXiv paper"><meta name="citation_abstract" content="Abs">'
    assert page(both).description == "Abs"
    assert page(both + '<meta property="og:description" content="Og">').description == "Og"


# -- papers, videos, words ----------------------------------------------------------------------


def test_arxiv_abstract_page():
    info = page((PAGES / "arxiv_abs.html").read_bytes(), url="https://arxiv.org/abs/2203.01250")
    assert info.title == "Waiting Well: Checkpoint Cadence and the Patience of Training Loops"
    assert info.description.startswith("We study how often long training runs should write checkpoints")
    assert (info.kind, info.pages, info.words) == ("paper", 23, None)  # the abstract's words are not the paper
    assert estimate_minutes(words=info.words, pages=info.pages) == 23 * 6


def test_citation_metas_make_a_paper_and_og_type_an_article():
    assert page('<meta name="citation_author" content="Doe"><meta property="og:type" content="article">').kind == "paper"
    assert page('<meta property="og:type" content="article">').kind == "article"
    assert page('<meta property="og:type" content="website">').kind is None


def test_youtube_page_with_itemprop_duration():
    info = page((PAGES / "youtube_watch.html").read_bytes(), url="https://www.youtube.com/watch?v=Tr41nL00psX")
    assert (info.kind, info.duration_seconds, info.words) == ("video", 62 * 60 + 3, None)
    assert info.title == "Training Loops, Explained (full lecture)"
    assert estimate_minutes(words=info.words, duration_seconds=info.duration_seconds) == 63


def test_json_ld_video_object():
    info = page((PAGES / "talk_jsonld.html").read_bytes(), url="https://talks.example/patience")
    assert (info.kind, info.duration_seconds, info.title) == ("video", 47 * 60 + 30, "Patience at Scale | ConfTalks")


@pytest.mark.parametrize("kind", ['"schema:VideoObject"', '["https://schema.org/VideoObject"]'])
def test_json_ld_type_spellings(kind):
    block = f'<script type="application/ld+json">[{{"@type": {kind}, "duration": "PT5M"}}]</script>'
    assert (page(block).kind, page(block).duration_seconds) == ("video", 300)


def test_broken_json_ld_is_ignored():
    assert page('<script type="application/ld+json">{"@type": "VideoObject",</script><title>ok</title>').kind is None


def test_a_clip_inside_an_article_does_not_replace_its_reading_time():
    nested = ('<script type="application/ld+json">{"@type": "NewsArticle", "video": {"@type": "VideoObject",'
              ' "duration": "PT2M"}}</script><meta property="og:type" content="article"><p>' + "word " * 500)
    info = page(nested)
    assert (info.kind, info.duration_seconds, info.words) == ("article", None, 500)


@pytest.mark.parametrize(("meta", "seconds"), [
    ('<meta property="og:video:duration" content="3723">', 3723),
    ('<meta property="video:duration" content="90.4">', 90),
    ('<meta itemprop="duration" content="PT1H2M3S">', 3723),
    ('<meta itemprop="duration" content="P1DT1S">', 86401),
    ('<meta itemprop="duration" content="PT">', None),
    ('<meta itemprop="duration" content="soon">', None),
    ('<meta itemprop="duration" content="99999999">', None),
])
def test_video_durations(meta, seconds):
    assert page('<meta property="og:type" content="video.other">' + meta).duration_seconds == seconds


def test_words_prefer_the_article_and_skip_page_chrome():
    body = ("<nav>Home About Contact</nav><header>Site</header><article>" + "word " * 460
            + "<script>var a = 1</script><style>p {}</style></article><footer>Legal words here</footer>")
    assert page(body).words == 460
    assert estimate_minutes(words=page(body).words) == 2
    assert page("<main>" + "word " * 10 + "</main><div>" + "other " * 50 + "</div>").words == 10
    assert page("<body><p>" + "word " * 7 + "</p><aside>x y z</aside></body>").words == 7


def test_cjk_characters_count_per_two():
    assert page("<p>" + "漢字" * 250 + "</p>").words == 250
    assert page("<p>ひらがな and English</p>").words == 2 + 2


def test_truncated_or_oversized_pages_have_unknown_words():
    assert page("<title>t</title><p>some words</p>", truncated=True).words is None
    big = page(b"<title>Big</title><p>" + b"word " * (metadata.MAX_PAGE_BYTES // 5 + 10))
    assert (big.title, big.words) == ("Big", None)


@pytest.mark.parametrize("hostile", [
    "<a " * 700_000, '<a x=">' * 300_000, '<meta content="' + "x" * 2 * MB, "<!--" + "<a " * 700_000,
    "<" * 2 * MB, "&#" * MB, "<script>" + "</scrip" * 300_000, "<p>" * 300_000, "<meta" + " " * 2 * MB + ">",
    '<script type="application/ld+json">' + "[" * 200_000 + "</script>", "<b>x</b>" * 130_000,
], ids=["tags", "quotes", "attr", "comment", "lt", "charref", "script", "p", "spaces", "json", "soup"])
def test_hostile_markup_parses_in_linear_time(hostile):
    started = time.monotonic()
    page(hostile)
    assert time.monotonic() - started < 1.5
