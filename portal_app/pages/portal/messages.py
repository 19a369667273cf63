"""Customer portal: conversations with the team (``/portal/messages``, unread counts, "New message"); one
conversation is ``message.py``."""

from __future__ import annotations

from typing import Any

import reflex as rx

from components.detail import page_header
from components.form import field, stacked_form, submit_button
from components.table import data_table, empty_state, pager
from components.thread import message_field
from components.ui import visually_hidden
from portal_app.pages.portal.frame import portal_page
from state.portal_messages import PortalMessagesState

L: Any = PortalMessagesState

TITLE = "Messages — Customer portal"
DESCRIPTION = "Your conversations with the team: questions, answers and files."


def _unread(row: Any) -> rx.Component:
    return rx.cond(
        row.unread > 0,
        rx.badge(
            row.unread.to_string(),
            visually_hidden(" unread"),
            color_scheme="blue",
            variant="solid",
            radius="full",
        ),
        rx.text("—", size="2", color_scheme="gray", aria_label="No unread messages"),
    )


def _row(row: Any) -> list[Any]:
    return [
        rx.vstack(
            rx.link(
                row.subject,
                href=row.href,
                weight=rx.cond(row.unread > 0, "bold", "medium"),
                word_break="break-word",
            ),
            rx.cond(row.about != "", rx.text(row.about, size="1", color_scheme="gray")),
            rx.text(
                row.preview, size="2", color_scheme="gray", word_break="break-word", white_space="pre-wrap"
            ),
            spacing="1",
            align="start",
        ),
        _unread(row),
        rx.el.time(row.when, title=row.exact, font_size="14px", white_space="nowrap"),
    ]


def _new_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.trigger(rx.button(rx.icon("plus", size=16, aria_hidden="true"), "New message", size="3")),
        rx.dialog.content(
            rx.dialog.title("New message to the team"),
            rx.dialog.description("Ask a question or tell the team something. They answer here.", size="2"),
            stacked_form(
                field(
                    "Subject",
                    rx.input(
                        id="new-message-subject", name="subject", max_length=200, required=True, width="100%"
                    ),
                    control_id="new-message-subject",
                    required=True,
                    error=L.errors["subject"],
                ),
                message_field("new-message-body", label="Message", error=L.errors["message"]),
                rx.flex(
                    rx.dialog.close(rx.button("Cancel", type="button", variant="soft", color_scheme="gray")),
                    submit_button("Send message", size="2"),
                    gap="12px",
                    justify="end",
                    width="100%",
                ),
                on_submit=L.start,
                spacing="3",
                align=None,
            ),
            max_width="520px",
        ),
        open=L.new_open,
        on_open_change=L.set_new_open,
    )


def portal_messages() -> rx.Component:
    return portal_page(
        L,
        rx.vstack(
            page_header("Messages", "Your conversations with the team, newest first.", _new_dialog()),
            rx.card(
                data_table(
                    ["Conversation", "Unread", "Last message"],
                    L.rows,
                    _row,
                    caption="Your conversations",
                    empty=empty_state(
                        "No messages yet.",
                        "Write to the team with “New message”, or ask about an estimate or invoice from its page.",
                        icon="messages-square",
                    ),
                ),
                rx.cond(
                    L.total > L.PAGE_SIZE,
                    pager(L.page_label, L.has_prev, L.has_next, L.prev_page, L.next_page),
                ),
                width="100%",
            ),
            spacing="4",
            width="100%",
        ),
    )
