"""A labelled on/off switch with a line saying what the current position means (settings pages)."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars.base import Var

from components.form import field_label, hint_id


def switch_row(
    *,
    control_id: str,
    label: str,
    checked: Var[bool] | Any,
    on_change: Any,
    on_text: str,
    off_text: str,
    disabled: Var[bool] | Any = False,
) -> rx.Component:
    """``rx.switch`` tied to its label and described by the on/off text, which follows ``checked``."""
    return rx.hstack(
        rx.switch(
            checked=checked,
            on_change=on_change,
            disabled=disabled,
            id=control_id,
            size="3",
            aria_describedby=hint_id(control_id),
        ),
        rx.vstack(
            field_label(label, html_for=control_id),
            rx.text(
                rx.cond(checked, on_text, off_text), size="2", color_scheme="gray", id=hint_id(control_id)
            ),
            spacing="0",
            align="start",
        ),
        spacing="3",
        align="center",
    )
