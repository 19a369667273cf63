"""Staff invoice form: a new draft (``/app/invoices/new``) and a draft edited (``/app/invoices/[id]/edit``). The line
items are ``components/line_items.py``'s, without the internal cost (an invoice has none)."""

from __future__ import annotations

import functools
from typing import Any

import reflex as rx

from components.detail import page_header
from components.form import READABLE_PLACEHOLDER, control_props, field, field_error, form_field, submit_button
from components.line_items import add_line_button, line_rows, line_totals
from components.ui import link_button
from portal_app import routes
from portal_app.pages.staff.frame import staff_frame
from portal_app.pages.staff.invoices import DESCRIPTION, TITLE
from state.invoice_form import InvoiceFormState

# Typed as Any: the class attributes are Vars in the page, which mypy cannot see.
F: Any = InvoiceFormState

__all__ = ["DESCRIPTION", "TITLE", "invoice_form_page"]  # the form pages carry the invoices area's title


# One named field of this form: id "invoice-<name>", its error under it.
_text_field = functools.partial(form_field, F.errors, "invoice")


def _account_field() -> rx.Component:
    return rx.cond(
        F.mode == "new",
        field(
            "Account",
            rx.select.root(
                rx.select.trigger(
                    placeholder="Choose an account",
                    class_name=READABLE_PLACEHOLDER,
                    width="100%",
                    **control_props("invoice-account", F.errors["account_id"]),
                ),
                rx.select.content(
                    rx.foreach(F.account_choices, lambda a: rx.select.item(a.label, value=a.id))
                ),
                value=F.account_id,
                on_change=F.choose_account,
                name="account_id",
            ),
            control_id="invoice-account",
            hint="The invoice is in the account's currency; its contacts see it once you issue it.",
            required=True,
            error=F.errors["account_id"],
        ),
        rx.vstack(
            rx.text("Account", size="2", weight="medium"), rx.text(F.account_name, size="3"), spacing="1"
        ),
    )


def _form() -> rx.Component:
    return rx.form(
        rx.vstack(
            _account_field(),
            rx.heading("Line items", size="4", as_="h2", margin_top="8px"),
            line_rows(F.lines, set_line=F.set_line, remove_line=F.remove_line, with_cost=False),
            field_error(F.errors["lines"], control_id="invoice-lines"),
            add_line_button(F.add_line),
            line_totals(
                F.subtotal,
                F.tax,
                F.total,
                F.cost,
                F.totals_note,
                id="invoice-totals",
                explanation="Computed on the server as you leave each field.",
                with_cost=False,
            ),
            _text_field(
                "Due date",
                "due_date",
                F.due_date,
                hint="Optional. Left empty, it is set from the account's payment terms when you issue it.",
                type="date",
                max_width="220px",
            ),
            _text_field(
                "Notes for the customer",
                "customer_notes",
                F.customer_notes,
                hint="Printed on the invoice and shown in the portal exactly as written (payment details, say).",
                widget=rx.text_area,
                rows="4",
                max_length=4000,
            ),
            _text_field(
                "Internal note",
                "internal_notes",
                F.internal_notes,
                hint="Only your team sees this.",
                widget=rx.text_area,
                rows="3",
                max_length=4000,
            ),
            rx.flex(
                submit_button(F.submit_label, loading=F.submitting),
                link_button("Cancel", href=F.cancel_href, variant="soft", color_scheme="gray", size="3"),
                gap="12px",
                wrap="wrap",
            ),
            spacing="4",
            width="100%",
        ),
        on_submit=F.submit,
        width="100%",
        max_width="760px",
    )


def invoice_form_page() -> rx.Component:
    heading = rx.match(F.mode, ("edit", "Edit draft " + F.number), ("locked", F.number), "New invoice")
    purpose = rx.match(
        F.mode,
        ("edit", "A draft stays with your team until you issue it."),
        (
            "locked",
            "This invoice is "
            + F.status_text.lower()
            + " and can no longer be changed: void it and bill again.",
        ),
        "A draft stays with your team until you issue it to the account's contacts.",
    )
    return staff_frame(
        F,
        rx.vstack(
            page_header(heading, purpose, margin_bottom="0"),
            rx.cond(
                F.mode == "locked", link_button("Back to the invoice", href=F.cancel_href, size="3"), _form()
            ),
            spacing="4",
            width="100%",
        ),
        back=routes.STAFF_INVOICES,
        back_label="Back to invoices",
    )
