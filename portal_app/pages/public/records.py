"""Public previews of the connected records (``/customer-portal/records/<kind>``): one static page per kind."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from components.layout import page_shell
from components.public import example_badge, example_table, icon_tile, workspace_cta
from components.ui import link_button
from portal_app import routes
from portal_app.pages.public.content import RECORDS, RECORDS_BY_KIND, RecordKind


def _fact(icon: str, label: str, body: str) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.icon(icon, size=16, color=rx.color("accent", 11)),
                rx.text(label, size="2", weight="bold"),
                spacing="2",
                align="center",
            ),
            rx.text(body, size="2", color_scheme="gray"),
            spacing="2",
            align="start",
        ),
        size="2",
    )


def _other_records(current: str) -> rx.Component:
    return rx.flex(
        rx.text("Other connected records:", size="2", color_scheme="gray"),
        *(
            rx.link(record.name, href=routes.record_route(record.kind), size="2")
            for record in RECORDS
            if record.kind != current
        ),
        rx.link("Module overview", href=routes.MODULE + "#records", size="2"),
        spacing="3",
        wrap="wrap",
        align="center",
    )


def _record_page(record: RecordKind) -> rx.Component:
    return page_shell(
        rx.vstack(
            rx.link(
                rx.hstack(rx.icon("arrow-left", size=14), rx.text("Customer Portal module"), spacing="1"),
                href=routes.MODULE,
                size="2",
            ),
            rx.hstack(
                icon_tile(record.icon),
                rx.heading(record.name, size=rx.breakpoints(initial="7", md="8"), as_="h1"),
                spacing="3",
                align="center",
            ),
            rx.text(record.description, size="4", color_scheme="gray", max_width="760px"),
            spacing="4",
            align="start",
        ),
        rx.grid(
            _fact("users", "What staff do", record.staff),
            _fact("user-round", "What the contact sees", record.contact),
            _fact("shield-alert", "What comes back", record.intake),
            columns=rx.breakpoints(initial="1", md="3"),
            spacing="4",
            width="100%",
            padding_top="32px",
        ),
        rx.card(
            rx.vstack(
                rx.flex(
                    rx.heading(f"{record.name} as a contact at Acme Logistics sees them", size="4", as_="h2"),
                    example_badge(),
                    justify="between",
                    align="center",
                    wrap="wrap",
                    spacing="2",
                    width="100%",
                ),
                example_table(record.columns, record.rows, id="record-example"),
                link_button(
                    rx.icon("play", size=16, flex_shrink="0"),
                    record.preview_label,
                    href=routes.preview_url(record.preview_step),
                    size="3",
                    # Long labels wrap on a phone instead of overflowing the button.
                    white_space="normal",
                    height="auto",
                    min_height="var(--space-7)",
                    padding_y="8px",
                    text_align="left",
                    id="record-preview-link",
                ),
                spacing="4",
                align="start",
                width="100%",
            ),
            size="3",
            width="100%",
            margin_top="32px",
        ),
        rx.box(_other_records(record.kind), padding_top="24px"),
        rx.box(workspace_cta(), padding_top="48px", width="100%"),
    )


def record_page(kind: str) -> Callable[[], rx.Component]:
    """The page function for one record kind (add_page takes a function without arguments)."""
    record = RECORDS_BY_KIND[kind]

    def page() -> rx.Component:
        return _record_page(record)

    page.__name__ = f"record_{kind.replace('-', '_')}"
    return page
