"""The command center's signal cards: a label, a big number, a secondary line and a trend in words, the whole card
a link to the filtered list behind the number.

Cards are display rows shaped like ``state.command_center.SignalCard`` (name, label, value, detail, trend,
trend_icon, href, link_label, waiting). The link carries the label and the number (accessible name "Overdue
invoices: 3") and stretches over the card, so the card is one click target and one tab stop, while the secondary
line and the trend stay readable text outside the link's name.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from components.ui import named_icon

_TREND_ICONS = ("trending-up", "trending-down")

_CARD_STYLE = {
    "position": "relative",
    # The link's box covers the card: clicking anywhere on it follows the link.
    "& .signal-link::after": {"content": '""', "position": "absolute", "inset": "0"},
    "& .signal-link:focus-visible": {"outline": "none"},
    "&:focus-within": {"outline": "2px solid var(--accent-8)", "outline_offset": "2px"},
    "&:hover": {"background": "var(--gray-a2)"},
}


def _trend_icon(name: Any) -> rx.Component:
    return named_icon(name, _TREND_ICONS, fallback="minus", size=14, flex_shrink="0")


def signal_card(card: Any) -> rx.Component:
    """One signal (``id="signal-<name>"``; the number in ``#signal-<name>-value``)."""
    return rx.card(
        rx.vstack(
            rx.link(
                rx.text(card.label, size="2", weight="medium", as_="span", display="block"),
                rx.text(
                    card.value,
                    size="8",
                    weight="bold",
                    as_="span",
                    display="block",
                    class_name="signal-value",
                    id="signal-" + card.name + "-value",
                    color=rx.cond(card.waiting, rx.color("accent", 11), rx.color("gray", 12)),
                    style={"font_variant_numeric": "tabular-nums"},
                ),
                href=card.href,
                aria_label=card.link_label,
                underline="none",
                color_scheme="gray",
                high_contrast=True,
                class_name="signal-link",
            ),
            rx.cond(
                card.detail != "", rx.text(card.detail, size="2", color_scheme="gray", high_contrast=True)
            ),
            rx.cond(
                card.trend != "",
                rx.hstack(
                    _trend_icon(card.trend_icon),
                    rx.text(card.trend, size="1", class_name="signal-trend"),
                    spacing="1",
                    align="center",
                    color=rx.color("gray", 11),
                ),
            ),
            spacing="1",
            align="start",
        ),
        id="signal-" + card.name,
        class_name="signal-card",
        width="100%",
        style=_CARD_STYLE,
    )


def signal_grid(cards: Any, **props: Any) -> rx.Component:
    """The cards: one column on a phone, two to four on wider screens."""
    return rx.grid(
        rx.foreach(cards, signal_card),
        columns=rx.breakpoints(initial="1", sm="2", md="3", xl="4"),
        gap="12px",
        width="100%",
        **props,
    )
