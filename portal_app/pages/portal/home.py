"""Customer portal home (placeholder until contact sign-in lands)."""

from __future__ import annotations

import reflex as rx

from components.layout import page_shell, placeholder_panel

TITLE = "Customer portal — Customer Portal"
DESCRIPTION = "Where customer contacts see what was shared with their account and respond to it."


def portal_home() -> rx.Component:
    return page_shell(
        placeholder_panel(
            icon="folder-lock",
            title="Customer portal",
            body=(
                "Contacts invited by a workspace will see their shared estimates, invoices, statements and "
                "document requests here, and respond to them."
            ),
            note="Invitation sign in coming soon",
        )
    )
