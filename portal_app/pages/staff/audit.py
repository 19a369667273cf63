"""The audit log (``/app/audit``): every entry in plain words, filtered by who, what, record, account and dates,
paged "Newer" / "Older" by keyset; the chain check and the CSV of the filtered entries."""

from __future__ import annotations

from typing import Any

import reflex as rx

from components.detail import page_header
from components.form import control_field, field, field_error
from components.table import data_table, empty_state, filtered_empty
from components.tasks import choice_filter
from components.ui import download_button
from portal_app import routes
from portal_app.pages.staff.frame import staff_frame
from state.audit import ACTION_MENU, PAYMENT_MENU, AuditLogState, MenuGroup

# Typed as Any: the class attributes are Vars in the page, which mypy cannot see.
L: Any = AuditLogState

TITLE = "Audit log — Customer Portal"
DESCRIPTION = "Who did what in your workspace, in plain words; check that no entry was altered; export it."


def _actions() -> rx.Component:
    return rx.flex(
        download_button("Download CSV", L.csv_href, size="3", id="audit-csv"),
        rx.button(
            rx.icon("shield-check", size=16, aria_hidden="true"),
            "Verify the audit chain",
            on_click=L.verify,
            size="3",
            id="audit-verify",
        ),
        gap="12px",
        wrap="wrap",
    )


def _verify_result() -> rx.Component:
    """What the chain check found, announced when it appears; empty until the button is pressed."""
    found = rx.callout.root(
        rx.callout.icon(
            rx.cond(
                L.verify_state == "ok", rx.icon("shield-check", size=18), rx.icon("shield-alert", size=18)
            )
        ),
        rx.callout.text(
            L.verify_message,
            rx.cond(
                L.verify_anchor != "",
                rx.fragment(
                    " ",
                    rx.button(
                        "Show the entry",
                        variant="ghost",
                        size="1",
                        on_click=rx.scroll_to(L.verify_anchor),
                        id="audit-verify-show",
                    ),
                ),
            ),
        ),
        color_scheme=rx.cond(L.verify_state == "ok", "green", "red"),
        role=rx.cond(L.verify_state == "ok", "status", "alert"),
        width="100%",
    )
    return rx.box(
        rx.cond(L.verify_state != "", found), id="audit-verify-result", aria_live="polite", width="100%"
    )


def _chip(label: str, value: Any, name: str) -> rx.Component:
    return rx.badge(
        f"{label}: ",
        value,
        rx.icon_button(
            rx.icon("x", size=12, aria_hidden="true"),
            size="1",
            variant="ghost",
            color_scheme="gray",
            on_click=L.clear_filter(name),
            aria_label=f"Clear the {label.lower()} filter",
        ),
        size="2",
        variant="surface",
        color_scheme="gray",
        gap="4px",
    )


def _dates() -> rx.Component:
    def date_input(label: str, name: str, value: Any) -> rx.Component:
        return control_field(
            label,
            rx.input,
            control_id=f"audit-{name}",
            type="date",
            name=name,
            default_value=value,
            key=value,
            field_props={"width": "auto"},
        )

    return rx.form(
        rx.vstack(
            rx.flex(
                date_input("From", "since", L.since_value),
                date_input("To", "until", L.until_value),
                rx.button("Apply dates", type="submit", variant="soft"),
                gap="12px",
                align="end",
                wrap="wrap",
            ),
            rx.text(
                "Dates and times are in the workspace's time zone (",
                L.time_zone,
                ").",
                size="1",
                color_scheme="gray",
            ),
            field_error(L.date_error, control_id="audit-since"),
            spacing="1",
            align="start",
        ),
        on_submit=L.apply_dates,
        aria_label="Dates",
    )


def _action_select(menu: list[MenuGroup]) -> rx.Component:
    """What happened: a whole group ("Invoices & payments (all)") or one action in it ("Payment recorded")."""
    return field(
        "What",
        rx.select.root(
            rx.select.trigger(id="audit-filter-action", min_width="220px"),
            rx.select.content(
                rx.select.item("Every kind of entry", value="all"),
                *(
                    rx.select.group(
                        rx.select.label(label),
                        *(rx.select.item(text, value=value) for value, text in items),
                    )
                    for label, items in menu
                ),
            ),
            value=L.action_value,
            on_change=lambda v: L.set_filter("action", v),
        ),
        control_id="audit-filter-action",
        width="auto",
    )


def _filters() -> rx.Component:
    chips = rx.flex(
        rx.cond(L.record_label != "", _chip("Record", L.record_label, "record")),
        rx.cond(L.dates_label != "", _chip("Dates", L.dates_label, "dates")),
        rx.cond(L.filtered, rx.button("Clear filters", variant="ghost", on_click=L.clear_filters)),
        gap="8px",
        wrap="wrap",
        align="center",
    )
    return rx.vstack(
        rx.flex(
            choice_filter(
                "Who",
                L.actor_value,
                L.actor_choices,
                lambda v: L.set_filter("actor", v),
                "audit-filter-actor",
                all_label="Anyone",
            ),
            rx.cond(L.payments_only, _action_select(PAYMENT_MENU), _action_select(ACTION_MENU)),
            choice_filter(
                "Account",
                L.account_value,
                L.account_choices,
                lambda v: L.set_filter("account", v),
                "audit-filter-account",
                all_label="All accounts",
            ),
            _dates(),
            gap="16px",
            wrap="wrap",
            align="end",
            width="100%",
        ),
        chips,
        spacing="3",
        width="100%",
    )


def _cells(row: Any) -> list[Any]:
    when = rx.el.time(row.when, title=row.when_exact, id=row.anchor, white_space="nowrap")
    who = rx.vstack(
        rx.text(row.who, size="2", weight="medium"),
        rx.text(row.who_kind, size="1", color_scheme="gray"),
        spacing="0",
        align="start",
    )
    what = rx.vstack(
        rx.text(
            row.sentence,
            rx.cond(row.broken, rx.badge("Altered", color_scheme="red", margin_left="8px")),
            size="2",
        ),
        rx.cond(
            row.record_href != "",
            rx.link(row.record, href=row.record_href, size="1"),
            rx.text(row.record, size="1", color_scheme="gray"),
        ),
        spacing="1",
        align="start",
    )
    account = rx.cond(
        row.account_href != "",
        rx.link(row.account, href=row.account_href, size="2"),
        rx.text("—", size="2", color_scheme="gray"),
    )
    return [when, who, what, account]


def _pager() -> rx.Component:
    return rx.el.nav(
        rx.hstack(
            rx.button(
                rx.icon("chevron-left", size=14, aria_hidden="true"),
                "Newer",
                variant="soft",
                disabled=~L.has_newer,
                on_click=L.newer_page,
                aria_label="Newer entries",
            ),
            rx.text(L.page_label, size="2", color_scheme="gray", aria_live="polite", text_align="center"),
            rx.button(
                "Older",
                rx.icon("chevron-right", size=14, aria_hidden="true"),
                variant="soft",
                disabled=~L.has_older,
                on_click=L.older_page,
                aria_label="Older entries",
            ),
            spacing="3",
            align="center",
            justify="center",
            # "Newest entries · #1234 to #1185" and two buttons do not fit 390 px on one line: wrap, never widen.
            flex_wrap="wrap",
            width="100%",
        ),
        aria_label="Audit log pages",
        width="100%",
    )


def audit_page() -> rx.Component:
    return staff_frame(
        L,
        rx.vstack(
            page_header(
                "Audit log",
                "Who did what in your workspace, newest first. Entries cannot be edited: the chain check proves it.",
                _actions(),
                margin_bottom="0",
            ),
            rx.cond(
                L.payments_only,
                rx.callout.root(
                    rx.callout.icon(rx.icon("info", size=18)),
                    rx.callout.text(
                        "You see the payment entries: invoices, payments, statements and payment proof."
                    ),
                    color_scheme="blue",
                    width="100%",
                ),
            ),
            _verify_result(),
            _filters(),
            data_table(
                ["When", "Who", "What happened", "Account"],
                L.rows,
                _cells,
                caption="Audit log entries",
                empty=rx.cond(
                    L.filtered,
                    filtered_empty(L.clear_filters, title="No entry matches."),
                    empty_state(
                        "No entries yet.",
                        "What your team and your customers do in the workspace and the portal is recorded here.",
                        icon="scroll",
                    ),
                ),
                id="audit-table",
            ),
            _pager(),
            spacing="4",
            width="100%",
        ),
        back=routes.STAFF_AUDIT,
        back_label="Back to the audit log",
    )
