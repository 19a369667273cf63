"""Customer portal home (``/portal``): the contact's account and what they may see there."""

from __future__ import annotations

import reflex as rx

from components.form import field_label
from components.layout import page_shell
from components.ui import loading_panel, section_card
from state.portal import AreaRow, PortalHomeState

S = PortalHomeState

TITLE = "Customer portal — Customer Portal"
DESCRIPTION = "Where customer contacts see what was shared with their account and respond to it."


def _area(area: AreaRow) -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.center(
                rx.icon(
                    rx.match(
                        area.key,
                        ("billing", "receipt"),
                        ("operations", "clipboard-check"),
                        ("documents", "file-text"),
                        "message-circle",
                    ),
                    size=18,
                ),
                min_width="36px",
                height="36px",
                border_radius="10px",
                background_color=rx.cond(area.allowed, rx.color("accent", 3), rx.color("gray", 3)),
                color=rx.cond(area.allowed, rx.color("accent", 11), rx.color("gray", 9)),
            ),
            rx.vstack(
                rx.hstack(
                    rx.text(area.title, size="3", weight="bold"),
                    rx.cond(
                        area.allowed,
                        rx.badge("Shared with you", color_scheme="teal", variant="soft"),
                        rx.badge("Not shared", color_scheme="gray", variant="outline"),
                    ),
                    spacing="2",
                    align="center",
                    wrap="wrap",
                ),
                rx.text(area.body, size="2", color_scheme="gray"),
                spacing="1",
                align="start",
            ),
            spacing="3",
            align="start",
        ),
        # Areas that are not shared look quieter through their grey icon and badge, not by fading the card:
        # faded text would fall under the readable contrast minimum.
        class_name="portal-area",
    )


def _account_picker() -> rx.Component:
    return rx.cond(
        S.has_several_accounts,
        rx.vstack(
            field_label("Viewing account", html_for="account-switcher", size="1"),
            rx.select.root(
                rx.select.trigger(min_width="220px", id="account-switcher"),
                rx.select.content(
                    rx.foreach(S.accounts, lambda a: rx.select.item(a.name, value=a.id)),
                ),
                value=S.current_account_id,
                on_change=S.switch_account,
            ),
            spacing="1",
            align="start",
        ),
    )


def _home() -> rx.Component:
    return rx.vstack(
        rx.flex(
            rx.vstack(
                rx.text("Customer portal", size="1", color_scheme="gray", weight="medium"),
                rx.heading(S.account_name, size="7", as_="h1", id="account-name"),
                spacing="1",
                align="start",
            ),
            _account_picker(),
            justify="between",
            align="end",
            wrap="wrap",
            gap="16px",
            width="100%",
        ),
        section_card(
            "What you can see here",
            rx.grid(
                rx.foreach(S.areas, _area),
                columns=rx.breakpoints(initial="1", sm="2"),
                gap="12px",
                width="100%",
            ),
            description="The team shares records with your account; you see only the areas below that are on.",
            id="areas",
        ),
        spacing="6",
        width="100%",
    )


def portal_home() -> rx.Component:
    # Signed-out visitors are sent to the sign-in page by the loader; nothing renders before it answers.
    return page_shell(rx.cond(rx.State.is_hydrated & S.signed_in, _home(), loading_panel()))
