"""Customer portal: one document request (``/portal/documents/[id]``): the checklist, each item's files and their
state ("Not accepted" with the team's reason, exactly as written), and an upload per item (one or more files,
with a progress bar). A closed request says so and takes no files.

Each item's file input sits outside any form and its row is keyed by the item: a state change elsewhere on the
page (another item's upload, the checklist reloading) keeps the files chosen in it. File links use ``download``
so following one does not leave the page (which would drop the chosen files).
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from components.badges import status_badge
from components.detail import detail_layout
from components.thread import record_thread
from components.ui import section_card
from components.upload import file_field, upload_progress, upload_script
from portal_app import routes
from portal_app.pages.portal.frame import back_link, portal_page
from state.portal_documents import PortalDocumentState

S = PortalDocumentState

TITLE = "Document request — Customer portal"
DESCRIPTION = "A document request for your account: what is needed, what you sent and its review state."

TEXT = {"white_space": "pre-wrap", "word_break": "break-word"}


def _file(row: Any) -> rx.Component:
    return rx.el.li(
        rx.vstack(
            rx.flex(
                status_badge(row.state, row.color),
                rx.el.a(
                    row.name,
                    href=row.href,
                    download="",
                    reload_document=True,
                    aria_label="Download " + row.name,
                    word_break="break-all",
                    color=rx.color("accent", 11),
                    text_decoration="underline",
                ),
                gap="8px",
                align="center",
                wrap="wrap",
            ),
            rx.text("Sent ", row.sent, " · ", row.size, size="1", color_scheme="gray"),
            rx.cond(row.reason != "", rx.text("Reason: ", rx.el.span(row.reason, **TEXT), size="2")),
            spacing="1",
            align="start",
        ),
        list_style="none",
        padding_y="6px",
    )


def _upload(item: Any) -> rx.Component:
    sending = S.sending_item == item.id
    return rx.vstack(
        rx.cond(
            item.needs_new_file,
            rx.callout(
                "This file was not accepted: see the reason above, then send a new one.",
                icon="rotate-ccw",
                color_scheme="red",
                size="1",
            ),
        ),
        file_field(
            "Files for " + item.label,
            control_id=item.input_id,
            limit_label=S.limit_label,
            error=S.item_errors[item.id.to_string()],
            disabled=sending,
            multiple=True,
        ),
        upload_progress(item.progress_id, label="Sending your files"),
        rx.button(
            rx.icon("upload", size=16, aria_hidden="true"),
            rx.cond(item.files.length() > 0, "Send more files", "Send files"),
            type="button",
            loading=sending,
            disabled=S.sending_item != 0,
            on_click=S.send_files(item.id),
            aria_label="Send files for " + item.label,
        ),
        spacing="2",
        align="start",
        width="100%",
    )


def _item(item: Any) -> rx.Component:
    return rx.el.li(
        rx.card(
            rx.vstack(
                rx.flex(
                    rx.heading(item.number + ". " + item.label, size="3", as_="h3", word_break="break-word"),
                    status_badge(item.state, item.color),
                    gap="8px",
                    align="center",
                    wrap="wrap",
                ),
                rx.cond(
                    item.files.length() > 0,
                    rx.el.ul(rx.foreach(item.files, _file), margin="0", padding="0", width="100%"),
                    rx.text("No file sent yet.", size="2", color_scheme="gray"),
                ),
                rx.cond(item.can_upload, _upload(item)),
                spacing="3",
                width="100%",
            ),
            size="2",
            width="100%",
        ),
        key=item.key,
        list_style="none",
        margin_bottom="12px",
    )


def _main() -> rx.Component:
    return rx.vstack(
        rx.cond(S.closed_note != "", rx.callout(S.closed_note, icon="info", color_scheme="gray", size="2")),
        rx.cond(
            S.instructions != "",
            section_card("Instructions", rx.text(S.instructions, size="2", **TEXT), id="instructions"),
        ),
        section_card(
            "Checklist",
            rx.text(
                rx.cond(
                    S.is_open,
                    "Send a file for each item. The team reviews each one; the request is complete when every "
                    "item is accepted.",
                    "What was asked for and the files your account sent.",
                ),
                size="2",
            ),
            rx.el.ul(rx.foreach(S.items, _item), margin="0", padding="0", width="100%"),
            id="checklist",
        ),
        record_thread(S, noun="request"),
        spacing="5",
        width="100%",
    )


def _page() -> rx.Component:
    return rx.fragment(
        upload_script(),
        detail_layout(
            title=S.title,
            status=status_badge(S.status, S.color),
            back=back_link("All document requests", routes.PORTAL_DOCUMENTS),
            facts=[
                ("Requested", S.requested_on),
                (
                    "Due",
                    rx.cond(
                        S.due_text != "",
                        S.due_on + " (" + S.due_text + ")",
                        rx.cond(S.due_on != "", S.due_on, "No due date"),
                    ),
                ),
                ("Progress", S.progress),
            ],
            main=_main(),
        ),
    )


def portal_document() -> rx.Component:
    return portal_page(S, _page())
