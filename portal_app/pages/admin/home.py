"""Platform operator area (``/operator``). Operators see workspaces as counts and states, never their records."""

from __future__ import annotations

import reflex as rx

from components.badges import status_badge_for
from components.form import field_label
from components.layout import page_shell
from components.table import pager
from components.ui import (
    gate_panel,
    loading_panel,
    section_card,
    server_button,
    visually_hidden,
)
from state.operator import OperatorState, WorkspaceRow

S = OperatorState

TITLE = "Operator area — Customer Portal"
DESCRIPTION = "Platform operations for the Customer Portal service: workspaces, their state and suspension."


def _row(w: WorkspaceRow) -> rx.Component:
    suspended = w.status == "suspended"
    return rx.table.row(
        rx.table.cell(rx.text(w.name, weight="medium", size="2")),
        rx.table.cell(rx.code(w.slug, variant="ghost")),
        rx.table.cell(
            rx.vstack(
                status_badge_for("workspace", w.status),
                rx.cond(
                    w.status_reason != "",
                    rx.text(w.status_reason, size="1", color_scheme="gray", max_width="220px"),
                ),
                spacing="1",
                align="start",
            )
        ),
        rx.table.cell(
            rx.cond(
                w.portal_enabled,
                rx.badge("On", color_scheme="teal", variant="soft"),
                rx.badge("Off", color_scheme="gray", variant="outline"),
            )
        ),
        rx.table.cell(rx.text(w.members, size="2"), text_align="right"),
        rx.table.cell(rx.text(w.contacts, size="2"), text_align="right"),
        rx.table.cell(rx.text(w.accounts, size="2"), text_align="right"),
        rx.table.cell(rx.text(w.storage, size="2"), text_align="right"),
        rx.table.cell(
            rx.cond(
                suspended,
                rx.button(
                    "Reinstate",
                    size="1",
                    variant="soft",
                    color_scheme="green",
                    on_click=S.open_dialog(w.id, False),
                    aria_label="Reinstate " + w.name,
                ),
                rx.button(
                    "Suspend",
                    size="1",
                    variant="soft",
                    color_scheme="red",
                    on_click=S.open_dialog(w.id, True),
                    aria_label="Suspend " + w.name,
                ),
            ),
            text_align="right",
        ),
        class_name="workspace-row",
        align="center",
    )


def _dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(S.dialog_suspend, "Suspend ", "Reinstate "), S.dialog_workspace_name),
            rx.dialog.description(
                rx.cond(
                    S.dialog_suspend,
                    "Its staff and contacts lose access at once. The reason is recorded in the audit log.",
                    "Its staff and contacts get access back. The reason is recorded in the audit log.",
                ),
                size="2",
            ),
            rx.form(
                rx.vstack(
                    field_label("Reason", html_for="status-reason", required=True),
                    rx.text_area(
                        value=S.reason,
                        on_change=S.set_reason,
                        placeholder="For example: payment overdue, abuse report #123",
                        id="status-reason",
                        rows="3",
                        width="100%",
                    ),
                    rx.flex(
                        rx.dialog.close(
                            rx.button("Cancel", variant="soft", color_scheme="gray", type="button")
                        ),
                        rx.button(
                            rx.cond(S.dialog_suspend, "Suspend workspace", "Reinstate workspace"),
                            type="submit",
                            color_scheme=rx.cond(S.dialog_suspend, "red", "green"),
                            id="confirm-status",
                        ),
                        spacing="3",
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                    margin_top="12px",
                ),
                on_submit=lambda _: S.confirm_status(),
            ),
            max_width="480px",
        ),
        open=S.dialog_open,
        on_open_change=S.set_dialog_open,
    )


def _table() -> rx.Component:
    return section_card(
        "Workspaces",
        rx.box(
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        *(
                            rx.table.column_header_cell(label or visually_hidden("Actions"), text_align=align)
                            for label, align in (
                                ("Name", "left"),
                                ("Slug", "left"),
                                ("Status", "left"),
                                ("Portal", "left"),
                                ("Members", "right"),
                                ("Contacts", "right"),
                                ("Accounts", "right"),
                                ("Storage", "right"),
                                ("", "right"),
                            )
                        )
                    )
                ),
                rx.table.body(rx.foreach(S.rows, _row)),
                variant="surface",
                width="100%",
                id="workspaces-table",
            ),
            overflow_x="auto",
            width="100%",
        ),
        pager(S.page_label, S.has_prev, S.has_next, S.prev_page, S.next_page),
        description="Counts and states only: operators cannot open any workspace record.",
    )


def operator_home() -> rx.Component:
    return page_shell(
        rx.cond(
            ~rx.State.is_hydrated
            | (S.gate == "loading"),  # no flash of data from before this page load's checks
            loading_panel(),
            rx.cond(
                S.gate == "ready",
                rx.vstack(
                    rx.vstack(
                        rx.text("Platform", size="1", color_scheme="gray", weight="medium"),
                        rx.heading("Operator area", size="7", as_="h1"),
                        spacing="1",
                        align="start",
                    ),
                    _table(),
                    _dialog(),
                    spacing="6",
                    width="100%",
                ),
                gate_panel(
                    icon="server-cog",
                    title="Operator area",
                    body=(
                        "For platform operators only. Sign in with an operator account to see workspaces as "
                        "counts and states; workspace records are never shown here."
                    ),
                    actions=server_button(
                        "Operator sign in", S.sign_in_href, icon="log-in", id="operator-sign-in"
                    ),
                ),
            ),
        )
    )
