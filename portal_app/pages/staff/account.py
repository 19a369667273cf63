"""One customer account for staff (``/app/accounts/[id]``), the page that joins everything: details and owner,
balance and aging, the latest records of every area the member may read (each linking to its page, and to the
list filtered by the account), open tasks, the timeline of portal activity; contacts, the statement and
reminders in the aside. On a phone it stacks: facts, main body, aside."""

from __future__ import annotations

import reflex as rx

from components.aging import aging_table
from components.badges import status_badge
from components.contacts import contact_list
from components.detail import detail_layout
from components.records import record_summary, summary_card
from components.reminders import account_reminders_panel
from components.table import data_table
from components.tasks import RECORD_TASK_COLUMNS, due_text, task_title
from components.timeline import activity_timeline
from components.ui import empty_text, link_button, section_card
from portal_app import routes
from portal_app.pages.staff.frame import staff_frame
from state.accounts import AccountDetailState

D = AccountDetailState

TITLE = "Customer account — Customer Portal"
DESCRIPTION = (
    "A customer account: its contacts and what they may see, what it owes, its records, open tasks and a "
    "timeline of portal activity."
)


def _contacts() -> rx.Component:
    return section_card(
        "Contacts",
        contact_list(
            D.contacts,
            can_manage=D.can_manage_contacts,
            portal_enabled=D.portal_enabled,
            on_invite=D.invite_contact,
            on_deactivate=D.deactivate_contact,
            on_reactivate=D.reactivate_contact,
            id="contacts-table",
            aria_label="Contacts of this account",
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
    )


def _aside() -> rx.Component:
    return rx.vstack(
        rx.cond(
            D.statement_href != "",
            link_button(
                rx.icon("scroll-text", size=16, aria_hidden="true"),
                "Statement",
                href=D.statement_href,
                variant="soft",
                width="100%",
            ),
        ),
        _contacts(),
        account_reminders_panel(D, D.name),
        spacing="4",
        width="100%",
    )


# The areas in order: (area key, the state's rows var, heading, title/reference/detail columns, empty text).
# Its id is "account-<key>"; it shows only when the member's role may read the area (its ``D.areas`` link).
SECTIONS: tuple[tuple[str, str, str, tuple[str, str, str], str], ...] = (
    ("estimates", "estimates", "Estimates", ("Title", "Number", "Total"), "No estimates yet."),
    ("approvals", "approvals", "Approvals", ("Title", "Requested", "Due"), "No approval requests yet."),
    ("invoices", "invoices", "Invoices", ("Number", "Due", "Amount"), "No invoices yet."),
    (
        "documents",
        "documents",
        "Document requests",
        ("Title", "Requested", "Due"),
        "No document requests yet.",
    ),
    ("deliveries", "deliveries", "Deliveries", ("Title", "Reference", "Expected"), "No deliveries yet."),
    (
        "messages",
        "conversations",
        "Conversations",
        ("Subject", "Last from", "Last activity"),
        "No conversations yet.",
    ),
)


def _records(key: str, var: str, title: str, columns: tuple[str, str, str], empty: str) -> rx.Component:
    rows, total = getattr(D, var), getattr(D, f"{var}_total")
    return rx.cond(
        D.areas[key] != "",
        record_summary(
            title, rows, total, list_href=D.areas[key], columns=columns, empty=empty, id=f"account-{key}"
        ),
    )


def _tasks() -> rx.Component:
    table = data_table(
        RECORD_TASK_COLUMNS,
        D.tasks,
        lambda t: [
            task_title(t),
            status_badge(t.status_label, t.status_color),
            rx.text(t.assignee, size="2"),
            due_text(t),
        ],
        caption="Open tasks of this account, soonest due first",
        empty=empty_text("No open tasks for this account."),
        size="1",
    )
    return rx.cond(
        D.areas["tasks"] != "",
        summary_card(
            "Open tasks",
            table,
            shown=D.tasks.length(),
            total=D.tasks_total,
            list_href=D.areas["tasks"],
            what="open tasks of this account",
            id="account-tasks",
        ),
    )


def _main() -> rx.Component:
    return rx.vstack(
        rx.cond(
            D.internal_notes != "",
            rx.callout(
                D.internal_notes, icon="notebook-pen", size="1", color_scheme="gray", title="Internal note"
            ),
        ),
        rx.cond(
            D.statement_href != "",
            section_card(
                "Balance and aging",
                aging_table(D.balances),
                description="What the account's issued invoices leave to pay, by days past due.",
                id="account-aging",
            ),
        ),
        _tasks(),
        *(_records(*section) for section in SECTIONS),
        section_card(
            "Activity",
            activity_timeline(
                D.timeline,
                more=D.timeline_more,
                on_more=D.show_older_activity,
                empty="Nothing has happened on this account yet.",
                label="Activity on this account, newest first",
            ),
            rx.cond(
                D.timeline_capped,
                rx.text(
                    "These are the latest 150 entries.",
                    rx.cond(
                        D.timeline_audit_href != "",
                        rx.fragment(
                            " ", rx.link("Older ones are in the audit log", href=D.timeline_audit_href), "."
                        ),
                    ),
                    size="2",
                    color_scheme="gray",
                ),
            ),
            description="What was shared with the customer, what its contacts did, and the team's actions.",
            id="account-timeline",
        ),
        spacing="4",
        width="100%",
        align="stretch",
    )


def _owner() -> rx.Component:
    return rx.cond(
        D.can_manage_account,
        rx.select.root(
            rx.select.trigger(aria_label="Looked after by", id="account-owner", min_width="160px"),
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
        detail_layout(
            title=D.name,
            number=D.code,
            title_id="account-name",
            back=rx.link("Customer accounts", href=routes.STAFF_ACCOUNTS, size="2"),
            facts=[
                ("Looked after by", _owner()),
                ("Currency", D.currency),
                (
                    "Balance",
                    rx.cond(
                        D.statement_href != "",
                        rx.text(D.balance, id="account-balance", weight="medium"),
                        rx.text("—"),
                    ),
                ),
                ("Billing email", rx.cond(D.billing_email != "", D.billing_email, "Not set")),
                ("Payment terms", D.payment_terms),
            ],
            main=_main(),
            aside=_aside(),
            aside_label="Contacts and actions",
        ),
        back=routes.STAFF_ACCOUNTS,
        back_label="Back to accounts",
    )
