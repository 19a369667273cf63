"""A conversation: messages oldest first (author, time, text exactly as written, attachments), a reply form, and
the compact thread panel of a contact's record page.

Rows are shaped like ``state.threads.MessageRow`` (id, author, when, exact, internal, from_customer, mine,
parts, attachments); a body is a list of ``parts`` (``text`` and, for an http(s) address only, ``href``). Text is
always text: ``white-space: pre-wrap`` keeps the writer's line breaks, long words wrap, and nothing is interpreted
as HTML or markdown. Links open in a new tab with ``rel="noopener noreferrer"``.
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars.base import Var

from components.badges import status_badge
from components.form import control_field, submit_button
from components.ui import section_card, server_link

INTERNAL_NOTE = "Internal note — contacts never see this"
TEXT_STYLE = {"white_space": "pre-wrap", "word_break": "break-word", "overflow_wrap": "anywhere"}


def _part(part: Any) -> rx.Component:
    return rx.cond(
        part.href != "",
        rx.el.a(
            part.text,
            href=part.href,
            target="_blank",
            rel="noopener noreferrer",
            color=rx.color("accent", 11),
            text_decoration="underline",
        ),
        rx.el.span(part.text),
    )


def message_body(parts: Any) -> rx.Component:
    """A message's words exactly as written: text runs and safe links, wrapped, never interpreted."""
    return rx.text(rx.foreach(parts, _part), size="2", **TEXT_STYLE)


def _attachment(file: Any, *, staff: bool) -> rx.Component:
    name: rx.Component = (
        server_link(file.name, file.href, aria_label="Download " + file.name, download="")
        if staff
        else rx.text(file.name, size="2", weight="medium", as_="span", **TEXT_STYLE)
    )
    return rx.el.li(
        rx.hstack(
            rx.icon("paperclip", size=14, aria_hidden="true"),
            name,
            rx.text(file.size, size="1", color_scheme="gray"),
            status_badge(file.state, file.color),
            spacing="2",
            align="center",
            wrap="wrap",
        ),
        list_style="none",
    )


def _message(row: Any, *, staff: bool) -> rx.Component:
    header = rx.hstack(
        rx.text(row.author, size="2", weight="bold"),
        rx.el.time(row.when, title=row.exact, font_size="12px", color=rx.color("gray", 11)),
        spacing="2",
        align="baseline",
        wrap="wrap",
    )
    note = (
        rx.cond(
            row.internal,
            rx.badge(rx.icon("lock", size=12, aria_hidden="true"), INTERNAL_NOTE, color_scheme="amber"),
        )
        if staff
        else rx.fragment()
    )
    background = (
        rx.cond(
            row.internal,
            rx.color("amber", 2),
            rx.cond(row.from_customer, rx.color("gray", 1), rx.color("accent", 2)),
        )
        if staff
        else rx.cond(row.from_customer, rx.color("gray", 1), rx.color("accent", 2))
    )
    return rx.el.li(
        rx.vstack(
            header,
            note,
            message_body(row.parts),
            rx.cond(
                row.attachments.length() > 0,
                rx.el.ul(
                    rx.foreach(row.attachments, lambda f: _attachment(f, staff=staff)),
                    padding="0",
                    margin="0",
                ),
            ),
            spacing="2",
            align="stretch",
            width="100%",
        ),
        list_style="none",
        padding="12px 14px",
        border_radius="8px",
        border=rx.cond(row.internal, f"1px dashed {rx.color('amber', 8)}", f"1px solid {rx.color('gray', 5)}")
        if staff
        else f"1px solid {rx.color('gray', 5)}",
        background_color=background,
        class_name=rx.cond(row.internal, "thread-message internal-note", "thread-message")
        if staff
        else "thread-message",
    )


def message_list(
    rows: Var[Any] | Any, *, staff: bool, earlier: Var[int] | int = 0, label: str = "Messages"
) -> rx.Component:
    """The messages oldest first; a line says when older ones are not shown."""
    return rx.vstack(
        rx.cond(
            Var.create(earlier).to(int) > 0,
            rx.text(
                Var.create(earlier).to(str) + " earlier messages are not shown.",
                size="1",
                color_scheme="gray",
            ),
        ),
        rx.el.ol(
            rx.foreach(rows, lambda row: _message(row, staff=staff)),
            aria_label=label,
            display="flex",
            flex_direction="column",
            gap="10px",
            padding="0",
            margin="0",
            width="100%",
        ),
        spacing="2",
        width="100%",
    )


def live_note(live: Var[bool] | bool) -> rx.Component:
    """Says that new messages arrive by themselves (announced politely when they do)."""
    return rx.cond(
        live,
        rx.text(
            rx.icon("radio", size=12, aria_hidden="true"),
            " New messages appear here as they arrive.",
            size="1",
            color_scheme="gray",
        ),
    )


def message_field(
    control_id: str, *, label: str, error: Any = "", hint: Any = "", max_length: int = 8000
) -> rx.Component:
    """The text area a message is written in (``name="message"``)."""
    return control_field(
        label,
        rx.text_area,
        control_id=control_id,
        error=error,
        hint=hint,
        required=True,
        name="message",
        rows="4",
        max_length=max_length,
        width="100%",
    )


def thread_panel(
    *,
    title: str,
    rows: Var[Any],
    earlier: Var[int],
    href: Var[str],
    error: Var[str],
    on_submit: Any,
    intro: str,
) -> rx.Component:
    """A record page's conversation: its latest messages, a link to the whole thread, and a box to write in."""
    return section_card(
        title,
        rx.text(intro, size="2", color_scheme="gray"),
        rx.cond(rows.length() > 0, message_list(rows, staff=False, earlier=earlier, label=title)),  # type: ignore[attr-defined]
        rx.cond(href != "", rx.link("Open the whole conversation", href=href, size="2")),
        rx.form(
            rx.vstack(
                message_field(
                    "record-message",
                    label="Your message",
                    error=error,
                    hint="The team answers here.",
                ),
                submit_button("Send message", size="2"),
                spacing="2",
                align="start",
                width="100%",
            ),
            on_submit=on_submit,
            width="100%",
        ),
        id="record-thread",
    )


__all__ = [
    "INTERNAL_NOTE",
    "live_note",
    "message_body",
    "message_field",
    "message_list",
    "record_thread",
    "thread_panel",
]


def record_thread(S: Any, *, noun: str) -> rx.Component:
    """``thread_panel`` bound to a page state with ``state.threads.RecordThreadMixin`` (``noun``: "estimate")."""
    return thread_panel(
        title="Questions about this " + noun,
        rows=S.thread_rows,
        earlier=S.thread_earlier,
        href=S.thread_href,
        error=S.thread_error,
        on_submit=S.send_about_record,
        intro=f"Ask the team about this {noun}. Your messages and their answers stay with it.",
    )
