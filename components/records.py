"""Short lists of records inside another page (an account's latest invoices, its open tasks): a titled card with a
small table, "Latest 5 of 12" and a "View all 12" link to the full list (filtered by whatever the page is about).

Rows for ``record_summary`` are shaped like ``state.pages.RecordRow`` (href, ref, title, status_label,
status_color, detail): display strings only.
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars.base import Var

from components.badges import status_badge
from components.table import Column, data_table
from components.ui import empty_text, section_card


def view_all_link(total: Any, href: Var[str] | str, what: str) -> rx.Component:
    """ "View all 12" (named "View all 12 invoices of this account" for screen readers) while there are any."""
    count = total.to(str)
    return rx.cond(
        total > 0,
        rx.link("View all " + count, href=href, size="2", aria_label="View all " + count + f" {what}"),
    )


def summary_card(
    title: str,
    table: rx.Component,
    *,
    shown: Any,
    total: Any,
    list_href: Var[str] | str,
    what: str,
    **props: Any,
) -> rx.Component:
    """``table`` in a titled card (an h2), with "Latest 5 of 12" when it shows only part and "View all 12"."""
    return section_card(
        title,
        table,
        rx.hstack(
            rx.text(
                rx.cond(total > shown, "Latest " + shown.to(str) + " of " + total.to(str), ""),
                size="1",
                color_scheme="gray",
            ),
            view_all_link(total, list_href, what),
            justify="between",
            align="center",
            width="100%",
        ),
        **props,
    )


def record_cells(row: Any) -> list[rx.Component]:
    """Title (a link to the record), reference, status badge, detail (a date or an amount, right-aligned)."""
    return [
        rx.link(row.title, href=row.href, weight="medium"),
        rx.text(row.ref, size="2"),
        status_badge(row.status_label, row.status_color),
        rx.text(row.detail, size="2"),
    ]


def record_summary(
    title: str,
    rows: Any,
    total: Any,
    *,
    list_href: Var[str] | str,
    columns: tuple[str, str, str],
    empty: str,
    what: str = "",
    **props: Any,
) -> rx.Component:
    """The latest records of one kind: ``columns`` names the title, reference and detail columns
    (``("Title", "Requested", "Due")``); the status column sits between reference and detail."""
    what = what or f"{title.lower()} of this account"
    first, reference, detail = columns
    table = data_table(
        [first, reference, "Status", Column(detail, align="right")],
        rows,
        record_cells,
        caption=f"Latest {what}",
        empty=empty_text(empty),
        size="1",
    )
    shown = Var.create(rows).to(list).length()
    return summary_card(title, table, shown=shown, total=total, list_href=list_href, what=what, **props)
