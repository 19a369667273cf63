"""Staff workspace home (placeholder until sign-in lands)."""

from __future__ import annotations

import reflex as rx

from components.layout import page_shell, placeholder_panel

TITLE = "Staff dashboard — Customer Portal"
DESCRIPTION = (
    "The workspace dashboard for your team: customer accounts, shared records, intake and follow-up tasks."
)


def staff_home() -> rx.Component:
    return page_shell(
        placeholder_panel(
            icon="layout-dashboard",
            title="Staff dashboard",
            body="Your team's accounts, shared records, review queue and follow-up tasks will live here.",
            note="Sign in coming soon",
        )
    )
