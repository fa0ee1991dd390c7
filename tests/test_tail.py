"""Tail: what is new in a growing log, through truncation, rotation and re-creation (real files)."""

from __future__ import annotations

import codecs

import os
import random
from pathlib import Path

import pytest

from waitbuddy.runs.tail import Chunk, Tail


def append(path: Path, data: bytes) -> None:
    with open(path, "ab") as handle:
        handle.write(data)


def drain(tail: Tail, max_bytes: int = 4 * 1024 * 1024) -> str:
    """Read until the offset stops moving, as the watcher's loop does.

    An empty text alone does not mean the end: a small budget can end inside a character,
    and skipped bytes (NULs, the partial first line) give no text either.
    """
    text = []
    while True:
        before = tail.offset
        chunk = tail.read(max_bytes)
        text.append(chunk.text)
        if tail.offset == before and not chunk.text and not chunk.reset:
            return "".join(text)


@pytest.fixture
def log(tmp_path: Path) -> Path:
    return tmp_path / "train.log"


def test_appends_in_pieces_come_back_in_order(log):
    log.write_bytes(b"epoch 1\n")
    tail = Tail(log)
    assert tail.read() == Chunk("epoch 1\n")
    assert tail.read() == Chunk("")
    append(log, b"epoch 2\n")
    append(log, b"epoch 3\n")
    assert tail.read() == Chunk("epoch 2\nepoch 3\n")
    assert tail.offset == log.stat().st_size
    tail.close()


def test_a_partial_last_line_is_returned_as_text(log):
    log.write_bytes(b"done\n\rtrain:  10%|")
    tail = Tail(log)
    assert tail.read().text == "done\n\rtrain:  10%|"
    append(log, b"#         | 1/10")
    assert tail.read().text == "#         | 1/10"
    tail.close()


def test_a_utf8_character_split_across_writes_is_decoded_whole(log):
    bar = "█▏".encode()  # 3 bytes each
    log.write_bytes(b"|" + bar[:2])
    tail = Tail(log)
    assert tail.read().text == "|"
    append(log, bar[2:4])
    assert tail.read().text == "█"
    append(log, bar[4:] + b"|\n")
    assert tail.read().text == "▏|\n"
    tail.close()


def test_invalid_utf8_is_replaced(log):
    log.write_bytes("café ✓ utf-8 with one bad byte: \xff here\n".encode().replace(b"\xc3\xbf", b"\xff"))
    tail = Tail(log)
    assert tail.read().text == "café ✓ utf-8 with one bad byte: \ufffd here\n"
    tail.close()


@pytest.mark.parametrize("encoding", ["cp1252", "gb18030", "utf-16-le", "utf-16-be"])
def test_legacy_code_pages_and_utf16_are_decoded_not_refused(log, encoding):
    # Windows consoles write the ANSI code page; PowerShell's Tee-Object and > write UTF-16LE.
    text = "Époque 3/10 perte=0.25 café\r\n" if encoding == "cp1252" else "训练 epoch 3/10 loss=0.25 完成\r\n"
    data = text.encode(encoding) * 40
    if encoding == "utf-16-le":
        data = codecs.BOM_UTF16_LE + data
    log.write_bytes(data)
    tail = Tail(log)
    chunk = tail.read()
    assert not chunk.binary
    assert chunk.text == text * 40
    tail.close()


def test_utf16_read_from_the_middle_starts_on_a_whole_line(log):
    lines = "".join(f"step {index}/500 loss={index / 1000:.3f}\r\n" for index in range(500))
    log.write_bytes(codecs.BOM_UTF16_LE + lines.encode("utf-16-le"))
    for start_from_end in (1001, 1002, 4097):
        tail = Tail(log, start_from_end=start_from_end)
        text = tail.read().text
        tail.close()
        assert text and lines.endswith(text) and text.startswith("step "), (start_from_end, text[:40])


def test_max_bytes_limits_one_read_and_the_caller_loops(log):
    log.write_bytes(b"0123456789" * 10)
    tail = Tail(log)
    first = tail.read(max_bytes=30)
    assert first.text == "012345678901234567890123456789"
    assert tail.offset == 30
    assert drain(tail, max_bytes=30) == "0123456789" * 7
    tail.close()


def test_truncation_starts_over_at_zero(log):
    log.write_bytes(b"old line 1\nold line 2\n")
    tail = Tail(log)
    assert tail.read().text == "old line 1\nold line 2\n"
    log.write_bytes(b"new\n")  # truncates, like `> log` for a new run
    chunk = tail.read()
    assert chunk == Chunk("new\n", reset=True)
    assert tail.read() == Chunk("")
    tail.close()


def test_rotation_by_rename_keeps_the_last_lines_of_the_old_file(log):
    log.write_bytes(b"line 1\n")
    tail = Tail(log)
    assert tail.read().text == "line 1\n"
    append(log, b"line 2 written just before rotation\n")
    log.rename(log.with_suffix(".log.1"))
    log.write_bytes(b"fresh 1\n")
    first = tail.read()
    assert first == Chunk("line 2 written just before rotation\n")
    second = tail.read()
    assert second == Chunk("fresh 1\n", reset=True)
    append(log, b"fresh 2\n")
    assert tail.read() == Chunk("fresh 2\n")
    tail.close()


def test_rotation_with_nothing_left_in_the_old_file_switches_at_once(log):
    log.write_bytes(b"line 1\n")
    tail = Tail(log)
    tail.read()
    log.rename(log.with_suffix(".log.1"))
    log.write_bytes(b"fresh\n")
    assert tail.read() == Chunk("fresh\n", reset=True)
    tail.close()


def test_writes_to_the_old_file_after_rename_are_drained_first(log):
    log.write_bytes(b"a\n")
    tail = Tail(log)
    tail.read()
    rotated = log.with_suffix(".log.1")
    log.rename(rotated)
    log.write_bytes(b"new\n")
    append(rotated, b"late write by the old process\n")
    assert tail.read() == Chunk("late write by the old process\n")
    assert tail.read() == Chunk("new\n", reset=True)
    tail.close()


def test_delete_then_recreate(log):
    log.write_bytes(b"run 1\n")
    tail = Tail(log)
    assert tail.read().text == "run 1\n"
    append(log, b"last words\n")
    log.unlink()
    assert tail.read() == Chunk("last words\n", missing=True)
    assert tail.read() == Chunk("", missing=True)
    log.write_bytes(b"run 2\n")
    assert tail.read() == Chunk("run 2\n", reset=True)
    tail.close()


def test_a_missing_file_is_waited_for(log):
    tail = Tail(log)
    assert tail.read() == Chunk("", missing=True)
    assert tail.read() == Chunk("", missing=True)
    log.write_bytes(b"hello\n")
    assert tail.read() == Chunk("hello\n")  # first appearance: not a reset
    tail.close()


def test_a_symlinked_log_is_followed(tmp_path, log):
    log.write_bytes(b"through the link\n")
    link = tmp_path / "latest.log"
    link.symlink_to(log)
    tail = Tail(link)
    assert tail.read().text == "through the link\n"
    tail.close()
    dangling = tmp_path / "dangling.log"
    dangling.symlink_to(tmp_path / "not-yet.log")
    waiting = Tail(dangling)
    assert waiting.read().missing
    (tmp_path / "not-yet.log").write_bytes(b"now\n")
    assert waiting.read().text == "now\n"
    waiting.close()


def test_start_from_end_on_a_large_file_returns_only_the_tail(log):
    lines = [f"step {index:07d} loss=0.{index % 10000:04d}\n".encode() for index in range(200_000)]
    log.write_bytes(b"".join(lines))
    assert log.stat().st_size >= 5_000_000
    tail = Tail(log, start_from_end=64 * 1024)
    text = drain(tail)
    assert len(text.encode()) <= 64 * 1024
    assert text.endswith(lines[-1].decode())
    assert text.startswith("step ")  # a whole line: the partial one before it was dropped
    assert text.splitlines(keepends=True)[0] in {line.decode() for line in lines}
    tail.close()


def test_start_from_end_landing_right_after_a_line_break_keeps_that_line(log):
    log.write_bytes(b"x" * 100 + b"\n" + b"kept line\n")
    tail = Tail(log, start_from_end=len(b"kept line\n"))
    assert tail.read().text == "kept line\n"
    tail.close()


def test_start_from_end_with_crlf_and_carriage_returns(log):
    log.write_bytes(b"a" * 100 + b"\r\nnext\r\n")
    assert Tail(log, start_from_end=20).read().text == "next\r\n"
    log.write_bytes(b"\rframe 1" * 50 + b"\rframe 2")
    assert Tail(log, start_from_end=20).read().text == "frame 1\rframe 2"


def test_start_from_end_waits_for_a_line_break_across_reads(log):
    log.write_bytes(b"y" * 1000)
    tail = Tail(log, start_from_end=100)
    assert tail.read().text == ""
    append(log, b"yyy\nfirst whole line\n")
    assert tail.read().text == "first whole line\n"
    tail.close()


def test_start_from_end_none_reads_everything(log):
    log.write_bytes(b"z" * 300_000 + b"\n")
    assert len(drain(Tail(log, start_from_end=None))) == 300_001


def test_a_binary_file_gives_no_text(tmp_path):
    elf = tmp_path / "model.bin"
    elf.write_bytes(b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00\x01\x00\x00\x00" * 200)
    tail = Tail(elf)
    assert tail.read() == Chunk("", binary=True)
    append(elf, b"looks like text now\n")
    assert tail.read() == Chunk("", binary=True)
    tail.close()
    noise = tmp_path / "checkpoint.pt"
    noise.write_bytes(random.Random(7).randbytes(100_000))
    tail = Tail(noise)
    assert tail.read() == Chunk("", binary=True)
    assert tail.offset == 100_000
    tail.close()


def test_binary_verdict_is_dropped_when_the_file_is_replaced_by_text(log):
    log.write_bytes(b"\x00\x01\x02\x03" * 1000)
    tail = Tail(log)
    assert tail.read().binary
    log.write_bytes(b"a text log\n")  # truncated and rewritten
    assert tail.read() == Chunk("a text log\n", reset=True)
    tail.close()


def test_nul_bytes_in_a_text_log_are_dropped(log):
    log.write_bytes(b"epoch 1 loss=0.5\n\x00\x00\x00epoch 2\x00 loss=0.4\n")
    tail = Tail(log)
    assert tail.read() == Chunk("epoch 1 loss=0.5\nepoch 2 loss=0.4\n")
    tail.close()


def test_a_leading_hole_of_nuls_is_not_taken_for_a_binary_file(log):
    # copytruncate while the writer keeps its offset leaves a hole of NULs at the start.
    log.write_bytes(b"\x00" * 20_000 + b"still training, step 900\n")
    tail = Tail(log)
    assert drain(tail) == "still training, step 900\n"
    tail.close()


def test_escape_sequences_and_backspaces_are_text(log):
    keras = b"\r\x1b[1m 1/20\x1b[0m \x1b[32m\xe2\x94\x81\x1b[0m loss: 0.9\x08\x08\x08\x08\x08\r\x1b[1m 5/20\x1b[0m"
    log.write_bytes(keras * 10)
    tail = Tail(log)
    chunk = tail.read()
    assert not chunk.binary
    assert chunk.text == keras.decode() * 10
    tail.close()


def test_errors_are_reported_not_raised(tmp_path):
    directory = tmp_path / "not-a-file.log"
    directory.mkdir()
    tail = Tail(directory)
    chunk = tail.read()
    assert chunk.text == "" and chunk.error and not chunk.missing
    directory.rmdir()
    directory.write_bytes(b"now a file\n")
    assert tail.read().text == "now a file\n"
    tail.close()


def test_a_symlink_loop_is_an_error_and_retried(tmp_path, log):
    other = tmp_path / "other.log"
    log.symlink_to(other)
    other.symlink_to(log)
    tail = Tail(log)
    chunk = tail.read()
    assert chunk.error == "too many levels of symbolic links" and not chunk.missing and chunk.text == ""
    other.unlink()
    other.write_bytes(b"resolved\n")
    assert tail.read().text == "resolved\n"
    tail.close()


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_permission_denied_is_reported_and_retried(log):
    log.write_bytes(b"secret\n")
    log.chmod(0)
    tail = Tail(log)
    assert tail.read() == Chunk("", error="permission denied")
    log.chmod(0o644)
    assert tail.read().text == "secret\n"
    tail.close()


def test_any_chunking_of_writes_and_reads_gives_the_same_text(log):
    rng = random.Random(2024)
    pieces = [
        "\rtrain:  42%|████▏     | 42/100 [00:01<00:02, 40.1it/s, loss=0.123]".encode(),
        "日本語のログ ✓ é\n".encode(),
        b"\x1b[1m20/20\x1b[0m \x08\x08\x08\r",
        b"plain line\r\n",
        b"\x00",
        b"\xff\xfe broken utf-8 \xe2\x96\n",
    ]
    data = b"".join(rng.choice(pieces) for _ in range(1000))
    expected = data.replace(b"\x00", b"").decode("utf-8", errors="replace")
    for seed in range(10):
        rng = random.Random(seed)
        path = log.with_name(f"run{seed}.log")
        path.write_bytes(b"")
        tail = Tail(path, start_from_end=None)
        got = []
        position = 0
        while position < len(data):
            step = rng.choice([1, 2, 3, 7, 64, 1000, 5000])
            append(path, data[position : position + step])
            position += step
            if rng.random() < 0.5:
                got.append(tail.read(max_bytes=rng.choice([1, 5, 100, 4096])).text)
        got.append(drain(tail, max_bytes=rng.choice([2, 13, 4096])))
        assert "".join(got) == expected, f"seed {seed}"
        tail.close()


def test_read_rejects_a_zero_budget(log):
    with pytest.raises(ValueError):
        Tail(log).read(max_bytes=0)
