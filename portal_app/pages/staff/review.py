"""The review queue (``/app/review``): what contacts sent that waits for a decision, oldest first; a row's "Review"
opens the file beside its facts, to accept (payment proof: the payment is recorded, the amount and date may be
corrected) or reject with a reason the contact reads."""

from __future__ import annotations

from typing import Any

import reflex as rx

from components.detail import facts_list, page_header
from components.form import control_props, field, submit_button
from components.table import Column, data_table, empty_state, filter_select, filtered_empty, pager
from components.ui import download_button, server_link
from portal_app.pages.staff.frame import staff_frame
from state.review import ReviewQueueState

# Typed as Any: the class attributes are Vars in the page, which mypy cannot see.
S: Any = ReviewQueueState

TITLE = "Review queue — Customer Portal"
DESCRIPTION = "Payment proof and documents your customers sent, waiting for a reviewer's decision."

KIND_OPTIONS = [
    ("all", "All kinds"),
    ("payment_proof", "Payment proof"),
    ("document", "Documents"),
    ("attachment", "Message attachments"),
]


# -- the list ---------------------------------------------------------------------------------------------------


def _muted(text: Any) -> rx.Component:
    return rx.text(text, size="1", color_scheme="gray")


def _record(row: Any) -> rx.Component:
    return rx.vstack(
        rx.cond(
            row.record_href != "",
            rx.link(row.record, href=row.record_href, weight="medium", white_space="nowrap"),
            rx.text(row.record, size="2", weight="medium"),
        ),
        rx.cond(row.item != "", rx.text("Item: ", row.item, size="2", word_break="break-word")),
        _muted(row.kind_label),
        spacing="0",
        align="start",
    )


def _row_cells(row: Any) -> list[Any]:
    return [
        rx.text(row.file_name, size="2", weight="medium", word_break="break-all"),
        rx.vstack(rx.text(row.account, size="2"), _muted(row.contact), spacing="0", align="start"),
        _record(row),
        rx.text(rx.cond(row.amount != "", row.amount, "—"), size="2"),
        rx.text(row.size, size="2", white_space="nowrap"),
        rx.text(row.type_label, size="2"),
        rx.text(row.received, size="2", color_scheme="gray", title=row.received_exact, white_space="nowrap"),
        rx.hstack(
            download_button("Download", row.download_url, size="1", aria_label="Download " + row.file_name),
            rx.button(
                rx.icon("scan-eye", size=14, aria_hidden="true"),
                "Review",
                size="1",
                on_click=S.open_review(row.id),
                aria_label="Review " + row.file_name,
                class_name="review-open",
            ),
            spacing="2",
            justify="end",
        ),
    ]


def _queue() -> rx.Component:
    return rx.card(
        data_table(
            [
                "File",
                "Account",
                "Record",
                Column("Amount claimed", "right"),
                Column("Size", "right"),
                "Type",
                "Received",
                Column("Actions", "right", hide_label=True),
            ],
            S.rows,
            _row_cells,
            caption="Files waiting for review, oldest first",
            empty=rx.cond(
                S.filtered,
                filtered_empty(S.clear_filters, title="Nothing of this kind waits for review."),
                empty_state(
                    "Nothing waits for review.",
                    "When a customer sends payment proof or a requested document, it waits here until a reviewer "
                    "accepts or rejects it. Nothing changes a balance before that.",
                    icon="inbox",
                ),
            ),
            id="review-table",
        ),
        rx.cond(
            S.has_prev | S.has_next, pager(S.page_label, S.has_prev, S.has_next, S.prev_page, S.next_page)
        ),
        width="100%",
    )


# -- the review dialog ------------------------------------------------------------------------------------------


def _preview() -> rx.Component:
    r = S.review
    return rx.box(
        rx.match(
            r.preview_kind,
            (
                "image",
                rx.el.img(
                    src=r.preview_url,
                    alt="Preview of " + r.file_name,
                    max_width="100%",
                    max_height="60vh",
                    display="block",
                    margin="0 auto",
                ),
            ),
            (
                "pdf",
                # No ``sandbox`` attribute: Chromium refuses to show a PDF in a sandboxed frame (a grey "blocked"
                # page, checked in Chromium). The frame loads only the preview route, which serves a file whose
                # content was sniffed as a PDF, with nosniff and ``Content-Security-Policy: default-src 'none'``
                # (nothing loads, no script runs), and never HTML.
                rx.el.iframe(
                    src=r.preview_url,
                    title="Preview of " + r.file_name,
                    referrer_policy="no-referrer",
                    width="100%",
                    height="420px",
                    border="0",
                ),
            ),
            rx.text(
                "This type of file has no preview here. Download it to look at it.",
                size="2",
                color_scheme="gray",
            ),
        ),
        rx.flex(
            download_button("Download", r.download_url, size="1", aria_label="Download " + r.file_name),
            rx.cond(
                r.preview_url != "",
                server_link("Open the preview in a new tab", r.preview_url, target="_blank", rel="noopener"),
            ),
            gap="12px",
            align="center",
            wrap="wrap",
            margin_top="8px",
        ),
        border=f"1px solid {rx.color('gray', 6)}",
        border_radius="8px",
        padding="8px",
        width="100%",
        id="review-preview",
    )


def _facts() -> rx.Component:
    r = S.review
    return facts_list(
        [
            ("Account", rx.text(r.account, " · ", r.contact)),
            (
                "Record",
                rx.cond(r.record_href != "", rx.link(r.record, href=r.record_href), rx.text(r.record)),
            ),
            ("Item", rx.cond(r.item != "", rx.text(r.item, word_break="break-word"), rx.text("—"))),
            ("File", rx.text(r.file_name, " · ", r.size, " · ", r.type_label, overflow_wrap="anywhere")),
            ("Received", rx.text(r.received, title=r.received_exact)),
        ]
    )


def _proof_facts() -> rx.Component:
    r = S.review
    return rx.cond(
        r.is_proof,
        facts_list(
            [
                ("Amount claimed", r.amount),
                ("Paid on (claimed)", rx.cond(r.paid_on != "", r.paid_on, "—")),
                ("Their reference", rx.cond(r.reference != "", r.reference, "—")),
                ("Balance due now", r.balance_due),
            ],
            font_variant_numeric="tabular-nums",
        ),
    )


def _note() -> rx.Component:
    return rx.cond(
        S.review.note != "",
        rx.vstack(
            rx.text("Their note", size="2", weight="medium"),
            rx.blockquote(S.review.note, size="2", white_space="pre-wrap"),
            spacing="1",
            width="100%",
        ),
    )


def _input(
    label: Any, name: str, control_id: str, value: Any, hint: str = "", **control: Any
) -> rx.Component:
    error = S.errors[name]
    return field(
        label,
        rx.input(name=name, default_value=value, **control_props(control_id, error, bool(hint)), **control),
        control_id=control_id,
        hint=hint,
        required=True,
        error=error,
    )


def _accept_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.heading("Accept", size="3", as_="h3"),
            rx.cond(
                S.review.is_proof,
                rx.vstack(
                    rx.text(
                        "Accepting records the payment on the invoice and closes the follow-up task. Correct the "
                        "amount or the date if the bank shows something else.",
                        size="2",
                        color_scheme="gray",
                    ),
                    rx.flex(
                        _input(
                            "Amount received (" + S.review.currency + ")",
                            "amount",
                            "review-amount",
                            S.amount_text,
                            input_mode="decimal",
                            auto_complete="off",
                            max_length=40,
                        ),
                        _input(
                            "Date received",
                            "received_on",
                            "review-received-on",
                            S.received_text,
                            type="date",
                            max=S.today_iso,
                        ),
                        gap="12px",
                        wrap="wrap",
                        width="100%",
                    ),
                    spacing="3",
                    width="100%",
                ),
                rx.text(
                    "Accepting marks the request as fulfilled and closes the follow-up task.",
                    size="2",
                    color_scheme="gray",
                ),
            ),
            submit_button(
                rx.cond(S.review.is_proof, "Accept and record the payment", "Accept the document"),
                loading=S.submitting,
                size="2",
                color_scheme="green",
                id="review-accept",
            ),
            spacing="3",
            align="start",
            width="100%",
        ),
        on_submit=S.accept,
        key=S.review.id.to_string(),  # a new item remounts the fields with its own starting values
        width="100%",
    )


def _reject_form() -> rx.Component:
    error = S.errors["reason"]
    return rx.form(
        rx.vstack(
            rx.heading("Reject", size="3", as_="h3"),
            field(
                "Reason",
                rx.text_area(
                    name="reason",
                    rows="3",
                    max_length=2000,
                    required=True,
                    width="100%",
                    **control_props("review-reason", error, True),
                ),
                control_id="review-reason",
                hint="The contact reads this and can send a new file.",
                required=True,
                error=error,
            ),
            submit_button(
                rx.cond(S.review.is_proof, "Reject the proof", "Reject the document"),
                loading=S.submitting,
                size="2",
                color_scheme="red",
                variant="soft",
                id="review-reject",
            ),
            spacing="3",
            align="start",
            width="100%",
        ),
        on_submit=S.reject,
        key="reject-" + S.review.id.to_string(),
        width="100%",
    )


def _dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(S.review.kind_label, ": ", S.review.record),
            rx.dialog.description(
                "Look at the file, then accept or reject it. The customer sees the decision.",
                size="2",
                color_scheme="gray",
            ),
            rx.vstack(
                _facts(),
                _proof_facts(),
                _note(),
                _preview(),
                rx.separator(size="4"),
                _accept_form(),
                rx.separator(size="4"),
                _reject_form(),
                rx.flex(
                    rx.dialog.close(rx.button("Close", variant="soft", color_scheme="gray", type="button")),
                    justify="end",
                    width="100%",
                ),
                spacing="4",
                width="100%",
                margin_top="12px",
            ),
            max_width="720px",
            width="100%",
            id="review-dialog",
        ),
        open=S.review_open,
        on_open_change=S.set_review_open,
    )


def review_page() -> rx.Component:
    return staff_frame(
        S,
        rx.vstack(
            page_header(
                "Review queue",
                "Payment proof and documents your customers sent, oldest first. " + S.waiting_label,
                margin_bottom="0",
            ),
            rx.flex(
                filter_select("Kind", S.kind_filter, KIND_OPTIONS, S.choose_kind, "review-kind"),
                rx.cond(S.filtered, rx.button("Clear filters", variant="ghost", on_click=S.clear_filters)),
                gap="16px",
                wrap="wrap",
                align="end",
                width="100%",
            ),
            _queue(),
            _dialog(),
            spacing="4",
            width="100%",
        ),
    )
