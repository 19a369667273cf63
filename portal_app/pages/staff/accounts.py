"""Customer accounts for staff (``/app/accounts``): search by name or code, one page at a time."""

from __future__ import annotations

from typing import Any

import reflex as rx

from components.table import data_table, empty_state, filtered_empty, pager, search_box
from portal_app.pages.staff.frame import page_title, staff_frame
from state.accounts import AccountsListState

L = AccountsListState

TITLE = "Customer accounts — Customer Portal"
DESCRIPTION = (
    "Your workspace's customer accounts: find one by name or code and open its contacts and records."
)
# -- list --------------------------------------------------------------------------------------------------------


def _account_cells(a: Any) -> list[rx.Component]:
    return [
        rx.link(a.name, href=a.href, weight="medium", class_name="account-link"),
        rx.code(a.code, variant="ghost"),
        rx.text(a.currency, size="2"),
    ]


def accounts_page() -> rx.Component:
    return staff_frame(
        L,
        rx.vstack(
            page_title("Customer accounts", eyebrow="Customers"),
            search_box(
                L.search,
                L.apply_search,
                "Search accounts",
                placeholder="Name or code",
                control_id="account-search",
            ),
            data_table(
                ["Account", "Code", "Currency"],
                L.rows,
                _account_cells,
                caption="Customer accounts",
                empty=rx.cond(
                    L.filtered,
                    filtered_empty(L.clear_filters, title="No account matches."),
                    empty_state("No customer accounts yet.", icon="building-2"),
                ),
                id="accounts-table",
            ),
            pager(L.page_label, L.has_prev, L.has_next, L.prev_page, L.next_page),
            spacing="4",
            width="100%",
        ),
    )
