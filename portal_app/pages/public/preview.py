"""The workflow preview (``/preview``): staff view beside contact view, on example data, step by step.

All values come from ``state.public_preview.PreviewState`` (synthetic, per browser tab); nothing here reads or
writes a workspace.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from components.badges import status_badge
from components.form import field_label
from components.layout import page_shell
from components.public import example_badge, workspace_cta
from portal_app import routes
from state import public_preview as data
from state.public_preview import STEPS, PreviewState

S = PreviewState

TITLE = "Workflow preview — Customer Portal on example data"
DESCRIPTION = (
    "Walk through the Customer Portal without an account: share an estimate, approve it as the customer, watch the "
    "follow-up task appear and review a payment proof, side by side with what the contact sees."
)

# Which staff member watches each step (the step's own actor may be the contact).
_STAFF_SEAT = (
    (data.OWNER, "Owner / manager"),
    (data.OWNER, "Owner / manager"),
    (data.TEAM_LEAD, "Team lead"),
    (data.FINANCE, "Finance / admin reviewer"),
    (data.FINANCE, "Finance / admin reviewer"),
    (data.OWNER, "Owner / manager"),
)


# -- small pieces -------------------------------------------------------------------------------------------------


def _row(label: Any, value: Any, **props: Any) -> rx.Component:
    """A label and a value on one line; either may be a tuple of parts (text and vars) for one paragraph."""
    return rx.hstack(
        rx.text(*(label if isinstance(label, tuple) else (label,)), size="2", color_scheme="gray"),
        rx.text(
            *(value if isinstance(value, tuple) else (value,)),
            size="2",
            weight="medium",
            text_align="right",
            **props,
        ),
        justify="between",
        align="start",
        spacing="3",
        width="100%",
    )


def _badge(text: Any, color: str) -> rx.Component:
    return status_badge(text, color)


def _box(*children: rx.Component, **props: Any) -> rx.Component:
    return rx.box(
        rx.vstack(*children, spacing="3", align="stretch", width="100%"),
        border=f"1px solid {rx.color('gray', 5)}",
        border_radius="8px",
        padding="12px",
        background_color=rx.color("gray", 1),
        width="100%",
        **props,
    )


def _note(*parts: Any, icon: str = "info", color: str = "gray", **props: Any) -> rx.Component:
    """A callout whose text is one paragraph made of ``parts`` (plain text and vars; never a nested paragraph)."""
    return rx.callout.root(
        rx.callout.icon(rx.icon(icon, size=16)),
        rx.callout.text(*parts),
        color_scheme=color,  # type: ignore[arg-type]
        size="1",
        width="100%",
        **props,
    )


def _estimate_status() -> rx.Component:
    return rx.match(
        S.estimate_status,
        ("draft", _badge("Draft", "gray")),
        ("shared", _badge("Shared · awaiting response", "amber")),
        _badge("Approved", "green"),
    )


def _estimate_box(**props: Any) -> rx.Component:
    return _box(
        rx.hstack(
            rx.vstack(
                rx.text(data.ESTIMATE_REF, size="2", weight="bold"),
                rx.text(data.ESTIMATE_TITLE, size="1", color_scheme="gray"),
                spacing="0",
                align="start",
            ),
            _estimate_status(),
            justify="between",
            align="start",
            width="100%",
        ),
        *(_row(label, amount) for label, amount in data.ESTIMATE_LINES),
        rx.separator(size="4"),
        _row("Total", data.ESTIMATE_TOTAL),
        **props,
    )


def _invoice_status() -> rx.Component:
    return rx.match(
        S.proof_status,
        ("pending", _badge("Payment proof in review", "blue")),
        ("accepted", _badge("Paid", "green")),
        ("rejected", _badge("Open · proof not accepted", "red")),
        _badge("Open", "amber"),
    )


def _invoice_box(balance_id: str, **props: Any) -> rx.Component:
    return _box(
        rx.hstack(
            rx.vstack(
                rx.text(data.INVOICE_REF, size="2", weight="bold"),
                rx.text(data.INVOICE_TITLE, size="1", color_scheme="gray"),
                spacing="0",
                align="start",
            ),
            _invoice_status(),
            justify="between",
            align="start",
            width="100%",
        ),
        _row("Total", data.money(data.INVOICE_TOTAL_CENTS)),
        _row("Balance", S.invoice_balance, id=balance_id),
        **props,
    )


def _panel(*, icon: str, title: str, who: Any, body: rx.Component, **props: Any) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.center(
                    rx.icon(icon, size=16, color=rx.color("accent", 11)),
                    width="32px",
                    height="32px",
                    min_width="32px",
                    border_radius="8px",
                    background_color=rx.color("accent", 3),
                ),
                rx.vstack(
                    rx.text(title, size="3", weight="bold", trim="both"),
                    rx.text(who, size="1", color_scheme="gray", trim="both"),
                    spacing="1",
                    align="start",
                ),
                spacing="3",
                align="center",
            ),
            rx.separator(size="4"),
            body,
            spacing="4",
            align="stretch",
            width="100%",
        ),
        size="3",
        width="100%",
        **props,
    )


# -- the staff side -------------------------------------------------------------------------------------------


def _task_list() -> rx.Component:
    return rx.vstack(
        rx.text("Follow-up tasks", size="2", weight="bold"),
        rx.cond(
            S.tasks.length() > 0,  # type: ignore[attr-defined]
            rx.foreach(
                S.tasks,
                lambda task: _box(
                    rx.hstack(
                        rx.text(task["title"], size="2", weight="medium"),
                        rx.cond(task["status"] == "done", _badge("Done", "green"), _badge("Open", "amber")),
                        justify="between",
                        align="start",
                        width="100%",
                    ),
                    rx.text("From: ", task["source"], size="1", color_scheme="gray"),
                    rx.text("Assigned to: ", task["assignee"], size="1", color_scheme="gray"),
                    class_name="preview-task",
                ),
            ),
            rx.text("No follow-up tasks yet.", size="2", color_scheme="gray"),
        ),
        spacing="2",
        align="stretch",
        width="100%",
        id="task-list",
    )


def _staff_share() -> rx.Component:
    return rx.vstack(
        _estimate_box(),
        rx.cond(
            S.estimate_status == "draft",
            rx.button(
                rx.icon("send", size=14),
                f"Share with {data.ACCOUNT}",
                on_click=S.share_estimate,
                id="share-estimate",
            ),
            _note(
                f"Shared with {data.ACCOUNT}'s contacts. No other customer account can see it.",
                icon="check",
                color="green",
            ),
        ),
        spacing="3",
        align="stretch",
        width="100%",
    )


def _staff_approve() -> rx.Component:
    return rx.vstack(
        _estimate_box(),
        rx.cond(
            S.estimate_status == "approved",
            _note(
                "Approved by ",
                data.CONTACT,
                ", signed “",
                S.signature,
                "”. The estimate itself is unchanged.",
                icon="check",
                color="green",
            ),
            _note("Waiting for the contact. Staff cannot approve on the customer's behalf."),
        ),
        spacing="3",
        align="stretch",
        width="100%",
    )


def _staff_task() -> rx.Component:
    return rx.vstack(
        _task_list(),
        rx.cond(
            S.task_status == "open",
            rx.button(
                rx.icon("check", size=14), "Mark task done", on_click=S.complete_task, id="complete-task"
            ),
            rx.cond(
                S.task_status == "done",
                _note("Task done. The trail records who closed it and when.", icon="check", color="green"),
            ),
        ),
        spacing="3",
        align="stretch",
        width="100%",
    )


def _intake_queue() -> rx.Component:
    return rx.vstack(
        rx.text("Intake queue", size="2", weight="bold"),
        rx.cond(
            S.proof_status == "",
            rx.text("Nothing waiting for review.", size="2", color_scheme="gray"),
            _box(
                rx.hstack(
                    rx.text(data.PROOF_REF, " · ", data.PROOF_FILE, size="2", weight="medium"),
                    rx.match(
                        S.proof_status,
                        ("pending", _badge("Quarantined · in review", "blue")),
                        ("accepted", _badge("Accepted", "green")),
                        _badge("Rejected", "red"),
                    ),
                    justify="between",
                    align="start",
                    width="100%",
                    wrap="wrap",
                ),
                _row("For", data.INVOICE_REF),
                _row("Amount claimed", data.money(data.INVOICE_TOTAL_CENTS)),
                _row("From", data.CONTACT),
                _row("Checks", "PDF by content · 182 KB · hash recorded"),
            ),
        ),
        spacing="2",
        align="stretch",
        width="100%",
        id="intake-queue",
    )


def _staff_upload() -> rx.Component:
    return rx.vstack(
        _intake_queue(),
        _invoice_box("staff-invoice-balance"),
        _note("The invoice does not change when a file arrives; only a reviewer's decision can change it."),
        spacing="3",
        align="stretch",
        width="100%",
    )


def _review_controls() -> rx.Component:
    return rx.vstack(
        rx.button(
            rx.icon("check", size=14),
            "Accept and record the payment",
            on_click=S.accept_proof,
            color_scheme="green",
            id="accept-proof",
        ),
        rx.separator(size="4"),
        rx.form(
            rx.vstack(
                field_label(
                    "Or reject it with a reason the contact will see:",
                    html_for="reject-reason",
                    weight="regular",
                ),
                rx.input(
                    name="reason",
                    placeholder="e.g. The receipt shows a different amount",
                    max_length=data.REASON_MAX,
                    auto_complete="off",
                    id="reject-reason",
                    width="100%",
                ),
                rx.button(
                    rx.icon("x", size=14),
                    "Reject",
                    type="submit",
                    color_scheme="red",
                    variant="soft",
                    id="reject-proof",
                ),
                spacing="3",
                align="stretch",
                width="100%",
            ),
            on_submit=S.reject_proof,
            reset_on_submit=False,
            width="100%",
        ),
        spacing="3",
        align="stretch",
        width="100%",
    )


def _staff_review() -> rx.Component:
    return rx.vstack(
        _intake_queue(),
        rx.match(
            S.proof_status,
            ("pending", _review_controls()),
            (
                "accepted",
                _note(
                    "Accepted. A payment of $3,200.00 was recorded on INV-2217 and the follow-up task closed.",
                    icon="check",
                    color="green",
                    id="review-result",
                ),
            ),
            _note(
                "Rejected: “",
                S.reject_reason,
                "”. INV-2217 is unchanged.",
                icon="circle-x",
                color="red",
                id="review-result",
            ),
        ),
        _invoice_box("staff-invoice-balance"),
        spacing="3",
        align="stretch",
        width="100%",
    )


def _staff_audit() -> rx.Component:
    return rx.vstack(
        _row("Estimate", (data.ESTIMATE_REF, " approved, signed “", S.signature, "”")),
        _row("Invoice", (data.INVOICE_REF, " balance ", S.invoice_balance)),
        _row("Account balance", S.statement_balance),
        _task_list(),
        _note("The full trail is below: append-only, one line per action, hash-chained per workspace."),
        spacing="3",
        align="stretch",
        width="100%",
    )


def _staff_panel() -> rx.Component:
    return _panel(
        icon="building-2",
        title="Staff view",
        who=rx.match(
            S.step,
            *((i, f"{data.WORKSPACE} · {name}, {role}") for i, (name, role) in enumerate(_STAFF_SEAT)),
            "",
        ),
        body=rx.match(
            S.step,
            (0, _staff_share()),
            (1, _staff_approve()),
            (2, _staff_task()),
            (3, _staff_upload()),
            (4, _staff_review()),
            _staff_audit(),
        ),
        id="staff-view",
    )


# -- the contact side -----------------------------------------------------------------------------------------


def _portal_home() -> rx.Component:
    """What the contact's portal lists at any moment: only what was shared with Acme Logistics."""
    return rx.vstack(
        rx.text("Shared with you", size="2", weight="bold"),
        rx.cond(
            S.estimate_status != "draft",
            _row(
                f"{data.ESTIMATE_REF} · estimate",
                rx.cond(S.estimate_status == "approved", "Approved by you", "Awaiting your approval"),
            ),
        ),
        _row(f"{data.INVOICE_REF} · invoice", S.invoice_balance, id="contact-invoice-balance"),
        _row("Statement balance", S.statement_balance, id="contact-statement-balance"),
        _row(
            f"{data.DELIVERY_REF} · delivery",
            rx.cond(S.estimate_status == "approved", "Scheduled for 18 Mar", "Not scheduled"),
        ),
        spacing="2",
        align="stretch",
        width="100%",
        id="contact-home",
    )


def _contact_share() -> rx.Component:
    return rx.cond(
        S.estimate_status == "draft",
        _note(f"Nothing new from {data.WORKSPACE} yet. Drafts are never visible here."),
        _note(f"New: estimate {data.ESTIMATE_REF} was shared with you.", icon="bell", color="blue"),
    )


def _contact_approve() -> rx.Component:
    return rx.vstack(
        _estimate_box(),
        rx.cond(
            S.estimate_status == "shared",
            rx.form(
                rx.vstack(
                    field_label("Type your full name to sign", html_for="signature-input", weight="regular"),
                    rx.input(
                        name="signature",
                        placeholder=data.CONTACT,
                        max_length=data.SIGNATURE_MAX,
                        auto_complete="off",
                        id="signature-input",
                        width="100%",
                    ),
                    rx.flex(
                        rx.button(
                            rx.icon("pen-line", size=14), "Approve", type="submit", id="approve-estimate"
                        ),
                        rx.button("Request changes", type="button", variant="soft", disabled=True),
                        rx.button(
                            "Decline", type="button", variant="soft", color_scheme="gray", disabled=True
                        ),
                        spacing="2",
                        wrap="wrap",
                    ),
                    spacing="2",
                    align="stretch",
                    width="100%",
                ),
                on_submit=S.approve_estimate,
                reset_on_submit=False,
                width="100%",
            ),
            rx.cond(
                S.estimate_status == "approved",
                _note(
                    "You approved ",
                    data.ESTIMATE_REF,
                    ", signed “",
                    S.signature,
                    "”.",
                    icon="check",
                    color="green",
                ),
            ),
        ),
        rx.text(
            "Request changes and decline (not part of this walkthrough) work the same way: each answer reaches the "
            "team as a follow-up task.",
            size="1",
            color_scheme="gray",
        ),
        spacing="3",
        align="stretch",
        width="100%",
    )


def _contact_task() -> rx.Component:
    return _note(
        f"Your approval reached the team. Delivery {data.DELIVERY_REF} is scheduled, and you will see its status "
        "here.",
        icon="truck",
        color="blue",
    )


def _contact_upload() -> rx.Component:
    return rx.vstack(
        _invoice_box("contact-invoice-detail-balance"),
        rx.cond(
            S.proof_status == "",
            rx.vstack(
                rx.button(
                    rx.icon("upload", size=14),
                    "Upload payment proof",
                    on_click=S.upload_proof,
                    id="upload-proof",
                ),
                rx.text(
                    f"Example file: {data.PROOF_FILE}. Nothing leaves your browser in this preview.",
                    size="1",
                    color_scheme="gray",
                ),
                spacing="2",
                align="start",
            ),
            _note("Received. The team checks it before your balance changes.", icon="check", color="blue"),
        ),
        spacing="3",
        align="stretch",
        width="100%",
    )


def _contact_review() -> rx.Component:
    return rx.match(
        S.proof_status,
        ("pending", _note("Your payment proof is in review.", icon="hourglass", color="blue")),
        (
            "accepted",
            _note("Payment received. INV-2217 is paid.", icon="check", color="green", id="contact-result"),
        ),
        _note(
            "Your payment proof was not accepted: “",
            S.reject_reason,
            "”. Your balance is unchanged.",
            icon="circle-x",
            color="red",
            id="contact-result",
        ),
    )


def _contact_audit() -> rx.Component:
    return _note(
        f"{data.CONTACT} sees all of this for {data.ACCOUNT} only, never another customer's records."
    )


def _contact_panel() -> rx.Component:
    return _panel(
        icon="user-round",
        title="Contact view",
        who=f"{data.CONTACT}, {data.ACCOUNT} · {data.CONTACT_ROLE}",
        body=rx.vstack(
            rx.match(
                S.step,
                (0, _contact_share()),
                (1, _contact_approve()),
                (2, _contact_task()),
                (3, _contact_upload()),
                (4, _contact_review()),
                _contact_audit(),
            ),
            _portal_home(),
            spacing="4",
            align="stretch",
            width="100%",
        ),
        id="contact-view",
    )


# -- controls and page ----------------------------------------------------------------------------------------


def _step_item(index: int) -> rx.Component:
    step = STEPS[index]
    return rx.button(
        rx.text(str(index + 1), weight="bold", as_="span"),
        step.title,
        on_click=S.go_to(index),
        disabled=index > S.max_step,
        variant=rx.cond(S.step == index, "solid", "soft"),  # type: ignore[arg-type]
        color_scheme=rx.cond(index <= S.max_step, "teal", "gray"),  # type: ignore[arg-type]
        size="2",
        justify="start",
        width="100%",
        class_name="preview-step-item",
        custom_attrs={"data-step": step.key, "aria-current": rx.cond(S.step == index, "step", "false")},
    )


def _controls() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.flex(
                rx.vstack(
                    rx.hstack(
                        rx.badge(S.step_label, variant="surface", id="preview-step-label"),
                        rx.badge(S.step_actor, variant="soft", color_scheme="gray"),
                        spacing="2",
                        wrap="wrap",
                    ),
                    rx.heading(S.step_title, size="5", as_="h2", id="preview-step-title"),
                    rx.text(S.step_summary, size="2", color_scheme="gray"),
                    spacing="2",
                    align="start",
                    flex="1",
                ),
                rx.hstack(
                    rx.button(
                        rx.icon("arrow-left", size=14),
                        "Back",
                        on_click=S.previous_step,
                        disabled=S.step == 0,
                        variant="soft",
                        id="preview-back",
                    ),
                    rx.button(
                        "Next",
                        rx.icon("arrow-right", size=14),
                        on_click=S.next_step,
                        disabled=~S.can_go_next,
                        id="preview-next",
                    ),
                    rx.button(
                        rx.icon("rotate-ccw", size=14),
                        "Reset",
                        on_click=S.reset_preview,
                        variant="ghost",
                        color_scheme="gray",
                        id="preview-reset",
                    ),
                    spacing="2",
                    align="center",
                    flex_shrink="0",
                ),
                direction=rx.breakpoints(initial="column", md="row"),
                justify="between",
                align=rx.breakpoints(initial="stretch", md="start"),
                spacing="4",
                width="100%",
            ),
            rx.el.nav(
                rx.grid(
                    *(_step_item(i) for i in range(len(STEPS))),
                    columns=rx.breakpoints(initial="1", sm="2", lg="3"),
                    spacing="2",
                    width="100%",
                ),
                custom_attrs={"aria-label": "Walkthrough steps"},
                id="preview-steps",
                width="100%",
            ),
            rx.cond(
                S.can_go_next | (S.step == data.LAST_STEP),
                rx.fragment(),
                rx.text(
                    "Do this step's action to continue.", size="1", color_scheme="gray", id="preview-hint"
                ),
            ),
            rx.cond(
                S.notice != "", _note(S.notice, icon="triangle-alert", color="amber", id="preview-notice")
            ),
            spacing="4",
            align="stretch",
            width="100%",
        ),
        size="3",
        width="100%",
        id="preview-controls",
    )


def _audit_trail() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.icon("scroll-text", size=16, color=rx.color("accent", 11)),
                rx.text("Audit trail", size="3", weight="bold"),
                example_badge(),
                spacing="2",
                align="center",
                wrap="wrap",
            ),
            rx.cond(
                S.audit.length() > 0,  # type: ignore[attr-defined]
                rx.el.ol(
                    rx.foreach(
                        S.audit,
                        lambda line: rx.el.li(
                            rx.text(line, size="2", font_family="var(--code-font-family)"),
                            class_name="audit-line",
                            padding_y="4px",
                            border_bottom=f"1px solid {rx.color('gray', 4)}",
                        ),
                    ),
                    list_style="none",
                    margin="0",
                    padding="0",
                ),
                rx.text(
                    "Nothing yet: each action in the walkthrough adds a line.", size="2", color_scheme="gray"
                ),
            ),
            spacing="3",
            align="stretch",
            width="100%",
        ),
        size="3",
        width="100%",
        id="audit-trail",
    )


def preview_page() -> rx.Component:
    return page_shell(
        rx.vstack(
            rx.hstack(
                rx.badge("Workflow preview", variant="soft", size="2", radius="full"),
                example_badge(size="2"),
                spacing="2",
                wrap="wrap",
            ),
            rx.heading(
                "Follow one customer answer from the portal to the record",
                size=rx.breakpoints(initial="7", md="8"),
                as_="h1",
                line_height="1.15",
            ),
            rx.text(
                "What staff do and what the customer's contact sees, side by side, one step at a time. Every "
                "name, amount and file here is example data held only in this browser tab: nothing is saved and "
                "no workspace is involved.",
                size="3",
                color_scheme="gray",
                max_width="760px",
            ),
            spacing="3",
            align="start",
        ),
        rx.vstack(
            _controls(),
            rx.grid(
                _staff_panel(),
                _contact_panel(),
                columns=rx.breakpoints(initial="1", md="2"),
                spacing="4",
                width="100%",
                align_items="start",
            ),
            _audit_trail(),
            spacing="4",
            width="100%",
            padding_top="24px",
        ),
        rx.hstack(
            rx.link("How the module works", href=routes.MODULE, size="2"),
            rx.link("Connected records", href=routes.MODULE + "#records", size="2"),
            spacing="4",
            padding_top="24px",
            wrap="wrap",
        ),
        rx.box(workspace_cta(preview_link=False), padding_top="40px", width="100%"),
    )
