"""Peak memory of `waitbuddy import` on hostile files (issue 10, items 12 and 13).

    python bench/imports.py [--scale 1.0] [--only json,csv,...] [--keep DIR]

Generates each hostile file in a temporary directory (or DIR), then imports it in a fresh
process, as a user would (`python -m waitbuddy import FILE` with its own data dir), and reads
that process's peak resident memory (``ru_maxrss`` of the child) and wall time. A second figure
runs only the parser (``stream_file``, its bookmarks counted as they come, as the import takes
them; ``parse_file`` for a copy of the package from before streaming) in a child, to tell the
parser's share from the store's.

Files (sizes at ``--scale 1``, the sizes of the issue's repro):

* ``json``: 195 MB JSON array of ~1.1 M small bookmark objects (a real-looking but huge export);
* ``json-junk``: 195 MB JSON array of 14.6 M ``{"url": "x"}`` objects (every one a reject);
* ``json-field``: 195 MB JSON array: a few bookmarks and one 190 MB title;
* ``csv``: a CSV with one quoted 100 MB field (a title), between ordinary rows;
* ``csv-quote``: 2,000,001 Pocket rows where the first title opens a quote it never closes;
* ``html``: a Netscape file with a 150 MB ``ICON`` attribute on one link, between ordinary links;
* ``urls``: a 100 MB list of URLs: one URL and 6 M comment lines;
* ``zip``: a 0.2 MB zip whose one member unpacks to 199 MB (under the limit);
* ``zip-lying``: the same, its headers saying the member is 1 KB.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

MB = 1024 * 1024
ROOT = Path(__file__).resolve().parent.parent


def _write(path: Path, parts) -> None:
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.writelines(parts)


def big_json(path: Path, size: int) -> None:
    def parts():
        yield "[\n"
        written, n = 2, 0
        while written < size:
            record = (f'{{"url": "https://site{n % 500}.example.org/posts/{n}", "title": "Post number {n} about '
                      f'things", "tags": ["ml", "reading"], "saved_at": "2024-01-02T03:04:05Z", '
                      f'"note": "a short note about post {n}"}},\n')
            written += len(record)
            n += 1
            yield record
        yield '{"url": "https://example.org/last"}\n]\n'
    _write(path, parts())


def json_junk(path: Path, size: int) -> None:
    def parts():
        yield "["
        record = '{"url": "x"},\n' * 10_000
        for _ in range(size // len(record)):
            yield record
        yield '{"url": "https://example.org/"}]\n'
    _write(path, parts())


def json_field(path: Path, size: int) -> None:
    def parts():
        yield '[{"url": "https://example.org/a", "title": "A"},\n{"url": "https://example.org/big", "title": "'
        left = size - 200
        while left > 0:
            chunk = min(left, MB)
            yield "t" * chunk
            left -= chunk
        yield '"},\n{"url": "https://example.org/b", "title": "B"}]\n'
    _write(path, parts())


def csv_field(path: Path, size: int) -> None:
    def parts():
        yield "url,title,note\nhttps://example.org/a,A,\nhttps://example.org/big,\""
        left = size
        while left > 0:
            chunk = min(left, MB)
            yield "x" * chunk
            left -= chunk
        yield '",\nhttps://example.org/b,B,\n'
    _write(path, parts())


def csv_quote(path: Path, rows: int) -> None:
    def parts():
        yield 'title,url,time_added,tags,status\n"Unbalanced title,https://example.org/0,1700000000,,unread\n'
        batch = []
        for n in range(1, rows):
            batch.append(f"Title {n},https://example.org/{n},1700000000,ml,unread\n")
            if len(batch) == 10_000:
                yield "".join(batch)
                batch.clear()
        yield "".join(batch)
    _write(path, parts())


def html_attribute(path: Path, size: int) -> None:
    def parts():
        yield ("<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<TITLE>Bookmarks</TITLE>\n<DL><p>\n"
               '<DT><A HREF="https://example.org/a" ADD_DATE="1700000000">A</A>\n'
               '<DT><A HREF="https://example.org/big" ADD_DATE="1700000000" ICON="data:image/png;base64,')
        left = size
        while left > 0:
            chunk = min(left, MB)
            yield "A" * chunk
            left -= chunk
        yield '">Big</A>\n<DT><A HREF="https://example.org/b" ADD_DATE="1700000000">B</A>\n</DL><p>\n'
    _write(path, parts())


def url_list(path: Path, size: int) -> None:
    line = "# a comment line\n"
    def parts():
        yield "https://example.org/\n"
        block = line * 10_000
        for _ in range(size // len(block)):
            yield block
    _write(path, parts())


def big_zip(path: Path, size: int, *, lie: bool = False) -> None:
    """One member that unpacks to ``size`` bytes of a URL list (one URL, then comments); with ``lie``, its headers say 1 KB."""
    line = b"#" + b"x" * (MB - 2) + b"\n"  # comment lines: one URL, then ~1 MB lines that are skipped
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo("links.txt", date_time=(2024, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w", force_zip64=True) as member:
            member.write(b"https://example.org/zipped\n")
            for _ in range(size // len(line)):
                member.write(line)
    if not lie:
        return
    # Make both headers lie: the local header and the central directory say 1 KB.
    data = bytearray(path.read_bytes())
    _lie(data, b"PK\x03\x04", 22, data.find(b"PK\x03\x04"))
    central = data.find(b"PK\x01\x02")
    _lie(data, b"PK\x01\x02", 24, central)
    path.write_bytes(bytes(data))


def _lie(data: bytearray, magic: bytes, size_offset: int, at: int) -> None:
    assert data[at:at + 4] == magic
    name_length = int.from_bytes(data[at + (26 if magic == b"PK\x03\x04" else 28):][:2], "little")
    if int.from_bytes(data[at + size_offset:at + size_offset + 4], "little") == 0xFFFFFFFF:
        # zip64: the real size is in the extra field, after the name
        extra = at + (30 if magic == b"PK\x03\x04" else 46) + name_length
        assert data[extra:extra + 2] == b"\x01\x00"
        data[extra + 4:extra + 12] = (1024).to_bytes(8, "little")
    else:
        data[at + size_offset:at + size_offset + 4] = (1024).to_bytes(4, "little")


KINDS = {
    "json": ("big.json", lambda p, s: big_json(p, int(195 * MB * s))),
    "json-junk": ("junk.json", lambda p, s: json_junk(p, int(195 * MB * s))),
    "json-field": ("field.json", lambda p, s: json_field(p, int(195 * MB * s))),
    "csv": ("field.csv", lambda p, s: csv_field(p, int(100 * MB * s))),
    "csv-quote": ("bookmarks.csv", lambda p, s: csv_quote(p, int(2_000_001 * s))),
    "html": ("attribute.html", lambda p, s: html_attribute(p, int(150 * MB * s))),
    "urls": ("links.txt", lambda p, s: url_list(p, int(100 * MB * s))),
    "zip": ("big.zip", lambda p, s: big_zip(p, int(199 * MB * s))),
    "zip-lying": ("lying.zip", lambda p, s: big_zip(p, int(199 * MB * s), lie=True)),
}

_CHILD = """
import resource, sys, time
from waitbuddy.reading.importers import ImportFailed
try:  # the parser as the import command uses it: bookmarks taken one at a time and dropped
    from waitbuddy.reading.importers import stream_file
except ImportError:  # a copy of the package from before streaming (--code): all read into a list
    from waitbuddy.reading.importers import parse_file as stream_file
start = time.perf_counter()
try:
    parsed = stream_file(sys.argv[1])
    count = sum(1 for _bookmark in parsed.bookmarks)
    invalid = sorted(parsed.invalid, key=lambda item: item.line)
    result = f"{parsed.format}: {count} bookmarks, {len(invalid)} invalid"
    if invalid:
        result += f"; first: line {invalid[0].line}: {invalid[0].reason[:100]}"
except ImportFailed as error:
    result = f"refused: {error}"
print(f"{time.perf_counter() - start:.1f}s  {result}")
"""


def measure(argv: list[str], env: dict[str, str], code: Path) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MB and output of a child process (run alone: RUSAGE_CHILDREN is the max)."""
    wrapper = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
               "sys.stdout.write(r.stdout + r.stderr); "
               "print('MAXRSS', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", wrapper, *argv], env=env, capture_output=True, text=True,
                          cwd=code, check=False)
    wall = time.perf_counter() - start
    out = done.stdout.strip().splitlines()
    rss = int(out[-1].split()[1]) / 1024 if out and out[-1].startswith("MAXRSS") else float("nan")
    return wall, rss, " | ".join(line.strip() for line in out[:-1])[:300]


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    options.add_argument("--scale", type=float, default=1.0, help="file sizes relative to the issue's (default 1)")
    options.add_argument("--only", default=",".join(KINDS), help="comma-separated kinds")
    options.add_argument("--keep", type=Path, help="write the files here and keep them (reused if present)")
    options.add_argument("--code", type=Path, default=ROOT,
                         help="directory holding the waitbuddy package to measure (e.g. a copy of an older one)")
    options.add_argument("--no-cli", action="store_true", help="measure the parser only")
    args = options.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "WAITBUDDY_DATA_DIR": str(Path(tmp) / "data"),
               "WAITBUDDY_CONFIG": str(Path(tmp) / "config.toml"), "PYTHONPATH": str(args.code)}
        print(f"{'file':<12} {'size':>8} {'step':<6} {'wall':>7} {'peak RSS':>9} {'x size':>6}  result")
        for kind in args.only.split(","):
            file_name, make = KINDS[kind]
            path = folder / file_name
            if not path.exists():
                make(path, args.scale)
            size = path.stat().st_size / MB
            steps = [("parse", [sys.executable, "-c", _CHILD, str(path)])]
            if not args.no_cli:
                steps.append(("import", [sys.executable, "-m", "waitbuddy", "import", str(path)]))
            for step, argv in steps:
                (Path(tmp) / "data" / "waitbuddy.db").unlink(missing_ok=True)
                wall, rss, result = measure(argv, env, args.code)
                print(f"{kind:<12} {size:7.1f}M {step:<6} {wall:6.1f}s {rss:8.0f}M {rss / size:6.1f}  {result}",
                      flush=True)


if __name__ == "__main__":
    main()
