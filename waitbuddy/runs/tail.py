"""Read what is new in a growing log file, surviving truncation, rotation and re-creation.

The file is read as bytes at an explicit offset (``os.pread``), never through a text-mode file
object: universal newlines would turn every ``\\r`` bar frame into a line of its own. Decoding is
incremental, so a character split across two reads comes out whole. A log can be a symlink, so
the path is followed. Nothing here blocks beyond reading what is already in the file.
"""

from __future__ import annotations

import codecs
import enum
import errno
import os
import stat
from dataclasses import dataclass

from waitbuddy.runs.targets import not_regular

DEFAULT_START_FROM_END = 256 * 1024
DEFAULT_MAX_BYTES = 4 * 1024 * 1024

# Binary sniffing looks at this many bytes once per file and gives up on the file when more
# than the fraction of them is not text (NUL, stray C0 controls, invalid UTF-8).
_SNIFF_BYTES = 8 * 1024
_FINGERPRINT = 64  # bytes compared to notice a file rewritten in place
_BINARY_FRACTION = 0.3
# Up to this share of bad bytes a sample is still UTF-8 (a stray byte, a cut character); past
# it, a legacy code page that decodes it cleanly is tried. Text has almost no stray controls.
_LEGACY_FRACTION = 0.02
# C0 controls a text log may contain: tab, LF, CR, backspace (Keras), ESC (colours), form feed.
_NON_TEXT_BYTES = bytes(code for code in range(0x20) if code not in b"\t\n\r\b\x1b\x0c")

_REASONS = {
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EISDIR: "is a directory",
    errno.ELOOP: "too many levels of symbolic links",
    errno.EIO: "input/output error",
    errno.ESTALE: "stale file handle",
}
_MISSING = (errno.ENOENT, errno.ENOTDIR)


class _Skip(enum.Enum):
    """Where the reader is in dropping the partial line it started in (see start_from_end)."""

    NONE = enum.auto()
    LINE = enum.auto()
    LF_AFTER_CR = enum.auto()


@dataclass(frozen=True)
class Chunk:
    """What one :meth:`Tail.read` found."""

    text: str  # newly decoded text ('' if nothing new); NUL bytes removed, bad bytes -> U+FFFD
    reset: bool = False  # truncated, rotated or re-created: the text starts at offset 0 of the (new) file
    missing: bool = False  # the file does not exist (yet, or any more)
    binary: bool = False  # the file does not look like a text log; no text is returned for it
    error: str | None = None  # why the file could not be read this time (e.g. "permission denied")


class Tail:
    """Incremental reader of one log file path; call :meth:`read` whenever it may have grown.

    ``start_from_end``: on the first open, a file larger than this many bytes is read from
    that far before its end, starting after the first line break there (the state of a run
    is at the end; a multi-GB log must not be read whole). ``None`` reads from the beginning.
    A file that replaces the one being followed is always read from its beginning.
    """

    def __init__(self, path: str | os.PathLike[str], *, start_from_end: int | None = DEFAULT_START_FROM_END) -> None:
        if start_from_end is not None and start_from_end < 0:
            raise ValueError("start_from_end must be None or >= 0")
        self._path = os.fspath(path)
        self._start_from_end = start_from_end
        self._fd: int | None = None
        self._identity: tuple[int, int] | None = None  # (st_dev, st_ino) of the open file
        self._offset = 0
        self._decoder = _new_decoder()
        self._binary: bool | None = None  # None until the first non-NUL bytes are seen
        self._encoding: str | None = None  # sniffed with the first bytes read (sniff_encoding)
        self._skip = _Skip.NONE
        self._opened_before = False
        self._reset_pending = False
        # To notice the file being truncated and written again past our offset between two reads
        # (a rerun of `python train.py > train.log`, common on NFS with polling): its first bytes
        # and the last bytes read, which a rewrite would change, and the mtime they were read at.
        self._head = b""
        self._mark: tuple[int, bytes] = (0, b"")
        self._mtime_ns = 0

    @property
    def offset(self) -> int:
        """Byte offset of the next read in the current file."""
        return self._offset

    def read(self, max_bytes: int = DEFAULT_MAX_BYTES) -> Chunk:
        """Return what was appended since the last call, at most ``max_bytes`` bytes of it.

        Never raises for file-system trouble: a missing file or an error is reported in the
        :class:`Chunk` and the next call tries again. Empty text does not mean the end (the
        bytes read may have been NULs, half a character, or the partial line skipped after
        ``start_from_end``): to read everything there is, loop while :attr:`offset` moves
        or ``reset`` is set.
        """
        if max_bytes < 1:
            raise ValueError("max_bytes must be at least 1")
        chunk = self._read_once(max_bytes)
        if self._fd is None and not (chunk.text or chunk.reset or chunk.missing or chunk.error):
            # The old file was drained and closed with nothing left in it: start on its
            # replacement now rather than one poll later.
            chunk = self._read_once(max_bytes)
        return chunk

    def _read_once(self, max_bytes: int) -> Chunk:
        if self._fd is None:
            problem = self._open()
            if problem is not None:
                return problem
        try:
            return self._read_open(max_bytes)
        except OSError as error:
            return Chunk("", error=_reason(error))

    def close(self) -> None:
        """Close the file. A later :meth:`read` opens it again from offset 0 (``reset``)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
            self._identity = None

    # -- opening and switching files --------------------------------------------------------

    def _open(self) -> Chunk | None:
        """Open the path; return a Chunk saying why not, or None when open."""
        if (refused := _refuse_before_open(self._path)) is not None:
            return refused
        try:
            # O_NONBLOCK only so that a FIFO swapped in since the stat cannot block the open; regular files ignore it.
            fd = os.open(self._path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        except OSError as error:
            if error.errno in _MISSING:
                return Chunk("", missing=True)
            return Chunk("", error=_reason(error))
        try:
            info = os.fstat(fd)
        except OSError as error:
            os.close(fd)
            return Chunk("", error=_reason(error))
        if not stat.S_ISREG(info.st_mode):
            os.close(fd)
            return Chunk("", error=not_regular(info.st_mode) or "is a directory")
        self._fd = fd
        self._identity = (info.st_dev, info.st_ino)
        self._head, self._mark, self._mtime_ns = b"", (0, b""), info.st_mtime_ns
        self._decoder = _new_decoder()
        self._binary = None
        self._encoding: str | None = None
        self._skip = _Skip.NONE
        if self._opened_before:
            self._offset = 0
            self._reset_pending = True
        else:
            self._opened_before = True
            self._offset = 0
            if self._start_from_end is not None and info.st_size > self._start_from_end:
                # Start one byte early: if that byte is a line break, the tail starts on a whole line.
                self._offset = info.st_size - self._start_from_end - 1
                self._skip = _Skip.LINE
        return None

    def _restart_at_zero(self) -> None:
        """The open file was truncated in place: read it again from the beginning."""
        self._offset = 0
        self._head, self._mark = b"", (0, b"")
        self._decoder = _new_decoder()
        self._binary = None
        self._encoding = None
        self._skip = _Skip.NONE
        self._reset_pending = True

    def _path_moved_on(self) -> tuple[bool, bool]:
        """(moved, missing): whether the path no longer names the open file, and if it names nothing."""
        try:
            info = os.stat(self._path)
        except OSError as error:
            if error.errno in _MISSING:
                return True, True
            return False, False  # cannot tell (e.g. a directory lost its x bit): keep reading the open file
        if (info.st_dev, info.st_ino) == self._identity:
            return False, False
        return True, False

    # -- reading ----------------------------------------------------------------------------

    def _read_open(self, max_bytes: int) -> Chunk:
        fd = self._fd
        assert fd is not None
        info = os.fstat(fd)
        size = info.st_size
        if size < self._offset or (
            self._offset and (size > self._offset or info.st_mtime_ns != self._mtime_ns) and self._rewritten(fd, size)
        ):
            self._restart_at_zero()
        self._mtime_ns = info.st_mtime_ns
        reset, self._reset_pending = self._reset_pending, False
        text = ""
        if self._binary:
            self._offset = size  # nothing from this file is shown: do not even read it
        else:
            wanted = min(max_bytes, size - self._offset)
            if wanted > 0:
                start = self._offset
                data = os.pread(fd, wanted, start)
                self._remember(data, start, fd)
                text = self._consume(data, size, self._head if start else b"")
            if wanted == max_bytes:
                return self._chunk(text, reset)  # more may follow: the caller reads again
        moved, missing = self._path_moved_on()
        if not moved or os.fstat(fd).st_size > self._offset:
            # Same file, or lines were written to the old one since: drain those first.
            return self._chunk(text, reset)
        if self._binary is False:
            text += self._decoder.decode(b"", final=True)  # a character cut off for good
        binary = bool(self._binary)
        self.close()  # the next read opens what the path names now, from offset 0
        if missing:
            return Chunk(text, reset=reset, missing=True, binary=binary)
        return Chunk(text, reset=reset, binary=binary)

    def _rewritten(self, fd: int, size: int) -> bool:
        """Do the bytes we read before differ now? (Two small preads; only when the file changed.)"""
        position, last = self._mark
        for start, expected in ((0, self._head), (position, last)):
            if expected and os.pread(fd, len(expected), start) != expected:
                return True
        return False

    def _remember(self, data: bytes, start: int, fd: int) -> None:
        """Keep the file's first bytes and the last bytes read, for ``_rewritten``."""
        if len(self._head) < _FINGERPRINT:
            self._head = os.pread(fd, _FINGERPRINT, 0)
        tail = data[-_FINGERPRINT:]
        self._mark = (start + len(data) - len(tail), tail)

    def _chunk(self, text: str, reset: bool) -> Chunk:
        return Chunk(text, reset=reset, binary=bool(self._binary))

    def _consume(self, data: bytes, size: int, head: bytes = b"") -> str:
        """Advance past ``data`` and return its text (empty for a binary file). ``head``: the
        file's first bytes (a byte-order mark says the encoding wherever reading starts)."""
        if self._binary is None:
            sample = data.lstrip(b"\x00")[:_SNIFF_BYTES]  # a leading hole of NULs is not evidence
            if sample:
                self._encoding = sniff_encoding(head, data[:_SNIFF_BYTES])
                self._binary = self._encoding is None
                if self._encoding is not None:
                    self._decoder = _new_decoder(self._encoding)
                    if self._encoding.startswith("utf-16") and self._offset % 2:
                        data = data[1:]  # reading started mid-character: align on the code units
                        self._offset += 1
        self._offset += len(data)
        if self._binary:
            self._offset = max(self._offset, size)
            return ""
        if self._encoding is not None and self._encoding.startswith("utf-16"):
            # Line breaks are two bytes here: drop the partial first line from the text.
            return self._skip_partial_text(self._decoder.decode(data)).replace("\x00", "").replace("\ufeff", "")
        data = self._skip_partial_line(data)
        # NUL never occurs inside a UTF-8 (or GB18030, cp1252) sequence: removing it is safe.
        return self._decoder.decode(data.replace(b"\x00", b""))

    def _skip_partial_text(self, text: str) -> str:
        if self._skip is _Skip.LINE:
            ends = [index for index in (text.find("\n"), text.find("\r")) if index >= 0]
            if not ends:
                return ""
            end = min(ends)
            self._skip = _Skip.LF_AFTER_CR if text[end] == "\r" else _Skip.NONE
            text = text[end + 1 :]
        if self._skip is _Skip.LF_AFTER_CR and text:
            self._skip = _Skip.NONE
            if text[0] == "\n":
                text = text[1:]
        return text

    def _skip_partial_line(self, data: bytes) -> bytes:
        """After starting mid-file, drop through the first line break (CR LF counts as one)."""
        if self._skip is _Skip.LINE:
            ends = [index for index in (data.find(b"\n"), data.find(b"\r")) if index >= 0]
            if not ends:
                return b""
            end = min(ends)
            self._skip = _Skip.LF_AFTER_CR if data[end] == 0x0D else _Skip.NONE
            data = data[end + 1 :]
        if self._skip is _Skip.LF_AFTER_CR and data:
            self._skip = _Skip.NONE
            if data[0] == 0x0A:
                data = data[1:]
        return data


def _new_decoder(encoding: str = "utf-8") -> codecs.IncrementalDecoder:
    return codecs.getincrementaldecoder(encoding)(errors="replace")


def sniff_encoding(head: bytes, sample: bytes) -> str | None:
    """The encoding of a log from its first bytes (``head``, for a byte-order mark) and a
    sample of what is being read; None for a file that is not text.

    UTF-8 first; UTF-16 (PowerShell's ``Tee-Object`` and ``>`` write UTF-16LE) by its mark or
    its NUL in every other byte; then the legacy code pages Windows consoles write: GB18030
    (a superset of GBK) when it decodes the sample cleanly, else cp1252. A sample with stray
    control bytes (compressed data, executables) is binary whatever it decodes as.
    """
    mark = head or sample
    if mark.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and not mark.startswith(codecs.BOM_UTF32_LE):
        return "utf-16-le" if mark.startswith(codecs.BOM_UTF16_LE) else "utf-16-be"
    if len(sample) >= 16:
        even, odd = sample[0::2], sample[1::2]
        for encoding, zeros, others in (("utf-16-le", odd, even), ("utf-16-be", even, odd)):
            if zeros.count(0) > 0.4 * len(zeros) and others.count(0) < 0.05 * len(others) and _text_like(
                    _new_decoder(encoding).decode(sample).encode("utf-8", "replace")):
                return encoding
    text_sample = sample.replace(b"\x00", b"")
    if not text_sample:
        return "utf-8"
    stray_controls = _stray_controls(text_sample)
    # An incremental decode leaves a character cut at the end of the sample out of the count.
    decoded = _new_decoder().decode(text_sample)
    invalid = decoded.count("\ufffd")
    if stray_controls > _LEGACY_FRACTION * len(text_sample):
        return None if stray_controls + invalid > _BINARY_FRACTION * len(text_sample) else "utf-8"
    if invalid == 0:
        return "utf-8"
    # Characters that decoded as UTF-8 beyond ASCII are strong evidence of UTF-8 with a few bad
    # bytes; invalid bytes and none of them, of a legacy code page.
    multibyte = sum(1 for char in decoded if char > "\x7f" and char != "\ufffd")
    if multibyte and multibyte * 4 >= invalid:
        return "utf-8"
    for legacy in ("gb18030", "cp1252"):
        if _new_decoder(legacy).decode(text_sample).count("\ufffd") <= _LEGACY_FRACTION * len(text_sample):
            return legacy
    return None if stray_controls + invalid > _BINARY_FRACTION * len(text_sample) else "utf-8"


def _stray_controls(data: bytes) -> int:
    return len(data) - len(data.translate(None, _NON_TEXT_BYTES))


def _text_like(data: bytes) -> bool:
    return _stray_controls(data.replace(b"\x00", b"")) <= _LEGACY_FRACTION * max(len(data), 1)


def _refuse_before_open(path: str) -> Chunk | None:
    """A FIFO, socket or device is never opened: opening a FIFO blocks (without O_NONBLOCK), and
    every open and close of it wakes inotify, so a watcher retrying it would spin."""
    try:
        info = os.stat(path)
    except OSError as error:
        return Chunk("", missing=True) if error.errno in _MISSING else None  # open() reports the rest
    if stat.S_ISDIR(info.st_mode):
        return Chunk("", error="is a directory")
    if (problem := not_regular(info.st_mode)) is not None:
        return Chunk("", error=problem)
    return None


def _reason(error: OSError) -> str:
    if error.errno in _REASONS:
        return _REASONS[error.errno]
    if error.strerror:
        return error.strerror.lower()
    return type(error).__name__
