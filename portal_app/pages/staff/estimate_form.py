"""Staff estimate form: a new draft (``/app/estimates/new``), a draft edited or a shared estimate re-issued as its
next version (``/app/estimates/[id]/edit``). The line items are ``components/line_items.py``'s."""

from __future__ import annotations

import functools
from typing import Any

import reflex as rx

from components.detail import page_header
from components.form import READABLE_PLACEHOLDER, control_props, field, field_error, form_field, submit_button
from components.line_items import add_line_button, line_rows, line_totals
from components.ui import link_button
from portal_app import routes
from portal_app.pages.staff.estimates import DESCRIPTION, TITLE
from portal_app.pages.staff.frame import staff_frame
from state.estimate_form import EstimateFormState

# Typed as Any: the class attributes are Vars in the page, which mypy cannot see.
F: Any = EstimateFormState

__all__ = ["DESCRIPTION", "TITLE", "estimate_form_page"]  # the form pages carry the estimates area's title


# One named field of this form: id "estimate-<name>", its error under it.
_text_field = functools.partial(form_field, F.errors, "estimate")


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
                    **control_props("estimate-account", F.errors["account_id"]),
                ),
                rx.select.content(
                    rx.foreach(F.account_choices, lambda a: rx.select.item(a.label, value=a.id))
                ),
                value=F.account_id,
                on_change=F.choose_account,
                name="account_id",
            ),
            control_id="estimate-account",
            hint="Its contacts see the estimate once you share it; amounts are in its currency.",
            required=True,
            error=F.errors["account_id"],
        ),
        rx.vstack(
            rx.text("Account", size="2", weight="medium"),
            rx.text(F.account_name, size="3"),
            spacing="1",
        ),
    )


def _form() -> rx.Component:
    return rx.form(
        rx.vstack(
            _account_field(),
            rx.cond(
                F.mode == "reissue",
                rx.vstack(
                    rx.text("Title", size="2", weight="medium"), rx.text(F.title, size="3"), spacing="1"
                ),
                _text_field("Title", "title", F.title, required=True, max_length=200),
            ),
            rx.heading("Line items", size="4", as_="h2", margin_top="8px"),
            line_rows(F.lines, set_line=F.set_line, remove_line=F.remove_line),
            field_error(F.errors["lines"], control_id="estimate-lines"),
            add_line_button(F.add_line),
            line_totals(F.subtotal, F.tax, F.total, F.cost, F.totals_note, id="estimate-totals"),
            _text_field(
                "Valid until",
                "valid_until",
                F.valid_until,
                hint="Optional. After this date the customer can no longer approve it.",
                type="date",
                max_width="220px",
            ),
            _text_field(
                "Terms and notes for the customer",
                "customer_notes",
                F.customer_notes,
                hint="The customer sees this text exactly as written.",
                widget=rx.text_area,
                rows="4",
                max_length=4000,
            ),
            rx.cond(
                F.mode != "reissue",
                _text_field(
                    "Internal note",
                    "internal_notes",
                    F.internal_notes,
                    hint="Only your team sees this.",
                    widget=rx.text_area,
                    rows="3",
                    max_length=4000,
                ),
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


def estimate_form_page() -> rx.Component:
    heading = rx.match(
        F.mode,
        ("edit", "Edit draft " + F.number),
        ("reissue", "Re-issue " + F.number),
        ("locked", F.number),
        "New estimate",
    )
    purpose = rx.match(
        F.mode,
        ("edit", "A draft stays with your team until you share it."),
        (
            "reissue",
            "This estimate was shared. Saving issues version "
            + (F.version + 1).to_string()
            + " and shares it with "
            + F.account_name
            + " at once; the previous version stays in its history.",
        ),
        ("locked", "This estimate is " + F.status_text.lower() + " and can no longer be changed."),
        "A draft stays with your team until you share it with the account's contacts.",
    )
    return staff_frame(
        F,
        rx.vstack(
            page_header(heading, purpose, margin_bottom="0"),
            rx.cond(
                F.mode == "locked",
                link_button("Back to the estimate", href=F.cancel_href, size="3"),
                _form(),
            ),
            spacing="4",
            width="100%",
        ),
        back=routes.STAFF_ESTIMATES,
        back_label="Back to estimates",
    )
