"""Customer portal: one conversation with the team (``/portal/messages/[id]``): the team's and the account's
messages, a reply box with an optional file, new messages appearing while the page is open."""

from __future__ import annotations

from typing import Any

import reflex as rx

from components.detail import detail_layout
from components.form import submit_button
from components.thread import live_note, message_field, message_list
from components.upload import file_field, upload_progress, upload_script
from portal_app import routes
from portal_app.pages.portal.frame import back_link, portal_page
from state.portal_messages import ATTACH_FILE_ID, ATTACH_PROGRESS_ID, PortalThreadState

T: Any = PortalThreadState

TITLE = "Conversation — Customer portal"
DESCRIPTION = "A conversation with the team about your account."


def _reply() -> rx.Component:
    form_id = "thread-reply-form"
    return rx.card(
        rx.vstack(
            rx.heading("Reply", size="3", as_="h2"),
            rx.form(
                message_field("thread-message", label="Your message", error=T.errors["message"]),
                on_submit=T.send,
                id=form_id,
                width="100%",
            ),
            file_field(
                "Attach a file (optional)",
                control_id=ATTACH_FILE_ID,
                limit_label=T.limit_label,
                error=T.errors["file"],
                required=False,
                disabled=T.submitting,
            ),
            upload_progress(ATTACH_PROGRESS_ID, label="Sending your file"),
            submit_button("Send message", loading=T.submitting, size="2", custom_attrs={"form": form_id}),
            spacing="3",
            width="100%",
        ),
        size="2",
        width="100%",
        id="thread-reply",
    )


def _thread() -> rx.Component:
    return rx.fragment(
        upload_script(),
        detail_layout(
            title=T.subject,
            back=back_link("All messages", routes.PORTAL_MESSAGES),
            facts=[
                (
                    "About",
                    rx.cond(
                        T.about_href != "",
                        rx.link(T.about, href=T.about_href),
                        rx.cond(T.about != "", T.about, "Your account"),
                    ),
                ),
            ],
            main=rx.vstack(
                live_note(T.live),
                rx.box(
                    message_list(T.rows, staff=False, earlier=T.earlier), aria_live="polite", width="100%"
                ),
                _reply(),
                spacing="4",
                width="100%",
            ),
        ),
    )


def portal_thread() -> rx.Component:
    return portal_page(T, _thread())
