"""The contact's answer to a record (an estimate, an approval request): one tab per decision while it is open,
and a callout saying why it is closed (with the note given) once it is not.

``decision_panel(open_, intro, tabs, closed_reason=…, decision_note=…, errors=…)`` with tabs built from
``note_form(…)`` (a decision that carries a note) or a page's own form. Vars and handlers come in as arguments.
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars.base import Var

from components.form import control_field, field_error, stacked_form, submit_button


def note_form(
    decision: str,
    label: str,
    hint: str,
    button: Any,
    color: str,
    *,
    errors: Any,
    on_submit: Any,
    required: bool = True,
) -> rx.Component:
    """A decision with a note: a hidden ``decision`` field, the ``<decision>_note`` text area and the submit.

    ``errors`` is the form's per-field error dict Var (``S.errors``)."""
    name = f"{decision}_note"
    return stacked_form(
        rx.el.input(type="hidden", name="decision", value=decision),
        control_field(
            label,
            rx.text_area,
            control_id=name.replace("_", "-"),
            error=errors[name],
            hint=hint,
            required=required,
            name=name,
            rows="4",
            max_length=4000,
        ),
        submit_button(button, color_scheme=color, width="100%"),  # type: ignore[arg-type]
        on_submit=on_submit,
        spacing="3",
        align=None,
    )


def closed_callout(closed_reason: Var[str], decision_note: Var[str]) -> rx.Component:
    """Why the record can no longer be answered, and the note given with the answer."""
    return rx.callout(
        rx.vstack(
            rx.text(closed_reason),
            rx.cond(decision_note != "", rx.text("Note: ", decision_note, white_space="pre-wrap")),
            spacing="2",
        ),
        icon="info",
        color_scheme="gray",
        id="decision-closed",
    )


def decision_panel(
    open_for_decision: Var[bool] | bool,
    tabs: list[tuple[str, str, rx.Component]],
    *,
    error: Var[Any] | str,
    closed_reason: Var[str],
    decision_note: Var[str],
    intro: rx.Component | None = None,
) -> rx.Component:
    """ "Your answer": one tab per decision ``(label, value, form)``, the first chosen, while ``open_for_decision``;
    otherwise the closed callout. ``error`` is the message for the choice of decision itself."""
    head: list[rx.Component] = [rx.heading("Your answer", size="4", as_="h2")]
    if intro is not None:
        head.append(intro)
    return rx.cond(
        open_for_decision,
        rx.card(
            rx.vstack(
                *head,
                field_error(error, control_id="decision"),
                rx.tabs.root(
                    rx.tabs.list(
                        *[rx.tabs.trigger(label, value=value) for label, value, _ in tabs], size="1"
                    ),
                    rx.box(
                        *[rx.tabs.content(form, value=value) for _, value, form in tabs],
                        padding_top="16px",
                    ),
                    default_value=tabs[0][1],
                    width="100%",
                ),
                spacing="3",
                width="100%",
            ),
            size="3",
            width="100%",
            id="decision",
        ),
        closed_callout(closed_reason, decision_note),
    )
