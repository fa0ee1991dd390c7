import pytest

from waitbuddy.text import ELLIPSIS, openable_url, safe_line, safe_text

ESC = "\x1b"


@pytest.mark.parametrize(
    "hostile",
    ["[/]", "[@click=app.quit]", "[link=file:///etc/passwd]click[/link]", "[bold red]x[/]", "$accent"],
)
def test_markup_is_left_as_plain_text(hostile):
    # text.py does not escape markup: widgets show it as plain Text, so it must arrive verbatim.
    assert safe_text(hostile) == hostile


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (f"{ESC}]52;c;cm0gLXJmIH4={ESC}\\title", "title"),  # OSC 52 clipboard write, ST-terminated
        (f"{ESC}]52;c;cm0gLXJmIH4=\x07title", "title"),  # BEL-terminated
        (f"{ESC}]8;;https://evil.example/{ESC}\\click me{ESC}]8;;{ESC}\\", "click me"),  # OSC 8 hyperlink
        (f"{ESC}[31mred{ESC}[0m", "red"),  # SGR colour
        (f"{ESC}[2J{ESC}[Hcleared", "cleared"),  # erase screen, cursor home
        (f"{ESC}[?1049hswap", "swap"),  # alternate screen
        ("\x9b31mred\x9b0m", "red"),  # 8-bit CSI (U+009B)
        ("\x9d0;title\x9cafter", "after"),  # 8-bit OSC with 8-bit ST
        (f"{ESC}P+q544e{ESC}\\dcs", "dcs"),  # DCS query
        (f"{ESC}]0;set title", ""),  # unterminated OSC swallows the rest, as a terminal would
        (f"a{ESC}cb", "ab"),  # ESC c: full reset
        (f"a{ESC}(Bb", "ab"),  # charset designation
        (f"tail{ESC}", "tail"),  # lone ESC at the end
    ],
)
def test_escape_sequences_are_removed_whole(raw, expected):
    assert safe_text(raw) == expected


def test_controls_removed_but_tab_and_newline_kept():
    raw = "a\x00b\x07c\x08d\re\tf\ng\x7fh\x85i\x91j"
    assert safe_text(raw) == "abcde\tf\nghij"


def test_bidi_overrides_removed():
    # "Trojan Source": RLO makes "exe.txt" display reversed.
    assert safe_text("report\u202etxt.exe") == "reporttxt.exe"
    assert safe_text("\u2066\u2067\u2068a\u2069\u202a\u202b\u202c\u202d") == "a"


def test_lone_surrogates_removed():
    assert safe_text("ok\ud800\udfffok") == "okok"


def test_bytes_are_decoded_with_replacement():
    assert safe_text(b"caf\xc3\xa9 \xff") == "café \ufffd"


def test_length_is_capped_with_an_ellipsis():
    out = safe_text("x" * 10_000, limit=100)
    assert len(out) == 100 and out.endswith(ELLIPSIS)
    assert safe_text("short", limit=100) == "short"


def test_huge_hostile_input_is_fast_and_bounded():
    raw = (f"{ESC}[" + "1;" * 500_000) + "\r" * 100_000
    out = safe_text(raw, limit=50)
    assert len(out) <= 50


def test_safe_line_folds_whitespace():
    assert safe_line("  a\n\tb   c \r\n") == "a b c"
    assert safe_line(None) == ""


@pytest.mark.parametrize(
    "url",
    ["https://arxiv.org/abs/2401.00001", "http://example.com", "HTTPS://Example.COM/path?q=1#frag",
     "  https://example.com/trailing-space  "],
)
def test_openable_urls(url):
    assert openable_url(url) == url.strip()


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)", "JAVASCRIPT:alert(1)", "file:///etc/passwd", "data:text/html,<script>",
        "ftp://example.com/", "https:///no-host", "http://", "https:example.com", "//example.com/x",
        "-https://example.com", "--help", "https://exa mple.com", "https://example.com/\x1b]52;c;x\x07",
        "https://example.com/\x9b", "https://example.com/\u202e", "https://example.com/\nx",
        "https://[::1", "https:\\\\evil.example", "", None, 42, "https://" + "a" * 9000 + ".com",
    ],
)
def test_unsafe_urls_are_refused(url):
    assert openable_url(url) is None


def test_zero_width_spaces_go_but_joiners_stay():
    from waitbuddy.text import safe_line

    assert safe_line("pay\u200bpal\u2060.com\ufeff") == "paypal.com"
    assert safe_line("👩\u200d💻 and \u200c") == "👩\u200d💻 and \u200c"
