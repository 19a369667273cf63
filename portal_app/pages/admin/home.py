"""Platform operator area (placeholder). Operators never read workspace records."""

from __future__ import annotations

import reflex as rx

from components.layout import page_shell, placeholder_panel

TITLE = "Operator area — Customer Portal"
DESCRIPTION = "Platform operations for the Customer Portal service."


def operator_home() -> rx.Component:
    return page_shell(
        placeholder_panel(
            icon="server-cog",
            title="Operator area",
            body=(
                "Platform health and workspace administration for operators. "
                "It cannot read workspace records."
            ),
            note="Operator sign in coming soon",
        )
    )
