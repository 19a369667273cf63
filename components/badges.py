"""Status badges: the word of a status on its colour, from the one table in ``portal_app.statuses``.

Two ways in:
- ``status_badge(row.status_label, row.status_color)``: the state built the row with
  ``statuses.status_label/status_color`` (the usual way for list rows);
- ``status_badge_for("estimate", row.status)``: the raw enum value; the table is compiled into the page.
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars.base import Var

from portal_app.statuses import GREY, STATUS_TABLE, status_color, status_label


def status_badge(label: Var[str] | str, color: Var[str] | str = GREY, **props: Any) -> rx.Component:
    """A soft Radix badge showing ``label`` in colour scheme ``color`` (the word is always there)."""
    return rx.badge(
        label,
        color_scheme=color,  # type: ignore[arg-type]
        variant=props.pop("variant", "soft"),
        white_space="nowrap",
        **props,
    )


def status_badge_for(kind: str, value: Var[str] | str, **props: Any) -> rx.Component:
    """The badge of one status enum value, e.g. ``status_badge_for("contact", row.status)``.

    A plain string is looked up now; a Var is matched in the browser against the table for ``kind`` (an unknown
    value shows as itself, grey).
    """
    if not isinstance(value, Var):
        return status_badge(status_label(kind, value), status_color(kind, value), **props)
    table = STATUS_TABLE[kind]
    label = rx.match(value, *((v, text) for v, (text, _) in table.items()), value)
    color = rx.match(value, *((v, c) for v, (_, c) in table.items()), GREY)
    return status_badge(label, color, **props)
