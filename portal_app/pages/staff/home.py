"""Staff home (``/app``): the workspace and role, and where the member's work is (the areas their role opens)."""

from __future__ import annotations

import reflex as rx

from portal_app import routes
from portal_app.pages.staff.frame import page_title, staff_frame
from state.pages import StaffArea
from state.staff import Destination, StaffHomeState

S = StaffHomeState
A = StaffArea

TITLE = "Staff home — Customer Portal"
DESCRIPTION = "Your workspace at a glance: where your tasks, customer accounts, estimates and approvals are."


def _destination(d: Destination) -> rx.Component:
    return rx.card(
        rx.link(
            rx.hstack(
                rx.icon(d.icon, size=20, color=rx.color("accent", 10), aria_hidden="true", flex_shrink="0"),
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


def staff_home() -> rx.Component:
    return staff_frame(
        S,
        rx.vstack(
            page_title(
                A.workspace_name,
                eyebrow="Workspace",
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
                S.reminders_sent != "",
                rx.callout(
                    rx.text(S.reminders_sent, ": ", S.reminders_followed, "."),
                    icon="bell-ring",
                    size="1",
                    color_scheme="gray",
                    id="reminder-stats",
                    width="100%",
                ),
            ),
            rx.text("Where your work is, for your role:", size="3", color_scheme="gray"),
            rx.grid(
                rx.foreach(S.destinations, _destination),
                columns=rx.breakpoints(initial="1", sm="2", lg="3"),
                gap="16px",
                width="100%",
                id="staff-destinations",
            ),
            spacing="5",
            width="100%",
        ),
    )
