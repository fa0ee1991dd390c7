"""Textual ``Binding`` objects built from the headless key table (``waitbuddy.keys``)."""

from __future__ import annotations

from textual.binding import Binding

from waitbuddy.keys import APP_KEYS


def bindings_for(scope: str) -> list[Binding]:
    return [
        Binding(
            spec.keys, spec.action, spec.label or spec.description, show=spec.show and bool(spec.label),
            id=spec.id, tooltip=spec.description, priority=spec.priority,
        )
        for spec in APP_KEYS
        if spec.scope == scope
    ]
