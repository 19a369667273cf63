"""Staff invoices: the list (``/app/invoices``); one invoice is ``invoice.py``, the draft form
``invoice_form.py``."""

from __future__ import annotations

from typing import Any

import reflex as rx

from components.badges import status_badge
from components.detail import page_header
from components.table import Column, data_table, empty_state, filter_select, filtered_empty, pager, search_box
from components.tasks import choice_filter
from components.ui import download_button, link_button
from portal_app import routes
from portal_app.pages.staff.frame import staff_frame
from portal_app.statuses import status_options
from state.invoices import InvoicesListState

# Typed as Any: the class attributes are Vars in the page, which mypy cannot see.
L: Any = InvoicesListState

TITLE = "Invoices — Customer Portal"
DESCRIPTION = "Your workspace's invoices: find one, bill an account, record payments, see the proofs sent."
NEW_HREF = f"{routes.STAFF_INVOICES}/{routes.NEW}"
MONEY = {"font_variant_numeric": "tabular-nums", "white_space": "nowrap"}


def _new_button(**props: Any) -> rx.Component:
    return link_button(rx.icon("plus", size=16, aria_hidden="true"), "New invoice", href=NEW_HREF, **props)


def amount(value: Any) -> rx.Component:
    return rx.text(value, size="2", **MONEY)


# -- list ------------------------------------------------------------------------------------------------------


def _row_cells(row: Any) -> list[Any]:
    return [
        rx.link(row.number, href=row.href, weight="medium", class_name="invoice-link", white_space="nowrap"),
        rx.text(row.account, size="2"),
        status_badge(row.status_label, row.status_color),
        rx.text(row.issued, size="2", white_space="nowrap"),
        rx.text(row.due, size="2", white_space="nowrap", color_scheme=rx.cond(row.overdue, "red", "gray")),
        amount(row.total),
        amount(row.balance),
    ]


def _filters() -> rx.Component:
    return rx.flex(
        search_box(
            L.search,
            L.apply_search,
            "Search invoices",
            placeholder="Number or account",
            control_id="invoice-search",
        ),
        filter_select(
            "Status",
            L.filter_values["status"],
            [
                ("all", "All statuses"),
                ("overdue", "Overdue"),
                ("due_soon", "Due in 7 days"),
                *status_options("invoice"),
            ],
            lambda v: L.set_filter("status", v),
            "invoice-filter-status",
        ),
        choice_filter(
            "Account",
            L.filter_values["account"],
            L.account_choices,
            lambda v: L.set_filter("account", v),
            "invoice-filter-account",
            all_label="All accounts",
        ),
        filter_select(
            "Order",
            L.filter_values["order"],
            [("newest", "Newest first"), ("overdue", "Overdue first")],
            lambda v: L.set_filter("order", v),
            "invoice-filter-order",
        ),
        rx.cond(L.filtered, rx.button("Clear filters", variant="ghost", on_click=L.clear_filters)),
        gap="16px",
        wrap="wrap",
        align="end",
        width="100%",
    )


def invoices_page() -> rx.Component:
    actions = rx.flex(
        download_button("Download CSV", L.csv_href, size="3"),
        rx.cond(L.can_manage, _new_button(size="3")),
        gap="12px",
        wrap="wrap",
    )
    return staff_frame(
        L,
        rx.vstack(
            page_header(
                "Invoices",
                "Bill your customer accounts, record payments and see what is overdue.",
                actions,
                margin_bottom="0",
            ),
            _filters(),
            data_table(
                [
                    "Number",
                    "Account",
                    "Status",
                    "Issued",
                    "Due",
                    Column("Total", "right"),
                    Column("Balance", "right"),
                ],
                L.rows,
                _row_cells,
                caption="Invoices",
                empty=rx.cond(
                    L.filtered,
                    filtered_empty(L.clear_filters, title="No invoice matches."),
                    empty_state(
                        "No invoices yet.",
                        "Create one for an account: a draft stays with your team until you issue it.",
                        rx.cond(L.can_manage, _new_button()),
                        icon="receipt",
                    ),
                ),
                id="invoices-table",
            ),
            pager(L.page_label, L.has_prev, L.has_next, L.prev_page, L.next_page),
            spacing="4",
            width="100%",
        ),
        back=routes.STAFF_INVOICES,
        back_label="Back to invoices",
    )
