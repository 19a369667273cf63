"""Customer portal: one delivery (``/portal/deliveries/[id]``): its status (a problem or a delay marked), expected
date, carrier and tracking reference, and its timeline as an ordered list, newest first. Readable at 390 px."""

from __future__ import annotations

from typing import Any

import reflex as rx

from components.deliveries import TEXT, delivery_badge, delivery_timeline
from components.thread import record_thread
from components.ui import section_card
from portal_app import routes
from portal_app.pages.portal.frame import back_link, portal_page
from state.portal_deliveries import PortalDeliveryState

D: Any = PortalDeliveryState

TITLE = "Delivery — Customer portal"
DESCRIPTION = "One delivery for your account: its status, expected date and timeline."


def _fact(label: str, value: Any) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="1", color_scheme="gray"),
        rx.text(value, size="2", weight="medium", word_break="break-word"),
        spacing="0",
        min_width="140px",
    )


def portal_delivery() -> rx.Component:
    return portal_page(
        D,
        rx.vstack(
            back_link("All deliveries", routes.PORTAL_DELIVERIES),
            rx.flex(
                rx.heading(D.reference, size="7", as_="h1", word_break="break-word"),
                delivery_badge(D.status_label, D.status_color, D.status_icon, size="2"),
                align="center",
                gap="12px",
                wrap="wrap",
            ),
            rx.cond(D.description != "", rx.text(D.description, size="3", **TEXT)),
            rx.cond(
                D.exception,
                rx.callout(
                    rx.cond(
                        D.problem_note != "",
                        D.problem_note,
                        rx.cond(
                            D.status_icon == "clock-alert",
                            "This delivery is later than expected. The team will update the date here.",
                            "There is a problem with this delivery. The team is working on it.",
                        ),
                    ),
                    icon="triangle-alert",
                    color_scheme=D.status_color,
                    size="1",
                    width="100%",
                ),
            ),
            rx.card(
                rx.flex(
                    _fact("Expected", D.eta),
                    _fact("Carrier", rx.cond(D.carrier != "", D.carrier, "—")),
                    _fact("Tracking reference", rx.cond(D.tracking_ref != "", D.tracking_ref, "—")),
                    _fact("Last update", D.updated),
                    gap="16px",
                    wrap="wrap",
                ),
                size="2",
                width="100%",
            ),
            section_card(
                "Timeline",
                delivery_timeline(D.events),
                description="Newest first.",
                id="delivery-timeline",
            ),
            record_thread(D, noun="delivery"),
            spacing="4",
            width="100%",
            max_width="760px",
        ),
    )
