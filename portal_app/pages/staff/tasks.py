"""Follow-up tasks for staff (``/app/tasks``): what customers' answers left for the team, soonest due first."""

from __future__ import annotations

import reflex as rx

from components.table import data_table, empty_state, filter_select, filtered_empty, pager
from components.tasks import TASK_COLUMNS, choice_filter, task_cells
from portal_app.pages.staff.frame import page_title, staff_frame
from state.tasks import TasksListState

L = TasksListState

TITLE = "Tasks — Customer Portal"
DESCRIPTION = "Follow-up tasks from customers' answers: filter by assignee, state and account."


def _filters() -> rx.Component:
    return rx.flex(
        filter_select(
            "Assigned to",
            L.filter_values["who"],
            [("all", "Everyone"), ("mine", "Me or my role"), ("role", "My role")],
            lambda v: L.set_filter("who", v),
            "task-filter-who",
        ),
        filter_select(
            "State",
            L.filter_values["state"],
            [("open", "Open"), ("overdue", "Overdue"), ("done", "Done"), ("all", "All")],
            lambda v: L.set_filter("state", v),
            "task-filter-state",
        ),
        choice_filter(
            "Account",
            L.filter_values["account"],
            L.account_choices,
            lambda v: L.set_filter("account", v),
            "task-filter-account",
            all_label="All accounts",
        ),
        rx.cond(
            L.filtered,
            rx.button("Clear filters", variant="ghost", on_click=L.clear_filters, align_self="end"),
        ),
        gap="16px",
        wrap="wrap",
        align="end",
    )


def tasks_page() -> rx.Component:
    return staff_frame(
        L,
        rx.vstack(
            page_title("Tasks", eyebrow="Work"),
            rx.text(
                "What customers' answers left for the team, soonest due first.",
                size="2",
                color_scheme="gray",
            ),
            _filters(),
            data_table(
                TASK_COLUMNS,
                L.rows,
                task_cells,
                caption="Follow-up tasks",
                empty=rx.cond(
                    L.filtered,
                    filtered_empty(L.clear_filters, title="No task matches."),
                    empty_state(
                        "No open tasks.",
                        "Tasks appear here when a customer approves, declines or asks for changes.",
                        icon="list-checks",
                    ),
                ),
                id="tasks-table",
            ),
            pager(L.page_label, L.has_prev, L.has_next, L.prev_page, L.next_page),
            spacing="4",
            width="100%",
        ),
    )
