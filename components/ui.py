"""Small reusable pieces: section cards, gates, buttons that leave the single-page app, flag badges.

No database and no services here: everything arrives as arguments (plain values or state vars). Status badges
live in ``components.badges``, the confirm dialog in ``components.dialog`` (``confirm_button`` is re-exported
here under its former name).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import reflex as rx
from reflex.components.react_router.dom import ReactRouterLink

from components.dialog import confirm_button

__all__ = [
    "confirm_button",
    "empty_text",
    "flag_badge",
    "gate_panel",
    "history_link",
    "link_button",
    "loading_panel",
    "section_card",
    "server_button",
    "server_link",
    "visually_hidden",
]


def section_card(title: str, *children: rx.Component, description: str = "", **props: Any) -> rx.Component:
    """A titled card for one panel of a page."""
    header = [rx.heading(title, size="4", as_="h2")]
    if description:
        header.append(rx.text(description, size="2", color_scheme="gray"))
    return rx.card(
        rx.vstack(
            rx.vstack(*header, spacing="1", align="start"),
            *children,
            spacing="4",
            align="stretch",
            width="100%",
        ),
        size="3",
        width="100%",
        **props,
    )


def server_button(
    label: str, href: Any, *, icon: str = "", variant: str = "solid", size: str = "3", **props: Any
) -> rx.Component:
    """A button-styled plain link: a full page load to an HTTP route (sign-in, mailbox), not an in-app navigation."""
    content: list[rx.Component | str] = [label]
    if icon:
        content.insert(0, rx.icon(icon, size=16))
    return rx.button(
        rx.el.a(*content, href=href, reload_document=True),
        as_child=True,
        variant=variant,  # type: ignore[arg-type]
        size=size,  # type: ignore[arg-type]
        **props,
    )


def link_button(*content: rx.Component | str, href: str, **props: Any) -> rx.Component:
    """A button-styled link inside the app (client-side navigation).

    One ``<a>`` styled as a button: a button nested in a link would be two tab stops and invalid HTML.
    """
    return rx.button(ReactRouterLink.create(*content, to=href), as_child=True, **props)


def server_link(label: str, href: Any, **props: Any) -> rx.Component:
    """A text link to an HTTP route, loaded as a real document (not routed inside the single-page app)."""
    return rx.el.a(
        label,
        href=href,
        reload_document=True,
        color=rx.color("accent", 11),
        text_decoration="underline",
        font_weight="500",
        **props,
    )


def download_button(label: Any, href: Any, *, icon: str = "download", **props: Any) -> rx.Component:
    """A button-styled link to a file route (PDF, CSV, an uploaded file): a real document request, never routed
    inside the single-page app, so the browser saves the attachment the route sends.

    ``download`` keeps the page where it is: without it the browser starts a navigation first, the app takes that for
    leaving and reconnects afterwards, which re-renders the page and drops what was typed or chosen in it (a file
    picked for upload)."""
    props.setdefault("variant", "soft")
    return rx.button(
        rx.el.a(
            rx.icon(icon, size=16, aria_hidden="true"), label, href=href, reload_document=True, download=""
        ),
        as_child=True,
        **props,
    )


def history_link(href: Any, **props: Any) -> rx.Component:
    """A record page's "History": the audit log filtered to the record. Nothing when ``href`` is "" (the page's
    state leaves it empty for a member who may not read the record's audit entries)."""
    return rx.cond(
        href != "",
        rx.link(
            rx.icon("history", size=14, aria_hidden="true"),
            "History",
            href=href,
            size="2",
            title="Every audit log entry about this record",
            id=props.pop("id", "record-history"),
            display="inline-flex",
            align_items="center",
            gap="4px",
            white_space="nowrap",
            **props,
        ),
    )


def gate_panel(*, icon: str, title: str, body: str, actions: rx.Component, **props: Any) -> rx.Component:
    """A centred card that stands in for a page the visitor may not see yet (signed out, wrong kind of session)."""
    return rx.center(
        rx.card(
            rx.vstack(
                rx.icon(icon, size=32, color=rx.color("accent", 10)),
                rx.heading(title, size="6", as_="h1"),
                rx.text(body, size="3", color_scheme="gray"),
                actions,
                spacing="4",
                align="start",
            ),
            size="4",
            max_width="560px",
            width="100%",
        ),
        padding_y="48px",
        **props,
    )


def loading_panel() -> rx.Component:
    return rx.center(rx.spinner(size="3"), padding_y="80px", width="100%")


def flag_badge(label: str, on: Any) -> rx.Component:
    """A permission or module flag: coloured when on, muted and struck when off."""
    return rx.cond(
        on,
        rx.badge(rx.icon("check", size=12), label, color_scheme="teal", variant="soft"),
        rx.badge(label, color_scheme="gray", variant="outline", text_decoration="line-through"),
    )


def empty_text(text: str) -> rx.Component:
    return rx.text(text, size="2", color_scheme="gray", padding_y="8px")


def visually_hidden(text: Any) -> rx.Component:
    """Text for screen readers only (a column header over buttons, say), laid out out of sight."""
    return rx.el.span(
        text,
        position="absolute",
        width="1px",
        height="1px",
        padding="0",
        margin="-1px",
        overflow="hidden",
        clip="rect(0, 0, 0, 0)",
        white_space="nowrap",
        border="0",
    )


def named_icon(name: Any, names: Sequence[str], *, fallback: str = "dot", **props: Any) -> rx.Component:
    """The icon called ``name`` (a state var or a plain string) among ``names``, else ``fallback``.

    Each choice is a static icon: ``rx.icon`` given a var instead pulls Reflex's dynamic icon loader (54 KB
    compressed) into the page's bundle. Decorative unless ``props`` say otherwise.
    """
    props.setdefault("aria_hidden", "true")
    if not isinstance(name, rx.Var):
        return rx.icon(name if name in names else fallback, **props)
    return rx.match(name, *((icon, rx.icon(icon, **props)) for icon in names), rx.icon(fallback, **props))
