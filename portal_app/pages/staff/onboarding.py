"""Workspace onboarding (``/app/onboarding``): company name, web address and the Customer Portal module."""

from __future__ import annotations

import reflex as rx

from components.form import field, field_label, hint_id
from components.layout import page_shell
from components.ui import gate_panel, loading_panel, server_button
from state.onboarding import OnboardingState

S = OnboardingState

TITLE = "Create your workspace — Customer Portal"
DESCRIPTION = "Set up your company's workspace: its name, web address and whether the Customer Portal is on."


def _form() -> rx.Component:
    return rx.center(
        rx.card(
            rx.form(
                rx.vstack(
                    rx.vstack(
                        rx.heading("Create your workspace", size="6", as_="h1"),
                        rx.text(
                            "Your team works here; your customers' contacts only ever see the portal.",
                            size="2",
                            color_scheme="gray",
                        ),
                        spacing="1",
                        align="start",
                    ),
                    field(
                        "Company name",
                        rx.input(
                            value=S.company_name,
                            on_change=S.set_company_name,
                            placeholder="Northwind Studio",
                            id="company-name",
                            size="3",
                            max_length=120,
                            auto_complete="organization",
                        ),
                        control_id="company-name",
                        required=True,
                    ),
                    field(
                        "Web address",
                        rx.input(
                            rx.input.slot(rx.text("portal/", size="2", color_scheme="gray")),
                            value=S.slug,
                            on_change=S.set_slug,
                            placeholder="northwind",
                            id="workspace-slug",
                            size="3",
                            max_length=63,
                            auto_complete="off",
                            aria_describedby=hint_id("workspace-slug"),
                        ),
                        control_id="workspace-slug",
                        hint="Lowercase letters, digits and single hyphens; suggested from the name.",
                        required=True,
                    ),
                    rx.hstack(
                        rx.switch(
                            checked=S.portal_enabled,
                            on_change=S.set_portal_enabled,
                            id="portal-module",
                            size="2",
                            aria_describedby=hint_id("portal-module"),
                        ),
                        rx.vstack(
                            field_label("Customer Portal module", html_for="portal-module"),
                            rx.text(
                                "Contacts you invite can sign in and see what you share with their account. "
                                "You can change this later.",
                                size="1",
                                color_scheme="gray",
                                id=hint_id("portal-module"),
                            ),
                            spacing="0",
                            align="start",
                        ),
                        spacing="3",
                        align="start",
                    ),
                    rx.button(
                        "Create workspace",
                        type="submit",
                        size="3",
                        loading=S.submitting,
                        id="create-workspace",
                        width="100%",
                    ),
                    spacing="5",
                    align="stretch",
                    width="100%",
                ),
                on_submit=lambda _: S.create_workspace(),
            ),
            size="4",
            max_width="520px",
            width="100%",
        ),
        padding_y="32px",
    )


def onboarding() -> rx.Component:
    return page_shell(
        rx.cond(
            ~(rx.State.is_hydrated & S.loaded),
            loading_panel(),
            rx.cond(
                S.signed_in,
                _form(),
                gate_panel(
                    icon="building-2",
                    title="Sign in to create a workspace",
                    body="Sign in with your company Google account first; then name your workspace.",
                    actions=server_button("Sign in", S.sign_in_href, icon="log-in", id="staff-sign-in"),
                ),
            ),
        )
    )
