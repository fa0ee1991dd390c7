"""Textual ``Binding`` objects built from the headless key table (``waitbuddy.keys``)."""

from __future__ import annotations

from collections.abc import Mapping

from textual.binding import Binding

from waitbuddy.keys import APP_KEYS


def bindings_for(scope: str, actions: Mapping[str, str] | None = None) -> list[Binding]:
    """The bindings of ``scope``; ``actions`` gives a widget's own action for a binding id (the
    Runs list is an OptionList: its "down" is cursor_down, the Backlog list's is move(1))."""
    return [
        Binding(
            spec.keys, (actions or {}).get(spec.id, spec.action), spec.label or spec.description,
            show=spec.show and bool(spec.label), id=spec.id, tooltip=spec.description, priority=spec.priority,
        )
        for spec in APP_KEYS
        if spec.scope == scope and (actions is None or spec.id in actions)
    ]
