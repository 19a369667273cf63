"""Customer portal: the account's statement (``/portal/statements``) for a chosen period, with aging, PDF and CSV,
and the statements the team shared."""

from __future__ import annotations

from typing import Any

import reflex as rx

from components.detail import page_header
from components.statements import activity, aging, balances, period_picker, shared_statements, statement_error
from portal_app.pages.portal.frame import portal_page
from state.portal_statements import PortalStatementsState
from state.statements import PORTAL_PRESETS

S: Any = PortalStatementsState

TITLE = "Statements — Customer portal"
DESCRIPTION = "Your account's statement: balances, invoices and payments over a period, with PDF and CSV."


def _page() -> rx.Component:
    return rx.vstack(
        page_header(
            "Statements",
            "Your account's balance over a period: invoices, payments and what is still open.",
            margin_bottom="0",
        ),
        period_picker(S, PORTAL_PRESETS, prefix="statement"),
        statement_error(S),
        rx.cond(
            S.has_statement,
            rx.vstack(balances(S), activity(S), aging(S), spacing="4", width="100%"),
        ),
        shared_statements(
            S.shared,
            S.shared_total,
            title="Statements from the team",
            description="Statements the team shared with your account, newest first.",
            empty="The team has not shared a statement with you yet.",
            id="shared-statements",
        ),
        spacing="4",
        width="100%",
    )


def portal_statements() -> rx.Component:
    return portal_page(S, _page())
