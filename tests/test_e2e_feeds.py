"""Feeds end to end in a real tmux pane at 80x24: a feed added from the command line, fetched from
a local server by the dashboard's own background refresh, read in the Feeds tab, one entry sent to
the backlog; hostile titles reach the terminal as text, never as escape sequences."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .feedserver import FeedServer
from .test_e2e_tmux import Tmux, private_server, start

pytestmark = pytest.mark.e2e

ONLY_SGR = re.compile(r"\x1b\[[0-9;:]*m")
HYPERLINK = re.compile(r"\x1b\]8;[^\x07\x1b]*;(?P<url>[^\x07\x1b]*)(?:\x1b\\|\x07)")  # OSC 8, if tmux keeps them


@pytest.fixture
def tmux(tmp_path: Path):
    with private_server(tmp_path) as server:
        server.config.write_text(server.config.read_text() + "set -g set-clipboard on\n")
        yield server


@pytest.fixture
def site():
    server = FeedServer()
    yield server
    server.close()


def cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(tmp_path / "home"), "WAITBUDDY_CONFIG": str(tmp_path / "config.toml"),
           "WAITBUDDY_DATA_DIR": str(tmp_path / "data")}
    return subprocess.run([sys.executable, "-m", "waitbuddy", *args], capture_output=True, text=True, env=env,
                          timeout=60)


def test_a_feed_added_on_the_command_line_is_fetched_read_and_saved_in_the_dashboard(tmux: Tmux, site, tmp_path):
    (tmp_path / "home").mkdir(exist_ok=True)
    hostile = site.fixture("/hostile.xml", "hostile_titles.xml", etag='"h1"')
    papers = site.fixture("/cs.LG.xml", "arxiv_rss_cs.LG.xml", etag='"a1"')
    for url in (hostile, papers):
        added = cli(tmp_path, "feeds", "add", url)
        assert added.returncode == 0, added.stderr
    status_file = start(tmux, tmp_path, (80, 24))
    tmux.wait_for(lambda text: "Feeds" in text and "Quit" in text)
    tmux("send-keys", "-t", "wb", "3")
    # Nothing was fetched before the dashboard started: its own refresh brings the entries in.
    tmux.wait_for(lambda text: "12 of 12 · unread" in text, timeout=30)
    tmux("send-keys", "-t", "wb", "z")  # zoomed: every hostile title is on screen at 80x24
    screen = tmux.wait_for(lambda text: "Runs" not in text and "[@click=app.quit]" in text)
    assert len(screen.splitlines()) <= 24
    raw = tmux("capture-pane", "-p", "-e", "-t", "wb")
    for link in HYPERLINK.finditer(raw):
        assert link["url"].startswith(("http://", "https://")), link["url"]
    leftover = ONLY_SGR.sub("", HYPERLINK.sub("", raw))
    assert "\x1b" not in leftover and "\x07" not in leftover, repr(leftover[:400])
    assert "PWNED" not in tmux.pane("#{pane_title}")
    assert tmux("list-buffers") == ""  # no OSC 52 reached the clipboard
    tmux("send-keys", "-t", "wb", "z")
    tmux.wait_for(lambda text: "Runs" in text)

    # Filter to one arXiv paper, send it to the backlog, and find it there.
    tmux("send-keys", "-t", "wb", "/")
    # Textual moves the focus after the keys already queued: type once the field is there.
    tmux.wait_for(lambda text: "filter: words" in text)
    tmux("send-keys", "-t", "wb", "-l", "gradient")
    tmux.wait_for(lambda text: "Gradient Clipping" in text and "Hostile feed" not in text)
    tmux("send-keys", "-t", "wb", "Enter")
    tmux.wait_for(lambda text: "b Save" in text)  # the list has the keys again
    tmux("send-keys", "-t", "wb", "b")
    tmux.wait_for(lambda text: "saved to the backlog" in text)
    tmux("send-keys", "-t", "wb", "q")
    assert tmux.exit_status(status_file) == "0"
    backlog = cli(tmp_path, "backlog", "--json")
    assert backlog.returncode == 0, backlog.stderr
    assert "arxiv.org/abs/2401.05555" in backlog.stdout
    assert sum(hit.path == "/cs.LG.xml" for hit in site.hits) >= 1
