"""Form pieces: a visible label tied to its control, a labelled field with help text and error under it, and a
submit button that says the action.

A label is a real ``<label for=…>`` bound to the control's ``id``: screen readers announce it, clicking it focuses
the control, and tests find the control by it (``page.get_by_label("Company name")``). Radix inputs, text areas,
select triggers and switches all render a labelable element that carries the ``id`` given to them.

A field with a validation error::

    field(
        "Quantity",
        rx.input(name="quantity", default_value=S.quantity, **control_props("quantity", S.errors["quantity"], True)),
        control_id="quantity",
        hint="Up to 1,000,000.",
        error=S.errors["quantity"],
    )
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx
from reflex.vars.base import Var


def hint_id(control_id: str) -> str:
    """The id of a field's help text; give it to the control as ``aria_describedby``."""
    return f"{control_id}-hint"


def error_id(control_id: str) -> str:
    """The id of a field's error message; ``control_props`` points the control's ``aria-describedby`` at it."""
    return f"{control_id}-error"


def control_props(control_id: str, error: Var[Any] | str = "", has_hint: bool = False) -> dict[str, Any]:
    """``id``, ``aria_invalid`` and ``aria_describedby`` for a control: spread them into it (``**control_props(…)``).

    ``error`` is the field's message (a Var, possibly missing or empty, or a string): while it is non-empty the
    control is marked invalid and described by the message as well as by its hint.
    """
    described = [hint_id(control_id)] if has_hint else []
    with_error = " ".join([*described, error_id(control_id)])
    without_error = " ".join(described) or None
    if isinstance(error, Var):
        return {
            "id": control_id,
            "aria_invalid": rx.cond(error, "true", "false"),
            "aria_describedby": rx.cond(error, with_error, without_error),
        }
    props: dict[str, Any] = {"id": control_id, "aria_invalid": "true" if error else "false"}
    describedby = with_error if error else without_error
    if describedby:
        props["aria_describedby"] = describedby
    return props


def field_error(error: Var[Any] | str, *, control_id: str) -> rx.Component:
    """The message under a control, announced when it appears; nothing while ``error`` is empty."""

    def message(text: Any) -> rx.Component:
        return rx.text(
            rx.icon("circle-alert", size=14, aria_hidden="true", flex_shrink="0", margin_top="2px"),
            rx.el.span(text),
            size="1",
            color_scheme="red",
            role="alert",
            id=error_id(control_id),
            display="flex",
            gap="4px",
            align_items="start",
        )

    if isinstance(error, Var):
        return rx.cond(error, message(error))
    return message(error) if error else rx.fragment()


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
    error: Var[Any] | str = "",
    **props: Any,
) -> rx.Component:
    """Label above the control, help text and then the error message under it.

    The control gets ``id=control_id`` from the caller; give it ``**control_props(control_id, error, has_hint)``
    (or at least ``aria_describedby=hint_id(control_id)`` when there is a hint) so it is read with both.
    """
    children: list[rx.Component] = [field_label(label, html_for=control_id, required=required), control]
    if hint:
        children.append(rx.text(hint, size="1", color_scheme="gray", id=hint_id(control_id)))
    if isinstance(error, Var) or error:
        children.append(field_error(error, control_id=control_id))
    return rx.vstack(
        *children,
        spacing="1",
        align="stretch",
        width=props.pop("width", "100%"),
        **props,
    )


def submit_button(label: Any, *, loading: Var[bool] | bool = False, **props: Any) -> rx.Component:
    """The form's submit button: its label says the action ("Share with Contoso Retail"); disabled while
    ``loading`` (and whenever ``disabled`` is) so a second click cannot send the form twice."""
    disabled: Any = loading
    if "disabled" in props:
        other = props.pop("disabled")
        disabled = Var.create(loading).bool() | Var.create(other).bool()
    return rx.button(
        label,
        type="submit",
        loading=loading,
        disabled=disabled,
        size=props.pop("size", "3"),
        **props,
    )


def control_field(
    label: Any,
    control: Callable[..., rx.Component],
    *,
    control_id: str,
    error: Var[Any] | str = "",
    hint: Any = "",
    required: bool = False,
    field_props: dict[str, Any] | None = None,
    **control_args: Any,
) -> rx.Component:
    """``field`` around ``control(**control_args)`` (``rx.input``, ``rx.text_area``…), the control given its id,
    invalid state and descriptions (``control_props``) from ``control_id``, ``error`` and ``hint``."""
    return field(
        label,
        control(**control_args, **control_props(control_id, error, bool(hint))),
        control_id=control_id,
        hint=hint,
        required=required,
        error=error,
        **(field_props or {}),
    )


def stacked_form(
    *children: rx.Component, on_submit: Any, spacing: str = "2", align: str | None = "start"
) -> rx.Component:
    """A small form: its fields and its submit button one under the other, full width (a task's "Assign",
    an answer with a note)."""
    stack: dict[str, Any] = {"spacing": spacing}
    if align is not None:
        stack["align"] = align
    return rx.form(rx.vstack(*children, **stack, width="100%"), on_submit=on_submit, width="100%")


# Radix draws a select's placeholder in gray step 10 (3.8:1): triggers with this class darken it to step 11 so it
# reads (and passes axe). The staff frame carries the rule once for every page.
READABLE_PLACEHOLDER = "readable-placeholder"
_PLACEHOLDER_RULE = (
    f".{READABLE_PLACEHOLDER}.{READABLE_PLACEHOLDER}[data-placeholder] .rt-SelectTriggerInner,"
    f".{READABLE_PLACEHOLDER}.{READABLE_PLACEHOLDER}[data-placeholder] .rt-SelectTriggerInner > span"
    "{color:var(--gray-11)}"
)


def readable_placeholder_style() -> rx.Component:
    return rx.el.style(_PLACEHOLDER_RULE)


def form_field(
    errors: Any,
    prefix: str,
    label: str,
    name: str,
    value: Any,
    *,
    hint: str = "",
    required: bool = False,
    **control: Any,
) -> rx.Component:
    """A form's named control (``widget=rx.text_area`` etc., ``rx.input`` by default) with its label, hint and the
    error ``errors[name]``; the id is ``<prefix>-<name>`` and ``value`` is what the form shows (kept on error)."""
    control_id = f"{prefix}-{name.replace('_', '-')}"
    error = errors[name]
    widget = control.pop("widget", rx.input)
    return field(
        label,
        widget(name=name, default_value=value, **control_props(control_id, error, bool(hint)), **control),
        control_id=control_id,
        hint=hint,
        required=required,
        error=error,
    )
