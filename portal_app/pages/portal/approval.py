"""Customer portal: one approval request (``/portal/approvals/[id]``) and the contact's answer."""

from __future__ import annotations

import reflex as rx

from components.badges import status_badge
from components.detail import detail_layout
from components.form import control_props, field, field_error, submit_button
from components.ui import section_card
from portal_app import routes
from portal_app.pages.portal.frame import back_link, portal_page
from state.portal_approvals import PortalApprovalState

S = PortalApprovalState

TITLE = "Approval request — Customer portal"
DESCRIPTION = "Something the team asked your account to approve, and your answer."


def _answer_form(
    decision: str, label: str, hint: str, button: str, color: str, *, required: bool
) -> rx.Component:
    name = f"{decision}_note"
    control_id = name.replace("_", "-")
    return rx.form(
        rx.vstack(
            rx.el.input(type="hidden", name="decision", value=decision),
            field(
                label,
                rx.text_area(
                    name=name, rows="4", max_length=4000, **control_props(control_id, S.errors[name], True)
                ),
                control_id=control_id,
                hint=hint,
                required=required,
                error=S.errors[name],
            ),
            submit_button(button, color_scheme=color, width="100%"),  # type: ignore[arg-type]
            spacing="3",
            width="100%",
        ),
        on_submit=S.respond,
        width="100%",
    )


def _answer() -> rx.Component:
    return rx.cond(
        S.open_for_decision,
        rx.card(
            rx.vstack(
                rx.heading("Your answer", size="4", as_="h2"),
                field_error(S.errors["decision"], control_id="decision"),
                rx.tabs.root(
                    rx.tabs.list(
                        rx.tabs.trigger("Approve", value="approve"),
                        rx.tabs.trigger("Decline", value="decline"),
                        size="1",
                    ),
                    rx.box(
                        rx.tabs.content(
                            _answer_form(
                                "approve",
                                "Comment",
                                "Optional: anything the team should know.",
                                "Approve request",
                                "green",
                                required=False,
                            ),
                            value="approve",
                        ),
                        rx.tabs.content(
                            _answer_form(
                                "decline",
                                "Why are you declining?",
                                "The team reads this and follows up.",
                                "Decline request",
                                "red",
                                required=True,
                            ),
                            value="decline",
                        ),
                        padding_top="16px",
                    ),
                    default_value="approve",
                    width="100%",
                ),
                spacing="3",
                width="100%",
            ),
            size="3",
            width="100%",
            id="decision",
        ),
        rx.callout(
            rx.vstack(
                rx.text(S.closed_reason),
                rx.cond(S.decision_note != "", rx.text("Note: ", S.decision_note, white_space="pre-wrap")),
                spacing="2",
            ),
            icon="info",
            color_scheme="gray",
            id="decision-closed",
        ),
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
