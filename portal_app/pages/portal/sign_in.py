"""Contact sign-in (``/portal/sign-in``): a magic link by email, or Google when the email matches a contact."""

from __future__ import annotations

import reflex as rx

from components.form import field_label
from components.layout import page_shell
from components.ui import server_button, server_link
from portal_app import routes
from state.portal_sign_in import CONFIRMATION, PortalSignInState

S = PortalSignInState

TITLE = "Sign in to the customer portal — Customer Portal"
DESCRIPTION = "Customer contacts sign in with a one-time link sent by email, or with Google."


def _request_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            field_label("Email address", html_for="magic-email"),
            rx.input(
                type="email",
                name="email",
                auto_complete="email",
                placeholder="you@company.com",
                value=S.email,
                on_change=S.set_email,
                id="magic-email",
                size="3",
                width="100%",
            ),
            rx.button(
                rx.icon("mail", size=16),
                "Email me a sign-in link",
                type="submit",
                size="3",
                width="100%",
                id="magic-submit",
            ),
            spacing="3",
            align="stretch",
            width="100%",
        ),
        on_submit=lambda _: S.request_link(),
        width="100%",
    )


def _sent() -> rx.Component:
    return rx.vstack(
        rx.callout(CONFIRMATION, icon="mail-check", color_scheme="teal", id="magic-sent"),
        rx.button("Use another address", variant="ghost", size="2", on_click=S.start_over),
        spacing="3",
        align="start",
        width="100%",
    )


def portal_sign_in() -> rx.Component:
    return page_shell(
        rx.center(
            rx.card(
                rx.vstack(
                    rx.icon("folder-lock", size=32, color=rx.color("accent", 10)),
                    rx.heading("Sign in to the customer portal", size="6", as_="h1"),
                    rx.text(
                        "Use the email address your contact at the company invited.",
                        size="2",
                        color_scheme="gray",
                    ),
                    rx.cond(S.sent, _sent(), _request_form()),
                    rx.hstack(
                        rx.separator(size="4"),
                        rx.text("or", size="1", color_scheme="gray"),
                        rx.separator(size="4"),
                        align="center",
                        width="100%",
                    ),
                    server_button(
                        "Sign in with Google",
                        S.google_href,
                        icon="log-in",
                        variant="outline",
                        width="100%",
                        id="contact-google",
                    ),
                    rx.cond(
                        S.show_dev_mailbox,
                        rx.callout(
                            rx.text(
                                "Development: sent mail lands in the ",
                                server_link(
                                    "local mailbox",
                                    routes.backend_url(routes.DEV_MAILBOX),
                                    id="dev-mailbox-link",
                                ),
                                ".",
                            ),
                            icon="flask-conical",
                            size="1",
                            color_scheme="amber",
                            id="dev-mailbox-hint",
                        ),
                    ),
                    spacing="4",
                    align="stretch",
                    width="100%",
                ),
                size="4",
                max_width="460px",
                width="100%",
            ),
            padding_y="32px",
        )
    )
