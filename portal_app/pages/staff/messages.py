"""Staff messages: the inbox (``/app/messages``, unanswered first) with "New conversation"; one conversation is
``message.py``."""

from __future__ import annotations

from typing import Any

import reflex as rx

from components.badges import status_badge
from components.detail import page_header
from components.form import READABLE_PLACEHOLDER, field, stacked_form, submit_button
from components.table import data_table, empty_state, filter_select, filtered_empty, pager
from components.tasks import choice_filter
from components.thread import message_field
from components.ui import visually_hidden
from portal_app import routes
from portal_app.pages.staff.frame import staff_frame
from state.messages import MessagesInboxState

L: Any = MessagesInboxState

TITLE = "Messages — Customer Portal"
DESCRIPTION = "Conversations with your customers' contacts: unanswered first, replies and internal notes."
THREAD_TITLE = "Conversation — Customer Portal"
THREAD_DESCRIPTION = (
    "One conversation with a customer account: reply to the customer or add an internal note."
)


# -- inbox ----------------------------------------------------------------------------------------------------


def _subject(row: Any) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.cond(
                row.unread,
                rx.box(
                    visually_hidden("Unread: "),
                    width="8px",
                    height="8px",
                    border_radius="50%",
                    background_color=rx.color("accent", 9),
                    flex_shrink="0",
                    title="Unread",
                ),
            ),
            rx.link(
                row.subject,
                href=row.href,
                weight=rx.cond(row.unread, "bold", "medium"),
                class_name="thread-link",
                word_break="break-word",
            ),
            spacing="2",
            align="center",
        ),
        rx.cond(row.about != "", rx.text(row.about, size="1", color_scheme="gray")),
        spacing="0",
        align="start",
    )


def _last(row: Any) -> rx.Component:
    return rx.vstack(
        rx.text(row.last_author, size="1", weight="medium"),
        rx.text(row.preview, size="2", color_scheme="gray", word_break="break-word", white_space="pre-wrap"),
        spacing="0",
        align="start",
        max_width="420px",
    )


def _row(row: Any) -> list[Any]:
    return [
        _subject(row),
        rx.text(row.account, size="2"),
        rx.cond(
            row.waiting,
            status_badge("Waiting for you", "amber"),
            status_badge("Answered", "green"),
        ),
        _last(row),
        rx.el.time(row.when, title=row.exact, font_size="14px", white_space="nowrap"),
    ]


def _filters() -> rx.Component:
    return rx.flex(
        choice_filter(
            "Account",
            L.filter_values["account"],
            L.account_choices,
            lambda v: L.set_filter("account", v),
            "messages-filter-account",
            all_label="All accounts",
        ),
        filter_select(
            "Accounts",
            L.filter_values["who"],
            [("all", "Everyone's"), ("mine", "Accounts I look after")],
            lambda v: L.set_filter("who", v),
            "messages-filter-who",
        ),
        filter_select(
            "Show",
            L.filter_values["state"],
            [("all", "All conversations"), ("unanswered", "Unanswered only")],
            lambda v: L.set_filter("state", v),
            "messages-filter-state",
        ),
        rx.cond(L.filtered, rx.button("Clear filters", variant="ghost", on_click=L.clear_filters)),
        gap="16px",
        wrap="wrap",
        align="end",
        width="100%",
    )


def _new_dialog() -> rx.Component:
    form = stacked_form(
        field(
            "Account",
            rx.select.root(
                rx.select.trigger(
                    id="new-thread-account",
                    width="100%",
                    placeholder="Choose an account",
                    class_name=READABLE_PLACEHOLDER,
                ),
                rx.select.content(
                    rx.foreach(L.account_choices, lambda c: rx.select.item(c.label, value=c.id))
                ),
                name="account",
                required=True,
            ),
            control_id="new-thread-account",
            required=True,
            error=L.errors["account"],
        ),
        field(
            "Subject",
            rx.input(id="new-thread-subject", name="subject", max_length=200, required=True, width="100%"),
            control_id="new-thread-subject",
            required=True,
            error=L.errors["subject"],
        ),
        message_field("new-thread-message", label="Message", error=L.errors["message"]),
        rx.flex(
            rx.dialog.close(rx.button("Cancel", type="button", variant="soft", color_scheme="gray")),
            submit_button("Start conversation", size="2"),
            gap="12px",
            justify="end",
            width="100%",
        ),
        on_submit=L.start,
        spacing="3",
        align=None,
    )
    return rx.dialog.root(
        rx.dialog.trigger(
            rx.button(rx.icon("plus", size=16, aria_hidden="true"), "New conversation", size="3")
        ),
        rx.dialog.content(
            rx.dialog.title("New conversation"),
            rx.dialog.description(
                "The account's contacts see it in their portal and can answer there.", size="2"
            ),
            form,
            max_width="520px",
        ),
        open=L.new_open,
        on_open_change=L.set_new_open,
    )


def messages_page() -> rx.Component:
    return staff_frame(
        L,
        rx.vstack(
            page_header(
                "Messages",
                "Conversations with your customers' contacts. Unanswered ones come first.",
                rx.cond(L.can_send, _new_dialog()),
                margin_bottom="0",
            ),
            _filters(),
            data_table(
                ["Conversation", "Account", "State", "Last message", "When"],
                L.rows,
                _row,
                caption="Conversations",
                empty=rx.cond(
                    L.filtered,
                    filtered_empty(L.clear_filters, title="No conversation matches."),
                    empty_state(
                        "No conversations yet.",
                        "Contacts write from their portal; you can start one with an account.",
                        icon="messages-square",
                    ),
                ),
                id="messages-table",
            ),
            pager(L.page_label, L.has_prev, L.has_next, L.prev_page, L.next_page),
            spacing="4",
            width="100%",
        ),
        back=routes.STAFF_MESSAGES,
        back_label="Back to messages",
    )
