"""Customer portal: the account's invoices (``/portal/invoices``), those awaiting payment first by due date."""

from __future__ import annotations

from typing import Any

import reflex as rx

from components.badges import status_badge
from components.table import data_table, empty_state
from portal_app.pages.portal.frame import portal_list
from state.portal_invoices import PortalInvoicesState

S = PortalInvoicesState

TITLE = "Invoices — Customer portal"
DESCRIPTION = "Your account's invoices: what is due, what is overdue, and what is paid."


def _row(row: Any) -> list[rx.Component]:
    return [
        rx.link(row.number, href=row.href, weight="bold"),
        status_badge(row.status, row.color),
        rx.text(row.total),
        rx.text(row.balance, weight="medium"),
        rx.text(row.when, size="2"),
    ]


def portal_invoices() -> rx.Component:
    return portal_list(
        S,
        "Invoices",
        "Invoices for " + S.account_name + ". Those due and overdue come first.",
        data_table(
            ["Invoice", "Status", ("Total", "right"), ("Balance due", "right"), "Due"],
            S.rows,
            _row,
            caption="Invoices",
            empty=empty_state(
                "No invoices yet.",
                "When the team sends your account an invoice, it appears here.",
                icon="receipt",
            ),
        ),
    )
