"""What every contact page shares: the portal shell with the account switcher, and the gates in place of the page.

``portal_page(S, content)`` shows ``content`` once ``S.gate`` is ready; before that a spinner, and instead of it
the sign-in, wrong-session or not-found panel (inside the shell, so the way on stays visible).
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from components.shell import portal_shell, switcher
from components.ui import gate_panel, link_button, loading_panel
from portal_app import routes

SWITCHER_ID = "account-switcher"


def _gate(S: Any) -> rx.Component:
    return rx.match(
        S.gate,
        (
            "signed_out",
            gate_panel(
                icon="log-in",
                title="Sign in to the customer portal",
                body="We email you a sign-in link: no password needed.",
                actions=link_button("Sign in", href=routes.PORTAL_SIGN_IN),
            ),
        ),
        (
            "no_access",
            gate_panel(
                icon="shield",
                title="This page is for customer contacts",
                body="You are signed in, but not as a customer contact. Sign in with the link from your email.",
                actions=link_button("Customer sign-in", href=routes.PORTAL_SIGN_IN),
            ),
        ),
        (
            "not_found",
            gate_panel(
                icon="search-x",
                title="Not found",
                body="This page does not exist, or it is not shared with this account.",
                actions=link_button("Back to your portal home", href=routes.PORTAL),
            ),
        ),
        loading_panel(),
    )


def portal_page(S: Any, content: rx.Component) -> rx.Component:
    """A contact page: the portal shell, then ``content`` when the gate is ready, otherwise the gate."""
    return portal_shell(
        rx.cond(rx.State.is_hydrated & (S.gate == "ready"), content, _gate(S)),
        nav=S.portal_nav,
        account_name=S.account_name,
        workspace_name=S.team_name,
        switcher=switcher(
            "Viewing account", S.current_account_id, S.account_options, S.switch_account, SWITCHER_ID
        ),
    )


def back_link(label: str, href: str) -> rx.Component:
    return rx.link(
        rx.icon("arrow-left", size=14, aria_hidden="true"),
        label,
        href=href,
        size="2",
        display="inline-flex",
        align_items="center",
        gap="4px",
    )
