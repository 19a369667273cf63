"""Customer portal: the account's document requests (``/portal/documents``), open ones first, soonest due first."""

from __future__ import annotations

from typing import Any

import reflex as rx

from components.badges import status_badge
from components.table import data_table, empty_state
from portal_app.pages.portal.frame import portal_list
from state.portal_documents import PortalDocumentsState

S = PortalDocumentsState

TITLE = "Documents — Customer portal"
DESCRIPTION = (
    "Documents the team asked your account for: what is still needed, what is in review, what is done."
)


def _row(row: Any) -> list[rx.Component]:
    return [
        rx.link(row.title, href=row.href, weight="bold", word_break="break-word"),
        status_badge(row.status, row.color),
        rx.text(row.due, size="2", white_space="nowrap"),
        rx.text(row.progress, size="2", white_space="nowrap"),
    ]


def portal_documents() -> rx.Component:
    return portal_list(
        S,
        "Documents",
        "Documents requested from " + S.account_name + ". Open requests come first, the soonest due first.",
        data_table(
            ["Request", "Status", "Due", "Items"],
            S.rows,
            _row,
            caption="Document requests",
            empty=empty_state(
                "No document requests.",
                "When the team needs documents from your account, the request appears here.",
                icon="folder-open",
            ),
        ),
    )
