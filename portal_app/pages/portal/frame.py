"""What every contact page shares: the portal shell with the account switcher, and the gates in place of the page.

``portal_page(S, content)`` shows ``content`` once ``S.gate`` is ready; before that a spinner, and instead of it
the sign-in, wrong-session or not-found panel (inside the shell, so the way on stays visible).
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from components.shell import portal_shell, switcher
from components.table import paged_list
from components.ui import gate_panel, link_button, loading_panel
from portal_app import routes

SWITCHER_ID = "account-switcher"


# (gate, icon, title, body, action label, action href; "" for the page's sign-in link, which comes back to it)
_GATES = (
    (
        "signed_out",
        "log-in",
        "Sign in to the customer portal",
        "We email you a sign-in link: no password needed.",
        "Sign in",
        "",
    ),
    (
        "no_access",
        "shield",
        "This page is for customer contacts",
        "You are signed in, but not as a customer contact. Sign in with the link from your email.",
        "Customer sign-in",
        "",
    ),
    (
        "not_found",
        "search-x",
        "Not found",
        "This page does not exist, or it is not shared with this account.",
        "Back to your portal home",
        routes.PORTAL,
    ),
)


def _gate(S: Any) -> rx.Component:
    return rx.match(
        S.gate,
        *[
            (
                gate,
                gate_panel(
                    icon=icon,
                    title=title,
                    body=body,
                    actions=link_button(action, href=href or S.sign_in_href),
                ),
            )
            for gate, icon, title, body, action, href in _GATES
        ],
        loading_panel(),
    )


def _group_link(item: Any) -> rx.Component:
    return rx.el.li(
        rx.link(
            item.label,
            href=item.href,
            aria_current=rx.cond(item.active, "page", None),
            weight=rx.cond(item.active, "bold", "regular"),
            size="2",
            underline=rx.cond(item.active, "always", "hover"),
        ),
        list_style="none",
    )


def _group_nav(S: Any) -> rx.Component:
    """Links between the pages of one tab (Estimates · Approvals, Invoices · Statements), for phones, whose bottom
    bar opens only the first of them."""
    return rx.cond(
        S.portal_group.length() > 0,
        rx.el.nav(
            rx.el.ul(
                rx.foreach(S.portal_group, _group_link),
                display="flex",
                gap="16px",
                margin="0",
                padding="0",
            ),
            aria_label="In this section",
            class_name="portal-group-nav",
            margin_bottom="12px",
            # From 576 px the top navigation lists every page; below it only the bottom bar's tabs show.
            display=rx.breakpoints(initial="block", sm="none"),
        ),
    )


def portal_page(S: Any, content: rx.Component) -> rx.Component:
    """A contact page: the portal shell, then ``content`` when the gate is ready, otherwise the gate."""
    return portal_shell(
        rx.cond(rx.State.is_hydrated & (S.gate == "ready"), rx.fragment(_group_nav(S), content), _gate(S)),
        nav=S.portal_nav,
        tabs=S.portal_tabs,
        account_name=S.account_name,
        workspace_name=S.team_name,
        logo_url=S.brand_logo_url,
        accent=S.brand_accent,
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


def portal_list(S: Any, title: str, purpose: Any, table: rx.Component) -> rx.Component:
    """A contact's list page (a ``ListMixin`` state): the header, the table and, past one page, the pager."""
    return portal_page(
        S,
        paged_list(
            title,
            purpose,
            table,
            more=S.total > S.PAGE_SIZE,
            page_label=S.page_label,
            has_prev=S.has_prev,
            has_next=S.has_next,
            on_prev=S.prev_page,
            on_next=S.next_page,
        ),
    )
