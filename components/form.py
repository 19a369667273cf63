"""Form pieces: a visible label tied to its control, and a labelled field with help text under it.

A label is a real ``<label for=…>`` bound to the control's ``id``: screen readers announce it, clicking it focuses
the control, and tests find the control by it (``page.get_by_label("Company name")``). Radix inputs, text areas,
select triggers and switches all render a labelable element that carries the ``id`` given to them.
"""

from __future__ import annotations

from typing import Any

import reflex as rx


def hint_id(control_id: str) -> str:
    """The id of a field's help text; give it to the control as ``aria_describedby``."""
    return f"{control_id}-hint"


def field_label(text: Any, *, html_for: str, required: bool = False, **props: Any) -> rx.Component:
    """A visible label for the control whose id is ``html_for``."""
    parts: list[Any] = [text]
    if required:
        parts.append(rx.text(" (required)", as_="span", color_scheme="gray", weight="regular"))
    return rx.text(
        *parts,
        as_="label",
        size=props.pop("size", "2"),
        weight=props.pop("weight", "medium"),
        custom_attrs={"htmlFor": html_for},
        **props,
    )


def field(
    label: Any,
    control: rx.Component,
    *,
    control_id: str,
    hint: Any = "",
    required: bool = False,
    **props: Any,
) -> rx.Component:
    """Label above the control, help text under it (the control gets ``id=control_id`` from the caller).

    When there is a hint, pass ``aria_describedby=hint_id(control_id)`` to the control so it is read with it.
    """
    children: list[rx.Component] = [field_label(label, html_for=control_id, required=required), control]
    if hint:
        children.append(rx.text(hint, size="1", color_scheme="gray", id=hint_id(control_id)))
    return rx.vstack(
        *children,
        spacing="1",
        align="stretch",
        width=props.pop("width", "100%"),
        **props,
    )
