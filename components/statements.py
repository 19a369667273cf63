"""Statement pieces shared by the staff and contact statement pages: the period picker, the balances, the activity
with its running balance, the aging buckets and the list of shared statements.

Everything arrives as arguments: ``S`` is the page's state class (its vars are read, its handlers bound), so this
module holds no state, services or database code.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import reflex as rx

from components.form import control_props, field, submit_button
from components.table import Column, data_table, empty_state
from components.ui import download_button, section_card


def period_picker(S: Any, presets: Sequence[tuple[str, str]], *, prefix: str) -> rx.Component:
    """A "Period" select of ``presets`` and, for custom dates, a start/end form with errors under each date."""
    select_id = f"{prefix}-period"

    def date_field(name: str, label: str) -> rx.Component:
        control_id = f"{prefix}-{name}"
        error = S.errors[name]
        return field(
            label,
            rx.input(
                type="date",
                name=name,
                default_value=getattr(S, name),
                key=getattr(S, name),
                required=True,
                **control_props(control_id, error),
            ),
            control_id=control_id,
            error=error,
            required=True,
            width="auto",
            min_width="180px",
        )

    custom = rx.form(
        rx.flex(
            date_field("start", "From"),
            date_field("end", "To"),
            submit_button("Show statement", size="2", variant="soft"),
            gap="12px",
            align="end",
            wrap="wrap",
        ),
        on_submit=S.apply_dates,
        aria_label="Custom statement period",
    )
    return rx.flex(
        field(
            "Period",
            rx.select.root(
                rx.select.trigger(id=select_id, min_width="180px"),
                rx.select.content(*(rx.select.item(label, value=key) for key, label in presets)),
                value=S.period,
                on_change=S.choose_period,
            ),
            control_id=select_id,
            width="auto",
        ),
        rx.cond(S.custom, custom),
        gap="16px",
        align="end",
        wrap="wrap",
        width="100%",
    )


def balances(S: Any, *actions: rx.Component) -> rx.Component:
    """Opening and closing balance of the period shown, with the download buttons (and any further action)."""

    def amount(label: str, value: Any, id_: str) -> rx.Component:
        return rx.vstack(
            rx.text(label, size="2", color_scheme="gray", weight="medium"),
            rx.text(value, size="6", weight="bold", font_variant_numeric="tabular-nums", id=id_),
            spacing="1",
            align="start",
        )

    return section_card(
        "Balance",
        rx.text("Period: ", S.period_label, " · amounts in ", S.currency, size="2", id="statement-period"),
        rx.flex(
            amount("Opening balance", S.opening, "statement-opening"),
            amount("Closing balance", S.closing, "statement-closing"),
            gap="32px",
            wrap="wrap",
        ),
        rx.flex(
            download_button("Download PDF", S.pdf_href, icon="file-down", id="statement-pdf"),
            download_button("Download CSV", S.csv_href, icon="sheet", id="statement-csv"),
            *actions,
            gap="8px",
            wrap="wrap",
        ),
        id="statement-balance",
    )


def _activity_cells(row: Any) -> list[Any]:
    return [
        rx.text(row.on, size="2", white_space="nowrap"),
        rx.text(row.kind, size="2"),
        rx.text(row.reference, size="2", white_space="nowrap"),
        rx.text(row.description, size="2"),
        rx.text(row.debit, size="2"),
        rx.text(row.credit, size="2"),
        rx.text(row.balance, size="2", weight="medium"),
    ]


def activity(S: Any) -> rx.Component:
    return section_card(
        "Activity",
        data_table(
            [
                "Date",
                "Kind",
                "Reference",
                "Description",
                Column("Debit", "right"),
                Column("Credit", "right"),
                Column("Balance", "right"),
            ],
            S.activity,
            _activity_cells,
            caption="Invoices and payments in the period, with the running balance",
            empty=rx.text("No invoices or payments in this period.", size="2", color_scheme="gray"),
            id="statement-activity",
        ),
        description="Invoices and payments in the period, oldest first; the balance runs from the opening balance.",
    )


def aging(S: Any) -> rx.Component:
    return section_card(
        "Aging",
        data_table(
            ["Days past due", Column("Amount", "right")],
            S.aging,
            lambda row: [rx.text(row.label, size="2"), rx.text(row.amount, size="2")],
            caption="Unpaid amounts by days past due at the end of the period",
            empty=rx.fragment(),
            stack_on_phone=False,
            id="statement-aging",
        ),
        rx.hstack(
            rx.text("Total outstanding", size="2", weight="bold"),
            rx.text(S.aging_total, size="2", weight="bold", font_variant_numeric="tabular-nums"),
            justify="between",
            width="100%",
            padding_x="12px",
        ),
        description="What is unpaid at the end of the period, by how many days past its due date.",
    )


def _snapshot_cells(row: Any) -> list[Any]:
    return [
        rx.text(row.period, size="2"),
        rx.text(row.shared, size="2", title=row.shared_exact, white_space="nowrap"),
        rx.text(row.shared_by, size="2"),
        rx.text(row.closing, size="2"),
        rx.flex(
            download_button(
                "PDF", row.pdf_href, icon="file-down", size="1", aria_label="Download PDF of " + row.period
            ),
            download_button(
                "CSV", row.csv_href, icon="sheet", size="1", aria_label="Download CSV of " + row.period
            ),
            gap="6px",
            wrap="wrap",
        ),
    ]


def shared_statements(
    rows: Any, total: Any, *, title: str, description: str, empty: str, **props: Any
) -> rx.Component:
    """The statements shared with an account (frozen copies), newest first, each with its PDF and CSV."""
    return section_card(
        title,
        data_table(
            [
                "Period",
                "Shared",
                "Shared by",
                Column("Closing balance", "right"),
                Column("Files", hide_label=True),
            ],
            rows,
            _snapshot_cells,
            caption=title,
            empty=empty_state(empty, icon="scroll-text"),
        ),
        rx.cond(
            total > rows.length(),
            rx.text("The ", rows.length().to_string(), " newest of ", total.to_string(), ".", size="2"),
        ),
        description=description,
        **props,
    )


def statement_error(S: Any) -> rx.Component:
    """A period that could not be shown (its field errors are under the dates)."""
    return rx.cond(
        S.errors["end"] | S.errors["start"],
        rx.callout(
            "Fix the period's dates to see the statement.", icon="calendar-x", color_scheme="amber", size="1"
        ),
    )


__all__ = ["activity", "aging", "balances", "period_picker", "shared_statements", "statement_error"]
