"""The frame of every staff page: the staff shell (navigation, role, workspace switch) around a ready page, and the
page's gate (loading, signed out, no workspace, no access, not found) instead of it otherwise. A page passes its
state and its ready content: ``staff_frame(S, content)``.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from components.form import readable_placeholder_style
from components.layout import page_shell
from components.shell import staff_shell, switcher
from components.ui import gate_panel, link_button, loading_panel, server_button
from portal_app import routes
from state.pages import StaffArea

A = StaffArea


def _shell(content: rx.Component) -> rx.Component:
    return staff_shell(
        content,
        nav=A.nav,
        acting_as=A.acting_as,
        workspace_name=A.workspace_name,
        switcher=switcher(
            "Switch workspace",
            A.current_workspace_id,
            A.workspace_options,
            A.switch_workspace,
            "workspace-switcher",
        ),
    )


def _gate(S: Any, *, back: str, back_label: str) -> rx.Component:
    return rx.match(
        S.gate,
        (
            "signed_out",
            gate_panel(
                icon="layout-dashboard",
                title="Sign in to your workspace",
                body=(
                    "Staff sign in with their company Google account to manage members, customer accounts and "
                    "the portal."
                ),
                actions=server_button("Sign in", S.sign_in_href, icon="log-in", id="staff-sign-in"),
            ),
        ),
        (
            "no_workspace",
            gate_panel(
                icon="building-2",
                title="No workspace yet",
                body=(
                    "You are signed in, but not a member of an active workspace. Create one for your company, or "
                    "open the invitation link a colleague sent you."
                ),
                actions=link_button("Create a workspace", href=routes.ONBOARDING, size="3"),
            ),
        ),
        (
            "no_access",
            gate_panel(
                icon="lock",
                title="Not available to you",
                body=(
                    "This page is for workspace members whose role includes it. Your workspace's owner or a "
                    "manager can change your role."
                ),
                actions=link_button("Go to the staff home", href=routes.STAFF, size="3"),
            ),
        ),
        (
            "not_found",
            gate_panel(
                icon="search-x",
                title="Not found",
                body="There is nothing at this address in your workspace. It may have been removed.",
                actions=link_button(back_label, href=back, size="3"),
            ),
        ),
        loading_panel(),
    )


def staff_frame(
    S: Any, content: rx.Component, *, back: str = routes.STAFF, back_label: str = "Back to home"
) -> rx.Component:
    """``content`` in the staff shell when the page's gate is ready; otherwise the gate's panel in the public page
    shell (whose header has the sign-in link), and never the page's data."""
    return rx.cond(
        rx.State.is_hydrated & (S.gate == "ready"),
        _shell(rx.fragment(readable_placeholder_style(), content)),
        page_shell(
            rx.cond(
                ~rx.State.is_hydrated | (S.gate == "loading"),  # no flash of data before this load's checks
                loading_panel(),
                _gate(S, back=back, back_label=back_label),
            )
        ),
    )


def _eyebrow(eyebrow: Any) -> list[rx.Component]:
    if isinstance(eyebrow, rx.Component):
        return [eyebrow]
    return [rx.text(eyebrow, size="1", color_scheme="gray", weight="medium")] if eyebrow else []


def page_title(
    title: Any, *, eyebrow: Any = "", id: str = "", actions: rx.Component | None = None
) -> rx.Component:
    """The page's one h1, with a small line above it and actions on the right."""
    heading = rx.heading(title, size="7", as_="h1", **({"id": id} if id else {}))
    return rx.flex(
        rx.vstack(
            *_eyebrow(eyebrow),
            heading,
            spacing="1",
            align="start",
        ),
        *([actions] if actions is not None else []),
        justify="between",
        align="end",
        wrap="wrap",
        gap="16px",
        width="100%",
    )
