"""One document request for staff (``/app/documents/[id]``): the checklist, each item's files with their review
state and reasons, follow-up tasks, and "Cancel request" (last, behind a confirm dialog)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from components.badges import status_badge
from components.detail import detail_layout, note_block
from components.dialog import confirm_dialog
from components.reminders import record_reminders_card
from components.table import data_table
from components.tasks import record_tasks
from components.ui import section_card, server_link
from portal_app import routes
from portal_app.pages.staff.documents import DESCRIPTION, TITLE
from portal_app.pages.staff.frame import staff_frame
from state.documents import DocumentDetailState

# Typed as Any: the class attributes are Vars in the page, which mypy cannot see.
D: Any = DocumentDetailState

__all__ = ["DESCRIPTION", "TITLE", "document_detail_page"]


def _file_cells(f: Any) -> list[Any]:
    return [
        rx.vstack(
            server_link(
                f.name, f.file_href, aria_label="Download " + f.name, download="", word_break="break-all"
            ),
            rx.text(f.kind, " · ", f.size, size="1", color_scheme="gray"),
            rx.cond(
                f.note != "",
                rx.text(
                    "Note: ", rx.el.span(f.note, white_space="pre-wrap", word_break="break-word"), size="1"
                ),
            ),
            spacing="0",
            align="start",
        ),
        rx.text(f.sender, size="2"),
        rx.text(f.sent, size="2", white_space="nowrap", title=f.sent_exact),
        rx.vstack(
            status_badge(f.status_label, f.status_color),
            rx.cond(
                f.reason != "",
                rx.text(
                    "Reason: ",
                    rx.el.span(f.reason, white_space="pre-wrap", word_break="break-word"),
                    size="1",
                ),
            ),
            spacing="1",
            align="start",
        ),
    ]


def _item(item: Any) -> rx.Component:
    return rx.el.li(
        rx.vstack(
            rx.flex(
                rx.heading(item.number + ". " + item.label, size="3", as_="h3", word_break="break-word"),
                status_badge(item.state_label, item.state_color),
                gap="8px",
                align="center",
                wrap="wrap",
            ),
            data_table(
                ["File", "Sent by", "Sent", "Review"],
                item.files,
                _file_cells,
                caption="Files sent for this item",
                empty=rx.text("No file sent yet.", size="2", color_scheme="gray"),
            ),
            spacing="2",
            width="100%",
        ),
        list_style="none",
        padding_y="8px",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
    )


def _checklist() -> rx.Component:
    return section_card(
        "Checklist",
        rx.text(D.progress, size="2", color_scheme="gray"),
        rx.cond(
            D.files_waiting > 0,
            rx.callout(
                rx.text(
                    "Files wait for a decision: accept or reject each one in the review queue. ",
                    rx.link("Open the review queue", href=D.review_href),
                ),
                icon="hourglass",
                color_scheme="blue",
                size="1",
            ),
        ),
        rx.el.ul(rx.foreach(D.items, _item), margin="0", padding="0", width="100%"),
        id="document-checklist",
    )


def _actions() -> rx.Component:
    return rx.vstack(
        rx.heading("Actions", size="3", as_="h2"),
        rx.cond(
            D.files_waiting > 0,
            rx.link("Review the files waiting", href=D.review_href, size="2"),
        ),
        rx.cond(
            D.can_cancel,
            confirm_dialog(
                "Cancel request",
                title="Cancel “" + D.title + "”?",
                description=D.account_name
                + "'s contacts will see it as cancelled and can no longer send files for it. Files already sent "
                "stay in the review queue. This cannot be undone.",
                confirm_label="Cancel the request",
                on_confirm=D.cancel_request,
                icon="ban",
                trigger_size="2",
                width="100%",
            ),
            rx.text(rx.cond(D.closed_note != "", D.closed_note, "Nothing to do here."), size="2"),
        ),
        spacing="3",
        align="stretch",
        width="100%",
    )


def document_detail_page() -> rx.Component:
    return staff_frame(
        D,
        detail_layout(
            title=D.title,
            status=status_badge(D.status_label, D.status_color, size="2"),
            back=rx.link("← All document requests", href=routes.STAFF_DOCUMENTS, size="2"),
            history=D.history_href,
            facts=[
                ("Account", rx.link(D.account_name, href=D.account_href)),
                ("Requested", rx.text(D.requested_on, " by ", D.requested_by)),
                ("Due", D.due_text),
                ("Progress", D.progress),
            ],
            main=rx.vstack(
                rx.cond(
                    D.closed_note != "", rx.callout(D.closed_note, icon="info", color_scheme="gray", size="1")
                ),
                rx.cond(
                    (D.instructions != "") | (D.internal_notes != ""),
                    section_card(
                        "Instructions",
                        note_block("Instructions for the contact", D.instructions),
                        note_block("Internal note (your team only)", D.internal_notes),
                    ),
                ),
                _checklist(),
                record_tasks(
                    D.tasks,
                    title="Follow-up tasks",
                    empty="No open follow-up tasks. Each file a contact sends raises one for a reviewer.",
                    id="document-tasks",
                ),
                record_reminders_card(D, record_word="this document request"),
                spacing="4",
                width="100%",
            ),
            aside=rx.card(_actions(), size="2", width="100%"),
        ),
        back=routes.STAFF_DOCUMENTS,
        back_label="Back to document requests",
    )
