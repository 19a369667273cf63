"""Staff statements (``/app/statements``): an account's statement for a period, its PDF and CSV, and sharing a
frozen copy with the account's contacts."""

from __future__ import annotations

from typing import Any

import reflex as rx

from components.detail import page_header
from components.dialog import confirm_dialog
from components.form import READABLE_PLACEHOLDER, field
from components.statements import activity, aging, balances, period_picker, shared_statements, statement_error
from components.table import empty_state
from portal_app import routes
from portal_app.pages.staff.frame import staff_frame
from state.statements import PRESETS, StatementsState

# Typed as Any: the class attributes are Vars in the page, which mypy cannot see.
S: Any = StatementsState

TITLE = "Statements — Customer Portal"
DESCRIPTION = "Account statements: balances, invoices and payments over a period, aging, PDF and CSV."


def _account_select() -> rx.Component:
    return field(
        "Account",
        rx.select.root(
            rx.select.trigger(
                id="statement-account",
                placeholder="Choose an account",
                class_name=READABLE_PLACEHOLDER,
                min_width="240px",
            ),
            rx.select.content(rx.foreach(S.account_choices, lambda a: rx.select.item(a.label, value=a.id))),
            value=S.account_id,
            on_change=S.choose_account,
        ),
        control_id="statement-account",
        width="auto",
    )


def _share() -> rx.Component:
    return rx.cond(
        S.can_share,
        confirm_dialog(
            S.share_label,
            title="Share this statement with " + S.account_name + "?",
            description=(
                "Its contacts with billing access will see the statement for "
                + S.period_label
                + " in their portal as it is now: the opening balance, every invoice and payment of the period, "
                "the closing balance and aging, with PDF and CSV. Later changes do not alter the shared copy."
            ),
            confirm_label=S.share_label,
            on_confirm=S.share,
            color_scheme="blue",
            icon="send",
            trigger_variant="solid",
            trigger_size="2",
            id="statement-share",
        ),
    )


def _statement() -> rx.Component:
    return rx.cond(
        S.account_id == "",
        rx.card(
            empty_state(
                "Choose an account",
                "Pick the customer account and the period: its statement shows here, ready to download or share.",
                icon="scroll-text",
            ),
            width="100%",
        ),
        rx.vstack(
            statement_error(S),
            rx.cond(
                S.has_statement,
                rx.vstack(
                    balances(S, _share()),
                    activity(S),
                    aging(S),
                    spacing="4",
                    width="100%",
                ),
            ),
            shared_statements(
                S.snapshots,
                S.snapshots_total,
                title="Shared with the account",
                description="Frozen copies its contacts with billing access see in their portal, newest first.",
                empty="No statement shared with this account yet.",
                id="statement-snapshots",
            ),
            spacing="4",
            width="100%",
        ),
    )


def statements_page() -> rx.Component:
    return staff_frame(
        S,
        rx.vstack(
            page_header(
                "Statements",
                "An account's balance over a period: invoices, payments, aging. Download it or share it with the "
                "account.",
                margin_bottom="0",
            ),
            rx.flex(
                _account_select(),
                period_picker(S, PRESETS, prefix="statement"),
                gap="16px",
                wrap="wrap",
                align="end",
                width="100%",
            ),
            _statement(),
            spacing="4",
            width="100%",
        ),
        back=routes.STAFF_STATEMENTS,
        back_label="Back to statements",
    )
