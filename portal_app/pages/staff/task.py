"""One follow-up task for staff (``/app/tasks/[id]``): its source record, account, assignee, status and due date,
the actions to move it on, and its history with comments."""

from __future__ import annotations

from typing import Any

import reflex as rx

from components.badges import status_badge
from components.detail import detail_layout
from components.form import control_field, field, stacked_form, submit_button
from components.tasks import due_text, source_link
from components.thread import message_field
from components.ui import section_card
from portal_app import routes
from portal_app.pages.staff.frame import staff_frame
from portal_app.services.tasks import COMMENT_MAX
from state.tasks import TaskDetailState

D = TaskDetailState

TITLE = "Task — Customer Portal"
DESCRIPTION = "A follow-up task: its source, who has it, when it is due, and its history."


def _status_buttons() -> rx.Component:
    return rx.vstack(
        rx.heading("Status", size="3", as_="h2"),
        rx.flex(
            rx.foreach(
                D.status_actions,
                lambda a: rx.button(a.label, variant="soft", on_click=D.set_status(a.id)),
            ),
            gap="8px",
            wrap="wrap",
        ),
        spacing="2",
        align="start",
        width="100%",
    )


def _assign_form() -> rx.Component:
    return stacked_form(
        field(
            "Assign to",
            rx.select.root(
                rx.select.trigger(id="task-assignee", width="100%"),
                rx.select.content(
                    rx.select.item("Nobody (stays with its role)", value="none"),
                    rx.foreach(D.member_choices, lambda m: rx.select.item(m.label, value=m.id)),
                ),
                name="assignee",
                value=D.assignee_value,
                on_change=D.pick_assignee,
            ),
            control_id="task-assignee",
        ),
        rx.button("Assign", type="submit", variant="soft"),
        on_submit=D.assign,
    )


def _due_form() -> rx.Component:
    return stacked_form(
        control_field(
            "Due date",
            rx.input,
            control_id="task-due",
            error=D.errors["due"],
            hint="Leave empty for no deadline.",
            type="date",
            name="due",
            default_value=D.due_value,
            key=D.due_value,
        ),
        rx.button("Change due date", type="submit", variant="soft"),
        on_submit=D.save_due,
    )


def _activity_item(a: Any) -> rx.Component:
    return rx.el.li(
        rx.vstack(
            rx.text(
                rx.el.strong(a.who),
                " ",
                a.what,
                " · ",
                rx.el.time(a.when, title=a.exact),
                size="2",
            ),
            rx.cond(
                a.comment != "",
                rx.text(
                    a.comment,
                    size="2",
                    white_space="pre-wrap",
                    padding_left="12px",
                    border_left=f"2px solid {rx.color('gray', 6)}",
                ),
            ),
            spacing="1",
            align="start",
        ),
        list_style="none",
        padding_y="8px",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
    )


def _comment_form() -> rx.Component:
    return stacked_form(
        control_field(
            "Comment",
            rx.text_area,
            control_id="task-comment",
            error=D.errors["comment"],
            hint="Visible to your team only. It stays in the task's history.",
            name="comment",
            rows="3",
            max_length=COMMENT_MAX,
            width="100%",
        ),
        submit_button("Add comment", size="2"),
        on_submit=D.add_comment,
    )


def _reply_card() -> rx.Component:
    return section_card(
        "Answer the customer",
        stacked_form(
            message_field(
                "task-reply",
                label="Reply",
                error=D.errors["message"],
                hint="The account's contacts see it in the conversation; sending it marks this task done.",
            ),
            submit_button("Send reply and close task", size="2"),
            on_submit=D.reply_to_customer,
        ),
        rx.link("Open the conversation", href=D.thread_href, size="2"),
        id="task-reply-card",
    )


def _main() -> rx.Component:
    return rx.vstack(
        rx.cond(
            D.detail != "",
            section_card(
                "What the customer wrote",
                rx.text(D.detail, size="2", white_space="pre-wrap", word_break="break-word"),
            ),
        ),
        rx.cond(
            D.can_reply,
            _reply_card(),
            rx.cond(D.thread_href != "", rx.link("Open the conversation", href=D.thread_href, size="2")),
        ),
        section_card(
            "History",
            rx.cond(D.can_manage, _comment_form()),
            rx.cond(
                D.activity.length() > 0,  # type: ignore[attr-defined]
                rx.el.ul(rx.foreach(D.activity, _activity_item), padding="0", margin="0"),
                rx.text(
                    "Nothing yet: assignments, status changes and comments show here.",
                    size="2",
                    color_scheme="gray",
                ),
            ),
        ),
        spacing="4",
        width="100%",
    )


def _aside() -> rx.Component:
    return rx.cond(
        D.can_manage,
        rx.card(
            rx.vstack(_status_buttons(), _assign_form(), _due_form(), spacing="5", width="100%"),
            size="2",
            width="100%",
        ),
        rx.text("Your role can read tasks but not change them.", size="2", color_scheme="gray"),
    )


def task_page() -> rx.Component:
    return staff_frame(
        D,
        detail_layout(
            title=D.task.title,
            number=D.task.ref,
            status=status_badge(D.task.status_label, D.task.status_color),
            back=rx.link("All tasks", href=routes.STAFF_TASKS, size="2"),
            facts=[
                ("Source", source_link(D.task)),
                ("Account", rx.cond(D.task.account_name != "", D.task.account_name, "—")),
                ("Assigned to", D.task.assignee),
                ("Due", rx.cond(D.task.due != "", due_text(D.task), "No due date")),
                ("Created", D.created),
            ],
            main=_main(),
            aside=_aside(),
        ),
        back=routes.STAFF_TASKS,
        back_label="All tasks",
    )
