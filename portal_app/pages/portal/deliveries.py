"""Customer portal deliveries (``/portal/deliveries``): each shared delivery with its status and expected date,
problems and delays marked, as cards (phone first). One delivery is ``delivery.py``."""

from __future__ import annotations

from typing import Any

import reflex as rx

from components.deliveries import TEXT, delivery_badge
from components.table import empty_state
from portal_app.pages.portal.frame import portal_list
from state.portal_deliveries import PortalDeliveriesState

L: Any = PortalDeliveriesState

TITLE = "Deliveries — Customer portal"
DESCRIPTION = "Your account's deliveries: where each one is, when it is expected, and what happened so far."


def _card(row: Any) -> rx.Component:
    return rx.el.li(
        rx.card(
            rx.vstack(
                rx.flex(
                    rx.link(row.reference, href=row.href, weight="bold", size="3"),
                    delivery_badge(row.status_label, row.status_color, row.status_icon),
                    justify="between",
                    align="center",
                    gap="8px",
                    wrap="wrap",
                    width="100%",
                ),
                rx.cond(row.description != "", rx.text(row.description, size="2", **TEXT)),
                rx.text(
                    rx.text("Expected: ", as_="span", weight="medium"),
                    row.eta,
                    size="2",
                    color_scheme=rx.cond(row.status_icon == "clock-alert", "amber", "gray"),
                ),
                rx.cond(
                    row.latest != "",
                    rx.text("Latest: ", row.latest, size="2", color_scheme="gray", **TEXT),
                ),
                rx.text("Updated ", row.updated, size="1", color_scheme="gray", title=row.updated_exact),
                spacing="2",
                align="start",
                width="100%",
            ),
            size="2",
            width="100%",
        ),
        list_style="none",
    )


def portal_deliveries() -> rx.Component:
    return portal_list(
        L,
        "Deliveries",
        "Deliveries for " + L.account_name + ". A problem or a delay is marked.",
        rx.cond(
            L.rows.length() > 0,
            rx.el.ul(
                rx.foreach(L.rows, _card),
                aria_label="Deliveries",
                padding="0",
                margin="0",
                display="flex",
                flex_direction="column",
                gap="12px",
                width="100%",
            ),
            empty_state(
                "No deliveries yet.",
                "When the team shares a delivery with your account, you can follow it here.",
                icon="truck",
            ),
        ),
    )
