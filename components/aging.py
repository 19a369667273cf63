"""Balance and aging per currency: a small table, one row per currency, the amounts right-aligned.

Rows are display rows shaped like ``state.account_view.BalanceRow`` (currency, balance, credit, current,
days_1_30, days_31_60, days_61_90, days_90_plus), each amount already formatted (a negative balance reads
"credit", never a bare minus). Reusable wherever receivables are shown by age (an account, the command center).
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from components.table import Column, ColumnSpec, data_table
from components.ui import empty_text

AGING_COLUMNS: list[ColumnSpec] = [
    "Currency",
    Column("Balance", align="right"),
    Column("Current", align="right"),
    # Short headers so seven columns fit a detail page's main column; the caption says they are days past due.
    Column("1–30", align="right"),
    Column("31–60", align="right"),
    Column("61–90", align="right"),
    Column("90+", align="right"),
]


def _amount(value: Any, *, strong: bool = False) -> rx.Component:
    return rx.text(value, size="2", weight="bold" if strong else "regular")


def aging_cells(row: Any) -> list[rx.Component]:
    """The cells of one currency's row under ``AGING_COLUMNS``: the balance in green words when it is a credit."""
    return [
        rx.text(row.currency, size="2", weight="medium"),
        rx.text(
            row.balance,
            size="2",
            weight="bold",
            color_scheme=rx.cond(row.credit, "green", "gray"),  # type: ignore[arg-type]
            high_contrast=True,
        ),
        _amount(row.current),
        _amount(row.days_1_30),
        _amount(row.days_31_60),
        _amount(row.days_61_90),
        _amount(row.days_90_plus),
    ]


def aging_table(
    rows: Any,
    *,
    caption: str = "Balance and aging by currency, in days past due",
    empty: str = "Nothing invoiced yet: no balance to show.",
    **props: Any,
) -> rx.Component:
    """The aging table of ``rows`` (one per currency), or ``empty`` when there are none. Days are days past due."""
    return data_table(
        AGING_COLUMNS,
        rows,
        aging_cells,
        caption=caption,
        empty=empty_text(empty),
        size="1",
        **props,
    )
