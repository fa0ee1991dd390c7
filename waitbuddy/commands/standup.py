"""`waitbuddy standup`: see add_parsers."""

from __future__ import annotations

import argparse


def add_parsers(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Declares nothing yet: being written (issue 15)."""
