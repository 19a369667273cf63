"""The page shell shared by every area: header with product name and navigation, content, footer."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars.base import Var

from components.session import sign_out_button
from components.theme import palette_style
from components.ui import server_button
from portal_app import routes
from state.base import BaseState

PRODUCT_NAME = "Customer Portal"

NAV_ITEMS: tuple[tuple[str, str], ...] = (
    ("Module", routes.MODULE),
    ("Preview", routes.PREVIEW),
    ("Staff", routes.STAFF),
    ("Customer portal", routes.PORTAL),
)

_KIND_LABEL = rx.match(
    BaseState.viewer_kind,
    ("staff", "Staff"),
    ("contact", "Contact"),
    ("operator", "Operator"),
    "",
)


def _nav_link(label: str, href: str) -> rx.Component:
    return rx.link(
        label,
        href=href,
        size="2",
        weight="medium",
        color_scheme="gray",
        high_contrast=True,
        underline="hover",
    )


def viewer_area() -> rx.Component:
    """Who is signed in (display names only) and the sign-out button; a sign-in link otherwise."""
    return rx.cond(
        BaseState.viewer_kind != "",
        rx.hstack(
            rx.vstack(
                rx.text(BaseState.viewer_name, size="1", weight="bold", trim="both"),
                rx.text(
                    _KIND_LABEL,
                    rx.cond(BaseState.viewer_context != "", " · " + BaseState.viewer_context, ""),
                    size="1",
                    color_scheme="gray",
                    trim="both",
                ),
                spacing="1",
                align="end",
                display=rx.breakpoints(initial="none", sm="flex"),
            ),
            sign_out_button(),
            spacing="3",
            align="center",
            id="viewer-area",
        ),
        server_button(
            "Sign in", routes.sign_in_url("staff", routes.STAFF), icon="log-in", variant="outline", size="2"
        ),
    )


def band_style() -> dict[str, Any]:
    """A header band's lower edge and background (the site header, the staff and portal headers)."""
    return {"border_bottom": f"1px solid {rx.color('gray', 5)}", "background_color": rx.color("gray", 1)}


def brand_link(
    name: Var[str] | str,
    href: str,
    *,
    icon_size: int = 20,
    size: str = "3",
    name_id: str | None = None,
    decorative_icon: bool = True,
) -> rx.Component:
    """The shield mark and a name (the product, the workspace), linking to ``href``: the start of every header."""
    icon_props: dict[str, Any] = {"aria_hidden": "true"} if decorative_icon else {}
    text_props: dict[str, Any] = {"id": name_id} if name_id else {}
    return rx.link(
        rx.hstack(
            rx.icon("shield-check", size=icon_size, color=rx.color("teal", 10), **icon_props),
            rx.text(name, size=size, weight="bold", **text_props),  # type: ignore[arg-type]
            spacing="2",
            align="center",
        ),
        href=href,
        underline="none",
        color_scheme="gray",
        high_contrast=True,
    )


def header() -> rx.Component:
    return rx.el.header(
        rx.container(
            rx.flex(
                brand_link(PRODUCT_NAME, routes.HOME, icon_size=22, size="4", decorative_icon=False),
                rx.hstack(
                    rx.el.nav(
                        rx.hstack(
                            *(_nav_link(label, href) for label, href in NAV_ITEMS),
                            spacing="5",
                            align="center",
                            wrap="wrap",
                        ),
                        aria_label="Main",
                    ),
                    viewer_area(),
                    spacing="5",
                    align="center",
                    wrap="wrap",
                ),
                justify="between",
                align="center",
                wrap="wrap",
                spacing="3",
            ),
            size="4",
            padding_y="14px",
        ),
        **band_style(),
        # Sticky from tablet width up; on a phone the wrapped header would cover a third of the screen.
        position=rx.breakpoints(initial="static", sm="sticky"),
        top="0",
        z_index="10",
        width="100%",
    )


def footer() -> rx.Component:
    return rx.el.footer(
        rx.container(
            rx.flex(
                rx.text(
                    f"{PRODUCT_NAME} — a workspace module for sharing records with customer contacts.",
                    size="1",
                    color_scheme="gray",
                ),
                rx.el.nav(
                    rx.hstack(
                        rx.link("Customer Portal module", href=routes.MODULE, size="1", color_scheme="gray"),
                        rx.link("Workflow preview", href=routes.PREVIEW, size="1", color_scheme="gray"),
                        rx.link("Operator area", href=routes.OPERATOR, size="1", color_scheme="gray"),
                        spacing="4",
                        wrap="wrap",
                    ),
                    aria_label="Footer",
                ),
                justify="between",
                align="center",
                wrap="wrap",
                spacing="3",
            ),
            size="4",
            padding_y="20px",
        ),
        border_top=f"1px solid {rx.color('gray', 5)}",
        width="100%",
        margin_top="auto",
    )


def page_shell(*children: rx.Component) -> rx.Component:
    """Wrap page content in the shared header and footer."""
    return rx.flex(
        palette_style(),
        header(),
        rx.el.main(rx.container(*children, size="4", padding_y="40px"), width="100%", flex="1"),
        footer(),
        direction="column",
        min_height="100vh",
        background_color=rx.color("gray", 2),
    )


def placeholder_panel(*, icon: str, title: str, body: str, note: str) -> rx.Component:
    """A centred card for areas that are not built yet."""
    return rx.center(
        rx.card(
            rx.vstack(
                rx.icon(icon, size=32, color=rx.color("accent", 10)),
                rx.heading(title, size="6", as_="h1"),
                rx.text(body, size="3", color_scheme="gray"),
                rx.badge(note, variant="soft", size="2"),
                rx.link("Back to overview", href=routes.HOME, size="2"),
                spacing="4",
                align="start",
            ),
            size="4",
            max_width="560px",
            width="100%",
        ),
        padding_y="48px",
    )
