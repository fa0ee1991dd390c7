"""Small modal questions: a line of text (:class:`Prompt`) or yes/no (:class:`Confirm`)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from waitbuddy.tui.bindings import bindings_for


class Prompt(ModalScreen[str | None]):
    """Returns the answer (stripped), or None when cancelled. An empty answer is None too,
    unless ``empty_ok`` (clearing a note or the tags is an answer)."""

    BINDINGS = bindings_for("prompt")

    def __init__(self, question: str, value: str = "", placeholder: str = "", *, empty_ok: bool = False) -> None:
        super().__init__()
        self.question = question
        self.value = value
        self.placeholder = placeholder
        self.empty_ok = empty_ok

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt-box"):
            yield Static(self.question, markup=False)
            yield Input(self.value, placeholder=self.placeholder)
            yield Static("enter to confirm, escape to cancel", classes="hint", markup=False)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        answer = event.value.strip()
        self.dismiss(answer if answer or self.empty_ok else None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class Confirm(ModalScreen[bool]):
    """Returns True for y (or enter), False for n or escape."""

    BINDINGS = bindings_for("confirm")

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt-box"):
            yield Static(self.question, markup=False)
            yield Static("y or enter: yes · n or escape: no", classes="hint", markup=False)

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
