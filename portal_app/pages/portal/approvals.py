"""Customer portal: the account's approval requests (``/portal/approvals``), those waiting for an answer first."""

from __future__ import annotations

from typing import Any

import reflex as rx

from components.badges import status_badge
from components.table import data_table, empty_state
from portal_app.pages.portal.frame import portal_list
from state.portal_approvals import PortalApprovalsState

S = PortalApprovalsState

TITLE = "Approvals — Customer portal"
DESCRIPTION = "What the team asked your account to approve: answer each request with a yes or no."


def _row(row: Any) -> list[rx.Component]:
    return [
        rx.link(row.title, href=row.href, weight="bold"),
        status_badge(row.status, row.color),
        rx.text(row.when, size="2"),
    ]


def portal_approvals() -> rx.Component:
    return portal_list(
        S,
        "Approvals",
        "What the team asked " + S.account_name + " to approve. Open ones come first.",
        data_table(
            ["Request", "Status", "Date"],
            S.rows,
            _row,
            caption="Approval requests",
            empty=empty_state(
                "No approval requests yet.",
                "When the team asks your account to approve something, it appears here.",
                icon="badge-check",
            ),
        ),
    )
