"""Customer portal: one invoice (``/portal/invoices/[id]``): lines, totals, payments, balance, the PDF, and the
payment proof the contact sends for the team to review."""

from __future__ import annotations

from typing import Any

import reflex as rx

from components.badges import status_badge
from components.detail import detail_layout
from components.form import control_field, submit_button
from components.table import data_table
from components.thread import record_thread
from components.ui import download_button, section_card
from components.upload import file_field, upload_progress, upload_script
from portal_app import routes
from portal_app.pages.portal.frame import back_link, portal_page
from state.portal_invoices import PROOF_FILE_ID, PROOF_PROGRESS_ID, PortalInvoiceState, ProofRow

S = PortalInvoiceState

TITLE = "Invoice — Customer portal"
DESCRIPTION = "An invoice for your account: its lines, payments and balance, and proof of a payment you made."


def _line(row: Any) -> list[rx.Component]:
    return [
        rx.text(row.description),
        rx.text(row.quantity),
        rx.text(row.unit_price),
        rx.text(row.tax),
        rx.text(row.total),
    ]


def _payment(row: Any) -> list[rx.Component]:
    return [rx.text(row.received), rx.text(row.reference), rx.text(row.amount)]


def _sum_line(label: str, value: rx.Var, *, strong: bool = False) -> rx.Component:
    return rx.hstack(
        rx.text(label, size="2", weight="bold" if strong else "regular"),
        rx.text(value, size="3" if strong else "2", weight="bold" if strong else "regular"),
        justify="between",
        width="100%",
        font_variant_numeric="tabular-nums",
    )


def _main() -> rx.Component:
    return rx.vstack(
        section_card(
            "Lines",
            data_table(
                [
                    "Description",
                    ("Qty", "right"),
                    ("Unit price", "right"),
                    ("Tax", "right"),
                    ("Amount", "right"),
                ],
                S.lines,
                _line,
                caption="Invoice lines",
                empty=rx.text("No lines.", size="2"),
            ),
            rx.vstack(
                _sum_line("Subtotal", S.subtotal),
                _sum_line("Tax", S.tax),
                _sum_line("Total", S.total, strong=True),
                _sum_line("Paid", S.paid),
                _sum_line("Balance due", S.balance, strong=True),
                spacing="1",
                width="100%",
                max_width="320px",
                align_self="end",
            ),
        ),
        section_card(
            "Payments received",
            data_table(
                ["Received", "Reference", ("Amount", "right")],
                S.payments,
                _payment,
                caption="Payments received",
                empty=rx.text(
                    "No payments recorded yet. Payments you make appear here once the team has accepted them.",
                    size="2",
                ),
            ),
        ),
        rx.cond(
            S.notes != "",
            section_card("Notes", rx.text(S.notes, size="2", white_space="pre-wrap"), id="notes"),
        ),
        record_thread(S, noun="invoice"),
        spacing="5",
        width="100%",
    )


def _proof(row: ProofRow) -> rx.Component:
    return rx.el.li(
        rx.vstack(
            rx.hstack(
                status_badge(row.state, row.color),
                rx.text(row.name, size="2", weight="medium", word_break="break-all"),
                spacing="2",
                align="center",
                wrap="wrap",
            ),
            rx.text(
                "Sent ",
                row.sent,
                " · ",
                row.size,
                rx.cond(row.reference != "", " · Reference " + row.reference, ""),
                size="1",
                color_scheme="gray",
            ),
            rx.cond(
                row.reason != "",
                rx.text("Reason: ", rx.el.span(row.reason, white_space="pre-wrap"), size="2"),
            ),
            spacing="1",
            align="start",
        ),
        padding_y="8px",
        list_style="none",
    )


PROOF_FORM_ID = "proof-form"


def _proof_form() -> rx.Component:
    # The file input sits outside the <form> (the button joins it through ``form=``): its file is sent by the
    # upload script, never as part of the form's data.
    fields = rx.form(
        rx.vstack(
            control_field(
                "Amount paid",
                rx.input,
                control_id="proof-amount",
                error=S.errors["amount"],
                hint=rx.el.span("In ", S.currency, ", like 1,234.50."),
                required=True,
                name="amount",
                input_mode="decimal",
                auto_complete="off",
                max_length=32,
            ),
            control_field(
                "Payment date",
                rx.input,
                control_id="proof-paid-on",
                error=S.errors["paid_on"],
                hint="The day you made the payment.",
                required=True,
                name="paid_on",
                type="date",
            ),
            control_field(
                "Payment reference",
                rx.input,
                control_id="proof-reference",
                error=S.errors["reference"],
                hint="Optional: the reference on your bank transfer or receipt.",
                name="reference",
                max_length=200,
                auto_complete="off",
            ),
            spacing="3",
            width="100%",
        ),
        on_submit=S.send_proof,
        id=PROOF_FORM_ID,
        width="100%",
    )
    return rx.vstack(
        fields,
        file_field(
            "Proof of payment",
            control_id=PROOF_FILE_ID,
            limit_label=S.limit_label,
            error=S.errors["file"],
            disabled=S.submitting,
        ),
        upload_progress(PROOF_PROGRESS_ID, label="Sending your payment proof"),
        submit_button(
            "Send payment proof", loading=S.submitting, width="100%", custom_attrs={"form": PROOF_FORM_ID}
        ),
        spacing="3",
        width="100%",
    )


def _proof_panel() -> rx.Component:
    return section_card(
        "Payment proof",
        rx.cond(
            S.can_send_proof,
            rx.vstack(
                rx.text(
                    "Paid this invoice? Send proof of the payment. It is under review until the team accepts it: "
                    "your balance changes only then.",
                    size="2",
                ),
                rx.cond(
                    S.proof_waiting,
                    rx.callout(
                        "A payment proof you sent is under review. Send another only for a different payment.",
                        icon="info",
                        size="1",
                    ),
                ),
                _proof_form(),
                spacing="3",
                width="100%",
            ),
            rx.text(S.closed_note, size="2"),
        ),
        rx.cond(
            S.proofs.length() > 0,
            rx.vstack(
                rx.heading("Proofs you sent", size="3", as_="h3"),
                rx.el.ul(rx.foreach(S.proofs, _proof), margin="0", padding="0", width="100%"),
                spacing="1",
                width="100%",
            ),
        ),
        id="payment-proof",
    )


def _aside() -> rx.Component:
    return rx.vstack(
        download_button("Download PDF", S.pdf_href, width="100%"),
        _proof_panel(),
        spacing="4",
        width="100%",
    )


def _page() -> rx.Component:
    return rx.fragment(
        upload_script(),
        detail_layout(
            title="Invoice " + S.number,
            status=status_badge(S.status, S.color),
            back=back_link("All invoices", routes.PORTAL_INVOICES),
            facts=[
                ("Total", rx.text(S.total, weight="bold")),
                ("Balance due", rx.text(S.balance, weight="bold")),
                ("Issued", S.issued_on),
                ("Due", rx.cond(S.due_text != "", S.due_on + " (" + S.due_text + ")", S.due_on)),
            ],
            main=_main(),
            aside=_aside(),
            aside_label="Pay and download",
        ),
    )


def portal_invoice() -> rx.Component:
    return portal_page(S, _page())
