"""Delivery pieces shared by the staff and the portal pages: the status badge (a problem or a delay carries an icon
as well as its colour and word) and the timeline as an ordered list, newest first.

Rows are display rows built in ``state/delivery_rows.py`` (``status_label``, ``status_color``, ``status_icon``;
timeline rows also ``note``, ``changes``, ``when``, ``when_exact``, ``internal``, ``by``). Notes are the team's
text: shown as text, wrapped, never as HTML.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from components.badges import status_badge

TEXT = {"white_space": "pre-wrap", "word_break": "break-word"}


def delivery_badge(label: Any, color: Any, icon: Any, **props: Any) -> rx.Component:
    """The status word on its colour; with ``icon`` (a problem, a delay) the icon before the word, and a solid
    badge so it stands out in a list."""
    return rx.cond(
        icon != "",
        rx.badge(
            rx.match(
                icon,
                ("triangle-alert", rx.icon("triangle-alert", size=14, aria_hidden="true")),
                ("clock-alert", rx.icon("clock-alert", size=14, aria_hidden="true")),
                rx.fragment(),
            ),
            label,
            color_scheme=color,
            variant="surface",
            white_space="nowrap",
            gap="4px",
            **props,
        ),
        status_badge(label, color, **props),
    )


def _event(row: Any, *, staff: bool) -> rx.Component:
    meta: list[Any] = [rx.text(row.when, size="1", color_scheme="gray", title=row.when_exact)]
    if staff:
        meta.append(rx.cond(row.by != "", rx.text("by ", row.by, size="1", color_scheme="gray")))
        meta.append(
            rx.cond(
                row.internal,
                rx.badge(
                    rx.icon("eye-off", size=12, aria_hidden="true"),
                    "Internal: contacts never see this",
                    color_scheme="gray",
                    variant="outline",
                ),
            )
        )
    return rx.el.li(
        rx.vstack(
            rx.flex(
                delivery_badge(row.status_label, row.status_color, row.status_icon),
                *meta,
                gap="8px",
                align="center",
                wrap="wrap",
            ),
            rx.cond(row.note != "", rx.text(row.note, size="2", **TEXT)),
            rx.cond(row.changes != "", rx.text(row.changes, size="1", color_scheme="gray", **TEXT)),
            spacing="1",
            align="start",
            width="100%",
        ),
        padding_y="10px",
        border_bottom="1px solid var(--gray-a4)",
        list_style="none",
    )


def delivery_timeline(rows: Any, *, staff: bool = False, empty: str = "No updates yet.") -> rx.Component:
    """The timeline as an ordered list, newest first (``rows`` are already in that order)."""
    return rx.cond(
        rows.length() > 0,  # type: ignore[union-attr]
        rx.el.ol(
            rx.foreach(rows, lambda row: _event(row, staff=staff)),
            aria_label="Timeline, newest first",
            padding="0",
            margin="0",
            width="100%",
        ),
        rx.text(empty, size="2", color_scheme="gray"),
    )
