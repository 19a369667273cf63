"""Staff form for a new document request (``/app/documents/new``): account, title, the checklist (add and remove
items), instructions for the contact, due date and an internal note."""

from __future__ import annotations

import functools
from typing import Any

import reflex as rx

from components.detail import page_header
from components.form import READABLE_PLACEHOLDER, control_props, field, field_error, form_field, submit_button
from components.ui import link_button
from portal_app import routes
from portal_app.pages.staff.documents import DESCRIPTION, TITLE
from portal_app.pages.staff.frame import staff_frame
from state.document_form import ITEM_MAX, DocumentFormState

# Typed as Any: the class attributes are Vars in the page, which mypy cannot see.
F: Any = DocumentFormState

__all__ = ["DESCRIPTION", "TITLE", "document_form_page"]


# One named field of this form: id "document-<name>", its error under it.
_text_field = functools.partial(form_field, F.errors, "document")


def _account_field() -> rx.Component:
    return field(
        "Account",
        rx.select.root(
            rx.select.trigger(
                placeholder="Choose an account",
                class_name=READABLE_PLACEHOLDER,
                width="100%",
                **control_props("document-account", F.errors["account_id"]),
            ),
            rx.select.content(rx.foreach(F.account_choices, lambda a: rx.select.item(a.label, value=a.id))),
            value=F.account_id,
            on_change=F.choose_account,
            name="account_id",
        ),
        control_id="document-account",
        hint="Its contacts with document access are told about the request and upload the files.",
        required=True,
        error=F.errors["account_id"],
    )


def _item_row(item: Any, index: Any) -> rx.Component:
    control_id = "item-" + item.key
    number = (index + 1).to_string()
    return rx.flex(
        field(
            "Item " + number,
            rx.input(
                name=control_id,
                default_value=item.label,
                on_blur=lambda value: F.set_item(item.key, value),
                max_length=ITEM_MAX,
                placeholder="e.g. Signed W-9",
                **control_props(control_id, item.error),
            ),
            control_id=control_id,
            required=True,
            error=item.error,
            flex="1 1 240px",
            min_width="0",
        ),
        rx.cond(
            F.can_remove_item,
            rx.button(
                rx.icon("x", size=16, aria_hidden="true"),
                "Remove",
                type="button",
                variant="soft",
                color_scheme="gray",
                on_click=F.remove_item(item.key),
                aria_label="Remove item " + number,
                margin_top="24px",
            ),
        ),
        key=item.key,
        gap="8px",
        align="start",
        width="100%",
    )


def _checklist() -> rx.Component:
    return rx.el.fieldset(
        rx.el.legend(rx.text("What you need (required)", size="3", weight="bold"), padding_x="4px"),
        rx.vstack(
            rx.text(
                "One item per document: the contact uploads a file for each, and the request is complete when "
                "every item has an accepted file. Up to 20 items.",
                size="1",
                color_scheme="gray",
            ),
            rx.foreach(F.items, _item_row),
            field_error(F.errors["items"], control_id="document-items"),
            rx.cond(
                F.can_add_item,
                rx.button(
                    rx.icon("plus", size=16, aria_hidden="true"),
                    "Add an item",
                    type="button",
                    variant="soft",
                    on_click=F.add_item,
                ),
            ),
            spacing="3",
            width="100%",
        ),
        border=f"1px solid {rx.color('gray', 6)}",
        border_radius="8px",
        padding="12px",
        margin="0",
        width="100%",
    )


def _form() -> rx.Component:
    return rx.form(
        rx.vstack(
            _account_field(),
            _text_field(
                "Title",
                "title",
                F.title,
                hint="What the contact sees first, like “Onboarding documents”.",
                required=True,
                max_length=200,
            ),
            _checklist(),
            _text_field(
                "Instructions",
                "description",
                F.description,
                hint="Optional. Shown to the contact exactly as written (which year, signed or not, format).",
                widget=rx.text_area,
                rows="4",
                max_length=4000,
            ),
            _text_field(
                "Due date",
                "due_on",
                F.due_on,
                hint="Optional. After it, the request shows as overdue.",
                type="date",
                min=F.today_iso,
                max_width="220px",
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
                submit_button("Send the request", loading=F.submitting),
                link_button(
                    "Cancel", href=routes.STAFF_DOCUMENTS, variant="soft", color_scheme="gray", size="3"
                ),
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


def document_form_page() -> rx.Component:
    return staff_frame(
        F,
        rx.vstack(
            page_header(
                "New document request",
                "Ask a customer account for documents; their contacts are told and upload them in the portal.",
                margin_bottom="0",
            ),
            _form(),
            spacing="4",
            width="100%",
        ),
        back=routes.STAFF_DOCUMENTS,
        back_label="Back to document requests",
    )
