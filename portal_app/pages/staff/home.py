"""Staff home (``/app``): the command center for owners and managers (signals, charts, the reminders' week, where
each area is); team leads and finance reviewers are sent on to their own work."""

from __future__ import annotations

import reflex as rx

from components.aging import aging_table
from components.charts import bar_chart, chart_panel
from components.shell import nav_icon
from components.signals import signal_grid
from components.table import Column, data_table
from components.ui import empty_text, loading_panel, section_card
from portal_app import routes
from portal_app.pages.staff.frame import page_title, staff_frame
from state.pages import StaffArea
from state.staff import Destination, StaffHomeState

S = StaffHomeState
A = StaffArea

TITLE = "Staff home — Customer Portal"
DESCRIPTION = "Your workspace at a glance: what waits, what is overdue and how it changed since last week."


def _destination(d: Destination) -> rx.Component:
    return rx.card(
        rx.link(
            rx.hstack(
                nav_icon(d.icon, size=20, color=rx.color("accent", 10), flex_shrink="0"),
                rx.vstack(
                    rx.text(d.label, size="3", weight="bold", as_="span"),
                    rx.text(d.blurb, size="2", color_scheme="gray", as_="span"),
                    spacing="1",
                    align="start",
                ),
                spacing="3",
                align="start",
            ),
            href=d.href,
            underline="none",
            color_scheme="gray",
            high_contrast=True,
        ),
        as_child=False,
        class_name="staff-destination",
        width="100%",
    )


def _cells(*keys: str):  # type: ignore[no-untyped-def]
    return lambda row: [rx.text(row[k], size="2") for k in keys]


def _decisions() -> rx.Component:
    return chart_panel(
        "Decisions per week",
        bar_chart(
            S.decisions,
            x_key="week",
            bars=(
                ("approved", "Approved", "green"),
                ("declined", "Declined", "red"),
                ("changes", "Changes", "amber"),
            ),
        ),
        summary=S.decisions_summary,
        numbers=data_table(
            [
                "Week from",
                Column("Approved", align="right"),
                Column("Declined", align="right"),
                Column("Changes requested", align="right"),
            ],
            S.decisions,
            _cells("week", "approved", "declined", "changes"),
            caption="Estimate decisions per week",
            empty=empty_text("No decisions yet."),
            size="1",
        ),
        id="chart-decisions",
    )


def _aging() -> rx.Component:
    return chart_panel(
        "Receivables aging",
        bar_chart(S.aging, x_key="bucket", bars=(("amount", "Owed", "blue"),), stacked=False),
        summary=S.aging_summary,
        numbers=aging_table(S.aging_table, caption="Owed on open invoices by currency and days past due"),
        note=rx.cond(S.aging_currency != "", "Owed on open invoices, in " + S.aging_currency, "Nothing owed"),
        id="chart-aging",
    )


def _review_age() -> rx.Component:
    return chart_panel(
        "Review queue by age",
        bar_chart(
            S.review_ages,
            x_key="age",
            bars=(
                ("proofs", "Payment proofs", "blue"),
                ("documents", "Documents", "violet"),
                ("attachments", "Attachments", "gray"),
            ),
        ),
        summary=S.review_summary,
        numbers=data_table(
            [
                "Waiting",
                Column("Payment proofs", align="right"),
                Column("Documents", align="right"),
                Column("Attachments", align="right"),
            ],
            S.review_ages,
            _cells("age", "proofs", "documents", "attachments"),
            caption="Files waiting for review by age",
            empty=empty_text("Nothing waits for review."),
            size="1",
        ),
        id="chart-review-age",
    )


def _assignees() -> rx.Component:
    return section_card(
        "Follow-up tasks by assignee",
        data_table(
            ["Assignee", Column("Open", align="right"), Column("Overdue", align="right")],
            S.assignees,
            lambda r: [rx.text(r.name, size="2"), rx.text(r.open, size="2"), rx.text(r.overdue, size="2")],
            caption="Open and overdue follow-up tasks by assignee",
            empty=empty_text("No open follow-up tasks."),
            size="1",
        ),
        id="tasks-by-assignee",
    )


def _command_center() -> rx.Component:
    return rx.vstack(
        rx.heading("What needs attention", size="5", as_="h2"),
        signal_grid(S.cards, id="signals"),
        rx.callout(
            rx.text(S.reminders_sent, ": ", S.reminders_followed, "."),
            icon="bell-ring",
            size="1",
            color_scheme="gray",
            id="reminder-stats",
            width="100%",
        ),
        rx.heading("Trends", size="5", as_="h2", padding_top="8px"),
        rx.grid(
            _decisions(),
            _aging(),
            _review_age(),
            columns=rx.breakpoints(initial="1", md="2", xl="3"),
            gap="12px",
            width="100%",
        ),
        _assignees(),
        rx.heading("Where your work is", size="5", as_="h2", padding_top="8px"),
        rx.grid(
            rx.foreach(S.destinations, _destination),
            columns=rx.breakpoints(initial="1", sm="2", lg="3"),
            gap="16px",
            width="100%",
            id="staff-destinations",
        ),
        spacing="4",
        width="100%",
        id="command-center",
    )


def staff_home() -> rx.Component:
    return staff_frame(
        S,
        rx.vstack(
            page_title(
                A.workspace_name,
                eyebrow="Command center",
                id="workspace-name",
                actions=rx.vstack(
                    rx.badge(A.acting_as, size="2", variant="soft", id="role-label"),
                    rx.link(
                        "Create another workspace", href=routes.ONBOARDING, size="1", id="new-workspace-link"
                    ),
                    spacing="2",
                    align="end",
                ),
            ),
            rx.cond(
                S.landing != "",
                rx.vstack(
                    loading_panel(),
                    rx.link("Open your work", href=S.landing, size="2"),
                    align="center",
                    width="100%",
                    id="landing",
                ),
                _command_center(),
            ),
            spacing="5",
            width="100%",
        ),
    )
