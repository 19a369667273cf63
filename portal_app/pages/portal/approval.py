"""Customer portal: one approval request (``/portal/approvals/[id]``) and the contact's answer."""

from __future__ import annotations

import reflex as rx

from components.badges import status_badge
from components.decision import decision_panel, note_form
from components.detail import detail_layout
from components.ui import section_card
from portal_app import routes
from portal_app.pages.portal.frame import back_link, portal_page
from state.portal_approvals import PortalApprovalState

S = PortalApprovalState

TITLE = "Approval request — Customer portal"
DESCRIPTION = "Something the team asked your account to approve, and your answer."


def _note_form(
    decision: str, label: str, hint: str, button: str, color: str, *, required: bool
) -> rx.Component:
    return note_form(
        decision, label, hint, button, color, errors=S.errors, on_submit=S.respond, required=required
    )


def _answer() -> rx.Component:
    approve = _note_form(
        "approve",
        "Comment",
        "Optional: anything the team should know.",
        "Approve request",
        "green",
        required=False,
    )
    decline = _note_form(
        "decline",
        "Why are you declining?",
        "The team reads this and follows up.",
        "Decline request",
        "red",
        required=True,
    )
    return decision_panel(
        S.open_for_decision,
        [("Approve", "approve", approve), ("Decline", "decline", decline)],
        error=S.errors["decision"],
        closed_reason=S.closed_reason,
        decision_note=S.decision_note,
    )


def _page() -> rx.Component:
    return detail_layout(
        title=S.title,
        status=status_badge(S.status, S.color),
        back=back_link("All approval requests", routes.PORTAL_APPROVALS),
        facts=[
            ("Asked", S.asked_on),
            ("Due", rx.cond(S.due != "", S.due, "No deadline")),
            ("Answered", rx.cond(S.decided_on != "", S.decided_on, "Not yet")),
        ],
        main=section_card(
            "What the team asks",
            rx.text(
                rx.cond(S.description != "", S.description, "No further details were given."),
                size="3",
                white_space="pre-wrap",
            ),
            id="request",
        ),
        aside=_answer(),
        aside_label="Your answer",
    )


def portal_approval() -> rx.Component:
    return portal_page(S, _page())
