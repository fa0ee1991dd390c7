import pytest

from waitbuddy.alerts import escapes


def test_exact_bytes():
    assert escapes.bell() == b"\x07"
    assert escapes.osc9("run-42 failed", "CUDA out of memory") == b"\x1b]9;waitbuddy: run-42 failed: CUDA out of memory\x07"
    assert escapes.osc777("bert finished", "eval_loss 0.213") == b"\x1b]777;notify;bert finished;eval_loss 0.213\x07"
    assert escapes.osc99("t", "b", "run-3") == b"\x1b]99;i=run-3:d=0;t\x1b\\\x1b]99;i=run-3:p=body;b\x1b\\"
    assert escapes.progress(escapes.PROGRESS_NORMAL, 45.4) == b"\x1b]9;4;1;45\x1b\\"
    assert escapes.progress(escapes.PROGRESS_ERROR, 130) == b"\x1b]9;4;2;100\x1b\\"
    assert escapes.progress(escapes.PROGRESS_CLEAR) == b"\x1b]9;4;0\x1b\\"


def test_tmux_wrapping_doubles_every_inner_escape():
    inner = escapes.osc99("a", "b", "x")
    wrapped = escapes.tmux_wrap(inner)
    assert wrapped.startswith(b"\x1bPtmux;\x1b\x1b]99;") and wrapped.endswith(b"\x1b\x1b\\\x1b\\")
    assert wrapped[len(b"\x1bPtmux;"):-2] == inner.replace(b"\x1b", b"\x1b\x1b")


HOSTILE = "done\x07\x1b]52;c;cm0gLXJmIH4=\x07\x1b[2J\x9b31m\u202eevil\nnext line"


@pytest.mark.parametrize("protocol", escapes.PROTOCOLS)
def test_hostile_log_text_cannot_break_out(protocol):
    sequence = escapes.notification(protocol, HOSTILE, HOSTILE, ident=HOSTILE)
    terminator = b"\x07" if protocol != "osc99" else b"\x1b\\"
    # Exactly the escapes the builder wrote: one start (two for osc99), one terminator each.
    starts = sequence.count(b"\x1b]")
    assert starts == (2 if protocol == "osc99" else 1)
    assert sequence.count(terminator) == starts
    assert b"52;" not in sequence and b"\x9b" not in sequence and b"\n" not in sequence
    assert "\u202e".encode() not in sequence


def test_osc777_title_cannot_add_fields_and_osc9_cannot_look_like_conemu():
    assert escapes.osc777("a;b;c", "body") == b"\x1b]777;notify;a,b,c;body\x07"
    assert escapes.osc9("4;100").startswith(b"\x1b]9;waitbuddy: 4;100")


def test_long_text_is_capped():
    assert len(escapes.osc777("t" * 10_000, "b" * 10_000)) < 2 * escapes.MAX_TEXT + 40


@pytest.mark.parametrize(
    ("env", "expected"),
    [({"KITTY_WINDOW_ID": "1"}, "osc99"), ({"TERM_PROGRAM": "iTerm.app"}, "osc9"),
     ({"TERM_PROGRAM": "WezTerm"}, "osc777"), ({"TERM_PROGRAM": "ghostty"}, "osc777"),
     ({"WT_SESSION": "abc"}, "osc777"), ({"TERM": "foot"}, "osc777"), ({"TERM": "xterm-ghostty"}, "osc777"), ({"TERM": "wezterm"}, "osc777"), ({"TERM": "xterm-256color"}, None), ({}, None)],
)
def test_protocol_from_environment(env, expected):
    assert escapes.detect_protocol(env) == expected
