"""One invoice for staff (``/app/invoices/[id]``): lines, payments, the payment proofs sent for it and their review
state, follow-up tasks; edit, issue, record a payment, download the PDF, void."""

from __future__ import annotations

from typing import Any

import reflex as rx

from components.badges import status_badge
from components.detail import detail_layout, note_block, totals_list
from components.dialog import confirm_dialog
from components.form import control_field, control_props, field, stacked_form, submit_button
from components.line_items import lines_table
from components.reminders import record_reminders_card
from components.table import Column, data_table, empty_state
from components.tasks import record_tasks
from components.ui import download_button, link_button, section_card, server_link
from portal_app import routes
from portal_app.pages.staff.frame import staff_frame
from portal_app.pages.staff.invoices import MONEY, amount
from state.invoices import PAYMENT_METHODS, InvoiceDetailState

# Typed as Any: the class attributes are Vars in the page, which mypy cannot see.
D: Any = InvoiceDetailState

TITLE = "Invoice — Customer Portal"
DESCRIPTION = "One invoice: its lines, payments, the payment proofs sent for it and what to do next."


def _lines_card() -> rx.Component:
    return section_card(
        "Lines",
        lines_table(D.lines, caption="Invoice lines"),
        totals_list(("Subtotal", D.subtotal), ("Tax", D.tax), ("Total", D.total)),
        note_block("Notes for the customer", D.customer_notes),
        note_block("Internal note (your team only)", D.internal_notes),
    )


def _payments_card() -> rx.Component:
    return section_card(
        "Payments",
        data_table(
            ["Received", Column("Amount", "right"), "Method", "Reference", "Recorded from"],
            D.payments,
            lambda p: [
                rx.text(p.received, size="2", white_space="nowrap"),
                amount(p.amount),
                rx.text(p.method, size="2"),
                rx.text(p.reference, size="2"),
                rx.text(p.source, size="2"),
            ],
            caption="Payments on this invoice",
            empty=empty_state("No payments yet.", icon="banknote"),
        ),
        totals_list(("Paid", D.paid), ("Balance", D.balance)),
        id="invoice-payments",
    )


def _proofs_card() -> rx.Component:
    return section_card(
        "Payment proofs",
        rx.cond(
            D.proofs_waiting > 0,
            rx.callout(
                rx.text(
                    "Proof awaits a decision: the balance changes only once a reviewer accepts it. ",
                    rx.link("Open the review queue", href=D.review_href),
                ),
                icon="hourglass",
                color_scheme="blue",
                size="1",
            ),
        ),
        data_table(
            ["File", "Claimed", "Paid on", "Sent", "State"],
            D.proofs,
            lambda p: [
                rx.vstack(
                    server_link(p.name, p.file_href, aria_label="Download " + p.name, download=""),
                    rx.text(p.kind, " · ", p.size, size="1", color_scheme="gray"),
                    spacing="0",
                ),
                amount(p.claimed_amount),
                rx.text(p.claimed_on, size="2", white_space="nowrap"),
                rx.text(p.sent, size="2", white_space="nowrap", title=p.sent_exact),
                rx.vstack(
                    status_badge(p.status_label, p.status_color),
                    rx.cond(p.reason != "", rx.text("Reason: ", p.reason, size="1")),
                    spacing="1",
                ),
            ],
            caption="Payment proofs sent by the account's contacts",
            empty=empty_state(
                "No payment proof sent yet.", "Contacts send it from the portal.", icon="file-check"
            ),
        ),
        id="invoice-proofs",
    )


def _payment_form() -> rx.Component:
    def err(name: str) -> Any:
        return D.errors[name]

    return stacked_form(
        control_field(
            "Amount (" + D.currency + ")",
            rx.input,
            control_id="payment-amount",
            error=err("amount"),
            hint="At most the balance due, shown above.",
            required=True,
            name="amount",
            input_mode="decimal",
            max_length=40,
        ),
        control_field(
            "Date received",
            rx.input,
            control_id="payment-received",
            error=err("received_on"),
            required=True,
            name="received_on",
            type="date",
            default_value=D.payment_today,
            max=D.payment_today,
        ),
        field(
            "Method",
            rx.select.root(
                rx.select.trigger(width="100%", **control_props("payment-method", err("method"))),
                rx.select.content(*(rx.select.item(label, value=value) for value, label in PAYMENT_METHODS)),
                default_value="bank_transfer",
                name="method",
            ),
            control_id="payment-method",
            error=err("method"),
        ),
        control_field(
            "Reference",
            rx.input,
            control_id="payment-reference",
            error=err("reference"),
            hint="Optional: the bank reference or cheque number.",
            name="reference",
            max_length=200,
        ),
        rx.flex(
            rx.dialog.close(rx.button("Cancel", type="button", variant="soft", color_scheme="gray")),
            submit_button("Record payment", loading=D.submitting, size="2"),
            gap="12px",
            justify="end",
            width="100%",
        ),
        on_submit=D.record_payment,
        spacing="3",
        align=None,
    )


def _payment_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.trigger(
            rx.button(rx.icon("banknote", size=16, aria_hidden="true"), "Record a payment", width="100%")
        ),
        rx.dialog.content(
            rx.dialog.title("Record a payment on " + D.number),
            rx.dialog.description(
                "Balance due: ",
                rx.text(D.balance, as_="span", weight="bold", **MONEY),
                ". For money that arrived without a payment proof; the balance changes at once.",
                size="2",
            ),
            _payment_form(),
            max_width="440px",
        ),
        open=D.payment_open,
        on_open_change=D.set_payment_open,
    )


def _actions() -> rx.Component:
    return rx.vstack(
        rx.heading("Actions", size="3", as_="h2"),
        rx.cond(D.can_edit, link_button("Edit draft", href=D.edit_href, variant="soft", width="100%")),
        rx.cond(
            D.can_issue,
            confirm_dialog(
                "Issue invoice",
                title="Issue " + D.number + " to " + D.account_name + "?",
                description=D.issue_terms
                + " Its contacts with billing access will see it in the portal; a draft can no longer be edited.",
                confirm_label="Issue " + D.number,
                on_confirm=D.issue,
                color_scheme="blue",
                icon="send",
                trigger_variant="solid",
                trigger_size="2",
                width="100%",
            ),
        ),
        rx.cond(D.can_record, _payment_dialog()),
        download_button("Download PDF", D.pdf_href, width="100%"),
        rx.cond(
            D.can_void,
            confirm_dialog(
                "Void invoice",
                title="Void " + D.number + "?",
                description="The contact will see it as void, with your reason. This cannot be undone.",
                confirm_label="Void " + D.number,
                on_confirm=D.void,
                reason=True,
                reason_label="Reason for voiding",
                reason_hint="The account's contacts read this.",
                icon="ban",
                trigger_size="2",
                width="100%",
            ),
        ),
        spacing="3",
        align="stretch",
        width="100%",
    )


def invoice_detail_page() -> rx.Component:
    return staff_frame(
        D,
        detail_layout(
            title=D.number,
            status=status_badge(D.status_label, D.status_color, size="2"),
            back=rx.link("← All invoices", href=routes.STAFF_INVOICES, size="2"),
            history=D.history_href,
            facts=[
                ("Account", rx.link(D.account_name, href=D.account_href)),
                ("Issued", D.issue_date),
                ("Due", D.due_date),
                ("Total", rx.text(D.total, **MONEY)),
                ("Paid", rx.text(D.paid, **MONEY)),
                ("Balance", rx.text(D.balance, weight="bold", **MONEY)),
            ],
            main=rx.vstack(
                rx.cond(
                    D.void_reason != "",
                    rx.callout("Void: " + D.void_reason, icon="ban", color_scheme="red", size="1"),
                ),
                _lines_card(),
                _payments_card(),
                _proofs_card(),
                record_tasks(
                    D.tasks,
                    title="Follow-up tasks",
                    empty="No open follow-up tasks. A payment proof raises one for a reviewer.",
                    id="invoice-tasks",
                ),
                record_reminders_card(D, record_word="this invoice"),
                spacing="4",
                width="100%",
            ),
            aside=rx.card(_actions(), size="2", width="100%"),
        ),
        back=routes.STAFF_INVOICES,
        back_label="Back to invoices",
    )
