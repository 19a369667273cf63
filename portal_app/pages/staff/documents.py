"""Staff document requests: the list (``/app/documents``); one request is ``document.py``, the form
``document_form.py``."""

from __future__ import annotations

from typing import Any

import reflex as rx

from components.badges import status_badge
from components.detail import page_header
from components.table import data_table, empty_state, filter_select, filtered_empty, pager
from components.tasks import choice_filter
from components.ui import link_button
from portal_app import routes
from portal_app.pages.staff.frame import staff_frame
from portal_app.statuses import status_options
from state.documents import DocumentsListState

# Typed as Any: the class attributes are Vars in the page, which mypy cannot see.
L: Any = DocumentsListState

TITLE = "Document requests — Customer Portal"
DESCRIPTION = (
    "Documents your team asked customer accounts for: what is missing, in review, overdue or complete."
)
NEW_HREF = f"{routes.STAFF_DOCUMENTS}/{routes.NEW}"


def new_request_button(**props: Any) -> rx.Component:
    return link_button(rx.icon("plus", size=16, aria_hidden="true"), "New request", href=NEW_HREF, **props)


def _row_cells(row: Any) -> list[Any]:
    return [
        rx.link(row.title, href=row.href, weight="medium", class_name="document-request-link"),
        rx.text(row.account, size="2"),
        status_badge(row.status_label, row.status_color),
        rx.text(row.due, size="2", white_space="nowrap", color_scheme=rx.cond(row.overdue, "red", "gray")),
        rx.vstack(
            rx.text(row.progress, size="2", white_space="nowrap", font_variant_numeric="tabular-nums"),
            rx.cond(row.waiting != "", rx.text(row.waiting, size="1", color_scheme="blue")),
            spacing="0",
        ),
    ]


def _filters() -> rx.Component:
    return rx.flex(
        filter_select(
            "Status",
            L.filter_values["status"],
            [("all", "All statuses"), ("past_due", "Past due"), *status_options("document_request")],
            lambda v: L.set_filter("status", v),
            "documents-filter-status",
        ),
        choice_filter(
            "Account",
            L.filter_values["account"],
            L.account_choices,
            lambda v: L.set_filter("account", v),
            "documents-filter-account",
            all_label="All accounts",
        ),
        filter_select(
            "Order",
            L.filter_values["order"],
            [("newest", "Newest first"), ("overdue", "Overdue first")],
            lambda v: L.set_filter("order", v),
            "documents-filter-order",
        ),
        rx.cond(L.filtered, rx.button("Clear filters", variant="ghost", on_click=L.clear_filters)),
        gap="16px",
        wrap="wrap",
        align="end",
        width="100%",
    )


def documents_page() -> rx.Component:
    return staff_frame(
        L,
        rx.vstack(
            page_header(
                "Document requests",
                "Ask an account for documents as a checklist; their contacts upload each file in the portal.",
                rx.cond(L.can_manage, new_request_button(size="3")),
                margin_bottom="0",
            ),
            _filters(),
            data_table(
                ["Request", "Account", "Status", "Due", "Items accepted"],
                L.rows,
                _row_cells,
                caption="Document requests",
                empty=rx.cond(
                    L.filtered,
                    filtered_empty(L.clear_filters, title="No request matches."),
                    empty_state(
                        "No document requests yet.",
                        "Ask an account for the documents you need: their contacts upload them in the portal.",
                        rx.cond(L.can_manage, new_request_button()),
                        icon="folder-open",
                    ),
                ),
                id="documents-table",
            ),
            pager(L.page_label, L.has_prev, L.has_next, L.prev_page, L.next_page),
            spacing="4",
            width="100%",
        ),
        back=routes.STAFF_DOCUMENTS,
        back_label="Back to document requests",
    )
