"""Customer portal: the account's shared estimates (``/portal/estimates``), those waiting for a decision first."""

from __future__ import annotations

from typing import Any

import reflex as rx

from components.badges import status_badge
from components.table import data_table, empty_state
from portal_app.pages.portal.frame import portal_list
from state.portal_estimates import PortalEstimatesState

S = PortalEstimatesState

TITLE = "Estimates — Customer portal"
DESCRIPTION = "The estimates the team shared with your account: approve, ask for changes or decline."


def _row(row: Any) -> list[rx.Component]:
    return [
        rx.vstack(
            rx.link(row.title, href=row.href, weight="bold"),
            rx.text(row.number, size="1", color_scheme="gray"),
            spacing="0",
            align="start",
        ),
        status_badge(row.status, row.color),
        rx.text(row.total),
        rx.text(row.when, size="2"),
    ]


def portal_estimates() -> rx.Component:
    return portal_list(
        S,
        "Estimates",
        "Estimates shared with " + S.account_name + ". Those waiting for you come first.",
        data_table(
            ["Estimate", "Status", ("Total", "right"), "Date"],
            S.rows,
            _row,
            caption="Estimates",
            empty=empty_state(
                "No estimates yet.",
                "When the team shares an estimate with your account, it appears here.",
                icon="file-text",
            ),
        ),
    )
