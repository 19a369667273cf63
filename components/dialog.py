"""The confirm dialog: a button that asks before something that cannot be undone, optionally with a reason.

The description names the consequence ("Void INV-0042? The contact will see it as void."). With ``reason=True``
the dialog holds a form with a labelled, required text area: ``on_confirm`` receives the form data
(``{"reason": "…"}``), and the browser refuses an empty reason before anything is sent.
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars.base import Var

from components.form import field

# Only one dialog is open at a time (Radix mounts the content of the open one only), so fixed ids are unique.
REASON_ID = "confirm-dialog-reason"
_CANCEL_ID = "confirm-dialog-cancel"
# After a reason form is submitted the dialog closes through its own Cancel button: the submit button cannot be
# the dialog's action button, which would close (and unmount the form) even when the browser refuses it.
_CLOSE = rx.call_script(f"document.getElementById('{_CANCEL_ID}')?.click()")


def confirm_dialog(
    trigger_label: Var[str] | str,
    *,
    title: Var[str] | str,
    description: Any,
    confirm_label: Var[str] | str,
    on_confirm: Any,
    reason: bool = False,
    reason_label: str = "Reason",
    reason_hint: str = "",
    color_scheme: str = "red",
    icon: str = "",
    trigger_variant: str = "soft",
    trigger_size: str = "1",
    **trigger_props: Any,
) -> rx.Component:
    """A trigger button and the alert dialog it opens (title, consequence, Cancel, then the confirm button).

    ``trigger_props`` go to the trigger button (``aria_label="Remove " + row.name`` where the label alone is
    ambiguous, ``id``, ``class_name``…).
    """
    trigger_children: list[Any] = [trigger_label]
    if icon:
        trigger_children.insert(0, rx.icon(icon, size=14, aria_hidden="true"))
    cancel = rx.alert_dialog.cancel(
        rx.button("Cancel", variant="soft", color_scheme="gray", type="button", id=_CANCEL_ID)
    )
    if reason:
        body: rx.Component = rx.form(
            rx.vstack(
                field(
                    reason_label,
                    rx.text_area(
                        id=REASON_ID,
                        name="reason",
                        required=True,
                        max_length=2000,
                        rows="3",
                        aria_describedby=f"{REASON_ID}-hint" if reason_hint else None,
                    ),
                    control_id=REASON_ID,
                    hint=reason_hint,
                    required=True,
                ),
                rx.flex(
                    cancel,
                    rx.button(confirm_label, type="submit", color_scheme=color_scheme),  # type: ignore[arg-type]
                    spacing="3",
                    justify="end",
                    wrap="wrap",
                ),
                spacing="4",
                align="stretch",
                margin_top="16px",
            ),
            on_submit=[*(on_confirm if isinstance(on_confirm, list) else [on_confirm]), _CLOSE],
        )
    else:
        body = rx.flex(
            cancel,
            rx.alert_dialog.action(
                rx.button(confirm_label, color_scheme=color_scheme, on_click=on_confirm)  # type: ignore[arg-type]
            ),
            spacing="3",
            justify="end",
            wrap="wrap",
            margin_top="16px",
        )
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.button(
                *trigger_children,
                variant=trigger_variant,  # type: ignore[arg-type]
                color_scheme=color_scheme,  # type: ignore[arg-type]
                size=trigger_size,  # type: ignore[arg-type]
                type="button",
                **trigger_props,
            )
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title(title),
            rx.alert_dialog.description(description, size="2"),
            body,
            max_width="440px",
        ),
    )


def confirm_button(label: Var[str] | str, **kwargs: Any) -> rx.Component:
    """The former name of :func:`confirm_dialog` (same arguments)."""
    return confirm_dialog(label, **kwargs)
