"""Customer portal home (``/portal``): what waits for the contact's decision first, then the areas they may see."""

from __future__ import annotations

from typing import Any

import reflex as rx

from components.branding import welcome_message
from components.ui import named_icon, section_card
from portal_app import routes
from portal_app.pages.portal.frame import portal_page
from state.portal import GLANCE_ICONS, AreaRow, BalanceRow, DueRow, PortalHomeState, WaitingRow

S = PortalHomeState

TITLE = "Customer portal — Customer Portal"
DESCRIPTION = "Where customer contacts see what was shared with their account and respond to it."


def _area(area: AreaRow) -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.center(
                rx.match(
                    area.key,
                    ("billing", rx.icon("receipt", size=18)),
                    ("operations", rx.icon("clipboard-check", size=18)),
                    ("documents", rx.icon("file-text", size=18)),
                    rx.icon("message-circle", size=18),
                ),
                min_width="36px",
                height="36px",
                border_radius="10px",
                background_color=rx.cond(area.allowed, rx.color("accent", 3), rx.color("gray", 3)),
                color=rx.cond(area.allowed, rx.color("accent", 11), rx.color("gray", 9)),
            ),
            rx.vstack(
                rx.hstack(
                    rx.text(area.title, size="3", weight="bold"),
                    rx.cond(
                        area.allowed,
                        rx.badge("Shared with you", color_scheme="teal", variant="soft"),
                        rx.badge("Not shared", color_scheme="gray", variant="outline"),
                    ),
                    spacing="2",
                    align="center",
                    wrap="wrap",
                ),
                rx.text(area.body, size="2", color_scheme="gray"),
                spacing="1",
                align="start",
            ),
            spacing="3",
            align="start",
        ),
        # Areas that are not shared look quieter through their grey icon and badge, not by fading the card:
        # faded text would fall under the readable contrast minimum.
        class_name="portal-area",
    )


def _waiting_item(row: WaitingRow) -> rx.Component:
    return rx.el.li(
        rx.vstack(
            rx.link(row.title, href=row.href, size="3", weight="bold"),
            rx.cond(row.detail != "", rx.text(row.detail, size="2", color_scheme="gray")),
            rx.cond(row.deadline != "", rx.badge(row.deadline, color_scheme="amber", variant="soft")),
            spacing="1",
            align="start",
        ),
        padding_y="10px",
        border_top=f"1px solid {rx.color('gray', 4)}",
        list_style="none",
    )


def _waiting_group(title: str, count: Any, rows: Any, href: str, more: str, none: str) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.heading(title, size="3", as_="h3"),
            rx.badge(count.to_string(), color_scheme=rx.cond(count > 0, "amber", "gray"), variant="solid"),
            spacing="2",
            align="center",
        ),
        rx.cond(
            count > 0,
            rx.el.ul(rx.foreach(rows, _waiting_item), margin="0", padding="0", width="100%"),
            rx.text(none, size="2", color_scheme="gray"),
        ),
        rx.link(more, href=href, size="2", weight="medium"),
        spacing="2",
        align="start",
        width="100%",
    )


def _waiting() -> rx.Component:
    return section_card(
        "Waiting for your decision",
        rx.text(
            rx.cond(
                S.waiting_total > 0,
                rx.cond(
                    S.waiting_total == 1,
                    "One item needs your answer. The nearest deadline comes first.",
                    S.waiting_total.to_string()
                    + " items need your answer. The nearest deadlines come first.",
                ),
                "Nothing needs your answer right now.",
            ),
            size="2",
            id="waiting-summary",
        ),
        rx.grid(
            _waiting_group(
                "Estimates",
                S.estimates_waiting,
                S.waiting_estimates,
                routes.PORTAL_ESTIMATES,
                "All estimates",
                "No estimate waits for you.",
            ),
            _waiting_group(
                "Approvals",
                S.approvals_waiting,
                S.waiting_approvals,
                routes.PORTAL_APPROVALS,
                "All approval requests",
                "No approval request waits for you.",
            ),
            columns=rx.breakpoints(initial="1", sm="2"),
            gap="24px",
            width="100%",
        ),
        id="waiting",
    )


def _due_item(row: DueRow) -> rx.Component:
    return rx.el.li(
        rx.flex(
            rx.vstack(
                rx.link(row.number, href=row.href, size="3", weight="bold"),
                rx.badge(
                    row.due,
                    color_scheme=rx.cond(row.overdue, "red", "gray"),
                    variant="soft",
                ),
                spacing="1",
                align="start",
            ),
            rx.vstack(
                rx.text("Balance", size="1", color_scheme="gray"),
                rx.text(row.balance, size="3", weight="bold", font_variant_numeric="tabular-nums"),
                spacing="0",
                align="end",
            ),
            justify="between",
            align="center",
            gap="12px",
            wrap="wrap",
        ),
        padding_y="10px",
        border_top=f"1px solid {rx.color('gray', 4)}",
        list_style="none",
    )


def _balance(row: BalanceRow) -> rx.Component:
    return rx.vstack(
        rx.text("Balance due in ", row.currency, size="1", color_scheme="gray", weight="medium"),
        rx.text(row.amount, size="5", weight="bold", font_variant_numeric="tabular-nums"),
        rx.text(row.detail, size="2", color_scheme="gray"),
        spacing="1",
        align="start",
        class_name="portal-balance",
    )


def _billing() -> rx.Component:
    return section_card(
        "Invoices due",
        rx.cond(
            S.invoices_due > 0,
            rx.vstack(
                rx.flex(rx.foreach(S.balances, _balance), gap="24px", wrap="wrap"),
                rx.text(
                    rx.cond(
                        S.invoices_overdue > 0,
                        rx.cond(
                            S.invoices_overdue == 1,
                            "One invoice is overdue. The most overdue come first.",
                            S.invoices_overdue.to_string()
                            + " invoices are overdue. The most overdue come first.",
                        ),
                        "Nothing is overdue. The next due come first.",
                    ),
                    size="2",
                    id="invoices-due-summary",
                ),
                rx.el.ul(rx.foreach(S.due_rows, _due_item), margin="0", padding="0", width="100%"),
                spacing="3",
                align="stretch",
                width="100%",
            ),
            rx.text("Nothing to pay right now.", size="2", id="invoices-due-summary"),
        ),
        rx.flex(
            rx.link("All invoices", href=routes.PORTAL_INVOICES, size="2", weight="medium"),
            rx.link("Statements", href=routes.PORTAL_STATEMENTS, size="2", weight="medium"),
            gap="16px",
            wrap="wrap",
        ),
        id="invoices-due",
    )


def _glance_tile(row: Any) -> rx.Component:
    return rx.link(
        rx.card(
            rx.hstack(
                named_icon(row.icon, GLANCE_ICONS, size=20, color=rx.color("accent", 11)),
                rx.vstack(
                    rx.text(row.label, size="2", weight="medium"),
                    rx.text(row.detail, size="1", color_scheme="gray"),
                    spacing="0",
                    align="start",
                ),
                rx.spacer(),
                rx.text(row.count.to_string(), size="6", weight="bold", font_variant_numeric="tabular-nums"),
                align="center",
                spacing="3",
                width="100%",
            ),
            width="100%",
        ),
        href=row.href,
        underline="none",
        color="inherit",
        aria_label=row.label + ": " + row.count.to_string(),
        class_name="portal-glance",
    )


def _glance() -> rx.Component:
    return rx.el.nav(
        rx.grid(
            rx.foreach(S.glance, _glance_tile),
            columns=rx.breakpoints(initial="1", sm="2", md="3"),
            gap="12px",
            width="100%",
        ),
        aria_label="At a glance",
        id="glance",
        width="100%",
    )


def _home() -> rx.Component:
    return rx.vstack(
        rx.vstack(
            rx.text("Customer portal", size="1", color_scheme="gray", weight="medium"),
            rx.heading(S.account_name, size="7", as_="h1", id="account-name"),
            spacing="1",
            align="start",
        ),
        welcome_message(S.welcome_text),
        _glance(),
        rx.cond(S.operations, _waiting()),
        rx.cond(S.billing, _billing()),
        section_card(
            "What you can see here",
            rx.grid(
                rx.foreach(S.areas, _area),
                columns=rx.breakpoints(initial="1", sm="2"),
                gap="12px",
                width="100%",
            ),
            description="The team shares records with your account; you see only the areas below that are on.",
            id="areas",
        ),
        spacing="6",
        width="100%",
    )


def portal_home() -> rx.Component:
    return portal_page(S, _home())
