"""Approval requests for staff (``/app/approvals``): what the team asked customers to approve, and their answers."""

from __future__ import annotations

from typing import Any

import reflex as rx

from components.badges import status_badge
from components.table import data_table, empty_state, filter_select, filtered_empty, pager, search_box
from components.tasks import choice_filter
from components.ui import link_button
from portal_app import routes
from portal_app.pages.staff.frame import page_title, staff_frame
from portal_app.statuses import STATUS_TABLE
from state.approvals import ApprovalsListState

L = ApprovalsListState

TITLE = "Approvals — Customer Portal"
DESCRIPTION = (
    "Approval requests sent to customer accounts: search, filter by status and account, see answers."
)

NEW_APPROVAL = f"{routes.STAFF_APPROVALS}/{routes.NEW}"


def _cells(a: Any) -> list[rx.Component]:
    return [
        rx.link(a.title, href=a.href, weight="medium", class_name="approval-link"),
        rx.text(a.account_name, size="2"),
        status_badge(a.status_label, a.status_color),
        rx.text(rx.cond(a.due != "", a.due, "—"), size="2", white_space="nowrap"),
        rx.text(a.requested, size="2", white_space="nowrap"),
    ]


def _filters() -> rx.Component:
    return rx.flex(
        search_box(
            L.search, L.apply_search, "Search approvals", placeholder="Title", control_id="approval-search"
        ),
        filter_select(
            "Status",
            L.filter_values["status"],
            [("all", "All statuses"), *((v, label) for v, (label, _) in STATUS_TABLE["approval"].items())],
            lambda v: L.set_filter("status", v),
            "approval-filter-status",
        ),
        choice_filter(
            "Account",
            L.filter_values["account"],
            L.account_choices,
            lambda v: L.set_filter("account", v),
            "approval-filter-account",
            all_label="All accounts",
        ),
        rx.cond(L.filtered, rx.button("Clear filters", variant="ghost", on_click=L.clear_filters)),
        gap="16px",
        wrap="wrap",
        align="end",
    )


def approvals_page() -> rx.Component:
    request = rx.cond(
        L.can_request,
        link_button(rx.icon("plus", size=16, aria_hidden="true"), "Request approval", href=NEW_APPROVAL),
    )
    return staff_frame(
        L,
        rx.vstack(
            page_title("Approvals", eyebrow="Records", actions=request),
            rx.text(
                "Ask a customer to approve a change order, a proof or terms; their answer and its follow-up land here.",
                size="2",
                color_scheme="gray",
            ),
            _filters(),
            data_table(
                ["Request", "Account", "Status", "Due", "Requested"],
                L.rows,
                _cells,
                caption="Approval requests",
                empty=rx.cond(
                    L.filtered,
                    filtered_empty(L.clear_filters, title="No request matches."),
                    empty_state(
                        "No approval requests yet.",
                        "Ask a customer account to approve something.",
                        rx.cond(L.can_request, link_button("Request approval", href=NEW_APPROVAL)),
                        icon="badge-check",
                    ),
                ),
                id="approvals-table",
            ),
            pager(L.page_label, L.has_prev, L.has_next, L.prev_page, L.next_page),
            spacing="4",
            width="100%",
        ),
    )
