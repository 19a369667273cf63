"""Request a customer's approval (``/app/approvals/new``): account, title, description, optional due date and an
optional estimate of that account it is about."""

from __future__ import annotations

import reflex as rx

from components.form import control_field, control_props, field, submit_button
from components.ui import section_card
from portal_app import routes
from portal_app.pages.staff.frame import page_title, staff_frame
from portal_app.services.approvals import TEXT_MAX, TITLE_MAX
from state.approvals import NO_ESTIMATE, ApprovalNewState

F = ApprovalNewState

TITLE = "Request approval — Customer Portal"
DESCRIPTION = "Ask a customer account to approve a change order, a proof or terms."


def _account() -> rx.Component:
    return field(
        "Account",
        rx.select.root(
            rx.select.trigger(
                placeholder="Choose an account",
                width="100%",
                **control_props("approval-account", F.errors["account"]),
            ),
            rx.select.content(rx.foreach(F.account_choices, lambda a: rx.select.item(a.label, value=a.id))),
            value=F.account_value,
            on_change=F.pick_account,
        ),
        control_id="approval-account",
        required=True,
        error=F.errors["account"],
    )


def _estimate() -> rx.Component:
    return field(
        "About an estimate",
        rx.select.root(
            rx.select.trigger(
                width="100%", id="approval-estimate", aria_describedby="approval-estimate-hint"
            ),
            rx.select.content(
                rx.select.item("No estimate", value=NO_ESTIMATE),
                rx.foreach(F.estimate_choices, lambda e: rx.select.item(e.label, value=e.id)),
            ),
            value=F.estimate_value,
            on_change=F.pick_estimate,
            disabled=F.account_value == "",
        ),
        control_id="approval-estimate",
        hint="Optional. Choose the account first; the request then links to that estimate.",
    )


def _form() -> rx.Component:
    return rx.form(
        rx.vstack(
            _account(),
            control_field(
                "Title",
                rx.input,
                control_id="approval-title",
                error=F.errors["title"],
                hint='What the customer approves, e.g. "Change order: extra landing page".',
                required=True,
                name="title",
                max_length=TITLE_MAX,
                width="100%",
            ),
            control_field(
                "Description",
                rx.text_area,
                control_id="approval-description",
                error=F.errors["description"],
                hint="The customer's contacts read this in the portal.",
                name="description",
                rows="5",
                max_length=TEXT_MAX,
                width="100%",
            ),
            control_field(
                "Due date",
                rx.input,
                control_id="approval-due",
                error=F.errors["due"],
                hint="Optional: when you need the answer.",
                type="date",
                name="due",
            ),
            _estimate(),
            rx.flex(
                submit_button("Request approval", loading=F.submitting),
                rx.link("Cancel", href=routes.STAFF_APPROVALS, size="2"),
                gap="16px",
                align="center",
            ),
            spacing="4",
            align="stretch",
            width="100%",
        ),
        on_submit=F.submit,
        width="100%",
    )


def approval_new_page() -> rx.Component:
    return staff_frame(
        F,
        rx.vstack(
            page_title(
                "Request approval", eyebrow=rx.link("Approvals", href=routes.STAFF_APPROVALS, size="1")
            ),
            section_card(
                "The request",
                _form(),
                description="The account's contacts with operations access see it in the portal and can answer.",
                max_width="640px",
            ),
            spacing="4",
            width="100%",
        ),
        back=routes.STAFF_APPROVALS,
        back_label="All approvals",
    )
