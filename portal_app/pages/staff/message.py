"""One conversation for staff (``/app/messages/[id]``): the messages oldest first (internal notes marked), a
reply to the customer or an internal note, new messages appearing while the page is open."""

from __future__ import annotations

from typing import Any

import reflex as rx

from components.detail import detail_layout
from components.form import stacked_form, submit_button
from components.thread import live_note, message_field, message_list
from portal_app import routes
from portal_app.pages.staff.frame import staff_frame
from state.messages import MessageThreadState

T: Any = MessageThreadState

TITLE = "Conversation — Customer Portal"
DESCRIPTION = "One conversation with a customer account: reply to the customer or add an internal note."


def _mode_choice() -> rx.Component:
    return rx.vstack(
        rx.text("Send as", id="thread-mode-label", size="2", weight="medium"),
        rx.radio_group.root(
            rx.flex(
                rx.text(
                    rx.radio_group.item(value="reply", id="thread-mode-reply"),
                    " Reply to the customer",
                    as_="label",
                    size="2",
                    display="flex",
                    gap="6px",
                    align_items="center",
                ),
                rx.text(
                    rx.radio_group.item(value="note", id="thread-mode-note"),
                    " Internal note",
                    as_="label",
                    size="2",
                    display="flex",
                    gap="6px",
                    align_items="center",
                ),
                gap="16px",
                wrap="wrap",
            ),
            id="thread-mode",
            name="mode",
            value=T.mode,
            on_change=T.set_mode,
            aria_labelledby="thread-mode-label",
        ),
        rx.text(
            rx.cond(
                T.mode == "note",
                "Only your team sees an internal note. No mail is sent.",
                "The account's contacts see your reply in their portal and get an e-mail.",
            ),
            size="1",
            color_scheme="gray",
        ),
        spacing="1",
        width="100%",
    )


def _reply_form() -> rx.Component:
    return stacked_form(
        _mode_choice(),
        message_field("thread-message", label="Message", error=T.errors["message"]),
        submit_button(
            rx.cond(T.mode == "note", "Add internal note", "Send reply"),
            size="2",
            color_scheme=rx.cond(T.mode == "note", "amber", "blue"),  # type: ignore[arg-type]
        ),
        on_submit=T.send,
        spacing="3",
    )


def _thread_main() -> rx.Component:
    return rx.vstack(
        live_note(T.live),
        rx.box(message_list(T.rows, staff=True, earlier=T.earlier), aria_live="polite", width="100%"),
        rx.cond(
            T.can_send,
            rx.card(_reply_form(), size="2", width="100%", id="thread-reply"),
            rx.text("Your role can read conversations but not answer them.", size="2", color_scheme="gray"),
        ),
        spacing="4",
        width="100%",
    )


def thread_page() -> rx.Component:
    return staff_frame(
        T,
        detail_layout(
            title=T.subject,
            back=rx.link("← All messages", href=routes.STAFF_MESSAGES, size="2"),
            facts=[
                ("Account", rx.link(T.account_name, href=T.account_href)),
                (
                    "About",
                    rx.cond(
                        T.about_href != "",
                        rx.link(T.about, href=T.about_href),
                        rx.cond(T.about != "", T.about, "The account in general"),
                    ),
                ),
                ("Started", T.started),
            ],
            main=_thread_main(),
        ),
        back=routes.STAFF_MESSAGES,
        back_label="Back to messages",
    )
