"""One approval request for staff (``/app/approvals/[id]``): what was asked, the customer's answer, the linked
estimate, the follow-up tasks the answer raised, and withdrawing a pending request."""

from __future__ import annotations

import reflex as rx

from components.badges import status_badge
from components.detail import detail_layout
from components.dialog import confirm_dialog
from components.tasks import record_tasks
from components.ui import section_card
from portal_app import routes
from portal_app.pages.staff.frame import staff_frame
from state.approvals import ApprovalDetailState

D = ApprovalDetailState

TITLE = "Approval request — Customer Portal"
DESCRIPTION = "An approval request: what was asked, the customer's answer and its follow-up tasks."


def _answer() -> rx.Component:
    return section_card(
        "The customer's answer",
        rx.cond(
            D.answered,
            rx.vstack(
                rx.hstack(
                    status_badge(D.approval.status_label, D.approval.status_color),
                    rx.text("by ", rx.el.strong(D.answered_by), " on ", D.answered_at, size="2"),
                    spacing="2",
                    align="center",
                    wrap="wrap",
                ),
                rx.cond(
                    D.answer_note != "",
                    rx.blockquote(D.answer_note, size="2", white_space="pre-wrap"),
                    rx.text("No comment.", size="2", color_scheme="gray"),
                ),
                spacing="2",
                align="start",
            ),
            rx.text(
                rx.cond(
                    D.approval.status == "cancelled",
                    "The request was withdrawn before the customer answered.",
                    "No answer yet. The account's contacts see the request in the portal.",
                ),
                size="2",
                color_scheme="gray",
            ),
        ),
    )


def _main() -> rx.Component:
    return rx.vstack(
        section_card(
            "What was asked",
            rx.cond(
                D.description != "",
                rx.text(D.description, size="2", white_space="pre-wrap"),
                rx.text("No description.", size="2", color_scheme="gray"),
            ),
        ),
        _answer(),
        rx.cond(
            D.internal_notes != "",
            section_card("Internal notes", rx.text(D.internal_notes, size="2", white_space="pre-wrap")),
        ),
        record_tasks(D.tasks, title="Follow-up tasks"),
        spacing="4",
        width="100%",
    )


def _aside() -> rx.Component:
    return rx.cond(
        D.can_cancel,
        rx.card(
            rx.vstack(
                rx.heading("Withdraw", size="3", as_="h2"),
                rx.text(
                    "The contacts can no longer answer a withdrawn request.", size="2", color_scheme="gray"
                ),
                confirm_dialog(
                    "Withdraw request",
                    title="Withdraw this request?",
                    description=rx.text(
                        "Withdraw \u201c",
                        D.approval.title,
                        "\u201d? ",
                        D.approval.account_name,
                        "'s contacts will see it as cancelled and can no longer answer it.",
                    ),
                    confirm_label="Withdraw request",
                    on_confirm=D.cancel,
                    trigger_size="2",
                ),
                spacing="3",
                align="start",
            ),
            size="2",
            width="100%",
        ),
    )


def approval_page() -> rx.Component:
    return staff_frame(
        D,
        detail_layout(
            title=D.approval.title,
            number=D.approval.ref,
            status=status_badge(D.approval.status_label, D.approval.status_color),
            back=rx.link("All approvals", href=routes.STAFF_APPROVALS, size="2"),
            history=D.history_href,
            facts=[
                ("Account", D.approval.account_name),
                ("Due", rx.cond(D.due_date != "", D.due_date, "No due date")),
                (
                    "About",
                    rx.cond(
                        D.estimate_href != "",
                        rx.link("Estimate " + D.estimate_label, href=D.estimate_href, size="2"),
                        rx.text("No linked record", size="2"),
                    ),
                ),
                ("Requested", D.approval.requested),
                ("Requested by", rx.cond(D.requested_by != "", D.requested_by, "—")),
            ],
            main=_main(),
            aside=_aside(),
        ),
        back=routes.STAFF_APPROVALS,
        back_label="All approvals",
    )
