"""A timeline of activity, newest first: one list item per entry with an icon for who acted, the entry's sentence
(a link to the record when it has a page), and when (relative, the exact time on hover).

Rows are display rows shaped like ``state.account_view.ActivityRow`` (id, sentence, when, exact, actor_kind,
from_contact, href). Entries by a customer's contact stand out (accent background and a "Customer" badge: the
words say it, the colour repeats it). "Show older" calls ``on_more`` while ``more`` is true.
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars.base import Var

from components.ui import empty_text, visually_hidden

# Who acted -> (icon, what a screen reader hears). Anything else reads as the system.
ACTOR_ICONS: dict[str, tuple[str, str]] = {
    "contact": ("user-round", "Customer"),
    "staff": ("briefcase-business", "Team"),
    "operator": ("shield", "Platform"),
}
SYSTEM_ICON = ("cog", "System")


def _icon(name: str, label: str, color: str) -> rx.Component:
    return rx.center(
        rx.icon(name, size=14, aria_hidden="true"),
        visually_hidden(label),
        width="28px",
        height="28px",
        flex_shrink="0",
        border_radius="9999px",
        background=rx.color(color, 4),  # type: ignore[arg-type]
        color=rx.color(color, 11),  # type: ignore[arg-type]
    )


def actor_icon(kind: Var[str] | Any) -> rx.Component:
    """The round icon of who acted: a customer contact in the accent colour, the team and the system in grey."""
    return rx.match(
        kind,
        *(
            (value, _icon(name, label, "accent" if value == "contact" else "gray"))
            for value, (name, label) in ACTOR_ICONS.items()
        ),
        _icon(*SYSTEM_ICON, "gray"),
    )


def _sentence(row: Any) -> rx.Component:
    return rx.cond(
        row.href != "",
        rx.link(row.sentence, href=row.href, size="2", weight=rx.cond(row.from_contact, "medium", "regular")),
        rx.text(row.sentence, size="2", weight=rx.cond(row.from_contact, "medium", "regular")),
    )


def timeline_entry(row: Any) -> rx.Component:
    """One entry as a list item."""
    return rx.el.li(
        rx.hstack(
            actor_icon(row.actor_kind),
            rx.vstack(
                _sentence(row),
                rx.hstack(
                    rx.cond(
                        row.from_contact, rx.badge("Customer", color_scheme="teal", variant="soft", size="1")
                    ),
                    rx.el.time(row.when, title=row.exact, font_size="12px", color=rx.color("gray", 11)),
                    spacing="2",
                    align="center",
                    wrap="wrap",
                ),
                spacing="1",
                align="start",
                min_width="0",
            ),
            spacing="3",
            align="start",
            width="100%",
        ),
        padding="8px 10px",
        border_radius="8px",
        border_left="3px solid",
        border_left_color=rx.cond(row.from_contact, rx.color("accent", 9), "transparent"),
        background=rx.cond(row.from_contact, rx.color("accent", 2), "transparent"),
        overflow_wrap="anywhere",
        custom_attrs={"data-actor": row.actor_kind},
    )


def activity_timeline(
    rows: Any,
    *,
    more: Var[bool] | bool = False,
    on_more: Any = None,
    empty: str = "No activity yet.",
    label: str = "Activity",
    **props: Any,
) -> rx.Component:
    """The entries as an ordered list (named ``label`` for screen readers), then "Show older" while ``more``."""
    items = rx.el.ol(
        rx.foreach(rows, timeline_entry),
        aria_label=label,
        list_style="none",
        margin="0",
        padding="0",
        display="flex",
        flex_direction="column",
        gap="6px",
        width="100%",
    )
    older = (
        rx.cond(
            more,
            rx.button(
                rx.icon("history", size=14, aria_hidden="true"),
                "Show older",
                variant="soft",
                size="2",
                on_click=on_more,
                type="button",
            ),
        )
        if on_more is not None
        else rx.fragment()
    )
    return rx.vstack(
        rx.cond(Var.create(rows).to(list).length() > 0, items, empty_text(empty)),
        older,
        spacing="3",
        align="start",
        width="100%",
        **props,
    )
