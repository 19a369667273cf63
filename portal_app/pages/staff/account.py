"""One customer account for staff (``/app/accounts/[id]``): details, contacts and their portal access, the
account's latest estimates and approvals linking to their own pages."""

from __future__ import annotations

from typing import Any

import reflex as rx

from components.badges import status_badge
from components.detail import facts_list
from components.reminders import account_reminders_panel, reminders_off_badge
from components.table import Column, data_table
from components.ui import confirm_button, flag_badge, link_button, section_card
from portal_app import routes
from portal_app.pages.staff.frame import page_title, staff_frame
from state.accounts import AccountDetailState

D = AccountDetailState

TITLE = "Customer account — Customer Portal"
DESCRIPTION = (
    "A customer account: its contacts and what they may see, its reminders, its estimates and approvals."
)


def _contact_actions(c: Any) -> rx.Component:
    return rx.cond(
        D.can_manage_contacts,
        rx.hstack(
            rx.cond(
                c.status == "deactivated",
                rx.button(
                    "Reactivate",
                    size="1",
                    variant="soft",
                    on_click=D.reactivate_contact(c.id),
                    aria_label="Reactivate " + c.name,
                ),
                rx.fragment(
                    rx.cond(
                        D.portal_enabled,
                        rx.button(
                            rx.icon("mail", size=12),
                            "Invite to portal",
                            size="1",
                            variant="soft",
                            on_click=D.invite_contact(c.id),
                            class_name="invite-contact",
                            aria_label="Invite to portal: " + c.name,
                        ),
                    ),
                    confirm_button(
                        "Deactivate",
                        title="Deactivate this contact?",
                        description="Their portal sessions, invitations and sign-in links end at once.",
                        confirm_label="Deactivate",
                        on_confirm=D.deactivate_contact(c.id),
                        aria_label="Deactivate " + c.name,
                    ),
                ),
            ),
            spacing="2",
            justify="end",
            wrap="wrap",
        ),
    )


def _contact_cells(c: Any) -> list[rx.Component]:
    return [
        rx.vstack(
            rx.text(c.name, size="2", weight="medium"),
            rx.text(c.email, size="1", color_scheme="gray"),
            spacing="0",
            align="start",
        ),
        rx.flex(
            status_badge(c.status_label, c.status_color),
            reminders_off_badge(c.reminders_off),
            gap="4px",
            wrap="wrap",
        ),
        rx.hstack(
            flag_badge("Billing", c.billing),
            flag_badge("Operations", c.operations),
            flag_badge("Documents", c.documents),
            spacing="1",
            wrap="wrap",
        ),
        _contact_actions(c),
    ]


def _record_cells(r: Any) -> list[rx.Component]:
    return [
        rx.link(r.title, href=r.href, weight="medium"),
        rx.text(r.reference, size="2"),
        status_badge(r.status_label, r.status_color),
        rx.text(r.detail, size="2"),
    ]


def _records(
    title: str, rows: Any, more: Any, *, reference: str, detail: str, list_href: str, empty: str
) -> rx.Component:
    return section_card(
        title,
        data_table(
            ["Title", reference, "Status", Column(detail, align="right")],
            rows,
            _record_cells,
            caption=f"{title} of this account",
            empty=rx.text(empty, size="2", color_scheme="gray"),
        ),
        rx.hstack(
            rx.text(more, size="1", color_scheme="gray"),
            rx.link(f"All {title.lower()}", href=list_href, size="2"),
            justify="between",
            width="100%",
        ),
    )


def _owner() -> rx.Component:
    return rx.cond(
        D.can_manage_account,
        rx.select.root(
            rx.select.trigger(aria_label="Looked after by", id="account-owner", min_width="180px"),
            rx.select.content(rx.foreach(D.owner_options, lambda o: rx.select.item(o.label, value=o.value))),
            value=D.owner,
            on_change=D.choose_owner,
            size="1",
        ),
        rx.text(D.owner_name),
    )


def account_page() -> rx.Component:
    return staff_frame(
        D,
        rx.vstack(
            page_title(
                D.name,
                eyebrow=rx.link("Customer accounts", href=routes.STAFF_ACCOUNTS, size="1"),
                id="account-name",
                actions=rx.cond(
                    D.statement_href != "",
                    link_button(
                        rx.icon("scroll-text", size=16, aria_hidden="true"),
                        "Statement",
                        href=D.statement_href,
                        variant="soft",
                    ),
                ),
            ),
            facts_list(
                [
                    ("Code", D.code),
                    ("Currency", D.currency),
                    ("Billing email", rx.cond(D.billing_email != "", D.billing_email, "Not set")),
                    ("Payment terms", D.payment_terms),
                    ("Looked after by", _owner()),
                ]
            ),
            rx.cond(
                D.internal_notes != "",
                rx.callout(
                    D.internal_notes,
                    icon="notebook-pen",
                    size="1",
                    color_scheme="gray",
                    title="Internal note",
                ),
            ),
            section_card(
                "Contacts",
                data_table(
                    ["Contact", "Status", "May see", Column("Actions", align="right", hide_label=True)],
                    D.contacts,
                    _contact_cells,
                    caption="Contacts of this account",
                    empty=rx.text("No contacts for this account yet.", size="2", color_scheme="gray"),
                    id="contacts-table",
                ),
                rx.cond(
                    ~D.portal_enabled,
                    rx.callout(
                        "Turn the Customer Portal module on in Settings to invite contacts.",
                        icon="info",
                        size="1",
                        color_scheme="gray",
                    ),
                ),
                description="Who may sign in to the portal for this account, and what each may see there.",
                id="contacts-panel",
            ),
            account_reminders_panel(D, D.name),
            rx.grid(
                _records(
                    "Estimates",
                    D.estimates,
                    D.estimates_more,
                    reference="Number",
                    detail="Total",
                    list_href=routes.STAFF_ESTIMATES,
                    empty="No estimates for this account yet.",
                ),
                _records(
                    "Approvals",
                    D.approvals,
                    D.approvals_more,
                    reference="Requested",
                    detail="Due",
                    list_href=routes.STAFF_APPROVALS,
                    empty="No approval requests for this account yet.",
                ),
                columns=rx.breakpoints(initial="1", lg="2"),
                gap="24px",
                width="100%",
            ),
            spacing="5",
            width="100%",
            align="stretch",
        ),
        back=routes.STAFF_ACCOUNTS,
        back_label="Back to accounts",
    )
