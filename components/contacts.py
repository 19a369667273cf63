"""An account's contacts as a list that fits a narrow column (a record page's aside): name, status, what each may
see in the portal, and the actions a member may take on them (invite, deactivate behind a confirm, reactivate).

Rows are shaped like ``state.accounts.ContactRow`` (id, name, email, status, status_label, status_color, billing,
operations, documents, reminders_off). Handlers arrive as arguments and are called with the contact's id; the
state re-checks the contact on every call.
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars.base import Var

from components.badges import status_badge
from components.reminders import reminders_off_badge
from components.ui import confirm_button, empty_text, flag_badge


def _actions(
    c: Any, *, portal_enabled: Any, on_invite: Any, on_deactivate: Any, on_reactivate: Any
) -> rx.Component:
    return rx.flex(
        rx.cond(
            c.status == "deactivated",
            rx.button(
                "Reactivate",
                size="1",
                variant="soft",
                on_click=on_reactivate(c.id),
                aria_label="Reactivate " + c.name,
            ),
            rx.fragment(
                rx.cond(
                    portal_enabled,
                    rx.button(
                        rx.icon("mail", size=12, aria_hidden="true"),
                        "Invite to portal",
                        size="1",
                        variant="soft",
                        on_click=on_invite(c.id),
                        class_name="invite-contact",
                        aria_label="Invite to portal: " + c.name,
                    ),
                ),
                confirm_button(
                    "Deactivate",
                    title="Deactivate this contact?",
                    description="Their portal sessions, invitations and sign-in links end at once.",
                    confirm_label="Deactivate",
                    on_confirm=on_deactivate(c.id),
                    aria_label="Deactivate " + c.name,
                ),
            ),
        ),
        gap="8px",
        wrap="wrap",
    )


def contact_list(
    rows: Any,
    *,
    can_manage: Var[bool] | bool,
    portal_enabled: Var[bool] | bool,
    on_invite: Any,
    on_deactivate: Any,
    on_reactivate: Any,
    empty: str = "No contacts for this account yet.",
    **props: Any,
) -> rx.Component:
    """One list item per contact; the actions only while ``can_manage``."""

    def item(c: Any) -> rx.Component:
        return rx.el.li(
            rx.vstack(
                rx.flex(
                    rx.text(c.name, size="2", weight="medium"),
                    status_badge(c.status_label, c.status_color),
                    reminders_off_badge(c.reminders_off),
                    gap="6px",
                    align="center",
                    wrap="wrap",
                ),
                rx.text(c.email, size="1", color_scheme="gray", overflow_wrap="anywhere"),
                rx.flex(
                    rx.text("May see", size="1", color_scheme="gray"),
                    flag_badge("Billing", c.billing),
                    flag_badge("Operations", c.operations),
                    flag_badge("Documents", c.documents),
                    gap="4px",
                    align="center",
                    wrap="wrap",
                ),
                rx.cond(
                    can_manage,
                    _actions(
                        c,
                        portal_enabled=portal_enabled,
                        on_invite=on_invite,
                        on_deactivate=on_deactivate,
                        on_reactivate=on_reactivate,
                    ),
                ),
                spacing="2",
                align="start",
                width="100%",
            ),
            padding_y="10px",
            border_bottom=f"1px solid {rx.color('gray', 5)}",
        )

    return rx.cond(
        Var.create(rows).to(list).length() > 0,
        rx.el.ul(rx.foreach(rows, item), list_style="none", margin="0", padding="0", **props),
        empty_text(empty),
    )
