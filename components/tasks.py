"""Follow-up task rows: the cells of the task list, and "Tasks for this record" for any record page.

Rows are display rows shaped like ``state.tasks.TaskRow`` (id, href, title, status_label, status_color,
account_name, assignee, due, overdue, source_kind, source_label, source_href); build them with
``state.tasks.task_rows(page)``.
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars.base import Var

from components.badges import status_badge
from components.form import field
from components.table import data_table, empty_state
from components.ui import section_card

TASK_COLUMNS = ["Task", "Status", "Source", "Account", "Assigned to", "Due"]
RECORD_TASK_COLUMNS = ["Task", "Status", "Assigned to", "Due"]


def source_link(row: Any) -> rx.Component:
    """ "Estimate: EST-0007 Website": a link to the source record's page, plain text for kinds without one."""
    text = row.source_kind + ": " + row.source_label
    return rx.cond(
        row.source_href != "", rx.link(text, href=row.source_href, size="2"), rx.text(text, size="2")
    )


def due_text(row: Any) -> rx.Component:
    """The due date, in red words when overdue (the words say it; the colour repeats it)."""
    return rx.text(
        row.due,
        size="2",
        color_scheme=rx.cond(row.overdue, "red", "gray"),  # type: ignore[arg-type]
        weight=rx.cond(row.overdue, "medium", "regular"),
        white_space="nowrap",
    )


def task_title(row: Any) -> rx.Component:
    return rx.link(row.title, href=row.href, weight="medium", class_name="task-link")


def task_cells(row: Any) -> list[rx.Component]:
    """The cells of one row under ``TASK_COLUMNS``."""
    return [
        task_title(row),
        status_badge(row.status_label, row.status_color),
        source_link(row),
        rx.text(rx.cond(row.account_name != "", row.account_name, "—"), size="2"),
        rx.text(row.assignee, size="2"),
        due_text(row),
    ]


def record_tasks(
    rows: Var[Any] | Any,
    *,
    title: str = "Tasks for this record",
    empty: str = "No follow-up tasks yet. They appear here when the customer answers.",
    **props: Any,
) -> rx.Component:
    """A card listing the follow-up tasks raised from one record (an estimate, an approval), each linking to
    its task page."""
    return section_card(
        title,
        data_table(
            RECORD_TASK_COLUMNS,
            rows,
            lambda row: [
                task_title(row),
                status_badge(row.status_label, row.status_color),
                rx.text(row.assignee, size="2"),
                due_text(row),
            ],
            caption=title,
            empty=empty_state(empty, icon="list-checks"),
        ),
        **props,
    )


def choice_filter(
    label: str,
    value: Var[str] | str,
    choices: Var[Any] | Any,
    on_change: Any,
    control_id: str,
    *,
    all_label: str,
) -> rx.Component:
    """A labelled filter select over rows loaded at run time (``id``, ``label``: the workspace's accounts), with
    an "all" choice first. The chosen id is untrusted: the state parses it and the service scopes it."""
    return field(
        label,
        rx.select.root(
            rx.select.trigger(id=control_id, min_width="180px"),
            rx.select.content(
                rx.select.item(all_label, value="all"),
                rx.foreach(choices, lambda c: rx.select.item(c.label, value=c.id)),
            ),
            value=value,
            on_change=on_change,
        ),
        control_id=control_id,
        width="auto",
    )
