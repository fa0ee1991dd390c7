"""Paths and names are untrusted: a directory or file named with escape sequences inside a watched
glob must not reach the terminal from any screen (issue 10, 1). Whoever can create a directory in
a shared runs/ must not be able to set the tmux clipboard (OSC 52) or the pane title (OSC 2)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .test_e2e_tmux import Tmux, private_server, start

pytestmark = pytest.mark.e2e

CLIPBOARD = "exp\x1b]52;c;ZWNobyBwd25lZA==\x1b\\1"  # "echo pwned" into the clipboard
TITLE = "\x1b]2;PWNEDNAME\x1b\\esc.log"  # the pane's title
ONLY_SGR = re.compile(r"\x1b\[[0-9;:]*m")


@pytest.fixture
def tmux(tmp_path: Path):
    with private_server(tmp_path) as server:
        # As people run tmux with clipboard sharing on: an OSC 52 from the pane would be taken.
        server.config.write_text(server.config.read_text() + "set -g set-clipboard on\n")
        yield server


def test_hostile_paths_show_as_visible_text_on_every_screen(tmux: Tmux, tmp_path: Path):
    runs = tmp_path / "runs"
    (runs / CLIPBOARD).mkdir(parents=True)
    (runs / CLIPBOARD / "train.log").write_text("step 1/10 loss=0.5\n")
    (runs / TITLE).write_text("step 2/10 loss=0.4\nline one\nline two\n")
    status_file = start(tmux, tmp_path, (120, 30), "watch", str(runs / "*" / "train.log"), str(runs / "*.log"))
    tmux.wait_for(lambda text: "1/train" in text and "esc" in text)
    captured = []

    def dashboard(text: str) -> bool:
        return "⏎ Open" in text and "log (terminal" not in text and "escape closes" not in text

    def run_view(text: str) -> bool:
        return "log (terminal view)" in text

    # Each step waits for its screen, so an Escape is read before the next key (not as alt+key).
    for keys, shown in ((["Enter"], run_view), (["Escape"], dashboard), (["Down", "Enter"], run_view),
                        (["Escape"], dashboard), (["?"], lambda text: "escape closes" in text), (["Escape"], dashboard),
                        (["z"], lambda text: "Backlog" not in text), (["z"], lambda text: "Backlog" in text)):
        tmux("send-keys", "-t", "wb", *keys)
        tmux.wait_for(shown)
        captured.append(tmux("capture-pane", "-p", "-e", "-t", "wb"))
    # The run view's path line shows the escapes, visibly.
    assert "\\e]52;c;ZWNobyBwd25lZA==\\e\\\\1/train.log" in "".join(captured)
    assert "\\e]2;PWNEDNAME\\e\\\\esc.log" in "".join(captured)
    for screen in captured:
        assert "\x07" not in screen and not ONLY_SGR.sub("", screen).count("\x1b"), repr(screen[:400])
    assert "PWNED" not in tmux.pane("#{pane_title}")
    assert tmux("list-buffers") == ""  # nothing reached the clipboard
    tmux("send-keys", "-t", "wb", "q")
    assert tmux.exit_status(status_file) == "0"
