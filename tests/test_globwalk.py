"""`**` watches through directory links (issue 10, 5): each real file followed once, each
directory entered once, however the links loop."""

from __future__ import annotations

import glob
import time
from pathlib import Path

from waitbuddy.runs.patterns import expand


def tree(root: Path) -> None:
    for folder in ("a", "b/c", ".hidden"):
        (root / folder).mkdir(parents=True)
        (root / folder / "train.log").write_text("step 1/2\n")
    (root / "train.log").write_text("step 1/2\n")
    (root / "b" / "c" / "notes.txt").write_text("not a match\n")


def test_without_links_the_walk_finds_what_glob_finds(tmp_path: Path):
    tree(tmp_path)
    pattern = str(tmp_path / "**" / "train.log")
    assert expand(pattern) == sorted(glob.glob(pattern, recursive=True))
    assert expand(str(tmp_path / "**" / "c" / "*.txt")) == [str(tmp_path / "b" / "c" / "notes.txt")]


def test_links_back_up_the_tree_follow_each_file_once_and_end(tmp_path: Path):
    root = tmp_path / "runs"
    tree(root)
    (root / "self").symlink_to(".")
    (root / "up").symlink_to("..")  # out of the tree (its parent holds only it) and back in
    (root / "b" / "c" / "loop").symlink_to(root)
    started = time.monotonic()
    found = expand(str(root / "**" / "train.log"))
    assert time.monotonic() - started < 5  # glob.glob did not end at all with two such links
    assert sorted(Path(path).resolve() for path in found) == sorted(
        (root / folder / "train.log").resolve() for folder in ("", "a", "b/c"))
