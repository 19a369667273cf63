"""Pieces of the public pages: section headings, icon cards, example tables and the call to action.

Everything arrives as plain values; nothing here reads a workspace.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from components.badges import status_badge
from components.ui import link_button, server_button
from portal_app import routes
from portal_app.statuses import example_status_color

# Records shown on the public pages are never real: say so wherever they appear.
EXAMPLE_LABEL = "Example data"


def example_badge(**props: Any) -> rx.Component:
    return rx.badge(
        rx.icon("flask-conical", size=12), EXAMPLE_LABEL, variant="outline", color_scheme="gray", **props
    )


def icon_tile(icon: str, *, size: int = 20) -> rx.Component:
    return rx.center(
        rx.icon(icon, size=size, color=rx.color("accent", 11)),
        min_width="40px",
        width="40px",
        height="40px",
        border_radius="10px",
        background_color=rx.color("accent", 3),
    )


def section(
    heading: str, *children: rx.Component, intro: str = "", eyebrow: str = "", **props: Any
) -> rx.Component:
    """One titled band of a public page."""
    head: list[rx.Component] = []
    if eyebrow:
        head.append(rx.text(eyebrow, size="2", weight="bold", color=rx.color("accent", 11), trim="both"))
    head.append(rx.heading(heading, size=rx.breakpoints(initial="6", md="7"), as_="h2"))
    if intro:
        head.append(rx.text(intro, size="3", color_scheme="gray", max_width="760px"))
    return rx.el.section(
        rx.vstack(
            rx.vstack(*head, spacing="2", align="start"),
            *children,
            spacing="5",
            width="100%",
            align="stretch",
        ),
        padding_top="56px",
        width="100%",
        **props,
    )


def icon_card(icon: str, title: str, body: str, *children: rx.Component, **props: Any) -> rx.Component:
    return rx.card(
        rx.vstack(
            icon_tile(icon),
            rx.heading(title, size="4", as_="h3"),
            rx.text(body, size="2", color_scheme="gray"),
            *children,
            spacing="3",
            align="start",
        ),
        size="3",
        **props,
    )


def card_grid(*cards: rx.Component, md: str = "3", **props: Any) -> rx.Component:
    return rx.grid(
        *cards,
        columns=rx.breakpoints(initial="1", sm="2", md=md),
        spacing="4",
        width="100%",
        **props,
    )


def numbered(number: int, title: str, body: str) -> rx.Component:
    return rx.hstack(
        rx.center(
            rx.text(str(number), size="2", weight="bold", color=rx.color("accent", 11)),
            min_width="28px",
            height="28px",
            border_radius="9999px",
            background_color=rx.color("accent", 4),
        ),
        rx.vstack(
            rx.text(title, size="3", weight="bold"),
            rx.text(body, size="2", color_scheme="gray"),
            spacing="1",
            align="start",
        ),
        spacing="3",
        align="start",
    )


def example_table(columns: tuple[str, ...], rows: tuple[tuple[str, ...], ...], **props: Any) -> rx.Component:
    """A small table of example rows (the last column is a status badge); a list of cards on a phone."""

    def status(text: str) -> rx.Component:
        return status_badge(text, example_status_color(text))

    table = rx.table.root(
        rx.table.header(
            rx.table.row(*(rx.table.column_header_cell(name, white_space="nowrap") for name in columns))
        ),
        rx.table.body(
            *(
                rx.table.row(*(rx.table.cell(cell) for cell in row[:-1]), rx.table.cell(status(row[-1])))
                for row in rows
            )
        ),
        size="2",
        variant="surface",
        width="100%",
        display=rx.breakpoints(initial="none", sm="table"),
    )
    cards = rx.vstack(
        *(
            rx.box(
                rx.hstack(
                    rx.text(row[0], size="2", weight="bold"),
                    status(row[-1]),
                    justify="between",
                    align="start",
                    spacing="2",
                    width="100%",
                ),
                *(
                    rx.text(f"{name}: {cell}", size="2", color_scheme="gray")
                    for name, cell in zip(columns[1:-1], row[1:-1], strict=True)
                ),
                border=f"1px solid {rx.color('gray', 5)}",
                border_radius="8px",
                padding="10px 12px",
                width="100%",
                class_name="example-row",
            )
            for row in rows
        ),
        spacing="2",
        width="100%",
        display=rx.breakpoints(initial="flex", sm="none"),
    )
    return rx.box(table, cards, width="100%", **props)


def workspace_cta(*, preview_link: bool = True, **props: Any) -> rx.Component:
    """How to get a workspace, with the staff sign-in that leads to onboarding."""
    return rx.card(
        rx.flex(
            rx.vstack(
                rx.heading("Get a workspace", size="6", as_="h2"),
                rx.text(
                    "Sign in with Google and create your company's workspace in a minute. Invite up to 5 more "
                    "members as owner, manager, team lead or finance/admin reviewer, turn on the Customer Portal "
                    "module and invite the contacts of your customer accounts. Your data is kept per workspace: "
                    "no other company, and no platform operator, can read your records.",
                    size="3",
                    color_scheme="gray",
                ),
                spacing="2",
                align="start",
                max_width="640px",
            ),
            rx.flex(
                server_button(
                    "Sign in with Google",
                    routes.sign_in_url("staff", routes.ONBOARDING),
                    icon="log-in",
                    size="3",
                    id="cta-sign-in",
                ),
                *(
                    [link_button("Try the preview first", href=routes.PREVIEW, variant="outline", size="3")]
                    if preview_link
                    else []
                ),
                spacing="3",
                wrap="wrap",
            ),
            direction=rx.breakpoints(initial="column", md="row"),
            justify="between",
            align=rx.breakpoints(initial="start", md="center"),
            spacing="5",
        ),
        size="4",
        width="100%",
        background_color=rx.color("accent", 2),
        **props,
    )
