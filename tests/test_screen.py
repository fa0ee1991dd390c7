"""The terminal view: progress-bar rewrites collapse to what a terminal would finally show."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from waitbuddy.runs.screen import TerminalView

LOGS = Path(__file__).parent / "data" / "logs"

TQDM = (
    "\rEpoch 1:   0%|          | 0/20 [00:00<?, ?it/s]"
    "\rEpoch 1:   0%|          | 0/20 [00:00<?, ?it/s, acc=0.5, loss=1]"
    "\rEpoch 1:   5%|▌         | 1/20 [00:00<00:01, 16.44it/s, acc=0.525, loss=0.5]"
    "\rEpoch 1: 100%|██████████| 20/20 [00:00<00:00, 32.51it/s, acc=0.975, loss=0.05]\n"
)
TQDM_LAST = "Epoch 1: 100%|██████████| 20/20 [00:00<00:00, 32.51it/s, acc=0.975, loss=0.05]"


def keras_frame(step: int, metrics: str) -> str:
    """A Keras 3 ``verbose=1`` frame as written to a redirected file (see log-formats.md §2)."""
    done = step * 20 // 20
    bar = f"\x1b[32m{'━' * done}\x1b[0m\x1b[37m{'━' * (20 - done)}\x1b[0m"
    return f"\r\x1b[1m{step:>2}/20\x1b[0m {bar} \x1b[1m0s\x1b[0m 13ms/step - {metrics}"


KERAS = (
    "Epoch 1/3\n"
    + keras_frame(1, "accuracy: 0.5000 - loss: 0.9000")
    + "\b" * 73
    + keras_frame(5, "accuracy: 0.5100 - loss: 0.8900")
    + "\b" * 73
    + keras_frame(20, "accuracy: 0.5200 - loss: 0.8800 - val_accuracy: 0.5000 - val_loss: 0.9000")
    + "\nEpoch 2/3\n"
)
KERAS_LAST = (
    "20/20 ━━━━━━━━━━━━━━━━━━━━ 0s 13ms/step - accuracy: 0.5200 - loss: 0.8800 - val_accuracy: 0.5000 - val_loss: 0.9000"
)

# Lightning's train bar with a nested validation bar (log-formats.md §4, rendered with real tqdm).
LIGHTNING = (
    "\rEpoch 0: 100%|██████████| 8/8 [00:00<00:00, 24.11it/s, v_num=0, train_loss=0.0625]"
    "\n\rValidation:   0%|          | 0/3 [00:00<?, ?it/s]\x1b[A"
    "\n\rValidation DataLoader 0:  33%|███▎      | 1/3 [00:00<00:00, 32.93it/s]\x1b[A"
    "\n\r                                                                      \x1b[A"
    "\rEpoch 0: 100%|██████████| 8/8 [00:00<00:00, 18.90it/s, v_num=0, train_loss=0.031, val_loss=0.0412]"
    "\rEpoch 0:   0%|          | 0/8 [00:00<?, ?it/s, v_num=0, train_loss=0.031, val_loss=0.0412]        "
    "\rEpoch 1: 100%|██████████| 8/8 [00:00<00:00, 19.01it/s, v_num=0, train_loss=0.031, val_loss=0.0412]"
    "\n`Trainer.fit` stopped: `max_epochs=2` reached.\n"
)

KILLED = (
    "starting job\n"
    "\rtrain:   8%|▊         | 80/1000 [00:00<00:09, 96.10it/s]"
    "\rtrain:   9%|▉         | 90/1000 [00:00<00:09, 97.95it/s]"
    "runner.sh: line 2: 17706 Killed                  python3 -u loop.py\n"
)


def run(text: str, view: TerminalView | None = None) -> list[str]:
    """Every line the view settles for ``text``, including at end of input."""
    view = view or TerminalView()
    return view.feed(text) + view.flush()


def test_carriage_return_frames_collapse_to_the_last_frame():
    assert run(TQDM) == [TQDM_LAST]


def test_tqdm_padding_after_a_shorter_frame_is_stripped():
    longer = "Epoch 1:  10%| acc=0.6, loss=0.25]"
    shorter = "Epoch 1:  20%| acc=0.7]"
    padded = shorter + " " * (len(longer) - len(shorter))  # what tqdm writes
    view = TerminalView()
    view.feed("\r" + longer + "\r" + padded)
    assert view.live() == [shorter]
    assert view.feed("\n") == []
    assert view.flush() == [shorter]


def test_shorter_frame_without_padding_leaves_the_tail_of_the_longer_one():
    # What a terminal shows, too: the view must not invent a clear.
    assert run("\rabcdef\rxy\n") == ["xycdef"]
    assert run("\rabcdefgh\rabc\rxy\n") == ["xycdefgh"]
    assert run("old row\rabc\b\b\rX\n") == ["Xbc row"]


def test_keras_backspaces_and_carriage_return_with_colour_codes_give_the_final_frame():
    lines = run(KERAS)
    assert lines == ["Epoch 1/3", KERAS_LAST, "Epoch 2/3"]


def test_keras_live_line_while_training():
    view = TerminalView()
    assert view.feed(KERAS.removesuffix("\nEpoch 2/3\n")) == []
    assert view.live() == ["Epoch 1/3", KERAS_LAST]


def test_nested_bars_keep_the_outer_row_live_and_editable():
    view = TerminalView()
    settled = view.feed(LIGHTNING.split("\rEpoch 0: 100%|██████████| 8/8 [00:00<00:00, 18.90")[0])
    assert settled == []
    # The cursor went down for the validation bar and came back up: the outer bar is current.
    assert view.live() == ["Epoch 0: 100%|██████████| 8/8 [00:00<00:00, 24.11it/s, v_num=0, train_loss=0.0625]"]
    assert run(LIGHTNING) == [
        "Epoch 1: 100%|██████████| 8/8 [00:00<00:00, 19.01it/s, v_num=0, train_loss=0.031, val_loss=0.0412]",
        "`Trainer.fit` stopped: `max_epochs=2` reached.",
    ]


def test_text_written_over_the_outer_bar_after_a_nested_bar_closes():
    # tqdm.write() from inside nested bars (observed bytes, tqdm 4.70.1): the inner bar is
    # blanked, the cursor goes back up, the outer bar is cleared and the message takes its row.
    text = (
        "\repochs:   0%|          | 0/3 [00:00<?, ?it/s]"
        "\n\repoch 0 batches:   0%|          | 0/15 [00:00<?, ?it/s]\x1b[A"
        "\n\repoch 0 batches: 100%|██████████| 15/15 [00:00<00:00, 47.23it/s]\x1b[A"
        "\n\r" + " " * 64 + "\x1b[A\r" + " " * 45 + "\repoch 0 done, val_loss=1.0000\n"
        "\repochs:   0%|          | 0/3 [00:00<?, ?it/s]\repochs:  33%|███▎      | 1/3 [00:00<00:00,  3.15it/s]"
    )
    view = TerminalView()
    assert view.feed(text) == []
    assert view.live() == ["epoch 0 done, val_loss=1.0000", "epochs:  33%|███▎      | 1/3 [00:00<00:00,  3.15it/s]"]
    assert view.feed("\n") == ["epoch 0 done, val_loss=1.0000"]


def test_nested_bar_row_below_the_cursor_is_flushed_at_end():
    view = TerminalView()
    view.feed("outer 10%\n\rinner 50%\x1b[A\router 20%")
    assert view.live() == ["outer 20%"]
    assert view.flush() == ["outer 20%", "inner 50%"]


def test_cursor_up_brings_back_the_rows_it_redraws():
    view = TerminalView(live_rows=2)
    assert view.feed("one\ntwo\nthree\x1b[9A\rx") == ["one"]
    # "one" was handed out before the move up showed it could change: it is back, and handed
    # out again because it changed; "two" never left, and nothing goes above what was written.
    assert view.flush() == ["xne", "two", "three"]


def test_the_outer_bar_written_before_the_first_move_up_stays_live():
    """Nested tqdm in a file: the outer bar, then \\n, the inner bar and ESC[A. Until that move up
    a plain log's line settles at its end, so the outer bar had been handed out already."""
    view = TerminalView(until_cursor_up=1)
    assert view.feed("\repochs:   0%| 0/3\n\rbatches:   0%| 0/15\x1b[A") == ["epochs:   0%| 0/3"]
    assert view.feed("\n\rbatches:  33%| 5/15\x1b[A\repochs:  33%| 1/3") == []
    assert view.held() == (["epochs:  33%| 1/3", "batches:  33%| 5/15"], 0)
    # Moving down to redraw the inner bar does not hand out the outer one twice.
    assert view.feed("\n\rbatches:  67%| 10/15\x1b[A") == []
    assert view.flush() == ["epochs:  33%| 1/3", "batches:  67%| 10/15"]


def test_a_row_brought_back_unchanged_is_not_handed_out_twice():
    view = TerminalView(until_cursor_up=1)
    assert view.feed("header\nbar 1\x1b[A\n") == ["header"]
    assert view.feed("\n\nnext\n") == ["bar 1", ""]
    assert view.flush() == ["next"]
    view = TerminalView(live_rows=2)
    view.feed("one\ntwo\x1b[A!")  # up keeps the column
    assert view.flush() == ["one!", "two"]


def test_cursor_down_stops_at_the_lowest_row():
    view = TerminalView()
    view.feed("a\nb\x1b[A\x1b[5B\rc")
    assert view.flush() == ["a", "c"]


def test_cursor_right_and_left():
    # abc; right 3 -> col 6; x; left 2 -> col 5; y; left 1 -> col 5; z overwrites y.
    assert run("abc\x1b[3Cx\x1b[2Dy\x1b[Dz\n") == ["abc  zx"]
    assert run("ab\x1b[99Dc\x1b[0Cd\n") == ["cbd"]  # left stops at column 0; a count of 0 means 1


def test_erase_in_line():
    assert run("hello world\x1b[6D\x1b[K!\n") == ["hello!"]
    assert run("hello world\x1b[6D\x1b[1K!\n") == ["     !world"]  # erases columns 0-5
    assert run("hello world\x1b[2K\rbye\n") == ["bye"]
    # Ultralytics draws every frame as \r ESC[K <frame>.
    assert run("\r\x1b[K  1/10  long frame text\r\x1b[K  2/10  short\n") == ["  2/10  short"]


def test_erase_in_display_clears_live_rows_only():
    view = TerminalView()
    view.feed("kept\nabove\nbelow\x1b[A")
    assert view.feed("\x1b[2J") == []
    assert view.flush() == []
    view = TerminalView()
    assert view.feed("kept\nabove\ncursor\x1b[3D\x1b[J") == ["kept"]
    assert view.flush() == ["above", "cur"]


def test_pty_capture_with_crlf_and_cursor_visibility():
    text = (
        "Script started on 2026-11-22 13:41:12+00:00\n"
        "\x1b[?25l\r  0%|          | 0/3 [00:00<?, ?it/s]\r100%|██████████| 3/3 [00:00<00:00, 9.9it/s]\r\n"
        "\x1b[?25hdone\r\n"
    )
    assert run(text) == [
        "Script started on 2026-11-22 13:41:12+00:00",
        "100%|██████████| 3/3 [00:00<00:00, 9.9it/s]",
        "done",
    ]


def test_failure_marker_mid_line_after_a_frame_ends_up_in_one_line():
    lines = run(KILLED)
    assert lines == [
        "starting job",
        "train:   9%|▉         | 90/1000 [00:00<00:09, 97.95it/s]runner.sh: line 2: 17706 Killed"
        "                  python3 -u loop.py",
    ]


def test_lines_settle_once_the_cursor_is_out_of_reach():
    view = TerminalView(live_rows=2)
    assert view.feed("first\n") == []
    assert view.live() == ["first"]
    assert view.feed("second\n") == ["first"]
    assert view.feed("third") == []
    assert view.live() == ["second", "third"]
    view = TerminalView(live_rows=1)
    assert view.feed("first\nsec") == ["first"]
    assert view.live() == ["sec"]


def test_tabs_are_kept_and_other_controls_dropped():
    assert run("[0]\ttrain-rmse:0.5\tvalid-rmse:0.6\x07\x00\x0b\x7f\n") == ["[0]\ttrain-rmse:0.5\tvalid-rmse:0.6"]


def test_other_escapes_are_ignored():
    text = (
        "\x1b]0;window title\x07a"
        "\x1b]8;;https://example.com\x1b\\b\x1b]8;;\x1b\\"
        "\x1bPq#0;2;0;0;0\x1b\\c"
        "\x1b_apc\x1b\\\x1b^pm\x1b\\\x1bXsos\x1b\\"
        "\x1b(B\x1b7\x1b8\x1bcd"
        "\x9b31me\x9b0m"
        "\x1b[1;31m\x1b[38;2;1;2;3mf\x1b[0m\x1b[2;5H\x1b[?1049hg\n"
    )
    assert run(text) == ["abcdefg"]


def test_malformed_and_overlong_sequences_do_not_swallow_text():
    # A C0 control ends a string sequence, so an unterminated OSC loses only its own line.
    assert run("\x1b]0;title never ended\nnext line\n") == ["", "next line"]
    # A sequence past its bound is given up; what follows is text again.
    lines = run("\x1b]8;;" + "u" * 5000 + "X\n")
    assert len(lines) == 1 and lines[0].endswith("uuX") and len(lines[0]) < 5000
    assert run("\x1b[" + "1" * 1000 + "Aafter\n")[0].endswith("Aafter")
    assert run("\x1b[12\nnext\n") == ["", "next"]


def test_escape_sequences_split_across_feeds():
    view = TerminalView()
    settled = []
    for piece in ["ab", "\x1b", "[", "3", "1", "m", "c\x1b[1", "D", "X\x1b]0;ti", "tle\x1b", "\\d\x9b", "K\n"]:
        settled += view.feed(piece)
    assert settled + view.flush() == ["abXd"]


def test_flush_settles_everything_and_starts_over():
    view = TerminalView()
    assert view.feed("a\nb\npartial") == ["a"]
    assert view.live() == ["b", "partial"]
    assert view.flush() == ["b", "partial"]
    assert view.live() == []
    assert view.flush() == []
    assert view.feed("new\n") == []
    assert view.live() == ["new"]
    assert run("x\x1b[") == ["x"]  # an escape cut off at the end of input is dropped


def test_blank_lines_in_the_middle_are_kept():
    assert run("a\n\n\nb\n") == ["a", "", "", "b"]


CORPUS = [
    TQDM,
    KERAS,
    LIGHTNING,
    KILLED,
    "x\x1b]0;t\x07y\x1b]8;;" + "u" * 5000 + "\x1b\\z\x9b2Kq\x1b[3;1Hw\x1bcv\x1b(Bu\x1b",
    "abc\x1b[" + "9" * 300 + "C\x1b[5Dd\x1b[1Ke\x1b[2Jf\x1b[Jg\x1b[1J\x1bP" + "s" * 5000 + "h\n\x1b_x\nz",
    "\b\b\babc\b\b\x1b[10Cxy\r\n\r\n\x1b[A\x1b[A\x1b[Bq\x00\x07\x7f\x85\t\n",
    "\rA\x1b[" + "1;" * 40 + "mB\b\b\rC\x1b[0m\x1b[1mD\b\x1b[38:5:1mE\rlonger frame\b\b\b\rF\x1b[0m\b\n\x1b[1m",
]


def corpus_texts() -> list[tuple[str, str]]:
    texts = [(f"corpus[{index}]", text) for index, text in enumerate(CORPUS)]
    for path in sorted(LOGS.glob("*.log")):  # real captures, if present
        texts.append((path.name, path.read_bytes().decode("utf-8", errors="replace")))
    return texts


def replay(text: str, cuts: list[int], **options: int) -> tuple[list[str], list[str], list[str]]:
    view = TerminalView(**options)
    settled: list[str] = []
    start = 0
    for cut in [*cuts, len(text)]:
        settled += view.feed(text[start:cut])
        start = cut
    live = view.live()
    return settled, live, view.flush()


def random_cuts(rng: random.Random, length: int) -> list[int]:
    count = rng.randint(1, max(1, length // 4))
    return sorted(rng.sample(range(length + 1), min(count, length + 1)))


@pytest.mark.parametrize("options", [{}, {"max_columns": 7, "live_rows": 1}, {"max_columns": 40, "live_rows": 3}])
def test_any_chunking_gives_the_same_result(options):
    """Settled lines, live rows and flush() do not depend on how the input was cut up."""
    for name, text in corpus_texts():
        whole = replay(text, [], **options)
        synthetic = name.startswith("corpus")
        if synthetic or not options:
            assert replay(text, list(range(1, len(text))), **options) == whole, f"{name}: one char at a time"
        for seed in range(10 if synthetic else 2):
            cuts = random_cuts(random.Random(f"{name}/{seed}"), len(text))
            assert replay(text, cuts, **options) == whole, f"{name}: seed {seed}"


def test_memory_stays_bounded_on_a_20_mb_line_without_newline():
    frame = "\rtrain:  42%|████▏     | 4200/10000 [01:23<01:55, 50.23it/s, loss=0.1234]"
    bars = frame * (20_000_000 // len(frame))
    plain = "x" * 20_000_000
    for text in (bars, plain):
        view = TerminalView(max_columns=4096)
        started = time.perf_counter()
        for start in range(0, len(text), 65536):
            assert view.feed(text[start : start + 65536]) == []
        elapsed = time.perf_counter() - started
        assert all(len(row) <= 4096 for row in view._rows)
        assert len(view.live()) == 1 and len(view.live()[0]) <= 4096
        # Generous: timings belong in bench/; this only catches a quadratic slip.
        assert elapsed < 10
    # The column is still tracked past the cut, so \r and \b land where the program meant.
    view = TerminalView(max_columns=10)
    view.feed("y" * 100 + "\b" * 95 + "Z")
    assert view.live() == ["yyyyyZyyyy"]
    view.feed("\rA")
    assert view.live() == ["AyyyyZyyyy"]


def test_pending_escape_is_bounded():
    view = TerminalView()
    view.feed("\x1b]8;;" + "u" * 1_000_000)
    assert len(view._pending) <= 4200
    view.feed("\x1b[" + "1" * 1_000_000)
    assert len(view._pending) <= 300


def test_invalid_arguments():
    with pytest.raises(ValueError):
        TerminalView(max_columns=0)
    with pytest.raises(ValueError):
        TerminalView(live_rows=0)
