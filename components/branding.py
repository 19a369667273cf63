"""Branding on pages: the portal's brand (logo and name) in the top bar, the welcome message on the portal home,
and the "Branding" panel of ``/app/settings``.

``branding_panel(S)`` reads the vars of ``state/branding.py``'s ``BrandingSettingsMixin``; the others take plain
values or Vars. The accent colours come from ``portal_app.palette`` (pure data), never from state. No state,
services or database are imported here.
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars.base import Var

from components.dialog import confirm_dialog
from components.form import control_props, field, field_error, submit_button
from components.upload import file_field, upload_progress, upload_script
from portal_app.palette import ACCENTS

LOGO_ACCEPT = ".png,.jpg,.jpeg,.webp,.gif"
LOGO_ACCEPT_LABEL = "PNG, JPEG, WebP or GIF"
LOGO_INPUT_ID = "branding-logo"  # state/branding.py sends the file chosen here
LOGO_PROGRESS_ID = "branding-logo-progress"


def _logo(url: Any, name: Any, *, height: str, max_width: str, **props: Any) -> rx.Component:
    return rx.el.img(
        src=url,
        alt=name,
        height=height,
        max_width=max_width,
        width="auto",
        object_fit="contain",
        display="block",
        **props,
    )


def portal_brand(name: Var[str] | str, logo_url: Var[str] | str, href: str) -> rx.Component:
    """The start of the portal's top bar: the workspace's logo (its alt text is the name) and its display name, or
    the shield mark without a logo; a link to the portal home. With a logo the visible name is hidden from screen
    readers, which read it once, from the logo."""
    has_logo = Var.create(logo_url).to(str) != ""
    return rx.link(
        rx.hstack(
            rx.cond(
                has_logo,
                _logo(logo_url, name, height="32px", max_width="160px", id="portal-brand-logo"),
                rx.icon("shield-check", size=20, color=rx.color("accent", 10), aria_hidden="true"),
            ),
            rx.text(
                name,
                size="3",
                weight="bold",
                id="portal-brand-name",
                aria_hidden=rx.cond(has_logo, "true", None),
            ),
            spacing="2",
            align="center",
        ),
        href=href,
        underline="none",
        color_scheme="gray",
        high_contrast=True,
    )


def branded(child: rx.Component, accent: Var[str] | str) -> rx.Component:
    """``child`` in the workspace's accent colour: a nested Radix theme (dialogs and menus opened inside follow it)."""
    return rx.theme(child, accent_color=accent, has_background=False)


def welcome_message(text: Var[str] | str) -> rx.Component:
    """The workspace's welcome text on the portal home, exactly as written (line breaks kept); nothing when empty."""
    return rx.cond(
        Var.create(text).to(str) != "",
        rx.box(
            rx.text(text, size="3", white_space="pre-wrap", overflow_wrap="anywhere"),
            id="portal-welcome",
            padding="12px 16px",
            border_left=f"4px solid {rx.color('accent', 9)}",
            border_radius="4px",
            background_color=rx.color("accent", 2),
            width="100%",
        ),
    )


# -- the settings panel ------------------------------------------------------------------------------------------


def _swatch(hex_value: str) -> rx.Component:
    return rx.box(
        width="14px",
        height="14px",
        border_radius="3px",
        background_color=hex_value,
        flex_shrink="0",
        aria_hidden="true",
    )


def _accent_select(S: Any) -> rx.Component:
    control_id = "branding-accent"
    return field(
        "Accent colour",
        rx.select.root(
            rx.select.trigger(
                min_width="200px", **control_props(control_id, S.branding_errors["accent_color"], True)
            ),
            rx.select.content(
                *(
                    rx.select.item(
                        rx.hstack(_swatch(accent.solid), rx.text(accent.label), spacing="2", align="center"),
                        value=name,
                    )
                    for name, accent in ACCENTS.items()
                )
            ),
            value=S.branding_accent,
            on_change=S.set_branding_accent,
            size="2",
        ),
        control_id=control_id,
        hint="Buttons, links and highlights in the portal, mails and PDFs. Every colour here reads well on white.",
        error=S.branding_errors["accent_color"],
        width="auto",
    )


def _preview(S: Any) -> rx.Component:
    """The portal's top bar as the chosen accent and the saved name and logo draw it."""
    bar = rx.vstack(
        rx.hstack(
            rx.cond(
                S.branding_logo_url != "",
                _logo(S.branding_logo_url, S.branding_name, height="28px", max_width="140px"),
                rx.icon("shield-check", size=18, color=rx.color("accent", 10), aria_hidden="true"),
            ),
            rx.text(S.branding_name, size="3", weight="bold"),
            spacing="2",
            align="center",
        ),
        rx.hstack(
            rx.text(
                "Home",
                size="2",
                weight="bold",
                padding_bottom="4px",
                border_bottom=f"2px solid {rx.color('accent', 9)}",
            ),
            rx.text("Billing", size="2", color_scheme="gray", high_contrast=True),
            rx.spacer(),
            rx.badge("Approve", variant="solid", size="2"),
            spacing="4",
            align="end",
            width="100%",
        ),
        spacing="3",
        padding="12px 16px",
        border=f"1px solid {rx.color('gray', 5)}",
        border_radius="8px",
        background_color=rx.color("gray", 1),
        width="100%",
    )
    return rx.el.figure(
        branded(bar, S.branding_accent),
        rx.el.figcaption(
            rx.text("Preview of your portal's top bar", size="1", color_scheme="gray"), margin_top="4px"
        ),
        id="branding-preview",
        margin="0",
        width="100%",
    )


def _form(S: Any) -> rx.Component:
    return rx.form(
        rx.vstack(
            field(
                "Display name",
                rx.input(
                    name="display_name",
                    default_value=S.branding_display_name,
                    max_length=120,
                    placeholder=S.branding_name,
                    **control_props("branding-display-name", S.branding_errors["display_name"], True),
                ),
                control_id="branding-display-name",
                hint="The name customers see in the portal, mails and PDFs. Empty: your workspace's name.",
                error=S.branding_errors["display_name"],
            ),
            _accent_select(S),
            field(
                "Welcome text",
                rx.text_area(
                    name="welcome_text",
                    default_value=S.branding_welcome,
                    max_length=500,
                    rows="4",
                    **control_props("branding-welcome", S.branding_errors["welcome_text"], True),
                ),
                control_id="branding-welcome",
                hint="Shown on the portal home exactly as you write it. Up to 500 characters.",
                error=S.branding_errors["welcome_text"],
            ),
            submit_button("Save branding", id="branding-save"),
            spacing="3",
            align="stretch",
            width="100%",
        ),
        on_submit=S.save_branding,
        reset_on_submit=False,
        key=S.branding_form_version.to_string(),
        id="branding-form",
        width="100%",
    )


def _read_only(S: Any) -> rx.Component:
    def row(label: str, value: Any) -> rx.Component:
        return rx.vstack(
            rx.text(label, size="1", weight="bold", color_scheme="gray"),
            rx.text(value, size="2", white_space="pre-wrap"),
            spacing="0",
            align="start",
        )

    return rx.vstack(
        row("Display name", S.branding_name),
        row("Welcome text", rx.cond(S.branding_welcome != "", S.branding_welcome, "None")),
        rx.text("Only owners and managers can change the branding.", size="1", color_scheme="gray"),
        spacing="3",
        align="start",
        width="100%",
    )


def _logo_part(S: Any) -> rx.Component:
    current = rx.cond(
        S.branding_logo_url != "",
        rx.box(
            _logo(
                S.branding_logo_url,
                "Current logo",
                height="60px",
                max_width="200px",
                id="branding-logo-preview",
            ),
            padding="8px",
            border=f"1px dashed {rx.color('gray', 6)}",
            border_radius="6px",
            width="fit-content",
        ),
        rx.text("No logo yet: the portal shows your name only.", size="2", color_scheme="gray"),
    )
    controls = rx.vstack(
        file_field(
            "Logo",
            control_id=LOGO_INPUT_ID,
            limit_label=S.logo_limit_label,
            accept=LOGO_ACCEPT,
            accept_label=LOGO_ACCEPT_LABEL,
            required=False,
            disabled=S.logo_sending,
        ),
        rx.text(
            "Fitted into 400 × 120 pixels and saved as a fresh image (nothing else of the file is kept). The logo is "
            "public, like one on a website: mail programs load it without signing in.",
            size="1",
            color_scheme="gray",
        ),
        upload_progress(LOGO_PROGRESS_ID, label="Upload progress"),
        field_error(S.branding_errors["logo"], control_id=LOGO_INPUT_ID),
        rx.hstack(
            rx.button(
                rx.icon("upload", size=14, aria_hidden="true"),
                "Upload logo",
                type="button",
                on_click=S.send_logo,
                loading=S.logo_sending,
                id="branding-logo-upload",
            ),
            rx.cond(
                S.branding_logo_url != "",
                confirm_dialog(
                    "Remove logo",
                    title="Remove the logo?",
                    description="The portal, new mails and new PDFs show your name without a logo.",
                    confirm_label="Remove logo",
                    on_confirm=S.remove_logo,
                    icon="trash-2",
                    trigger_size="2",
                    id="branding-logo-remove",
                ),
            ),
            spacing="3",
            align="center",
            wrap="wrap",
        ),
        upload_script(),
        spacing="2",
        align="stretch",
        width="100%",
    )
    return rx.vstack(
        rx.heading("Logo", size="3", as_="h3"),
        current,
        rx.cond(S.can_manage_branding, controls),
        spacing="2",
        align="stretch",
        width="100%",
    )


def branding_panel(S: Any) -> rx.Component:
    """The "Branding" card: a preview of the portal's top bar, the form (owners and managers; others read it) and
    the logo."""
    return rx.card(
        rx.vstack(
            rx.vstack(
                rx.heading("Branding", size="4", as_="h2"),
                rx.text(
                    "What your customers see: your name, logo and colour in the portal, in mails and on PDFs.",
                    size="2",
                    color_scheme="gray",
                ),
                spacing="1",
                align="start",
            ),
            _preview(S),
            rx.cond(S.can_manage_branding, _form(S), _read_only(S)),
            rx.separator(size="4"),
            _logo_part(S),
            spacing="4",
            align="stretch",
            width="100%",
        ),
        size="3",
        width="100%",
        id="branding-panel",
    )


__all__ = [
    "LOGO_INPUT_ID",
    "LOGO_PROGRESS_ID",
    "branded",
    "branding_panel",
    "portal_brand",
    "welcome_message",
]
